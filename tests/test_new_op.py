"""A new op costs one class: registered here alone, every part of graphscope sees it.

The op is registered inside a fixture (never at import time, so the op-table
tests see the built-ins only) and unregistered afterwards.
"""
import math

import numpy as np
import pytest

import graphscope as gs
from graphscope.engine import optable
from graphscope.engine.graph import Graph
from graphscope.engine.optable import JacobianInfo, Op, elementwise_jacobian, register


class Softsign(Op):
    """x / (1 + |x|), element-wise."""

    name = "softsign"
    function = "softsign"
    method = True

    def forward(self, x):
        return x / (1.0 + np.abs(x))

    scalar_forward = staticmethod(lambda x: x / (1.0 + abs(x)))

    def vjp(self, g, x, value):
        return (g / (1.0 + np.abs(x)) ** 2,)

    scalar_vjp = staticmethod(lambda g, x, value: (g / (1.0 + abs(x)) ** 2,))

    def jacobian(self, i, x, value):
        return elementwise_jacobian(x, "d softsign(x)/dx = diag(1 / (1 + |x|)^2)")


@pytest.fixture
def softsign():
    register(Softsign)
    yield gs.OPS["softsign"]
    optable.unregister("softsign")


def test_the_function_the_method_and_the_exports_come_from_the_op_table(softsign):
    x = gs.tensor(np.array([-2.0, 0.5]), requires_grad=True)
    assert gs.softsign(x).op_def is softsign and x.softsign().op == "softsign"
    assert "softsign" in gs.__all__ and "softsign" in gs.engine.__all__
    assert gs.softsign.__doc__ == Softsign.__doc__


def test_recording_backward_and_replay(softsign, tmp_path):
    x = gs.param(np.array([-2.0, 0.5, 3.0]), name="x")
    y = x.softsign().sum()
    line = test_recording_backward_and_replay.__code__.co_firstlineno + 2
    node = y.inputs[0]
    assert node.source.endswith(f"test_new_op.py:{line}")
    y.backward()
    np.testing.assert_allclose(x.grad, 1 / (1 + np.abs(x.value)) ** 2, rtol=1e-15)
    graph = y.graph()
    graph.run({x: np.array([1.0, 1.0, 1.0])})
    assert y.value == pytest.approx(1.5)
    s = gs.tensor(3.0, requires_grad=True)  # the scalar lanes
    t = s.softsign()
    t.backward()
    assert t.value == 0.75 and s.grad == pytest.approx(1 / 16)
    assert math.isclose(gs.softsign(-1.0).value, -0.5)  # a number becomes a constant


def test_the_stepper_the_picture_the_graph_file_and_check_nodes(softsign, tmp_path):
    x = gs.param(np.array([-2.0, 0.5]), name="x")
    loss = gs.softsign(x * 3.0).sum()
    graph = loss.graph()
    stepper = gs.Stepper(graph)
    node = graph.nodes[-2]
    assert node.op == "softsign"
    event = stepper.events[stepper.find(node, "backward")]
    assert event.node is node and event.edges[0].contribution is not None
    assert "softsign" in gs.viz.to_dot(loss)
    path = tmp_path / "g.json"
    graph.save(path)
    loaded = gs.load_graph(path)
    assert [n.op for n in loaded.nodes] == [n.op for n in graph.nodes]
    assert loaded.nodes[-2].op_def is softsign
    report = gs.check_nodes(graph)
    assert report.ok and "softsign" in [row.node.op for row in report.rows]


def test_a_wrong_vjp_in_the_new_op_is_found_by_check_nodes(softsign, monkeypatch):
    monkeypatch.setattr(Softsign, "vjp", lambda self, g, x, value: (g / (1.0 + np.abs(x)),))
    x = gs.param(np.array([-2.0, 0.5]), name="x")
    report = gs.check_nodes(gs.softsign(x).sum())
    assert not report.ok and report.first_failure.node.op == "softsign"


def test_unregistering_removes_the_function_and_the_method():
    register(Softsign)
    optable.unregister("softsign")
    assert not hasattr(gs, "softsign") and "softsign" not in gs.__all__
    assert not hasattr(gs.Tensor, "softsign") and "softsign" not in gs.OPS


class Shifted(Op):
    """x + shift, where `shift` is an attribute that graph.run refreshes (as dropout draws a new mask)."""

    name = "shifted"
    calls = 0

    def forward(self, x, shift):
        return x + shift

    def vjp(self, g, x, value, shift):
        return (g,)

    def jacobian(self, i, x, value, shift):
        return JacobianInfo("identity", "d(x + shift)/dx = I")

    def refresh(self, attrs, x):
        Shifted.calls += 1
        return {**attrs, "shift": attrs["shift"] + 1.0}


@pytest.fixture
def shifted():
    register(Shifted)
    Shifted.calls = 0
    yield gs.OPS["shifted"]
    optable.unregister("shifted")


def test_graph_run_refreshes_attributes_and_nothing_else_does(shifted):
    x = gs.param(np.zeros(2), name="x")
    y = gs.apply(shifted, x, shift=1.0)
    loss = y.sum()
    graph = loss.graph()
    recorded = y.attrs
    graph.run()
    assert y.attrs == {"shift": 2.0} and recorded == {"shift": 1.0}  # replaced, never mutated
    np.testing.assert_array_equal(y.value, [2.0, 2.0])
    graph.run({x: np.ones(2)})
    np.testing.assert_array_equal(y.value, [4.0, 4.0])
    assert Shifted.calls == 2
    graph.step_forward(graph.position(y))
    gs.Stepper(graph)
    assert gs.check_nodes(graph).ok and gs.gradcheck(graph).ok
    assert Shifted.calls == 2 and y.attrs == {"shift": 3.0}
    np.testing.assert_array_equal(y.value, [4.0, 4.0])


def test_a_failed_run_puts_refreshed_attributes_back(shifted):
    x = gs.param(np.zeros(2), name="x")
    y = gs.apply(shifted, x, shift=1.0)
    loss = (y @ gs.tensor(np.ones(2))).sum()
    with pytest.raises(gs.ShapeError):
        loss.graph().run({x: np.zeros(3)})
    assert y.attrs == {"shift": 1.0}


@pytest.mark.parametrize("attrs, message", [
    ({"function": "Graph"}, "'Graph' is taken by graphscope's own Graph"),
    ({"function": "tanh"}, "'tanh' is taken by op tanh"),
    ({"method": "backward"}, "Tensor already has backward"),
    ({"operators": ("__add__",)}, "Tensor already has __add__"),
])
def test_a_name_that_is_taken_is_refused_and_nothing_changes(attrs, message):
    cls = type("Clash", (Softsign,), {"name": "clash", **attrs})
    before_add, backward = gs.Tensor.__add__, gs.Tensor.backward
    with pytest.raises(ValueError, match=message):
        register(cls)
    assert "clash" not in gs.OPS and gs.Graph is Graph and "Graph" in gs.__all__ and "Graph" in gs.engine.__all__
    assert gs.tanh.op is gs.OPS["tanh"] and gs.Tensor.__add__ is before_add and "tanh" in gs.__all__
    assert gs.Tensor.backward is backward and not hasattr(gs.Tensor, "clash") and not hasattr(gs.Tensor, "Graph")
