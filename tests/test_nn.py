"""gs.nn: init statistics, layer scopes and names, batch norm and dropout in both modes, replay, checks."""
import numpy as np
import pytest

import graphscope as gs
from graphscope import nn
from graphscope.nn import init


# ---------------------------------------------------------------- init

@pytest.mark.parametrize("name, variance", [
    ("xavier", lambda fi, fo: 1.0 / fi), ("glorot", lambda fi, fo: 2.0 / (fi + fo)),
    ("he", lambda fi, fo: 2.0 / fi), ("normal", lambda fi, fo: 0.01 ** 2)])
def test_initializers_have_the_lecture_variance(name, variance):
    fan_in, fan_out = 800, 400
    w = init.get(name)((fan_in, fan_out), rng=0)
    assert w.shape == (fan_in, fan_out) and w.dtype == np.float64
    assert abs(w.mean()) < 4 * np.sqrt(variance(fan_in, fan_out) / w.size)
    assert w.var() == pytest.approx(variance(fan_in, fan_out), rel=0.02)


def test_initializers_are_seeded_and_zeros_and_constants_are_exact():
    assert np.array_equal(init.he((50, 20), rng=3), init.he((50, 20), rng=3))
    assert not np.array_equal(init.he((50, 20), rng=3), init.he((50, 20), rng=4))
    g = np.random.default_rng(5)
    assert not np.array_equal(init.xavier((4, 4), rng=g), init.xavier((4, 4), rng=g))  # a Generator moves on
    assert not init.zeros((3, 2)).any()
    assert np.array_equal(init.constant((3,), value=0.01), [0.01] * 3)
    assert init.get("normal(std=0.5)")((2000, 500), rng=0).std() == pytest.approx(0.5, rel=0.01)
    with pytest.raises(gs.GraphscopeError, match="unknown initializer 'kaimingg'.*xavier"):
        init.get("kaimingg")


@pytest.mark.parametrize("name", ["zeros", "xavier", "glorot", "he"])
def test_an_initializer_without_numbers_of_its_own_takes_the_seed_second(name):
    f = getattr(init, name)
    by_position, by_name = f((1000, 400), 7), f((1000, 400), rng=7)
    np.testing.assert_array_equal(by_position, by_name)
    if name != "zeros":
        assert by_position.var() > 1e-5 and not np.array_equal(by_position, f((1000, 400), 8))


def test_normal_and_constant_take_their_numbers_by_name_and_a_generator_second():
    assert init.normal((1000, 400), std=0.5, rng=7).std() == pytest.approx(0.5, rel=0.01)
    np.testing.assert_array_equal(init.normal((50, 4), std=0.5, rng=7),
                                  init.normal((50, 4), np.random.default_rng(7), std=0.5))
    assert (init.constant((4, 3), value=0.25, rng=3) == 0.25).all()
    assert (init.constant((4,), np.random.default_rng(0), value=2) == 2).all()
    assert (init.constant((4,), None) == 0).all()


@pytest.mark.parametrize("call, message", [
    # a number second once became the seed: constant((3,), 1) gave zeros, normal((1000,), 1) a std of 0.01
    (lambda: init.constant((3,), 1), r"^gs\.nn\.init\.constant\(shape, 1\): constant takes its value and its seed by "
                                     r"name: constant\(shape, value=1\) or, if 1 is the seed, constant\(shape, rng=1\)$"),
    (lambda: init.normal((1000,), 1), r"^gs\.nn\.init\.normal\(shape, 1\): .* normal\(shape, std=1\) or, if 1 is the "
                                      r"seed, normal\(shape, rng=1\)$"),
    (lambda: init.normal((3, 2), 0.1), r"^gs\.nn\.init\.normal\(shape, 0\.1\): normal takes its std and its seed by "
                                       r"name: normal\(shape, std=0\.1\)$"),
    (lambda: init.normal((3, 2), 0.1, 0), r"^gs\.nn\.init\.normal\(shape, 0\.1, 0\): .*: normal\(shape, std=0\.1, rng=0\)$"),
    (lambda: init.constant((3,), 0.01), r"constant\(shape, value=0\.01\)$"),
    (lambda: init.normal((3,), np.random.default_rng(0), rng=1), r"the Generator and rng=1 are both the seed"),
    (lambda: init.normal((3,), rng=0.5), r"^gs\.nn\.init\.normal\(shape, std=\.\.\., rng=\.\.\.\): rng is the seed "
                                         r"\(an int\), a numpy Generator or None, got 0\.5$"),
    (lambda: init.he((3, 2), "0"), r"init\.he\(shape, rng\).*got str$")])
