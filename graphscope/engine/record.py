"""Recording: running an op on tensors and adding its output node to the graph, with the user's source line.

Three lanes share one recorder: ``apply`` (any op, any attributes),
``apply_unary`` and ``apply_binary`` (ops without attributes: the scalar
path's fast lanes). Numbers and arrays given as operands become constant
leaves that carry the source line of the node they feed.
"""
import numpy as np

from . import arguments as _arguments
from . import forward_warnings as _fw
from . import source as _source
from .compute import compute_array, compute_or_explain
from .errors import InputError
from .hooks import FORWARD_HOOKS
from .tensor import NO_ATTRS, NUMBER_OPERANDS, PENDING_NUMBERS, READS, Tensor, _ids, new_leaf
from .values import as_value, normalize

_new = Tensor.__new__
_SCOPES = _source.SCOPES
_getframe = _source._getframe
_internal = _source._internal_cache
_is_internal = _source.is_internal
_noted = _fw.NOTED


def leaf(data, requires_grad=False, name=None, role="input", dtype=None):
    """Make a leaf node (an input, a parameter or a constant) from numbers or a numpy array, never from tensors."""
    what = {"input": "tensor", "param": "param", "const": "constant"}.get(role, "tensor")
    _refuse_tensors(data, what)
    if requires_grad.__class__ is not bool:
        requires_grad = _arguments.flag(requires_grad, "requires_grad", f"gs.{what}")
    if name is not None and (name.__class__ is not str or len(name) > _source.NAME_CHARS):  # checked when odd
        name = _arguments.leaf_name(name, f"gs.{what}")
    value = as_value(data, what, copy=True)
    if dtype is not None:
        value = _with_dtype(value, dtype, what)
    return new_leaf(value, requires_grad, name, role, _source.user_frame(2))


def tensor(data, requires_grad=False, name=None, dtype=None):
    """A leaf tensor made from a number, a (nested) list or a numpy array; with requires_grad=True backward
    computes its gradient.

    Values are float64 or float32: float32 data stays float32, everything else
    (ints, bools, float16) becomes float64; ``dtype=np.float32`` (or "float32",
    or np.float64) asks for one of the two. A 0-d float64 value is held as a
    Python float (the scalar path). The data is copied. A tensor is not data:
    to keep it in the graph use it as it is (``gs.stack`` joins several), and
    ``t.detach()`` gives a new constant leaf with its value.
    """
    return leaf(data, requires_grad, name, "input", dtype)


def param(data, name=None, dtype=None):
    """A trainable parameter: a leaf that requires a gradient (data and dtype as for gs.tensor)."""
    return leaf(data, True, name, "param", dtype)


def constant(data, name=None, dtype=None):
    """A constant leaf, which never gets a gradient (data and dtype as for gs.tensor)."""
    return leaf(data, False, name, "const", dtype)


_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def _with_dtype(value, dtype, what):
    """`value` in float64 or float32, as `dtype` names; an InputError for any other dtype."""
    try:
        wanted = np.dtype(dtype)
    except TypeError:
        wanted = None
    if wanted is None or wanted not in _DTYPES:  # (a dtype equals None: np.dtype(None) is float64)
        raise InputError(f"gs.{what}: dtype={dtype!r:.40} is not one graphscope computes in; use np.float64 "
                         f"(the default) or np.float32\n  at {_source.caller_location()}")
    if value.__class__ is float:
        return value if wanted == np.float64 else np.float32(value).reshape(())
    return value if value.dtype == wanted else value.astype(wanted)


def _refuse_tensors(data, what):
    """An InputError when `data` is a tensor, or a list holding tensors (they would become a leaf cut off the graph)."""
    if data.__class__ is Tensor:
        raise InputError(f"gs.{what}({data.name}): {data.name} is already a tensor; use it as it is to keep it "
                         f"in the graph, or {data.name}.detach() for a new constant leaf with its value (no "
                         f"history)\n  at {_source.caller_location()}")
    if isinstance(data, (list, tuple)) and _holds_tensor(data):
        raise InputError(f"gs.{what}([...]): the list holds tensors; gs.stack([...]) joins them and keeps them "
                         f"in the graph (or take their .value for new leaves)\n  at {_source.caller_location()}")


def _holds_tensor(items):
    for item in items:
        if item.__class__ is Tensor or (isinstance(item, (list, tuple)) and _holds_tensor(item)):
            return True
    return False


def _operand(op, x, others):
    """Wrap a non-tensor operand of `op` as a constant leaf; a bad one is named with the op and its partners.

    Its source line is filled in by ``_share_line`` (the line of the node it feeds). A number read from a tensor
    (``y.shape[0]``) may become another node (graphscope.engine.reads).
    """
    cls = x.__class__
    if cls is float or cls is int:
        if PENDING_NUMBERS and x in PENDING_NUMBERS:  # it may be a number read from a tensor: kept with a guard
            node = READS["number"](x)
            if node is not None:
                return node
    else:
        read = NUMBER_OPERANDS.get(cls)
        if read is not None:
            node = read(x)
            if node is not None:
                return node
    try:
        return new_leaf(as_value(x, "operand", copy=True), False, None, "const", None)
    except InputError as exc:
        if cls is int or isinstance(x, np.ma.MaskedArray):  # too large for a float64, or masked: as_value says so
            raise InputError(f"{op.name}: {exc}") from None
        partners = ", ".join(f"{o.name} {o.shape}" for o in others if o.__class__ is Tensor)
        raise InputError(f"{op.name}: operand {x!r:.60} is not numeric (expected numbers, a numpy array or a "
                         f"tensor; the other operands: {partners or 'none'})\n  at {_source.caller_location()}") from None


