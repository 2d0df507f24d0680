"""Layer statistics that tell the truth, and the layer-health diagnosis (graphscope.train.monitor, .health).

The three sick nets of the lecture, small: a deep sigmoid MLP with N(0, 0.01^2) weights (vanishing
gradients), zero init (symmetric units), ReLU with bias -3 (dead units); and healthy ones that must not be
flagged.
"""
import math
import warnings

import numpy as np
import pytest

import graphscope as gs
from graphscope.train.health import HEALTHY, diagnose, epoch_summary
from graphscope.train.monitor import ParamStats, Summary, layer_stats, snapshot_params

DEPTH, WIDTH, FEATURES, CLASSES = 6, 30, 8, 4


def data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, FEATURES))
    y = (x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] > 0)
    return x, y


def mlp_loss(activation="sigmoid", init="normal", bias=0.0, batch=32):
    x, y = data()
    net = gs.nn.MLP([FEATURES] + [WIDTH] * (DEPTH - 1) + [CLASSES], activation=activation, init=init, bias=bias,
                    rng=0)
    scores = net(gs.tensor(x[:batch], name="x"))
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y[:batch])


def trained(activation="sigmoid", init="normal", bias=0.0, epochs=2, lr=0.1, **kw):
    loss = mlp_loss(activation, init, bias)
    x, y = data()
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=lr), batch_size=32, epochs=epochs,
                         dtype="float64", progress=False, **kw)
    trainer.fit(x[:200], y[:200], x[200:], y[200:])
    return trainer


@pytest.fixture(scope="module")
def sick():
    return {"vanishing": trained("sigmoid", "normal"), "zeros": trained("sigmoid", "zeros"),
            "dead": trained("relu", "he", bias=-3.0)}


# ---------------------------------------------------------------- subnormal numbers

@pytest.mark.parametrize("values", [np.array([0, 1e-45, 1e-45], np.float32), np.array([0.0, 1e-310]),
                                    np.array([-1e308, 1e308]), np.array([0, 1e-40, 3e-40, np.nan], np.float32)])
def test_summaries_of_subnormal_or_extreme_ranges_count_every_entry_without_warnings(values):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = Summary.of(values, 20)
    finite = values[np.isfinite(values)]
    assert s.histogram.counts.sum() == finite.size and (s.histogram.counts >= 0).all()
    assert s.histogram.edges[0] == finite.min() and s.histogram.edges[-1] == finite.max()
    assert np.isfinite(s.histogram.edges).all() and (np.diff(s.histogram.edges) >= 0).all()
    assert s.histogram.counts[0] == (finite == finite.min()).sum()   # the lowest value is in the first bin
    assert s.histogram.counts[-1] == (finite == finite.max()).sum()  # the highest in the last


def test_zero_init_trained_two_epochs_gives_statistics_not_a_traceback():
    trainer = trained("sigmoid", "zeros", lr=0.01)
    trainer.graph.params[0].grad = np.full_like(trainer.graph.params[0].value, 1e-45)  # subnormal gradients
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text = trainer.layer_stats().table()
    assert "fc1" in text


# ---------------------------------------------------------------- verdicts of non-finite numbers

def test_a_nan_update_ratio_reads_nan_never_ok():
    p = ParamStats("fc1.W", (3, 4), math.nan, math.nan, math.nan, math.nan)
    assert p.verdict == "nan" and p.ratio_text() == "nan"
    assert ParamStats("fc1.W", (3, 4), 1.0, 1.0, math.inf, math.inf).ratio_text() == "inf"


def test_after_divergence_the_tables_say_nan_where_they_gave_verdicts():
    x = gs.tensor(np.ones((4, 3)), name="x")
    with gs.scope("fc1"):
        W = gs.param(np.full((3, 2), 0.5), name="W")
        h = gs.relu(x @ W)
    loss = gs.sum(h)
    loss.backward()
    before = snapshot_params(loss)
    W.value = np.full((3, 2), np.nan)
    loss.graph().run()
    stats = layer_stats(loss, params_before=before)
    row = next(line for line in stats.table().splitlines() if line.startswith("W "))
    assert row.split()[-1] == "nan" and "ok" not in row.split()
    assert math.isnan(stats["fc1"].fraction)
    scope_row = next(line for line in stats.table().splitlines() if line.startswith("fc1 "))
    assert "nan" in scope_row.split() and "dead" not in scope_row
    assert "not finite" in diagnose(stats).kinds()
    said = str(diagnose(stats))  # the weights were set to NaN, no update made it: the rate is not to blame
    assert "gs.detect_anomaly" in said and "try a smaller learning rate" not in said
    from graphscope.tui.screens.layers import _fraction, _param_line, _ratio
    assert _ratio(stats["fc1"]) == "nan" and _fraction(stats["fc1"]) == "nan"
    assert _param_line(stats["fc1"].params[0]).endswith("update/weight nan")


