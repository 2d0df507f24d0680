"""gs.nn.Module written as PyTorch users write it: attributes register children and parameters, ModuleList,
nested names, a forgotten super().__init__(), unique default names for standalone layers, help()."""
import gc
import inspect
import pydoc

import numpy as np
import pytest

import graphscope as gs
from graphscope import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 16, rng=0)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(16, 2, rng=1)

    def forward(self, x):
        return self.fc2(self.drop(gs.relu(self.fc1(x))))


def batch(rng, n=8):
    return gs.tensor(rng.standard_normal((n, 4)), name="x")


def test_attributes_register_children_named_after_them(rng):
    net = Net()
    assert [m.name for m in net.modules()[1:]] == ["fc1", "drop", "fc2"]
    assert list(net.state_dict()) == ["fc1.W", "fc1.b", "fc2.W", "fc2.b"]
    assert [p.name for p in net.parameters()] == ["fc1.W", "fc1.b", "fc2.W", "fc2.b"]
    out = net(batch(rng))
    graph = out.graph()
    assert [n.scope for n in graph.ops] == ["fc1", "fc1", None, "drop", "fc2", "fc2"]
    assert graph["fc1.W"] is net.fc1.W and graph["fc2.b"] is net.fc2.b
    assert graph.params == net.parameters()


def test_eval_turns_the_registered_dropout_off_and_train_back_on(rng):
    net = Net()
    graph = net(batch(rng)).graph()
    net.eval()
    assert not net.training and not net.drop.training
    first, second = graph.run().copy(), graph.run().copy()
    np.testing.assert_array_equal(first, second)
    net.train()
    assert not np.array_equal(graph.run().copy(), graph.run().copy())


def test_params_assigned_as_attributes_are_registered_and_keep_a_given_name(rng):
    class Scaled(nn.Module):
        def __init__(self, name=None):
            super().__init__(name)
            self.fc = nn.Linear(4, 2, rng=0)
            self.scale = gs.param(2.0)
            self.shift = gs.param(np.zeros(2), name="my_shift")

        def forward(self, x):
            return self.fc(x) * self.scale + self.shift

    model = Scaled()
    assert [n for n, _ in model.named_parameters()] == ["scale", "shift", "fc.W", "fc.b"]
    assert model.scale.name == "scale" and model.shift.name == "my_shift"
    named = Scaled(name="head")
    assert named.scale.name == "head.scale" and named.shift.name == "my_shift"
    out = named(batch(rng))
    assert out.graph()["head.scale"] is named.scale and named.fc.W.scope == "head/fc"
    opt = gs.optim.SGD(model.parameters(), lr=0.1)
    assert len(opt.params) == 4


def test_nested_modules_qualify_state_dict_keys_and_nest_scopes(rng):
    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = Net()
            self.body = nn.MLP([2, 3, 2], rng=0)
            self.blocks = nn.ModuleList([nn.Linear(2, 2, rng=0), nn.Tanh(), nn.Linear(2, 2, rng=1)])

        def forward(self, x):
            h = self.body(self.enc(x))
            for layer in self.blocks:
                h = layer(h)
            return h

    outer = Outer()
    assert list(outer.state_dict()) == ["enc.fc1.W", "enc.fc1.b", "enc.fc2.W", "enc.fc2.b", "body.fc1.W",
                                        "body.fc1.b", "body.fc2.W", "body.fc2.b", "blocks.fc1.W", "blocks.fc1.b",
                                        "blocks.fc2.W", "blocks.fc2.b"]
    assert [m.name for m in outer.blocks] == ["fc1", "tanh1", "fc2"]
    out = outer(batch(rng))
    assert outer.enc.fc1.W.scope == "enc/fc1" and outer.body[0].W.scope == "body/fc1"
    graph = out.graph()
    # three layers named fc1: each parameter is named by its whole path, as state_dict keys it
    assert [p.name for p in graph.params] == list(state_names := outer.state_dict())
    assert graph["enc.fc1.W"] is outer.enc.fc1.W and graph["blocks.fc1.W"] is outer.blocks[0].W
    assert len({p.name for p in graph.params}) == len(state_names)
    state = outer.state_dict()
    other = Outer()
    other.load_state_dict(state)
    assert all(np.array_equal(a, state[k]) for k, a in other.state_dict().items())
    outer.eval()
    assert not any(m.training for m in outer.modules())


def test_replacing_or_deleting_an_attribute_unregisters_what_it_held():
    net = Net()
    old = net.fc2
    net.fc2 = nn.Linear(16, 3, rng=2)
    assert net.fc2 is not old and [m.name for m in net.modules()[1:]] == ["fc1", "drop", "fc2"]
    assert net.state_dict()["fc2.W"].shape == (16, 3)
    del net.drop
    assert [m.name for m in net.modules()[1:]] == ["fc1", "fc2"]
    net.fc1 = None
    assert list(net.state_dict()) == ["fc2.W", "fc2.b"]


