"""gs.Trainer vs hand-written numpy vs PyTorch eager: one epoch of a 784-512-256-10 ReLU MLP, SGD.

The lecture's workload: softmax loss, plain SGD, one epoch over 60,000 random
float32 examples (a fresh shuffle, batches of 128, then of 32), measured in the
same run, the three alternating epoch by epoch:

(a) ``gs.Trainer`` training the recorded graph by replay;
(b) the same network written by hand in numpy, cs231n style (explicit
    forward and backward, ``W -= lr * dW``);
(c) PyTorch CPU eager (``torch.optim.SGD``), on the same number of threads;
(d) the floor: the same batch gathers and the same six matrix products with
    nothing else (no bias, ReLU, loss or update), so (d)/(c) is the lowest
    (a)/(c) that any numpy code calling these products could reach.

All three start from the same weights, see the same batches in the same
order, and are checked to compute the same loss and the same updated weights
after a few steps before anything is timed. BLAS runs on one thread and so does
PyTorch (``torch.set_num_threads(1)``), when this benchmark runs in its own
process as ``python -m bench`` does. Peak memory: the most memory numpy
allocated above the data set during some steps (``tracemalloc``), (a) against (b).

Targets: (a)/(b) <= 1.00 and (a)/(c) <= 0.90.
"""
import os
import sys

_BLAS_PINNED = "numpy" not in sys.modules
if _BLAS_PINNED:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

import graphscope as gs  # noqa: E402

from .common import Table, clock_name, fmt_seconds, heading, per_run, ratio_cell  # noqa: E402

TARGET_NUMPY = 1.00
TARGET_TORCH = 0.90
SIZES = (784, 512, 256, 10)
LR = 0.01


class SGD:
    """Plain SGD with the gs.optim interface, updating in place (used when gs.optim is not installed)."""

    def __init__(self, params, lr):
        self.params, self.lr, self.t = list(params), lr, 0

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for p in self.params:
            g = p.grad
            g *= self.lr
            v = p.value
            v -= g  # in place, on the parameter's own array
        self.t += 1

    def state_dict(self):
        return {"type": "SGD", "lr": self.lr, "t": self.t, "hyper": {}, "state": [{} for _ in self.params]}

    def load_state_dict(self, d):
        self.lr, self.t = d["lr"], d["t"]


def make_sgd(params, lr):
    try:
        from graphscope.optim import SGD as RealSGD
    except ImportError:
        return SGD(params, lr)
    return RealSGD(params, lr)


