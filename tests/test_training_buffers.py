"""The trainer's plan hands the ops that accept ``out=`` arrays of their own, reused batch after batch.

Each must change nothing but the time taken: the op writes the numbers it would
have made in a new array, training gives the same parameters bit for bit, and an
array anybody holds (a callback, a view, the optimizer's last step) is never
written into again.
"""
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.hooks import FORWARD_HOOKS
from graphscope.engine.op_functions import _lane, apply_binary, apply_unary
from graphscope.engine.optable import OPS, get_op
from graphscope.train import trainer as trainer_module
from graphscope.train.plan import Plan

from optable_guard import op_table_guard  # noqa: F401  (fixture)

DTYPES = ("float32", "float64")


# ---------------------------------------------------------------- the ops

def _cases(rng, dtype):
    """(op name, inputs, attrs) for each op that accepts ``out=``, in the shapes a network gives it."""
    def a(*shape):
        return rng.standard_normal(shape).astype(dtype)
    labels = rng.integers(0, 5, size=6)
    relu_input = a(6, 7)
    relu_input[0, :3] = 0.0
    return [("matmul", (a(6, 4), a(4, 7)), {}), ("add", (a(6, 7), a(7)), {}), ("add", (a(7), a(6, 7)), {}),
            ("add", (a(6, 7), a(6, 7)), {}), ("relu", (relu_input,), {}),
            ("softmax_cross_entropy", (a(6, 5),), {"labels": labels})]


@pytest.mark.parametrize("dtype", DTYPES)
def test_each_op_taking_out_writes_into_it_the_numbers_it_makes_without(dtype, rng):
    names = set()
    for name, xs, attrs in _cases(rng, dtype):
        op = get_op(name)
        names.add(name)
        value = op.forward(*xs, **attrs)
        if "forward" in op.accepts_out:
            buf = np.full_like(value, np.nan)
            written = op.forward(*xs, out=buf, **attrs)
            assert written is buf, name
            np.testing.assert_array_equal(buf, value, err_msg=name, strict=True)
        g = np.asarray(rng.standard_normal(np.shape(value)), dtype=dtype) if np.ndim(value) else 0.5
        plain = [gi() if callable(gi) else gi for gi in op.vjp(g, *xs, value=value, **attrs)]
        out = tuple(None if gi is g else np.full_like(gi, np.nan) for gi in plain)
        given = [gi() if callable(gi) else gi for gi in op.vjp(g, *xs, value=value, out=out, **attrs)]
        for k, (p, gi, buf) in enumerate(zip(plain, given, out)):
            np.testing.assert_array_equal(gi, p, err_msg=f"{name} input {k}", strict=True)
            assert gi is (g if buf is None else buf), f"{name}: input {k}'s contribution is not the array given"
    assert names == {name for name, op in OPS.items() if op.accepts_out}  # every op that declares it is covered


def test_ops_without_a_simple_case_for_out_make_their_own_arrays(rng):
    """matmul of vectors and batches, add broadcasting along kept axes: the array given is left alone."""
    matmul, add = get_op("matmul"), get_op("add")
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal(4)
    g = rng.standard_normal((2, 3))
    out = (np.zeros((2, 3, 4)), np.zeros(4))
    got = [f() for f in matmul.vjp(g, a, b, value=a @ b, out=out)]
    expected = [f() for f in matmul.vjp(g, a, b, value=a @ b)]
    for gi, e, buf in zip(got, expected, out):
        np.testing.assert_array_equal(gi, e)
        assert not np.any(buf)
    x, col = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))
    g = rng.standard_normal((5, 3))
    buf = np.zeros((5, 1))
    _, gcol = add.vjp(g, x, col, value=x + col, out=(None, buf))
    np.testing.assert_array_equal(gcol, g.sum(axis=1, keepdims=True))
    assert not np.any(buf)


def test_out_is_no_keyword_of_the_ops_functions():
    """The functions keep their fast lanes, and a user's out= gets the message it always got."""
    assert _lane(get_op("matmul")) is apply_binary and _lane(get_op("add")) is apply_binary
    assert _lane(get_op("relu")) is apply_unary
    a = gs.tensor(np.ones((2, 2)))
    with pytest.raises(TypeError, match="out"):
        gs.matmul(a, a, out=np.zeros((2, 2)))
    with pytest.raises(TypeError, match="out"):
        gs.relu(a, out=np.zeros((2, 2)))


