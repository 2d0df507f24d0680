"""Calls of an op's function spelt as in PyTorch or numpy: what they become, or one clear message.

Only a call that does not fit the op's signature comes here (the common case
pays nothing). Then:

- PyTorch's ``dim=`` and ``keepdim=`` are taken as graphscope's (numpy's)
  ``axis=`` and ``keepdims=``: ``gs.softmax(x, dim=1)``, ``x.sum(dim=0, keepdim=True)``;
- numpy's own defaults, which ``np.sum(t)``, ``np.mean(t)``, ``np.max(t)``,
  ``np.clip(t, 0, 1)`` and ``np.reshape(t, s)`` pass to the tensor's method
  (``out=None``, ``dtype=None``, ``order='C'``), are dropped;
- anything else (another library's keyword such as ``negative_slope=``, a
  typo, too many arguments) is an InputError naming the op, the keyword, what
  graphscope calls it and the user's line.
"""
import difflib
import inspect

from .errors import GraphscopeError, InputError
from .source import caller_location

#: PyTorch's keyword -> graphscope's, accepted where the op takes graphscope's.
ALIASES = {"dim": "axis", "keepdim": "keepdims"}
#: Keywords numpy passes on to a tensor's method -> the one value that means "as usual".
NUMPY_DEFAULTS = {"out": None, "dtype": None, "order": "C"}
#: Other libraries' keywords -> graphscope's name, said in the message (not accepted: one name per thing).
FOREIGN = {"negative_slope": "alpha", "min": "lo", "max": "hi", "a_min": "lo", "a_max": "hi",
           "dims": "axes", "perm": "axes", "target": "labels", "targets": "labels", "y": "labels",
           "keep_dims": "keepdims", "cond": "condition", "mask": "condition"}
#: Why a numpy keyword with another value cannot be honoured.
_UNSUPPORTED = {
    "out": "graphscope ops make a new recorded tensor; assign the result instead (y = ...)",
    "dtype": "the result keeps the input's dtype (float64 or float32); make the tensor with the dtype you want",
    "order": "values are stored in C order only",
}


def call_respelled(op, arguments, args, kwargs, error):
    """``arguments(*args, **kwargs)`` after it raised TypeError `error`: translated, or one InputError."""
    if isinstance(error, GraphscopeError):
        raise error
    signature = inspect.signature(arguments)
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        pass
    else:
        raise error  # the call fits: the TypeError came from inside, and is not about spelling
    name = op.function or op.name
    params = signature.parameters
    fixed = {}
    for key, value in kwargs.items():
        target = ALIASES.get(key)
        if key in params:
            fixed[key] = value
        elif target in params and target in kwargs:
            raise InputError(f"{name}: both {target}= and {key}= given ({key}= is PyTorch's name for {target}=)"
                             f"\n  at {caller_location()}")
        elif target in params:
            fixed[target] = value
        elif key in NUMPY_DEFAULTS and _is_default(value, NUMPY_DEFAULTS[key]):
            continue
        else:
            raise InputError(unknown_keyword(name, signature, key, value))
    try:
        signature.bind(*args, **fixed)
    except TypeError as exc:
        raise InputError(f"{name}{signature}: {exc}\n  at {caller_location()}") from None
    return arguments(*args, **fixed)


def _is_default(value, default):
    return value is default or (isinstance(value, str) and value == default)


def unknown_keyword(name, signature, key, value):
    """The message for keyword `key` that op function `name` (with `signature`) does not take."""
    if key in _UNSUPPORTED:
        return (f"{name}: {key}={value!r:.40} is not supported: {_UNSUPPORTED[key]} "
                f"({name} takes {name}{signature})\n  at {caller_location()}")
    takes = [p for p, info in signature.parameters.items()
             if info.kind in (info.POSITIONAL_OR_KEYWORD, info.KEYWORD_ONLY)]
    meant = FOREIGN.get(key)
    if meant not in takes:
        close = difflib.get_close_matches(key, takes, n=1, cutoff=0.6)
        meant = close[0] if close else None
    said = f"graphscope calls it {meant}=; " if meant else ""
    aliases = [f"{alias}= for {target}=" for alias, target in ALIASES.items() if target in takes]
    read = f" (PyTorch's {' and '.join(aliases)} work too)" if aliases else ""
    return (f"{name}: no keyword {key!r}; {said}{name} takes {name}{signature}{read}\n  at {caller_location()}")
