"""Ops that move entries around: reshape, transpose, indexing, concat, stack."""
import numpy as np

from ..arguments import index as index_of, raw, tensors as tensors_of, whole, wholes
from ..errors import InputError
from ..optable import JacobianInfo, Op, register, shape_of
from ..reads import Size, indexed, sized_index
from ..source import caller_location
from ..values import is_tensor
from .compare import PIECEWISE_CONSTANT

#: numpy's limit on the parts of one index (NPY_MAXDIMS): at most that many index tensors follow x.
MAX_INDEX_PARTS = 64


#: How many other tensors a reshape may read sizes from (one per entry of the new shape at most).
MAX_SIZE_SOURCES = 32


@register
class Reshape(Op):
    """x with a new shape (same entries); one axis may be -1. An entry read from a shape by your code is kept as
    that size, so replay on another batch size reshapes to the new size instead of the recorded one: from x's own
    shape (``x.reshape(x.shape[0], -1)``, the flatten idiom) as attribute ``kept``, (position, axis) pairs; from
    another tensor's (``n = x.shape[0]; h = f(x); h.reshape(n, -1)``) as attribute ``sized``, (position, input,
    axis) triples, that tensor an input of the reshape (no gradient flows to it)."""

    name = "reshape"
    function = "reshape"
    method = True
    differentiable = (True,) + (False,) * MAX_SIZE_SOURCES

    def arguments(self, x, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list, np.ndarray)):
            shape = shape[0]
        attrs = {"shape": wholes(shape, "shape", "reshape")}
        kept, sized, sources = [], [], []
        for i, s in enumerate(shape):
            if not isinstance(s, Size):
                continue
            if s.node is x:
                kept.append((i, s.axis))
                continue
            source = next((k for k, t in enumerate(sources) if t is s.node), None)
            if source is None:
                sources.append(s.node)
                source = len(sources) - 1
            sized.append((i, source + 1, s.axis))
        if kept:
            attrs["kept"] = tuple(kept)
        if sized:
            attrs["sized"] = tuple(sized)
        return (x, *sources), attrs

    def forward(self, x, *sources, shape, kept=(), sized=()):
        return np.reshape(x, _kept_shape(x, sources, shape, kept, sized))

    def vjp(self, g, x, *sources, value, shape, kept=(), sized=()):
        grad = np.reshape(g, shape_of(x)) if x.__class__ is not float else float(np.sum(g))
        return (grad,) + (None,) * len(sources)

    def jacobian(self, i, x, *sources, value, shape, kept=(), sized=()):
        if i > 0:
            return JacobianInfo("zero", f"d reshape/d{{{i}}}: that input gives a size only (its values do "
                                        f"not matter)")
        return JacobianInfo("identity", f"reshape {shape_of(x)} -> {shape_of(value)}: J = I (same entries in the "
                                        f"same row-major order, new indexing)")


def _kept_shape(x, sources, shape, kept, sized):
    """`shape` with the entries read from shapes taken from the tensors as they are: x's own ((position, axis)
    pairs in `kept`), and the other inputs' ((position, input, axis) triples in `sized`)."""
    if not kept and not sized:
        return shape
    inputs, shape = (x, *sources), list(shape)
    for position, axis in kept:
        _take(shape, position, shape_of(x), axis)
    for position, source, axis in sized:
        _take(shape, position, shape_of(inputs[source]), axis)
    return tuple(shape)


def _take(shape, position, now, axis):
    if -len(now) <= axis < len(now):
        shape[position] = now[axis]


@register
class Transpose(Op):
    """Permute axes: reversed by default (x.T), or as `axes` says (numpy's ``x.transpose(2, 0, 1)`` or
    ``axes=(2, 0, 1)``). Two axes given one by one are swapped, as in PyTorch: ``x.transpose(0, 1)``
    (for a matrix the same as numpy's ``x.transpose(1, 0)``)."""

    name = "transpose"
    function = "transpose"
    method = True

    def arguments(self, x, *dims, axes=None):
        swap = len(dims) == 2  # x.transpose(0, 1): two axes one by one
        if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)):  # (2, 0, 1), None, or something to refuse
            dims = dims[0]
        if isinstance(dims, (str, bytes)) or (dims is not None and not hasattr(dims, "__len__")):
            raise InputError(f"transpose: axes must be a sequence of whole numbers, got {dims!r:.40} "
                             f"at {caller_location()}")
        if dims is not None and len(dims) and axes is not None:
            raise InputError(f"transpose: axes given twice, as {tuple(dims)} and axes={axes!r:.40} "
                             f"at {caller_location()}")
        if dims is not None and len(dims):
            axes = dims
        if axes is None:
            return (x,), {"axes": None}
        axes = wholes(axes, "axes", "transpose")
        return (x,), {"axes": _swapped(x, *axes) if swap else axes}

    def input_problem(self, x, axes=None):
        if axes is not None and sorted(int(a) % max(len(shape_of(x)), 1) for a in axes) != list(range(len(shape_of(x)))):
            return f"axes {tuple(axes)} are not a permutation of the {len(shape_of(x))} axes of {shape_of(x)}"
        return None

    def forward(self, x, axes=None):
        return np.transpose(x, axes)

    def vjp(self, g, x, value, axes=None):
        if x.__class__ is float:
            return (g,)
        inverse = None if axes is None else tuple(np.argsort([int(a) % x.ndim for a in axes]))
        return (np.transpose(g, inverse),)

    def jacobian(self, i, x, value, axes=None):
        return JacobianInfo("permutation", f"transpose({{0}}) axes {axes or 'reversed'}: J is a permutation matrix")