def initial_weights(rng):
    ws = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        ws.append((rng.normal(size=(n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(np.float32))
        ws.append(np.zeros(n_out, dtype=np.float32))
    return ws


# ---------------------------------------------------------------- (a) gs.Trainer

def graphscope_trainer(weights, x, y, batch, shuffle=True):
    params = [gs.param(w.copy(), name=f"p{i}") for i, w in enumerate(weights)]
    h = gs.tensor(x[:batch], name="x")
    for k in range(3):
        with gs.scope(f"fc{k + 1}"):
            h = h @ params[2 * k] + params[2 * k + 1]
            if k < 2:
                h = gs.relu(h)
    h.name = "scores"
    loss = gs.softmax_cross_entropy(h, y[:batch])
    trainer = gs.Trainer(loss, make_sgd(params, LR), batch_size=batch, epochs=1, seed=0,
                         shuffle=shuffle, progress=False)

    def epoch(xs, ys):
        trainer.epochs = trainer.epoch + 1  # one more epoch, with the next shuffle
        trainer.fit(xs, ys)
    epoch.trainer = trainer  # for the profile (bench_trainer_profile.py)
    return epoch, lambda: [p.value for p in params]


# ---------------------------------------------------------------- (b) numpy by hand

def batch_order(shuffle, seed=0):
    """order(n): a fresh seeded permutation per epoch (as gs.Trainer draws it), or 0..n-1."""
    rng = np.random.default_rng(seed)
    return rng.permutation if shuffle else np.arange


def epoch_of(step, batch, shuffle):
    """epoch(xs, ys): `step` on each mini-batch of one epoch, in gs.Trainer's order."""
    order_of = batch_order(shuffle)

    def epoch(xs, ys):
        order = order_of(len(xs))
        for i in range(0, len(xs), batch):
            idx = order[i:i + batch]
            step(xs[idx], ys[idx])
    return epoch


def numpy_by_hand(weights, batch, shuffle=True):
    W1, b1, W2, b2, W3, b3 = [w.copy() for w in weights]

    def step(X, y):
        nonlocal W1, b1, W2, b2, W3, b3
        h1 = np.maximum(0, X @ W1 + b1)
        h2 = np.maximum(0, h1 @ W2 + b2)
        scores = h2 @ W3 + b3
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        n = X.shape[0]
        loss = -np.log(probs[np.arange(n), y]).mean()
        dscores = probs
        dscores[np.arange(n), y] -= 1
        dscores /= n
        dW3 = h2.T @ dscores
        db3 = dscores.sum(axis=0)
        dh2 = dscores @ W3.T
        dh2[h2 <= 0] = 0
        dW2 = h1.T @ dh2
        db2 = dh2.sum(axis=0)
        dh1 = dh2 @ W2.T
        dh1[h1 <= 0] = 0
        dW1 = X.T @ dh1
        db1 = dh1.sum(axis=0)
        W1 -= LR * dW1
        b1 -= LR * db1
        W2 -= LR * dW2
        b2 -= LR * db2
        W3 -= LR * dW3
        b3 -= LR * db3
        return loss

    return epoch_of(step, batch, shuffle), lambda: [W1, b1, W2, b2, W3, b3]


# ---------------------------------------------------------------- (d) the products alone

def products_only(weights, batch, shuffle=True):
    """The forward and backward matrix products of (b), on the same batches, and nothing else."""
    W1, _, W2, _, W3, _ = weights

    def step(X, y):
        h1 = X @ W1
        h2 = h1 @ W2
        scores = h2 @ W3  # stands in for the scores' gradient: the same shape
        dh2 = scores @ W3.T
        dh1 = dh2 @ W2.T
        return h2.T @ scores, h1.T @ dh2, X.T @ dh1

    return epoch_of(step, batch, shuffle), lambda: weights


# ---------------------------------------------------------------- (c) PyTorch eager

def torch_eager(torch, weights, batch, shuffle=True):
    layers = [torch.nn.Linear(a, b) for a, b in zip(SIZES[:-1], SIZES[1:])]
    with torch.no_grad():
        for k, layer in enumerate(layers):
            layer.weight.copy_(torch.from_numpy(weights[2 * k].T.copy()))
            layer.bias.copy_(torch.from_numpy(weights[2 * k + 1]))
    model = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1], torch.nn.ReLU(), layers[2])
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    lossf = torch.nn.CrossEntropyLoss()

    def step(X, y):
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(torch.from_numpy(X)), torch.from_numpy(y))
        loss.backward()
        opt.step()
        return loss

    def weights_now():
        out = []
        for layer in layers:
            out += [layer.weight.detach().numpy().T, layer.bias.detach().numpy()]
        return out
    return epoch_of(step, batch, shuffle), weights_now


def load_torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


# ---------------------------------------------------------------- checks and measurements

