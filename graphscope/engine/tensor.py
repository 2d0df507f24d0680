"""Tensors: every value graphscope computes, each one a node of the recorded graph.

A Tensor holds its value (a Python float for 0-d float64 values, the lean
scalar path, otherwise a numpy array), its gradient after backward, the op
that made it and that op's input tensors. Nodes reference only their inputs,
never their consumers or themselves, so a graph has no reference cycles and is
freed by reference counting alone.
"""
import itertools

import numpy as np

from . import source as _source
from .errors import GraphscopeError, InputError, ShapeError, describe_shapes
from . import ops as _ops  # noqa: F401  (fills the op table read below)
from .hooks import FORWARD_HOOKS
from .optable import OPS, shape_of

_ids = itertools.count(1)
_NO_ATTRS = {}
_SCOPES = _source.SCOPES
_getframe = _source._getframe
_internal = _source._internal_cache
_is_internal = _source.is_internal
_FLOAT_KINDS = (np.float64, np.float32)


def as_value(data, what="value", copy=False):
    """Convert user data to a graphscope value: a Python float (0-d float64) or a float ndarray.

    With copy=True the value never shares memory with the caller's array, so
    changing that array later does not change what the graph recorded.
    """
    if isinstance(data, Tensor):
        data = data._value
    c = data.__class__
    if c is float:
        return data
    original = data
    if c is int:
        return float(data)
    if c is not np.ndarray:
        try:
            data = np.asarray(data)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{what}: cannot make a tensor from {type(data).__name__} ({exc}) "
                             f"at {_source.caller_location()}") from None
    kind = data.dtype.kind
    if kind == "f":
        if data.dtype not in _FLOAT_KINDS:
            data = data.astype(np.float64)
    elif kind in "iub":
        data = data.astype(np.float64)
    else:
        raise InputError(f"{what}: expected numbers, got an array of dtype {data.dtype} "
                         f"at {_source.caller_location()}")
    if data.ndim == 0 and data.dtype == np.float64:
        return float(data)
    if copy and data is original:
        data = data.copy()
    return data


def normalize(v):
    """Bring an op's raw output to a graphscope value (0-d float64 -> float)."""
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
        return normalize(np.asarray(v))
    return as_value(v)


