"""Putting a stateful node's attributes back: a rewind gives exactly the dict it copied, a checkpoint lays its
attributes over the live ones; both write batch norm's running averages into the arrays the module shares."""
import contextlib
import io

import numpy as np

import graphscope as gs
from graphscope.train.node_state import merge_node_attrs, restore_node_attrs
from graphscope.train.rewind import TrainerState

rs = np.random.RandomState(0)
X, Y = rs.randn(64, 4), rs.randint(0, 3, 64)


def batch_norm_model():
    net = gs.nn.Sequential(gs.nn.Linear(4, 8, rng=0), gs.nn.BatchNorm1d(8), gs.nn.ReLU(), gs.nn.Linear(8, 3, rng=1))
    scores = net(gs.tensor(X[:32], name="x"))
    scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, gs.tensor(Y[:32], name="y"))
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=32, epochs=1, seed=0,
                         progress=False)
    return loss, trainer, next(n for n in loss.graph().ops if n.op == "batch_norm")


def gradients(loss):
    g = loss.graph()
    for p in g.params:
        p.grad = None
    loss.backward()
    return [p.grad.copy() for p in g.params]


def test_a_rewind_after_an_eval_pass_gives_backward_the_training_mode_function_again():
    loss, trainer, bn = batch_norm_model()
    before, attrs = gradients(loss), dict(bn.attrs)
    state = TrainerState(trainer)
    g = loss.graph()
    gs.nn.set_training(g, False)
    g.run({"x": X[:32]})                     # an eval pass, as the sanity checks and the TUI's measurements make
    gs.nn.set_training(g, True)
    assert bn.attrs.get("computed_training") is False
    state.restore()
    assert bn.attrs.keys() == attrs.keys() and "computed_training" not in bn.attrs
    jac = bn.op_def.jacobian(0, *[i.value for i in bn.inputs], value=bn.value, **bn.attrs)
    assert jac.structure == "block-diagonal"
    for now, then in zip(gradients(loss), before):
        np.testing.assert_array_equal(now, then)


def test_sanity_checks_leave_the_gradients_as_they_were():
    loss, trainer, bn = batch_norm_model()
    before = gradients(loss)
    with contextlib.redirect_stdout(io.StringIO()):
        trainer.sanity_check(X, Y)
    assert "computed_training" not in bn.attrs
    for now, then in zip(gradients(loss), before):
        np.testing.assert_array_equal(now, then)


def test_restore_drops_keys_merge_keeps_them_and_both_write_the_arrays_in_place():
    _, _, bn = batch_norm_model()
    mean = bn.attrs["running_mean"]
    saved = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in bn.attrs.items()}
    saved["running_mean"] = saved["running_mean"] + 1.0
    bn.attrs = {**bn.attrs, "computed_training": False}
    merge_node_attrs(bn, {"running_mean": saved["running_mean"]})
    assert bn.attrs["computed_training"] is False and bn.attrs["running_mean"] is mean
    np.testing.assert_array_equal(mean, saved["running_mean"])
    restore_node_attrs(bn, saved)
    assert bn.attrs.keys() == saved.keys() and bn.attrs["running_mean"] is mean