def test_a_number_that_could_be_the_seed_or_the_initializers_own_is_refused_naming_both(call, message):
    with pytest.raises(gs.GraphscopeError, match=message):
        call()


def test_linear_uses_init_bias_and_rng():
    a = nn.Linear(300, 200, init="he", bias=0.01, rng=1)
    b = nn.Linear(300, 200, init="he", bias=0.01, rng=1)
    assert np.array_equal(a.W.value, b.W.value)
    assert a.W.value.var() == pytest.approx(2 / 300, rel=0.03)
    assert np.array_equal(a.b.value, np.full(200, 0.01))
    no_bias = nn.Linear(3, 2, bias=None)
    assert [p.name for p in no_bias.parameters()] == [f"{no_bias.name}.W"] and no_bias.b is None
    zero = nn.Linear(3, 2, init="zeros")
    assert not zero.W.value.any()


# ---------------------------------------------------------------- scopes, names, containers

def small_batch(rng, n=16, d=4):
    return gs.tensor(rng.standard_normal((n, d)), name="x"), rng.integers(0, 3, n)


def test_mlp_names_its_scopes_and_parameters(rng):
    net = nn.MLP([4, 8, 8, 3], batchnorm=True, dropout=0.5, rng=0)
    assert [m.name for m in net] == ["fc1", "bn1", "relu1", "drop1", "fc2", "bn2", "relu2", "drop2", "fc3"]
    assert [n for n, _ in net.named_parameters()] == ["fc1.W", "bn1.gamma", "bn1.beta", "fc2.W",
                                                      "bn2.gamma", "bn2.beta", "fc3.W", "fc3.b"]
    x, y = small_batch(rng)
    loss = gs.softmax_cross_entropy(net(x), y)
    graph = loss.graph()
    scopes = [n.scope for n in graph.ops]
    assert scopes[:-1] == ["fc1", "bn1", "relu1", "drop1", "fc2", "bn2", "relu2", "drop2", "fc3", "fc3"]
    assert {p.name: p.scope for p in graph.params}["bn2.gamma"] == "bn2"
    assert graph.params == net.parameters()
    plain = nn.MLP([4, 5, 3], activation="tanh")
    assert [m.name for m in plain] == ["fc1", "tanh1", "fc2"]


def test_sequential_names_unnamed_layers_and_nests_named_ones(rng):
    seq = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3, name="scores"), name="net")
    assert [m.name for m in seq] == ["fc1", "relu1", "scores"]
    assert seq["scores"] is seq[2]
    out = seq(small_batch(rng)[0])
    assert out.scope == "net/scores" and seq[0].W.scope == "net/fc1"
    with pytest.raises(gs.GraphscopeError, match="share the name"):
        nn.Sequential(nn.ReLU(name="a"), nn.Tanh(name="a"))


def test_module_state_dict_round_trip(rng):
    net = nn.MLP([4, 6, 3], batchnorm=True, rng=0)
    net(small_batch(rng)[0])        # moves the running averages
    state = net.state_dict()
    assert set(state) == {"fc1.W", "bn1.gamma", "bn1.beta", "bn1.running_mean", "bn1.running_var",
                          "fc2.W", "fc2.b"}
    other = nn.MLP([4, 6, 3], batchnorm=True, rng=1)
    array = other[0].W.value
    other.load_state_dict(state)
    assert other[0].W.value is array
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v, state[k])
    with pytest.raises(gs.GraphscopeError, match=r"missing \['fc2.b'\]"):
        other.load_state_dict({k: v for k, v in state.items() if k != "fc2.b"})
    with pytest.raises(gs.GraphscopeError, match=r"fc1.W has shape \(2, 2\)"):
        other.load_state_dict({**state, "fc1.W": np.zeros((2, 2))})