class Tensor:
    """A value in the recorded graph: a leaf (input, parameter, constant) or an op's output."""

    __slots__ = ("_value", "grad", "fn", "inputs", "attrs", "id", "_name", "scope",
                 "_code", "_line", "requires_grad", "role")
    __array_ufunc__ = None  # numpy defers to our reflected operators

    # ---------------------------------------------------------------- identity
    @property
    def value(self):
        """The node's value: a float for a 0-d float64 value, otherwise a numpy array."""
        return self._value

    @value.setter
    def value(self, data):
        """Assign a leaf's value (what an optimizer step or an edit does): same shape, same dtype.

        Nodes computed from it keep their old values until the graph runs
        again (``graph.run()``); to change a shape, such as a new batch size,
        feed it: ``graph.run({leaf: new_value})`` checks every op on the way.
        """
        if self.fn is not None:
            raise GraphscopeError(f"{self.name} is computed by op {self.fn.name}; only a leaf's value "
                                  f"can be assigned (run the graph with feeds to recompute it)")
        new = as_value(data, f"value of {self.name}")
        old = self._value
        if shape_of(new) != shape_of(old):
            raise ShapeError(f"value of {self.name}: a new value of shape {shape_of(new)} does not fit a leaf of "
                             f"shape {shape_of(old)}; to run the graph on a new shape use "
                             f"graph.run({{{self.name!r}: value}}), which checks every op\n"
                             f"  at {_source.caller_location()}")
        if old.__class__ is not float and new.dtype != old.dtype:
            new = new.astype(old.dtype)
        self._value = new

    @property
    def op(self):
        """Name of the op that made this node, or None for a leaf."""
        return None if self.fn is None else self.fn.name

    @property
    def name(self):
        """The user's name, or an automatic one such as 'matmul_12' (op and node id)."""
        n = self._name
        if n is not None:
            return n
        return f"{self.role if self.fn is None else self.fn.name}_{self.id}"

    @name.setter
    def name(self, name):
        self._name = None if name is None else str(name)

    @property
    def source(self):
        """'file.py:line' of the user's code that made this node."""
        return _source.format_location(self._code, self._line)

    @property
    def is_leaf(self):
        return self.fn is None

    @property
    def shape(self):
        return shape_of(self._value)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        v = self._value
        return 1 if v.__class__ is float else v.size

    @property
    def dtype(self):
        v = self._value
        return np.dtype(np.float64) if v.__class__ is float else v.dtype

    def numpy(self):
        """A copy of the value as a numpy array."""
        return np.array(self._value)

    def item(self):
        """The value as a Python float (one-element tensors only)."""
        if self.size != 1:
            raise ShapeError(f"item(): {self.name} has shape {self.shape}, not one element")
        return float(np.asarray(self._value).reshape(()))

    def __float__(self):
        return self.item()

    def __len__(self):
        if self._value.__class__ is float:
            raise TypeError("len() of a 0-d tensor")
        return len(self._value)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self):
        v = self._value
        body = repr(v) if v.__class__ is float else np.array2string(v, precision=4, threshold=8, separator=", ")
        extra = f", op={self.fn.name}" if self.fn is not None else f", {self.role}"
        if self.grad is not None:
            g = self.grad
            extra += ", grad=" + (repr(g) if g.__class__ is float else np.array2string(g, precision=4, threshold=8, separator=", "))
        return f"tensor({body}, name={self.name!r}{extra})"

    # ---------------------------------------------------------------- gradients
    def backward(self, grad=None):
        """Backpropagate from this node; see ``graphscope.engine.backward.backward``."""
        from .backward import backward
        backward(self, grad)

    def zero_grad(self):
        self.grad = None

    def graph(self):
        """The recorded graph that ends at this node."""
        from .graph import Graph
        return Graph(self)

    def detach(self):
        """A new constant leaf holding this node's value (no history)."""
        return leaf(self._value, requires_grad=False, name=None, role="const")

    # ---------------------------------------------------------------- operators
    def __add__(self, other):
        return apply_binary(_ADD, self, other)

    def __radd__(self, other):
        return apply_binary(_ADD, other, self)

    def __sub__(self, other):
        return apply_binary(_SUB, self, other)

    def __rsub__(self, other):
        return apply_binary(_SUB, other, self)

    def __mul__(self, other):
        return apply_binary(_MUL, self, other)

    def __rmul__(self, other):
        return apply_binary(_MUL, other, self)

    def __truediv__(self, other):
        return apply_binary(_DIV, self, other)

    def __rtruediv__(self, other):
        return apply_binary(_DIV, other, self)

    def __pow__(self, exponent):
        if isinstance(exponent, Tensor) or not isinstance(exponent, (int, float, np.number)):
            raise InputError(f"pow: the exponent must be a number, got {type(exponent).__name__} "
                             f"at {_source.caller_location()}")
        return apply(_POW, self, exponent=float(exponent))

    def __rpow__(self, base):
        """number ** tensor, recorded as exp(log(base) * tensor) (base > 0)."""
        if isinstance(base, (int, float, np.number)) and not isinstance(base, bool) and base > 0:
            return (self * float(np.log(base))).exp()
        raise InputError(f"pow: {base!r} ** {self.name}: the base of a tensor exponent must be a positive number "
                         f"(for x ** y with tensors write gs.exp(y * gs.log(x)))\n  at {_source.caller_location()}")

    def __neg__(self):
        return apply_unary(_NEG, self)

    def __matmul__(self, other):
        return apply_binary(_MATMUL, self, other)

    def __rmatmul__(self, other):
        return apply_binary(_MATMUL, other, self)

    # comparisons give plain boolean values (not recorded): for masks and where()
    def __lt__(self, other):
        return self._value < _raw(other)

    def __le__(self, other):
        return self._value <= _raw(other)

    def __gt__(self, other):
        return self._value > _raw(other)

    def __ge__(self, other):
        return self._value >= _raw(other)

    # x[index], abs(x) and the methods mirroring the top-level functions (x.tanh(), x.sum(), ...)
    # are attached in graphscope.engine.functional, where those functions are defined


