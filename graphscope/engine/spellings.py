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
from .optable import OPS
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


#: PyTorch's Tensor methods graphscope spells otherwise -> what to write instead (one name per thing: numpy's).
TORCH_METHODS = {
    "view": "x.reshape(a, b) (numpy's name; -1 infers one size, as in view)",
    "flatten": "x.reshape(-1) (or x.reshape(len(x), -1) to keep the batch axis)",
    "clamp": "x.clip(lo, hi) (gs.clip; numpy's name, lo=/hi= for min=/max=)",
    "clamp_min": "x.clip(lo, None)",
    "clamp_max": "x.clip(None, hi)",
    "pow": "x ** 2 (a number exponent; base ** x for a tensor exponent)",
    "t": "x.T (or x.transpose())",
    "permute": "x.transpose(2, 0, 1) (numpy's transpose takes the new order of the axes)",
    "unsqueeze": "x[:, None] (None adds an axis where it stands) or x.reshape(...)",
    "squeeze": "x.reshape(...) with the shape you want (or index the axis: x[:, 0])",
    "numel": "x.size (numpy's name: the number of entries)",
    "std": "gs.sqrt(gs.mean((x - x.mean()) ** 2)) (numpy's std, ddof=0; PyTorch's default divides by n - 1)",
    "var": "gs.mean((x - x.mean(axis=0)) ** 2, axis=0) (numpy's var, ddof=0; PyTorch's default divides by n - 1)",
    "norm": "gs.sqrt(gs.sum(x * x)) (or gs.l2(x) for the squared norm)",
    "matmul": "x @ y (or gs.matmul(x, y))",
    "mm": "x @ y (or gs.matmul(x, y))",
    "bmm": "x @ y (batches of matrices multiply with @)",
    "dot": "gs.sum(x * y) (or x @ y for two vectors)",
    "add": "x + y", "sub": "x - y", "mul": "x * y", "div": "x / y", "neg": "-x",
    "expand": "not needed: ops broadcast as numpy does (x + gs.tensor(np.zeros(shape)) if you need the copy)",
    "repeat": "gs.concat([x, x], axis=0) (or broadcasting)",
    "float": "gs.tensor(x.value.astype(np.float32), ...): a tensor's dtype (float64 or float32) is chosen when it "
             "is made",
    "double": "gs.tensor(x.value.astype(np.float64), ...): a tensor's dtype is chosen when it is made",
    "to": "not needed: graphscope computes with numpy on the CPU, in the dtype a tensor was made with",
    "cpu": "not needed: graphscope computes with numpy on the CPU",
    "cuda": "not needed: graphscope computes with numpy on the CPU",
    "data": "x.value (the numpy value; x.detach() for a constant leaf holding it)",
    "requires_grad_": "gs.param(value) or gs.tensor(value, requires_grad=True) when you make it",
    "retain_grad": "not needed: every node keeps its gradient after backward() (x.grad)",
    "clone": "x * 1.0 (recorded), or x.detach() for a constant copy",
    "type": "x.dtype",
    "element_size": "x.dtype.itemsize",
}


def tensor_attribute_error(tensor, name, names):
    """The AttributeError for ``tensor.name``: what to write instead for a PyTorch spelling, else a did-you-mean
    among `names` (the Tensor's attributes)."""
    from .words import no_attribute
    hint = TORCH_METHODS.get(name)
    if hint is None:
        return no_attribute("Tensor", name, names)
    advice = hint if hint.startswith("not needed") else f"write {hint}"
    return AttributeError(f"Tensor has no attribute {name!r} (PyTorch's name); {advice}")


class EntryCount(int):
    """``x.size``: numpy's count of entries (an int), which says what to write when called as PyTorch's
    ``x.size(0)``."""

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        which = args[0] if args else kwargs.get("dim")
        shape = "x.shape" if which is None else f"x.shape[{which}]"
        raise TypeError(f"x.size is numpy's number of entries ({int(self)}), not PyTorch's size(): write {shape} "
                        f"(x.shape is the tuple of sizes)")