def test_linear_bias_false_makes_no_bias_and_a_bad_bias_is_named():
    for no_bias in (False, None):
        layer = nn.Linear(3, 2, bias=no_bias)
        assert layer.b is None and [n for n, _ in layer.named_parameters()] == ["W"]   # relative to the layer, as in PyTorch
        assert "bias=False" in repr(layer)
    assert np.array_equal(nn.Linear(3, 2, bias=True).b.value, np.zeros(2))
    with pytest.raises(gs.GraphscopeError, match="Linear: bias must be .* got 'zero'"):
        nn.Linear(3, 2, bias="zero")


def test_mlp_gives_no_bias_to_a_linear_before_batch_norm_and_keeps_the_others(rng):
    bn = nn.MLP([4, 6, 6, 3], batchnorm=True, bias=0.01, rng=0)
    assert [m.b is None for m in bn if isinstance(m, nn.Linear)] == [True, True, False]
    assert np.array_equal(bn["fc3"].b.value, np.full(3, 0.01))
    plain = nn.MLP([4, 6, 3], bias=0.01, rng=0)
    assert all(m.b is not None for m in plain if isinstance(m, nn.Linear))
    assert all(m.b is None for m in nn.MLP([4, 6, 3], bias=False) if isinstance(m, nn.Linear))
    x, y = small_batch(rng)
    report = gs.check_nodes(gs.softmax_cross_entropy(bn(x), y))
    assert report.conclusive and not report.unjudged   # no bias whose gradient is always 0


def old_batchnorm_state(rng):
    """A state_dict as gs.nn.MLP([4, 6, 3], batchnorm=True) saved it when fc1 had a bias, and that model."""
    old = nn.Sequential(nn.Linear(4, 6, init="he", rng=0), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3, rng=0))
    old[0].b.value[:] = rng.standard_normal(6)
    for _ in range(3):
        old(gs.tensor(rng.standard_normal((16, 4)) + 2.0))   # running averages that include the bias
    return old.state_dict(), old


def test_loading_a_state_with_a_bias_before_batch_norm_says_what_changed_and_how_to_convert(rng):
    state, old = old_batchnorm_state(rng)
    net = nn.MLP([4, 6, 3], batchnorm=True, rng=1)
    with pytest.raises(gs.GraphscopeError) as err:
        net.load_state_dict(state)
    message = str(err.value)
    assert "unexpected ['fc1.b']" in message and "fc1 has no bias in this model" in message
    assert "batch norm's beta is the bias" in message
    fix = "state['bn1.running_mean'] -= state.pop('fc1.b')"
    assert fix in message
    exec(fix, {"state": state})                       # the conversion the message gives is exact
    net.load_state_dict(state)
    x = gs.tensor(rng.standard_normal((8, 4)))
    for mode in ("train", "eval"):
        getattr(old, mode)(), getattr(net, mode)()
        np.testing.assert_allclose(net(x).value, old(x).value, rtol=1e-12, atol=1e-12)


def test_learnable_leaky_relu_gets_a_gradient(rng):
    layer = nn.LeakyReLU(0.1, learnable=True)
    assert [p.name for p in layer.parameters()] == ["lrelu.alpha"]
    x = gs.tensor(np.array([-2.0, 1.0, -0.5]))
    gs.sum(layer(x)).backward()
    assert layer.alpha.grad == pytest.approx(-2.5)
    layer.zero_grad()
    assert layer.alpha.grad is None
    assert nn.LeakyReLU().parameters() == []


