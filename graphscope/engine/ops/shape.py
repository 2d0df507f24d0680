"""Ops that move entries around: reshape, transpose, indexing, concat, stack."""
import numpy as np

from ..optable import JacobianInfo, Op, register, shape_of


@register
class Reshape(Op):
    name = "reshape"

    def forward(self, x, shape):
        return np.reshape(x, shape)

    def vjp(self, g, x, value, shape):
        return (np.reshape(g, shape_of(x)) if x.__class__ is not float else float(np.sum(g)),)

    def jacobian(self, i, x, value, shape):
        return JacobianInfo("identity", f"reshape {shape_of(x)} -> {shape_of(value)}: J = I (same entries, new indexing)")


@register
class Transpose(Op):
    name = "transpose"

    def check(self, x, axes=None):
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
        return JacobianInfo("permutation", f"transpose axes {axes or 'reversed'}: J is a permutation matrix")


def _has_array(index):
    return any(isinstance(part, np.ndarray) for part in index) if isinstance(index, tuple) \
        else isinstance(index, np.ndarray)


@register
class GetItem(Op):
    """x[index]: basic slicing and integer-array gather (e.g. picking each row's correct class score)."""

    name = "getitem"

    def forward(self, x, index):
        if x.__class__ is float:
            raise IndexError("a 0-d tensor cannot be indexed")
        return x[index]

    def vjp(self, g, x, value, index):
        out = np.zeros_like(x)
        np.add.at(out, index, g)
        return (out,)

    def jacobian(self, i, x, value, index):
        kind = "gather" if _has_array(index) else "selection"
        return JacobianInfo("gather", f"x[...] ({kind}): each output row of J has a single 1; "
                                      f"VJP scatters (adds) g back into zeros of shape {shape_of(x)}")


class _Join(Op):
    """n-ary ops joining inputs along an axis; the VJP splits g back."""

    def jacobian(self, i, *xs, value, axis=0):
        return JacobianInfo("gather", f"{self.name} along axis {axis}: input {i} is a block of the output "
                                      f"(J is a selection matrix)")


@register
class Concat(_Join):
    name = "concat"

    def forward(self, *xs, axis=0):
        return np.concatenate(xs, axis=axis)

    def vjp(self, g, *xs, value, axis=0):
        cuts = np.cumsum([shape_of(x)[axis] for x in xs])[:-1]
        return tuple(np.split(g, cuts, axis=axis))


@register
class Stack(_Join):
    name = "stack"

    def forward(self, *xs, axis=0):
        return np.stack(xs, axis=axis)

    def vjp(self, g, *xs, value, axis=0):
        parts = np.moveaxis(g, axis, 0)
        return tuple(float(p) if x.__class__ is float else p.copy() for p, x in zip(parts, xs))
