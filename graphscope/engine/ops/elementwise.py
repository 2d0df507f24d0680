"""Element-wise ops: arithmetic with numpy broadcasting, and the activations.

Each has a diagonal Jacobian (or a broadcast one when an input was
broadcast), so its VJP is an element-wise product, never a matrix.
"""
import math

import numpy as np

from ..arguments import number, raw
from ..errors import InputError
from ..optable import (JacobianInfo, Op, broadcast_jacobian, elementwise_jacobian, reduce_to,
                       register, safe_div, safe_pow, shape_of)
from ..source import caller_location
from ..tensor import new_leaf
from ..values import is_tensor
from .compare import PIECEWISE_CONSTANT


_ZEROS = {}          # (shape, dtype) -> a read-only array of zeros, for relu
_ZEROS_KEPT = 16     # shapes remembered
_ZEROS_LARGEST = 1 << 22  # elements: larger arrays compare against a scalar 0


def _zeros_like(x):
    """Zeros of x's shape and dtype, made once per shape: numpy's maximum runs ~3x faster against an
    array than against the scalar 0 (same result, bit for bit)."""
    if x.size > _ZEROS_LARGEST:
        return 0
    key = (x.shape, x.dtype)
    z = _ZEROS.get(key)
    if z is None:
        if len(_ZEROS) >= _ZEROS_KEPT:
            _ZEROS.clear()
        z = _ZEROS[key] = np.zeros(x.shape, x.dtype)
        z.flags.writeable = False
    return z


def mask_constant(mask):
    """A boolean numpy mask as a constant leaf (its source line is the node's it feeds, as for any operand)."""
    return new_leaf(mask, False, None, "const", None)


def _broadcast_problem(a, b):
    try:
        np.broadcast_shapes(shape_of(a), shape_of(b))
    except ValueError:
        return f"shapes {shape_of(a)} and {shape_of(b)} do not broadcast together"
    return None


class _Binary(Op):
    """Element-wise binary op: numpy broadcasting, checked with a readable message."""

    def input_problem(self, a, b):
        return _broadcast_problem(a, b)


@register
class Add(_Binary):
    name = "add"
    operators = ("__add__", "__radd__")
    accepts_out = ("forward", "vjp")

    def forward(self, a, b, *, out=None):
        return a + b if out is None else np.add(a, b, out=out)

    scalar_forward = staticmethod(lambda a, b: a + b)

    def vjp(self, g, a, b, value, *, out=None):
        out_a, out_b = (None, None) if out is None else out
        return reduce_to(g, a, out_a), reduce_to(g, b, out_b)  # the broadcast input's sum goes into its array

    scalar_vjp = staticmethod(lambda g, a, b, value: (g, g))

    def jacobian(self, i, a, b, value):
        return broadcast_jacobian((a, b)[i], value, "d({0}+{1})/d{%d} = I" % i, i)


@register
class Sub(_Binary):
    name = "sub"
    operators = ("__sub__", "__rsub__")

    def forward(self, a, b):
        return a - b

    scalar_forward = staticmethod(lambda a, b: a - b)

    def vjp(self, g, a, b, value):
        return reduce_to(g, a), reduce_to(-g, b)

    scalar_vjp = staticmethod(lambda g, a, b, value: (g, -g))

    def jacobian(self, i, a, b, value):
        return broadcast_jacobian((a, b)[i], value, ("d({0}-{1})/d{0} = I", "d({0}-{1})/d{1} = -I")[i], i)


@register
class Mul(_Binary):
    name = "mul"
    operators = ("__mul__", "__rmul__")

    def forward(self, a, b):
        return a * b

    scalar_forward = staticmethod(lambda a, b: a * b)

    def vjp(self, g, a, b, value):
        return reduce_to(g * b, a), reduce_to(g * a, b)

    scalar_vjp = staticmethod(lambda g, a, b, value: (g * b, g * a))

    def jacobian(self, i, a, b, value):
        return broadcast_jacobian((a, b)[i], value, ("d({0}*{1})/d{0} = diag({1})", "d({0}*{1})/d{1} = diag({0})")[i],
                                  i)


