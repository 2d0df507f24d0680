"""Numbers your code reads from a tensor while a graph is recorded: sizes that replay, plain numbers kept as guards.

``t.shape`` read by your code gives :class:`Size` entries: ints that remember
their tensor and axis; ``t.size`` gives a :class:`Count`, the product of them.
A Size that meets a tensor (``gs.sum(y) / y.shape[0]``, ``x * n``, ``n * x``,
``gs.div(s, n)``, ``gs.sum(x) / x.size``) is recorded as a ``dim`` node (op
``dim``, attribute ``axis``, the tensor as input, the size as its value, no
gradient), so replay, the trainer's short last batch and ONNX (Shape ->
Gather -> Cast) compute it from the feed. Arithmetic on a Size (``n - 1``,
``n / 32``, ``2 * n``, ``x.shape[0] * x.shape[1]``) remembers its steps and is
recorded as ``dim`` followed by them.

Anything else Python reads is a plain number, frozen where it goes. When one
demonstrably goes into the graph, the graph keeps a guard (an ``unchanged``
node, see ``graphscope.engine.guards``) that replay checks:

- ``//`` and ``%`` of a Size (no Tensor operator replays them) give a number
  that remembers it: made into a constant, it keeps a guard that each size it
  came from is the same;
- a Size, or a number computed from one, in an index (``x[:n]``, ``x[n - 1]``,
  ``x[: x.shape[0] // 2]``) stays the number it was: the node keeps a guard
  that each size it came from is the same;
- ``for row in x`` (``list(x)``, ``zip(x, ...)``) records one step per row: the
  rows keep a guard that x still has that many;
- ``x[i]``, ``x[i + 1]``, ... with integers on one line (a loop), in a call
  where your code read the size of that axis of x (``for i in range(len(x))``,
  ``range(x.shape[0])``), keep a guard that x still has that many rows;
- ``len(t)``, ``int(t)``, ``float(t)``, ``t.item()``, ``int(n)`` and
  ``float(n)`` of a size, ``np.prod(t.shape)``, and ``np.asarray(t)`` (or ``np.where(t, ...)``,
  ``np.sort(t)``: numpy reads for the line that called it) give plain values
  Python cannot tag. A constant made from one later in the same function call,
  or in the call that called the function that read it (``gs.sum(e) /
  count(y)``; not a later call of the function), keeps a guard, refusing
  (StaleNumberError) when it is made on the line that read it (``x * int(x)``,
  ``np.where(x > 1, 2.0, 3.0) * x``, ``gs.sum(e) / count(y)``) and warning
  (StaleNumberWarning) when it is made on a later line. A number is matched by
  its value, except a literal on the line making the constant (the 2 of
  ``(x - 1.0) * 2``); an array on a later line only when it is the array read
  (or a view of it). The last PENDING_KEPT reads are kept until the call that
  may use them is over; a read keeps no frame (so no local variable of a
  function that returned), only which call it was made in.

Reads by graphscope's own code are not tracked, so nothing it does internally
adds guards.
"""
import dis
import functools
import math
import operator
from collections import deque

import numpy as np

from . import guards as _guards
from . import tensor as _tensor
from .optable import OPS
from .record import _record
from .source import display_location, format_location, reader_frame, user_frame
from .spellings import EntryCount
from .tensor import _ids, new_leaf
from .values import as_value

#: How many plain reads (len, int, float, item, np.asarray) are remembered for constants made after them (each
#: until the call that may use it returns).
PENDING_KEPT = 8
#: How many reads of a shape by your code are remembered as a loop's bound (``range(x.shape[0])``).
SHAPE_READS_KEPT = 8
#: How many calls up from ``x[i]`` a size read is looked for as its loop's bound (the generator of
#: ``sum(x[i] for i in range(len(x)))`` is one call below the function that read len(x)).
LOOP_DEPTH = 4


def _plain(x):
    return int.__int__(x) if isinstance(x, int) else float.__float__(x)


# ---------------------------------------------------------------- sizes that remember their tensor

