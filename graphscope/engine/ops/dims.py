"""The ops of numbers read from a tensor while a graph is recorded: ``dim`` (a size that replays) and
``unchanged`` (a guard that a plain number read is still what it was).

Your code's reads (``x.shape``, ``len(x)``, ``int(t)``, ...) and when they become these nodes are
``graphscope.engine.reads``.
"""
import warnings

import numpy as np

from ..errors import StaleNumberError, StaleNumberWarning
from ..optable import JacobianInfo, Op, register, shape_of
from .compare import PIECEWISE_CONSTANT


def _size_value(size, x):
    """The size as a value of x's float type (a Python float for float64 and anything else)."""
    return np.asarray(size, dtype=np.float32) if getattr(x, "dtype", None) == np.float32 else float(size)


@register
class Dim(Op):
    """The size of axis `axis` of x, as a float: what ``x.shape[k]`` becomes in a computation with tensors.

    It depends on x's shape only, so no gradient flows through it (the Jacobian is zero)."""

    name = "dim"

    def forward(self, x, axis):
        shape = shape_of(x)
        if not -len(shape) <= axis < len(shape):
            raise IndexError(f"axis {axis} is out of range for a value of shape {shape}")
        return _size_value(shape[axis], x)

    def input_problem(self, x, axis):
        shape = shape_of(x)
        return None if -len(shape) <= axis < len(shape) else f"axis {axis} is out of range for a value of shape {shape}"

    def vjp(self, g, x, value, axis):
        return (lambda: 0.0 if x.__class__ is float else np.zeros_like(x),)

    def jacobian(self, i, x, value, axis):
        return JacobianInfo("zero", f"d {{0}}.shape[{axis}]/d{{0}} = 0 (a size depends on the shape, not the values)")


@register
class Unchanged(Op):
    """Whether a number (or array) read from x while the graph was recorded is still what it was: a guard.

    ``kind`` says what was read: ``size`` (x.shape[axis]), ``rows`` (a loop over x's rows, or entries along
    ``axis``: ``for row in x``, ``x[i] for i in range(len(x))``), ``int`` (int(x)),
    ``float`` (float(x), x.item()) or ``array`` (np.asarray(x)); ``recorded`` is the value read, ``read`` and
    ``at`` say how and where. With ``decided=True`` (a guard) a replay that changes it raises a
    StaleNumberError, or with ``soft=True`` warns (StaleNumberWarning)."""

    name = "unchanged"
    boolean = True
    differentiable = (False,)

    def forward(self, x, *, kind, recorded, axis=0, read="", at="", soft=False, decided=None):
        now = _read_again(x, kind, axis)
        same = _same(now, recorded)
        if decided and not same:
            message = _stale_message(kind, read, recorded, now, at, axis)
            if not soft:
                raise StaleNumberError(message)
            warnings.warn(StaleNumberWarning(
                f"{message} (graphscope is not sure the constant came from that number: it has its value and was "
                f"made later in the same function; the replay goes on with the recorded constant)"), stacklevel=2)
        return np.array(same)

    def vjp(self, g, x, value, **attrs):
        return (None,)

    def jacobian(self, i, x, value, **attrs):
        return JacobianInfo("zero", f"d unchanged({{0}})/d{{0}}: {PIECEWISE_CONSTANT}")


def _read_again(x, kind, axis):
    if kind in ("size", "rows"):
        shape = shape_of(x)
        return shape[axis] if -len(shape) <= axis < len(shape) else None
    if kind == "array":
        return x
    v = np.asarray(x)
    if v.size != 1:
        return None
    v = v.reshape(-1)[0].item()
    return int(v) if kind == "int" else float(v)


def _same(now, recorded):
    if now is None:
        return False
    if isinstance(now, (int, float)) and isinstance(recorded, (int, float)):
        return now == recorded or (now != now and recorded != recorded)
    now, recorded = np.asarray(now), np.asarray(recorded)
    if now.shape != recorded.shape:
        return False
    return bool(np.array_equal(now, recorded, equal_nan=now.dtype.kind == "f" and recorded.dtype.kind == "f"))


def _stale_message(kind, read, recorded, now, at, axis):
    if kind == "rows":
        rows, has = ("rows", f"this feed has {now} rows") if axis == 0 else \
            (f"entries along axis {axis}", f"it now has {now}")
        return (f"{read} at {at} went through its {recorded} {rows}, so the graph holds that many steps; {has}: "
                f"write the loop with whole-tensor ops (gs.sum(x * x, axis=1), gs.mean) or build the graph again")
    if kind == "size":
        has = f"this feed has {now} rows" if axis == 0 else f"it is now {now}"
        return (f"{read} was read as {recorded} at {at} and used as a plain number; {has}: keep it a size next to "
                f"tensors (gs.sum(y) / y.shape[0] replays; len() and arithmetic on a size give plain numbers), use "
                f"gs.mean, or build the graph again")
    if kind == "array":
        return (f"{read} was read as a plain array at {at} and used as constants; on these values it differs: "
                f"compute it with tensors (gs.where(x > 1, a, b) replays) or build the graph again")
    return (f"{read} was read as {recorded!r} at {at} and used as a plain number; on these values it is {now!r}: "
            f"keep the number a tensor (use the tensor itself in the computation) or build the graph again")
