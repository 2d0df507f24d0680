"""The chain rule on the lecture's first graph: f(x, y, z) = (x + y) z at x = -2, y = 5, z = -4.

Forward: q = x + y = 3, f = q z = -12. Backward, one node at a time, each
gradient is upstream x local:

    df/dz = q = x + y = 3
    df/dq = z = -4
    df/dx = df/dq * dq/dx = z * 1 = -4    (and df/dy likewise)

    python samples/chain_rule.py            # the walk, then the gradients against these formulas
    graphscope demo samples/chain_rule.py   # the same walk, step by step
    graphscope export samples/chain_rule.py --step 6 -o step6.svg
"""
from _cli import parse_args

import graphscope as gs
from graphscope.stepper import explain

X, Y, Z = -2.0, 5.0, -4.0


def build(x=X, y=Y, z=Z):
    """f = (x + y) * z, with q = x + y named, every input requiring a gradient."""
    x = gs.tensor(x, requires_grad=True, name="x")
    y = gs.tensor(y, requires_grad=True, name="y")
    z = gs.tensor(z, requires_grad=True, name="z")
    q = x + y
    q.name = "q"
    f = q * z
    f.name = "f"
    return f


def hand_derived(x=X, y=Y, z=Z):
    """The gradients by hand: df/dx = z, df/dy = z, df/dz = x + y, with the formula of each."""
    return {"x": (z, "z"), "y": (z, "z"), "z": (x + y, "x + y")}


def gradients(f):
    """Run backward from f (afresh) and return each leaf's recorded gradient by name."""
    graph = f.graph()
    graph.zero_grad()
    graph.backward()
    return {n.name: float(n.grad) for n in graph.leaves}


def main(argv=None):
    parse_args(__file__, __doc__, argv)
    f = build()
    stepper = gs.Stepper(f)
    print(f"f(x, y, z) = (x + y) z at x = {X:g}, y = {Y:g}, z = {Z:g}")
    print("forward:  " + ";  ".join(f"{explain.call(e.node)} = {e.value:g}"
                                   for e in stepper.events[:stepper.n_forward] if e.node.op_def is not None))
    print("backward: at each op node, for each input, contribution = upstream x local")
    for event in stepper.events[stepper.n_forward:]:
        if event.node.op_def is not None:
            print("\n".join(explain.lines(event, f)))
    recorded = gradients(f)
    print("\nthe recorded gradients against the hand-derived ones:")
    ok = True
    for name, (value, formula) in hand_derived().items():
        same = recorded[name] == value
        ok &= same
        print(f"  df/d{name} = {formula:<5} = {value:>2g}   recorded {recorded[name]:g}   "
              f"{'equal' if same else 'DIFFERENT'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