class _Remembered:
    """Arithmetic of a number read from a shape: the result remembers the Size it came from and the steps
    (``n - 1`` is Size n, then ``- 1``), so that next to a tensor it is recorded as ``dim`` and those steps, and
    replays. A tensor operand is left to the tensor (``n * x`` is recorded). ``int()`` and ``float()`` of it give
    plain numbers, remembered as reads (a constant made from them keeps a guard)."""

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

    def sizes(self):
        """The Sizes this number was computed from (its origin and every Size operand of its steps)."""
        return (self.origin,) + tuple(o for _, o, _ in self.steps if isinstance(o, Size))

    def __int__(self):
        return _read_as_plain(self, int(_plain(self)), "int")

    def __float__(self):
        return _read_as_plain(self, float(_plain(self)), "float")


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
        return (int, (_plain(self),))


class FrozenInt(_Remembered, int):
    """An int computed from a Size (``n - 1``): a constant made from it keeps a guard that the size is the same.
    ``origin`` (set after making it) is that Size."""

    def __reduce__(self):
        return (int, (_plain(self),))


class FrozenFloat(_Remembered, float):
    """A float computed from a Size (``n * 0.5``): as FrozenInt."""

    def __reduce__(self):
        return (float, (_plain(self),))


class Count(FrozenInt, EntryCount):
    """``t.size`` read by your code: the number of entries, an int that is the product of the tensor's Sizes
    (``gs.sum(x) / x.size`` records ``dim`` nodes and replays). Called as PyTorch's ``x.size(0)`` it says to
    write ``x.shape[0]``."""


def sizes(node, shape, frame):
    """``node.shape`` as read by your code at `frame`: a tuple of Size (the line is found when it is asked for).
    The read is remembered as a possible loop bound (``for i in range(x.shape[0])``)."""
    code, lasti = frame.f_code, frame.f_lasti
    out = []
    for k, n in enumerate(shape):
        size = Size(n)
        size._at = (node, k, code, lasti)
        out.append(size)
    _SHAPE_READS.append((node.id, id(frame), code, lasti))
    return Shape(out)


class Shape(tuple):
    """``t.shape`` read by your code: a tuple of Sizes. numpy reading it whole (``np.prod(x.shape)``) gets plain
    numbers: their product is remembered as a read of each size (a constant made from it keeps guards)."""

    __slots__ = ()

    def __array__(self, dtype=None, copy=None):
        out = np.array([_plain(s) for s in self], dtype=dtype)
        frame = reader_frame(1)
        if frame is not None and self:
            name = self[0].node.name
            sources = tuple((s.node, "size", _plain(s), s.axis, f"{s.read} (numpy reading {name}.shape, np.prod)")
                            for s in self)
            _note(math.prod(_plain(s) for s in self), False, sources, frame)
        return out

    def __reduce__(self):  # pickles (and deep-copies) as the plain tuple
        return (tuple, (tuple(_plain(s) for s in self),))


def count(node, shape, frame):
    """``node.size`` as read by your code at `frame`: a Count, the product of its Sizes."""
    first, *others = sizes(node, shape, frame)
    number = Count(math.prod(shape))
    number.origin, number.steps = first, tuple(("mul", s, False) for s in others)
    return number


def line_at(code, lasti):
    """The line of `code` whose bytecode holds offset `lasti` (what frame.f_lineno computes, asked only when a
    Size's line is shown)."""
    for start, end, line in code.co_lines():
        if start <= lasti < end and line is not None:
            return line
    return code.co_firstlineno


def _dim_node(size):
    """The ``dim`` node a Size becomes next to a tensor (made at the user's line; it requires no gradient)."""
    node, dim = size.node, OPS["dim"]
    return _record(dim, dim.forward(node._value, size.axis), (node,), {"axis": size.axis}, False, 1)


def _guard_step(node, kind, recorded, read, code, line, axis=0, soft=False):
    """A guard (an ``unchanged`` step) that `node`'s `kind` read is still `recorded`."""
    at = display_location(format_location(code, line))
    attrs = {"kind": kind, "recorded": recorded, "axis": axis, "read": read, "at": at, "soft": soft,
             "decided": True}
    return _guards._Step(next(_ids), OPS["unchanged"], attrs, (node.id,), f"unchanged({read})", node.scope, code, line)