def _swapped(x, a, b):
    """The permutation that swaps axes a and b of x (PyTorch's transpose(dim0, dim1))."""
    ndim = np.ndim(raw(x))
    if not (-ndim <= a < ndim and -ndim <= b < ndim):
        raise InputError(f"transpose: cannot swap axes {a} and {b} of a {ndim}-d input of shape "
                         f"{np.shape(raw(x))} at {caller_location()}")
    perm = list(range(ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return tuple(perm)


def _has_array(index):
    return any(isinstance(part, np.ndarray) for part in index) if isinstance(index, tuple) \
        else isinstance(index, np.ndarray)


@register
class GetItem(Op):
    """x[index]: integers, slices, None, ..., integer-array gather and boolean masks.

    A tensor in the index (a mask ``x[x > 0]``, labels ``s[np.arange(N), y]``) is a recorded input, recomputed
    when the graph runs on new values; attribute ``slots`` says where in the index it goes (``index`` holds a
    0 there). Index tensors get no gradient.
    """

    name = "getitem"
    function = "getitem"
    operators = ("__getitem__",)
    differentiable = (True,) + (False,) * MAX_INDEX_PARTS

    def arguments(self, x, index):
        parts = index if isinstance(index, tuple) else (index,)
        slots = tuple(k for k, p in enumerate(parts) if is_tensor(p))
        if not slots:
            return (x,), {"index": index_of(index)}
        for k in slots:
            index_of(parts[k])  # a bad index tensor is named at the user's line now, not at the first replay
        if not isinstance(index, tuple):
            _refuse_number_mask(x, index)
        template = index_of(tuple(0 if k in slots else p for k, p in enumerate(parts)))
        return (x, *(parts[k] for k in slots)), {"index": template if isinstance(index, tuple) else 0,
                                                 "slots": slots}

    def recorded(self, out):
        """x[i] with an integer i by your code, in a loop over a size of x it read, or x[:n] with n computed from a
        size: a guard (engine.reads)."""
        sized_index(out)
        if "slots" not in out.attrs:
            indexed(out)

    def forward(self, x, *parts, index, slots=()):
        if x.__class__ is float:
            raise IndexError("a 0-d tensor cannot be indexed")
        return x[_filled(index, parts, slots)]

    def vjp(self, g, x, *parts, value, index, slots=()):
        out = np.zeros_like(x)
        np.add.at(out, _filled(index, parts, slots), g)
        return (out,) + (None,) * len(parts)

    def jacobian(self, i, x, *parts, value, index, slots=()):
        if i > 0:
            return JacobianInfo("zero", f"d {{0}}[index]/d{{{i}}}: {PIECEWISE_CONSTANT}")
        kind = "gather" if parts or _has_array(index) else "selection"
        return JacobianInfo("gather", f"{{0}}[...] ({kind}): each output row of J has a single 1; "
                                      f"VJP scatters (adds) g back into zeros of shape {shape_of(x)}")


def _filled(index, parts, slots):
    """The index with the recorded index tensors' current values in their slots."""
    if not slots:
        return index
    if not isinstance(index, tuple):
        return index_of(parts[0], located=False)
    filled = list(index)
    for k, part in zip(slots, parts):
        filled[k] = index_of(part, located=False)
    return tuple(filled)


def _refuse_number_mask(x, m):
    """x[m] with m a leaf of 0s and 1s, one per row of x: almost surely a mask made with gs.tensor, which holds
    booleans as 0.0/1.0 and would pick rows 0 and 1 by position."""
    v, rows = m._value, np.shape(raw(x))[:1]
    if (m.op_def is not None or v.__class__ is float or v.ndim != 1 or v.dtype.kind != "f" or not rows
            or len(v) != rows[0] or len(v) < 2 or not np.all((v == 0) | (v == 1))):
        return
    raise InputError(f"getitem: the index {m.name} holds only 0s and 1s, one per row of {getattr(x, 'name', 'x')} "
                     f"({rows[0]}): a tensor made from booleans holds 0.0/1.0, so it would pick rows 0 and 1 by "
                     f"position, not mask rows; for a mask index with a comparison ({m.name} > 0) or a numpy bool "
                     f"array; for positions with an integer numpy array\n  at {caller_location()}")


class _Join(Op):
    """n-ary ops joining inputs along an axis; the VJP splits g back."""

    def arguments(self, tensors, axis=0):
        return tuple(tensors_of(tensors, self.name)), {"axis": whole(axis, "axis", self.name)}

    def jacobian(self, i, *xs, value, axis=0):
        return JacobianInfo("gather", f"{self.name} along axis {axis}: {{{i}}} (input {i}) is a block of the "
                                      f"output (J is a selection matrix)")


@register
class Concat(_Join):
    """Join tensors along an existing axis."""

    name = "concat"
    function = "concat"

    def forward(self, *xs, axis=0):
        return np.concatenate(xs, axis=axis)

    def vjp(self, g, *xs, value, axis=0):
        cuts = np.cumsum([shape_of(x)[axis] for x in xs])[:-1]
        return tuple(np.split(g, cuts, axis=axis))


@register
class Stack(_Join):
    """Join tensors along a new axis."""

    name = "stack"
    function = "stack"

    def forward(self, *xs, axis=0):
        return np.stack(xs, axis=axis)

    def vjp(self, g, *xs, value, axis=0):
        parts = np.moveaxis(g, axis, 0)
        return tuple(float(p) if x.__class__ is float else p.copy() for p, x in zip(parts, xs))
