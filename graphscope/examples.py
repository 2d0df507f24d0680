"""Small graphs built in: the lecture's examples, for the demo, the docs and the tests.

Each builder records a fresh graph and returns its output tensor.
"""
from . import engine as gs


def lecture_example():
    """The lecture's first graph: f = (x + y) * z at x = -2, y = 5, z = -4 (q = x + y = 3, f = -12)."""
    x = gs.tensor(-2.0, requires_grad=True, name="x")
    y = gs.tensor(5.0, requires_grad=True, name="y")
    z = gs.tensor(-4.0, requires_grad=True, name="z")
    q = x + y
    q.name = "q"
    f = q * z
    f.name = "f"
    return f
