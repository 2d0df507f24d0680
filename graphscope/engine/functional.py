"""The user-facing functions (gs.exp, gs.softmax_cross_entropy, ...) and tensor methods.

Each is a thin call of ``apply`` with the op from the table; the op itself
(forward, VJP, Jacobian) lives in ``graphscope.engine.ops``.
"""
import numpy as np

from .errors import InputError
from .optable import OPS
from .source import caller_location
from .tensor import Tensor, apply, apply_unary


def _unary(opname, doc):
    op = OPS[opname]

    def fn(x):
        return apply_unary(op, x)

    fn.__name__ = opname
    fn.__doc__ = doc
    return fn


exp = _unary("exp", "e**x, element-wise.")
log = _unary("log", "Natural logarithm, element-wise.")
sqrt = _unary("sqrt", "Square root, element-wise.")
abs = _unary("abs", "|x|, element-wise (gradient sign(x), 0 at 0).")  # noqa: A001
tanh = _unary("tanh", "Hyperbolic tangent, element-wise.")
sigmoid = _unary("sigmoid", "Logistic sigmoid 1 / (1 + e**-x), element-wise.")
relu = _unary("relu", "max(x, 0), element-wise (gradient 0 at 0).")
l2 = _unary("l2", "Squared Frobenius norm sum(W**2): the lecture's regularizer R(W), gradient 2W.")


def leaky_relu(x, alpha=0.01):
    """x if x > 0 else alpha * x; alpha may be a tensor (e.g. a gs.param, to learn it)."""
    return apply(OPS["leaky_relu"], x, alpha)


def _whole(value, what, op):
    """`value` as an int, or an InputError naming the op and the argument."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    raise InputError(f"{op}: {what} must be a whole number, got {value!r:.40} at {caller_location()}")


def _wholes(values, what, op):
    """A tuple of ints from a sequence, or an InputError naming the op and the argument."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InputError(f"{op}: {what} must be a sequence of whole numbers, got {values!r:.40} "
                         f"at {caller_location()}")
    return tuple(_whole(v, what, op) for v in values)


def _number(value, what, op):
    """`value` as a float (None stays None), or an InputError naming the op and the argument."""
    if value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    raise InputError(f"{op}: {what} must be a number or None, got {value!r:.40} at {caller_location()}")


def _axis(axis, op):
    """None (every axis), an int, or a tuple of ints; an InputError naming the op otherwise."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return _wholes(axis, "axis", op)
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis)
    raise InputError(f"{op}: axis must be a whole number, a tuple of them or None, got {axis!r:.40} "
                     f"at {caller_location()}")


def sum(x, axis=None, keepdims=False):  # noqa: A001
    """Sum over `axis` (all axes by default)."""
    return apply(OPS["sum"], x, axis=_axis(axis, "sum"), keepdims=bool(keepdims))


def mean(x, axis=None, keepdims=False):
    """Mean over `axis` (all axes by default)."""
    return apply(OPS["mean"], x, axis=_axis(axis, "mean"), keepdims=bool(keepdims))


def max(x, axis=None, keepdims=False):  # noqa: A001
    """Max over `axis`; tied maxima share the gradient equally."""
    return apply(OPS["max"], x, axis=_axis(axis, "max"), keepdims=bool(keepdims))


def matmul(a, b):
    """a @ b (vectors, matrices, and batches of matrices)."""
    return apply(OPS["matmul"], a, b)


def reshape(x, *shape):
    """x with a new shape (same entries); one axis may be -1."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, np.ndarray)):
        shape = shape[0]
    return apply(OPS["reshape"], x, shape=_wholes(shape, "shape", "reshape"))


def transpose(x, axes=None):
    """Permute axes (reverse them by default)."""
    return apply(OPS["transpose"], x, axes=None if axes is None else _wholes(axes, "axes", "transpose"))


def concat(tensors, axis=0):
    """Join tensors along an existing axis."""
    tensors = _sequence(tensors, "concat")
    return apply(OPS["concat"], *tensors, axis=_whole(axis, "axis", "concat"))


def stack(tensors, axis=0):
    """Join tensors along a new axis."""
    tensors = _sequence(tensors, "stack")
    return apply(OPS["stack"], *tensors, axis=_whole(axis, "axis", "stack"))


def _sequence(tensors, what):
    if isinstance(tensors, Tensor) or not hasattr(tensors, "__iter__"):
        raise InputError(f"{what}: expected a list of tensors, got {type(tensors).__name__} at {caller_location()}")
    tensors = list(tensors)
    if not tensors:
        raise InputError(f"{what}: needs at least one tensor, got an empty list at {caller_location()}")
    return tensors


def where(condition, a, b):
    """a where condition holds, else b; the condition is a fixed boolean mask."""
    cond = condition._value if isinstance(condition, Tensor) else condition
    return apply(OPS["where"], a, b, cond=np.asarray(cond, dtype=bool))


def clip(x, lo=None, hi=None):
    """Clamp to [lo, hi] (either may be None); gradient 1 inside, 0 outside."""
    return apply(OPS["clip"], x, lo=_number(lo, "lo", "clip"), hi=_number(hi, "hi", "clip"))


def softmax(x, axis=-1):
    """e**x / sum(e**x) along `axis`, computed stably."""
    return apply(OPS["softmax"], x, axis=_whole(axis, "axis", "softmax"))


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`, computed stably."""
    return apply(OPS["log_softmax"], x, axis=_whole(axis, "axis", "log_softmax"))


def _labels(labels):
    """Class indices as given; a tensor's (float) values become integers when they are whole numbers."""
    if isinstance(labels, Tensor):
        values = np.asarray(labels._value)
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            return values.astype(np.int64)
        return values
    return np.asarray(labels)


def softmax_cross_entropy(scores, labels):
    """Mean over the batch of -log(e^{s_y} / sum_j e^{s_j}); scores (N, C), integer labels (N,)."""
    return apply(OPS["softmax_cross_entropy"], scores, labels=_labels(labels))


def svm_loss(scores, labels):
    """Mean over the batch of sum_{j != y} max(0, s_j - s_y + 1): the multiclass hinge loss."""
    return apply(OPS["svm_loss"], scores, labels=_labels(labels))


def _index(index):
    """Bring an index to numpy form: lists and tensors become integer (or boolean) arrays."""
    if isinstance(index, tuple):
        return tuple(_index_part(p) for p in index)
    return _index_part(index)


def _index_part(p):
    if isinstance(p, Tensor):
        p = p._value
    if isinstance(p, (list, np.ndarray)) or p.__class__ is float:
        arr = np.asarray(p)
        if arr.dtype.kind == "f":
            if not np.all(arr == np.round(arr)):
                raise InputError(f"getitem: index has non-integer values {arr} at {caller_location()}")
            arr = arr.astype(np.int64)
        return arr if arr.ndim else int(arr)
    return p


def getitem(x, index):
    """x[index]: integers, slices, None, ..., integer-array gather and boolean masks."""
    return apply(OPS["getitem"], x, index=_index(index))


# ---------------------------------------------------------------- tensor methods

for _fn in (exp, log, sqrt, abs, tanh, sigmoid, relu, leaky_relu, sum, mean, max, reshape, transpose,
            clip, softmax, log_softmax, l2):
    setattr(Tensor, _fn.__name__, _fn)  # x.relu() is relu(x)
Tensor.__abs__ = abs
Tensor.__getitem__ = getitem
Tensor.T = property(transpose, doc="The transpose (axes reversed).")
