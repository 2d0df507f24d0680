"""Nets written without gs.scope, as the README's example is (``gs.relu(X @ W1 + b1) @ W2 + b2``): the layer
statistics, the layer diagnosis and the sanity check find their layers all the same (monitor.layer_groups), and a
diagnosis never says 'none found' of a check it could not make."""
import numpy as np

import graphscope as gs
from graphscope.train.blocked import NO_RATE_HELPS
from graphscope.train.health import HEALTHY, NOTHING_EXAMINED, diagnose
from graphscope.train.monitor import layer_groups, layer_stats

FEATURES, HIDDEN, CLASSES = 4, 16, 3


def data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, FEATURES))
    return x, (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)


def readme_net(bias=0.0, w1=None):
    """The README's two-layer ReLU net, no scopes: W1, b1 -> relu -> W2, b2 -> scores."""
    x, y = data()
    rng = np.random.default_rng(1)
    X = gs.tensor(x[:30], name="x")
    W1 = gs.param(rng.normal(0, np.sqrt(2 / FEATURES), (FEATURES, HIDDEN)) if w1 is None else w1, name="W1")
    b1 = gs.param(np.full(HIDDEN, bias), name="b1")
    W2 = gs.param(rng.normal(0, 0.1, (HIDDEN, CLASSES)), name="W2")
    b2 = gs.param(np.zeros(CLASSES), name="b2")
    scores = gs.relu(X @ W1 + b1) @ W2 + b2
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y[:30])


def trainer_of(loss, lr=0.1, epochs=1):
    x, y = data()
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=lr), batch_size=30, epochs=epochs,
                         dtype="float64", progress=False)
    return trainer, x, y


def test_a_net_without_scopes_has_a_layer_per_nonlinearity_and_one_for_the_scores():
    loss = readme_net()
    groups = layer_groups(loss.graph())
    assert groups.implicit and list(groups.outputs) == ["layer of W1", "layer of W2"]
    assert [n.op for n in groups.outputs.values()] == ["relu", "add"]  # the loss belongs to no layer
    loss.backward()
    stats = layer_stats(loss)
    assert [[p.name for p in s.params] for s in stats] == [["W1", "b1"], ["W2", "b2"]]
    assert stats["layer of W2"].node == "scores" and not stats.loose
    assert "no gs.scope in this graph" in stats.table()


def test_dead_units_of_a_net_without_scopes_are_found_by_the_diagnosis():
    trainer, x, y = trainer_of(readme_net(bias=-20.0))
    trainer.fit(x, y)
    found = diagnose(trainer.layer_stats())
    dead = next(f for f in found if f.kind == "dead")
    assert dead.names == ("layer of W1",) and "layer of W1 100%" in dead.text


def test_sanity_on_dead_units_without_scopes_says_no_rate_helps_not_a_larger_rate():
    trainer, x, y = trainer_of(readme_net(bias=-20.0), lr=0.01)
    overfit = trainer.sanity_check(x, y).checks[-1]
    assert not overfit.ok and overfit.advice.startswith(NO_RATE_HELPS)
    assert "larger learning rate" not in overfit.advice


def test_zero_weights_without_scopes_are_called_symmetric():
    loss = readme_net(w1=np.zeros((FEATURES, HIDDEN)))
    loss.backward()
    found = diagnose(layer_stats(loss))
    assert "symmetric" in found.kinds() and "W1" in next(f for f in found if f.kind == "symmetric").names


def test_a_healthy_net_without_scopes_says_how_many_layers_were_examined():
    trainer, x, y = trainer_of(readme_net())
    trainer.fit(x, y)
    found = diagnose(trainer.layer_stats())
    assert not found and str(found) == f"{HEALTHY} in 2 layers"


def test_checks_that_had_nothing_to_examine_are_named_as_not_checked():
    x, y = data()
    W = gs.param(np.random.default_rng(0).normal(0, 0.1, (FEATURES, CLASSES)), name="W")
    loss = gs.softmax_cross_entropy(gs.tensor(x[:30], name="x") @ W, y[:30])   # one layer, no nonlinearity
    loss.backward()
    said = str(diagnose(layer_stats(loss)))
    assert not said.startswith(HEALTHY) and said.startswith("no symmetric weights found in 1 layer")
    assert "not checked: vanishing or exploding gradients (one layer" in said
    assert "dead or saturated units (no layer ends in ReLU, tanh or sigmoid)" in said
    assert str(diagnose(layer_stats(gs.sum(gs.tensor(x, name="x") * 2.0)))) == NOTHING_EXAMINED


def test_the_end_of_run_verdict_of_a_dead_net_points_at_its_layers_not_at_the_rate():
    from graphscope.train.loss_trend import trainer_verdict
    trainer, x, y = trainer_of(readme_net(bias=-20.0), lr=0.01)
    trainer.fit(x, y)
    said = trainer_verdict(trainer)
    assert said.startswith("the loss barely moved (") and "larger learning rate" not in said
    assert said.endswith("no learning rate can help, the layer diagnosis finds what stops it: dead units (on 120 "
                         "examples): layer of W1 100%")