# ---------------------------------------------------------------- the update/weight ratio: judged where it means something

def test_biases_and_near_zero_weights_get_a_ratio_but_no_verdict_and_the_table_says_why(sick):
    stats = sick["vanishing"].layer_stats()
    bias = stats["fc1"].params[1]
    weight = stats["fc1"].params[0]
    assert bias.name == "fc1.b" and bias.update_ratio > 1e-2          # large: it started at 0
    assert bias.verdict is None and bias.unjudged == "vector" and bias.ratio_text().endswith("(vector)")
    assert weight.verdict == "low"                                     # the real problem: nothing moves
    zeros = sick["zeros"].layer_stats()
    w3 = zeros["fc3"].params[0]  # zero-initialized, grown to ~1e-14 by the steps themselves
    assert w3.update_ratio > 1 and w3.unjudged == "|w|≈0" and w3.verdict is None and w3.ratio_text().endswith("(|w|≈0)")
    table = stats.table()
    assert "(vector: not judged: the rule of thumb is for weight matrices" in table
    assert " high" not in [line[line.rindex(" "):] for line in table.splitlines() if line.startswith("fc1.b")]
    from graphscope.tui.screens.layers import _param_line
    assert "(vector): not judged" in _param_line(bias) and "(high)" not in _param_line(bias)


def test_the_update_walk_judges_ratios_by_the_same_rule():
    from graphscope.stepper import explain
    from graphscope.engine.update_ratio import update_ratio
    assert explain.ratio_verdict(0.3, (10,), 0.01, 0.1).startswith("not judged: the rule of thumb is for weight")
    assert explain.ratio_verdict(0.3, (10, 10), 1e-9, 0.1).startswith("not judged: the weights are ~0")
    assert explain.ratio_verdict(0.3, (10, 10), 0.1, 0.1).startswith("large: the learning rate may be too high")
    assert explain.ratio_verdict(0.0, (10, 10), 0.1, 0.0).startswith("not judged: the step was 0")
    ratio = update_ratio(np.ones(3), np.array([1.0, np.nan, 2.0]))
    assert math.isnan(ratio) and explain.ratio_verdict(ratio).startswith("nan")


def test_a_zero_step_is_not_called_a_low_learning_rate(sick):
    w = sick["dead"].layer_stats()["fc1"].params[0]
    assert w.update_norm == 0 and w.unjudged == "no step" and w.verdict is None


# ---------------------------------------------------------------- how many examples

def test_the_trainer_measures_activations_on_a_fixed_sample_and_says_so(sick):
    trainer = sick["dead"]
    stats = trainer.layer_stats()
    assert {s.examples for s in stats} == {200} and {s.gradient_examples for s in stats} == {8}  # 200 % 32
    assert ("activations and dead/saturated fractions: 200 training examples (a fixed sample, eval mode); "
            "gradients: the last pass, 8 examples") in stats.table()
    # the fraction is the sample's: units zero on every one of the 200 training rows, recomputed by hand
    x, y = data()
    h = x[:200]
    for k in range(1, DEPTH):
        fc = trainer.graph.params[2 * (k - 1)].value, trainer.graph.params[2 * (k - 1) + 1].value
        h = np.maximum(h @ fc[0] + fc[1], 0)
        assert stats[f"relu{k}"].fraction == pytest.approx((h <= 0).all(axis=0).mean())
    # and the graph still shows the last training batch
    assert trainer.roles.input.value.shape[0] == 8 and stats["relu1"].gradient_examples == 8


def test_plain_layer_stats_say_which_pass_they_describe():
    loss = mlp_loss()
    loss.backward()
    stats = layer_stats(loss)
    assert {s.examples for s in stats} == {32}
    assert stats.table().endswith("(measured on the graph's last pass: 32 examples)")


# ---------------------------------------------------------------- the diagnosis

def test_a_deep_sigmoid_net_with_small_weights_is_diagnosed_with_vanishing_gradients(sick):
    found = diagnose(sick["vanishing"].layer_stats())
    assert found.kinds() == {"vanishing"}
    (f,) = found
    assert f.names[0] == "fc1" and "sigmoid4" in f.names and "fc6" not in f.names
    assert "get less than 1/1000 of the gradient std at fc6" in f.text


def test_zero_init_is_diagnosed_as_symmetric(sick):
    found = diagnose(sick["zeros"].layer_stats())
    symmetric = next(f for f in found if f.kind == "symmetric")
    assert symmetric.names == ("fc1.W", "fc2.W", "fc3.W", "fc4.W", "fc5.W")  # fc6.W's units (classes) differ
    assert "all 30 units hold the same weights" in symmetric.text


