"""Layers of two models never share a scope or a parameter name in one graph; PyTorch's module habits
(children, named_children, load_state_dict(strict=False), lookup by dotted name)."""
import gc

import numpy as np
import pytest

import graphscope as gs
from graphscope import nn

from train_helpers import spiral


@pytest.fixture
def collected():
    """Models of earlier tests freed now: a default name ('mlp_2') is numbered past those still alive."""
    gc.collect()


def encoder_and_head(x):
    """The reported case: two unnamed MLPs, one feeding the other."""
    enc = nn.MLP([2, 32, 16], rng=0)
    head = nn.MLP([16, 16, 3], rng=1)
    X = gs.tensor(x, name="x")
    scores = head(gs.relu(enc(X)))
    scores.name = "scores"
    return enc, head, X, scores


def test_an_unnamed_model_fed_by_another_gets_its_own_scope_and_parameter_names(rng, collected):
    x, y = spiral(n_per_class=20)
    enc, head, X, scores = encoder_and_head(x)
    loss = gs.softmax_cross_entropy(scores, y)
    loss.backward()
    assert enc.name is None and head.name == "mlp_2"   # the first model keeps today's names
    graph = loss.graph()
    names = [p.name for p in graph.params]
    assert names == ["fc1.W", "fc1.b", "fc2.W", "fc2.b", "mlp_2.fc1.W", "mlp_2.fc1.b", "mlp_2.fc2.W", "mlp_2.fc2.b"]
    assert graph["fc1.W"] is enc["fc1"].W and graph["mlp_2.fc1.W"] is head["fc1"].W
    assert graph["mlp_2/fc1/mlp_2.fc1.W"] is head["fc1"].W and head["fc1"].W.scope == "mlp_2/fc1"
    stats = gs.layer_stats(loss)
    assert [s.scope for s in stats] == ["fc1", "relu1", "fc2", "mlp_2/fc1", "mlp_2/relu1", "mlp_2/fc2"]
    assert stats["fc1"].shape == (60, 32) and stats["mlp_2/fc1"].shape == (60, 16)
    assert [p.name for p in stats["mlp_2/fc1"].params] == ["mlp_2.fc1.W", "mlp_2.fc1.b"]
    assert not stats.merged and "warning" not in stats.table()
    assert list(head.state_dict()) == ["fc1.W", "fc1.b", "fc2.W", "fc2.b"]   # keys stay relative to the model
    # the same graph trains: both models' parameters move, the loss falls
    params = enc.parameters() + head.parameters()
    before = [np.array(p.value) for p in params]
    history = gs.Trainer(loss, gs.optim.Adam(params, lr=1e-2), batch_size=20, epochs=15, seed=0).fit(x, y)
    assert history.loss[-1] < 0.8 * history.loss[0]
    assert all(not np.array_equal(b, p.value) for b, p in zip(before, params))


def test_two_unnamed_models_on_one_input_get_their_own_scopes_too(rng, collected):
    X = gs.tensor(rng.standard_normal((8, 2)), name="x")
    a, b = nn.MLP([2, 8, 3], rng=0), nn.MLP([2, 4, 3], rng=1)
    out = a(X) + b(X)
    assert a.name is None and b.name == "mlp_2"
    assert [s.scope for s in gs.layer_stats(out)] == ["fc1", "relu1", "fc2", "mlp_2/fc1", "mlp_2/relu1",
                                                      "mlp_2/fc2"]
    assert b["fc1"].W.name == "mlp_2.fc1.W"
    b.name = "right"   # a name of the user's own: the layers' parameters are named as under any named model
    assert b["fc1"].W.name == "fc1.W" and not [k for k in b.state_dict() if "mlp_2" in k]
    other = nn.MLP([2, 8, 3], rng=2)
    other(gs.tensor(rng.standard_normal((8, 2)), name="x"))   # another input: another graph, today's names
    assert other.name is None and other["fc1"].W.name == "fc1.W"


