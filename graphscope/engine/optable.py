"""The op table: every op is one class with forward, vjp and jacobian side by side.

An op is registered once (``@register``) and read from here by the engine, the
gradient checker, the stepper, the exporters and the op-by-op tests.

Contract of an op class:

- ``name``: the op's name in graphs, pictures and files.
- ``function`` (optional): the name of the top-level function (``gs.tanh``)
  made from the op; None (the default) makes none.
- ``method`` (optional): True to make that function a Tensor method too
  (``x.tanh()``), or a method name of its own.
- ``operators`` (optional): Tensor operators that apply the op, e.g.
  ``("__add__", "__radd__")`` (a reflected one swaps its two operands).
- ``arguments(*args, **kwargs) -> (inputs, attrs)`` (optional): turns a call of
  the function into the op's inputs (tuple) and attributes (dict), checking
  and normalizing them (its signature is the function's). Without it,
  positional arguments are inputs and keyword arguments attributes.
- ``forward(*xs, **attrs) -> value``: numpy (or plain Python float) inputs.
- ``scalar_forward(*xs, **attrs)`` (optional): the same on Python floats,
  used on the lean scalar path when every input is a Python float.
- ``scalar_vjp(g, *xs, value)`` (optional, ops without attributes): the VJP specialized to
  Python floats (no broadcasting to undo), used when the node's value and
  every input are floats. Tests check it against ``vjp``.
- ``vjp(g, *xs, value, **attrs) -> tuple``: one gradient per input, each
  shaped like that input (``None`` where the input gets no gradient), computed
  without ever building the Jacobian.
- ``jacobian(i, *xs, value, **attrs) -> JacobianInfo``: the structure and a
  one-line formula of d(out)/d(input i) (and, when block-diagonal, the axis
  its blocks lie along), written with ``{0}``, ``{1}`` for the inputs' names
  and ``{out}`` for the node's (``"d({0}*{1})/d{0} = diag({1})"``), so it reads
  in the graph's own names. Shapes and the explicit matrix are derived from
  forward/vjp (see ``graphscope.engine.jacobian``).
- ``input_problem(*xs, **attrs) -> str | None`` (optional; ``check`` is its
  older name and still works): a readable reason the inputs do not fit,
  asked for when forward raised (so the common case pays nothing). An op
  whose numpy forward would silently accept bad inputs (e.g. negative
  labels, which numpy indexing wraps around) validates them in forward
  itself with ``raise ValueError(self.input_problem(...))``.
- ``refresh(attrs, *xs) -> dict | None`` (optional): called by ``graph.run``
  before it recomputes a node of this op; a dict returned replaces the
  node's attributes (a fresh dropout mask, updated running averages).
  Stepping forward, the stepper's replay and the gradient checks never call
  it: they recompute exactly what was recorded.
- ``settle(attrs) -> dict | None`` (optional): called whenever a node of this
  op is computed again (every replay: ``graph.run``, stepping, the gradient
  checks; ``refresh`` does it too), before forward; a dict returned replaces
  the node's attributes. Batch norm and dropout drop there the mode their old
  value was computed in (``computed_training``, kept by ``set_training`` for
  their VJP and Jacobian), so a mode switch applies from the next computation.
- ``differentiable`` (optional tuple of bools): which inputs can get gradients.
- ``upgrade(inputs, attrs) -> (inputs, attrs)`` (optional): a node of this op
  as files written before its inputs changed hold it, brought to today's form
  (``where``'s condition was an attribute, now it is an input).
- ``boolean`` (optional): True for an op whose value is a boolean mask (the
  comparisons): it never requires a gradient, and ``bool()`` of a one-element
  result records the answer as its attribute ``decided`` (its forward then
  refuses a replay that answers otherwise).
- ``accepts_out`` (optional tuple, empty by default): ``"forward"`` and/or
  ``"vjp"``, the methods that take a keyword-only ``out=``, an array to write
  the result into instead of making a new one, passed straight to the numpy
  call that computes it: ``forward(*xs, out=buf, **attrs)`` with `buf` of the
  value's shape and dtype; ``vjp(g, *xs, value, out=bufs, **attrs)`` with one
  entry per input, each of that input's contribution's shape and dtype, or
  None (a contribution the VJP passes on as it is, such as add's upstream
  gradient, ignores its entry). Without it (None, the default) they make new
  arrays, and with it the numbers are the same, bit for bit. Only a caller
  running the same node again and again gives it (the trainer's plan, with
  arrays of its own reused batch after batch and never one that anybody else
  holds), and only once it knows the result's shape and dtype: the inputs'
  shapes and dtypes must decide them, as they do for the ops that declare it
  (matmul, add, relu; softmax_cross_entropy's VJP).
- ``saves`` (optional, False by default): True for an op whose forward can
  leave work for its VJP, as PyTorch's ``ctx.save_for_backward`` does
  (softmax cross-entropy's log-probabilities, batch norm's xhat and 1/sigma).
  ``forward(*xs, saved=d, **attrs)``, given a dict `d`, puts there what its
  VJP would otherwise compute again, and ``vjp(g, *xs, value, saved=d,
  **attrs)`` reads it; without it (None, the default) each computes
  everything from its inputs, and with it the numbers are the same, bit for
  bit. A caller hands the VJP only the dict filled by the forward that made
  `value` from these very inputs, in the same pass: the trainer's plan, which
  runs each node's forward and VJP as a pair (it drops every save when a pass
  begins and uses one only while the node still holds the value that forward
  made). Recording, ``graph.run``, ``graph.backward``, the stepper and the
  gradient checks never pass one, so a replayed node, a perturbed input or a
  graph read back from a file never meets a save of an earlier computation.
- ``dim_result(out) -> result`` (optional): what a call spelt with PyTorch's
  ``dim=`` returns instead of the recorded node `out`: ``x.max(dim=1)`` gives
  torch's ``(values, indices)`` pair.
- ``recorded(out)`` (optional): called with the node a call from the op's function or
  operator recorded (getitem keeps there the guard of a loop over rows, see
  ``graphscope.engine.reads``).

The scalar lanes are written one way: ``scalar_forward = staticmethod(f)`` /
``scalar_vjp = staticmethod(f)`` (or ``scalar_vjp = vjp`` when the VJP
works on floats as it is).
"""
import math
import re
from dataclasses import dataclass

