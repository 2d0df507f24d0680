"""A divergence's advice follows its cause: never the learning rate before any update; the NaN origin says why."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.train.divergence import divergence_advice, loss_grew

from train_helpers import spiral, two_layer

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's notes on the NaNs made on purpose
X, Y = spiral(n_per_class=20)


def hand_written_softmax_loss(scale, seed=1):
    """-sum(y * log(softmax(x W))) over one-hot labels y, W ~ N(0, scale^2): the practitioner's naive loss."""
    W = gs.param(np.random.default_rng(seed).normal(scale=scale, size=(2, 3)), name="W")
    x = gs.tensor(X, name="x")
    y = gs.tensor(np.eye(3)[Y], name="y")
    scores = x @ W
    scores.name = "scores"
    return -gs.sum(y * gs.log(gs.softmax(scores)))


def diverged(loss, lr, x=X, y=None, epochs=3):
    y = np.eye(3)[Y] if y is None else y
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=lr), batch_size=20, epochs=epochs,
                         progress=False, dtype="float64")
    with pytest.raises(gs.TrainingDiverged) as err:
        trainer.fit(x, y)
    return err.value


def test_a_log_of_a_softmax_nan_before_any_update_points_at_log_softmax_not_the_learning_rate():
    exc = diverged(hand_written_softmax_loss(scale=500.0), lr=1e-4)
    text = str(exc)
    assert exc.iteration == 1 and "before any update" in text.splitlines()[0]
    assert exc.origin.op == "log"
    assert "why: log(softmax(scores)) is -inf" in text and "gs.log_softmax(scores)" in text
    assert "gs.softmax_cross_entropy(scores, labels)" in text
    assert "learning rate is not the cause" in exc.advice[0] and "smaller learning rate" not in text


def test_growing_loss_after_updates_points_at_the_learning_rate():
    loss = two_layer(X[:20], Y[:20], hidden=20)
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=1e30), batch_size=20, epochs=3, progress=False)
    with pytest.raises(gs.TrainingDiverged) as err:
        trainer.fit(X, Y)
    exc = err.value
    assert exc.iteration == 2 and "before any update" not in str(exc)
    assert "that update made it non-finite" in exc.advice[0] and "smaller learning rate (lr is 1e+30" in exc.advice[0]
    assert "overflowed float32" in str(exc)  # the why: of the matmul that overflowed


def test_nan_in_the_data_is_refused_before_training_naming_the_entry():
    bad = X.copy()
    bad[3, 1] = np.nan
    loss = hand_written_softmax_loss(scale=0.1)
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=20, epochs=3,
                         progress=False, dtype="float64")
    with pytest.raises(gs.GraphscopeError, match=r"x_train\[3, 1\] is nan \(1 of \d+ entries are not finite\)"):
        trainer.fit(bad, np.eye(3)[Y])
    assert trainer.history.loss == []  # nothing was trained on it


def test_a_nan_in_a_leaf_the_data_does_not_feed_says_to_clean_it():
    W = gs.param(np.random.default_rng(1).normal(scale=0.1, size=(2, 3)), name="W")
    offset = gs.tensor(np.zeros(3), name="offset")  # a constant of the graph, not fed by the batches
    scores = gs.tensor(X, name="x") @ W + offset
    scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, Y)
    offset.value = np.array([0.0, np.nan, 0.0])
    exc = diverged(loss, lr=0.1, y=Y)
    assert exc.origin.reason == "leaf" and "the learning rate is not the cause" in exc.advice[0]
    assert "np.isfinite" in str(exc) and "smaller learning rate" not in str(exc)


def test_the_advice_reads_the_trend_of_the_losses():
    origin = None
    assert loss_grew([1.0]) and loss_grew([1.0, 0.9, 2.0]) and not loss_grew([1.0, 0.8, 0.7])
    assert not loss_grew([])
    lines = divergence_advice(origin, [], 0.5, reg=1e300)
    assert "regularization term overflowed" in lines[0] and "learning rate is not the cause" in lines[0]
    going_down = divergence_advice(origin, [2.0, 1.0, 0.5], 0.5)
    assert "went from 2 to 0.5" in going_down[0] and "sudden large gradient" in going_down[0]


def test_a_log_of_a_softmax_after_falling_losses_names_the_node_first():
    with np.errstate(all="ignore"):
        origin = hand_written_softmax_loss(scale=500.0).graph().find_nonfinite()  # a confident model's underflow
    lines = divergence_advice(origin, [1.2, 0.9, 0.4], 0.1)
    assert "not the first suspect" in lines[0] and "as its why: line says" in lines[0]
    assert "smaller learning rate" not in " ".join(lines)


@pytest.mark.parametrize("build, words", [
    (lambda a: gs.exp(a * 100.0), "exp overflowed: its input mul_"),
    (lambda a: gs.log(a - 1.0), "log(0) = -inf"),
    (lambda a: gs.log(a - 3.0), "log of a negative number"),
    (lambda a: a / (a - 1.0), "division by 0"),
    (lambda a: gs.sqrt(a - 3.0), "sqrt of a negative number"),
])
def test_the_origin_says_why_the_op_made_it(build, words):
    a = gs.tensor(np.array([1.0, 2.0, 10.0]), name="a")
    with np.errstate(all="ignore"):
        out = build(a)
    origin = out.graph().find_nonfinite()
    assert words in origin.cause() and f"why: {origin.cause()}" in origin.describe()


def test_the_backward_origin_says_why_the_vjp_made_it():
    a = gs.param(np.array([0.0, 4.0]), name="a")
    with np.errstate(all="ignore"):
        loss = gs.sum(gs.sqrt(a))
        loss.backward()
    origin = loss.graph().find_nonfinite()
    assert origin.phase == "backward" and "infinite at x = 0" in origin.cause()


@pytest.mark.parametrize("base, exponent, said", [(-1e200, 2.0, "the values overflowed"),
                                                  (0.0, -1.0, "0 to a negative power is inf"),
                                                  (-4.0, 0.5, "a negative number to a power that is not whole")])
def test_a_power_is_blamed_only_where_it_is_undefined(base, exponent, said):
    from graphscope.engine.nonfinite import find_nonfinite
    from graphscope.engine.nonfinite_causes import cause_of, fixable_in_the_model
    w = gs.param(np.array([base, 1.0]), name="w")
    p = w ** exponent
    origin = find_nonfinite(p.graph().nodes)
    assert origin.node is p and cause_of(origin).startswith(said)
    assert fixable_in_the_model(origin) == (said != "the values overflowed")


def test_a_squared_weight_that_overflows_after_updates_asks_for_a_smaller_rate_not_a_fix_of_the_power():
    from graphscope.engine.nonfinite import find_nonfinite
    w = gs.param(np.array([-1e200, 1.0]), name="w")
    origin = find_nonfinite((w ** 2).graph().nodes)
    advice = " ".join(divergence_advice(origin, [1.0, 1.0, 1.0], lr=0.5))
    assert "try a smaller learning rate (lr is 0.5" in advice and "fix pow" not in advice


def test_a_nan_before_any_update_is_told_in_the_same_words_by_the_advice_and_the_training_screen():
    from graphscope.tui.screens.training import divergence_text
    exc = diverged(hand_written_softmax_loss(scale=500.0), lr=1e-4)
    made = exc.origin.blame()
    assert made.startswith(f"{exc.origin.name} (op log) made it at ") and ": log(softmax(scores))" in made
    assert made in exc.advice[0]
    assert divergence_text(exc).count(f"{exc.origin.name} (op log) made it at") == 1
