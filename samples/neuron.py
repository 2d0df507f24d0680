"""The lecture's single neuron: f = sigmoid(w . x + b) with w = [2, -3], x = [-1, -2], b = -3.

w . x + b = 1 and s = sigmoid(1) = 0.731. The sigmoid's local gradient is
ds/da = s (1 - s) = 0.197, so by hand

    df/dw = s (1 - s) x,   df/dx = s (1 - s) w,   df/db = s (1 - s).

The same neuron built from the primitive gates of the lecture's circuit
(*, +, *-1, exp, +1, 1/x) gives the same gradients, one gate at a time.

    python samples/neuron.py               # recorded against hand-derived gradients
    graphscope demo samples/neuron.py      # the sigmoid as one node
    graphscope export samples/neuron.py -o neuron.svg
    graphscope export samples/neuron.py:build_gates -o gates.svg   # the circuit of gates
"""
from _cli import parse_args

import numpy as np

import graphscope as gs
from graphscope.engine.formatting import format_table

W, X, B = [2.0, -3.0], [-1.0, -2.0], -3.0


def _inputs(w, x, b):
    w = gs.param(np.array(w, dtype=np.float64), name="w")
    x = gs.tensor(np.array(x, dtype=np.float64), requires_grad=True, name="x")
    b = gs.param(float(b), name="b")
    return w, x, b


def build(w=W, x=X, b=B):
    """f = sigmoid(w @ x + b): the neuron with the sigmoid as one op."""
    w, x, b = _inputs(w, x, b)
    dot = w @ x
    dot.name = "dot"
    a = dot + b
    a.name = "a"
    f = gs.sigmoid(a)
    f.name = "f"
    return f


def build_gates(w=W, x=X, b=B):
    """The same neuron as the lecture's circuit of primitive gates: 1 / (1 + exp(-(w0 x0 + w1 x1 + b)))."""
    w, x, b = _inputs(w, x, b)
    a = w[0] * x[0] + w[1] * x[1] + b
    a.name = "a"
    f = 1.0 / (1.0 + gs.exp(-a))
    f.name = "f"
    return f


def hand_derived(w=W, x=X, b=B):
    """The gradients by hand, from s = sigmoid(w . x + b) and ds/da = s (1 - s)."""
    w, x = np.array(w), np.array(x)
    s = 1.0 / (1.0 + np.exp(-(w @ x + b)))
    local = s * (1.0 - s)
    return {"w": local * x, "x": local * w, "b": local}


def gradients(f):
    """Run backward from f (afresh) and return the gradients of w, x and b."""
    graph = f.graph()
    graph.zero_grad()
    graph.backward()
    return {n.name: np.asarray(n.grad, dtype=np.float64) for n in graph.leaves}


def _numbers(v):
    """[-0.1966, -0.3932]: a short rendering of a gradient or input."""
    v = np.asarray(v, dtype=np.float64)
    return f"{v:.4g}" if v.ndim == 0 else "[" + ", ".join(f"{e:.4g}" for e in v) + "]"


def main(argv=None):
    parse_args(__file__, __doc__, argv)
    f, circuit = build(), build_gates()
    s = f.item()
    a = f.graph().node("a").item()
    print(f"f = sigmoid(w . x + b), w = {_numbers(W)}, x = {_numbers(X)}, b = {B:g}: w . x + b = {a:g}, "
          f"f = {s:.4f}, local gradient s (1 - s) = {s * (1 - s):.4f}")
    print(f"the sigmoid as one node: {len(f.graph())} nodes; as the lecture's gate circuit: "
          f"{len(circuit.graph())} nodes\n")
    by_hand, one_node, gates = hand_derived(), gradients(f), gradients(circuit)
    formulas = {"w": "s (1 - s) x", "x": "s (1 - s) w", "b": "s (1 - s)"}
    rows, ok = [], True
    for name, formula in formulas.items():
        same = np.allclose(one_node[name], by_hand[name], rtol=1e-12) and \
            np.allclose(gates[name], by_hand[name], rtol=1e-12)
        ok &= same
        rows.append((f"df/d{name}", formula, _numbers(by_hand[name]), _numbers(one_node[name]),
                     _numbers(gates[name]), "equal" if same else "DIFFERENT"))
    print(format_table(("gradient", "by hand", "value", "sigmoid node", "gate circuit", ""), rows))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
