"""softmax and log_softmax of a 0-d value (one class): 1 and 0, gradient 0, in both dtypes."""
import numpy as np
import pytest

import graphscope as gs


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("op, expected", [("softmax", 1.0), ("log_softmax", 0.0)])
def test_zero_d_softmax_value_and_gradient_match_torch(op, expected, dtype, torch):
    x = gs.tensor(2.0, requires_grad=True, dtype=dtype)
    y = getattr(gs, op)(x)
    assert y.shape == () and float(y.value) == expected
    (y * 3.0).backward()
    xt = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (getattr(torch, op)(xt, -1) * 3.0).backward()
    assert float(y.value) == getattr(torch, op)(xt, -1).item()
    assert float(x.grad) == xt.grad.item() == 0.0


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_zero_d_softmax_passes_the_numerical_gradient_check(op):
    x = gs.tensor(-0.7, requires_grad=True)
    assert gs.gradcheck(getattr(gs, op)(x) * 2.0)
