"""NaN/Inf origin: the node that creates a non-finite value or gradient, never the ones passing it on."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.hooks import BACKWARD_HOOKS, FORWARD_HOOKS

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")   # numpy's divide-by-zero notes


def _line(fn, offset):
    """'test_anomaly.py:N' for the line `offset` lines below the def of `fn`."""
    return f"test_anomaly.py:{fn.__code__.co_firstlineno + offset}"


# ---------------------------------------------------------------- forward, as it happens

def test_log_of_zero_names_the_log_node():
    x = gs.tensor(np.array([1.0, 0.0, 2.0]), name="x")
    with pytest.raises(gs.AnomalyError) as err:
        with gs.detect_anomaly():
            with gs.scope("head"):
                gs.log(x) * 2.0                                 # offset 5
    origin = err.value.origin
    assert origin.node.op == "log" and origin.phase == "forward" and origin.reason == "op"
    assert (origin.kind, origin.count, origin.size) == ("-inf", 1, 3)
    text = str(err.value)
    assert "op log" in text and "made a non-finite value from finite inputs" in text
    assert "x (3,) float64 in [0, 2]" in text                     # the inputs' ranges
    assert "scope: head" in text
    assert _line(test_log_of_zero_names_the_log_node, 5) in text


def test_inside_detect_anomaly_numpy_does_not_warn():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning would escape as an exception
        with pytest.raises(gs.AnomalyError, match="op log"):
            with gs.detect_anomaly():
                gs.log(gs.param(np.zeros(3)))


def test_zero_over_zero_names_the_div_node():
    a = gs.param(np.zeros(4), name="a")
    b = gs.tensor(np.array([0.0, 1.0, 2.0, 3.0]), name="b")
    with pytest.raises(gs.AnomalyError) as err:
        with gs.detect_anomaly():
            s = a + 1.0
            (s + a / b).sum()
    assert err.value.origin.node.op == "div" and err.value.origin.node.inputs == (a, b)
    assert err.value.origin.kind == "nan"
    assert "a (4,) float64 in [0, 0]; b (4,) float64 in [0, 3]" in str(err.value)


def test_exp_overflow_names_the_exp_node():
    x = gs.param(np.array([1.0, 800.0]), name="x")
    with pytest.raises(gs.AnomalyError) as err:
        with gs.detect_anomaly():
            gs.log(gs.exp(x * 1.0))
    assert err.value.origin.node.op == "exp" and err.value.origin.kind == "inf"


def test_scalar_path_overflow():
    x = gs.param(710.0, name="x")
    with pytest.raises(gs.AnomalyError) as err:
        with gs.detect_anomaly():
            gs.exp(x)
    assert err.value.origin.node.op == "exp" and err.value.origin.size == 1


def test_a_nan_made_earlier_is_blamed_on_its_creator_not_the_carrier():
    x = gs.tensor(np.array([-1.0, 4.0]), name="x")
    root = gs.sqrt(x)                       # NaN made outside the block
    with pytest.raises(gs.AnomalyError) as err:
        with gs.detect_anomaly():
            root * 3.0 + 1.0
    assert err.value.origin.node is root
    assert err.value.seen_at is not root and err.value.seen_at.op == "mul"
    assert "noticed at mul_" in str(err.value)


def test_a_leaf_given_nan_is_the_origin():
    bad = gs.tensor(np.array([1.0, np.nan]), name="data")
    with pytest.raises(gs.AnomalyError) as err:
        with gs.detect_anomaly():
            bad * 2.0
    origin = err.value.origin
    assert origin.node is bad and origin.reason == "leaf"
    assert "leaf data (input) holds non-finite data: nan in 1 of 2 entries" in str(err.value)


# ---------------------------------------------------------------- backward, as it happens

def test_backward_names_the_node_whose_vjp_makes_inf():
    x = gs.param(np.array([0.0, 4.0]), name="x")
    with gs.scope("norm"):
        r = gs.sqrt(x)                      # finite value; d sqrt/dx = 1/(2 sqrt x) is inf at 0
    loss = (r * 2.0).sum()
    with pytest.raises(gs.AnomalyError) as err:
        with gs.detect_anomaly():
            loss.backward()
    origin = err.value.origin
    assert origin.node is r and origin.phase == "backward" and origin.input_index == 0
    text = str(err.value)
    assert "backward through sqrt_" in text and "for input 0 (x)" in text
    assert "from a finite upstream gradient" in text and "scope: norm" in text
    assert "upstream: dL/dsqrt_" in text


def test_backward_exp_overflow_names_the_exp_node():
    x = gs.param(np.array([-800.0, 1.0]), name="x")
    e = gs.exp(-x)                           # naive sigmoid: exp(800) overflows to inf ...
    s = 1.0 / (1.0 + e)                      # ... and the sigmoid is a finite 0 anyway
    loss = s.sum()
    assert np.isfinite(loss.value)
    with pytest.raises(gs.AnomalyError) as err:
        with gs.detect_anomaly(forward=False):
            loss.backward()                  # e's VJP: 0 * inf = nan
    assert err.value.origin.node is e and err.value.origin.phase == "backward"
    assert err.value.origin.kind == "nan"
    assert loss.graph().find_nonfinite().node is e      # after the fact: the forward inf, same node


def test_backward_log_of_zero_names_the_log_node_not_the_consumers():
    x = gs.param(np.array([0.0, 2.0]), name="x")
    y = gs.log(x)
    loss = gs.clip(y, -5.0, 5.0).sum()       # the -inf value is clipped away before the loss
    with pytest.raises(gs.AnomalyError) as err:
        with gs.detect_anomaly(forward=False):
            loss.backward()
    assert err.value.origin.node is y and err.value.origin.phase == "backward"


def test_backward_zero_over_zero():
    a = gs.param(np.array([0.0, 1.0]), name="a")
    b = gs.param(np.array([1e-320, 1.0]), name="b")  # a / b = 0, but the VJP divides by b twice
    q = a / b
    loss = q.sum()
    with pytest.raises(gs.AnomalyError) as err:
        with gs.detect_anomaly():
            loss.backward()
    assert err.value.origin.node is q and err.value.origin.phase == "backward"


def test_a_non_finite_seed_is_reported_at_the_output():
    x = gs.param(np.array([1.0, 2.0]))
    y = x * 2.0
    with pytest.raises(gs.AnomalyError) as err:
        with gs.detect_anomaly():
            y.backward(np.array([np.nan, 1.0]))
    assert err.value.origin.node is y and err.value.origin.reason == "upstream"
    assert "given to backward() was non-finite" in str(err.value)


def test_replay_inside_the_block_is_watched():
    x = gs.tensor(np.array([1.0, 2.0]), name="x")
    loss = gs.log(x * 1.0).sum()
    graph = loss.graph()
    with pytest.raises(gs.AnomalyError) as err:
        with gs.detect_anomaly():
            graph.run({"x": np.array([1.0, 0.0])})
    assert err.value.origin.node.op == "log"


def test_hooks_are_removed_on_exit_and_blocks_nest():
    before = (list(FORWARD_HOOKS), list(BACKWARD_HOOKS))
    with gs.detect_anomaly():
        with gs.detect_anomaly(backward=False):
            assert len(FORWARD_HOOKS) == len(before[0]) + 2
            assert len(BACKWARD_HOOKS) == len(before[1]) + 1
        assert len(FORWARD_HOOKS) == len(before[0]) + 1
    with pytest.raises(gs.AnomalyError):
        with gs.detect_anomaly():
            gs.log(gs.tensor(0.0))
    assert (FORWARD_HOOKS, BACKWARD_HOOKS) == before
    assert np.isinf(gs.log(gs.tensor(0.0)).value)          # outside a block: no error


def test_forward_only_block_ignores_backward():
    x = gs.param(np.array([0.0, 1.0]))
    loss = gs.sqrt(x).sum()
    with gs.detect_anomaly(backward=False):
        loss.backward()
    assert np.isinf(x.grad[0])


# ---------------------------------------------------------------- after the fact

def test_find_nonfinite_forward_after_the_fact():
    x = gs.param(np.array([3.0, 1.0]), name="x")
    with gs.scope("block"):
        d = x - 3.0
        bad = gs.log(d * d)
    loss = (bad * 2.0).sum()
    found = loss.graph().find_nonfinite()
    assert isinstance(found, gs.NonFinite)
    assert found.node is bad and found.phase == "forward" and found.scope == "block"
    assert found.op == "log" and found.source == bad.source


def test_find_nonfinite_backward_after_the_fact():
    x = gs.param(np.array([0.0, 4.0]), name="x")
    r = gs.sqrt(x)
    loss = (r * 2.0).sum()
    loss.backward()                          # no block: the gradient quietly became inf
    assert np.isinf(x.grad[0])
    found = loss.graph().find_nonfinite()
    assert found.node is r and found.phase == "backward" and found.input_index == 0


def test_find_nonfinite_is_none_when_all_is_finite(rng):
    W = gs.param(rng.normal(size=(3, 2)))
    loss = gs.softmax_cross_entropy(gs.tensor(rng.normal(size=(4, 3))) @ W, np.array([0, 1, 1, 0]))
    loss.backward()
    assert loss.graph().find_nonfinite() is None


def test_find_nonfinite_blames_an_overflowing_sum():
    x = gs.param(np.array([1e308]))
    loss = (x * 1.0 + x * 1.0).sum()          # each term finite, their sum overflows
    found = loss.graph().find_nonfinite()
    assert found.node.op == "add" and found.phase == "forward"
