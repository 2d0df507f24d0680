"""The layer tables' numbers stay right at the edges of float32: norms are summed in float64, and a node holding
non-finite entries says so beside its mean."""
import numpy as np

import graphscope as gs
from graphscope.engine.update_ratio import measure_step
from graphscope.train.monitor import layer_stats


def test_a_float32_weight_beyond_2e19_has_a_finite_norm():
    with gs.scope("fc1"):
        W = gs.param(np.full((2, 3), 3.9e20, dtype=np.float32), name="fc1.W")
        out = (gs.tensor(np.ones((1, 2), dtype=np.float32), name="x") @ W).sum()
    out.backward()
    p = layer_stats(out)["fc1"].params[0]
    assert np.isfinite(p.norm) and abs(p.norm - 3.9e20 * np.sqrt(6)) < 1e-5 * p.norm
    assert "inf" not in layer_stats(out).table().split("|grad|")[1]
    step = measure_step(np.full(4, 1.0, np.float32), np.full(4, 1e20, np.float32))
    assert abs(step.step_norm - 2e20) < 1e15 and abs(step.ratio - 1e20) < 1e15


def test_a_node_holding_minus_infinity_says_how_many_entries_are_not_finite():
    with gs.scope("head"), np.errstate(divide="ignore"):  # log(0) = -inf is the point
        h = gs.log(gs.tensor(np.array([[0.0, 1.0, 2.0], [0.5, 0.0, 1.0]]), name="x"))
    row = next(line for line in layer_stats(h.sum()).table().splitlines() if line.startswith("head"))
    assert "(2 non-finite)" in row
