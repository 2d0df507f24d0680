"""Guards: a truth of a tensor that steered Python while a graph was recorded is checked again by every replay.

The node that steered an `if` is usually not an ancestor of the output (nothing but the `if` read it), so the
graph keeps a copy of it as a guard node: graph.run, the trainer and step_forward refuse values that would
take another branch, and every failed run leaves the graph as it was.
"""
import warnings

import numpy as np
import pytest

import graphscope as gs
from graphscope.interop import load_graph


def test_an_if_whose_mask_nothing_uses_is_checked_on_replay():
    x = gs.tensor(np.array([1.0, 2.0]), name="x")
    w = gs.param(np.array([3.0, 4.0]), name="w")
    s = (x * w).sum()
    out = s * 2.0 if s > 0 else s * -1.0
    graph = out.graph()
    assert all(n.op != "greater" for n in graph.nodes)       # the comparison is in no node's inputs
    assert [g.op for g in graph.guards] == ["greater"] and graph.guards[0].attrs["decided"] is True
    assert graph.run({"x": np.array([2.0, 1.0])}) == 20.0     # same branch: replays
    with pytest.raises(gs.StaleBranchError, match=r"(?s)was True when the graph was recorded.*"
                                                  r"node greater_\d+ made at .*test_guards.py"):
        graph.run({"x": np.array([-1.0, -2.0])})


def test_max_with_a_number_is_checked_on_replay():
    x = gs.tensor(2.0, requires_grad=True, name="x")
    out = max(x, 0.0) * 3.0                                    # max() asks bool(0.0 > x)
    graph = out.graph()
    assert graph.run({"x": 5.0}) == 15.0
    with pytest.raises(gs.StaleBranchError, match="was False when the graph was recorded"):
        graph.run({"x": -5.0})                                 # Python would give 0, the recorded graph -15


def test_any_while_and_the_truth_of_a_difference_are_checked():
    x = gs.tensor(np.array([1.0, -1.0]), name="x")
    y = x * 2.0 if (x > 0).any() else x
    with pytest.raises(gs.StaleBranchError, match="any: this comparison was True"):
        y.graph().run({"x": np.array([-1.0, -1.0])})

    t0 = t = gs.tensor(1.5, name="t")
    while t < 10.0:                                            # three doublings: 3, 6, 12
        t = t * 2.0
    loop = (t - t0).graph()
    assert loop.run({"t": 2.0}) == 14.0                        # 4, 8, 16: the same three turns
    with pytest.raises(gs.StaleBranchError):
        loop.run({"t": 0.5})                                   # would need five turns

    a, b = gs.tensor(3.0, name="a"), gs.tensor(1.0, name="b")
    out = a * b if a - b else b                                # if a - b: is if (a - b) != 0:
    graph = out.graph()
    assert len(graph.guards) == 1 and graph.guards[0].name.startswith("bool(sub_")
    assert graph.run({"a": 5.0}) == 5.0
    with pytest.raises(gs.StaleBranchError, match=r"node bool\(sub_\d+\)"):
        graph.run({"a": 1.0})


def test_a_comparison_of_an_intermediate_no_graph_holds_is_rebuilt():
    x = gs.tensor(np.array([1.0, 2.0]), name="x")
    w = gs.param(np.array([0.5, 0.5]), name="w")
    out = x.sum() * w.sum() if (x * w).sum() > 0 else x.sum()  # the product and its sum are in no graph
    graph = out.graph()
    assert [n.op for n in graph.program if n not in graph] == ["mul", "sum", None, "greater"]  # None: the 0
    with pytest.raises(gs.StaleBranchError):
        graph.run({"x": np.array([-3.0, 1.0])})


def test_a_truth_asked_after_the_output_was_made_guards_nothing():
    x = gs.tensor(2.0, name="x")
    loss = x * x
    if loss < 100.0:                                           # a look at the result, not a branch of it
        pass
    graph = loss.graph()
    assert graph.guards == [] and graph.program is graph.nodes
    assert graph.run({"x": 20.0}) == 400.0


