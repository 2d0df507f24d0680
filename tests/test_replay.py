"""Replay: the recorded graph re-run on new leaf values, whole or one node at a time."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.source import display_location
from graphscope.engine.hooks import FORWARD_HOOKS


def mlp(X, y, params):
    """A 2-layer net's loss, written once and used both to record and to compute eagerly."""
    W1, b1, W2, b2 = params
    with gs.scope("fc1"):
        h = gs.relu(X @ W1 + b1)
    with gs.scope("fc2"):
        scores = h @ W2 + b2
    return gs.softmax_cross_entropy(scores, y) + 1e-3 * (gs.l2(W1) + gs.l2(W2))


def make_params(rng, dims=(6, 5, 3)):
    return [gs.param(rng.normal(size=(dims[0], dims[1])), name="W1"), gs.param(rng.normal(size=dims[1]), name="b1"),
            gs.param(rng.normal(size=(dims[1], dims[2])), name="W2"), gs.param(rng.normal(size=dims[2]), name="b2")]


def test_replay_equals_eager_on_new_inputs_with_a_new_batch_size(rng):
    params = make_params(rng)
    X = gs.tensor(rng.normal(size=(4, 6)), name="X")
    loss = mlp(X, np.array([0, 1, 2, 0]), params)
    graph = loss.graph()
    for batch in (7, 1, 4):
        Xn = rng.normal(size=(batch, 6))
        yn = rng.integers(0, 3, size=batch)
        graph.zero_grad()
        value = graph.run({X: Xn, (loss.inputs[0], "labels"): yn})
        graph.backward()
        fresh = [gs.param(p.value) for p in params]
        eager = mlp(gs.tensor(Xn), yn, fresh)
        eager.backward()
        assert value == loss.value
        assert abs(value - eager.value) <= 1e-12 * abs(eager.value)
        for p, q in zip(params, fresh):
            np.testing.assert_allclose(p.grad, q.grad, rtol=1e-12, atol=1e-15)


def test_feeds_by_name_id_and_tensor_and_what_run_returns(rng):
    x = gs.tensor(np.ones(3), name="x")
    w = gs.param(np.full(3, 2.0), name="w")
    out = gs.sum(x * w)
    graph = out.graph()
    assert graph.run({"x": np.arange(3.0)}) == 6.0
    assert graph.run({x.id: np.ones(3), w: gs.tensor(np.full(3, 5.0))}) == 15.0
    assert out.value == 15.0 and w.value.tolist() == [5.0, 5.0, 5.0]
    assert graph.run() == 15.0


def test_bad_feeds_are_refused_before_anything_changes(rng):
    x = gs.tensor(np.ones(3), name="x")
    loss = gs.softmax_cross_entropy(gs.reshape(x, (1, 3)), np.array([1]))
    graph = loss.graph()
    reshaped = loss.inputs[0]
    with pytest.raises(gs.GraphscopeError, match="no node named 'nope'"):
        graph.run({"nope": 1.0})
    with pytest.raises(gs.GraphscopeError, match=r"reshape_\d+ is computed by op reshape .* only leaves"):
        graph.run({reshaped: np.ones((1, 3))})
    with pytest.raises(gs.GraphscopeError, match="has no attribute 'label'; its attributes: labels"):
        graph.run({(loss, "label"): np.array([0])})
    with pytest.raises(gs.GraphscopeError, match="feeds must be a dict"):
        graph.run([np.ones(3)])
    with pytest.raises(gs.InputError, match="feed for x"):
        graph.run({"x": np.array(["a", "b", "c"])})
    assert x.value.tolist() == [1.0, 1.0, 1.0]


def test_a_feed_that_breaks_an_op_names_node_op_shapes_and_place(rng):
    params = make_params(rng)
    X = gs.tensor(rng.normal(size=(4, 6)), name="X")
    loss = mlp(X, np.array([0, 1, 2, 0]), params)
    graph = loss.graph()
    before = (X.value, loss.value)
    with pytest.raises(gs.ShapeError) as err:
        graph.run({"X": rng.normal(size=(4, 7))})
    assert (X.value, loss.value) == before             # the graph is put back as it was
    text = str(err.value)
    matmul = graph.nodes[5]
    assert matmul.op == "matmul"
    assert f"while replaying node {matmul.name}" in text and "inner dimensions differ" in text
    assert "(4, 7) float64, (6, 5) float64" in text
    assert f"node made at {display_location(matmul.source)}" in text and "test_replay.py:" in text
    assert "X: (4, 7) (was (4, 6))" in text
    with pytest.raises(gs.ShapeError, match=r"labels have shape \(4,\) but scores \(2, 3\) need labels of shape \(2,\)"):
        graph.run({"X": rng.normal(size=(2, 6))})      # a new batch size needs new labels too


