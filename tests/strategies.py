"""Hypothesis strategies for the shapes, axes and index patterns the op tests draw.

Shapes stay small (sides up to 4, at most 3 axes) so that finite differences
and explicit Jacobians are cheap.
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

MAX_SIDE = 4
MAX_DIMS = 3


def shapes(min_dims=0, max_dims=MAX_DIMS, min_side=1, max_side=MAX_SIDE):
    """Array shapes, () included when min_dims is 0."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcast_shapes(num_shapes=2, min_dims=0, max_dims=MAX_DIMS, max_side=MAX_SIDE):
    """Tuples of shapes that broadcast together (size-1 axes and missing leading axes)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims,
                                             max_side=max_side).map(lambda b: b.input_shapes)


def matmul_shapes():
    """(a_shape, b_shape) for a @ b: 1-d and 2-d operands and broadcast batches, numpy's rules."""
    return hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2, max_side=3) \
        .map(lambda b: b.input_shapes)


@st.composite
def axes(draw, ndim, allow_none=True):
    """An axis argument for a reduction over an ndim-d array: None, an int (maybe negative) or a tuple."""
    choices = ["tuple"] + (["none"] if allow_none else []) + (["int"] if ndim else [])
    kind = draw(st.sampled_from(choices))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    picked = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim)) if ndim else []
    signs = draw(st.lists(st.booleans(), min_size=len(picked), max_size=len(picked)))
    return tuple(a - ndim if negative else a for a, negative in zip(picked, signs))


@st.composite
def permutations(draw, ndim):
    """A permutation of range(ndim), some entries written as negative axes; or None (reverse)."""
    if draw(st.booleans()):
        return None
    perm = draw(st.permutations(range(ndim)))
    signs = draw(st.lists(st.booleans(), min_size=ndim, max_size=ndim))
    return tuple(a - ndim if negative else a for a, negative in zip(perm, signs))


@st.composite
def reshapes(draw, shape):
    """A new shape with the same number of entries, maybe with one -1."""
    size = int(np.prod(shape, dtype=np.int64))
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    first = draw(st.sampled_from(divisors))
    rest = size // first
    second = draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0]))
    new = [first, second, rest // second]
    new = new[:draw(st.integers(1, 3))]
    new[-1] *= int(np.prod([first, second, rest // second][len(new):], dtype=np.int64))
    if draw(st.booleans()):
        new[draw(st.integers(0, len(new) - 1))] = -1
    return tuple(new)


def seeds():
    """Seeds for numpy Generators: values are random, shapes come from Hypothesis."""
    return st.integers(0, 2**32 - 1)