def peak_memory(run_steps):
    """Peak bytes numpy allocated while `run_steps()` ran (above what was held before)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run_steps()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def measure(x, y, batch, rounds, torch):
    weights = initial_weights(np.random.default_rng(1))
    # the same order of batches in every variant: (a) shuffles with seed 0 like the others
    a_epoch, _ = graphscope_trainer(weights, x, y, batch)
    b_epoch, _ = numpy_by_hand(weights, batch)
    runs = {"a": a_epoch, "b": b_epoch}
    if torch is not None:
        c_epoch, _ = torch_eager(torch, weights, batch)
        runs["c"] = c_epoch
    runs["d"] = products_only(weights, batch)[0]
    times = {k: [] for k in runs}
    for r in range(rounds):
        for k, fn in runs.items():
            times[k].append(per_run(lambda: fn(x, y), repeat=1, warmup=0).median)
    few_x, few_y = x[:8 * batch], y[:8 * batch]
    mem_a = peak_memory(lambda: a_epoch(few_x, few_y))
    mem_b = peak_memory(lambda: b_epoch(few_x, few_y))
    return {k: np.array(v) for k, v in times.items()}, mem_a, mem_b


def verify(x, y, batch, torch):
    """(a), (b) and (c) agree after three SGD steps on the same batches, fed in order."""
    weights = initial_weights(np.random.default_rng(1))
    xs, ys = x[:3 * batch], y[:3 * batch]
    variants = {"(a) gs.Trainer": graphscope_trainer(weights, x, y, batch, shuffle=False),
                "(b) numpy": numpy_by_hand(weights, batch, shuffle=False)}
    if torch is not None:
        variants["(c) torch"] = torch_eager(torch, weights, batch, shuffle=False)
    finals = {}
    for name, (epoch, weights_now) in variants.items():
        epoch(xs, ys)
        finals[name] = [np.array(w) for w in weights_now()]
    ref = finals.pop("(a) gs.Trainer")
    for name, ws in finals.items():
        for w, r in zip(ws, ref):
            np.testing.assert_allclose(w, r, rtol=1e-3, atol=1e-5, err_msg=f"{name} differs from (a) gs.Trainer")


def numpy_blas_threads():
    """'openblas: 1 thread', as the BLAS library numpy loaded says (threadpoolctl), else the variable pinning it."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}"
    pools = [f"{p['internal_api']}: {p['num_threads']} thread{'s' if p['num_threads'] != 1 else ''}"
             for p in threadpool_info() if p.get("user_api") == "blas"]
    return ", ".join(pools) or "unknown"


def main(quick=False):
    torch = load_torch()
    n = 2_000 if quick else 60_000
    rounds = 1 if quick else 5
    batches = (128, 32)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=n).astype(np.int64)
    heading(f"trainer: one epoch of a {'-'.join(map(str, SIZES))} ReLU MLP, softmax loss, SGD, "
            f"{n:,} float32 examples")
    if torch is None:
        print("(c) PyTorch is not installed: pip install torch==2.13.0 for that baseline")
    table = Table(["batch", "(a) gs.Trainer", "(b) numpy", "(c) torch", "(d) floor", "(a)/(b)", "(a)/(c)",
                   "(d)/(c)", "peak mem (a)", "peak mem (b)"])
    verdicts = []
    for batch in batches:
        verify(x, y, batch, torch)
        t, mem_a, mem_b = measure(x, y, batch, rounds, torch)
        ab = float(np.median(t["a"] / t["b"]))
        ac = float(np.median(t["a"] / t["c"])) if "c" in t else None
        dc = float(np.median(t["d"] / t["c"])) if "c" in t else None
        table.add(batch, fmt_seconds(float(t["a"].min())), fmt_seconds(float(t["b"].min())),
                  fmt_seconds(float(t["c"].min())) if "c" in t else "n/a", fmt_seconds(float(t["d"].min())),
                  ratio_cell(ab, TARGET_NUMPY), ratio_cell(ac, TARGET_TORCH),
                  "n/a" if dc is None else f"{dc:.2f}x", f"{mem_a / 2**20:.1f} MiB", f"{mem_b / 2**20:.1f} MiB")
        verdicts.append((batch, ab, ac))
    print(table.render())
    print()
    print(f"times: the best epoch of {rounds} rounds, the three variants alternating epoch by epoch "
          f"({clock_name()} clock);")
    print("ratios: the median over rounds of the per-round ratio, which cancels load from other programs.")
    print("(d) floor: the batch gathers and the six matrix products alone; (d)/(c) is the lowest (a)/(c) numpy "
          "code making these products can reach.")
    print("before timing, (a), (b) and (c) were checked to give the same weights after three SGD steps.")
    print("peak mem: the most memory numpy held above the data during 8 steps (tracemalloc).")
    print("threads: numpy's BLAS " + numpy_blas_threads() + ("" if _BLAS_PINNED else
                                                               " (numpy was imported first: run in its own process to pin 1)")
          + (f"; torch {torch.get_num_threads()}" if torch is not None else ""))
    for batch, ab, ac in verdicts:
        print(f"targets at batch {batch}: (a)/(b) {ratio_cell(ab, TARGET_NUMPY)}; (a)/(c) {ratio_cell(ac, TARGET_TORCH)}")


if __name__ == "__main__":
    main()
