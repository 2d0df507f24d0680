"""Comparisons are recorded ops: masks made from tensors are recomputed wherever the graph runs again.

Replay (graph.run), the trainer's plan, the stepper, pictures and graph files all see the comparison nodes,
so gs.where(x > 0, ...) follows new inputs instead of keeping the mask of the values it was built with.
"""
import numpy as np
import pytest

import graphscope as gs
from graphscope.interop import load_graph
from train_helpers import SGD, spiral


def test_the_reported_replay_follows_the_new_input():
    rng = np.random.default_rng(0)
    X = gs.tensor(rng.standard_normal((4, 3)), name="x")
    out = gs.where(X > 0, X, X * 0.1).sum()
    new = rng.standard_normal((4, 3))
    assert np.sign(new).tolist() != np.sign(X.value).tolist()
    out.graph().run({X: new})
    assert out.value == pytest.approx(np.where(new > 0, new, new * 0.1).sum(), rel=1e-14)
    mask = out.inputs[0].inputs[0]
    assert mask.op == "greater" and mask.value.dtype == bool and np.array_equal(mask.value, new > 0)


def test_a_batch_of_another_size_replays_the_mask_at_that_size():
    X = gs.tensor(np.ones((4, 3)), name="x")
    out = gs.where(X > 0.5, X, -X).sum()
    graph = out.graph()
    graph.run({X: np.array([[1.0, 0.0, 2.0]] * 7)})
    assert out.value == 21.0


def _leaky_net(x, y, hidden=16, seed=3):
    rng = np.random.default_rng(seed)
    W1 = gs.param(rng.normal(size=(2, hidden)) * 0.7, name="W1")
    b1 = gs.param(np.zeros(hidden), name="b1")
    W2 = gs.param(rng.normal(size=(hidden, 3)) * 0.3, name="W2")
    a = gs.tensor(x[:48], name="x") @ W1 + b1
    h = gs.where(a > 0, a, a * 0.01)
    scores = h @ W2
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y[:48]), (W1, b1, W2)


def _formula(x, y, W1, b1, W2):
    """The network as written, in numpy: (accuracy, mean cross-entropy)."""
    a = x.astype(np.float64) @ W1.value + b1.value
    s = np.where(a > 0, a, a * 0.01) @ W2.value
    s = s - s.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return float(np.mean(s.argmax(axis=1) == y)), float(-logp[np.arange(len(y)), y].mean())


def test_the_trainer_follows_the_where_mask_batch_by_batch():
    x, y = spiral(n_per_class=50)
    loss, (W1, b1, W2) = _leaky_net(x, y)
    trainer = gs.Trainer(loss, SGD([W1, b1, W2], 0.5), batch_size=48, epochs=3, progress=False)
    trainer.fit(x, y)
    accuracy, mean_loss = trainer.evaluate(x, y)  # 150 rows: not a multiple of 48
    want_accuracy, want_loss = _formula(x, y, W1, b1, W2)
    assert accuracy == want_accuracy and mean_loss == pytest.approx(want_loss, rel=1e-6)  # float32 data
    # a batch of 12 rows replays with a mask of its own
    xb, yb = x[:12], y[:12]
    trainer.graph.run(trainer.roles.feeds(xb, yb))
    assert float(loss.value) == pytest.approx(_formula(xb, yb, W1, b1, W2)[1], rel=1e-6)


def test_comparison_nodes_need_no_gradient_and_the_plan_skips_them():
    from graphscope.train.plan import Plan
    x = gs.tensor(np.array([[-1.0, 2.0], [3.0, -4.0]]), name="x")
    w = gs.param(np.array([0.5, -0.5]), name="w")
    a = x * w
    loss = gs.where((a > 0) & ~gs.isnan(a), a, a * 0.1).sum()
    plan = Plan(loss.graph(), fed=(x,))
    assert all(n.op_def.boolean is False for n in plan.grad_nodes)
    new = np.array([[2.0, 1.0], [-3.0, 4.0]])
    x.value = new
    assert plan.forward() and plan.backward()
    a_new = new * w.value
    np.testing.assert_allclose(loss.value, np.where(a_new > 0, a_new, a_new * 0.1).sum())
    np.testing.assert_allclose(w.grad, (np.where(a_new > 0, 1.0, 0.1) * new).sum(axis=0))


