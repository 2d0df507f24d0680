"""Reductions over axes: sum, mean, max, min. Their Jacobians are reduce (sum) matrices; max and min gather.

Also argmax and argmin (``gs.argmax(x, axis=1)``, ``x.argmax(dim=1)``): where the extreme is, as a numpy
integer array. They are not ops: an index has no gradient, so nothing is recorded.

``x.max(dim=1)`` (PyTorch's keyword) returns torch's pair ``(values, indices)``; ``x.max(axis=1)`` and
``x.max(1)`` (numpy's spelling) return the values alone.
"""
from collections import namedtuple

import numpy as np

from ..arguments import axis as axis_of, flag
from ..errors import InputError
from ..optable import Op, reduction_jacobian, register, shape_of
from ..source import caller_location
from ..tensor import READS, Tensor, _your_frame


def normalize_axis(axis, ndim):
    """A sorted tuple of non-negative axes (all axes for None); ValueError if out of range."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for ax in axes:
        ax = int(ax)
        if not -ndim <= ax < ndim:
            raise ValueError(f"axis {ax} is out of range for a {ndim}-d input")
        out.append(ax % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(out))


def expand_back(g, x, axis, keepdims):
    """Broadcast a reduced gradient back to x's shape (a fresh, writable array)."""
    shape = shape_of(x)
    axes = normalize_axis(axis, len(shape))
    g = np.asarray(g)
    if not keepdims:
        g = np.expand_dims(g, axes) if axes else g
    return np.broadcast_to(g, shape).copy()


class _Reduce(Op):
    method = True

    def arguments(self, x, axis=None, keepdims=False):
        return (x,), {"axis": axis_of(axis, self.name), "keepdims": flag(keepdims, "keepdims", self.name)}

    def input_problem(self, x, axis=None, keepdims=False):
        try:
            normalize_axis(axis, len(shape_of(x)))
        except (ValueError, TypeError) as exc:
            return str(exc)
        return None

    def _count(self, x, axis):
        shape = shape_of(x)
        return int(np.prod([shape[a] for a in normalize_axis(axis, len(shape))], dtype=np.int64))

    structure = "reduce"

    def jacobian(self, i, x, value, axis=None, keepdims=False):
        over = "all axes" if axis is None else f"axis {axis}" if isinstance(axis, int) else f"axes {tuple(axis)}"
        return reduction_jacobian(x, value, self.structure, self.formula.format(f"{self.name}({{0}})", over))


@register
class Sum(_Reduce):
    """Sum over `axis` (all axes by default)."""

    name = "sum"
    function = "sum"
    formula = "d {0}/d{{0}} = 1^T over {1}  (each output entry sums its inputs: a row of ones)"

    def forward(self, x, axis=None, keepdims=False):
        return np.add.reduce(np.asarray(x), axis=axis, keepdims=keepdims)

    def vjp(self, g, x, value, axis=None, keepdims=False):
        out = expand_back(g, x, axis, keepdims)
        return (float(out) if x.__class__ is float else out,)


@register
class Mean(_Reduce):
    """Mean over `axis` (all axes by default)."""

    name = "mean"
    function = "mean"
    formula = "d {0}/d{{0}} = 1^T / n over {1}  (n: the entries each output entry averages)"

    def forward(self, x, axis=None, keepdims=False):
        if x.__class__ is not float and self._count(x, axis) == 0:  # numpy would warn and return NaN
            raise ValueError(f"the mean of no numbers is undefined: the input of shape {x.shape} has no entries "
                             f"along {'its axes' if axis is None else f'axis {axis}'}")
        return np.mean(x, axis=axis, keepdims=keepdims)

    def vjp(self, g, x, value, axis=None, keepdims=False):
        out = expand_back(g, x, axis, keepdims) / self._count(x, axis)
        return (float(out) if x.__class__ is float else out.astype(np.result_type(x), copy=False),)


