"""The scalar lane (Python floats) gives what the array lane (numpy) gives at the edges: infinities and refusals."""
import math
import warnings

import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.errors import GraphscopeError

POWERS = [(-10.0, 401.0), (-10.0, 402.0), (10.0, 401.0), (-0.0, -1.0), (-0.0, -2.0), (0.0, -1.0), (-0.0, -1.5),
          (-10.0, -401.0)]


def _quiet(f):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f()


@pytest.mark.parametrize("base, p", POWERS)
def test_pow_scalar_lane_has_the_array_lanes_sign_of_infinity(base, p):
    scalar = _quiet(lambda: (gs.tensor(base) ** p).value)
    array = _quiet(lambda: (gs.tensor([base]) ** p).value[0])
    assert scalar.__class__ is float
    assert scalar == array or (math.isnan(scalar) and math.isnan(array))
    assert math.copysign(1.0, scalar) == math.copysign(1.0, array)


@pytest.mark.parametrize("base, p", POWERS)
def test_pow_scalar_lane_matches_torch(base, p, torch):
    ours = _quiet(lambda: (gs.tensor(base) ** p).value)
    theirs = (torch.tensor(base, dtype=torch.float64) ** p).item()
    assert ours == theirs or (math.isnan(ours) and math.isnan(theirs))


@pytest.mark.parametrize("base, p", [(-10.0, 402.0), (-10.0, 401.0), (-0.0, -2.0)])
def test_pow_gradient_sign_of_infinity_matches_torch(base, p, torch):
    x = gs.tensor(base, requires_grad=True)
    _quiet(lambda: (x ** p).backward())
    xt = torch.tensor(base, dtype=torch.float64, requires_grad=True)
    (xt ** p).backward()
    assert x.grad == xt.grad.item()


def test_pow_gradient_of_an_even_power_of_a_negative_base_is_minus_infinity_when_it_overflows():
    x = gs.tensor(-10.0, requires_grad=True)
    _quiet(lambda: (x ** 402).backward())
    assert x.grad == -math.inf  # 402 * (-10)**401: numerically -inf, whatever the finite differences say


@pytest.mark.parametrize("x", [0.5, [0.5]])
def test_clip_with_lo_above_hi_is_refused_on_both_lanes_with_one_message(x):
    with pytest.raises(GraphscopeError, match=r"clip: lo = 1.0 is greater than hi = 0.0") as info:
        gs.clip(gs.tensor(x), 1, 0)
    assert "test_scalar_lane_edges.py" in str(info.value)


def test_clip_with_equal_bounds_is_fine_on_both_lanes():
    assert gs.clip(gs.tensor(0.5), 1, 1).value == 1.0
    assert gs.clip(gs.tensor([0.5]), 1, 1).value.tolist() == [1.0]
