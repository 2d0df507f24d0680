"""The lecture's first graph: f(x, y, z) = (x + y) * z, with x=-2, y=5, z=-4."""
import graphscope as gs


def build():
    x = gs.tensor(-2.0, requires_grad=True, name="x")
    y = gs.tensor(5.0, requires_grad=True, name="y")
    z = gs.tensor(-4.0, requires_grad=True, name="z")
    q = x + y
    q.name = "q"
    f = q * z
    f.name = "f"
    return f
