"""Checking and normalizing the arguments of a call such as ``gs.sum(x, axis=1)``: what ops' ``arguments`` use.

Each helper returns the normalized value or raises an InputError naming the
op, the argument and the user's line.
"""
import numpy as np

from .errors import InputError
from .source import caller_location, name_problem
from .values import is_tensor


def whole(value, what, op):
    """`value` as an int, or an InputError naming the op and the argument."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    raise InputError(f"{op}: {what} must be a whole number, got {value!r:.40} at {caller_location()}")


def wholes(values, what, op):
    """A tuple of ints from a sequence, or an InputError naming the op and the argument."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InputError(f"{op}: {what} must be a sequence of whole numbers, got {values!r:.40} "
                         f"at {caller_location()}")
    return tuple(whole(v, what, op) for v in values)


def number(value, what, op):
    """`value` as a float (None stays None), or an InputError naming the op and the argument."""
    if value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    raise InputError(f"{op}: {what} must be a number or None, got {value!r:.40} at {caller_location()}")


def flag(value, what, op):
    """`value` as a bool (True, False, numpy's bool_, or 0/1), or an InputError naming the op and the argument:
    a string such as "no" would otherwise count as True."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer)) and value in (0, 1)):
        return bool(value)
    raise InputError(f"{op}: {what} must be True or False, got {value!r:.40} at {caller_location()}")


def leaf_name(value, what):
    """A tensor's name: a string, or None for an automatic one; an InputError otherwise (5 or [1] is no name)."""
    if value is None:
        return value
    if isinstance(value, str):
        problem = name_problem(value)
        if problem:
            raise InputError(f"{what}: {problem}\n  at {caller_location()}")
        return str(value)
    raise InputError(f"{what}: name must be a string (or None for an automatic one), got {type(value).__name__} "
                     f"{value!r:.40}\n  at {caller_location()}")


def axis(value, op):
    """None (every axis), an int, or a tuple of ints; an InputError naming the op otherwise."""
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return wholes(value, "axis", op)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    raise InputError(f"{op}: axis must be a whole number, a tuple of them or None, got {value!r:.40} "
                     f"at {caller_location()}")


def tensors(values, op):
    """A non-empty list of operands (for concat, stack), or an InputError naming the op."""
    if is_tensor(values) or not hasattr(values, "__iter__"):
        raise InputError(f"{op}: expected a list of tensors, got {type(values).__name__} at {caller_location()}")
    values = list(values)
    if not values:
        raise InputError(f"{op}: needs at least one tensor, got an empty list at {caller_location()}")
    return values


def raw(x):
    """A tensor's value, anything else as it is."""
    return x._value if is_tensor(x) else x


def labels(values):
    """Class indices as given; a tensor's (float) values become integers when they are whole numbers."""
    if is_tensor(values):
        v = np.asarray(values._value)
        if np.all(np.isfinite(v)) and np.all(v == np.round(v)):
            return v.astype(np.int64)
        return v
    return np.asarray(values)


def index(value, located=True):
    """Bring an index to numpy form: lists and tensors become integer (or boolean) arrays.

    ``located=False`` (a replay, which names the node instead) leaves the user's line out of messages.
    """
    if isinstance(value, tuple):
        return tuple(_index_part(p, located) for p in value)
    return _index_part(value, located)


def _index_part(p, located=True):
    p = raw(p)
    if isinstance(p, (list, np.ndarray)) or p.__class__ is float:
        try:
            arr = np.asarray(p)
        except (ValueError, TypeError):  # a ragged list: [[0, 1], [0]]
            where = f" at {caller_location()}" if located else ""
            raise InputError(f"getitem: index {p!r:.60} is ragged (its rows have different lengths); an index "
                             f"list must be rectangular, e.g. x[[0, 1]] or x[[0, 1], [2, 0]]{where}") from None
        if arr.dtype.kind not in "fiub":
            where = f" at {caller_location()}" if located else ""
            raise InputError(f"getitem: index {p!r:.60} holds {arr.dtype} values; an index list holds whole "
                             f"numbers or booleans{where}")
        if arr.dtype.kind == "f":
            if not np.all(arr == np.round(arr)):
                where = f" at {caller_location()}" if located else ""
                raise InputError(f"getitem: index has non-integer values {arr}{where}")
            arr = arr.astype(np.int64)
        return arr if arr.ndim else int(arr)
    return p
