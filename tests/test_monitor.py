"""Per-layer statistics (graphscope.train.monitor), on the lecture's 10-layer tanh experiment and small graphs."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.train.monitor import layer_stats, snapshot_params


def tanh_net(weight_std, rng, layers=10, units=500, examples=1000):
    """The lecture's experiment: unit Gaussian inputs through `layers` tanh layers of `units` units."""
    h = gs.tensor(rng.standard_normal((examples, units), dtype=np.float32), name="x")
    for i in range(1, layers + 1):
        with gs.scope(f"layer{i}"):
            W = gs.param(rng.standard_normal((units, units), dtype=np.float32) * np.float32(weight_std), name=f"W{i}")
            h = gs.tanh(h @ W)
    loss = gs.mean(h * h)
    loss.backward()
    return layer_stats(loss)


@pytest.fixture(scope="module")
def experiment():
    rng = np.random.default_rng(0)
    return {name: tanh_net(std, rng) for name, std in
            [("small", 0.01), ("large", 1.0), ("xavier", 1 / np.sqrt(500))]}


def stds(stats):
    return np.array([s.activation.std for s in stats])


def test_every_layer_scope_is_reported_in_order_with_its_tanh_output(experiment):
    stats = experiment["xavier"]
    assert [s.scope for s in stats] == [f"layer{i}" for i in range(1, 11)]
    assert all(s.op == "tanh" and s.shape == (1000, 500) and s.fraction_kind == "saturated" for s in stats)
    assert [p.name for p in stats["layer3"].params] == ["W3"]


def test_small_init_makes_activations_vanish(experiment):
    s = stds(experiment["small"])
    assert s[-1] < 1e-3 * s[0]
    assert np.all(np.diff(s) < 0)
    # the gradients reaching the weights vanish with them
    grad_norms = [s.params[0].grad_norm for s in experiment["small"]]
    assert max(grad_norms) < 1e-6 * min(p.grad_norm for s in experiment["xavier"] for p in s.params)


def test_unit_gaussian_init_saturates_most_units(experiment):
    fractions = [s.fraction for s in experiment["large"]]
    assert min(fractions) > 0.5
    assert all(s.activation.histogram.counts[[0, -1]].sum() > 0.5 * 1000 * 500 for s in experiment["large"])


def test_xavier_init_keeps_activations_within_ten_times(experiment):
    s = stds(experiment["xavier"])
    assert s.max() < 10 * s.min()
    assert max(st.fraction for st in experiment["xavier"]) < 0.05


def test_summaries_and_histograms_describe_the_arrays():
    rng = np.random.default_rng(1)
    x = gs.tensor(rng.standard_normal((30, 4)), name="x")
    with gs.scope("fc"):
        W = gs.param(rng.standard_normal((4, 6)), name="W")
        h = gs.sigmoid(x @ W * 5.0)
    loss = gs.sum(h * h)
    loss.backward()
    (s,) = layer_stats(loss, bins=7)
    a, g = h.value, h.grad
    assert s.node == h.name and s.op == "sigmoid"
    assert (s.activation.mean, s.activation.std) == pytest.approx((a.mean(), a.std()))
    assert (s.gradient.mean, s.gradient.std) == pytest.approx((g.mean(), g.std()))
    assert s.fraction == pytest.approx(((a < 0.01) | (a > 0.99)).mean()) and s.fraction > 0
    counts, edges = s.gradient.histogram.counts, s.gradient.histogram.edges
    assert counts.sum() == g.size and len(edges) == 8
    np.testing.assert_array_equal(counts, np.histogram(g, bins=7)[0])
    assert edges[0] == pytest.approx(g.min()) and edges[-1] == pytest.approx(g.max())
    assert s.params[0].grad_norm == pytest.approx(np.linalg.norm(W.grad))


def test_dead_relus_are_units_zero_on_every_example():
    x = gs.tensor(np.abs(np.random.default_rng(2).standard_normal((20, 3))) + 0.1, name="x")
    with gs.scope("fc1"):
        W = gs.param(np.array([[1.0, -1.0, 1.0, -2.0], [1.0, -1.0, -1.0, -2.0], [1.0, -1.0, 0.5, -2.0]]), name="W")
        h = gs.relu(x @ W)
    alive_somewhere = (h.value > 0).any(axis=0)
    (s,) = layer_stats(gs.sum(h))
    assert s.fraction_kind == "dead"
    assert s.fraction == pytest.approx(1 - alive_somewhere.mean())
    assert s.fraction >= 0.5  # columns 1 and 3 are negative for positive inputs


