"""Precision: which values are computed in less than float64, and how far rounding alone may move a result.

Both the gradient check (a VJP run again in the graph's own dtype) and the graph files (a saved value against
its op of its saved inputs) ask these two questions; they are answered here once.
"""
import numpy as np

_ROUNDING = {}


def low_precision(value):
    """The dtype of a value computed in less than float64 (float32, float16), else None."""
    dtype = getattr(value, "dtype", None)
    return dtype if dtype is not None and dtype.kind == "f" and dtype.itemsize < 8 else None


def rounding_tolerance(dtype):
    """sqrt(eps) of a float dtype (1.5e-8 for float64, 3.5e-4 for float32), 0 for any other: how far, relative to
    its scale, a result computed twice in `dtype` may stray from itself by rounding alone."""
    dtype = np.dtype(dtype)
    tol = _ROUNDING.get(dtype)
    if tol is None:
        tol = _ROUNDING[dtype] = float(np.sqrt(np.finfo(dtype).eps)) if dtype.kind == "f" else 0.0
    return tol