def test_a_forgotten_super_init_gets_one_message():
    class NoInit(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(gs.GraphscopeError, match=r"^NoInit\.__init__ must call super\(\)\.__init__\(\) first, "
                                                 r"before assigning self\.fc"):
        NoInit()

    class LateInit(nn.Module):
        def __init__(self):
            self.width = 3   # plain values are fine, but the module is never set up

        def forward(self, x):
            return x

    with pytest.raises(gs.GraphscopeError, match=r"LateInit\.__init__ must call super\(\)\.__init__\(\)"):
        LateInit().parameters()


def test_a_plain_list_of_layers_points_at_module_list():
    class Listed(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2), nn.ReLU()]

    with pytest.raises(gs.GraphscopeError, match=r"Listed\.layers: a plain list of modules is not registered .* "
                                                 r"use gs\.nn\.ModuleList"):
        Listed()
    with pytest.raises(gs.GraphscopeError, match="a ModuleList is not called"):
        nn.ModuleList([nn.ReLU()])(gs.tensor(np.ones(2)))


def test_standalone_layers_made_without_names_never_share_them(rng):
    gc.collect()  # layers of earlier tests, freed now rather than in the middle of this one
    first, second = nn.Linear(4, 3, rng=0), nn.Linear(3, 2, rng=1)
    assert first.name != second.name and second.name.startswith("fc")
    graph = second(first(batch(rng))).graph()
    assert graph[f"{first.name}.W"] is first.W and graph[f"{second.name}.W"] is second.W
    name = second.name
    del second, graph
    gc.collect()  # the layer may sit in a reference cycle
    assert nn.Linear(2, 2).name == name   # a freed default name is given again
    seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert [m.name for m in seq] == ["fc1", "relu1", "fc2"]   # containers still number their layers
    kept = nn.Linear(2, 2, name="fc")
    assert kept.name == "fc" and nn.Sequential(kept)[0].name == "fc1"


def test_a_module_subclass_trains_and_its_layers_show_in_the_statistics(rng):
    x_train = rng.standard_normal((40, 4))
    y_train = (x_train[:, 0] > 0).astype(np.int64)
    net = Net()
    loss = gs.softmax_cross_entropy(net(gs.tensor(x_train[:8], name="x")), y_train[:8])
    trainer = gs.Trainer(loss, gs.optim.Adam(net.parameters(), lr=0.01), batch_size=8, epochs=2, seed=0,
                         dtype="float64")
    history = trainer.fit(x_train, y_train)
    assert history.epochs == 2 and np.isfinite(history.loss).all()
    assert [s.scope for s in gs.layer_stats(loss.graph())] == ["fc1", "drop", "fc2"]


def test_help_shows_docstrings_not_comment_banners():
    text = pydoc.render_doc(nn.Module, renderer=pydoc.plaintext)
    assert "# ----" not in text and "super().__init__()" in text and "ModuleList" in text
    for method in ("forward", "extra_repr", "name", "named_modules", "__call__"):
        member = inspect.getattr_static(nn.Module, method)
        assert inspect.getdoc(member.fget if isinstance(member, property) else member), method


def test_two_children_with_one_name_are_refused():
    class Clash(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 2)
            self.head = nn.Linear(2, 2, name="fc1")

    with pytest.raises(gs.GraphscopeError, match=r"Clash\.head: it has a layer named 'fc1' already"):
        Clash()


def test_an_autoencoders_blocks_never_share_parameter_names(rng):
    class Block(nn.Module):
        def __init__(self, seed):
            super().__init__()
            self.fc1 = nn.Linear(4, 3, rng=seed)
            self.fc2 = nn.Linear(3, 4, rng=seed + 1)
            self.scale = gs.param(1.0)

        def forward(self, x):
            return self.fc2(gs.tanh(self.fc1(x))) * self.scale

    class AutoEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc, self.dec = Block(0), Block(5)

        def forward(self, x):
            return self.dec(self.enc(x))

    model = AutoEncoder()
    loss = gs.sum(model(batch(rng)) ** 2)
    loss.backward()
    graph = loss.graph()
    names = [p.name for p in graph.params]
    assert sorted(names) == sorted(model.state_dict())
    assert "enc.fc1.W" in names and "dec.fc1.W" in names and "enc.scale" in names
    assert graph["dec.fc2.b"] is model.dec.fc2.b and model.dec.fc2.b.scope == "dec/fc2"
    stats = gs.layer_stats(loss)
    assert sorted(p.name for row in stats for p in row.params) == sorted(names) and "mixes" not in stats.table()
