"""Gradient-check cost: the per-node check of a 784x512 matmul and of a whole MLP, and gradcheck.

The model is bench_replay's 784-512-256-10 MLP on a batch of 128 (float32;
the checks work on float64 copies). Each check samples at most 20 entries
per input. The baseline is one forward+backward step of the same model, so
the ratios read as "the check costs this many training steps".

Target: the per-node check of the 784x512 matmul well under a second
(<= 0.5 s here). BLAS runs on one thread, for the reason bench_replay gives.
"""
import os
import sys

if "numpy" not in sys.modules:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

import graphscope as gs  # noqa: E402

from .bench_replay import forward, make_model  # noqa: E402
from .common import Table, fmt_seconds, heading, per_run, ratio, ratio_cell  # noqa: E402

TARGET_SECONDS = 0.5


def main(quick=False):
    sizes = (784, 512, 256, 10) if not quick else (64, 32, 16, 10)
    batch = 128 if not quick else 16
    repeat = 5 if not quick else 1
    heading(f"gradient checks on an MLP {'-'.join(map(str, sizes))}, batch {batch}, float32 graph, "
            f"<= 20 entries per input")
    rng = np.random.default_rng(0)
    params = make_model(rng, sizes, np.float32)
    X = gs.tensor(rng.normal(size=(batch, sizes[0])).astype(np.float32), name="X")
    labels = rng.integers(0, sizes[-1], size=batch)
    loss = forward(X, labels, params)
    graph = loss.graph()
    first_matmul = next(n for n in graph if n.op == "matmul")

    def step():
        graph.zero_grad()
        graph.run()
        graph.backward()

    base = per_run(step, repeat=repeat).median
    node = per_run(lambda: gs.check_node(first_matmul), repeat=repeat).median
    nodes = per_run(lambda: gs.check_nodes(graph), repeat=max(1, repeat // 2)).median
    whole = per_run(lambda: gs.gradcheck(graph), repeat=max(1, repeat // 2)).median
    assert gs.check_node(first_matmul).ok and gs.check_nodes(graph).ok and gs.gradcheck(graph).ok

    table = Table(["what", "time", "in training steps"])
    table.add("one forward+backward step (baseline)", fmt_seconds(base), "1.00x")
    table.add(f"check_node: matmul {first_matmul.inputs[0].shape} @ {first_matmul.inputs[1].shape}",
              fmt_seconds(node), ratio_cell(ratio(node, base)))
    table.add(f"check_nodes: all {len(graph.ops)} op nodes", fmt_seconds(nodes), ratio_cell(ratio(nodes, base)))
    table.add(f"gradcheck: {len(graph.params)} parameters", fmt_seconds(whole), ratio_cell(ratio(whole, base)))
    print(table.render())
    print()
    print(f"target: check_node of the matmul <= {TARGET_SECONDS} s: "
          f"{'met' if node <= TARGET_SECONDS else 'MISSED'} ({fmt_seconds(node)})")


if __name__ == "__main__":
    main()