def test_guards_are_not_part_of_the_computation_but_stepping_checks_them():
    x = gs.tensor(2.0, requires_grad=True, name="x")
    out = x * 3.0 if x > 1.0 else x
    graph = out.graph()
    assert len(graph.guards) == 1 and graph.guards[0] not in graph
    graph.backward()
    assert x.grad == 3.0 and graph.guards[0].grad is None
    stepper = gs.Stepper(out)
    assert all(e.node.op != "greater" for e in stepper.events)
    assert "greater" not in gs.viz.to_dot(graph)
    graph.feed({"x": -1.0})
    with pytest.raises(gs.StaleBranchError):
        for k in range(len(graph)):
            graph.step_forward(k)


def test_a_failed_run_puts_the_graph_back():
    x = gs.tensor(2.0, requires_grad=True, name="x")
    positive = x > 0
    y = x * 3.0 if positive else -x
    out = y + gs.where(positive, 0.0, 1.0)
    graph = out.graph()
    with pytest.raises(gs.StaleBranchError):
        graph.run({"x": -1.0})
    assert (x.value, y.value, out.value, bool(positive.value)) == (2.0, 6.0, 6.0, True)

    s = gs.param(np.arange(6.0).reshape(2, 3), name="s")
    labels = gs.tensor(np.array([0, 2]), name="labels")
    loss = s[np.arange(2), labels].sum()
    with pytest.raises(gs.InputError, match=r"(?s)non-integer values \[0\.5 1\. \]\n  node getitem_\d+ made at "
                                            r".*test_guards.py") as err:
        loss.graph().run({"labels": np.array([0.5, 1.0])})
    assert str(err.value).count("test_guards.py") == 1        # the node's line, not the line calling run()
    assert labels.value.tolist() == [0.0, 2.0] and loss.value == 5.0


def test_graph_files_keep_the_guards(tmp_path):
    x = gs.tensor(np.array([[1.0, 2.0]]), name="x")
    w = gs.param(np.array([[0.5], [0.25]]), name="w")
    h = x @ w
    out = h * 2.0 if (h > 0).all() else h
    path = tmp_path / "g.gsgraph"
    out.graph().save(path)
    loaded = load_graph(path)
    assert [g.op for g in loaded.guards] == ["all"] and loaded.guards[0].attrs["decided"] is True
    assert loaded.run({"x": np.array([[2.0, 2.0]])}) == pytest.approx(3.0)
    with pytest.raises(gs.StaleBranchError):
        loaded.run({"x": np.array([[-1.0, -2.0]])})
    assert loaded["x"].value.tolist() == [[2.0, 2.0]]
    again = gs.Graph(loaded.output)                            # a graph made again from the loaded nodes
    assert [g.op for g in again.guards] == ["all"]
    with pytest.raises(gs.StaleBranchError):
        again.run({"x": np.array([[-1.0, -2.0]])})


def test_onnx_export_keeps_the_recorded_branch_and_says_so():
    pytest.importorskip("onnx")
    from graphscope.interop.onnx import OnnxExportWarning, to_model
    x = gs.tensor(np.array([[1.0, 2.0]]), name="x")
    w = gs.param(np.array([[0.5], [0.25]]), name="w")
    h = x @ w
    pos = h > 0
    if pos:                                                    # the mask also feeds the graph (where)
        pass
    out = gs.where(pos, h, h * 0.1).sum()
    with pytest.warns(OnnxExportWarning, match="keeps the Python branch taken when the graph was recorded"):
        model = to_model(out.graph())
    assert "keeps the Python branch" in model.doc_string
    plain = gs.where(x > 0, x, x * 0.1).sum()                  # no truth asked: no note
    with warnings.catch_warnings():
        warnings.simplefilter("error", OnnxExportWarning)
        assert "Python branch" not in to_model(plain.graph()).doc_string


