"""Vectorized gradients: the Jacobians of a 4096-vector graph, described and never built.

h = max(0, x) on a 4096-vector x has a 4096 x 4096 Jacobian: 16.8 million
entries, 134 MB as float64. It is diagonal (each output depends on its own
input only), so backward multiplies the upstream gradient element-wise by
its diagonal and never builds the matrix. s = W h with W 10 x 4096 has a
dense 10 x 4096 Jacobian with respect to h (it is W) and a 10 x 40960 one
with respect to W (I kron h^T), applied as two matrix products. With a
mini-batch of 100 such vectors the relu's Jacobian is 409,600 x 409,600.

    python samples/jacobians.py [--fast]   # every node's Jacobian, the small case in full, backward's memory
    graphscope demo samples/jacobians.py   # the descriptions step by step
"""
import tracemalloc

import numpy as np

import graphscope as gs
from _cli import parse_args
from graphscope.engine.formatting import format_table

N, M = 4096, 10


def build(n=N, m=M, seed=0):
    """L = sum(W relu(x)), x an n-vector, W m x n."""
    rng = np.random.default_rng(seed)
    x = gs.tensor(rng.normal(size=n), requires_grad=True, name="x")
    h = gs.relu(x)
    h.name = "h"
    W = gs.param(rng.normal(size=(m, n)) / np.sqrt(n), name="W")
    s = W @ h
    s.name = "s"
    loss = gs.sum(s)
    loss.name = "L"
    return loss


def jacobians(output):
    """(node, input, Jacobian descriptor) for every input of every op node, inputs before outputs."""
    return [(node, inp, gs.describe_jacobian(node, i))
            for node in output.graph().nodes if node.op_def is not None for i, inp in enumerate(node.inputs)]


def batched_relu_jacobian(batch=100, n=N, seed=0):
    """The Jacobian descriptor of max(0, X) for a mini-batch X of `batch` rows of n."""
    X = gs.tensor(np.random.default_rng(seed).normal(size=(batch, n)), requires_grad=True, name="X")
    return gs.describe_jacobian(gs.relu(X), 0)


def backward_peak_bytes(output):
    """The peak memory (bytes, as tracemalloc sees numpy's allocations) of one backward pass."""
    output.graph().zero_grad()
    tracemalloc.start()
    try:
        output.backward()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _bytes_text(n_bytes):
    """'134.2 MB', '1.3 TB': a byte count in the largest unit that keeps it at 1 or more."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= size:
            return f"{n_bytes / size:,.1f} {unit}"
    return f"{n_bytes:,.0f} B"


def _matrix(m):
    return "\n".join("    " + " ".join(f"{v:6.2f}" for v in row) for row in m)


def main(argv=None):
    parse_args(__file__, __doc__, argv)
    loss = build()
    rows = [(f"d{node.name}/d{inp.name}", node.op, f"{j.shape[0]} x {j.shape[1]}", f"{j.entries:,}",
             _bytes_text(8 * j.entries), j.structure, j.formula) for node, inp, j in jacobians(loss)]
    print(f"L = sum(W relu(x)), x a {N}-vector, W {M} x {N}: each local Jacobian, described, none built")
    print(format_table(("Jacobian", "op", "full shape", "entries", "as float64", "structure", "formula"), rows))
    relu_jacobian = jacobians(loss)[0][2]
    print(f"\nthe element-wise max(0, x) on a {N}-vector: a {relu_jacobian.shape[0]} x {relu_jacobian.shape[1]} "
          f"{relu_jacobian.structure} Jacobian; only its {N:,} diagonal entries matter")
    batched = batched_relu_jacobian()
    print(f"with a mini-batch of 100 such vectors: {batched.shape[0]:,} x {batched.shape[1]:,} "
          f"({_bytes_text(8 * batched.entries)} as float64), still {batched.structure}")
    peak = backward_peak_bytes(loss)
    print(f"backward's peak memory: {_bytes_text(peak)} (building the dense Jacobians would take "
          f"{_bytes_text(8 * sum(j.entries for _, _, j in jacobians(loss)))})")

    small = build(n=4, m=2, seed=1)
    print("\nthe same graph with a 4-vector and W 2 x 4, its Jacobians in full (row: output entry, "
          "column: input entry):")
    for node, inp, j in jacobians(small):
        print(f"  d{node.name}/d{inp.name}: {j.describe()}")
        print(_matrix(j.matrix()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