def one_hot_product(rng):
    """sum((x @ W) * y) with a leaf y recorded as one-hot rows of shape (32, 3): (the loss, W)."""
    x = gs.tensor(rng.normal(size=(32, 4)), name="x")
    W = gs.param(rng.normal(size=(4, 3)), name="W")
    y = gs.tensor(np.eye(3)[rng.integers(0, 3, 32)], name="y")
    return gs.sum((x @ W) * y), W


def test_a_failing_feed_quotes_the_shape_a_leaf_was_recorded_with(rng):
    """The trainer puts each batch straight into the leaves, then feeds them through graph.run when its fast path
    fails: the message quotes the shape each leaf was recorded with, not the batch's own again."""
    loss, W = one_hot_product(rng)
    trainer = gs.Trainer(loss, gs.optim.SGD([W], lr=0.1), batch_size=32, epochs=1)
    with pytest.raises(gs.ShapeError) as err:
        trainer.fit(rng.normal(size=(64, 4)), rng.normal(size=(64, 2)))
    text = str(err.value)
    assert "mul: shapes (32, 3) and (32, 2) do not broadcast" in text
    assert "y: (32, 2) (was (32, 3))" in text and "x: (32, 4) (was (32, 4))" in text  # was: y: (32, 2) (was (32, 2))
    loss, W = one_hot_product(rng)
    trainer = gs.Trainer(loss, gs.optim.SGD([W], lr=0.1), batch_size=32, epochs=1)
    with pytest.raises(gs.GraphscopeError, match=r"feed for y: shape \(32,\) has 1 axes but y was recorded with "
                                                 r"shape \(32, 3\)"):  # integer labels for a one-hot leaf
        trainer.fit(rng.normal(size=(64, 4)), rng.integers(0, 3, 64))
    assert loss.graph()["y"].value.shape == (32, 3)  # the leaf keeps its recorded batch, not the one that failed


def test_a_failing_feed_quotes_the_shape_the_labels_were_recorded_with(rng):
    """The labels, an attribute of the loss, are put into the graph with the batch too: their 'was' is the shape
    they were recorded with (it quoted the failing batch's own shape again)."""
    x = gs.tensor(rng.normal(size=(32, 2)), name="x")
    W = gs.param(rng.normal(size=(2, 3)), name="W")
    offset = gs.tensor(np.zeros((32, 3)), name="offset")  # fixed to the recorded batch: a larger one fails
    loss = gs.softmax_cross_entropy(x @ W + offset, rng.integers(0, 3, 32))
    trainer = gs.Trainer(loss, gs.optim.SGD([W], lr=0.1), batch_size=64, epochs=1, progress=False)
    with pytest.raises(gs.ShapeError) as err:
        trainer.fit(rng.normal(size=(64, 2)), rng.integers(0, 3, 64))
    text = str(err.value)
    assert "add: shapes (64, 3) and (32, 3) do not broadcast" in text
    assert "x: (64, 2) (was (32, 2))" in text and f"{loss.name}.labels: (64,) (was (32,))" in text
    with pytest.raises(gs.ShapeError, match=r"labels: \(16,\) \(was \(32,\)\)"):  # graph.run's own feeds too
        loss.graph().run({x: rng.normal(size=(16, 2)), (loss, "labels"): rng.integers(0, 3, 16)})


def test_recorded_control_flow_is_replayed_as_recorded():
    x = gs.tensor(2.0, name="x")
    y = x * 10.0 if x.value > 0 else x * -1.0         # decided once, while recording
    graph = y.graph()
    assert graph.run({"x": -3.0}) == -30.0            # not 3.0: replay keeps the recorded branch


