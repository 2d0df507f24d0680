"""A graph saved after its mode was switched, or after the sanity checks, loads as it was saved: without a false
"ops differ" warning, and with values that fit its dropout masks."""
import warnings

import numpy as np
import pytest

import graphscope as gs
from graphscope.interop.savedvalues import outdated


def _net_and_loss(batchnorm=False, dropout=0.2, n=64):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    net = gs.nn.MLP([2, 16, 2], batchnorm=batchnorm, dropout=dropout, rng=0)
    return X, y, net, gs.softmax_cross_entropy(net(gs.tensor(X, name="x")), y)


def _load_quietly(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a SavedValuesWarning fails the test
        return gs.load_graph(path)


def test_a_graph_saved_after_eval_without_a_rerun_loads_without_a_warning(tmp_path):
    X, y, net, loss = _net_and_loss(batchnorm=True)
    graph = loss.graph()
    opt = gs.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        graph.run()
        graph.backward()
        opt.step()
    graph.run()
    assert outdated(graph.nodes) == []
    net.eval()  # dropout and batch norm switch mode: their values are those of training mode until a run
    assert {graph.node(i).op for i in outdated(graph.nodes)} == {"dropout", "batch_norm"}
    graph.save(tmp_path / "eval.gsg")
    loaded = _load_quietly(tmp_path / "eval.gsg")
    assert [n.name for n in loaded.nodes] == [n.name for n in graph.nodes]


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_a_graph_saved_after_sanity_check_loads_and_is_the_graph_as_it_was(tmp_path, optimizer):
    X, y, net, loss = _net_and_loss()
    graph = loss.graph()
    trainer = gs.Trainer(loss, getattr(gs.optim, optimizer)(net.parameters(), lr=0.1), progress=False,
                         epochs=1, batch_size=16)
    graph.run()
    graph.backward()
    before = {n.name: (n.value, n.grad) for n in graph.nodes}
    trainer.sanity_check(X, y)  # runs batches of other sizes (the overfit subset): other dropout masks
    assert trainer._scaled_by is None  # the gradients put back are the loss's own
    for n in graph.nodes:
        value, grad = before[n.name]
        np.testing.assert_array_equal(n.value, value, err_msg=n.name)
        np.testing.assert_array_equal(n.grad, grad, err_msg=n.name)
    graph.save(tmp_path / "sanity.gsg")
    loaded = _load_quietly(tmp_path / "sanity.gsg")
    dropout = next(n for n in loaded.nodes if n.op == "dropout")
    assert dropout.attrs["mask"].shape == dropout.inputs[0].value.shape == (64, 16)
