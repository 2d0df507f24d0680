"""The overfit sanity check: dropout off while it fits (as reg is 0), contradicting examples left out, advice that
follows the trend of the rates tried, and the trainer's own rate failing when it diverges where a smaller one fits."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.train import sanity

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the diverging rate's overflow, on purpose


def dropout_net(p=0.5):
    x, y = gs.data.spiral(n_per_class=20, seed=0, noise=1.0)
    net = gs.nn.MLP([2, 40, 40, 3], dropout=p, rng=0)
    scores = net(gs.tensor(x, name="x"))
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y), x, y


def test_the_overfit_attempt_turns_dropout_off_and_puts_it_back():
    loss, x, y = dropout_net()
    trainer = gs.Trainer(loss, gs.optim.Adam(loss.graph().params, lr=0.01), batch_size=60, dtype="float64",
                         progress=False)
    overfit = trainer.sanity_check(x, y).checks[2]
    assert overfit.ok and "no regularization, dropout off" in overfit.figure
    assert [n.attrs["p"] for n in loss.graph().ops if n.op == "dropout"] == [0.5, 0.5]


def test_examples_with_one_input_under_several_labels_are_left_out_of_the_subset():
    x, y = gs.data.spiral(n_per_class=20, seed=0, noise=1.0)   # every arm starts at (0, 0)
    np.testing.assert_array_equal(np.flatnonzero(sanity._contradicting(x, y)), [0, 20, 40])
    assert not sanity._contradicting(np.zeros((4, 2)), np.zeros(4, np.int64)).any()  # the same label: no conflict
    loss, x, y = dropout_net(p=0.0)
    trainer = gs.Trainer(loss, gs.optim.Adam(loss.graph().params, lr=0.01), batch_size=60, dtype="float64",
                         progress=False)
    assert "3 examples left out: the same input under different labels" in trainer.sanity_check(x, y).checks[2].figure


def attempt(lr, acc, loss=1.0, first=2.0):
    return sanity._Attempt(lr, 1000, acc, loss, first)


def test_when_larger_rates_did_worse_the_advice_does_not_ask_for_a_larger_one():
    worse = sanity._rate_advice([attempt(0.01, 0.95), attempt(0.1, 0.7), attempt(1.0, 0.45)])
    assert "larger rates did worse" in worse and "try a larger" not in worse and "lr 0.01 came closest" in worse
    better = sanity._rate_advice([attempt(0.01, 0.5), attempt(0.1, 0.7), attempt(1.0, 0.9)])
    assert "try a larger learning rate" in better
    smaller = sanity._rate_advice([attempt(1.0, None, float("nan")), attempt(0.1, 0.5), attempt(0.01, 0.8)])
    assert "try a smaller learning rate" in smaller


def test_a_learning_rate_that_raises_the_loss_fails_and_names_the_rate_that_fitted():
    x, y = gs.data.spiral(n_per_class=20, seed=0)
    from train_helpers import two_layer
    loss = two_layer(x, y, hidden=30)
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=30.0), dtype="float64", progress=False)
    report = trainer.sanity_check(x, y)
    assert not report.ok and "1 of 4 failed" in report.summary()
    rate = report.checks[-1]
    assert rate.name == "learning rate 30" and not rate.ok and "the loss rose from" in rate.figure
    fitted = report.checks[2]
    assert fitted.ok and f"lr {fitted.figure.split('lr ')[1].split(',')[0]} fitted them" in rate.figure
    assert "train at lr" in rate.advice