#: numpy ufunc -> (the Tensor's operator when the tensor comes first, when it comes second): what numpy's operators
#: between an array and a tensor (``array + t``, ``array < t``, ``np.float64(2) * t``) call, answered by the tensor's.
OPERATOR_UFUNCS = {
    "add": ("__add__", "__radd__"), "subtract": ("__sub__", "__rsub__"), "multiply": ("__mul__", "__rmul__"),
    "divide": ("__truediv__", "__rtruediv__"), "matmul": ("__matmul__", "__rmatmul__"),
    "power": ("__pow__", "__rpow__"), "floor_divide": ("__floordiv__", "__rfloordiv__"),
    "remainder": ("__mod__", "__rmod__"), "bitwise_and": ("__and__", "__rand__"), "bitwise_or": ("__or__", "__ror__"),
    "less": ("__lt__", "__gt__"), "less_equal": ("__le__", "__ge__"), "greater": ("__gt__", "__lt__"),
    "greater_equal": ("__ge__", "__le__"), "equal": ("__eq__", "__eq__"), "not_equal": ("__ne__", "__ne__"),
}
#: numpy ufuncs graphscope writes otherwise -> what to write (ufuncs named as a graphscope function need no entry).
UFUNC_SPELLINGS = {
    "absolute": "gs.abs(x)", "negative": "-x", "square": "x ** 2", "reciprocal": "1 / x",
    "maximum": "gs.where(x > y, x, y) (gs.relu(x) for np.maximum(x, 0))",
    "minimum": "gs.where(x < y, x, y) (-gs.relu(-x) for np.minimum(x, 0))",
    "log2": "gs.log(x) / np.log(2)", "log10": "gs.log(x) / np.log(10)", "exp2": "2 ** x",
    "true_divide": "x / y", "logaddexp": "gs.log(gs.exp(x) + gs.exp(y))",
}


def array_ufunc(tensor, ufunc, method, inputs, kwargs):
    """Tensor.__array_ufunc__: numpy's operators between an array and a tensor become the tensor's (recorded);
    any other ufunc (``np.exp(t)``) is an InputError saying what to write."""
    pair = OPERATOR_UFUNCS.get(ufunc.__name__)
    if pair is not None and method == "__call__" and not kwargs and len(inputs) == 2:
        first, second = inputs
        if first is tensor:
            operator = getattr(tensor, pair[0], None)
            other = second
        else:
            operator = getattr(tensor, pair[1], None)
            other = first
        if operator is not None:
            return operator(other)
    raise InputError(ufunc_message(ufunc, method, kwargs))


def ufunc_message(ufunc, method, kwargs):
    """Why numpy's `ufunc` cannot take a graphscope tensor, and what to write instead."""
    name = ufunc.__name__
    call = f"np.{name}(x)" if method == "__call__" else f"np.{name}.{method}(x)"
    if "out" in kwargs:
        call = f"np.{name}(..., out=array) (what array += x does)"
        advice = ("it would write a recorded value into a numpy array; make a new tensor instead "
                  "(array = array + x)")
    elif method == "reduce" and name in ("add", "multiply", "maximum", "minimum"):
        advice = f"write gs.{ {'add': 'sum', 'multiply': 'prod', 'maximum': 'max', 'minimum': 'min'}[name]}(x)"
        if name == "multiply":
            advice = "write gs.exp(gs.sum(gs.log(x))) for positive x (graphscope has no prod)"
    elif method == "__call__" and any(op.function == name for op in OPS.values()):
        advice = f"write gs.{name}(x)"
    elif name in UFUNC_SPELLINGS:
        advice = f"write {UFUNC_SPELLINGS[name]}"
    elif name in OPERATOR_UFUNCS:
        advice = f"write it with the operator ({'x + y' if name == 'add' else 'x op y'}) or graphscope's functions"
    else:
        advice = (f"graphscope has no {name}: build it from graphscope's ops (gs.exp, gs.log, gs.tanh, ...) or "
                  f"define it with gs.custom_op; np.{name}(x.value) computes it on the plain values, outside "
                  f"the graph")
    return (f"{call}: numpy's functions do not record on a graphscope tensor (no gradient would flow through "
            f"them); {advice}\n  at {caller_location()}")
