"""check_graph: the one verdict `graphscope check` prints and the TUI's check-all shows (a non-finite value, a wrong
VJP, a wrong leaf gradient or a backward pass that cannot run fails the graph), and the error figure a node has only
when something was compared."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.graph import Graph
from graphscope.engine.graphcheck import FAILED, PASSED, check_graph
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")


def tanh_loss():
    W = gs.param(np.array([[0.5, -0.2], [0.1, 0.3]]), name="W")
    x = gs.tensor(np.array([1.0, -2.0]), name="x")
    return Graph(gs.sum(gs.tanh(x @ W)))


def cube(vjp):
    @gs.custom_op
    def cube(x):
        return x ** 3

    cube.vjp(vjp)
    return cube


def test_a_right_graph_passes_all_three_checks():
    result = check_graph(tanh_loss())
    assert not result.failed and result.verdict == PASSED
    assert result.origin is None and result.origin_text() == ""
    assert result.whole_leaves == 1 and result.whole.ok and not result.whole_failed
    assert result.nodes_summary() == "all 3 op nodes passed"
    assert result.whole_summary().startswith("gradcheck of ") and "1 leaf passed" in result.whole_summary()


def test_a_non_finite_value_fails_the_graph_though_every_node_it_reaches_is_skipped_not_failed():
    x = gs.param(np.array([0.0, 1.0]), name="x")
    with np.errstate(all="ignore"):
        graph = Graph(gs.sum(gs.log(x)))
    result = check_graph(graph)
    assert result.nodes.ok and result.failed and result.verdict == FAILED
    assert result.origin.node.op == "log"
    assert result.origin_text().startswith("non-finite value: ")
    summary = result.nodes_summary(named=", named above")
    assert summary.startswith("0 of 2 op nodes passed, 2 skipped")
    assert f"made at {result.origin.name}, named above" in summary


def test_a_gradient_that_is_not_finite_is_found_though_backward_was_never_called():
    x = gs.param(np.array([0.0, 1.0]), name="x")
    graph = Graph(gs.sum(gs.sqrt(x)))  # finite values; d sqrt(x)/dx = inf at 0
    result = check_graph(graph)
    assert result.origin is not None and result.origin.phase == "backward" and result.origin.node.op == "sqrt"
    assert result.origin_text().startswith("non-finite gradient: ")
    assert result.verdict == FAILED
    (bad,) = result.nodes.failures          # a gradient that is not finite is never 'ok'
    assert bad.node.op == "sqrt" and bad.error_figure == "inf"
    assert all(n.grad is None for n in graph.nodes)  # the gradients computed for the search are put back


def test_a_wrong_vjp_fails_its_node_and_its_leaf():
    x = gs.param(np.array([1.0, 2.0]), name="x")
    graph = Graph(gs.sum(cube(lambda g, x, value: (2 * x ** 2 * g,))(x)))
    result = check_graph(graph)
    assert result.verdict == FAILED and result.origin is None
    assert result.nodes_summary().startswith("1 of 2 op nodes failed")
    assert result.whole_failed and result.whole_summary().startswith("gradcheck of ")


def test_a_vjp_that_raises_stops_the_whole_graph_gradcheck_and_fails():
    def boom(g, x, value):
        raise RuntimeError("forgot to save x")

    graph = Graph(gs.sum(cube(boom)(gs.param(np.ones(3), name="x"))))
    result = check_graph(graph)
    assert result.whole is None and "forgot to save x" in result.whole_error
    assert result.whole_summary().startswith("backward could not run: ")
    assert result.whole_failed and result.verdict == FAILED


def test_the_whole_graph_gradcheck_left_out_or_with_nothing_to_check():
    result = check_graph(tanh_loss(), whole=False)
    assert result.whole is None and result.whole_leaves is None and result.whole_summary() == ""
    constants = Graph(gs.sum(gs.tanh(gs.tensor(np.ones(2)))))
    result = check_graph(constants)
    assert result.whole is None and result.whole_leaves == 0 and result.verdict == PASSED


def test_only_a_node_where_entries_were_compared_has_an_error_figure():
    x = gs.param(np.array([0.0, 1.0]), name="x")
    with np.errstate(all="ignore"):
        log = gs.log(x)
    assert gs.check_node(x).error_figure is None                  # a leaf
    assert gs.check_node(log).error_figure is None                # its value is not finite
    ok = gs.check_node(gs.tanh(gs.param(np.array([0.5, 1.0]))))
    assert ok.error_figure == f"{ok.max_rel:.1e}"

    @gs.custom_op(differentiable=(False,))
    def step(x):
        return (x > 0) * 1.0

    step.vjp(lambda g, x, value: (np.zeros_like(x),))
    row = gs.check_node(step(gs.param(np.array([-1.0, 1.0]))))
    assert row.status == "skip" and row.error_figure is None      # its only input cannot be checked: not 'ok'
    (line,) = [line for line in gs.check_nodes(row.node).table().splitlines() if line.startswith("1 ")]
    assert line.split()[7:9] == ["-", "0"]                         # the table's 'max rel err' and 'checked'
    assert "skip" in line.split()[9]
