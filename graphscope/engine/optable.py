"""The op table: every op is one class with forward, vjp and jacobian side by side.

An op is registered once (``@register``) and read from here by the engine, the
gradient checker, the stepper, the exporters and the op-by-op tests.

Contract of an op class:

- ``name``: the op's name in graphs, pictures and files.
- ``forward(*xs, **attrs) -> value``: numpy (or plain Python float) inputs.
- ``scalar_forward(*xs, **attrs)`` (optional): the same on Python floats,
  used on the lean scalar path when every input is a Python float.
- ``scalar_vjp(g, *xs, value)`` (optional, ops without attributes): the VJP specialized to
  Python floats (no broadcasting to undo), used when the node's value and
  every input are floats. Tests check it against ``vjp``.
- ``vjp(g, *xs, value, **attrs) -> tuple``: one gradient per input, each
  shaped like that input (``None`` where the input gets no gradient), computed
  without ever building the Jacobian.
- ``jacobian(i, *xs, value, **attrs) -> JacobianInfo``: the structure and a
  one-line formula of d(out)/d(input i). Shapes and the explicit matrix are
  derived from forward/vjp (see ``graphscope.engine.jacobian``).
- ``check(*xs, **attrs) -> str | None`` (optional): a readable reason the
  inputs do not fit, asked for when forward raised (so the common case pays
  nothing). An op whose numpy forward would silently accept bad inputs
  (e.g. negative labels, which numpy indexing wraps around) validates them
  in forward itself with ``raise ValueError(self.check(...))``.
- ``differentiable`` (optional tuple of bools): which inputs can get gradients.
"""
import math
from dataclasses import dataclass

import numpy as np

OPS = {}

#: Structures a Jacobian can have, from cheapest to most general.
STRUCTURES = (
    "scalar", "identity", "diagonal", "broadcast", "reduce", "permutation",
    "gather", "scatter", "matmul", "block-diagonal", "dense", "zero",
)


@dataclass(frozen=True)
class JacobianInfo:
    """What an op says about one of its Jacobians: structure and formula."""

    structure: str
    formula: str


class Op:
    """Base class of ops. Subclasses fill in the contract described in the module doc."""

    name = ""
    scalar_forward = None
    scalar_vjp = None
    differentiable = None
    wants_needs = False

    def forward(self, *xs, **attrs):
        raise NotImplementedError

    def vjp(self, g, *xs, value, **attrs):
        raise NotImplementedError

    def jacobian(self, i, *xs, value, **attrs):
        return JacobianInfo("dense", f"d {self.name} / d input {i}")

    def check(self, *xs, **attrs):
        return None

    def __repr__(self):
        return f"<op {self.name}>"


def register(cls):
    """Class decorator: instantiate the op and put it in the table under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"op class {cls.__name__} has no name")
    if cls.name in OPS and type(OPS[cls.name]) is not cls:
        raise ValueError(f"an op named {cls.name!r} is already registered ({type(OPS[cls.name]).__name__})")
    OPS[cls.name] = cls()
    return cls


def get_op(name):
    """The op registered under `name` (KeyError naming the known ops otherwise)."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"unknown op {name!r}; known ops: {', '.join(sorted(OPS))}") from None


# ---------------------------------------------------------------- helpers for op code

def shape_of(x):
    """Shape of a raw value: () for a Python float."""
    return () if x.__class__ is float else x.shape


def size_of(x):
    return 1 if x.__class__ is float else x.size


def reduce_to(g, x):
    """Sum a broadcast gradient `g` back to the shape of input value `x`."""
    if x.__class__ is float:
        if g.__class__ is float:
            return g
        return float(np.sum(g))
    shape = x.shape
    g = np.asarray(g)
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def safe_div(a, b):
    """a / b that gives inf/nan on division by zero for Python floats too, as numpy does."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def safe_pow(a, p):
    """a ** p with numpy's answers (inf, nan) where Python floats raise or go complex."""
    try:
        r = a ** p
    except ZeroDivisionError:
        return math.inf
    except OverflowError:
        return math.inf
    if r.__class__ is complex:
        return math.nan
    return r


def elementwise_jacobian(x, formula):
    """Jacobian info for an element-wise function of a single input."""
    return JacobianInfo("scalar" if size_of(x) == 1 else "diagonal", formula)


def broadcast_jacobian(x, value, formula):
    """Element-wise binary op, wrt input x: diagonal, or broadcast when x was broadcast."""
    if size_of(value) == 1:
        return JacobianInfo("scalar", formula)
    if shape_of(x) == shape_of(value):
        return JacobianInfo("diagonal", formula)
    return JacobianInfo("broadcast", formula + f"  (x broadcast {shape_of(x)} -> {shape_of(value)}: VJP sums over the broadcast axes)")
