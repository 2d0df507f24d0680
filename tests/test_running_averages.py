"""Batch norm's running averages have one owner: the BatchNorm1d module and the nodes it recorded share the arrays.

Whatever puts state back onto the graph (a resumed checkpoint, the sanity checks' rewinds, the search's fresh
start for each trial) writes into those arrays, so the module used at test time (``net.eval(); net(x)``) and its
state_dict see what the trained graph holds.
"""
import numpy as np
import pytest

import graphscope as gs
from graphscope.train import CheckpointError
from graphscope.train.search import search

from train_helpers import spiral

LR = 0.01


@pytest.fixture(scope="module")
def data():
    x, y = spiral(n_per_class=40, seed=0)
    x_val, y_val = spiral(n_per_class=40, seed=1)
    return x, y, x_val, y_val


def batchnorm_net(x, y):
    net = gs.nn.MLP([2, 16, 16, 3], batchnorm=True, dropout=0.2, rng=0)
    scores = net(gs.tensor(x[:16], name="x"))
    scores.name = "scores"
    return net, gs.softmax_cross_entropy(scores, y[:16])


def trainer(loss, epochs, **kw):
    return gs.Trainer(loss, gs.optim.Adam(loss.graph().params, lr=LR), batch_size=16, epochs=epochs, reg=1e-4,
                      schedule=gs.optim.exponential(LR, 0.1), seed=3, progress=False, **kw)


def batch_norms(net, loss):
    """[(module, its node in the loss's graph)] for every BatchNorm1d of `net`."""
    modules = [m for m in net.modules() if isinstance(m, gs.nn.BatchNorm1d)]
    nodes = [n for n in loss.graph().ops if n.op == "batch_norm"]
    assert len(modules) == len(nodes) == 2
    return list(zip(modules, nodes))


def assert_shared(net, loss):
    for module, node in batch_norms(net, loss):
        assert node.attrs["running_mean"] is module.running_mean
        assert node.attrs["running_var"] is module.running_var


def module_accuracy(net, x, y):
    """What a user measures at test time with the layer objects: net.eval(); net(x)."""
    net.eval()
    try:
        return float(np.mean(np.argmax(net(gs.tensor(x)).value, axis=1) == y))
    finally:
        net.train()


def test_a_resumed_run_leaves_the_modules_with_the_uninterrupted_runs_running_averages(data, tmp_path):
    x, y, x_val, y_val = data
    net, loss = batchnorm_net(x, y)
    whole = trainer(loss, 4).fit(x, y, x_val, y_val)
    first_net, first_loss = batchnorm_net(x, y)
    trainer(first_loss, 2, checkpoint=tmp_path / "ck").fit(x, y, x_val, y_val)
    resumed_net, resumed_loss = batchnorm_net(x, y)
    t = trainer(resumed_loss, 4)
    t.load_checkpoint(tmp_path / "ck")
    assert_shared(resumed_net, resumed_loss)
    for (module, _), (saved, _) in zip(batch_norms(resumed_net, resumed_loss), batch_norms(first_net, first_loss)):
        np.testing.assert_array_equal(module.running_var, saved.running_var)
    history = t.fit(x, y, x_val, y_val)
    assert history.loss == whole.loss
    mine, theirs = resumed_net.state_dict(), net.state_dict()
    assert mine.keys() == theirs.keys() and any(k.endswith("running_var") for k in mine)
    for key in mine:
        np.testing.assert_array_equal(mine[key], theirs[key], err_msg=key)
    assert module_accuracy(resumed_net, x_val, y_val) == history.val_acc[-1] == whole.val_acc[-1]