def _raw(x):
    return x._value if isinstance(x, Tensor) else x


_new = Tensor.__new__
_ADD, _SUB, _MUL, _DIV, _MATMUL, _NEG, _POW = (OPS[n] for n in ("add", "sub", "mul", "div", "matmul", "neg", "pow"))


def _new_leaf(value, requires_grad, name, role, frame):
    """A leaf node holding `value`, made at `frame` (the user's frame, or None when unknown)."""
    t = _new(Tensor)
    t._value = value
    t.grad = None
    t.fn = None
    t.inputs = ()
    t.attrs = _NO_ATTRS
    t.id = next(_ids)
    t._name = name
    t.scope = _SCOPES.current
    if frame is None:
        t._code = None
        t._line = 0
    else:
        t._code = frame.f_code
        t._line = frame.f_lineno
    t.requires_grad = requires_grad
    t.role = role
    return t


def leaf(data, requires_grad=False, name=None, role="input"):
    """Make a leaf node (an input, a parameter or a constant)."""
    return _new_leaf(as_value(data, "tensor", copy=True), bool(requires_grad),
                     None if name is None else str(name), role, _source.user_frame(2))


def tensor(data, requires_grad=False, name=None):
    """A leaf tensor; with requires_grad=True backward computes its gradient."""
    return leaf(data, requires_grad, name, "input")


def param(data, name=None):
    """A trainable parameter: a leaf that requires a gradient."""
    return leaf(data, True, name, "param")


def constant(data, name=None):
    """A constant leaf (never gets a gradient)."""
    return leaf(data, False, name, "const")


def _operand(op, x, others):
    """Wrap a non-tensor operand of `op` as a constant leaf; a bad one is named with the op and its partners."""
    try:
        return _const(x)
    except InputError:
        partners = ", ".join(f"{o.name} {o.shape}" for o in others if o.__class__ is Tensor)
        raise InputError(f"{op.name}: operand {x!r:.60} is not numeric (expected numbers, a numpy array or a "
                         f"tensor; the other operands: {partners or 'none'})\n  at {_source.caller_location()}") from None


def _const(x):
    """Wrap a non-tensor operand (a number or an array) as a constant leaf."""
    return _new_leaf(as_value(x, "operand", copy=True), False, None, "const", None)


def _record(op, value, inputs, attrs, requires_grad, depth):
    """Create the output node of `op` and note the user's source line.

    The user's line is the first frame outside graphscope, looked for from
    `depth` frames up (the caller's best guess: each frame object stepped
    over costs an allocation, so the fast lanes start right at the user's).
    """
    t = _new(Tensor)
    t._value = value
    t.grad = None
    t.fn = op
    t.inputs = inputs
    t.attrs = attrs
    t.id = next(_ids)
    t._name = None
    t.scope = _SCOPES.current
    f = _getframe(depth)
    while f is not None:
        fn = f.f_code.co_filename
        hit = _internal.get(fn)
        if hit is None:
            hit = _is_internal(fn)
        if not hit:
            t._code = f.f_code
            t._line = f.f_lineno
            break
        f = f.f_back
    else:
        t._code = None
        t._line = 0
    t.requires_grad = requires_grad
    t.role = None
    if FORWARD_HOOKS:
        for hook in FORWARD_HOOKS:
            hook(t)
    return t


