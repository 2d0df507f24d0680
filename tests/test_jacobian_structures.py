"""Jacobian descriptions name the structure the explicit matrix has, where shapes alone would mislead."""
import numpy as np
import pytest

import graphscope as gs


def _leaf(*shape):
    return gs.tensor(np.random.default_rng(0).standard_normal(shape) if shape else 0.7, requires_grad=True)


def test_batch_norm_in_training_is_one_block_per_feature():
    y = gs.nn.BatchNorm1d(3)(_leaf(4, 3))
    j = gs.describe_jacobian(y, 0)
    assert j.structure == "block-diagonal" and "per feature" in j.formula
    M = j.matrix()
    feature = np.arange(12) % 3  # row-major (4, 3): entry k is feature k % 3
    assert not M[feature[:, None] != feature[None, :]].any() and M[feature[:, None] == feature[None, :]].all()


@pytest.mark.parametrize("a_shape, b_shape", [((3,), (1, 1)), ((1, 3), (3,)), ((2, 1, 2), (1, 2))])
def test_an_operand_that_only_gains_length_one_axes_is_diagonal_and_nothing_is_summed(a_shape, b_shape):
    a, b = _leaf(*a_shape), _leaf(*b_shape)
    j = gs.describe_jacobian(a * b, 0)
    assert j.structure == "diagonal" and "sums" not in j.formula
    M = j.matrix()
    np.testing.assert_array_equal(M, np.diag(np.diag(M)))


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("shape, axis", [((3, 1), 1), ((3, 2), ()), ((2, 1, 3), (1,))])
def test_a_reduction_that_reduces_nothing_is_the_identity(op, shape, axis):
    j = gs.describe_jacobian(getattr(_leaf(*shape), op)(axis=axis), 0)
    assert j.structure == "identity"
    np.testing.assert_array_equal(j.matrix(), np.eye(j.shape[0]))


@pytest.mark.parametrize("build", [lambda w: gs.l2(w), lambda w: w.sum(), lambda w: w.mean(), lambda w: w.max()],
                         ids=["l2", "sum", "mean", "max"])
@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_one_number_to_one_number_is_scalar(build, shape):
    assert gs.describe_jacobian(build(_leaf(*shape)), 0).describe().startswith("1x1 scalar:")


def test_a_real_reduction_still_says_reduce():
    assert gs.describe_jacobian(_leaf(3, 2).sum(axis=1), 0).structure == "reduce"
    assert gs.describe_jacobian(gs.l2(_leaf(3)), 0).structure == "dense"


@pytest.mark.parametrize("lo, hi, shown", [(None, 1.5, "1[x <= 1.5]"), (-1.0, None, "1[-1 <= x]"),
                                           (-1.0, 1.5, "1[-1 <= x <= 1.5]")])
def test_clip_formula_names_only_the_bounds_given(lo, hi, shown):
    x = _leaf(2)
    x.name = "x"
    formula = gs.describe_jacobian(gs.clip(x, lo, hi), 0).formula
    assert shown in formula and "None" not in formula


def test_clip_without_bounds_says_nothing_is_clipped():
    assert "nothing is clipped" in gs.describe_jacobian(gs.clip(_leaf(2)), 0).formula


def test_a_block_diagonal_jacobian_says_along_which_axis_its_blocks_lie():
    """Batch norm's blocks are columns (axis 0), softmax's lie along its axis; other structures have none."""
    x = _leaf(4, 3)
    assert gs.describe_jacobian(gs.nn.BatchNorm1d(3)(x), 0).block_axis == 0
    assert gs.describe_jacobian(gs.softmax(x), 0).block_axis == 1
    assert gs.describe_jacobian(gs.softmax(x, axis=0), 0).block_axis == 0
    assert gs.describe_jacobian(gs.log_softmax(_leaf(2, 3, 4), axis=-2), 0).block_axis == 1
    assert gs.describe_jacobian(gs.tanh(x), 0).block_axis is None
    assert gs.JacobianInfo("block-diagonal", "per column", block_axis=0).block_axis == 0