def test_training_moves_the_modules_running_averages_and_evaluate_agrees_with_the_module(data):
    x, y, x_val, y_val = data
    net, loss = batchnorm_net(x, y)
    start = [m.running_var.copy() for m, _ in batch_norms(net, loss)]
    t = trainer(loss, 2)
    history = t.fit(x, y, x_val, y_val)
    assert_shared(net, loss)
    assert all(not np.array_equal(m.running_var, s) for (m, _), s in zip(batch_norms(net, loss), start))
    assert module_accuracy(net, x_val, y_val) == history.val_acc[-1]
    # the module's own state_dict / load_state_dict: loading a fresh net's state changes what the graph computes
    fresh_net, _ = batchnorm_net(x, y)
    net.load_state_dict(fresh_net.state_dict())
    assert_shared(net, loss)
    acc, _ = t.evaluate(x_val, y_val)
    assert acc == module_accuracy(net, x_val, y_val) == module_accuracy(fresh_net, x_val, y_val)


def test_sanity_checks_and_search_leave_modules_and_nodes_with_the_same_averages(data):
    x, y, x_val, y_val = data
    net, loss = batchnorm_net(x, y)
    t = trainer(loss, 2)
    t.fit(x, y)
    trained = net.state_dict()
    t.sanity_check(x, y)
    assert_shared(net, loss)
    search(loss, lambda params, lr: gs.optim.SGD(params, lr=lr), x, y, x_val, y_val, trials=2, fine_trials=0,
           epochs=1, batch_size=40, progress=False)
    assert_shared(net, loss)
    after = net.state_dict()
    for key in trained:  # every trial started from, and the search ended with, the graph as it was given
        np.testing.assert_array_equal(after[key], trained[key], err_msg=key)


def test_a_checkpoint_whose_running_averages_do_not_fit_the_model_is_refused(data, tmp_path):
    import json
    from graphscope.train.checkpoint import META
    x, y, _, _ = data
    net, loss = batchnorm_net(x, y)
    trainer(loss, 1, checkpoint=tmp_path / "ck").fit(x, y)
    ck = tmp_path / "ck"
    meta = json.loads((ck / META).read_text())
    with np.load(ck / meta["arrays"], allow_pickle=False) as npz:
        arrays = dict(npz)
    key = next(k for k in arrays if k.endswith("/running_var"))
    arrays[key] = np.ones(5)
    import hashlib
    import io
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    (ck / meta["arrays"]).write_bytes(buf.getvalue())
    meta["sha256"] = hashlib.sha256(buf.getvalue()).hexdigest()
    (ck / META).write_text(json.dumps(meta))
    other_net, other_loss = batchnorm_net(x, y)
    before = [m.running_var.copy() for m, _ in batch_norms(other_net, other_loss)]
    with pytest.raises(CheckpointError, match=r"running_var of bn\d's batch_norm_\d+ holds float64 of shape \(5,\); "
                                              r"the model's is float64 of shape \(16,\)"):
        trainer(other_loss, 2).load_checkpoint(ck)
    for (m, _), b in zip(batch_norms(other_net, other_loss), before):
        np.testing.assert_array_equal(m.running_var, b)


def test_a_batch_that_fails_leaves_the_running_averages_as_they_were(data):
    """The failing batch was folded into the running averages of the batch norms before the op that failed (twice:
    by the flattened plan, then by graph.run)."""
    x, y, _, _ = data
    net = gs.nn.MLP([2, 16, 3], batchnorm=True, rng=0)
    offset = gs.tensor(np.zeros((16, 3)), name="offset")  # fixed to the recorded batch: the last, smaller one fails
    loss = gs.softmax_cross_entropy(net(gs.tensor(x[:16], name="x")) + offset, y[:16])
    seen = []
    t = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=16, epochs=1, shuffle=False,
                   progress=False, callbacks=[lambda e: seen.append(net[1].running_mean.copy())])
    with pytest.raises(gs.ShapeError, match="do not broadcast"):
        t.fit(x[:24], y[:24])
    assert len(seen) == 1 and not np.array_equal(seen[0], np.zeros(16))
    np.testing.assert_array_equal(net[1].running_mean, seen[0])
