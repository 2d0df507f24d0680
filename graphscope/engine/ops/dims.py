"""Numbers Python reads from a tensor while a graph is recorded: sizes that replay, and plain numbers kept as guards.

``t.shape`` read by your code gives :class:`Size` entries: ints that remember
their tensor and axis. A Size that meets a tensor (``gs.sum(y) / y.shape[0]``,
``x * n``, ``n * x``, ``gs.div(s, n)``) is recorded as a ``dim`` node (op
``dim``, attribute ``axis``, the tensor as input, the size as its value, no
gradient), so replay, the trainer's short last batch and ONNX (Shape ->
Gather -> Cast) compute it from the feed. Arithmetic on a Size (``n - 1``,
``n / 32``, ``2 * n``) remembers its steps and is recorded as ``dim`` followed
by them.

Anything else Python reads is a plain number, frozen where it goes. When one
demonstrably goes into the graph, the graph keeps a guard (an ``unchanged``
node, see ``graphscope.engine.guards``) that replay checks:

- ``//`` and ``%`` of a Size (no Tensor operator replays them) give a number
  that remembers it: made into a constant, it keeps a guard that the size is
  the same;
- ``for row in x`` (``list(x)``, ``zip(x, ...)``) records one step per row: the
  rows keep a guard that x still has that many;
- ``len(t)``, ``int(t)``, ``float(t)``, ``t.item()`` and ``np.asarray(t)`` (or
  ``np.where(t, ...)``, ``np.sort(t)``: numpy reads for the line that called
  it) give plain values Python cannot tag. A constant made from one later in
  the same function call (the same frame: not a later call of the function)
  keeps a guard, refusing (StaleNumberError) when it is made on the line that
  read it (``x * int(x)``, ``np.where(x > 1, 2.0, 3.0) * x``) and warning
  (StaleNumberWarning) when it is made on a later line. A number is matched by
  its value, except a literal on the line making the constant (the 2 of
  ``(x - 1.0) * 2``); an array on a later line only when it is the array read
  (or a view of it). The last PENDING_KEPT reads are kept, by reference, until
  their function returns.

Reads by graphscope's own code are not tracked, so nothing it does internally
adds guards.
"""
import dis
import functools
import operator
import warnings
from collections import deque

import numpy as np

from .. import guards as _guards
from .. import tensor as _tensor
from ..errors import StaleNumberError, StaleNumberWarning
from ..optable import OPS, JacobianInfo, Op, register, shape_of
from ..record import _record
from ..source import display_location, format_location, user_frame
from ..tensor import Tensor, _ids, new_leaf
from ..values import as_value
from .compare import PIECEWISE_CONSTANT

#: How many plain reads (len, int, float, item, np.asarray) are remembered for constants made after them (each
#: until its function returns).
PENDING_KEPT = 8


def _size_value(size, x):
    """The size as a value of x's float type (a Python float for float64 and anything else)."""
    return np.asarray(size, dtype=np.float32) if getattr(x, "dtype", None) == np.float32 else float(size)


@register
class Dim(Op):
    """The size of axis `axis` of x, as a float: what ``x.shape[k]`` becomes in a computation with tensors.

    It depends on x's shape only, so no gradient flows through it (the Jacobian is zero)."""

    name = "dim"

    def forward(self, x, axis):
        shape = shape_of(x)
        if not -len(shape) <= axis < len(shape):
            raise IndexError(f"axis {axis} is out of range for a value of shape {shape}")
        return _size_value(shape[axis], x)

    def input_problem(self, x, axis):
        shape = shape_of(x)
        return None if -len(shape) <= axis < len(shape) else f"axis {axis} is out of range for a value of shape {shape}"

    def vjp(self, g, x, value, axis):
        return (lambda: 0.0 if x.__class__ is float else np.zeros_like(x),)

    def jacobian(self, i, x, value, axis):
        return JacobianInfo("zero", f"d x.shape[{axis}] / dx = 0 (a size depends on the shape, not the values)")