def test_the_trainer_refuses_a_batch_that_takes_another_branch_and_keeps_its_values():
    rng = np.random.default_rng(0)
    x = gs.tensor(np.abs(rng.normal(size=(8, 3))), name="x")
    y = gs.tensor(rng.normal(size=(8, 2)), name="y")
    W = gs.param(rng.normal(size=(3, 2)) * 0.1, name="W")
    h = x @ W
    scores = h * 2.0 if (x >= 0).all() else h                 # the recorded data is all positive
    loss = ((scores - y) ** 2).mean()
    trainer = gs.Trainer(loss, gs.optim.SGD([W], lr=0.1), batch_size=8, epochs=1, shuffle=False)
    with pytest.raises(gs.StaleBranchError, match="all: this comparison was True"):
        trainer.fit(-np.abs(rng.normal(size=(8, 3))), rng.normal(size=(8, 2)))
    assert (x.value >= 0).all()                                # the leaves and every node as they were
    np.testing.assert_array_equal(h.value, x.value @ W.value)
    np.testing.assert_allclose(loss.value, ((x.value @ W.value * 2.0 - y.value) ** 2).mean(), rtol=1e-6)


def test_a_failed_batch_leaves_every_node_as_it_was():
    rng = np.random.default_rng(0)
    x = gs.tensor(rng.normal(size=(32, 4)), name="x")
    y = gs.tensor(np.eye(3)[rng.integers(0, 3, 32)], name="y")
    W = gs.param(rng.normal(size=(4, 3)) * 0.1, name="W")
    h = x @ W
    loss = ((h - y) ** 2).mean()
    trainer = gs.Trainer(loss, gs.optim.SGD([W], lr=0.1), batch_size=32, epochs=1)
    with pytest.raises(gs.GraphscopeError):
        trainer.fit(rng.normal(size=(64, 4)), rng.integers(0, 3, 64))   # integer labels for a one-hot leaf
    np.testing.assert_array_equal(h.value, x.value @ W.value)


def test_a_node_keeps_only_the_latest_decisions():
    from graphscope.engine import guards
    w = gs.param(np.array([1.0, 2.0]), name="w")
    for _ in range(3 * guards.KEPT_PER_NODE):
        if (w * 2.0).sum() > 0:
            pass
    assert len(w._guards) == guards.KEPT_PER_NODE


def test_a_user_op_takes_its_keyword_only_attribute():
    class ScaleKw(gs.Op):
        name = "scale_kw_test"
        function = "scale_kw_test"

        def forward(self, x, *, k=2.0):
            return x * k

        def vjp(self, g, x, value, k=2.0):
            return (g * k,)

    gs.register(ScaleKw)
    try:
        x = gs.tensor(np.array([1.0, 2.0]), requires_grad=True)
        assert gs.scale_kw_test(x).value.tolist() == [2.0, 4.0]
        assert gs.scale_kw_test(x, k=3.0).value.tolist() == [3.0, 6.0]
    finally:
        gs.unregister("scale_kw_test")


def test_equality_with_something_not_numeric_is_left_to_python():
    a = gs.tensor(np.array([1.0, 2.0]))
    assert a.__eq__(None) is NotImplemented and a.__ne__("x") is NotImplemented
    assert (a == None) is False and (a != "x") is True  # noqa: E711


def test_the_layer_sample_is_a_copy_of_its_rows():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(64, 4)), rng.integers(0, 3, size=64)
    x = gs.tensor(X[:8], name="x")
    W = gs.param(rng.normal(size=(4, 3)) * 0.1, name="W")
    loss = gs.softmax_cross_entropy(x @ W, Y[:8])
    trainer = gs.Trainer(loss, gs.optim.SGD([W], lr=0.1), batch_size=16, epochs=1)
    trainer.fit(X, Y)
    sample = trainer.layer_sample[0].copy()
    X *= 0.0
    np.testing.assert_array_equal(trainer.layer_sample[0], sample)