def test_containers_and_custom_modules_are_named_by_kind(collected):
    class Net(nn.Module):
        def __init__(self, n_in):
            super().__init__()
            self.fc1 = nn.Linear(n_in, 2, rng=0)
            self.scale = gs.param(2.0)

        def forward(self, x):
            return self.fc1(x) * self.scale

    X = gs.tensor(np.ones((3, 2)), name="x")
    first, second = Net(2), Net(2)
    out = second(first(X))
    assert first.name is None and second.name == "net_2"
    assert [p.name for p in out.graph().params] == ["fc1.W", "fc1.b", "scale", "net_2.fc1.W", "net_2.fc1.b",
                                                    "net_2.scale"]
    s1, s2, s3 = (nn.Sequential(nn.Linear(2, 2, rng=k), nn.Tanh()) for k in range(3))
    s3(s2(s1(gs.tensor(np.ones((3, 2)), name="x"))))
    assert (s1.name, s2.name, s3.name) == (None, "seq_2", "seq_3")


def test_one_model_and_shared_weights_keep_todays_names():
    X = gs.tensor(np.ones((3, 2)), name="x")
    net = nn.MLP([2, 2, 2], rng=0)
    out = net(net(X))   # the same layers applied twice: one model, not two
    assert net.name is None and {n.scope for n in out.graph().ops} == {"fc1", "relu1", "fc2"}

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.MLP([2, 3, 2], rng=0)
            self.head = nn.MLP([2, 3, 2], rng=1)

        def forward(self, x):
            return self.head(self.enc(x))

    outer = Outer()
    outer(X)
    assert outer.name is None and outer.enc["fc1"].W.scope == "enc/fc1" and outer.head["fc1"].W.scope == "head/fc1"


def test_layer_stats_warns_when_one_scope_mixes_two_layers(rng):
    X = gs.tensor(rng.standard_normal((4, 2)), name="x")
    a, b = nn.MLP([2, 3, 2], rng=0, name="m"), nn.MLP([2, 5, 2], rng=1, name="m")   # the user's two names clash
    stats = gs.layer_stats(a(X) + b(X))
    assert stats.merged["m/fc1"] == ["fc1.W 2x3", "fc1.b 3", "fc1.W 2x5", "fc1.b 5"]
    assert "warning: scope m/fc1 mixes the ops of several layers (fc1.W 2x3, fc1.b 3, fc1.W 2x5" in stats.table()


# ---------------------------------------------------------------- PyTorch habits
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.MLP([2, 4, 3], rng=0)
        self.head = nn.Linear(3, 2, rng=1)

    def forward(self, x):
        return self.head(self.enc(x))


def test_children_and_named_children_are_the_direct_children():
    net = Net()
    assert [name for name, _ in net.named_children()] == ["enc", "head"]
    assert net.children() == [net.enc, net.head] and [m for _, m in net.named_children()] == net.children()
    assert [n for n, _ in net.enc.named_children()] == ["fc1", "relu1", "fc2"]


def test_any_module_looks_layers_up_by_dotted_name():
    net = Net()
    assert net["enc.fc1"] is net.enc["fc1"] is net.enc[0] and net["head"] is net.head
    assert net["enc/fc2"] is net.enc["fc2"]   # the scope path names the same layer
    with pytest.raises(gs.NotFoundError, match=r"Net: no layer named 'enc.fc3'; layers: enc, enc.fc1, enc.relu1, "
                                               r"enc.fc2, head; did you mean 'enc.fc1'"):
        net["enc.fc3"]
    with pytest.raises(gs.PositionError, match=r"Net\[0\]: look a layer up by its \(dotted\) name"):
        net[0]


def test_load_state_dict_strict_false_loads_what_matches(torch):
    net, source = Net(), Net()
    for p in source.parameters():
        p.value[...] = 7.0
    state = source.state_dict()
    del state["head.W"]
    state["extra.W"] = np.zeros(2)
    old_head = np.array(net.head.W.value)
    with pytest.raises(gs.GraphscopeError, match=r"missing \['head.W'\], unexpected \['extra.W'\].*strict=False"):
        net.load_state_dict(state)
    assert not np.any(net.enc["fc1"].W.value == 7.0)   # strict: nothing loaded
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["head.W"] and result.unexpected_keys == ["extra.W"]
    assert np.all(net.enc["fc1"].W.value == 7.0) and np.all(net.head.b.value == 7.0)
    np.testing.assert_array_equal(net.head.W.value, old_head)
    assert net.load_state_dict(source.state_dict()) == ([], [])
    torch_result = torch.nn.Linear(2, 2).load_state_dict({}, strict=False)
    assert type(result)._fields == tuple(torch_result._fields)   # read as torch's result is
    with pytest.raises(gs.GraphscopeError, match=r"head.W has shape \(3,\), the module's has \(3, 2\)"):
        net.load_state_dict({"head.W": np.zeros(3)}, strict=False)