# ---------------------------------------------------------------- the trainer

def _data(rng, n=100, d=6, classes=4):
    x = rng.standard_normal((n, d))
    return x, rng.integers(0, classes, size=n)


def _mlp(x, y, extra=None, hidden=(8, 5), seed=0):
    """softmax_cross_entropy(MLP(x), y) with scopes; `extra(h)` may change the last hidden activation."""
    rng = np.random.default_rng(seed)
    h = gs.tensor(x[:16], name="x")
    sizes = (x.shape[1], *hidden, int(y.max()) + 1)
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        with gs.scope(f"fc{k + 1}"):
            W = gs.param(rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in), name=f"W{k + 1}")
            b = gs.param(np.full(n_out, 0.01), name=f"b{k + 1}")
            h = h @ W + b
            if k < len(sizes) - 2:
                h = gs.relu(h)
                if extra is not None and k == len(sizes) - 3:
                    h = extra(h)
    h.name = "scores"
    return gs.softmax_cross_entropy(h, y[:16])


def _train(monkeypatch, reuse, make_loss, optimizer="sgd", dtype="float64", reg=0.0, epochs=2, callbacks=(),
           batch_size=16):
    """A trainer on the first arrays of `make_loss()`, its Plan made with `reuse`, after fit."""
    loss, (x, y) = make_loss()
    params = loss.graph().params
    opt = gs.optim.SGD(params, lr=0.1) if optimizer == "sgd" else gs.optim.Adam(params, lr=1e-2)
    monkeypatch.setattr(trainer_module, "Plan", lambda graph, fed=(): Plan(graph, fed, reuse=reuse))
    trainer = gs.Trainer(loss, opt, batch_size=batch_size, epochs=epochs, reg=reg, dtype=dtype, progress=False,
                         callbacks=list(callbacks), seed=3)
    trainer.fit(x, y)
    return trainer


def _plain_mlp(rng_seed=0, **kwargs):
    def make():
        x, y = _data(np.random.default_rng(rng_seed))
        return _mlp(x, y, **kwargs), (x, y)
    return make


def _same_training(a, b):
    """Two trainers left the same parameters, losses, optimizer steps, node values and gradients, bit for bit."""
    assert a.history.loss == b.history.loss
    for p, q in zip(a.params, b.params):
        np.testing.assert_array_equal(p.value, q.value, err_msg=p.name, strict=True)
        np.testing.assert_array_equal(p.grad, q.grad, err_msg=p.name, strict=True)
        np.testing.assert_array_equal(a.optimizer.last_update(p), b.optimizer.last_update(q), strict=True)
    for m, n in zip(a.graph.ops, b.graph.ops):
        np.testing.assert_array_equal(m.value, n.value, err_msg=m.name, strict=True)
        if n.grad is not None:
            np.testing.assert_array_equal(m.grad, n.grad, err_msg=m.name, strict=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("optimizer, reg", [("sgd", 0.0), ("sgd", 1e-3), ("adam", 0.0)])
def test_reused_arrays_train_bit_for_bit_as_new_ones(monkeypatch, dtype, optimizer, reg):
    """100 examples in batches of 16: the short last batch changes every shape, then the next epoch changes
    them back."""
    reused = _train(monkeypatch, True, _plain_mlp(), optimizer, dtype, reg)
    fresh = _train(monkeypatch, False, _plain_mlp(), optimizer, dtype, reg)
    _same_training(reused, fresh)


def _array_ids(trainer):
    """The identity of every array value (not the loss: one number) and gradient of the op nodes and parameters."""
    nodes = [n for n in trainer.graph.ops if n.value.__class__ is np.ndarray and n.value.ndim]
    return ([id(n.value) for n in nodes] + [id(n.grad) for n in nodes if n.grad is not None]
            + [id(p.grad) for p in trainer.params])


def test_each_node_writes_into_the_same_arrays_batch_after_batch(monkeypatch):
    """Nobody holds them between batches here: after the first batch, no new array is made."""
    seen = []

    def watch(original):
        def backward(scale=1.0):
            done = original(scale)
            seen.append(_array_ids(trainer))  # ids only: holding the arrays would make the plan leave them
            return done
        return backward
    loss, (x, y) = _plain_mlp()()
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=20, epochs=1, progress=False)
    trainer._plan.backward = watch(trainer._plan.backward)
    trainer.fit(x, y)
    assert len(seen) == 5
    assert len(seen[1]) == 8 + 8 + 6  # the relu, add and matmul nodes' values and gradients, the parameters'
    assert all(ids == seen[0] for ids in seen[1:])  # the first pass's arrays are kept and written into


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_an_array_someone_holds_is_never_written_into(monkeypatch, optimizer):
    """A callback keeps every value and gradient it is shown (and a view of one): each stays as it was."""
    kept = []

    def keep(event):
        if isinstance(event, gs.train.BatchEnd):
            graph = trainer_ref[0].graph
            arrays = [n.value for n in graph.ops if n.value.__class__ is np.ndarray]
            arrays += [n.grad for n in graph.nodes if n.grad.__class__ is np.ndarray]
            arrays.append(graph.ops[0].value[1:3])  # a view: it holds its base
            kept.extend((a, a.copy()) for a in arrays)
    trainer_ref = []
    original = gs.Trainer.__init__

    def init(self, *args, **kwargs):
        trainer_ref.append(self)
        original(self, *args, **kwargs)
    monkeypatch.setattr(gs.Trainer, "__init__", init)
    trainer = _train(monkeypatch, True, _plain_mlp(), optimizer, callbacks=[keep])
    assert len(kept) > 100
    for held, copy in kept:
        np.testing.assert_array_equal(held, copy, strict=True)
    _same_training(trainer, _train(monkeypatch, False, _plain_mlp(), optimizer))


