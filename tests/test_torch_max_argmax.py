"""x.max(dim=1) answers as torch.max(dim=1) does, (values, indices); axis= keeps numpy's answer; argmax/argmin."""
import numpy as np
import pytest

import graphscope as gs

SCORES = [[0.1, 2.0, 0.3], [1.5, 0.2, 0.1], [0.0, 0.1, 3.0]]


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_dim_gives_torchs_values_and_indices(torch, name, keepdim):
    x = gs.tensor(SCORES, name="s", requires_grad=True)
    values, indices = getattr(x, name)(dim=1, keepdim=keepdim)
    expected = getattr(torch.tensor(SCORES, dtype=torch.float64), name)(dim=1, keepdim=keepdim)
    np.testing.assert_array_equal(values.value, expected.values.numpy())
    np.testing.assert_array_equal(indices, expected.indices.numpy())
    assert isinstance(indices, np.ndarray) and indices.dtype.kind == "i"
    assert isinstance(values, gs.Tensor) and values.op == name  # the values are recorded, gradient and all
    assert getattr(gs, name)(x, dim=1).indices.tolist() == expected.indices.numpy().reshape(-1).tolist()


def test_torch_style_accuracy_is_right():
    s = gs.tensor(SCORES, name="scores")
    y = np.array([1, 0, 2])
    assert (s.max(dim=1)[1] == y).mean() == 1.0
    assert (s.argmax(dim=1) == y).mean() == 1.0
    assert (gs.argmax(s, axis=1) == y).mean() == 1.0


def test_axis_keeps_numpys_answer_the_values():
    x = gs.tensor(SCORES, name="s")
    for out in (x.max(axis=1), x.max(1), gs.min(x, axis=0)):
        assert isinstance(out, gs.Tensor)


def test_dim_over_several_axes_is_one_clear_message():
    with pytest.raises(gs.InputError, match=r"axis=\(0, 1\)"):
        gs.tensor(SCORES).max(dim=(0, 1))


@pytest.mark.parametrize("call, expected", [
    (lambda x: x.argmax(), np.argmax(SCORES)),
    (lambda x: x.argmin(dim=0), np.argmin(SCORES, axis=0)),
    (lambda x: gs.argmax(x, 1, keepdims=True), np.argmax(SCORES, axis=1, keepdims=True)),
    (lambda x: gs.argmin(x, dim=1, keepdim=True), np.argmin(SCORES, axis=1, keepdims=True)),
])
def test_argmax_and_argmin_are_numpy_int_arrays_not_recorded(call, expected):
    x = gs.tensor(SCORES, name="s", requires_grad=True)
    out = call(x)
    np.testing.assert_array_equal(out, expected)
    assert not isinstance(out, gs.Tensor) and np.asarray(out).dtype.kind == "i"


def test_argmax_matches_torch(torch):
    values = np.random.default_rng(0).normal(size=(4, 5))
    for dim in (0, 1, -1):
        np.testing.assert_array_equal(gs.tensor(values).argmax(dim=dim),
                                      torch.tensor(values).argmax(dim=dim).numpy())


def test_argmax_bad_axis_names_the_call():
    with pytest.raises(gs.InputError, match="argmax.*shape \\(3, 3\\)"):
        gs.tensor(SCORES, name="s").argmax(dim=3)
