"""min, the mirror of max: a function and a Tensor method, ties and NaNs sharing the gradient as torch.amin does."""
import numpy as np
import pytest

import graphscope as gs


def test_tensor_min_and_gs_min_agree_with_numpy():
    x = gs.tensor(np.arange(12.0).reshape(3, 4) % 5)
    np.testing.assert_array_equal(x.min().value, np.min(x.value))
    np.testing.assert_array_equal(x.min(axis=0).value, np.min(x.value, axis=0))
    np.testing.assert_array_equal(gs.min(x, axis=1, keepdims=True).value, np.min(x.value, axis=1, keepdims=True))
    assert x.min(axis=1).op == "min"


def test_min_gradient_passes_the_numerical_check():
    x = gs.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert gs.gradcheck((x.min(axis=1) * gs.tensor([1.0, -2.0, 3.0])).sum())


def test_min_splits_ties_like_torch(torch):
    v = np.array([[2.0, 1.0, 1.0], [0.0, 4.0, 0.0]])
    x = gs.tensor(v, requires_grad=True)
    (x.min(axis=1) * gs.tensor([1.0, 3.0])).sum().backward()
    xt = torch.tensor(v, requires_grad=True)
    (torch.amin(xt, dim=1) * torch.tensor([1.0, 3.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())


@pytest.mark.parametrize("name", ["amin", "mn"])
def test_a_misspelt_min_suggests_it(name):
    with pytest.raises(AttributeError, match="'min'"):
        getattr(gs, name)
