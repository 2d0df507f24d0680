"""Ops that save work for their VJP (``saves``): the same numbers bit for bit, and never a save of another pass.

Softmax cross-entropy keeps its log-probabilities, batch norm its xhat and
1/sigma; the trainer's plan hands them to the VJP of the same pass only.
"""
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.optable import OPS, get_op
from graphscope.train.plan import Plan

DTYPES = ("float32", "float64")


def _cases(rng, dtype):
    """(op name, inputs, attrs) for each op that declares ``saves``, in each of its modes and shapes."""
    def a(*shape):
        return rng.standard_normal(shape).astype(dtype)
    stats = {"running_mean": a(5), "running_var": np.abs(a(5)) + 0.5}
    return [("softmax_cross_entropy", (a(6, 5),), {"labels": rng.integers(0, 5, size=6)}),
            ("softmax_cross_entropy", (a(5),), {"labels": np.array(3)}),
            ("batch_norm", (a(6, 5), a(5), a(5)), {"training": True, **stats}),
            ("batch_norm", (a(6, 5), a(5), a(5)), {"training": False, **stats})]


def _vjp(op, g, xs, value, **kwargs):
    return [gi() if callable(gi) else gi for gi in op.vjp(g, *xs, value=value, **kwargs)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_saved_forward_and_vjp_give_the_numbers_of_plain_ones_bit_for_bit(dtype, rng):
    names = set()
    for name, xs, attrs in _cases(rng, dtype):
        op = get_op(name)
        names.add(name)
        value = op.forward(*xs, **attrs)
        saved = {}
        saving = op.forward(*xs, saved=saved, **attrs)
        assert saved, f"{name}: its forward saved nothing"
        np.testing.assert_array_equal(saving, value, err_msg=name, strict=True)
        g = np.asarray(rng.standard_normal(np.shape(value)), dtype=dtype) if np.ndim(value) else np.asarray(
            0.7, dtype=dtype)
        plain = _vjp(op, g, xs, value, **attrs)
        with_save = _vjp(op, g, xs, value, saved=saved, **attrs)
        for k, (p, s) in enumerate(zip(plain, with_save)):
            np.testing.assert_array_equal(s, p, err_msg=f"{name} input {k}", strict=True)
    assert names == {name for name, op in OPS.items() if op.saves}  # every op that declares it is covered


def test_the_vjp_reads_the_save_it_is_given():
    """Not a formality: a VJP handed a save computes from it (here, one of log-probabilities of a uniform row)."""
    op = get_op("softmax_cross_entropy")
    scores, labels = np.array([[3.0, -1.0]]), np.array([0])
    saved = {}
    op.forward(np.zeros((1, 2)), labels, saved=saved)  # the save of other scores: softmax (1/2, 1/2)
    (g,) = op.vjp(1.0, scores, value=0.0, labels=labels, saved=saved)
    np.testing.assert_allclose(g, [[-0.5, 0.5]])


def test_batch_norm_ignores_a_save_made_in_the_other_mode(rng):
    op = get_op("batch_norm")
    x, gamma, beta = rng.standard_normal((6, 3)), rng.standard_normal(3), rng.standard_normal(3)
    stats = {"running_mean": np.zeros(3), "running_var": np.ones(3)}
    saved = {}
    op.forward(x, gamma, beta, training=True, saved=saved, **stats)
    value = op.forward(x, gamma, beta, training=False, **stats)
    g = rng.standard_normal((6, 3))
    expected = _vjp(op, g, (x, gamma, beta), value, training=False, **stats)
    got = _vjp(op, g, (x, gamma, beta), value, training=False, saved=saved, **stats)
    for e, s in zip(expected, got):
        np.testing.assert_array_equal(s, e)


def test_saved_is_no_keyword_of_the_ops_functions():
    s = gs.tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="saved"):
        gs.softmax_cross_entropy(s, [0, 1], saved={})


# ---------------------------------------------------------------- the plan

