"""The Tensor: every value graphscope computes, each one a node of the recorded graph.

A Tensor holds its value (a Python float for 0-d float64 values, the lean
scalar path, otherwise a numpy array), its gradient after backward, the op
that made it (``op_def``, an entry of the op table) and that op's input
tensors. Nodes reference only their inputs, never their consumers or
themselves, so a graph has no reference cycles and is freed by reference
counting alone.

The operators and the methods that mirror the top-level functions
(``x + y``, ``x.tanh()``, ``x.sum()``, ``x[i]``) are made from the op table by
``graphscope.engine.op_functions``; recording lives in
``graphscope.engine.record``.
"""
import itertools
import math

import numpy as np

from . import source as _source
from .backward import backward as _backward
from .arguments import leaf_name as _leaf_name
from .errors import ArgumentError, GraphscopeError, InputError, ShapeError
from .formatting import tensor_repr as _tensor_repr
from .graph import Graph
from .spellings import TORCH_METHODS as _TORCH_METHODS, EntryCount as _EntryCount, \
    array_ufunc as _array_ufunc, tensor_attribute_error as _tensor_attribute_error
from . import guards as _guards
from . import staleness as _staleness
from .guards import note_decision as _note_decision
from .values import as_value, shape_of

_ids = itertools.count(1)
NO_ATTRS = {}
_SCOPES = _source.SCOPES
#: Operand class -> the node a number of that class becomes next to a tensor, or None for a plain constant
#: (a Size from ``t.shape`` becomes a ``dim`` node): filled by graphscope.engine.reads, read by the recorder.
NUMBER_OPERANDS = {}
#: What reads by your code call (``sizes``, ``note``, ``rows``) and the recorder asks (``number``: an int or float
#: operand equal to a pending read): graphscope.engine.reads, which imports this module.
READS = {}
#: The values of the plain numbers your code read that a constant may still come from (kept by engine.reads).
PENDING_NUMBERS = set()
_your_frame = _source.reader_frame


