"""The top-level functions (``gs.tanh``), Tensor methods (``x.tanh()``) and operators (``x + y``), made
from the op table.

Nothing here is written per op: each op's ``function``, ``method``,
``operators`` and ``arguments`` (see ``graphscope.engine.optable``) say what
to make. Ops registered later (a test's or a user's op file) get theirs at
registration, and lose them when unregistered. ``FUNCTIONS`` maps each
function's name to it; ``on_change`` tells the packages that export them.
"""
import inspect

import numpy as np

from .errors import ArgumentError
from .optable import LISTENERS, OPS, Op
from .record import apply_binary, apply_to, apply_unary
from .spellings import call_respelled
from .tensor import Tensor

#: Public name -> function made from an op, in registration order.
FUNCTIONS = {}
#: Called as ``callback(name, function_or_None)`` when a function appears or goes.
_WATCHERS = []
#: Op name -> the Tensor attributes made for it (to remove them with the op).
_ATTACHED = {}


def on_change(callback):
    """Call ``callback(name, function)`` for every function now and whenever one appears (None: removed)."""
    _WATCHERS.append(callback)
    for name, fn in FUNCTIONS.items():
        callback(name, fn)


def export_to(namespace, names):
    """Keep a module's `namespace` (its globals()) and `names` (its __all__) in step with FUNCTIONS."""
    def export(name, fn):
        taken = namespace.get(name)
        if fn is not None and taken is not None and getattr(taken, "op", None) is None:
            raise ArgumentError(f"op {fn.op.name}: the function name {name!r} is taken by graphscope's own "
                             f"{name}; give the op another `function` name")
        if fn is None:
            if getattr(taken, "op", None) is not None:  # never graphscope's own name
                del namespace[name]
                if name in names:
                    names.remove(name)
        else:
            namespace[name] = fn
            if name not in names:
                names.append(name)
    on_change(export)


#: The one attribute no op function takes: the answer bool() records on a comparison (graphscope.engine.guards).
RECORDED_AFTER = "decided"


def _lane(op):
    """apply_unary / apply_binary for an op whose forward takes exactly one / two inputs and nothing else."""
    if op.arguments is not None:
        return None
    try:
        params = list(inspect.signature(op.forward).parameters.values())
    except (TypeError, ValueError):
        return None
    # a comparison's `decided` is set on a node after it is recorded (by bool()), never given to its function;
    # nor is ``out=``, the array an op declaring ``accepts_out`` writes its value into (the trainer's plan gives
    # it); any other keyword (a user op's `forward(self, x, *, k=2.0)`) is an attribute the function must take
    params = [p for p in params if p.name != RECORDED_AFTER
              and not (p.name == "out" and p.kind is p.KEYWORD_ONLY and "forward" in op.accepts_out)]
    plain = all(p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty for p in params)
    if plain and len(params) == 1:
        return apply_unary
    if plain and len(params) == 2:
        return apply_binary
    return None


def make_function(op):
    """The function that applies `op`: its arguments normalized by ``op.arguments``, the node recorded."""
    lane = _lane(op)
    if lane is apply_unary:
        def fn(x):
            __tracebackhide__ = True   # IPython and pytest show the user's line and the error, not this frame
            return apply_unary(op, x)
    elif lane is apply_binary:
        def fn(a, b):
            __tracebackhide__ = True
            return apply_binary(op, a, b)
    elif op.arguments is not None:
        arguments = op.arguments

        def fn(*args, **kwargs):
            __tracebackhide__ = True
            try:
                inputs, attrs = arguments(*args, **kwargs)
            except TypeError as exc:  # PyTorch's dim=, numpy's out=None, ... or one clear message
                inputs, attrs = call_respelled(op, arguments, args, kwargs, exc)
                if op.dim_result is not None and "dim" in kwargs:  # torch's x.max(dim=1): (values, indices)
                    return op.dim_result(apply_to(op, inputs, attrs))
            out = apply_to(op, inputs, attrs)
            if op.recorded is not None:
                op.recorded(out)
            return out
        fn.__signature__ = inspect.signature(arguments)
    else:
        def fn(*inputs, **attrs):
            return apply_to(op, inputs, attrs)
    fn.__name__ = fn.__qualname__ = op.function or op.name
    fn.__doc__ = type(op).__doc__ if type(op).__doc__ is not Op.__doc__ else None
    fn.__module__ = "graphscope"
    fn.op = op
    return fn


def _operator(op, fn, name):
    """A Tensor operator applying `op`; ``__r<name>__`` swaps the operands (``2 * x`` is mul(2, x))."""
    reflected = name.startswith("__r") and name[3:-2] in _REFLECTABLE
    if reflected and _lane(op) is apply_binary:
        def method(self, other, _op=op, _apply=apply_binary):
            return _apply(_op, other, self)
    elif reflected:
        def method(self, other):
            return fn(other, self)
    else:
        method = fn
    if method is not fn:
        method.__name__ = name
        method.__doc__ = f"{op.name}, as a Tensor operator."
    return method


_REFLECTABLE = {"add", "sub", "mul", "truediv", "matmul", "pow", "floordiv", "mod", "and", "or"}


def _added(op):
    other = FUNCTIONS.get(op.function)
    if other is not None and other.op.name != op.name:
        raise ArgumentError(f"op {op.name}: the function name {op.function!r} is taken by op {other.op.name}")
    names = list(op.operators)
    if op.method:
        names.append(op.method if isinstance(op.method, str) else op.function or op.name)
    taken = [n for n in names if n in Tensor.__dict__]
    if taken:
        raise ArgumentError(f"op {op.name}: Tensor already has {', '.join(taken)} (its own, or another op's)")
    fn = make_function(op)
    attached = {name: _operator(op, fn, name) for name in op.operators}
    if op.method:
        attached[names[-1]] = fn
    for name, method in attached.items():
        setattr(Tensor, name, method)
    _ATTACHED[op.name] = attached
    if op.function:
        FUNCTIONS[op.function] = fn
        for callback in _WATCHERS:
            callback(op.function, fn)


def _removed(op):
    for name in _ATTACHED.pop(op.name, {}):
        if name in Tensor.__dict__:
            delattr(Tensor, name)
    if op.function and getattr(FUNCTIONS.get(op.function), "op", None) is op:
        del FUNCTIONS[op.function]
        for callback in _WATCHERS:
            callback(op.function, None)


def _listener(op, added):
    (_added if added else _removed)(op)


for _op in list(OPS.values()):
    _added(_op)
LISTENERS.append(_listener)


def _equality(op, name):
    """Tensor.__eq__ / __ne__: op `op` (recorded, element-wise) with a number, an array or a tensor; anything
    else (None, a string, an object) gets NotImplemented, so Python asks it and then compares identities (a
    tensor is not equal to None), as between Python objects."""
    def method(self, other, _op=op, _apply=apply_binary):
        if other.__class__ is Tensor or other.__class__ is float or isinstance(other, _NUMERIC):
            return _apply(_op, self, other)
        return NotImplemented
    method.__name__ = name
    method.__doc__ = f"{op.name}, element-wise, recorded (a boolean mask); NotImplemented for something not numeric."
    return method


_NUMERIC = (int, float, np.ndarray, np.generic, list, tuple)
Tensor.__eq__ = _equality(OPS["equal"], "__eq__")
Tensor.__ne__ = _equality(OPS["not_equal"], "__ne__")
