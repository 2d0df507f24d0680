"""Jacobian descriptors: what d(node)/d(input) looks like, without building it.

The structure and formula come from the op table; the shapes from the
values; the explicit matrix (small Jacobians only) is assembled from the
op's own VJP applied to the output's basis vectors, so it is right for any
op, custom ones included, and never needs a second definition. Rows and
columns list the output's and the input's entries in row-major order (numpy's
``ravel``), the order every formula's Kronecker products assume.

A formula is written in the node's own names: the op's ``{0}``, ``{1}`` stand
for its inputs' names and ``{out}`` for the node's (``d({1}/{0})/d{1}`` of
``gs.sum(b / a)``'s div reads ``d(b/a)/db``), so no letter of a formula can be
read as another node of the graph.
"""
import re
from dataclasses import dataclass, field

import numpy as np

from .backward import input_gradients
from .errors import GraphscopeError, InputError, PositionError
from .optable import shape_of, size_of
from .source import caller_location, display_location, user_code_lines
from .values import is_tensor

#: Explicit matrices are built only up to this many entries.
MAX_EXPLICIT_ENTRIES = 4096
#: A formula's placeholder: ``{0}`` an input's name, ``{out}`` the node's.
_PLACEHOLDER = re.compile(r"\{(\d+|out)\}")
#: Structures whose every output entry reads one input entry (the one numpy broadcasting pairs it with): the
#: other entries of a row are zero by structure, whatever NaN a VJP's 0 x inf puts there.
_ONE_ENTRY_A_ROW = ("scalar", "identity", "diagonal", "broadcast")


@dataclass
class Jacobian:
    """d(output)/d(input i) of one node: shapes, structure, formula, matrix on demand."""

    op: str
    input_index: int
    out_shape: tuple
    in_shape: tuple
    structure: str
    formula: str
    _node: object = field(repr=False, compare=False, default=None)
    #: block-diagonal: the axis (of the output's shape, counted from 0) each block lies along; None otherwise
    block_axis: int = None

    @property
    def shape(self):
        """(output size, input size): the full Jacobian's shape."""
        return (int(np.prod(self.out_shape, dtype=np.int64)), int(np.prod(self.in_shape, dtype=np.int64)))

    @property
    def entries(self):
        return self.shape[0] * self.shape[1]

    @property
    def is_small(self):
        return self.entries <= MAX_EXPLICIT_ENTRIES

    def matrix(self, limit=MAX_EXPLICIT_ENTRIES):
        """The explicit (out.size x in.size) matrix, row by row from the VJP. Small Jacobians only."""
        if self.entries > limit:
            raise GraphscopeError(f"the Jacobian of {self.op} wrt input {self.input_index} is {self.shape[0]} x "
                                  f"{self.shape[1]} = {self.entries} entries, more than the {limit} shown "
                                  f"explicitly; its structure is {self.structure}: {self.formula}")
        J = explicit_jacobian(self._node, self.input_index)
        read = self._read_entries()
        if read is not None:  # 0 where the structure says so: a VJP's 0 x inf = nan there is arithmetic
            off = np.ones(J.shape, dtype=bool)
            off[np.arange(J.shape[0]), read] = False
            J[off & ~np.isfinite(J)] = 0.0
        return J

    def row(self, r):
        """Row `r` of the Jacobian (d out.flat[r] / d input, flattened) from one VJP: any size, never the matrix."""
        row = jacobian_row(self._node, self.input_index, r)
        read = self._read_entries()
        if read is not None:
            off = ~np.isfinite(row)
            off[read[r]] = False
            row[off] = 0.0
        return row

    def _read_entries(self):
        """For a structure whose output entry r reads one input entry: that entry's flat index for every r (numpy
        broadcasting's pairing); None for any other structure or when the shapes do not broadcast so."""
        if self.structure not in _ONE_ENTRY_A_ROW:
            return None
        n_in = self.shape[1]
        if self.in_shape == self.out_shape or n_in == self.shape[0]:
            return np.arange(n_in)
        try:
            return np.broadcast_to(np.arange(n_in).reshape(self.in_shape), self.out_shape).ravel()
        except ValueError:
            return None

    def describe(self):
        """One line: shape, structure and formula; a block-diagonal one whose blocks interleave in the row-major
        order the matrix lists its entries says how to group them."""
        return f"{self.shape[0]}x{self.shape[1]} {self.structure}{self._grouping()}: {self.formula}"

    def _grouping(self):
        """' (blocks = columns; listed row-major they interleave)' for a block-diagonal Jacobian whose blocks do not
        lie along the last axis (their entries are not next to each other in the matrix); '' otherwise."""
        axis, shape = self.block_axis, self.out_shape
        if self.structure != "block-diagonal" or axis is None or axis == len(shape) - 1 \
                or all(n == 1 for k, n in enumerate(shape) if k > axis):
            return ""
        along = "columns" if len(shape) == 2 else f"slices along axis {axis}"
        return f" (blocks = {along}; listed row-major they interleave)"