def apply(op, *args, **attrs):
    """Run `op` on tensors (numbers are wrapped as constants) and record the output node."""
    inputs = args
    for a in args:
        if a.__class__ is not Tensor:
            inputs = tuple([a if a.__class__ is Tensor else _operand(op, a, args) for a in args])
            break
    rg = False
    for i in inputs:
        if i.requires_grad:
            rg = True
            break
    if len(inputs) == 1 and op.scalar_forward is None:
        # the common case of an array op with attributes (sum, reshape, softmax, ...): no lists, no scalar test
        try:
            value = op.forward(inputs[0]._value, **attrs)
        except Exception:  # run it again the careful way, to explain the failure
            value = _compute_or_raise(op, inputs, attrs)
        if value.__class__ is not np.ndarray or value.ndim == 0:
            value = normalize(value)
    else:
        value = _compute_or_raise(op, inputs, attrs)
    return _record(op, value, inputs, attrs or _NO_ATTRS, rg, 2)


def apply_unary(op, x):
    """apply() for a one-input op without attributes: the scalar path's fast lane."""
    if x.__class__ is not Tensor:
        x = _operand(op, x, ())
    v = x._value
    if v.__class__ is float and op.scalar_forward is not None:
        value = op.scalar_forward(v)
    else:
        try:
            value = op.forward(v)
        except Exception:  # run it again the careful way, to explain the failure
            value = _compute_or_raise(op, (x,), _NO_ATTRS, compute_array)
        if value.__class__ is not np.ndarray or value.ndim == 0:
            value = normalize(value)
    return _record(op, value, (x,), _NO_ATTRS, x.requires_grad, 3)


def apply_binary(op, a, b):
    """apply() for a two-input op without attributes: the scalar path's fast lane."""
    if a.__class__ is not Tensor:
        a = _operand(op, a, (b,))
    if b.__class__ is not Tensor:
        b = _operand(op, b, (a,))
    va = a._value
    vb = b._value
    if va.__class__ is float and vb.__class__ is float and op.scalar_forward is not None:
        value = op.scalar_forward(va, vb)
    else:
        try:
            value = op.forward(va, vb)
        except Exception:  # run it again the careful way, to explain the failure
            value = _compute_or_raise(op, (a, b), _NO_ATTRS, compute_array)
        if value.__class__ is not np.ndarray or value.ndim == 0:
            value = normalize(value)
    return _record(op, value, (a, b), _NO_ATTRS, a.requires_grad or b.requires_grad, 3)


class ForwardFailed(Exception):
    """Internal: an op's forward rejected its inputs; carries the readable reason."""


def compute(op, vals, attrs):
    """The op's value on raw input values: the scalar lane when every input is a float, else numpy."""
    scalar = op.scalar_forward
    if scalar is not None and all([v.__class__ is float for v in vals]):
        return scalar(*vals, **attrs)
    return compute_array(op, vals, attrs)


def compute_array(op, vals, attrs):
    """The op's numpy forward. numpy's own exceptions become ForwardFailed with the op's explanation
    (``op.check``) or numpy's message; nothing of numpy's traceback survives."""
    try:
        return normalize(op.forward(*vals, **attrs))
    except GraphscopeError:
        raise
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, ZeroDivisionError, OverflowError) as exc:
        try:
            problem = op.check(*vals, **attrs)
        except Exception:  # an explanation must never hide the failure it explains
            problem = None
        raise ForwardFailed(problem or str(exc)) from None


def _compute_or_raise(op, inputs, attrs, compute=compute):
    """compute() for a node being recorded: failures name the op, inputs, shapes and the user's line."""
    vals = [t._value for t in inputs]
    try:
        return compute(op, vals, attrs)
    except ForwardFailed as exc:
        names = ", ".join(t.name for t in inputs)
        raise ShapeError(f"{op.name}: {exc}\n  inputs: {names}\n  shapes: {describe_shapes(vals)}\n"
                         f"  at {_source.caller_location()}") from None


def compute_for_node(op, node, vals, attrs):
    """compute() for a recorded node replayed on new values: failures name the node and where it was made."""
    try:
        return compute(op, vals, attrs)
    except ForwardFailed as exc:
        names = ", ".join(t.name for t in node.inputs)
        raise ShapeError(f"{op.name}: {exc} while replaying node {node.name}\n  inputs: {names}\n"
                         f"  shapes: {describe_shapes(vals)}\n  node made at {node.source}") from None
