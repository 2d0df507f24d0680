"""Every Jacobian formula reads true as a maths teacher reads it: in the graph's own names, with structural zeros
where the structure says so, the block structure stated in the order the matrix lists its entries, batched
matmul's blocks said, and a custom op without a description never called dense."""
import warnings

import numpy as np
import pytest

import graphscope as gs


def _leaf(value, name):
    return gs.tensor(np.asarray(value, dtype=np.float64), requires_grad=True, name=name)


def _formulas(node):
    return [gs.describe_jacobian(node, i).formula for i in range(len(node.inputs))]


# ---------------------------------------------------------------- 2. structural zeros are 0, never NaN

@pytest.mark.parametrize("op", [gs.sqrt, gs.log])
def test_a_diagonal_jacobian_at_zero_has_zeros_off_its_diagonal(op):
    x = _leaf([0.0, 1.0, 4.0], "x")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # log(0) = -inf, said when recorded
        jac = gs.describe_jacobian(op(x), 0)
    with np.errstate(all="ignore"):
        M = jac.matrix()
        rows = np.array([jac.row(r) for r in range(3)])
    for m in (M, rows):
        off = m[~np.eye(3, dtype=bool)]
        assert (off == 0).all(), m
        assert np.isinf(m[0, 0])


def test_a_diagonal_jacobian_with_a_broadcast_infinite_factor_keeps_its_zeros():
    a, b = _leaf([[1.0, 2.0], [3.0, 4.0]], "a"), _leaf([[np.inf], [1.0]], "b")
    with np.errstate(all="ignore"):
        M = gs.describe_jacobian(a * b, 0).matrix()
    np.testing.assert_array_equal(M, np.diag([np.inf, np.inf, 1.0, 1.0]))


def test_a_wrong_diagonal_claim_is_still_visible_in_the_matrix():
    """Only non-finite entries off the pairing are zeroed: a custom op claiming 'diagonal' for a dense Jacobian
    still shows its finite off-diagonal entries."""
    @gs.custom_op
    def rowsum_claimed(x):
        return np.broadcast_to(x.sum(), x.shape).copy()

    @rowsum_claimed.vjp
    def _(g, x, value):
        return (np.full(x.shape, g.sum()),)

    @rowsum_claimed.jacobian
    def _(i, x, value):
        return gs.JacobianInfo("diagonal", "wrong")

    M = gs.describe_jacobian(rowsum_claimed(_leaf([1.0, 2.0], "x")), 0).matrix()
    np.testing.assert_array_equal(M, np.ones((2, 2)))


