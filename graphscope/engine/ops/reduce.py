"""Reductions over axes: sum, mean, max, min. Their Jacobians are reduce (sum) matrices; max and min gather."""
import numpy as np

from ..arguments import axis as axis_of
from ..optable import Op, reduction_jacobian, register, shape_of


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
        return (x,), {"axis": axis_of(axis, self.name), "keepdims": bool(keepdims)}

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
        return reduction_jacobian(x, value, self.structure, f"{self.formula}  over {over}")


@register
class Sum(_Reduce):
    """Sum over `axis` (all axes by default)."""

    name = "sum"
    function = "sum"
    formula = "d sum(x)/dx = 1^T (each output sums its inputs: a row of ones)"

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
    formula = "d mean(x)/dx = 1^T / n"

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


@register
class Max(_Extreme):
    """max over axes; where several entries tie for the max the gradient is split evenly (a NaN is the max)."""

    name = "max"
    function = "max"
    ufunc = np.maximum
    formula = "d max(x)/dx = 1[x = max] / (number of ties)  (a NaN is the max)"


@register
class Min(_Extreme):
    """min over axes; where several entries tie for the min the gradient is split evenly (a NaN is the min)."""

    name = "min"
    function = "min"
    ufunc = np.minimum
    formula = "d min(x)/dx = 1[x = min] / (number of ties)  (a NaN is the min)"