def test_bad_layer_arguments_get_one_clear_message(rng):
    with pytest.raises(gs.GraphscopeError, match="out_features must be a positive whole number"):
        nn.Linear(3, 0)
    with pytest.raises(gs.GraphscopeError, match="unknown activation 'gelu'"):
        nn.MLP([3, 2], activation="gelu")
    with pytest.raises(gs.GraphscopeError, match="sizes must list at least two"):
        nn.MLP([3])
    with pytest.raises(gs.GraphscopeError, match=r"p \(the probability of dropping a unit\) must be in \[0, 1\)"):
        nn.Dropout(1.0)
    with pytest.raises(gs.ShapeError, match=r"batch_norm: gamma must have shape \(4,\) for 4 features"):
        nn.BatchNorm1d(3)(small_batch(rng)[0])
    with pytest.raises(gs.ShapeError, match="at least 2 examples"):
        nn.BatchNorm1d(4)(gs.tensor(np.ones((1, 4))))


# ---------------------------------------------------------------- the quality bar: per-node check, modes

def test_mlp_with_batchnorm_and_dropout_passes_the_gradient_checks(rng):
    net = nn.MLP([5, 7, 6, 3], batchnorm=True, dropout=0.3, rng=0)
    x, y = small_batch(rng, n=10, d=5)
    loss = gs.softmax_cross_entropy(net(x), y)
    loss.backward()
    report = gs.check_nodes(loss)
    assert report
    checked = [r.node.op for r in report.rows if r.status == "ok"]
    assert checked.count("batch_norm") == 2 and checked.count("dropout") == 2
    assert gs.gradcheck(loss)
    net.eval()
    eval_loss = gs.softmax_cross_entropy(net(x), y)
    assert gs.check_nodes(eval_loss) and gs.gradcheck(eval_loss)


def test_batchnorm_matches_torch_in_training_and_at_test_time(torch, rng):
    bn = nn.BatchNorm1d(4, momentum=0.2)
    tbn = torch.nn.BatchNorm1d(4, momentum=0.2).double()
    batches = [rng.standard_normal((8 + k, 4)) * [1, 2, 3, 4] + [5, -1, 0, 2] for k in range(5)]
    x = gs.tensor(batches[0], name="x")
    out = bn(x)
    graph = out.graph()
    tbn(torch.tensor(batches[0]))
    for batch in batches[1:]:                     # replay: each run folds its batch into the running averages
        graph.run({x: batch})
        t_out = tbn(torch.tensor(batch))
        np.testing.assert_allclose(out.value, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean, tbn.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, tbn.running_var.numpy(), rtol=1e-12)
    trained = out.value
    assert np.allclose(trained.mean(axis=0), 0, atol=1e-12) and np.allclose(trained.std(axis=0), 1, atol=1e-3)

    bn.eval()
    tbn.eval()
    test = rng.standard_normal((3, 4))
    graph.run({x: test})
    np.testing.assert_allclose(out.value, tbn(torch.tensor(test)).detach().numpy(), rtol=1e-10, atol=1e-12)
    before = bn.running_mean.copy()
    graph.run({x: test[:1]})                      # test time: one example alone gives the same answer
    np.testing.assert_allclose(out.value, tbn(torch.tensor(test[:1])).detach().numpy(), rtol=1e-10)
    np.testing.assert_array_equal(bn.running_mean, before)


def test_dropout_drops_p_of_the_units_scales_the_rest_and_is_off_at_test_time(rng):
    drop = nn.Dropout(0.3, rng=0)
    x = gs.tensor(rng.uniform(1, 2, (200, 100)), name="x")
    out = drop(x)
    mask = out.attrs["mask"]
    assert mask.dtype == bool and mask.shape == x.shape
    assert (~mask).mean() == pytest.approx(0.3, abs=0.01)
    np.testing.assert_allclose(out.value[mask], x.value[mask] / 0.7, rtol=1e-15)
    assert not out.value[~mask].any()
    assert out.value.mean() == pytest.approx(x.value.mean(), rel=0.01)   # inverted dropout keeps the expectation
    drop.eval()
    out.graph().run()
    np.testing.assert_array_equal(out.value, x.value)
    np.testing.assert_array_equal(drop(x).value, x.value)


