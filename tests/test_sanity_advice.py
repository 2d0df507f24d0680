"""Sanity checks whose verdicts follow the cause: a NaN at the initial parameters, a hand-written loss, a net whose
parameters do not move at any rate."""
import numpy as np
import pytest

import graphscope as gs

from train_helpers import spiral, two_layer

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's notes on the NaNs made on purpose

X, Y = spiral(n_per_class=20)
ONE_HOT = np.eye(3)[Y]


def hand_written(scale):
    """-sum(y * log(softmax(x W))) over one-hot labels y, W ~ N(0, scale^2), with a node named scores."""
    W = gs.param(np.random.default_rng(1).normal(scale=scale, size=(2, 3)), name="W")
    scores = gs.tensor(X, name="x") @ W
    scores.name = "scores"
    return -gs.sum(gs.tensor(ONE_HOT, name="y") * gs.log(gs.softmax(scores)))


def sanity(loss, lr, x=X, y=ONE_HOT):
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=lr), progress=False, dtype="float64")
    return trainer.sanity_check(x, y)


def test_a_nan_at_the_initial_parameters_is_named_in_every_check_and_never_blamed_on_the_rate():
    with np.errstate(all="ignore"):
        loss = hand_written(scale=5000.0)
    initial, reg, overfit = sanity(loss, lr=1e-4).checks
    assert not initial.ok and "no class scores" not in initial.line()
    assert "before any update" in initial.figure and "log_softmax(scores)" in initial.advice
    assert "(op log) made it at " in initial.advice and "test_sanity_advice.py:21" in initial.advice
    assert not reg.ok and "all zero" not in reg.line() and "not finite before any regularization" in reg.advice
    assert not overfit.ok and "before any update" in overfit.figure
    assert "learning rate" not in overfit.advice.replace("not a learning-rate problem", "")


def test_a_hand_written_softmax_loss_is_compared_with_its_class_scores():
    initial = sanity(hand_written(scale=0.01), lr=0.1).checks[0]
    assert initial.ok and "a loss written by hand on scores" in initial.figure
    assert "close to its sum" in initial.figure and f"summed over {len(X)} examples" in initial.figure


def test_the_weights_are_called_zero_only_when_they_are():
    loss = two_layer(X, Y, hidden=8)
    for p in loss.graph().params:
        p.value[...] = 0.0
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), progress=False)
    reg = trainer.sanity_check(X, Y).checks[1]
    assert not reg.ok and "the weights are all zero" in reg.advice


def deep_tanh(std, layers=6, width=30):
    rng = np.random.default_rng(0)
    h = gs.tensor(X, name="x")
    fan = 2
    for k in range(layers):
        with gs.scope(f"layer{k + 1}"):
            h = gs.tanh(h @ gs.param(rng.normal(scale=std, size=(fan, width)), name=f"layer{k + 1}.W"))
        fan = width
    scores = h @ gs.param(rng.normal(scale=std, size=(fan, 3)), name="out.W")
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, Y)


def test_vanishing_gradients_are_named_when_rates_far_apart_leave_the_loss_flat():
    loss = deep_tanh(std=0.01)
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.01), progress=False)
    overfit = trainer.sanity_check(X, Y).checks[2]
    assert not overfit.ok and overfit.advice.startswith("no learning rate can help")
    assert "\n- vanishing gradients: layer1, " in overfit.advice and "trainer.layer_stats()" in overfit.advice
    assert "layer1.W" in overfit.advice and "larger learning rate" not in overfit.advice
    assert "lr 1:" in overfit.figure  # tried upwards: a flat loss is not a rate too large


def test_healthy_gradients_at_a_tiny_rate_ask_for_a_larger_rate_not_a_new_model():
    loss = two_layer(X, Y, hidden=20)
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=1e-9), progress=False)
    overfit = trainer.sanity_check(X, Y).checks[2]
    assert not overfit.ok and "gradients of a healthy size" in overfit.advice
    assert "try a learning rate near" in overfit.advice and "vanish" not in overfit.advice


@pytest.mark.parametrize("rule", ["Adam", "RMSProp", "AdaGrad"])
def test_an_adaptive_rule_stalled_at_a_tiny_rate_gets_no_rate_computed_as_for_sgd(rule):
    loss = two_layer(X, Y, hidden=20)
    trainer = gs.Trainer(loss, getattr(gs.optim, rule)(loss.graph().params, lr=1e-9), progress=False)
    overfit = trainer.sanity_check(X, Y).checks[2]
    assert not overfit.ok and "gradients of a healthy size" in overfit.advice
    assert f"{rule} scales each step by the gradient's running size" in overfit.advice
    assert "try a learning rate near" not in overfit.advice and "try rates 10x larger than" in overfit.advice


def test_nan_data_is_refused_before_any_check_naming_the_entry():
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(gs.GraphscopeError, match=r"sanity_check: x\[0, 0\] is nan"):
        sanity(two_layer(X, Y, hidden=8), lr=0.1, x=bad, y=Y)