@register
class Div(_Binary):
    name = "div"
    operators = ("__truediv__", "__rtruediv__")

    def forward(self, a, b):
        return a / b

    scalar_forward = staticmethod(safe_div)

    def vjp(self, g, a, b, value):
        ga = safe_div(g, b)
        return reduce_to(ga, a), reduce_to(-ga * value, b)

    def jacobian(self, i, a, b, value):
        return broadcast_jacobian((a, b)[i], value,
                                  ("d({0}/{1})/d{0} = diag(1/{1})", "d({0}/{1})/d{1} = diag(-{0}/{1}^2)")[i], i)


@register
class Pow(Op):
    """x ** p for a number p (an attribute, not an input)."""

    name = "pow"
    operators = ("__pow__",)

    def arguments(self, x, exponent):
        if is_tensor(exponent) or not isinstance(exponent, (int, float, np.number)):
            raise InputError(f"pow: the exponent must be a number, got {type(exponent).__name__} "
                             f"at {caller_location()}")
        return (x,), {"exponent": float(exponent)}

    def forward(self, x, exponent):
        return x ** exponent

    scalar_forward = staticmethod(lambda x, exponent: safe_pow(x, exponent))

    def vjp(self, g, x, value, exponent):
        if exponent == 0:
            return (g * 0.0,)
        return (g * exponent * safe_pow(x, exponent - 1),)

    def jacobian(self, i, x, value, exponent):
        return elementwise_jacobian(x, f"d({{0}}^p)/d{{0}} = diag(p {{0}}^(p-1)), p = {exponent:g}")


@register
class Neg(Op):
    name = "neg"
    operators = ("__neg__",)

    def forward(self, x):
        return -x

    scalar_forward = staticmethod(lambda x: -x)

    def vjp(self, g, x, value):
        return (-g,)

    scalar_vjp = vjp

    def jacobian(self, i, x, value):
        return elementwise_jacobian(x, "d(-{0})/d{0} = -I")


def _scalar_exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _scalar_log(x):
    if x > 0:
        return math.log(x)
    if x == 0:
        return -math.inf
    return math.nan


def _scalar_sqrt(x):
    return math.sqrt(x) if x >= 0 else math.nan


def _scalar_sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@register
class Exp(Op):
    """e**x, element-wise."""

    name = "exp"
    function = "exp"
    method = True

    def forward(self, x):
        return np.exp(x)

    scalar_forward = staticmethod(_scalar_exp)

    def vjp(self, g, x, value):
        return (g * value,)

    scalar_vjp = vjp

    def jacobian(self, i, x, value):
        return elementwise_jacobian(x, "d exp({0})/d{0} = diag(exp({0}))")


@register
class Log(Op):
    """Natural logarithm, element-wise."""

    name = "log"
    function = "log"
    method = True

    def forward(self, x):
        return np.log(x)

    scalar_forward = staticmethod(_scalar_log)

    def vjp(self, g, x, value):
        return (safe_div(g, x),)

    def jacobian(self, i, x, value):
        return elementwise_jacobian(x, "d log({0})/d{0} = diag(1/{0})")


@register
class Sqrt(Op):
    """Square root, element-wise."""

    name = "sqrt"
    function = "sqrt"
    method = True

    def forward(self, x):
        return np.sqrt(x)

    scalar_forward = staticmethod(_scalar_sqrt)

    def vjp(self, g, x, value):
        return (safe_div(g, 2.0 * value),)

    def jacobian(self, i, x, value):
        return elementwise_jacobian(x, "d sqrt({0})/d{0} = diag(1/(2 sqrt({0})))")


def _sign(x):
    """sign(x) with 0 at NaN (np.sign gives NaN there): torch's gradient of |x| at a NaN."""
    s = (x > 0).astype(x.dtype)
    s -= x < 0
    return s


@register
class Abs(Op):
    """|x|, element-wise (gradient sign(x), 0 at 0 and at NaN, as in torch)."""

    name = "abs"
    function = "abs"
    method = True
    operators = ("__abs__",)

    def forward(self, x):
        return np.abs(x)

    scalar_forward = staticmethod(abs)

    def vjp(self, g, x, value):
        return (g * _sign(np.asarray(x)),)

    scalar_vjp = staticmethod(lambda g, x, value: (g * ((x > 0) - (x < 0)),))

    def jacobian(self, i, x, value):
        return elementwise_jacobian(x, "d|{0}|/d{0} = diag(sign({0}))")


