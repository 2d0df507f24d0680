"""Where an epoch of gs.Trainer goes: each step of the training plan timed, per op kind, beside the products alone.

The trainer benchmark's workload (a 784-512-256-10 ReLU MLP, softmax loss,
plain SGD, float32, batches of 128 and of 32), one epoch after a warm-up
epoch, with every forward step and every VJP of the plan (graphscope.train.plan)
timed by op kind, and the trainer's own per-batch work besides: the
optimizer's update (``add_steps``, the steps being the gradients of a pass
seeded with -lr), train accuracy from the batch's scores, clearing gradients,
and the rest of the loop (the batch gather, the history, the loss as a
number). Beside it, (d) of the trainer benchmark with each matrix product
timed: what numpy code making these products cannot avoid.

Timing each step adds a little to each (two clock reads); the shares, not
the total, are what this is for. Process CPU time, BLAS on one thread.
"""
import os
import sys

_BLAS_PINNED = "numpy" not in sys.modules
if _BLAS_PINNED:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import time  # noqa: E402
from collections import defaultdict  # noqa: E402

import numpy as np  # noqa: E402

from .bench_trainer import SIZES, epoch_of, graphscope_trainer, initial_weights  # noqa: E402
from .common import Table, heading  # noqa: E402

_clock = time.process_time


def _timed(totals, key, fn):
    """`fn`, adding the CPU time of each call to totals[key]."""
    def timed(*args, **kwargs):
        t = _clock()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[key] += _clock() - t
    return timed


def instrument(trainer, totals):
    """Time every plan step by op kind, and the trainer's per-batch parts, into `totals` (seconds)."""
    plan = trainer._plan
    ops = [n for n in trainer.graph.program if n.op_def is not None]
    plan.forward_steps = [_timed(totals, f"forward {n.op}", step) for n, step in zip(ops, plan.forward_steps)]
    plan.backward_steps = [(n, _timed(totals, f"VJP {n.op}", contributions), targets, needs)
                           for n, contributions, targets, needs in plan.backward_steps]
    for name in ("forget_gradients", "unscale"):
        setattr(plan, name, _timed(totals, "clearing and unscaling gradients", getattr(plan, name)))
    opt = trainer.optimizer
    opt.add_steps = _timed(totals, "update (add_steps)", opt.add_steps)
    for name in ("zero_grad", "release_steps"):
        setattr(opt, name, _timed(totals, "clearing and unscaling gradients", getattr(opt, name)))
    trainer.roles.correct = _timed(totals, "train accuracy (argmax)", trainer.roles.correct)


def products_timed(weights, batch, totals):
    """(d) of the trainer benchmark, each of its six products timed into totals['products']."""
    W1, _, W2, _, W3, _ = weights
    mm = _timed(totals, "products", np.matmul)

    def step(X, y):
        h1 = mm(X, W1)
        h2 = mm(h1, W2)
        scores = mm(h2, W3)
        dh2 = mm(scores, W3.T)
        dh1 = mm(dh2, W2.T)
        return mm(h2.T, scores), mm(h1.T, dh2), mm(X.T, dh1)
    return epoch_of(step, batch, True)


def profile(x, y, batch):
    """(rows of (part, seconds), the trainer's epoch, (d)'s epoch, (d)'s products) for one epoch at `batch`."""
    weights = initial_weights(np.random.default_rng(1))
    epoch, _ = graphscope_trainer(weights, x, y, batch)
    totals = defaultdict(float)
    epoch(x, y)  # warm-up: the plan's arrays are made
    instrument(epoch.trainer, totals)
    totals.clear()
    t = _clock()
    epoch(x, y)
    total = _clock() - t
    d_totals = defaultdict(float)
    d_epoch = products_timed(weights, batch, d_totals)
    d_epoch(x, y)
    d_totals.clear()
    t = _clock()
    d_epoch(x, y)
    d_total = _clock() - t
    rows = sorted(totals.items(), key=lambda kv: -kv[1])
    rows.append(("the rest of the loop (gather, history, loss, checks)", total - sum(totals.values())))
    return rows, total, d_total, d_totals["products"]


def main(quick=False):
    n = 4_000 if quick else 60_000
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=n).astype(np.int64)
    heading(f"trainer profile: one epoch of a {'-'.join(map(str, SIZES))} ReLU MLP, softmax loss, SGD, "
            f"{n:,} float32 examples, each step timed")
    for batch in (128, 32):
        rows, total, d_total, d_products = profile(x, y, batch)
        table = Table([f"batch {batch}: part of (a)", "seconds", "share"])
        for part, seconds in rows:
            table.add(part, f"{seconds:.3f}", f"{100 * seconds / total:.1f}%")
        products = sum(s for part, s in rows if part.endswith("matmul"))
        print(table.render())
        print(f"(a) gs.Trainer {total:.2f} s, its matrix products {products:.2f} s, all else {total - products:.2f} s; "
              f"(d) the products alone {d_total:.2f} s, of which products {d_products:.2f} s, gathers and loop "
              f"{d_total - d_products:.2f} s")
        print()


if __name__ == "__main__":
    main()