def _hang_guard(step, node, on):
    _guards.hang(_guards.note_guard(step, (node,)), step.key, on)


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
    """A constant made from a number computed from Sizes: it keeps a guard that each of them is the same."""
    leaf = new_leaf(as_value(_plain(number), "operand"), False, None, "const", None)
    for size in number.sizes():
        step = _guard_step(size.node, "size", _plain(size), size.read, size.code, size.line, size.axis)
        _hang_guard(step, size.node, (leaf,))
    return leaf


def _read_as_plain(number, value, kind):
    """int() or float() of a number computed from Sizes, by your code: `value`, remembered as a read of each."""
    frame = reader_frame(2)
    if frame is not None:
        what = f"{kind}({number.read})" if isinstance(number, Size) else f"{kind}() of a number computed from"
        sources = tuple((s.node, "size", _plain(s), s.axis, what if s is number else f"{what} {s.read}")
                        for s in number.sizes())
        _note(value, False, sources, frame)
    return value


# ---------------------------------------------------------------- plain reads: len, int, float, item, np.asarray

def _call(frame):
    """Which call of its function `frame` is: its address and code, and where its caller stood (a frame is not
    kept, so a later call at the same address must differ in one of them)."""
    back = frame.f_back
    return id(frame), frame.f_code, None if back is None else (id(back), back.f_lasti)


class _Read:
    """A plain value your code read from a tensor, kept for the constants made after it: a number, or the very
    array np.asarray returned (no copy: a later operand is matched by identity).

    ``sources`` are the guards it calls for, (node, kind, recorded, axis, read) each (recorded None: the array as
    it is when the constant is made). ``here`` is the call that read it and ``line`` its line; ``up`` is the call
    that called that function and ``up_line`` the line of the call (a number a helper returned is used there)."""

    __slots__ = ("value", "array", "sources", "here", "line", "code", "up", "up_line")

    def __init__(self, value, array, sources, frame):
        self.value, self.array, self.sources = value, array, sources
        self.here, self.line, self.code = _call(frame), frame.f_lineno, frame.f_code
        back = frame.f_back
        self.up, self.up_line = (None, 0) if back is None else (_call(back), back.f_lineno)

    def line_in(self, call):
        """The line of `call` the read belongs to (its own, or the one that called the reading function), or
        None when it was made elsewhere."""
        return self.line if call == self.here else self.up_line if call == self.up else None


_PENDING = deque(maxlen=PENDING_KEPT)
#: The pending plain numbers' values, which the recorder tests each int and float operand against (an empty set
#: while no number waits: one truthiness test per operand).
_NUMBERS = _tensor.PENDING_NUMBERS
#: The last shapes read by your code: (node id, frame address, code, offset).
_SHAPE_READS = deque(maxlen=SHAPE_READS_KEPT)


def note_read(node, value, kind, read, frame):
    """Remember that your code at `frame` read `value` from `node` (len, int, float, item: kind len/int/float;
    np.asarray: array, the array returned)."""
    array = kind == "array"
    sources = ((node, "size" if kind == "len" else kind, None if array else value, 0, read),)
    _note(value, array, sources, frame)


def _note(value, array, sources, frame):
    _expire(frame)
    _PENDING.append(_Read(value, array, sources, frame))
    _listen()


def _running_calls(frame):
    """The calls running at `frame`: it and every frame it was called from."""
    calls, f = set(), frame
    while f is not None:
        calls.add(_call(f))
        f = f.f_back
    return calls


def _expire(frame):
    """Forget the reads whose calls are over (neither the call that read nor the one that called it runs): no
    constant can come from them any more. `frame` is running, and so is every frame it was called from."""
    if not _PENDING:
        return
    running = _running_calls(frame)
    kept = [r for r in _PENDING if r.here in running or r.up in running]
    if len(kept) != len(_PENDING):
        _PENDING.clear()
        _PENDING.extend(kept)
        _listen()


def _listen():
    """Have the recorder look at int, float and array operands only while a read of that kind waits for them."""
    _NUMBERS.clear()
    _NUMBERS.update(float(r.value) for r in _PENDING if not r.array)
    if any(r.array for r in _PENDING):
        _tensor.NUMBER_OPERANDS[np.ndarray] = _array_from_read
    else:
        _tensor.NUMBER_OPERANDS.pop(np.ndarray, None)


