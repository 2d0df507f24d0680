"""Matrix multiplication: vector, matrix and batched, with numpy's matmul rules."""
import numpy as np


from ..optable import JacobianInfo, Op, reduce_to, register, shape_of


@register
class MatMul(Op):
    """a @ b. The VJP is two matmuls (G b^T and a^T G); the Jacobian is never built."""

    name = "matmul"
    function = "matmul"
    operators = ("__matmul__", "__rmatmul__")
    accepts_out = ("forward", "vjp")

    def input_problem(self, a, b):
        sa, sb = shape_of(a), shape_of(b)
        if not sa or not sb:
            return f"matmul needs at least 1-d inputs, got shapes {sa} and {sb} (use * for scalars)"
        k_a = sa[-1]
        k_b = sb[0] if len(sb) == 1 else sb[-2]
        if k_a != k_b:
            return (f"inner dimensions differ: {sa} @ {sb} contracts {k_a} with {k_b} "
                    f"(a's last axis must equal b's {'only' if len(sb) == 1 else 'second-to-last'} axis)")
        try:
            np.broadcast_shapes(sa[:-2], sb[:-2])
        except ValueError:
            return f"batch dimensions {sa[:-2]} and {sb[:-2]} do not broadcast together"
        return None

    def forward(self, a, b, *, out=None):
        return np.matmul(a, b, out=out)

    def vjp(self, g, a, b, value, *, out=None):
        # each product is only computed for an input that needs it (see call_vjp)
        if a.ndim == 2 and b.ndim == 2:  # the common case: no promoted axes, no batch axes to sum back
            out_a, out_b = (None, None) if out is None else out
            return (lambda: np.matmul(g, b.T, out=out_a)), (lambda: np.matmul(a.T, g, out=out_b))
        # promote 1-d operands to matrices, as numpy does, and put the dropped axes back in g
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = np.asarray(g)
        if b.ndim == 1:   # first: for vector @ vector, g is 0-d and gets its last axis here
            g2 = np.expand_dims(g2, -1)
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        return (lambda: reduce_to(g2 @ np.swapaxes(b2, -1, -2), a2).reshape(a.shape),
                lambda: reduce_to(np.swapaxes(a2, -1, -2) @ g2, b2).reshape(b.shape))

    def jacobian(self, i, a, b, value):
        """Kronecker forms for row-major flattening; a 1-d operand is numpy's promoted row (a) or column (b)."""
        na, nb = np.ndim(a), np.ndim(b)
        k = "[k]" if max(na, nb) > 2 else ""   # a batch: one matrix product per batch entry k
        other = ("{1}" + (k if nb > 2 else ""), "{0}" + (k if na > 2 else ""))[i]
        if i == 0:
            block = f"{other}^T" if na == 1 else f"I ⊗ {other}^T"
            vjp = "d{0} = upstream @ {1}^T"
        else:
            block = other if nb == 1 else f"{other}^T ⊗ I" if na == 1 else f"{other} ⊗ I"
            vjp = "d{1} = {0}^T @ upstream"
        if not k:
            return JacobianInfo("matmul", f"d({{0}}@{{1}})/d{{{i}}} = {block}   (entries row-major; VJP: {vjp})")
        own = (a, b)[i]
        whole = np.ndim(own) > 2 and shape_of(own)[:-2] == shape_of(value)[:-2 if min(na, nb) > 1 else -1]
        laid = ("block-diagonal over the batch: 0 between batch entries" if whole else
                "the blocks of every batch entry stacked: the VJP sums them over the batch")
        return JacobianInfo("matmul", f"per batch entry k: d({{0}}@{{1}})[k]/d{{{i}}}{k if whole else ''} = {block}, "
                                      f"{laid}; ^T swaps the last two axes   (entries row-major; VJP: {vjp})")
