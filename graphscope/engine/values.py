"""Values: what a node holds (a Python float for 0-d float64, else a float ndarray) and how user data becomes one."""
import numpy as np

from .errors import InputError, out_of_memory
from .source import caller_location

_FLOAT_KINDS = (np.float64, np.float32)


def is_tensor(x):
    """True for a graphscope tensor (a node of a graph): what every "is this a tensor" test asks."""
    return hasattr(x, "_value") and hasattr(x, "op_def")


def as_value(data, what="value", copy=False):
    """Convert user data (a number, an array, a tensor) to a graphscope value.

    With copy=True the value never shares memory with the caller's array, so
    changing that array later does not change what the graph recorded.
    """
    c = data.__class__
    if c is float:
        return data
    if c is int:
        try:
            return float(data)
        except OverflowError:
            raise InputError(f"{what}: the integer {str(data)[:12]}... ({len(str(abs(data)))} digits) is too large "
                             f"for a float64 (largest about 1.8e308) at {caller_location()}") from None
    if is_tensor(data):
        data = data._value
        c = data.__class__
        if c is float:
            return data
    original = data
    if c is not np.ndarray:
        if isinstance(data, np.ma.MaskedArray):
            raise InputError(f"{what}: a masked array; a tensor has no mask, and its masked entries would count as "
                             f"numbers: pass data.filled(value) (the value masked entries take) or "
                             f"data.compressed() (only the entries not masked) at {caller_location()}")
        try:
            data = np.asarray(data)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{what}: cannot make a tensor from {type(data).__name__} ({exc}) "
                             f"at {caller_location()}") from None
    try:
        return _float_value(data, original, what, copy)
    except MemoryError:
        raise out_of_memory(what, data.shape, data.dtype.itemsize if data.dtype in _FLOAT_KINDS else 8) from None


def _float_value(data, original, what, copy):
    """as_value() of an array: float64 or float32, 0-d float64 as a Python float, a copy when asked."""
    kind = data.dtype.kind
    if kind == "f":
        if data.dtype not in _FLOAT_KINDS:
            data = data.astype(np.float64)
    elif kind in "iub":
        data = data.astype(np.float64)
    else:
        raise InputError(f"{what}: expected numbers, got an array of dtype {data.dtype} at {caller_location()}")
    if data.ndim == 0 and data.dtype == np.float64:
        return float(data)
    if copy and data is original:
        data = data.copy()
    return data


def normalize(v, op=None):
    """Bring an op's raw output to a graphscope value (0-d float64 -> float); `op` names the op in errors."""
    c = v.__class__
    if c is float:
        return v
    if c is np.ndarray:
        if v.ndim == 0 and v.dtype == np.float64:
            return float(v)
        return v
    if c is np.float64 or c is int:
        return float(v)
    if isinstance(v, np.generic):
        return normalize(np.asarray(v), op)
    name = getattr(op, "name", "an op")
    if v is None:
        raise InputError(f"{name}: its forward returned None (a missing `return`?) at {caller_location()}")
    return as_value(v, f"{name}: its forward's result")


def shape_of(x):
    """Shape of a raw value: () for a Python float."""
    return () if x.__class__ is float else x.shape


def size_of(x):
    """Number of entries of a raw value: 1 for a Python float."""
    return 1 if x.__class__ is float else x.size
