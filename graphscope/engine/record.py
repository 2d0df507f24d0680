"""Recording: running an op on tensors and adding its output node to the graph, with the user's source line.

Three lanes share one recorder: ``apply`` (any op, any attributes),
``apply_unary`` and ``apply_binary`` (ops without attributes: the scalar
path's fast lanes). Numbers and arrays given as operands become constant
leaves that carry the source line of the node they feed.
"""
import numpy as np

from . import source as _source
from .compute import compute_array, compute_or_explain
from .errors import InputError
from .hooks import FORWARD_HOOKS
from .tensor import NO_ATTRS, Tensor, _ids, new_leaf
from .values import as_value, normalize

_new = Tensor.__new__
_SCOPES = _source.SCOPES
_getframe = _source._getframe
_internal = _source._internal_cache
_is_internal = _source.is_internal


def leaf(data, requires_grad=False, name=None, role="input"):
    """Make a leaf node (an input, a parameter or a constant)."""
    return new_leaf(as_value(data, "tensor", copy=True), bool(requires_grad),
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
    """Wrap a non-tensor operand of `op` as a constant leaf; a bad one is named with the op and its partners.

    Its source line is filled in by ``_share_line`` (the line of the node it feeds).
    """
    try:
        return new_leaf(as_value(x, "operand", copy=True), False, None, "const", None)
    except InputError:
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
            rg = True
            break
    if len(inputs) == 1 and op.scalar_forward is None:
        # the common case of an array op with attributes (sum, reshape, softmax, ...): no lists, no scalar test
        try:
            value = op.forward(inputs[0]._value, **attrs)
        except Exception:  # run it again the careful way, to explain the failure
            value = compute_or_explain(op, inputs, attrs)
        if value.__class__ is not np.ndarray or value.ndim == 0:
            value = normalize(value, op)
    else:
        value = compute_or_explain(op, inputs, attrs)
    return _record(op, value, inputs, attrs or NO_ATTRS, rg, depth)


def apply_unary(op, x):
    """apply() for a one-input op without attributes: the scalar path's fast lane."""
    wrapped = x.__class__ is not Tensor
    if wrapped:
        x = _operand(op, x, ())
    v = x._value
    if v.__class__ is float and op.scalar_forward is not None:
        value = op.scalar_forward(v)
    else:
        try:
            value = op.forward(v)
        except Exception:  # run it again the careful way, to explain the failure
            value = compute_or_explain(op, (x,), NO_ATTRS, compute_array)
        if value.__class__ is not np.ndarray or value.ndim == 0:
            value = normalize(value, op)
    node = _record(op, value, (x,), NO_ATTRS, x.requires_grad, 3)
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
    else:
        try:
            value = op.forward(va, vb)
        except Exception:  # run it again the careful way, to explain the failure
            value = compute_or_explain(op, (a, b), NO_ATTRS, compute_array)
        if value.__class__ is not np.ndarray or value.ndim == 0:
            value = normalize(value, op)
    node = _record(op, value, (a, b), NO_ATTRS, a.requires_grad or b.requires_grad, 3)
    return _share_line(node) if wrapped else node