def test_update_weight_ratio_after_a_step():
    rng = np.random.default_rng(3)
    x = gs.tensor(rng.standard_normal((16, 5)), name="x")
    with gs.scope("fc"):
        W = gs.param(rng.standard_normal((5, 3)) * 0.1, name="W")
        b = gs.param(np.zeros(3), name="b")
        h = gs.tanh(x @ W + b)
    loss = gs.mean(h * h)
    loss.backward()
    before = snapshot_params(loss)
    lr = 1e-2
    for p in (W, b):
        p.value = p.value - lr * p.grad
    stats = layer_stats(loss, params_before=before)
    w, bias = stats["fc"].params
    expected = lr * np.linalg.norm(W.grad) / np.linalg.norm(before[W])
    assert w.update_ratio == pytest.approx(expected)
    assert w.verdict == ("low" if expected < 1e-4 else "high" if expected > 1e-2 else "ok")
    assert bias.update_norm == pytest.approx(lr * np.linalg.norm(b.grad)) and bias.update_ratio is None
    table = stats.table()
    assert f"{expected:.2e} {w.verdict}" in table and "rule of thumb is about 1e-03" in table
    # keyed by name, as a user might write it
    by_name = layer_stats(loss, params_before={"W": before[W]})
    assert by_name["fc"].params[0].update_ratio == pytest.approx(expected)
    assert by_name["fc"].params[1].update_ratio is None


def test_ratio_verdicts_follow_the_rule_of_thumb():
    x = gs.tensor(np.ones((2, 2)), name="x")
    with gs.scope("fc"):
        W = gs.param(np.eye(2), name="W")
        out = x @ W
    verdicts = []
    for step in (1e-6, 1e-3, 1e-1):
        verdicts.append(layer_stats(out, {W: np.eye(2) * (1 + step)})["fc"].params[0].verdict)
    assert verdicts == ["low", "ok", "high"]


def test_table_before_backward_says_gradients_are_not_computed():
    x = gs.tensor(np.ones((2, 3)), name="x")
    with gs.scope("hidden"):
        h = gs.tanh(x @ gs.param(np.full((3, 2), 0.1), name="W"))
    stats = layer_stats(h)
    assert stats["hidden"].gradient is None
    table = stats.table()
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["scope", "output", "shape"]
    assert lines[2].startswith("hidden") and "not computed" in lines[2] and "2x2" in lines[2]
    assert "update/weight" not in table  # no update was given


def test_scopes_nest_and_unscoped_nodes_are_left_out():
    x = gs.tensor(np.ones((2, 2)), name="x")
    with gs.scope("net"):
        with gs.scope("fc1"):
            h = gs.relu(x @ gs.param(np.eye(2), name="W1"))
        with gs.scope("fc2"):
            out = h @ gs.param(np.eye(2), name="W2")
    loss = gs.sum(out)
    loss.backward()
    stats = layer_stats(loss.graph())
    assert [s.scope for s in stats] == ["net/fc1", "net/fc2"]
    assert stats["net/fc2"].fraction is None and stats["net/fc2"].op == "matmul"
    with pytest.raises(KeyError, match=r"no module scope 'fc3'; scopes: net/fc1, net/fc2"):
        stats["fc3"]


def test_a_shared_parameter_is_listed_once_under_the_first_scope_using_it():
    shared = gs.param(np.eye(2), name="W")  # made outside any scope, as a module's __init__ might
    x = gs.tensor(np.ones((3, 2)), name="x")
    with gs.scope("enc"):
        h = gs.tanh(x @ shared)
    with gs.scope("dec"):
        out = gs.tanh(h @ shared) + gs.param(np.zeros(2), name="b")
    stats = layer_stats(gs.sum(out))
    assert [p.name for s in stats for p in s.params] == ["W", "b"]
    assert [p.name for p in stats["dec"].params] == ["b"]


def test_a_graph_without_scopes_says_how_to_get_some():
    loss = gs.sum(gs.tensor(np.ones(3), name="x") * 2.0)
    stats = layer_stats(loss)
    assert list(stats) == [] and "gs.scope" in stats.table()


def test_nonfinite_entries_are_counted_not_averaged():
    x = gs.tensor(np.array([[1.0, np.inf], [2.0, 3.0]]), name="x")
    with gs.scope("s"):
        h = x * 1.0
    s = layer_stats(h)["s"]
    assert s.activation.nonfinite == 1 and s.activation.mean == pytest.approx(2.0)


def test_scalar_graphs_work_too():
    a = gs.tensor(0.5, requires_grad=True, name="a")
    with gs.scope("neuron"):
        out = gs.tanh(a * gs.param(3.0, name="w"))
    out.backward()
    s = layer_stats(out)["neuron"]
    assert s.shape == () and s.activation.mean == pytest.approx(np.tanh(1.5))
    assert s.gradient.mean == pytest.approx(1.0)


@pytest.mark.parametrize("before, message", [
    ({"nope": np.eye(2)}, r"params_before names 'nope', which is not a node of this graph"),
    ({"W": np.eye(3)}, r"params_before\['W'\] has shape \(3, 3\), but W has shape \(2, 2\)"),
    ([np.eye(2)], r"params_before must map parameters"),
])
def test_bad_params_before_gets_one_clear_message(before, message):
    x = gs.tensor(np.ones((2, 2)), name="x")
    with gs.scope("fc"):
        out = x @ gs.param(np.eye(2), name="W")
    with pytest.raises(gs.GraphscopeError, match=message):
        layer_stats(out, params_before=before)