@register
class Unchanged(Op):
    """Whether a number (or array) read from x while the graph was recorded is still what it was: a guard.

    ``kind`` says what was read: ``size`` (x.shape[axis]), ``rows`` (iterating over x), ``int`` (int(x)),
    ``float`` (float(x), x.item()) or ``array`` (np.asarray(x)); ``recorded`` is the value read, ``read`` and
    ``at`` say how and where. With ``decided=True`` (a guard) a replay that changes it raises a
    StaleNumberError, or with ``soft=True`` warns (StaleNumberWarning)."""

    name = "unchanged"
    boolean = True
    differentiable = (False,)

    def forward(self, x, *, kind, recorded, axis=0, read="", at="", soft=False, decided=None):
        now = _read_again(x, kind, axis)
        same = _same(now, recorded)
        if decided and not same:
            message = _stale_message(kind, read, recorded, now, at, axis)
            if not soft:
                raise StaleNumberError(message)
            warnings.warn(StaleNumberWarning(
                f"{message} (graphscope is not sure the constant came from that number: it has its value and was "
                f"made later in the same function; the replay goes on with the recorded constant)"), stacklevel=2)
        return np.array(same)

    def vjp(self, g, x, value, **attrs):
        return (None,)

    def jacobian(self, i, x, value, **attrs):
        return JacobianInfo("zero", f"d unchanged(x)/dx: {PIECEWISE_CONSTANT}")


def _read_again(x, kind, axis):
    if kind in ("size", "rows"):
        shape = shape_of(x)
        return shape[axis] if -len(shape) <= axis < len(shape) else None
    if kind == "array":
        return x
    v = np.asarray(x)
    if v.size != 1:
        return None
    v = v.reshape(-1)[0].item()
    return int(v) if kind == "int" else float(v)


def _same(now, recorded):
    if now is None:
        return False
    if isinstance(now, (int, float)) and isinstance(recorded, (int, float)):
        return now == recorded or (now != now and recorded != recorded)
    now, recorded = np.asarray(now), np.asarray(recorded)
    if now.shape != recorded.shape:
        return False
    return bool(np.array_equal(now, recorded, equal_nan=now.dtype.kind == "f" and recorded.dtype.kind == "f"))


def _stale_message(kind, read, recorded, now, at, axis):
    if kind == "rows":
        return (f"{read} at {at} went through its {recorded} rows, so the graph holds that many steps; this feed has "
                f"{now} rows: write the loop with whole-tensor ops (gs.sum(x * x, axis=1), gs.mean) or build the "
                f"graph again")
    if kind == "size":
        has = f"this feed has {now} rows" if axis == 0 else f"it is now {now}"
        return (f"{read} was read as {recorded} at {at} and used as a plain number; {has}: keep it a size next to "
                f"tensors (gs.sum(y) / y.shape[0] replays; len() and arithmetic on a size give plain numbers), use "
                f"gs.mean, or build the graph again")
    if kind == "array":
        return (f"{read} was read as a plain array at {at} and used as constants; on these values it differs: "
                f"compute it with tensors (gs.where(x > 1, a, b) replays) or build the graph again")
    return (f"{read} was read as {recorded!r} at {at} and used as a plain number; on these values it is {now!r}: "
            f"keep the number a tensor (use the tensor itself in the computation) or build the graph again")


# ---------------------------------------------------------------- sizes that remember their tensor

def _plain(x):
    return int.__int__(x) if isinstance(x, int) else float.__float__(x)


class _Remembered:
    """Arithmetic of a number read from a shape: the result remembers the Size it came from and the steps
    (``n - 1`` is Size n, then ``- 1``), so that next to a tensor it is recorded as ``dim`` and those steps, and
    replays. A tensor operand is left to the tensor (``n * x`` is recorded)."""

    __slots__ = ()
    steps = ()

    def _derive(self, result, step):
        if result.__class__ is int:
            result = FrozenInt(result)
        elif result.__class__ is float:
            result = FrozenFloat(result)
        else:
            return result
        result.origin, result.steps = self.origin, self.steps + (step,)
        return result


def _arithmetic(name, fn, reflected=False):
    def method(self, *other):
        if other and not isinstance(other[0], (int, float)):  # a tensor, an array: their own operators decide
            return NotImplemented
        args = (_plain(other[0]), _plain(self)) if reflected else (_plain(self),) + tuple(_plain(o) for o in other)
        return self._derive(fn(*args), (name, other[0] if other else None, reflected))
    method.__name__ = f"__{'r' if reflected else ''}{name}__"
    return method


#: The arithmetic a size remembers, and the Tensor operator that replays each step (None: none does, so a
#: constant made from the result keeps a guard instead).
_STEPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
          "pow": operator.pow, "floordiv": None, "mod": None}
for _name in _STEPS:
    _fn = getattr(operator, _name)
    setattr(_Remembered, f"__{_name}__", _arithmetic(_name, _fn))
    setattr(_Remembered, f"__r{_name}__", _arithmetic(_name, _fn, reflected=True))
_UNARY = {"neg": operator.neg, "pos": operator.pos, "abs": operator.abs}
for _name, _fn in _UNARY.items():
    setattr(_Remembered, f"__{_name}__", _arithmetic(_name, _fn))