def test_a_value_held_after_a_batch_keeps_its_numbers_and_the_node_gets_a_new_array():
    loss, (x, y) = _plain_mlp()()
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=16, epochs=1, progress=False)
    xb, yb = x[:16], y[:16]
    relu = next(n for n in trainer.graph.ops if n.op == "relu")
    for _ in range(3):
        trainer._step(xb, yb)
    value = relu.value
    copy = value.copy()
    trainer._step(x[16:32], y[16:32])
    assert relu.value is not value
    np.testing.assert_array_equal(value, copy)
    new = relu.value
    trainer._step(xb, yb)
    trainer._step(x[16:32], y[16:32])
    del new
    trainer._step(xb, yb)
    trainer._step(x[16:32], y[16:32])
    assert relu.value is not value  # the held array is left to its holder for good
    np.testing.assert_array_equal(value, copy)


# ---------------------------------------------------------------- what takes the usual way

def test_a_custom_op_in_the_graph_gets_no_array_and_trains_as_before(monkeypatch, op_table_guard):
    double = gs.custom_op(lambda x: 2.0 * x, name="double_it")
    double.vjp(lambda g, x, value: (2.0 * g,))
    make = _plain_mlp(extra=double)
    reused, fresh = _train(monkeypatch, True, make), _train(monkeypatch, False, make)
    _same_training(reused, fresh)
    steps = {id(s) for s in reused._plan.forward_steps}
    assert len(steps) == len(reused._plan.forward_steps)


def test_with_observers_installed_batches_take_the_general_path_and_train_the_same(monkeypatch):
    seen = []
    FORWARD_HOOKS.append(lambda node: seen.append(node.op))
    try:
        observed = _train(monkeypatch, True, _plain_mlp())
    finally:
        FORWARD_HOOKS.pop()
    assert seen.count("matmul") >= 3 * 14  # every batch's pass went through graph.run, which the hook sees
    planned = _train(monkeypatch, False, _plain_mlp())
    # the general path computes the loss's gradients, then steps: plain SGD's fused step rounds otherwise
    np.testing.assert_allclose(observed.history.loss, planned.history.loss, rtol=1e-12)
    for p, q in zip(observed.params, planned.params):
        np.testing.assert_allclose(p.value, q.value, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_and_batch_norm_graphs_train_bit_for_bit_as_with_new_arrays(monkeypatch, dtype):
    def make():
        x, y = _data(np.random.default_rng(1))
        net = gs.nn.MLP([6, 8, 5, 4], batchnorm=True, dropout=0.25, rng=np.random.default_rng(0))
        return gs.softmax_cross_entropy(net(gs.tensor(x[:16], name="x")), y[:16]), (x, y)
    reused, fresh = _train(monkeypatch, True, make, dtype=dtype), _train(monkeypatch, False, make, dtype=dtype)
    _same_training(reused, fresh)