def _record(op, value, inputs, attrs, requires_grad, depth):
    """Create the output node of `op` and note the user's source line.

    The user's line is the first frame outside graphscope, looked for from
    `depth` frames up (the caller's best guess: each frame object stepped
    over costs an allocation, so the fast lanes start right at the user's).
    """
    t = _new(Tensor)
    t._value = value
    t.grad = None
    t.op_def = op
    t.inputs = inputs
    t.attrs = attrs
    t.id = next(_ids)
    t._name = None
    t.scope = _SCOPES.current
    f = _getframe(depth)
    while f is not None:  # source.user_frame, inlined: this runs once per recorded node
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


def _operands(op, args):
    """`args` with every number or array wrapped as a constant leaf (its line is set by ``_share_line``)."""
    return tuple([a if a.__class__ is Tensor else _operand(op, a, args) for a in args])


def _share_line(node):
    """Give constants made from plain numbers for `node` (``2 * x``) the user's line that made the node."""
    for i in node.inputs:
        if i._code is None and i.op_def is None and i.role == "const":
            i._code = node._code
            i._line = node._line
    return node


def apply(op, *args, **attrs):
    """Run `op` on tensors (numbers are wrapped as constants) and record the output node."""
    return apply_to(op, args, attrs, 4)


def apply_to(op, args, attrs, depth=3):
    """apply() with the inputs as a tuple and the attributes as a dict (what the op functions call).

    `depth`: how many frames up from the recorder the user's frame is expected (see ``_record``).
    """
    inputs = args
    for a in args:
        if a.__class__ is not Tensor:
            return _share_line(apply_to(op, _operands(op, args), attrs, depth + 1))
    rg = False
    for i in inputs:
        if i.requires_grad:
            rg = not op.boolean  # a mask (x > 0) never requires a gradient
            break
    if len(inputs) == 1 and op.scalar_forward is None:
        # the common case of an array op with attributes (sum, reshape, softmax, ...): no lists, no scalar test
        token = _fw.watch()
        try:
            value = op.forward(inputs[0]._value, **attrs)
        except Exception:  # run it again the careful way, to explain the failure
            __tracebackhide__ = True   # IPython and pytest show the user's line and the error, not this frame
            value = compute_or_explain(op, inputs, attrs)
        finally:
            _fw.unwatch(token)
        if value.__class__ is not np.ndarray or value.ndim == 0:
            value = normalize(value, op)
    else:
        value = compute_or_explain(op, inputs, attrs)
    node = _record(op, value, inputs, attrs or NO_ATTRS, rg, depth)
    if (value - value) if value.__class__ is float else _noted.raised:  # inf/NaN (v - v is NaN), or numpy noted one
        _fw.report(node)
    return node


def apply_unary(op, x):
    """apply() for a one-input op without attributes: the scalar path's fast lane."""
    wrapped = x.__class__ is not Tensor
    if wrapped:
        x = _operand(op, x, ())
    v = x._value
    if v.__class__ is float and op.scalar_forward is not None:
        value = op.scalar_forward(v)
        bad = value * 0.0  # NaN (true) for an infinity or a NaN, else 0 (a comparison's bool too): the hot path
    else:
        token = _fw.watch()
        try:
            value = op.forward(v)
        except Exception:  # run it again the careful way, to explain the failure
            __tracebackhide__ = True   # IPython and pytest show the user's line and the error, not this frame
            value = compute_or_explain(op, (x,), NO_ATTRS, compute_array)
        finally:
            _fw.unwatch(token)
        if value.__class__ is not np.ndarray or value.ndim == 0:
            value = normalize(value, op)
        bad = (value - value) if value.__class__ is float else _noted.raised
    node = _record(op, value, (x,), NO_ATTRS, x.requires_grad and not op.boolean, 3)
    if bad:
        _fw.report(node)
    return _share_line(node) if wrapped else node


def apply_binary(op, a, b):
    """apply() for a two-input op without attributes: the scalar path's fast lane."""
    wrapped = a.__class__ is not Tensor or b.__class__ is not Tensor
    if wrapped:
        if a.__class__ is not Tensor:
            a = _operand(op, a, (b,))
        if b.__class__ is not Tensor:
            b = _operand(op, b, (a,))
    va = a._value
    vb = b._value
    if va.__class__ is float and vb.__class__ is float and op.scalar_forward is not None:
        value = op.scalar_forward(va, vb)
        bad = value * 0.0
    else:
        token = _fw.watch()
        try:
            value = op.forward(va, vb)
        except Exception:  # run it again the careful way, to explain the failure
            __tracebackhide__ = True   # IPython and pytest show the user's line and the error, not this frame
            value = compute_or_explain(op, (a, b), NO_ATTRS, compute_array)
        finally:
            _fw.unwatch(token)
        if value.__class__ is not np.ndarray or value.ndim == 0:
            value = normalize(value, op)
        bad = (value - value) if value.__class__ is float else _noted.raised
    node = _record(op, value, (a, b), NO_ATTRS, (a.requires_grad or b.requires_grad) and not op.boolean, 3)
    if bad:
        _fw.report(node)
    return _share_line(node) if wrapped else node