import numpy as np

from .errors import ArgumentError, NotFoundError
from .values import shape_of, size_of  # noqa: F401  (helpers for op code)

OPS = {}
#: Called as ``listener(op, added)`` when an op is registered (added=True) or removed.
LISTENERS = []

#: Structures a Jacobian can have, from cheapest to most general.
STRUCTURES = (
    "scalar", "identity", "diagonal", "broadcast", "reduce", "permutation",
    "gather", "scatter", "matmul", "block-diagonal", "dense", "zero", "not described",
)
#: The structure of a Jacobian its op does not describe (a custom op without a description): unknown.
NOT_DESCRIBED = "not described"


@dataclass(frozen=True)
class JacobianInfo:
    """What an op says about one of its Jacobians: structure and formula (``{0}``, ``{1}``: the inputs' names,
    ``{out}``: the node's; see the module doc).

    `block_axis` (block-diagonal only): the axis each block lies along. Output and input have one shape, and an
    output entry depends on the input entries that share its index on every other axis: softmax's blocks lie along
    its `axis` (a row for the last one), batch norm's along axis 0 (a column: one block per feature). None means
    the op's `axis` attribute, else the last axis."""

    structure: str
    formula: str
    block_axis: int = None


class Op:
    """Base class of ops. Subclasses fill in the contract described in the module doc."""

    name = ""
    scalar_forward = None
    scalar_vjp = None
    differentiable = None
    function = None
    method = False
    operators = ()
    arguments = None
    refresh = None
    settle = None
    upgrade = None
    boolean = False
    dim_result = None
    recorded = None
    #: the methods taking ``out=``, an array to write the result into (see the module doc)
    accepts_out = ()
    #: whether forward and vjp take ``saved=``, a dict the forward leaves work in for the VJP (see the module doc)
    saves = False
    #: a custom op's handle (its user's functions); None for a built-in op
    handle = None

    def forward(self, *xs, **attrs):
        raise NotImplementedError

    def vjp(self, g, *xs, value, **attrs):
        raise NotImplementedError

    def jacobian(self, i, *xs, value, **attrs):
        return not_described(self.name, i)

    def input_problem(self, *xs, **attrs):
        return self.check(*xs, **attrs)

    def check(self, *xs, **attrs):
        return None

    def __repr__(self):
        return f"<op {self.name}>"

    def __reduce__(self):
        """Pickled by name: unpickling finds the op registered under it (``node.op_def is OPS[name]`` holds)."""
        return lookup_op, (self.name,)