@register
class Tanh(Op):
    """Hyperbolic tangent, element-wise."""

    name = "tanh"
    function = "tanh"
    method = True

    def forward(self, x):
        return np.tanh(x)

    scalar_forward = staticmethod(math.tanh)

    def vjp(self, g, x, value):
        return (g * (1.0 - value * value),)

    scalar_vjp = vjp

    def jacobian(self, i, x, value):
        return elementwise_jacobian(x, "d tanh({0})/d{0} = diag(1 - tanh({0})^2)")


@register
class Sigmoid(Op):
    """Logistic sigmoid 1 / (1 + e**-x), element-wise."""

    name = "sigmoid"
    function = "sigmoid"
    method = True

    def forward(self, x):
        # stable for large |x|: exp never overflows
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    scalar_forward = staticmethod(_scalar_sigmoid)

    def vjp(self, g, x, value):
        return (g * value * (1.0 - value),)

    scalar_vjp = vjp

    def jacobian(self, i, x, value):
        return elementwise_jacobian(x, "d sigmoid({0})/d{0} = diag(sigmoid({0}) (1 - sigmoid({0})))")


@register
class Relu(Op):
    """max(x, 0), element-wise (gradient 0 at 0). NaN passes through with gradient 1, as in torch."""

    name = "relu"
    function = "relu"
    method = True
    accepts_out = ("forward", "vjp")

    def forward(self, x, *, out=None):
        return np.maximum(x, _zeros_like(x), out=out) if x.__class__ is np.ndarray else np.maximum(x, 0)

    scalar_forward = staticmethod(lambda x: 0.0 if x <= 0.0 else x)  # NaN <= 0 is False: a NaN stays NaN

    def vjp(self, g, x, value, *, out=None):
        # value is 0 exactly where x <= 0; NaN != 0, so a NaN's gradient passes
        return (np.multiply(g, value != 0, out=None if out is None else out[0]),)

    scalar_vjp = staticmethod(lambda g, x, value: (0.0 if x <= 0.0 else g,))

    def jacobian(self, i, x, value):
        return elementwise_jacobian(x, "d relu({0})/d{0} = diag(1[{0} > 0])")


@register
class LeakyRelu(_Binary):
    """x if x > 0 else alpha * x; alpha may be a tensor (e.g. a gs.param, to learn it)."""

    name = "leaky_relu"
    function = "leaky_relu"
    method = True

    def arguments(self, x, alpha=0.01):
        return (x, alpha), {}

    def forward(self, x, alpha):
        return np.where(x > 0, x, alpha * x)

    scalar_forward = staticmethod(lambda x, alpha: x if x > 0.0 else alpha * x)

    def vjp(self, g, x, alpha, value):
        pos = np.asarray(x) > 0
        return (reduce_to(np.where(pos, g, g * alpha), x),
                reduce_to(np.where(pos, 0.0, g * x), alpha))

    scalar_vjp = staticmethod(lambda g, x, alpha, value: (g, 0.0) if x > 0.0 else (g * alpha, g * x))

    def jacobian(self, i, x, alpha, value):
        if i == 0:
            return broadcast_jacobian(x, value, "d leaky_relu({0}, {1})/d{0} = diag(1 if {0} > 0 else {1})", 0)
        return broadcast_jacobian(alpha, value, "d leaky_relu({0}, {1})/d{1} = diag(0 if {0} > 0 else {0})", 1)


def _crossed_bounds(lo, hi):
    """Why bounds lo > hi cannot clip (numpy would silently return hi everywhere, a float lo), else None."""
    if lo is not None and hi is not None and lo > hi:
        return f"lo = {lo} is greater than hi = {hi}"
    return None


def _refuse_crossed_bounds(lo, hi):
    problem = _crossed_bounds(lo, hi)
    if problem:
        raise ValueError(problem)


def _scalar_clip(x, lo, hi):
    _refuse_crossed_bounds(lo, hi)
    if lo is not None and x < lo:
        return float(lo)
    if hi is not None and x > hi:
        return float(hi)
    return x


