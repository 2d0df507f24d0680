"""Gradient checking: the analytic gradient against the numerical one, and a wrong backward caught at its node.

The lecture's rule: always use the analytic gradient, but check it against
the numerical one (centred differences (f(x + h) - f(x - h)) / 2h). Here:

0. the lecture's centred difference by hand for one weight, at step sizes h
   from 1e-1 to 1e-12: the error falls with h (less truncation) until
   rounding takes over;
1. a small net, X -> softplus(X W1 + b1) -> W2 + b2 -> softmax loss + L2,
   with softplus_right, a custom op whose VJP is right: gs.gradcheck agrees
   with the finite differences to better than 1e-6 (relative);
2. the same net with softplus_wrong, whose VJP has a sign error (sigmoid(-x)
   for sigmoid(x)): gs.gradcheck says the gradients of W1 and b1 are wrong
   (W2 and b2 are still right: the bug sits below them), and the per-node
   check, gs.check_nodes, names the node to blame.

    python samples/gradient_check.py [--fast]
    graphscope check samples/gradient_check.py     # the correct net: passes
    graphscope check samples/wrong_backward.py     # a wrong VJP caught from the command line
"""
import numpy as np

import graphscope as gs
from _cli import parse_args
from graphscope.engine.formatting import format_table

REG = 1e-3
#: Step sizes h for the numerical gradient: too large truncates, too small rounds.
STEPS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12)


def _softplus(x):
    """log(1 + e^x), element-wise, without overflow."""
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _softplus_jacobian(i, x, value):
    return gs.JacobianInfo("diagonal", "d softplus(x)/dx = diag(sigmoid(x))")


def _softplus_vjp(g, x, value):
    return (g * _sigmoid(x),)


def _softplus_vjp_sign_error(g, x, value):
    return (g * _sigmoid(-x),)  # wrong: d softplus/dx = sigmoid(x), not sigmoid(-x)


softplus_right = gs.custom_op(_softplus, name="softplus_right", vjp=_softplus_vjp, jacobian=_softplus_jacobian)
softplus_wrong = gs.custom_op(_softplus, name="softplus_wrong", vjp=_softplus_vjp_sign_error,
                              jacobian=_softplus_jacobian)
ACTIVATIONS = {"softplus_right": softplus_right, "softplus_wrong": softplus_wrong}


def build(activation="softplus_right", seed=0):
    """The small net's loss, with the right softplus (default) or softplus_wrong."""
    rng = np.random.default_rng(seed)
    X = gs.tensor(rng.normal(size=(8, 5)), name="X")
    labels = rng.integers(0, 3, size=8)
    with gs.scope("fc1"):
        W1 = gs.param(rng.normal(size=(5, 6)) / np.sqrt(5), name="W1")
        b1 = gs.param(0.1 * rng.normal(size=6), name="b1")
        h = ACTIVATIONS[activation](X @ W1 + b1)
        h.name = "h"
    with gs.scope("fc2"):
        W2 = gs.param(rng.normal(size=(6, 3)) / np.sqrt(6), name="W2")
        b2 = gs.param(np.zeros(3), name="b2")
        scores = h @ W2 + b2
        scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, labels) + REG * (gs.l2(W1) + gs.l2(W2))
    loss.name = "loss"
    return loss


def check(activation, fast=False):
    """gs.gradcheck of the net with that activation (backward run first); a GradcheckReport."""
    loss = build(activation)
    loss.backward()
    return gs.gradcheck(loss, max_coords=6 if fast else 30)


def centred_difference(loss, leaf, index, h):
    """The lecture's numerical gradient of one entry, (L(w + h) - L(w - h)) / 2h, by replaying the graph."""
    graph = loss.graph()
    node = graph.node(leaf)
    original = np.array(node.value)
    try:
        values = []
        for step in (h, -h):
            nudged = original.copy()
            nudged[index] += step
            values.append(graph.run({node: nudged}))
        return (values[0] - values[1]) / (2 * h)
    finally:
        graph.run({node: original})


def step_size_errors(leaf="W1", index=(0, 0), steps=STEPS):
    """(h, numerical, relative error against the analytic gradient) for each step size h."""
    loss = build()
    loss.backward()
    analytic = float(loss.graph().node(leaf).grad[index])
    rows = []
    for h in steps:
        numerical = centred_difference(loss, leaf, index, h)
        rows.append((h, numerical, abs(analytic - numerical) / max(abs(analytic), abs(numerical))))
    return analytic, rows


def entries_table(report):
    """One row per leaf: its worst sampled entry, analytic next to numerical."""
    rows = []
    for leaf in report.leaves:
        for e in leaf.worst[:1]:
            rows.append((leaf.name, str(list(e.index)), f"{e.analytic:+.8f}", f"{e.numerical:+.8f}",
                         f"{e.rel_err:.1e}", "ok" if e.ok else "WRONG"))
    return format_table(("leaf", "entry", "analytic", "numerical", "relative error", ""), rows)


def main(argv=None):
    fast = parse_args(__file__, __doc__, argv, fast="gs.gradcheck samples 6 entries per leaf instead of 30").fast
    print("relative error |a - n| / max(|a|, |n|): above 1e-2 the gradient is probably wrong; "
          "1e-7 and less, happy\n")
    analytic, rows = step_size_errors()
    print(f"0. the numerical gradient by hand, (L(w + h) - L(w - h)) / 2h, of W1[0, 0] "
          f"(analytic {analytic:+.10f}): large h truncates, small h rounds")
    print(format_table(("h", "numerical", "relative error"),
                       [(f"{h:.0e}", f"{n:+.10f}", f"{e:.1e}") for h, n, e in rows]))
    best = min(rows, key=lambda row: row[2])
    print(f"best near h = {best[0]:.0e}; gs.gradcheck uses h = 1e-6 x max(1, |x|) in float64\n")
    right = check("softplus_right", fast)
    print("1. the net with a right softplus VJP: the worst sampled entry of each leaf")
    print(entries_table(right))
    print(right.summary() + "\n")

    wrong = check("softplus_wrong", fast)
    print("2. the same net with softplus_wrong (its VJP uses sigmoid(-x)): the worst entry of each leaf")
    print(entries_table(wrong))
    print("\nthe per-node check: each op's VJP against finite differences of its own forward")
    print(wrong.nodes.table())
    first = wrong.nodes.first_failure
    print(f"\ncaught at its node: {first.node.name} (op {first.node.op}) in scope {first.node.scope}, "
          f"max relative error {first.max_rel:.2g}; the leaves with wrong gradients: "
          f"{', '.join(leaf.name for leaf in wrong.leaves if not leaf.ok)}")
    return 0 if right.ok and first is not None and first.node.op == "softplus_wrong" else 1


if __name__ == "__main__":
    raise SystemExit(main())