def caller_keywords(op):
    """The keywords of `op`'s forward that a caller passes and no node holds as an attribute: ``out`` (ops
    declaring ``accepts_out`` for their forward) and ``saved`` (ops declaring ``saves``)."""
    return (("out",) if "forward" in op.accepts_out else ()) + (("saved",) if op.saves else ())


def lookup_op(name, module=None, file=None):
    """The op registered under `name`: what unpickling an op gives. When this process has none, a NotFoundError
    naming it and what to import (a custom op's `module` and `file`, where it was defined when it was pickled)."""
    op = OPS.get(name)
    if op is None:
        if module == "__main__":
            todo = (f"it was defined in {file or 'the script run as __main__'}, the script that pickled it: put it "
                    f"in a module of its own (myops.py) and import that before unpickling")
        elif module:
            todo = f"import {module}{f' ({file})' if file else ''}, which defines it, before unpickling"
        else:
            todo = "import the module that defines it before unpickling"
        raise NotFoundError(f"cannot unpickle op {name!r}: no op of that name is registered in this process "
                            f"(custom ops are registered by running their gs.custom_op); {todo}")
    return op


def register(cls):
    """Class decorator: instantiate the op and put it in the table under ``cls.name``."""
    if not cls.name:
        raise ArgumentError(f"op class {cls.__name__} has no name")
    if cls.name in OPS and type(OPS[cls.name]) is not cls:
        raise ArgumentError(f"an op named {cls.name!r} is already registered ({type(OPS[cls.name]).__name__})")
    old = OPS.get(cls.name)
    if old is not None:
        _tell(old, False)
    op = OPS[cls.name] = cls()
    try:
        _tell(op, True)
    except Exception:  # e.g. its function's name is taken: the table stays as it was
        _tell(op, False)
        del OPS[cls.name]
        if old is not None:
            OPS[cls.name] = old
            _tell(old, True)
        raise
    return cls


def unregister(name):
    """Remove the op registered under `name` (its function and Tensor methods go with it)."""
    op = get_op(name)
    del OPS[name]
    _tell(op, False)


def _tell(op, added):
    for listener in LISTENERS:
        listener(op, added)


def get_op(name):
    """The op registered under `name` (KeyError naming the known ops otherwise)."""
    try:
        return OPS[name]
    except KeyError:
        raise NotFoundError(f"unknown op {name!r}; known ops: {', '.join(sorted(OPS))}") from None


# ---------------------------------------------------------------- helpers for op code

def reduce_to(g, x, out=None):
    """Sum a broadcast gradient `g` back to the shape of input value `x`.

    `out` (an array of x's shape and g's dtype, or None): where a sum over leading axes alone (a bias row's
    gradient) is written; any other case makes its own array."""
    if x.__class__ is float:
        if g.__class__ is float:
            return g
        return float(np.sum(g))
    shape = x.shape
    if g.__class__ is not np.ndarray:
        g = np.asarray(g)
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        axes = _LEADING[extra] if extra < len(_LEADING) else tuple(range(extra))
        if out is not None and g.shape[extra:] == shape:
            return _sum(g, axis=axes, out=out)
        g = _sum(g, axis=axes)
    if 1 in shape:
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        if axes:
            g = _sum(g, axis=axes, keepdims=True)
    return g if g.shape == shape else g.reshape(shape)