def _net(x, y, batchnorm=False):
    net = gs.nn.MLP([x.shape[1], 7, 4], batchnorm=batchnorm, rng=np.random.default_rng(0))
    loss = gs.softmax_cross_entropy(net(gs.tensor(x, name="x")), y)
    return loss, loss.graph()


def _gradients(graph):
    return [np.array(p.grad) for p in graph.params]


@pytest.mark.parametrize("batchnorm", [False, True])
def test_the_plan_hands_each_vjp_the_save_of_its_own_pass(rng, monkeypatch, batchnorm):
    x, y = rng.standard_normal((10, 5)), rng.integers(0, 4, size=10)
    loss, graph = _net(x, y, batchnorm)
    plan = Plan(graph, fed=[graph.node("x")])
    assert {s.node.op for s in plan.saves.values()} == ({"softmax_cross_entropy", "batch_norm"} if batchnorm
                                                      else {"softmax_cross_entropy"})
    handed = []
    for saves in plan.saves.values():
        op = saves.op

        class Watched(type(op)):
            def vjp(self, g, *xs, saved=None, **kwargs):
                handed.append(saved is not None)
                return super().vjp(g, *xs, saved=saved, **kwargs)
        watched = Watched.__new__(Watched)
        watched.__dict__.update(op.__dict__)
        monkeypatch.setattr(saves, "op", watched)
    assert plan.forward() and plan.backward()
    with_saves = _gradients(graph)
    assert handed == [True] * len(plan.saves)
    for p in graph.params:
        p.grad = None
    graph.run({graph.node("x"): x})  # graph.run computes every node again, batch norm's averages too
    graph.backward()
    for p, q in zip(with_saves, _gradients(graph)):
        np.testing.assert_array_equal(p, q)
    handed.clear()
    assert plan.backward()  # no forward of the plan since: the values are graph.run's, the VJPs compute them
    assert handed == [False] * len(plan.saves)


def test_a_node_computed_again_elsewhere_gets_no_save_of_the_plans_pass(rng):
    """The plan's forward, then graph.run on other data: the plan's backward must differentiate graph.run's
    values, not the softmax the plan's forward saved."""
    x, y = rng.standard_normal((10, 5)), rng.integers(0, 4, size=10)
    loss, graph = _net(x, y)
    plan = Plan(graph, fed=[graph.node("x")])
    assert plan.forward()
    other = rng.standard_normal((10, 5)) * 3
    graph.run({graph.node("x"): other})
    for p in graph.params:
        p.grad = None
    assert plan.backward()
    from_plan = _gradients(graph)
    for p in graph.params:
        p.grad = None
    graph.backward()
    for p, q in zip(from_plan, _gradients(graph)):
        np.testing.assert_array_equal(p, q)


def test_a_pass_that_fails_drops_the_saves(rng):
    x, y = rng.standard_normal((10, 5)), rng.integers(0, 4, size=10)
    loss, graph = _net(x, y)
    plan = Plan(graph, fed=[graph.node("x")])
    assert plan.forward()
    (saves,) = plan.saves.values()
    assert saves.saved is not None
    graph.node("x")._value = rng.standard_normal((10, 6))  # the first matmul raises
    assert not plan.forward()
    assert saves.saved is None and saves.value is None


def test_the_saves_go_once_the_backward_pass_used_them(rng):
    x, y = rng.standard_normal((10, 5)), rng.integers(0, 4, size=10)
    loss, graph = _net(x, y)
    plan = Plan(graph, fed=[graph.node("x")])
    assert plan.forward() and plan.backward()
    assert all(s.saved is None for s in plan.saves.values())  # their arrays are not kept between batches


def test_saved_and_out_are_no_attributes_a_graph_file_may_give():
    from graphscope.engine.compute import attribute_problem
    problem = attribute_problem(get_op("softmax_cross_entropy"), 1, {"labels": [0], "saved": {}})
    assert problem and "'saved'" in problem and "(its attributes: labels)" in problem
    assert "'out'" in attribute_problem(get_op("matmul"), 2, {"out": 0})
    assert "'saved'" in attribute_problem(get_op("batch_norm"), 3, {"training": True, "saved": {}})