def test_replay_draws_fresh_masks_but_steps_and_checks_keep_them(rng):
    net = nn.Sequential(nn.Linear(3, 50), nn.Dropout(0.5, rng=0))
    x = gs.tensor(rng.standard_normal((4, 3)), name="x")
    out = gs.sum(net(x))
    graph = out.graph()
    node = graph.node(next(n.id for n in graph.ops if n.op == "dropout"))
    first, first_draw = node.attrs["mask"], node.attrs["draw"]
    graph.step_forward(graph.position(node))
    gs.check_nodes(out)
    gs.gradcheck(out)
    assert node.attrs["mask"] is first
    graph.run()
    second = node.attrs["mask"]
    assert not np.array_equal(first, second) and node.attrs["draw"] == first_draw + 1
    np.testing.assert_array_equal(graph.node(node.id).value != 0, second)   # the value used the new mask
    graph.run({x: rng.standard_normal((9, 3))})   # a new batch size: a mask of the new shape
    assert node.attrs["mask"].shape == (9, 50)
    # the same seed gives the same sequence of masks
    again = nn.Sequential(nn.Linear(3, 50), nn.Dropout(0.5, rng=0))
    np.testing.assert_array_equal(again(gs.tensor(np.ones((4, 3)))).attrs["mask"], first)


def test_set_training_switches_a_recorded_graph(rng):
    net = nn.MLP([4, 6, 3], batchnorm=True, dropout=0.5, rng=0)
    x, y = small_batch(rng)
    scores = net(x)
    graph = scores.graph()
    assert nn.set_training(graph, False) == 2
    graph.run()
    eval_scores = scores.value.copy()
    graph.run()
    np.testing.assert_array_equal(scores.value, eval_scores)      # deterministic at test time
    assert nn.set_training(scores, True) == 2
    graph.run()
    assert not np.allclose(scores.value, eval_scores)
    net.eval()                                                    # the module switches its recorded nodes too
    assert all(not n.attrs["training"] for n in graph.ops if n.op in ("batch_norm", "dropout"))
    running = net["bn1"].running_mean.copy()
    graph.run()
    np.testing.assert_array_equal(net["bn1"].running_mean, running)   # test time leaves the averages alone
    net.train()
    assert all(n.attrs["training"] for n in graph.ops if n.op in ("batch_norm", "dropout"))


def test_graph_files_keep_batchnorm_and_dropout_attributes(tmp_path, rng):
    net = nn.MLP([4, 6, 3], batchnorm=True, dropout=0.5, rng=0)
    scores = net(small_batch(rng)[0])
    path = tmp_path / "net.json"
    scores.graph().save(path)
    loaded = gs.load_graph(path)
    for a, b in zip(scores.graph().ops, loaded.ops):
        assert a.op == b.op
        for k, v in a.attrs.items():
            np.testing.assert_array_equal(b.attrs[k], v)
    for graph in (scores.graph(), loaded):    # test time reads the saved running averages
        nn.set_training(graph, False)
        graph.run()
    np.testing.assert_allclose(loaded.output.value, scores.value, rtol=1e-12)


def test_readme_example_runs(capsys):
    import pathlib
    import re
    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Layers and optimizers", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "True" and printed[-1] == "dict_keys(['m', 'v'])"
    assert float(printed[1].split()[1]) < 0.2


def test_a_float32_network_computes_in_float32(rng):
    net = nn.MLP([4, 6, 3], batchnorm=True, dropout=0.2, rng=0, dtype="float32")
    assert {p.value.dtype for p in net.parameters()} == {np.dtype(np.float32)}
    x = gs.tensor(rng.standard_normal((8, 4)).astype(np.float32), name="x")
    loss = gs.softmax_cross_entropy(net(x), rng.integers(0, 3, 8))
    graph = loss.graph()
    assert all(n.dtype == np.float32 for n in graph.ops[:-1])
    net.eval()
    graph.run()
    assert all(n.dtype == np.float32 for n in graph.ops[:-1])
    with pytest.raises(gs.GraphscopeError, match="dtype must be float64 or float32"):
        nn.Linear(2, 2, dtype="int8")