_sum = np.add.reduce  # what ndarray.sum runs, without its Python-level dispatch
_LEADING = tuple(tuple(range(k)) for k in range(8))


def safe_div(a, b):
    """a / b that gives inf/nan on division by zero for Python floats too, as numpy does."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def safe_pow(a, p):
    """a ** p with numpy's answers (inf, nan) where Python floats raise or go complex."""
    try:
        r = a ** p
    except (ZeroDivisionError, OverflowError):  # 0 to a negative power, or too large: an infinity of a's sign
        odd = math.isfinite(p) and p == int(p) and int(p) % 2 == 1  # when an odd power keeps it
        return -math.inf if odd and math.copysign(1.0, a) < 0 else math.inf
    if r.__class__ is complex:
        return math.nan
    return r


def not_described(op, i):
    """The JacobianInfo of an op that does not describe its Jacobian: structure unknown, never called dense."""
    return JacobianInfo(NOT_DESCRIBED, f"d {op}/d{{{i}}}: {op} gives no description, so its structure is unknown "
                                       f"(the matrix shown is built from its VJP)")


def scalar_form(formula):
    """`formula` as a 1x1 Jacobian reads: 'diag(e)' is e, the identity I is 1 ('d tanh(x)/dx = 1 - tanh(x)^2')."""
    out, k = [], 0
    while True:
        start = formula.find("diag(", k)
        if start < 0 or (start and (formula[start - 1].isalnum() or formula[start - 1] == "_")):
            if start < 0:
                break
            out.append(formula[k:start + 5])
            k = start + 5
            continue
        depth, end = 0, start + 4
        for end in range(start + 4, len(formula)):
            depth += {"(": 1, ")": -1}.get(formula[end], 0)
            if depth == 0:
                break
        out.append(formula[k:start])
        out.append(formula[start + 5:end])
        k = end + 1
    out.append(formula[k:])
    return re.sub(r"(= -?)I\b", r"\g<1>1", "".join(out))


def reduction_jacobian(x, value, structure, formula):
    """Jacobian info of an op that reduces x (its general `structure`: reduce, gather, a dense row), named
    precisely where the sizes make it simpler: scalar from one number to one number, identity when nothing is
    reduced (the axes reduced have length 1, or there are none)."""
    if size_of(x) == 1 and size_of(value) == 1:
        return JacobianInfo("scalar", formula)
    if size_of(x) == size_of(value):
        return JacobianInfo("identity", formula + "  (nothing is reduced: each output entry is its one input "
                                                  "entry, J = I)")
    return JacobianInfo(structure, formula)


def elementwise_jacobian(x, formula):
    """Jacobian info for an element-wise function of a single input (a 1x1 one written as a number: scalar_form)."""
    if size_of(x) == 1:
        return JacobianInfo("scalar", scalar_form(formula))
    return JacobianInfo("diagonal", formula)


def broadcast_jacobian(x, value, formula, i=0):
    """Element-wise op, wrt its input `i` of value x: diagonal, or broadcast when x was broadcast.

    Sizes decide, not shapes: a (3,) input of a (1, 3) result only gained an axis of length 1, so each output
    entry still reads its own input entry and the VJP sums nothing."""
    if size_of(value) == 1:
        return JacobianInfo("scalar", scalar_form(formula))
    if size_of(x) == size_of(value):
        return JacobianInfo("diagonal", formula)
    return JacobianInfo("broadcast", formula + f"  ({{{i}}} broadcast {shape_of(x)} -> {shape_of(value)}: each "
                                               f"row reads one entry of {{{i}}}; VJP sums over the broadcast axes)")