def _number_from_read(x):
    """A constant with a guard for int or float operand `x` (the recorder asks when `x` equals a pending number),
    when a read in this call (or in a function it called) gave that value and the line does not have it as a
    literal; else None."""
    frame = user_frame(3)
    if frame is None:
        return None
    call = _call(frame)
    for r in reversed(_PENDING):
        if r.array or r.value != x:
            continue
        line = r.line_in(call)
        if line is None:
            continue
        if _is_literal(x, frame.f_code, frame.f_lineno):
            return None
        return _guarded(x, r, frame.f_lineno == line)
    _expire(frame)  # none of them waits in this call: drop those whose calls have returned
    return None


def _array_from_read(x):
    """A constant with a guard for array operand `x`, when a read in this call (or a function it called) returned
    it (or a view of it), or one made on the same line (``np.where(x > 1, 2.0, 3.0) * x``); else None."""
    frame = user_frame(3)
    if frame is None:
        return None
    call = _call(frame)
    for r in reversed(_PENDING):
        if not r.array:
            continue
        line = r.line_in(call)
        if line is None:
            continue
        same_line = frame.f_lineno == line
        if same_line or x is r.value or np.may_share_memory(x, r.value):
            return _guarded(x, r, same_line)
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


def _guarded(x, r, same_line):
    """A constant leaf for operand `x` keeping a guard for each of `r`'s sources: refusing a replay that changes
    it when made on the line that read it, warning when on a later line (graphscope is not sure then)."""
    leaf = new_leaf(as_value(x, "operand", copy=True), False, None, "const", None)
    for node, kind, recorded, axis, read in r.sources:
        recorded = np.array(r.value) if recorded is None else recorded
        step = _guard_step(node, kind, recorded, read, r.code, r.line, axis=axis, soft=not same_line)
        _hang_guard(step, node, (leaf,))
    return leaf


# ---------------------------------------------------------------- loops over the rows

def rows(x, n, frame):
    """``for row in x`` by your code: x[0], x[1], ..., each keeping a guard that x still has `n` rows."""
    step = _guard_step(x, "rows", n, f"iterating over {x.name} (for row in {x.name}, list, zip)", frame.f_code,
                       frame.f_lineno)
    decision = _guards.note_guard(step, (x,))
    for i in range(n):
        row = x[i]
        _guards.hang(decision, step.key, (row,))
        yield row


def indexed(out):
    """``x[i]`` (`out`) recorded by your code, i an integer: when it follows x[i - 1] on the same line (a loop)
    and your code read the size of that axis of x in a call still running (``for i in range(len(x))``,
    ``range(x.shape[0])``), the row keeps a guard that x still has that many (one guard per loop). Called by
    getitem's ``recorded``, three calls below the code that indexed."""
    if not (_PENDING or _SHAPE_READS):  # no size read that could bound a loop
        return
    index = out.attrs["index"]
    if index.__class__ is int:
        parts = ((0, index),) if index >= 0 else ()
    else:
        parts = _integer_parts(index if isinstance(index, tuple) else (index,))
    if not parts:
        return
    x, code, line = out.inputs[0], out._code, out._line
    for axis, i in parts:
        key = (x.id, axis)
        last = _LAST_INDEX.get(key)
        guard = None
        if last is not None and last[0] is code and last[1] == line and last[2] == i - 1:
            guard = last[3]
            if guard is None:
                frame = reader_frame(3)  # your code indexed, not graphscope's (for row in x has its own guard)
                guard = frame is not None and _loop_guard(x, axis, frame) or False
            if guard:
                _guards.hang(guard[0], guard[1], (out,))
        elif len(_LAST_INDEX) >= LAST_INDEX_KEPT:
            _LAST_INDEX.clear()
        _LAST_INDEX[key] = (code, line, i, guard)