def test_relu_with_bias_minus_3_is_diagnosed_with_dead_units_and_no_gradient(sick):
    stats = sick["dead"].layer_stats()
    found = diagnose(stats)
    dead = next(f for f in found if f.kind == "dead")
    assert set(dead.names) == {s.scope for s in stats if s.fraction_kind == "dead" and s.fraction > 0.9}
    assert "(on 200 examples)" in dead.text
    none = next(f for f in found if f.kind == "no gradient")
    assert "fc1" in none.names and "dead units of" in none.text


def test_large_weights_make_gradients_explode():
    rng = np.random.default_rng(0)
    h = gs.tensor(rng.standard_normal((16, 20)), name="x")
    for i in range(1, 5):
        with gs.scope(f"fc{i}"):
            h = h @ gs.param(rng.standard_normal((20, 20)) * 3.0, name="W")
    loss = gs.mean(h * h) * 1e-6
    loss.backward()
    found = diagnose(layer_stats(loss))
    assert found.kinds() == {"exploding"} and found[0].names[0] == "fc1"


@pytest.mark.parametrize("activation, init", [("relu", "he"), ("tanh", "xavier")])
def test_healthy_nets_are_not_flagged(activation, init):
    trainer = trained(activation, init, epochs=1)
    found = diagnose(trainer.layer_stats())
    assert not found and str(found) == f"{HEALTHY} in {len(trainer.layer_stats())} scopes"


# ---------------------------------------------------------------- per-epoch records

def test_watched_layers_leave_one_compact_record_per_epoch_in_the_history(tmp_path):
    trainer = trained("relu", "he", bias=-3.0, epochs=3, watch_layers=True, checkpoint=tmp_path / "ck")
    layers = trainer.history.layers
    assert [r["epoch"] for r in layers] == [1, 2, 3] and all(r["examples"] == 200 for r in layers)
    last = trainer.layer_stats()
    assert layers[-1] == epoch_summary(last, 3)
    relu1 = layers[-1]["scopes"]["relu1"]
    assert set(relu1) == {"grad_std", "dead"} and relu1["dead"] == last["relu1"].fraction
    assert layers[-1]["scopes"]["fc1"]["update_ratio"] == last["fc1"].params[0].update_ratio
    assert any(line.startswith("dead units") for line in layers[-1]["diagnosis"])
    back = gs.train.history.History.from_dict(__import__("json").loads(trainer.history.to_json()))
    assert back.layers[0]["scopes"].keys() == layers[0]["scopes"].keys()
    assert "layers" not in (tmp_path / "ck" / "checkpoint.json").read_text()  # --history's, not the checkpoint's


def test_watching_layers_changes_nothing_of_the_training():
    a, b = trained("tanh", "xavier", epochs=2), trained("tanh", "xavier", epochs=2, watch_layers=True)
    assert a.history.loss == b.history.loss and a.history.val_acc == b.history.val_acc
    assert all(np.array_equal(p.value, q.value) for p, q in zip(a.graph.params, b.graph.params))
    assert a.history.layers == [] and len(b.history.layers) == 2


def test_a_scalar_scope_after_the_scores_does_not_hide_the_vanishing_gradient():
    rng = np.random.default_rng(0)
    h = gs.tensor(rng.standard_normal((16, 10)), name="x")
    for i in range(1, 6):
        with gs.scope(f"fc{i}"):
            h = gs.sigmoid(h @ gs.param(rng.standard_normal((10, 10)) * 0.01, name="W"))
    with gs.scope("loss"):
        loss = gs.mean(h * h)
    loss.backward()
    stats = layer_stats(loss)
    assert stats["loss"].gradient.std == 0
    found = diagnose(stats)
    assert found.kinds() == {"vanishing"} and "gradient std at fc5" in found[0].text and "loss" not in found[0].names


def test_putting_a_trainer_state_back_cuts_the_layer_records_with_the_rest_of_the_history():
    from graphscope.train.rewind import TrainerState
    trainer = trained("tanh", "xavier", epochs=1, watch_layers=True)
    state = TrainerState(trainer)
    x, y = data()
    trainer.epochs = 2
    trainer.fit(x[:200], y[:200], x[200:], y[200:])
    assert len(trainer.history.layers) == len(trainer.history.lr) > 1
    state.restore()
    assert len(trainer.history.layers) == len(trainer.history.lr) == 1


def test_the_saturated_finding_quotes_the_thresholds_the_monitor_counts_with():
    from graphscope.train.monitor import SIGMOID_SATURATED, TANH_SATURATED
    x = gs.tensor(np.random.default_rng(0).normal(size=(16, 4)), name="x")
    with gs.scope("tanh1"):
        h = gs.tanh(x @ gs.param(np.full((4, 8), 50.0), name="W"))
    loss = gs.sum(h)
    loss.backward()
    found = next(f for f in diagnose(layer_stats(loss)) if f.kind == "saturated")
    assert f"|tanh| > {TANH_SATURATED:g}" in found.text
    assert f"sigmoid < {SIGMOID_SATURATED[0]:g} or > {SIGMOID_SATURATED[1]:g}" in found.text