def describe_jacobian(node, i):
    """The Jacobian descriptor of d(node)/d(node.inputs[i])."""
    if not is_tensor(node):
        raise InputError(f"describe_jacobian(node, i): node must be a graphscope tensor made by an op, got "
                         f"{type(node).__name__} {node!r:.40}\n  at {caller_location()}")
    if node.op_def is None:
        raise GraphscopeError(f"{node.name} is a leaf: it has no inputs and no local Jacobian")
    n = len(node.inputs)
    if not isinstance(i, (int, np.integer)) or isinstance(i, bool) or not 0 <= i < n:
        raise PositionError(f"describe_jacobian({node.name}, {i!r}): the input index must be 0..{n - 1}: "
                            f"{node.name} ({node.op_def.name}) has {n} input{'s' if n != 1 else ''}")
    vals = [x._value for x in node.inputs]
    try:
        info = node.op_def.jacobian(i, *vals, value=node._value, **node.attrs)
    except GraphscopeError:
        raise
    except Exception as exc:  # a custom op's description with a bug: name it, never a bare traceback
        where = "".join(f"\n  at {line}" for line in user_code_lines(exc.__traceback__)[-1:])
        raise GraphscopeError(f"{node.op_def.name}: describing the Jacobian wrt input {i} raised "
                              f"{type(exc).__name__}: {exc}{where}\n  node {node.name} made at {display_location(node.source)}") from None
    out_shape = shape_of(node._value)
    return Jacobian(node.op_def.name, i, out_shape, shape_of(vals[i]), info.structure, named(info.formula, node),
                    node, block_axis=_block_axis(info, node.attrs, len(out_shape)))


def named(formula, node):
    """`formula` with its placeholders filled: ``{0}``, ``{1}`` the names of the node's inputs, ``{out}`` its own
    name; a placeholder of no input stays as written."""
    def name(m):
        key = m.group(1)
        if key == "out":
            return node.name
        k = int(key)
        return node.inputs[k].name if k < len(node.inputs) else m.group(0)
    return _PLACEHOLDER.sub(name, formula)


def _block_axis(info, attrs, ndim):
    """The axis a block-diagonal Jacobian's blocks lie along, counted from 0: the op's word (JacobianInfo.block_axis),
    else its `axis` attribute, else the last axis; None for any other structure (or a 0-d output)."""
    if info.structure != "block-diagonal" or ndim == 0:
        return None
    axis = info.block_axis
    if axis is None:
        axis = attrs.get("axis", -1)
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or not -ndim <= axis < ndim:
        return None
    return int(axis) % ndim


def explicit_jacobian(node, i):
    """J[r, c] = d out.flat[r] / d input_i.flat[c], from one VJP per output entry."""
    rows = size_of(node._value)
    J = np.zeros((rows, size_of(node.inputs[i]._value)), dtype=np.float64)
    for r in range(rows):
        J[r] = jacobian_row(node, i, r)
    return J


def jacobian_row(node, i, r):
    """d out.flat[r] / d input_i, flattened (float64): the VJP of the r-th basis vector of the output."""
    out = node._value
    if out.__class__ is float:
        basis = 1.0
    else:
        basis = np.zeros(out.shape, dtype=out.dtype)
        basis.flat[r] = 1.0
    g = input_gradients(node, basis)[i]
    row = np.zeros(size_of(node.inputs[i]._value), dtype=np.float64)
    if g is not None:
        row[:] = np.ravel(g)
    return row
