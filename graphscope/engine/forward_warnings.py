"""One warning, at the user's line, when an op's forward makes a NaN or an infinity from finite inputs.

numpy would warn from inside graphscope ("elementwise.py:238: RuntimeWarning:
divide by zero encountered in log"), and Python floats (the scalar lane)
never warn. Instead, forward runs with numpy's floating-point errors that
would warn reported to ``_noted`` (numpy's ``call`` mode; categories the
caller set to ignore, raise or call stay as they are), and a node whose
value then holds a NaN or an infinity its inputs did not have gets one
NonFiniteWarning, attributed to the line that made the node and naming what
happened: ``log: -inf from 0 at x[0]; NaN from a negative at x[1]``.

Cheap by construction: nothing is looked at unless numpy reported an error
or a scalar-lane float is not finite (one subtraction); switching numpy's
mode costs a context-variable set and reset (numpy's own ``errstate``, made
once per setting, where numpy exposes it).
"""
import threading
import warnings

import numpy as np

from .formatting import number_text
from .source import warning_file

try:  # numpy's error-state context variable: setting it is what np.errstate does, without building one each time
    from numpy._core._ufunc_config import _extobj_contextvar as _STATE, _make_extobj
except ImportError:  # pragma: no cover (another numpy): the public np.errstate, slower but the same
    _STATE = _make_extobj = None


class NonFiniteWarning(RuntimeWarning):
    """An op's forward made a NaN or an infinity from finite inputs (shown at the line that made the node)."""


class _Noted(threading.local):
    """Per thread: ``raised`` is set when numpy reported a floating-point error during a watched forward in this
    thread, and cleared by ``report`` (numpy calls ``_noted`` in the thread that computed, so the TUI's training
    thread and its UI thread never see, or clear, each other's)."""

    raised = False


NOTED = _Noted()

_CATEGORIES = ("divide", "over", "under", "invalid")
_DERIVED = {}          # numpy's error state in force -> the one forward runs under (the same object: nothing to do)
_DERIVED_KEPT = 16


def _noted(kind, flag):
    NOTED.raised = True


def _derive(state):
    """The error state forward runs under while `state` is in force: 'warn' categories become 'call'."""
    settings = np.geterr()
    if "warn" not in settings.values() or np.geterrcall() is not None and "call" in settings.values():
        return state  # nothing would warn, or a callback of the caller's own is in use: leave numpy as it is
    return _make_extobj(call=_noted, **{k: "call" if settings[k] == "warn" else settings[k] for k in _CATEGORIES})


def watch():
    """Start watching a forward: numpy's warnings become a note for ``report``. Returns a token for ``unwatch``."""
    if _STATE is None:
        state = np.errstate(call=_noted, **{k: "call" if v == "warn" else v for k, v in np.geterr().items()})
        state.__enter__()
        return state
    state = _STATE.get()
    derived = _DERIVED.get(state)
    if derived is None:
        if len(_DERIVED) >= _DERIVED_KEPT:
            _DERIVED.clear()
        derived = _DERIVED[state] = _derive(state)
        _DERIVED[derived] = derived
    return None if derived is state else _STATE.set(derived)


def unwatch(token):
    """Put numpy's error state back as ``watch`` found it."""
    if token is None:
        return
    if _STATE is None:
        token.__exit__(None, None, None)
    else:
        _STATE.reset(token)


def report(node):
    """Warn once if `node`'s value holds a NaN or an infinity made from finite inputs (called when numpy noted an
    error, or a float value is not finite)."""
    NOTED.raised = False
    value = node._value
    if value.__class__ is float and not _wanted(value):
        return
    with np.errstate(all="ignore"):
        text = describe(node)
    if text is None:
        return
    category = NonFiniteWarning
    if node._code is None:
        warnings.warn(category(text), stacklevel=4)
        return
    filename = warning_file(node._code.co_filename)   # 'Cell In[11]' for a notebook cell
    warnings.warn_explicit(category(text), category, filename, node._line,
                           registry=_REGISTRIES.setdefault(filename, {}))


_REGISTRIES = {}  # file -> the warnings registry of the lines in it ("default": each message once per line)


def _wanted(value):
    """For a scalar-lane float: whether numpy, computing it, would have warned (the caller may have said ignore)."""
    settings = np.geterr()
    if value != value:
        return settings["invalid"] != "ignore"
    return settings["divide"] != "ignore" or settings["over"] != "ignore"


_KINDS = (("NaN", np.isnan), ("-inf", lambda v: v == -np.inf), ("inf", lambda v: v == np.inf))


def describe(node):
    """'log: -inf from 0 at x[0]; NaN from a negative at x[1]', or None when every NaN or infinity of the value
    comes from an input that had one."""
    out = np.asarray(node._value)
    if out.dtype.kind != "f":
        return None
    finite = np.isfinite(out)
    if finite.all():
        return None
    inputs = [np.asarray(i._value) for i in node.inputs]
    spread = _elementwise(node, inputs, out.shape)
    if spread is None:
        if not all(_finite(x).all() for x in inputs):
            return None  # a non-finite input: the node passes it on
        new = ~finite
    else:
        new = ~finite
        for x in spread:
            new &= _finite(x)
    if not new.any():
        return None
    parts = []
    for kind, test in _KINDS:
        hit = new & test(out)
        if hit.any():
            parts.append((int(np.flatnonzero(hit)[0]), _part(node, kind, hit, spread)))
    return f"{node.op}: " + "; ".join(text for _, text in sorted(parts))  # in the order of their first entries


def _finite(x):
    return np.isfinite(x) if x.dtype.kind in "fc" else np.ones(x.shape, dtype=bool)


_ELEMENTWISE = ("scalar", "identity", "diagonal", "broadcast")


def _elementwise(node, inputs, shape):
    """The inputs broadcast to the output's shape when each output entry reads one entry of each (the op table's
    Jacobians say so: diagonal or broadcast wrt every input), else None."""
    vals = [i._value for i in node.inputs]
    try:
        if np.broadcast_shapes(shape, *[x.shape for x in inputs]) != shape:
            return None
        for k in range(len(vals)):
            if node.op_def.jacobian(k, *vals, value=node._value, **node.attrs).structure not in _ELEMENTWISE:
                return None
    except Exception:  # shapes that do not broadcast, or a custom op's description failing: not element-wise
        return None
    return [np.broadcast_to(x, shape) for x in inputs]


def _part(node, kind, hit, spread):
    """'-inf from 0 at x[0]' (one input), 'inf at [2] from a = 1, b = 0' (several), 'inf at [0]' (other ops)."""
    where = tuple(int(i) for i in np.argwhere(hit)[0])
    index = f"[{', '.join(map(str, where))}]" if where else ""
    count = int(hit.sum())
    more = f" (and {count - 1} more)" if count > 1 else ""
    if spread is None:
        return f"{kind}{' at ' + index if index else ''} from finite inputs{more}"
    if len(spread) == 1:
        name = node.inputs[0].name
        return f"{kind} from {_source_value(spread[0][where], kind)} at {name}{index}{more}"
    operands = ", ".join(f"{i.name} = {_number(x[where])}" for i, x in zip(node.inputs, spread))
    return f"{kind}{' at ' + index if index else ''} from {operands}{more}"


def _source_value(v, kind):
    if v.dtype.kind in "fiu" and v == 0:
        return "0"
    if kind == "NaN" and v.dtype.kind in "fi" and v < 0:
        return "a negative"
    return _number(v)


def _number(v):
    return str(bool(v)) if np.asarray(v).dtype.kind == "b" else number_text(v)


__all__ = ["NonFiniteWarning"]