class _Extreme(_Reduce):
    """The largest (max) or smallest (min) entry over axes: the entries that reach it share the gradient evenly
    (ties split it), as torch.amax / torch.amin do.

    A NaN is the extreme (as np.max and np.min say): its entry gets the gradient (split among the NaNs of a
    slice) and the others none.

    ``x.max(axis=1)`` (numpy's keyword, or ``x.max(1)``) returns the values; ``x.max(dim=1)`` (PyTorch's)
    returns torch's pair ``values, indices`` (``ValuesIndices``: the values recorded, the indices a numpy int
    array, not recorded). ``gs.argmax`` / ``gs.argmin`` give the indices alone.
    """

    ufunc = None  # np.maximum or np.minimum

    def forward(self, x, axis=None, keepdims=False):
        return self.ufunc.reduce(np.asarray(x), axis=axis, keepdims=keepdims)

    def vjp(self, g, x, value, axis=None, keepdims=False):
        if x.__class__ is float:
            return (g,)
        axes = normalize_axis(axis, x.ndim)
        full = expand_back(value, x, axis, keepdims)
        mask = x == full
        if full.dtype.kind == "f" and np.isnan(full).any():  # NaN == NaN is False: the NaNs are the extremes
            mask |= np.isnan(x)
        mask = mask.astype(x.dtype)
        mask /= mask.sum(axis=axes, keepdims=True)
        return (mask * expand_back(g, x, axis, keepdims),)

    structure = "gather"
    pick = None  # np.argmax or np.argmin

    def dim_result(self, out):
        """``x.max(dim=1)``: torch's (values, indices): values the recorded node, indices a numpy int array."""
        axis, keepdims = out.attrs["axis"], out.attrs["keepdims"]
        if isinstance(axis, tuple):
            raise InputError(f"{self.name}(dim={axis}): PyTorch's {self.name}(dim=...) takes one dim and returns "
                             f"(values, indices); for the {self.name} over several axes write axis={axis}"
                             f"\n  at {caller_location()}")
        return ValuesIndices(out, _indices(self.pick, out.inputs[0], axis, keepdims, self.name, 3))


@register
class Max(_Extreme):
    """max over axes; ties split the gradient evenly (a NaN is the max); ``dim=`` as in _Extreme."""

    name = "max"
    function = "max"
    ufunc = np.maximum
    pick = staticmethod(np.argmax)
    formula = "d {0}/d{{0}} = 1[{{0}} = max] / (number of ties) over {1}  (a NaN is the max)"


@register
class Min(_Extreme):
    """min over axes; ties split the gradient evenly (a NaN is the min); ``dim=`` as in _Extreme."""

    name = "min"
    function = "min"
    ufunc = np.minimum
    pick = staticmethod(np.argmin)
    formula = "d {0}/d{{0}} = 1[{{0}} = min] / (number of ties) over {1}  (a NaN is the min)"


#: What ``x.max(dim=1)`` and ``x.min(dim=1)`` return, as torch.return_types.max: ``values`` (the recorded
#: node) and ``indices`` (a numpy int array, not recorded); unpacks as ``values, indices = x.max(dim=1)``.
ValuesIndices = namedtuple("ValuesIndices", "values indices")


def _indices(pick, x, axis, keepdims, what, depth):
    """np.argmax / np.argmin of x's value; a read your code made (`depth` frames up) is remembered, as
    np.asarray(x) is, so a graph that takes the indices as a constant refuses a replay that would change them."""
    value = x._value if isinstance(x, Tensor) else np.asarray(x)
    if np.ndim(value) == 0:
        if axis not in (None, 0, -1):
            raise InputError(f"{what}: axis {axis} is out of range for a 0-d input\n  at {caller_location()}")
        out = np.zeros((), dtype=np.intp) if keepdims or axis is not None else np.intp(0)
    else:
        try:
            out = pick(value, axis=axis, keepdims=keepdims)
        except (ValueError, TypeError, np.exceptions.AxisError) as exc:
            name = x.name if isinstance(x, Tensor) else "the input"
            raise InputError(f"{what}: {exc} ({name} has shape {np.shape(value)})\n  at {caller_location()}") \
                from None
    if isinstance(x, Tensor):
        frame = _your_frame(depth)
        if frame is not None:
            READS["note"](x, out, "array", f"{x.name}.{what}()", frame)
    return out


def _arg_extreme(pick, name):
    def fn(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
        if dim is not None:
            if axis is not None:
                raise InputError(f"{name}: both axis= and dim= given (dim= is PyTorch's name for axis=)"
                                 f"\n  at {caller_location()}")
            axis = dim
        if keepdim is not None:
            keepdims = keepdim
        if axis is not None:
            axis = axis_of(axis, name)
            if isinstance(axis, tuple):
                raise InputError(f"{name}: takes one axis (or None for the index into the flattened values), "
                                 f"got {axis}\n  at {caller_location()}")
        return _indices(pick, x, axis, flag(keepdims, "keepdims", name), name, 2)
    fn.__name__ = fn.__qualname__ = name
    extreme = "largest" if pick is np.argmax else "smallest"
    fn.__doc__ = (f"The index of the {extreme} entry along `axis` (``dim=`` works too), as np.{name}: a numpy "
                  f"integer array (a numpy integer for axis=None, an index into the flattened values). Not "
                  f"recorded: an index has no gradient. Ties give the first; a NaN counts as the {extreme}.")
    fn.__module__ = "graphscope"
    return fn


argmax = _arg_extreme(np.argmax, "argmax")
argmin = _arg_extreme(np.argmin, "argmin")
Tensor.argmax = argmax  # x.argmax(dim=1): methods too (not ops, so not made from the op table)
Tensor.argmin = argmin