def sized_index(out):
    """``x[:n]``, ``x[n - 1]``, ``x[: x.shape[0] // 2]`` (`out`, getitem) with a number computed from Sizes in its
    index: the index stays the number it was (a slice cannot replay a ``dim`` node), so `out` keeps a guard that
    each size it came from is the same, and replay with another size says so instead of slicing as recorded.
    The attribute keeps plain ints (not the Sizes, which hold their tensor)."""
    index = out.attrs["index"]
    parts = index if isinstance(index, tuple) else (index,)
    numbers = [n for p in parts for n in ((p.start, p.stop, p.step) if isinstance(p, slice) else (p,))
               if isinstance(n, _Remembered)]
    if not numbers:
        return
    for number in numbers:
        for size in number.sizes():
            step = _guard_step(size.node, "size", _plain(size), size.read, size.code, size.line, size.axis)
            _hang_guard(step, size.node, (out,))
    plain = tuple(slice(*(_plain(n) if isinstance(n, _Remembered) else n for n in (p.start, p.stop, p.step)))
                  if isinstance(p, slice) else _plain(p) if isinstance(p, _Remembered) else p for p in parts)
    out.attrs["index"] = plain if isinstance(index, tuple) else plain[0]


#: The last integer index of each (node id, axis) indexed by your code: (code, line, index, the loop's guard: None
#: not looked for, False none).
_LAST_INDEX = {}
LAST_INDEX_KEPT = 16


def _integer_parts(parts):
    """(axis, index) for each non-negative integer of an index, up to its first part of another kind than an
    integer, a slice or None (an Ellipsis or an array: the axes after them are not followed)."""
    found, axis = [], 0
    for p in parts:
        if p is None:
            continue
        if isinstance(p, slice):
            axis += 1
            continue
        if not isinstance(p, (int, np.integer)) or isinstance(p, bool):
            break
        if p >= 0:
            found.append((axis, int(p)))
        axis += 1
    return found


def _loop_guard(x, axis, frame):
    """The guard (decision, key) that x keeps its size along `axis`, for a loop indexing it at `frame` bounded by
    a read of that size; None when no such read is found."""
    bound = _loop_bound(x, axis, frame)
    if bound is None:
        return None
    read, code, line = bound
    step = _guard_step(x, "rows", x._value.shape[axis], f"the loop indexing {x.name} over range({read})",
                       frame.f_code, frame.f_lineno, axis=axis)
    return _guards.note_guard(step, (x,)), step.key


def _loop_bound(x, axis, frame):
    """The read of x's size along `axis` in a call running at `frame` or up to LOOP_DEPTH calls above it (a
    pending len, or int/float of a size, or a read of x.shape): (how it reads, its code, its line), or None."""
    for r in reversed(_PENDING):
        for node, kind, _, source_axis, read in r.sources:
            if node is x and kind == "size" and source_axis == axis:
                for f in _frames(frame):
                    call = _call(f)
                    if call == r.here or call == r.up:
                        return read, r.code, r.line
    places = {(shape_read[1], shape_read[2]): shape_read for shape_read in _SHAPE_READS if shape_read[0] == x.id}
    if places:
        for f in _frames(frame):
            shape_read = places.get((id(f), f.f_code))
            if shape_read is not None:
                return f"{x.name}.shape[{axis}]", shape_read[2], line_at(shape_read[2], shape_read[3])
    return None


def _frames(frame):
    """`frame` and the LOOP_DEPTH - 1 frames it was called from (a loop's generator, the function it is in...)."""
    for _ in range(LOOP_DEPTH):
        if frame is None:
            return
        yield frame
        frame = frame.f_back


def _numpy_number_from_read(x):
    """As _number_from_read, for a numpy number operand (np.prod(x.shape), np.float64(len(x)))."""
    return _number_from_read(x) if _NUMBERS and x in _NUMBERS else None


_tensor.NUMBER_OPERANDS.update({Size: _dim_node, FrozenInt: _sized, FrozenFloat: _sized, Count: _sized})
_tensor.NUMBER_OPERANDS.update(dict.fromkeys((np.int64, np.int32, np.float64, np.float32), _numpy_number_from_read))
_tensor.READS.update(sizes=sizes, count=count, note=note_read, rows=rows, number=_number_from_read,
                     indexed=indexed)