@register
class Clip(Op):
    """Clamp to [lo, hi] (either may be None); gradient 1 inside, 0 outside (as torch.clamp)."""

    name = "clip"
    function = "clip"
    method = True

    def arguments(self, x, lo=None, hi=None):
        return (x,), {"lo": number(lo, "lo", "clip"), "hi": number(hi, "hi", "clip")}

    def forward(self, x, lo, hi):
        _refuse_crossed_bounds(lo, hi)
        return np.clip(x, lo, hi)

    scalar_forward = staticmethod(_scalar_clip)

    def input_problem(self, x, lo, hi):
        return _crossed_bounds(lo, hi)

    def vjp(self, g, x, value, lo, hi):
        inside = np.ones(shape_of(x), dtype=bool)
        if lo is not None:
            inside &= np.asarray(x) >= lo
        if hi is not None:
            inside &= np.asarray(x) <= hi
        return (reduce_to(g * inside, x),)

    def jacobian(self, i, x, value, lo, hi):
        bounds = " <= ".join([*([f"{lo:g}"] if lo is not None else []), "{0}",
                              *([f"{hi:g}"] if hi is not None else [])])
        given = ([f"{lo:g}"] if lo is not None else []) + ([f"{'' if lo is not None else 'hi='}{hi:g}"] if hi is not None else [])
        call = f"clip({', '.join(['{0}'] + given)})"
        if lo is None and hi is None:
            return elementwise_jacobian(x, f"d {call}/d{{0}} = I  (no bounds: nothing is clipped)")
        return elementwise_jacobian(x, f"d {call}/d{{0}} = diag(1[{bounds}])")


@register
class Where(Op):
    """a where condition holds, else b; all three broadcast as numpy's do.

    The condition is a recorded input: a mask made from tensors (``x > 0``, ``x == y``, ``gs.isnan(x)``) is
    recomputed with everything else when the graph runs on new values. A numpy array or a list becomes a constant
    mask. It gets no gradient; a and b get the upstream gradient where they were chosen. A single Python bool (or
    None) with array inputs is refused: it is almost always a comparison that did not compare element-wise.
    """

    name = "where"
    function = "where"
    differentiable = (False, True, True)

    def arguments(self, condition, a, b):
        if condition is None or (condition.__class__ is bool and (np.ndim(raw(a)) or np.ndim(raw(b)))):
            raise InputError(f"where: the condition is {condition!r}, a single Python value, not a mask: every entry "
                             f"would take the same branch; compare element-wise to get one (x == 0, x > y), or "
                             f"use a or b directly at {caller_location()}")
        if is_tensor(condition):  # recorded, recomputed on replay
            return (condition, a, b), {}
        cond = np.asarray(condition)
        if cond.dtype.kind not in "biuf":  # np.asarray(..., dtype=bool) would call every string true
            raise InputError(f"where: the condition must be booleans (or numbers), got an array of dtype "
                             f"{cond.dtype} at {caller_location()}")
        return (mask_constant(cond.astype(bool)), a, b), {}

    def upgrade(self, inputs, attrs):
        """A where saved with its condition as attribute `cond` (files before it was an input)."""
        if "cond" in attrs and len(inputs) == 2:
            rest = {k: v for k, v in attrs.items() if k != "cond"}
            return (mask_constant(np.asarray(attrs["cond"], dtype=bool)), *inputs), rest
        return inputs, attrs

    def input_problem(self, cond, a, b):
        try:
            np.broadcast_shapes(shape_of(cond), shape_of(a), shape_of(b))
        except ValueError:
            return f"condition {shape_of(cond)} and inputs {shape_of(a)}, {shape_of(b)} do not broadcast together"
        return None

    def forward(self, cond, a, b):
        return np.where(cond, a, b)

    def vjp(self, g, cond, a, b, value):
        return None, reduce_to(np.where(cond, g, 0.0), a), reduce_to(np.where(cond, 0.0, g), b)

    def jacobian(self, i, cond, a, b, value):
        call = "where({0}, {1}, {2})"
        if i == 0:
            return JacobianInfo("zero", f"d {call}/d{{0}}: {PIECEWISE_CONSTANT}")
        return broadcast_jacobian((a, b)[i - 1], value,
                                  (f"d {call}/d{{1}} = diag({{0}})", f"d {call}/d{{2}} = diag(not {{0}})")[i - 1], i)