def test_step_forward_computes_one_node_at_a_time(rng):
    x = gs.tensor(np.array([1.0, 2.0]), name="x")
    a = x * 3.0
    b = gs.exp(a)
    c = gs.sum(b)
    graph = c.graph()
    graph.feed({"x": np.array([0.0, 1.0])})
    assert a.value.tolist() == [3.0, 6.0]             # feed alone recomputes nothing
    positions = [graph.position(n) for n in (a, b, c)]
    assert graph.step_forward(positions[0]) is a
    assert a.value.tolist() == [0.0, 3.0] and b.value[0] == np.exp(3.0)   # b not yet
    graph.step_forward(positions[1])
    graph.step_forward(positions[2])
    assert c.value == pytest.approx(1.0 + np.exp(3.0), rel=1e-15)
    assert graph.step_forward(0) is graph.nodes[0]    # a leaf keeps its value
    with pytest.raises(IndexError, match="has 5 nodes"):
        graph.step_forward(5)
    with pytest.raises(gs.GraphscopeError, match="k is a position"):
        graph.step_forward(a)


def test_affected_only_recomputes_what_depends_on_the_feeds():
    x = gs.tensor(1.0, name="x")
    y = gs.tensor(2.0, name="y")
    fx = gs.exp(x)
    fy = gs.exp(y)
    out = fx + fy
    graph = out.graph()
    seen = []
    FORWARD_HOOKS.append(seen.append)
    try:
        graph.run({"x": 0.0}, affected_only=True)
    finally:
        FORWARD_HOOKS.remove(seen.append)
    assert seen == [fx, out]
    assert out.value == pytest.approx(1.0 + np.exp(2.0))
    assert graph.downstream("y") == [y, fy, out]


def test_run_clears_stale_op_gradients_and_keeps_leaf_gradients():
    w = gs.param(np.array([1.0, 2.0]), name="w")
    x = gs.tensor(np.array([3.0, 4.0]), name="x")
    mid = w * x
    loss = gs.sum(mid)
    graph = loss.graph()
    graph.backward()
    graph.run({"x": np.array([1.0, 1.0])})
    assert mid.grad is None and loss.grad is None     # "not computed yet", never a stale gradient
    assert w.grad.tolist() == [3.0, 4.0]              # leaves accumulate until zero_grad
    graph.backward()
    assert w.grad.tolist() == [4.0, 5.0]


def test_float32_graph_replays_in_float32(rng):
    W = gs.param(rng.normal(size=(3, 2)).astype(np.float32))
    X = gs.tensor(rng.normal(size=(4, 3)).astype(np.float32), name="X")
    out = gs.tanh(X @ W)
    graph = out.graph()
    Xn = rng.normal(size=(5, 3)).astype(np.float32)
    graph.run({"X": Xn})
    assert out.dtype == np.float32 and out.shape == (5, 2)
    np.testing.assert_allclose(out.value, np.tanh(Xn @ W.value), rtol=1e-6)


def test_the_scalar_lecture_graph_replays():
    x, y, z = gs.tensor(-2.0, name="x"), gs.tensor(5.0, name="y"), gs.tensor(-4.0, name="z")
    f = (x + y) * z
    graph = f.graph()
    assert graph.run({"x": 1.0, "y": 2.0, "z": 3.0}) == 9.0
    assert isinstance(f.value, float)


def test_a_labels_feed_keyed_by_a_sum_names_the_loss_that_holds_the_labels(rng):
    X = gs.tensor(rng.normal(size=(4, 3)), name="X")
    W = gs.param(rng.normal(size=(3, 2)), name="W")
    sce = gs.softmax_cross_entropy(X @ W, np.array([0, 1, 1, 0]))
    loss = sce + 0.01 * gs.l2(W)
    graph = loss.graph()
    new_labels = np.array([1, 1, 0, 0])
    with pytest.raises(gs.GraphscopeError) as info:
        graph.run({X: X.value, (loss, "labels"): new_labels})
    message = str(info.value)
    assert message.startswith(f"feed: node {loss.name} (op add) has no attribute 'labels'; {sce.name} "
                              f"(op softmax_cross_entropy, made at ")
    assert f"feed {{({sce.name!r}, 'labels'): ...}}" in message and "\n" not in message
    graph.run({X: X.value, (sce.name, "labels"): new_labels})   # the key the message gives works
    np.testing.assert_array_equal(sce.attrs["labels"], new_labels)
