"""The settings of a gradient check, validated before any work: one message naming what is wrong.

``gs.check_node``, ``gs.check_nodes``, ``gs.gradcheck`` and ``graphscope
check`` accept the same settings with the same limits, so a value that could
never give an honest verdict (a step so large or so small that no finite
difference means anything, a tolerance that passes anything, a seed numpy
cannot take) is refused up front instead of passing a wrong VJP or crashing
inside numpy.
"""
import math
import numbers

import numpy as np

from .errors import ArgumentError

#: The finite-difference steps (before scaling by max(1, |x|)) a check accepts: below the smallest, rounding
#: drowns the difference; above the largest, it no longer measures a derivative.
EPS_RANGE = (1e-10, 0.1)
#: A relative error is at most 2 (opposite signs): rtol must stay below this to fail anything but a sign flip.
RTOL_BELOW = 1.0


def _real(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _whole(v):
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool)


def setting_problem(label, value, shown=None):
    """Why `value` cannot be the check setting `label` (eps, rtol, atol, max_coords, seed), or None.

    The text starts with 'must be' and ends with ', got SHOWN' (`shown` defaults to repr(value)), so the
    caller puts the setting's name in front: 'check_nodes: eps must be ...', 'argument --eps: must be ...'.
    """
    shown = repr(value) if shown is None else shown
    low, high = EPS_RANGE
    if label == "eps":
        if not (_real(value) and low <= value <= high):
            return (f"must be a finite number from {low:g} to {high:g} (finite differences need a small positive "
                    f"step; the default is 1e-06), got {shown}")
    elif label == "rtol":
        if not (_real(value) and 0 <= value < RTOL_BELOW):
            return (f"must be a finite number from 0 to below {RTOL_BELOW:g} (a relative error of 1 or more "
                    f"passes all but a sign flip; the default is 1e-05), got {shown}")
    elif label == "atol":
        if not (_real(value) and value >= 0):
            return f"must be a finite number 0 or more, got {shown}"
    elif label == "max_coords":
        if not (_whole(value) and value >= 1):
            return f"must be a whole number of at least 1, got {shown}"
    elif label == "seed":
        if not (_whole(value) and value >= 0):
            return f"must be a whole number 0 or more (numpy's random generators take no other seeds), got {shown}"
    else:
        raise KeyError(label)
    return None


def require_settings(where, **settings):
    """Raise ArgumentError naming the first setting (eps=..., rtol=..., ...) that cannot decide pass or fail."""
    for label, value in settings.items():
        problem = setting_problem(label, value)
        if problem:
            raise ArgumentError(f"{where}: {label} {problem}")


def upstream_problem(upstream, shape):
    """Why `upstream` (a tensor, array or number) cannot be pulled back through a value of `shape`, or None."""
    u = upstream._value if hasattr(upstream, "_value") else upstream
    try:
        a = np.asarray(u)
    except Exception:  # a ragged list, an object numpy cannot take
        return f"must be real numbers shaped {shape}, got {type(upstream).__name__}"
    if a.dtype.kind not in "fiu":
        return f"must be real numbers shaped {shape}, got {type(upstream).__name__} of dtype {a.dtype}"
    if a.shape != tuple(shape) and not (a.size == 1 and int(np.prod(shape, dtype=np.int64)) == 1):
        return f"must have the shape of the value it is pulled back through, {tuple(shape)}, got shape {a.shape}"
    if not np.all(np.isfinite(a)):
        return "must be finite (a NaN or infinity in the probe makes every comparison fail or pass by accident)"
    return None


def require_upstream(where, upstream, shape):
    """Raise ArgumentError when `upstream` cannot be pulled back through a value of `shape`."""
    problem = None if upstream is None else upstream_problem(upstream, shape)
    if problem:
        raise ArgumentError(f"{where}: upstream {problem}")