class Tensor:
    """A value in the recorded graph: a leaf (input, parameter, constant) or an op's output."""

    __slots__ = {
        "_value": "The value (see the value property).",
        "grad": "dL/d(this node) after backward(): shaped like the value (a float for a 0-d float64 value); None "
                "until backward reached it (not computed, never a zero). Leaves that require a gradient accumulate "
                "it over backward() calls, until zero_grad().",
        "op_def": "The op-table entry that made this node (None for a leaf); see also the op property.",
        "inputs": "The op's input tensors, in order (() for a leaf).",
        "attrs": "The op's attributes (axis, labels, a dropout mask, ...), a dict.",
        "id": "A number unique in this process, increasing in creation order ('%12' in the tape).",
        "_name": "The user's name, or None (see the name property).",
        "scope": "The module scope the node was made in ('fc1', 'net/block2'), or None.",
        "_code": "The code object of the user's line that made the node.",
        "_line": "The line number of that line.",
        "requires_grad": "True when backward() computes this node's gradient: a parameter, a leaf made with "
                         "requires_grad=True, or any op output depending on one.",
        "role": "What a leaf is: 'input', 'param' or 'const' (None for an op output).",
        "_guards": "The decisions (bool() of a tensor that steered Python) that read this node, set only when "
                   "there are some (see graphscope.engine.guards).",
        "_changed": "A leaf's last change in place (an optimizer step, a new .value), set only when there was one "
                    "(see graphscope.engine.staleness).",
        "_computed": "An op node's last recomputation (replay), set only when there was one (see "
                     "graphscope.engine.staleness).",
    }
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """numpy's operators with an array (``array + t``) are the tensor's, recorded; ``np.exp(t)`` and other ufuncs
        are an InputError saying what to write (``gs.exp(t)``): see ``spellings.array_ufunc``."""
        return _array_ufunc(self, ufunc, method, inputs, kwargs)

    def __getstate__(self):
        """For pickle and copy: the slots, the source line's code object kept as file and function names."""
        state = {name: getattr(self, name) for name in Tensor.__slots__ if hasattr(self, name)}
        if "_code" in state:
            state["_code"] = _source.saved_source(state["_code"])
        return state

    def __setstate__(self, state):
        for name, value in state.items():
            setattr(self, name, value)

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
        if self.op_def is not None:
            raise GraphscopeError(f"{self.name} is computed by op {self.op_def.name}; only a leaf's value "
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
        _staleness.changed((self,))

    @property
    def op(self):
        """Name of the op that made this node, or None for a leaf (``op_def`` is the op itself)."""
        return None if self.op_def is None else self.op_def.name

    @property
    def name(self):
        """The user's name, or an automatic one such as 'matmul_12' (op and node id)."""
        n = self._name
        if n is not None:
            return n
        return f"{self.role if self.op_def is None else self.op_def.name}_{self.id}"

    @name.setter
    def name(self, name):
        self._name = _leaf_name(name, f"{self.name}.name")

    @property
    def source(self):
        """'file.py:line' of the user's code that made this node."""
        return _source.format_location(self._code, self._line)

    @property
    def is_leaf(self):
        """True for a node no op made (an input, a parameter or a constant)."""
        return self.op_def is None

    @property
    def shape(self):
        """The value's shape, a tuple: () for a scalar.

        Read by your code, its entries are Sizes (ints that remember this tensor and the axis): next to a tensor
        (``gs.sum(y) / y.shape[0]``) one is recorded as a ``dim`` node, so replay uses the fed size (see
        ``graphscope.engine.reads``).
        """
        v = self._value
        if v.__class__ is float:
            return ()
        if not v.ndim:
            return v.shape
        frame = _your_frame(1)
        return v.shape if frame is None else READS["sizes"](self, v.shape, frame)

    @property
    def ndim(self):
        """The number of axes: 0 for a scalar."""
        return len(self.shape)

    @property
    def size(self):
        """The number of entries (numpy's size, PyTorch's numel()): 1 for a scalar. An int; called as PyTorch's
        ``x.size(0)`` it says to write ``x.shape[0]``. Read by your code, it is the product of the Sizes of
        ``x.shape``, so ``gs.sum(x) / x.size`` replays (see ``graphscope.engine.reads``)."""
        v = self._value
        if v.__class__ is float or not v.ndim:
            return _EntryCount(1)
        frame = _your_frame(1)
        return _EntryCount(v.size) if frame is None else READS["count"](self, v.shape, frame)

    @property
    def dtype(self):
        """The value's numpy dtype: float64 (a Python-float scalar too) or float32."""
        v = self._value
        return np.dtype(np.float64) if v.__class__ is float else v.dtype

    @property
    def T(self):
        """The transpose (axes reversed)."""
        return self.transpose()

    def numpy(self):
        """A copy of the value as a numpy array."""
        return np.array(self._value)

    def item(self):
        """The value as a Python float (one-element tensors only): a plain number, frozen where it goes (a constant
        made from it in the same function keeps a guard, see ``graphscope.engine.reads``)."""
        if np.size(self._value) != 1:
            raise ShapeError(f"item(): {self.name} has shape {np.shape(self._value)}, not one element")
        return self._noted(float(np.asarray(self._value).reshape(())), "float", f"{self.name}.item()")

    def __float__(self):
        if np.size(self._value) != 1:
            raise ShapeError(f"item(): {self.name} has shape {np.shape(self._value)}, not one element")
        return self._noted(float(np.asarray(self._value).reshape(())), "float", f"float({self.name})")

    def __int__(self):
        """int() of a one-element tensor truncates toward zero, as int(float) does."""
        number = self._one_element(f"int({self.name}) takes a one-element tensor")
        if not math.isfinite(number):
            raise ArgumentError(f"int({self.name}): {self.name} is {number}, which has no whole-number part (test "
                                f"it first: gs.isfinite({self.name}), or float({self.name}) keeps it)\n"
                                f"  at {_source.caller_location()}")
        number = int(number)
        return self._noted(number, "int", f"int({self.name})")

    def _noted(self, number, kind, read):
        """`number`, read from this tensor: remembered when your code read it (two frames up)."""
        frame = _your_frame(2)
        if frame is not None:
            READS["note"](self, number, kind, read, frame)
        return number

    def __bool__(self):
        """The truth of a one-element tensor; for more entries ambiguous (as in numpy and torch): say .any()/.all().

        The truth of a tensor (``if x > 0:``, ``max(x, 0.0)``, ``if a - b:``) steers Python, which replay
        cannot redo: the answer is kept (a comparison's attribute ``decided``, and a guard for graphs made
        afterwards, see ``graphscope.engine.guards``), and a replay on values that answer otherwise refuses
        instead of reusing the branch.
        """
        answer = bool(self._one_element(f"the truth value of {self.name} is ambiguous"))
        op = self.op_def
        if op is not None and op.boolean and self.attrs.get("decided") is not answer:
            self.attrs = {**self.attrs, "decided": answer}
        _note_decision(self, answer, next(_ids))
        return answer

    def _one_element(self, problem):
        v = self._value
        if v.__class__ is float:
            return v
        if v.size != 1:
            name = self.name
            hint = ""
            if self.op_def is not None and self.op_def.name in ("equal", "not_equal"):
                hint = ("; `t in [a, b]` and list.index/remove compare with ==, which is element-wise: to find a "
                        "tensor itself in a list compare identities, any(t is u for u in items)")
            raise ShapeError(f"{problem}: {name} has shape {v.shape}, {v.size} entries; compare and reduce its "
                             f"values, e.g. ({name} > 0).any() or ({name} == 0).all(){hint}\n"
                             f"  at {_source.caller_location()}")
        return v.reshape(-1)[0].item()

    def __setitem__(self, index, value):
        """Refused with what to write instead: a tensor is a recorded value, never changed in place."""
        name = self.name
        at = _source.caller_location()
        raise InputError(f"{name}[...] = ...: a tensor is a recorded value and cannot be changed in place (its "
                         f"consumers and its gradient were computed from it). Build a new tensor instead: "
                         f"gs.where(mask, new, {name}) takes new where mask is True (recorded, gradients flow), "
                         f"gs.concat / gs.stack join pieces; for a leaf outside recording, assign a whole new "
                         f"value: v = {name}.value.copy(); v[...] = ...; {name}.value = v\n  at {at}")

    def tolist(self):
        """The value as (nested) Python lists, or a Python number for a 0-d tensor (as torch and numpy)."""
        v = self._value
        return v if v.__class__ is float else v.tolist()

    def dim(self):
        """The number of axes (PyTorch's name for ndim): 0 for a scalar."""
        return len(self.shape)

    def __array__(self, dtype=None, copy=None):
        """np.array(t) / np.asarray(t): the values as a plain ndarray (not recorded; no gradient flows through it)."""
        v = self._value
        if copy is False and v.__class__ is float:
            raise ValueError(f"np.asarray(..., copy=False): {self.name} holds a Python float, not an array")
        out = np.asarray(v, dtype=dtype)
        if copy and out is v:
            out = out.copy()
        frame = _your_frame(1)
        if frame is not None:
            READS["note"](self, out, "array", f"np.asarray({self.name}) (or np.where, np.array)", frame)
        return out

    def __len__(self):
        """The size of the first axis: a plain int (Python makes it one), frozen where it goes; ``t.shape[0]``
        replays (see ``graphscope.engine.reads``)."""
        if self._value.__class__ is float:
            raise TypeError("len() of a 0-d tensor")
        n = len(self._value)
        frame = _your_frame(1)
        if frame is not None:
            READS["note"](self, n, "len", f"len({self.name})", frame)
        return n

    def __contains__(self, item):
        """`value in t`: whether any entry equals it (as torch; nothing is recorded)."""
        return bool(np.any(self._value == _raw(item)))

    def __iter__(self):
        """The rows, one recorded x[i] each; from your code they keep a guard that x has as many rows on replay."""
        if self._value.__class__ is float:
            raise TypeError("iteration over a 0-d tensor")
        n = len(self._value)
        frame = _your_frame(1)
        if frame is not None:
            return READS["rows"](self, n, frame)
        return (self[i] for i in range(n))

    def __repr__(self):
        return _tensor_repr(self)   # shape, dtype and a big gradient summarized: see formatting.tensor_repr

    # ---------------------------------------------------------------- gradients
    def backward(self, grad=None):
        """Backpropagate from this node; see ``graphscope.engine.backward.backward``."""
        _backward(self, grad)

    def zero_grad(self):
        """Clear this node's gradient (grad = None), as PyTorch's zero_grad(set_to_none=True); graph.zero_grad()
        clears every node's."""
        self.grad = None

    def graph(self):
        """The recorded graph that ends at this node."""
        return Graph(self)

    def detach(self):
        """A new constant leaf holding this node's value (no history)."""
        return new_leaf(self._value, False, None, "const", None)

    def __rpow__(self, base):
        """number ** tensor, recorded as exp(log(base) * tensor) (base > 0)."""
        if isinstance(base, (int, float, np.number)) and not isinstance(base, bool) and base > 0:
            return (self * float(np.log(base))).exp()
        raise InputError(f"pow: {base!r} ** {self.name}: the base of a tensor exponent must be a positive number "
                         f"(for x ** y with tensors write gs.exp(y * gs.log(x)))\n  at {_source.caller_location()}")

    # Comparisons (== != < <= > >=, & | ~) are ops of the op table (graphscope.engine.ops.compare): recorded
    # boolean masks. Hashing stays by identity (as in torch), so tensors still key dicts and sets; graphscope
    # itself compares nodes with `is` and looks them up by id, never with == or `in` on a list.
    __hash__ = object.__hash__


def _pytorch_spelling(name):
    """A property for PyTorch's `name` (x.view, x.clamp, ...) whose AttributeError says what to write instead.

    Properties, not a ``__getattr__``: a class with ``__getattr__`` loses CPython's fast attribute access on every
    read of every tensor attribute (a third slower recording). Other misspellings get Python's own
    "Did you mean" in the traceback."""
    def refuse(self):
        raise _tensor_attribute_error(self, name, ())
    return property(refuse, doc=f"PyTorch's {name}: the error it raises says what graphscope calls it")


for _name in _TORCH_METHODS:
    if _name not in Tensor.__dict__:
        setattr(Tensor, _name, _pytorch_spelling(_name))


def _raw(x):
    return x._value if isinstance(x, Tensor) else x


_new = Tensor.__new__


def new_leaf(value, requires_grad, name, role, frame):
    """A leaf node holding `value` (already a graphscope value), made at `frame` (None when unknown)."""
    t = _new(Tensor)
    t._value = value
    t.grad = None
    t.op_def = None
    t.inputs = ()
    t.attrs = NO_ATTRS
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


def next_id():
    """The id the next node made will get (without taking it)."""
    return int(repr(_ids)[6:-1])  # 'count(42)'


_guards.NEW_LEAF[0] = new_leaf
_staleness.NEXT_ID[0] = next_id