_STEPS.update(_UNARY, pos=lambda t: t)


def _replays(number):
    """Whether every step of `number` has a Tensor operator (a number ** size does not: the base must be a
    positive tensor's exponent)."""
    return all(_STEPS[name] is not None and not (name == "pow" and reflected)
               for name, _, reflected in number.steps)


class Size(_Remembered, int):
    """An entry of ``t.shape`` read by your code: an int that remembers its tensor and axis, so that a
    computation with tensors (``gs.sum(y) / y.shape[0]``) records a ``dim`` node that replays.

    Made as ``Size(n)`` with ``_at = (node, axis, code, line)`` set after (cheaper than a ``__new__``: a shape is
    read often)."""

    node = property(lambda self: self._at[0])
    axis = property(lambda self: self._at[1])
    code = property(lambda self: self._at[2])
    line = property(lambda self: line_at(self._at[2], self._at[3]))

    @property
    def origin(self):
        return self

    @property
    def read(self):
        return f"{self.node.name}.shape[{self.axis}]"

    def __reduce__(self):  # pickles (and deep-copies) as the plain int
        return (int, (int(self),))


class FrozenInt(_Remembered, int):
    """An int computed from a Size (``n - 1``): a constant made from it keeps a guard that the size is the same.
    ``origin`` (set after making it) is that Size."""

    def __reduce__(self):
        return (int, (int(self),))


class FrozenFloat(_Remembered, float):
    """A float computed from a Size (``n * 0.5``): as FrozenInt."""

    def __reduce__(self):
        return (float, (float(self),))


def sizes(node, shape, frame):
    """``node.shape`` as read by your code at `frame`: a tuple of Size (the line is found when it is asked for)."""
    code, lasti = frame.f_code, frame.f_lasti
    out = []
    for k, n in enumerate(shape):
        size = Size(n)
        size._at = (node, k, code, lasti)
        out.append(size)
    return tuple(out)


def line_at(code, lasti):
    """The line of `code` whose bytecode holds offset `lasti` (what frame.f_lineno computes, asked only when a
    Size's line is shown)."""
    for start, end, line in code.co_lines():
        if start <= lasti < end and line is not None:
            return line
    return code.co_firstlineno


def _dim_node(size):
    """The ``dim`` node a Size becomes next to a tensor (made at the user's line; it requires no gradient)."""
    node = size.node
    value = _size_value(shape_of(node._value)[size.axis], node._value)
    return _record(OPS["dim"], value, (node,), {"axis": size.axis}, False, 1)


def _guard_step(node, kind, recorded, read, code, line, axis=0, soft=False):
    """A guard (an ``unchanged`` step) that `node`'s `kind` read is still `recorded`."""
    at = display_location(format_location(code, line))
    attrs = {"kind": kind, "recorded": recorded, "axis": axis, "read": read, "at": at, "soft": soft,
             "decided": True}
    return _guards._Step(next(_ids), OPS["unchanged"], attrs, (node.id,), f"unchanged({read})", node.scope, code, line)


def _sized(number):
    """A number computed from a Size next to a tensor: ``dim`` and its steps (``n - 1``: dim, then sub), which
    replay; or, when a step has no Tensor operator (``n // 2``), a constant that keeps a guard."""
    if not _replays(number):
        return _frozen_constant(number)
    node = _dim_node(number.origin)
    for name, other, reflected in number.steps:
        fn = _STEPS[name]
        node = fn(node) if name in _UNARY else fn(other, node) if reflected else fn(node, other)
    return node


def _frozen_constant(number):
    """A constant made from a number computed from a Size: it keeps a guard that the size is the same."""
    leaf = new_leaf(as_value(_plain(number), "operand"), False, None, "const", None)
    size = number.origin
    step = _guard_step(size.node, "size", int(size), size.read, size.code, size.line, size.axis)
    _guards.hang(_guards.note_guard(step, (size.node,)), step.key, (leaf,))
    return leaf


# ---------------------------------------------------------------- plain reads: len, int, float, item, np.asarray

class _Read:
    """A plain value your code read from a tensor, kept for the constants made after it in the same function call:
    a number, or the very array np.asarray returned (no copy: a later operand is matched by identity)."""

    __slots__ = ("value", "node", "kind", "read", "frame", "line")

    def __init__(self, value, node, kind, read, frame):
        self.value, self.node, self.kind, self.read = value, node, kind, read
        self.frame, self.line = frame, frame.f_lineno  # the frame object: a later call of the function has another


_PENDING = deque(maxlen=PENDING_KEPT)
#: The pending plain numbers' values, which the recorder tests each int and float operand against (an empty set
#: while no number waits: one truthiness test per operand).
_NUMBERS = _tensor.PENDING_NUMBERS


