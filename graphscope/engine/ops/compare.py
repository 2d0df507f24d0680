"""Comparisons and logic: ``== != < <= > >=``, ``& | ~``, ``gs.isnan``, ``gs.isfinite``; recorded boolean masks.

Each is an op like any other, so a mask made from a tensor (``x > 0``) is a
node of the graph: ``graph.run`` on new inputs, the trainer's batches, the
stepper, the pictures and graph files all recompute it, and ``gs.where``
takes it as a recorded input. Their values are boolean (numpy bool arrays; a
0-d result is a 0-d bool array, so ``if x > 0:`` works on the scalar path).

They are piecewise constant: the Jacobian is zero almost everywhere, so
their VJP gives no gradient (None) and their output never requires one.

A comparison whose truth decided Python control flow (``if x > 0:`` calls
``bool()`` on it) remembers the answer (attribute ``decided``): a replay
that computes the other answer refuses (``StaleBranchError``) rather than
running the branch that was recorded for other values. When the comparison
is not itself in a graph (nothing but the ``if`` used it), the graph holds a
copy of it as a guard node (``graphscope.engine.guards``).
"""
import math

import numpy as np

from ..arguments import flag
from ..errors import StaleBranchError
from ..optable import JacobianInfo, Op, register, shape_of

_TRUE = np.array(True)
_FALSE = np.array(False)
_TRUE.flags.writeable = False
_FALSE.flags.writeable = False
PIECEWISE_CONSTANT = "zero almost everywhere (piecewise constant)"


def _check_decided(op, value, decided):
    if decided is not None and bool(value) != decided:
        raise StaleBranchError(
            f"{op.name}: this comparison was {decided} when the graph was recorded, and that answer chose a Python "
            f"branch (an `if` or `while` on it); on the new values it is {bool(value)}, so the recorded graph is "
            f"not what the code would compute: build the graph again for these values, or write the choice as "
            f"gs.where(condition, a, b), which replays")
    return value


class _Predicate(Op):
    """A boolean-valued op: no gradient flows through it (its Jacobian is zero almost everywhere)."""

    symbol = ""
    boolean = True

    def vjp(self, g, *xs, value, **attrs):
        return (None,) * len(xs)

    def jacobian(self, i, *xs, value, **attrs):
        expression = f"{{0}} {self.symbol} {{1}}" if len(xs) == 2 else f"{self.name}({{0}})"
        return JacobianInfo("zero", f"d({expression})/d{{{i}}}: {PIECEWISE_CONSTANT}")

    def input_problem(self, *xs, **attrs):
        try:
            np.broadcast_shapes(*(shape_of(x) for x in xs))
        except ValueError:
            return f"shapes {' and '.join(str(shape_of(x)) for x in xs)} do not broadcast together"
        return None


class _BinaryPredicate(_Predicate):
    """a OP b, element-wise with numpy broadcasting: ``numpy_function`` on arrays, ``scalar`` on Python floats."""

    differentiable = (False, False)
    numpy_function = scalar = None

    def forward(self, a, b, *, decided=None):
        return _check_decided(self, self.numpy_function(a, b), decided)

    def scalar_forward(self, a, b, *, decided=None):
        return _check_decided(self, _TRUE if self.scalar(a, b) else _FALSE, decided)


class _UnaryPredicate(_Predicate):
    """A mask computed from one tensor, element-wise."""

    differentiable = (False,)
    numpy_function = scalar = None

    def forward(self, x, *, decided=None):
        return _check_decided(self, self.numpy_function(x), decided)

    def scalar_forward(self, x, *, decided=None):
        return _check_decided(self, _TRUE if self.scalar(x) else _FALSE, decided)


def _define(base, name, symbol, numpy_function, scalar, doc, **extra):
    """Register one predicate op: a row of this module's table."""
    cls = type("".join(w.capitalize() for w in name.split("_")), (base,), {
        "__doc__": doc, "name": name, "function": name, "symbol": symbol, "__module__": __name__,
        "numpy_function": staticmethod(numpy_function), "scalar": staticmethod(scalar), **extra})
    register(cls)
    globals()[cls.__name__] = cls  # a module-level class, as every built-in op's
    return cls


def _truth(x):
    return np.asarray(x, dtype=bool)


# Comparisons. == and != are Tensor methods of their own (Tensor.__eq__/__ne__), so that comparing a tensor
# with something that is not a number (None, a string) answers False/True, as Python objects do.
_define(_BinaryPredicate, "equal", "a == b", np.equal, lambda a, b: a == b,
        "a == b, element-wise (a boolean mask).")
_define(_BinaryPredicate, "not_equal", "a != b", np.not_equal, lambda a, b: a != b,
        "a != b, element-wise (a boolean mask).")
_define(_BinaryPredicate, "less", "a < b", np.less, lambda a, b: a < b,
        "a < b, element-wise (a boolean mask).", operators=("__lt__",))
_define(_BinaryPredicate, "less_equal", "a <= b", np.less_equal, lambda a, b: a <= b,
        "a <= b, element-wise (a boolean mask).", operators=("__le__",))
_define(_BinaryPredicate, "greater", "a > b", np.greater, lambda a, b: a > b,
        "a > b, element-wise (a boolean mask).", operators=("__gt__",))
_define(_BinaryPredicate, "greater_equal", "a >= b", np.greater_equal, lambda a, b: a >= b,
        "a >= b, element-wise (a boolean mask).", operators=("__ge__",))

# Logic on masks (numbers count as true when nonzero).
_define(_BinaryPredicate, "logical_and", "a & b", lambda a, b: np.logical_and(_truth(a), _truth(b)),
        lambda a, b: bool(a) and bool(b), "a & b: both true, element-wise (a boolean mask).",
        operators=("__and__", "__rand__"))
_define(_BinaryPredicate, "logical_or", "a | b", lambda a, b: np.logical_or(_truth(a), _truth(b)),
        lambda a, b: bool(a) or bool(b), "a | b: either true, element-wise (a boolean mask).",
        operators=("__or__", "__ror__"))
_define(_UnaryPredicate, "logical_not", "~x", lambda x: np.logical_not(_truth(x)), lambda x: not x,
        "~x: the mask negated, element-wise (a boolean mask).", operators=("__invert__",))
_define(_UnaryPredicate, "isnan", "isnan(x)", np.isnan, lambda x: x != x,
        "Where x is NaN, element-wise (a boolean mask).", method=True)
_define(_UnaryPredicate, "isfinite", "isfinite(x)", np.isfinite, math.isfinite,
        "Where x is finite (neither NaN nor infinite), element-wise (a boolean mask).", method=True)


class _Reduction(_Predicate):
    """Whether any / every entry is true, over `axis` (None: all of them)."""

    differentiable = (False,)

    def arguments(self, x, axis=None, keepdims=False):
        return (x,), {"axis": axis if axis is None or isinstance(axis, int) else tuple(axis),
                      "keepdims": flag(keepdims, "keepdims", self.name)}

    def forward(self, x, axis=None, keepdims=False, *, decided=None):
        return _check_decided(self, self.numpy_function(_truth(x), axis=axis, keepdims=keepdims), decided)


# methods only (x.any(), x.all()): as functions they would hide Python's any/all after `from graphscope import *`
_define(_Reduction, "any", "any(x)", np.any, None, "Whether any entry is true (nonzero), over axis (None: all).",
        function=None, method="any")
_define(_Reduction, "all", "all(x)", np.all, None, "Whether every entry is true (nonzero), over axis (None: all).",
        function=None, method="all")