def test_gradcheck_of_where_with_a_recorded_condition():
    rng = np.random.default_rng(1)
    x = gs.tensor(rng.uniform(-2, 2, (3, 4)), requires_grad=True, name="x")
    y = gs.tensor(rng.uniform(-2, 2, (4,)), requires_grad=True, name="y")
    out = gs.where(x > y, x * y, gs.tanh(x)).sum()
    report = gs.gradcheck(out)
    assert report.ok
    out.backward()
    mask = x.value > y.value
    np.testing.assert_allclose(x.grad, np.where(mask, y.value, 1 - np.tanh(x.value) ** 2), rtol=1e-12)


def test_the_jacobian_of_a_comparison_is_zero_almost_everywhere():
    x = gs.tensor(np.array([1.0, -1.0]), requires_grad=True)
    jac = gs.describe_jacobian(x > 0, 0)
    assert jac.structure == "zero" and "piecewise constant" in jac.formula
    assert not jac.matrix().any()


def test_a_graph_with_a_comparison_round_trips_through_a_file(tmp_path):
    x = gs.tensor(np.array([[-1.0, 2.0], [0.5, -3.0]]), name="x")
    w = gs.param(np.array([1.5, -0.5]), name="w")
    a = x * w
    loss = gs.where(a >= 0, a, -a * 0.2).sum() + (gs.isnan(a) | (a == 1.0)).any() * 0.0
    loss.backward()
    path = tmp_path / "masked.gsgraph"
    loss.graph().save(path)
    loaded = load_graph(path)
    assert [n.op for n in loaded.nodes] == [n.op for n in loss.graph().nodes]
    mask = next(n for n in loaded.nodes if n.op == "greater_equal")
    assert mask.value.dtype == bool and not mask.requires_grad
    new = np.array([[3.0, 1.0], [-2.0, 2.0]])
    loaded.run({"x": new})
    a_new = new * w.value
    assert loaded.output.value == pytest.approx(np.where(a_new >= 0, a_new, -a_new * 0.2).sum())


def test_the_stepper_and_the_picture_show_the_comparison():
    x = gs.tensor(np.array([-1.0, 2.0]), name="x")
    w = gs.param(np.array([0.5, 0.5]), name="w")
    a = x * w
    loss = gs.where(a > 0, a, a * 0.01).sum()
    stepper = gs.Stepper(loss)
    ops = [e.node.op for e in stepper.events if e.node.op is not None]
    assert "greater" in ops and ops.index("greater") < ops.index("where")
    stepper.goto(len(stepper.events) - 1)
    dot = gs.viz.to_dot(loss.graph())
    assert "greater" in dot and "where" in dot


def test_an_if_on_a_recorded_comparison_works_and_a_replay_that_would_branch_otherwise_refuses():
    x = gs.tensor(2.0, requires_grad=True, name="x")
    positive = x > 0
    assert positive.shape == () and bool(positive) and int(positive) == 1
    y = x * 3.0 if positive else -x  # the if decides: positive remembers True
    out = y + gs.where(positive, 0.0, 1.0)
    graph = out.graph()
    graph.run({"x": 4.0})
    assert out.value == 12.0
    with pytest.raises(gs.StaleBranchError, match=r"(?s)was True when the graph was recorded.*chose a Python "
                                                  r"branch.*node greater_\d+ made at .*test_recorded_comparisons"):
        graph.run({"x": -1.0})


def test_logic_and_predicates_record_and_replay():
    x = gs.tensor(np.array([np.nan, 1.0, np.inf, -2.0]), name="x")
    ok = gs.isfinite(x) & ~(x < 0) | gs.isnan(x)
    np.testing.assert_array_equal(ok.value, [True, True, False, False])
    ok.graph().run({"x": np.array([-1.0, np.nan, 3.0, np.inf])})
    np.testing.assert_array_equal(ok.value, [False, True, True, False])
    assert (x.isnan()).any() and not (x > 10).all()