def note_read(node, value, kind, read, frame):
    """Remember that your code at `frame` read `value` from `node` (len, int, float, item: kind len/int/float;
    np.asarray: array, the array returned)."""
    _expire(frame)
    _PENDING.append(_Read(value, node, kind, read, frame))
    _listen()


def _expire(frame):
    """Forget the reads made in frames that have returned: no constant can come from them any more (the frames
    are held, locals and all, only while they may). `frame` is running, and so is every frame it was called from."""
    if not _PENDING:
        return
    waiting = {id(r.frame) for r in _PENDING}
    f = frame
    while f is not None and waiting:
        waiting.discard(id(f))
        f = f.f_back
    if waiting:
        kept = [r for r in _PENDING if id(r.frame) not in waiting]
        _PENDING.clear()
        _PENDING.extend(kept)
        _listen()


def _listen():
    """Have the recorder look at int, float and array operands only while a read of that kind waits for them."""
    _NUMBERS.clear()
    _NUMBERS.update(float(r.value) for r in _PENDING if r.kind != "array")
    if any(r.kind == "array" for r in _PENDING):
        _tensor.NUMBER_OPERANDS[np.ndarray] = _array_from_read
    else:
        _tensor.NUMBER_OPERANDS.pop(np.ndarray, None)


def _number_from_read(x):
    """A constant with a guard for int or float operand `x` (the recorder asks when `x` equals a pending number),
    when a read in the same function call gave that value and the line does not have it as a literal; else None."""
    frame = user_frame(3)
    if frame is None:
        return None
    for r in reversed(_PENDING):
        if r.frame is not frame or r.kind == "array" or r.value != x:
            continue
        if _is_literal(x, frame.f_code, frame.f_lineno):
            return None
        return _guarded(x, r.value, r, frame.f_lineno == r.line)
    _expire(frame)  # none of them waits in this call: drop those whose calls have returned
    return None


def _array_from_read(x):
    """A constant with a guard for array operand `x`, when a read in the same function call returned it (or a
    view of it), or made on the same line (``np.where(x > 1, 2.0, 3.0) * x``); else None."""
    frame = user_frame(3)
    if frame is None:
        return None
    for r in reversed(_PENDING):
        if r.kind != "array" or r.frame is not frame:
            continue
        same_line = frame.f_lineno == r.line
        if same_line or x is r.value or np.may_share_memory(x, r.value):
            return _guarded(x, np.array(r.value), r, same_line)
    _expire(frame)
    return None


def _is_literal(x, code, line):
    """Whether number `x` is written as a literal on `line` of `code` (the line making the constant: the 2 of
    ``gs.sum(x - 1.0) * 2`` is the code's own, whatever len(x) is)."""
    cls = x.__class__
    for c in _line_literals(code, line):
        if c.__class__ is cls and c == x:
            return True
    return False


@functools.lru_cache(maxsize=256)
def _line_literals(code, line):
    """The numbers `code` loads as literals on `line`."""
    return tuple(i.argval for i in dis.get_instructions(code) if i.opname in _LITERAL_LOADS
                 and i.positions is not None and i.positions.lineno == line)


_LITERAL_LOADS = ("LOAD_CONST", "RETURN_CONST", "LOAD_SMALL_INT")


def _guarded(x, recorded, r, same_line):
    """A constant leaf for operand `x` keeping a guard that `r`'s read is still `recorded`: refusing a replay that
    changes it when made on the line that read it, warning when on a later line (graphscope is not sure then)."""
    leaf = new_leaf(as_value(x, "operand", copy=True), False, None, "const", None)
    kind = "size" if r.kind == "len" else r.kind
    step = _guard_step(r.node, kind, recorded, r.read, r.frame.f_code, r.line, soft=not same_line)
    _guards.hang(_guards.note_guard(step, (r.node,)), step.key, (leaf,))
    return leaf


def rows(x, n, frame):
    """``for row in x`` by your code: x[0], x[1], ..., each keeping a guard that x still has `n` rows."""
    step = _guard_step(x, "rows", n, f"iterating over {x.name} (for row in {x.name}, list, zip)", frame.f_code,
                       frame.f_lineno)
    decision = _guards.note_guard(step, (x,))
    for i in range(n):
        row = x[i]
        _guards.hang(decision, step.key, (row,))
        yield row


_tensor.NUMBER_OPERANDS.update({Size: _dim_node, FrozenInt: _sized, FrozenFloat: _sized})
_tensor.READS.update(sizes=sizes, note=note_read, rows=rows, number=_number_from_read)