# ---------------------------------------------------------------- after Trainer.fit

@pytest.fixture(scope="module")
def fitted():
    """A small MLP fitted for 2 epochs with validation: 100 training rows in batches of 32 (the last has 4)."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((100, 5)), rng.integers(0, 3, 100)
    x_val, y_val = rng.standard_normal((37, 5)), rng.integers(0, 3, 37)
    net = gs.nn.MLP([5, 8, 3], rng=0)
    loss = gs.softmax_cross_entropy(net(gs.tensor(x[:32], name="x")), y[:32])
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=32, epochs=2,
                         shuffle=False, dtype="float64", progress=False)
    trainer.fit(x, y, x_val, y_val)
    return trainer, x, y


def test_after_fit_the_statistics_describe_the_last_training_batch_not_the_validation_pass(fitted):
    trainer, x, y = fitted
    stats = layer_stats(trainer.graph)
    assert [s.shape for s in stats] == [(4, 8), (4, 8), (4, 3)]            # the last batch: rows 96..99
    assert all(s.gradient is not None for s in stats) and "not computed" not in stats.table()
    assert np.array_equal(trainer.roles.input.value, x[96:])
    before = [p.value - trainer.optimizer.last_update(p) for p in trainer.params]
    hidden = np.maximum(x[96:] @ before[0] + before[1], 0)             # the pass the last step was computed on
    np.testing.assert_allclose(trainer.graph[stats["relu1"].node].value, hidden)


def test_the_trainer_s_statistics_have_the_update_weight_ratio_of_its_last_step(fitted):
    trainer, _, _ = fitted
    for stats in (gs.layer_stats(trainer), trainer.layer_stats(), layer_stats(trainer.graph,
                                                                             optimizer=trainer.optimizer)):
        w = stats["fc1"].params[0]
        delta = trainer.optimizer.last_update(trainer.params[0])
        assert w.name == "fc1.W" and w.update_ratio == pytest.approx(
            np.linalg.norm(delta) / np.linalg.norm(trainer.params[0].value - delta), rel=1e-12)
        assert "update/weight" in stats.table()
    plain = layer_stats(trainer.graph).table()
    assert next(line for line in plain.splitlines() if line.startswith("parameter")).split() == \
        ["parameter", "shape", "|w|", "|grad|"]
    assert "no update/weight column: no optimizer step given; use gs.layer_stats(trainer)" in plain


def test_parameters_outside_any_scope_get_an_implicit_layer_and_their_update_ratio():
    rng = np.random.default_rng(0)
    x = gs.tensor(rng.standard_normal((16, 2)), name="x")
    W = gs.param(rng.standard_normal((2, 3)), name="W")
    b = gs.param(np.zeros(3), name="b")
    loss = gs.softmax_cross_entropy(x @ W + b, rng.integers(0, 3, 16))
    opt = gs.optim.SGD(loss.graph().params, lr=0.1)
    loss.backward()
    opt.step()
    text = gs.layer_stats(loss, optimizer=opt).table()
    assert text.startswith("layer ") and "no gs.scope in this graph" in text
    row = next(line for line in text.splitlines() if line.startswith("W "))
    ratio = np.linalg.norm(opt.last_update(W)) / np.linalg.norm(W.value - opt.last_update(W))
    assert f"{ratio:.2e}" in row


def test_a_functional_activation_after_a_layer_is_that_layers_activation():
    rng = np.random.default_rng(0)
    x_values = rng.normal(size=(40, 4))

    class Net(gs.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = gs.nn.Linear(4, 16, rng=0, bias=-1.0)
            self.fc2 = gs.nn.Linear(16, 2, rng=1)

        def forward(self, x):
            return self.fc2(gs.relu(self.fc1(x)))

    net = Net()
    loss = gs.softmax_cross_entropy(net(gs.tensor(x_values, name="x")), rng.integers(0, 2, 40))
    loss.backward()
    stats = gs.layer_stats(loss)
    hidden = np.maximum(x_values @ net.fc1.W.value + net.fc1.b.value, 0)
    assert [s.scope for s in stats] == ["fc1", "fc2"]
    assert stats["fc1"].op == "relu" and stats["fc1"].fraction_kind == "dead"
    assert stats["fc1"].fraction == pytest.approx((hidden == 0).all(axis=0).mean()) and stats["fc1"].fraction > 0
    np.testing.assert_allclose(stats["fc1"].activation.mean, hidden.mean())
    assert "dead" in stats.table().splitlines()[2]


def test_an_activation_in_the_enclosing_module_belongs_to_the_layer_before_it():
    with gs.scope("block"):
        W = gs.param(np.eye(2), name="W")
        with gs.scope("fc"):
            h = gs.tensor(np.array([[1.0, -1.0]]), name="x") @ W
        out = gs.tanh(h)
        after = gs.tanh(out * 2.0)    # not right after a layer's output: stays in scope block
    stats = gs.layer_stats(gs.sum(after))
    assert stats["block/fc"].node == out.name and stats["block/fc"].fraction_kind == "saturated"
    assert stats["block"].node == after.name
