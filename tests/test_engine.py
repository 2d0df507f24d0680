"""The engine as a whole: fan-out, deep graphs, scalar expressions, backward semantics, the recorded graph."""
import gc
import inspect
import math
import sys

import networkx as nx
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.source import display_location
from numgrad import numerical_vjp, relative_error


def line_here():
    """The caller's line number."""
    return inspect.currentframe().f_back.f_lineno


# ---------------------------------------------------------------- fan-out and depth

def test_node_used_twice_sums_both_paths(rng):
    xv, bv = rng.uniform(0.5, 2.0, (3,)), rng.uniform(0.5, 2.0, (3,))
    x = gs.tensor(xv, requires_grad=True)
    b = gs.tensor(bv, requires_grad=True)
    a = gs.exp(x)                       # a feeds two ops
    y = (a * b + gs.tanh(a)).sum()
    y.backward()
    tanh_a = np.tanh(np.exp(xv))
    np.testing.assert_allclose(a.grad, bv + 1 - tanh_a ** 2, rtol=1e-12)
    np.testing.assert_allclose(x.grad, (bv + 1 - tanh_a ** 2) * np.exp(xv), rtol=1e-12)
    np.testing.assert_allclose(b.grad, np.exp(xv), rtol=1e-12)


@pytest.mark.parametrize("value", [3.0, -1.5, np.array([[1.0, -2.0], [0.5, 3.0]])])
def test_x_times_x(value):
    x = gs.tensor(value, requires_grad=True)
    y = x * x
    assert y.inputs[0] is y.inputs[1] is x
    y.backward(np.ones_like(value) if np.ndim(value) else None)
    np.testing.assert_allclose(x.grad, 2 * np.asarray(value), rtol=1e-15)


def test_fan_out_matches_finite_differences(rng):
    raw = rng.uniform(0.5, 2.0, (2, 3))
    x = gs.tensor(raw, requires_grad=True)
    h = x @ x.T                        # x on both sides of a matmul
    y = gs.sum(h * gs.sigmoid(x).sum() + gs.log(x).mean())
    y.backward()

    def f(v):
        return np.sum(v @ v.T * (1 / (1 + np.exp(-v))).sum() + np.log(v).mean())
    (expected,) = numerical_vjp(f, [raw], 1.0)
    assert relative_error(x.grad, expected) < 1e-9


def test_deep_chain_of_100000_nodes_needs_no_recursion():
    limit = sys.getrecursionlimit()
    x = gs.tensor(0.5, requires_grad=True, name="x")
    y = x
    for i in range(100_000):           # 100,000 op nodes, each the input of the next
        y = -y if i % 2 else y * 1.00001
    graph = y.graph()
    assert len(graph.ops) == 100_000
    y.backward()
    assert sys.getrecursionlimit() == limit
    assert math.isclose(x.grad, 1.00001 ** 50_000, rel_tol=1e-9)
    assert math.isclose(y.value, 0.5 * 1.00001 ** 50_000, rel_tol=1e-9)


def test_deep_array_chain():
    x = gs.param(np.ones(4), name="x")
    y = x
    for _ in range(20_000):
        y = gs.tanh(y) + 0.5
    y.sum().backward()
    v, d = np.ones(4), np.ones(4)
    for _ in range(20_000):
        t = np.tanh(v)
        d = d * (1 - t ** 2)
        v = t + 0.5
    np.testing.assert_allclose(x.grad, d, rtol=1e-9)


# ---------------------------------------------------------------- micrograd's README expression

def micrograd_expression(lib, a, b):
    """The expression micrograd's README shows, written once for graphscope and for PyTorch."""
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + lib.relu(b + a)
    d = d + 3 * d + lib.relu(b - a)
    e = c - d
    f = e ** 2
    g = f / 2.0
    g = g + 10.0 / f
    return g


def test_micrograd_readme_expression():
    a = gs.tensor(-4.0, requires_grad=True, name="a")
    b = gs.tensor(2.0, requires_grad=True, name="b")
    g = micrograd_expression(gs, a, b)
    assert g.value.__class__ is float      # the scalar path all the way
    g.backward()
    # the figures micrograd's README prints
    assert f"{g.value:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_micrograd_readme_expression_matches_torch(torch):
    a = gs.tensor(-4.0, requires_grad=True)
    b = gs.tensor(2.0, requires_grad=True)
    g = micrograd_expression(gs, a, b)
    g.backward()
    ta = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tg = micrograd_expression(torch, ta, tb)
    tg.backward()
    assert relative_error(g.value, tg.item()) < 1e-10
    assert relative_error(a.grad, ta.grad.item()) < 1e-10
    assert relative_error(b.grad, tb.grad.item()) < 1e-10


def test_scalar_and_array_paths_agree():
    a = gs.tensor(-4.0, requires_grad=True)
    b = gs.tensor(2.0, requires_grad=True)
    g = micrograd_expression(gs, a, b)
    g.backward()
    a1 = gs.tensor(np.array([-4.0]), requires_grad=True)
    b1 = gs.tensor(np.array([2.0]), requires_grad=True)
    g1 = micrograd_expression(gs, a1, b1)
    g1.backward(np.ones(1))
    assert g1.value.shape == (1,)
    assert relative_error(g1.value[0], g.value) < 1e-14
    assert relative_error(a1.grad[0], a.grad) < 1e-14
    assert relative_error(b1.grad[0], b.grad) < 1e-14


# ---------------------------------------------------------------- backward semantics

def small_net(rng):
    """A tiny classifier: leaves, intermediate nodes and a scalar loss."""
    X = gs.tensor(rng.standard_normal((5, 3)), name="X")
    W = gs.param(rng.standard_normal((3, 4)) * 0.5, name="W")
    b = gs.param(np.zeros(4), name="b")
    h = gs.tanh(X @ W + b)
    h.name = "h"
    loss = gs.softmax_cross_entropy(h, np.array([0, 1, 2, 3, 1])) + 1e-2 * gs.l2(W)
    return loss, W, b, h


def test_intermediate_gradients_are_the_same_after_a_second_backward(rng):
    loss, W, b, h = small_net(rng)
    graph = loss.graph()
    loss.backward()
    first = {n.id: np.copy(n.grad) for n in graph.ops}
    loss.backward()
    for n in graph.ops:
        np.testing.assert_array_equal(n.grad, first[n.id])


def test_leaf_gradients_accumulate_until_zero_grad(rng):
    loss, W, b, _ = small_net(rng)
    loss.backward()
    w1, b1 = W.grad.copy(), b.grad.copy()
    loss.backward()
    np.testing.assert_allclose(W.grad, 2 * w1, rtol=1e-15)
    np.testing.assert_allclose(b.grad, 2 * b1, rtol=1e-15)
    W.zero_grad()
    assert W.grad is None
    np.testing.assert_allclose(b.grad, 2 * b1, rtol=1e-15)
    loss.backward()
    np.testing.assert_allclose(W.grad, w1, rtol=1e-15)
    loss.graph().zero_grad()
    assert all(n.grad is None for n in loss.graph())


def test_input_with_requires_grad_accumulates_like_a_param():
    x = gs.tensor(3.0, requires_grad=True)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 12.0


def test_nodes_not_reached_keep_no_gradient(rng):
    x = gs.param(rng.standard_normal(3), name="x")
    w = gs.param(rng.standard_normal(3), name="w")
    c = gs.constant(rng.standard_normal(3), name="c")
    scaled = c * 2.0                    # depends only on a constant
    side = gs.exp(x)                    # made from x, but the output does not use it
    unrelated = w * 3.0                 # another graph altogether
    out = (x * scaled).sum()
    out.backward()
    assert x.grad is not None
    assert c.grad is None and scaled.grad is None
    assert side.grad is None
    assert w.grad is None and unrelated.grad is None
    assert [n.name for n in out.graph().leaves] == ["x", "c", scaled.inputs[1].name]


def test_backward_from_a_node_that_needs_no_gradient_raises():
    y = gs.tensor(np.ones(3)) * 2.0
    with pytest.raises(gs.BackwardError) as info:
        line = line_here(); y.sum().backward()  # noqa: E702
    message = str(info.value)
    assert "nothing it depends on requires a gradient" in message
    assert display_location(f"{__file__}:{line}") in message   # as the tables show it


def test_explicit_upstream_gradient(rng):
    xv, wv, g = rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    x = gs.tensor(xv, requires_grad=True)
    w = gs.tensor(wv, requires_grad=True)
    y = x * w
    y.backward(g)
    np.testing.assert_allclose(y.grad, g)
    np.testing.assert_allclose(x.grad, g * wv, rtol=1e-15)
    np.testing.assert_allclose(w.grad, g * xv, rtol=1e-15)
    y.backward(gs.tensor(g))            # a tensor works as the upstream too
    np.testing.assert_allclose(x.grad, 2 * g * wv, rtol=1e-15)


def test_one_element_output_needs_no_upstream():
    x = gs.tensor(np.array([[2.0]]), requires_grad=True)
    y = x * 3.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [[3.0]])


def test_graph_backward_is_backward_of_its_output(rng):
    loss, W, b, _ = small_net(rng)
    loss.backward()
    expected = W.grad.copy()
    W.zero_grad()
    b.zero_grad()
    loss.graph().backward()
    np.testing.assert_array_equal(W.grad, expected)


def test_results_are_deterministic():
    grads = []
    for _ in range(2):
        loss, W, b, h = small_net(np.random.default_rng(7))
        loss.backward()
        grads.append((loss.value, W.grad, b.grad, h.grad))
    for first, second in zip(*grads):
        np.testing.assert_array_equal(first, second)


# ---------------------------------------------------------------- the recorded graph

def build_two_layer():
    x = gs.tensor(np.ones((2, 3)), name="x")
    with gs.scope("fc1"):
        W1 = gs.param(np.full((3, 4), 0.1), name="W1")
        h = gs.relu(x @ W1)
        with gs.scope("act"):
            h2 = h * h
    W2 = gs.param(np.full((4, 1), 0.2), name="W2")
    out = (h2 @ W2).sum()
    out.name = "out"
    return out, x, W1, h, h2, W2


def test_nodes_are_in_topological_order():
    out, *_ = build_two_layer()
    graph = out.graph()
    position = {n.id: k for k, n in enumerate(graph.nodes)}
    assert [n.id for n in graph.nodes] == sorted(position)
    for n in graph.nodes:
        assert all(position[i.id] < position[n.id] for i in n.inputs)
    assert graph.nodes[-1] is out
    assert graph.output is out


def test_lookup_by_name_id_and_node():
    out, x, W1, h, h2, W2 = build_two_layer()
    graph = out.graph()
    assert graph["W1"] is W1
    assert graph[W1.id] is W1
    assert graph[np.int64(W1.id)] is W1
    assert graph[h.name] is h and h.name == f"relu_{h.id}"
    assert graph[W1] is W1
    assert W1 in graph and gs.tensor(1.0) not in graph
    with pytest.raises(KeyError, match=r"no node named 'W' in this graph; did you mean 'W1' or 'W2'\?"):
        graph["W"]
    with pytest.raises(KeyError, match="no node named 'V3'"):
        graph["V3"]
    with pytest.raises(KeyError, match="no node with id"):
        graph[10 ** 9]


def test_duplicate_names_are_refused_by_name_but_found_by_id():
    a = gs.tensor(1.0, name="same")
    b = gs.tensor(2.0, name="same")
    y = a + b
    graph = y.graph()
    with pytest.raises(KeyError, match="2 nodes are named 'same'"):
        graph["same"]
    assert graph[b.id] is b


def test_inputs_consumers_leaves_params_ops():
    out, x, W1, h, h2, W2 = build_two_layer()
    graph = out.graph()
    assert graph.inputs(h2) == [h, h]
    assert graph.consumers(h) == [h2]            # used twice by one node: listed once
    matmul1 = h.inputs[0]
    assert graph.inputs(matmul1) == [x, W1]
    assert graph.consumers(x) == [matmul1]
    assert graph.consumers(out) == []
    assert graph.leaves == [x, W1, W2]
    assert graph.params == [W1, W2]
    assert all(n.op is not None for n in graph.ops)
    assert len(graph.ops) + len(graph.leaves) == len(graph)


def test_to_networkx():
    out, x, W1, h, h2, W2 = build_two_layer()
    graph = out.graph()
    g = graph.to_networkx()
    assert set(g.nodes) == {n.id for n in graph}
    assert g.number_of_edges() == sum(len(n.inputs) for n in graph)
    assert nx.is_directed_acyclic_graph(g)
    assert g.nodes[W1.id]["name"] == "W1" and g.nodes[W1.id]["role"] == "param"
    assert g.nodes[h.id]["op"] == "relu" and g.nodes[h.id]["shape"] == (2, 4)
    assert g.nodes[h.id]["scope"] == "fc1"
    assert sorted(d["slot"] for _, _, d in g.in_edges(h2.id, data=True)) == [0, 1]
    assert list(nx.topological_sort(g))[-1] == out.id


def test_print_graph_shows_one_line_per_node(capsys):
    out, x, W1, h, h2, W2 = build_two_layer()
    graph = out.graph()
    out.backward()
    print(graph)
    lines = capsys.readouterr().out.rstrip("\n").split("\n")
    assert len(lines) == len(graph) + 1                  # a header, then the tape
    assert lines[0].split()[:2] == ["id", "name"]
    for line, n in zip(lines[1:], graph.nodes):
        assert line.startswith(f"%{n.id} ")
        assert f" {n.name} " in line
    assert f"relu({h.inputs[0].name})" in lines[1 + graph.position(h)]
    assert "[fc1/act]" in lines[1 + graph.position(h2)]


def test_print_graph_names_each_leaf_by_its_role():
    x = gs.tensor(np.ones(2), name="x")
    w = gs.param(np.ones(2), name="w")
    c = gs.constant(2.0, name="c")
    graph = (x * w * c).graph()
    rows = {line.split()[1]: line.split()[2] for line in str(graph).splitlines()[1:]}
    assert (rows["x"], rows["w"], rows["c"]) == ("input", "param", "const")
    assert "leaf" not in str(graph)


def test_nested_scopes():
    out, x, W1, h, h2, W2 = build_two_layer()
    assert x.scope is None and W2.scope is None and out.scope is None
    assert W1.scope == "fc1" and h.scope == "fc1" and h.inputs[0].scope == "fc1"
    assert h2.scope == "fc1/act"


def test_scope_is_closed_after_an_exception():
    with pytest.raises(RuntimeError):
        with gs.scope("broken"):
            raise RuntimeError("boom")
    assert gs.tensor(1.0).scope is None
    with pytest.raises(ValueError, match="scope name"):
        with gs.scope("a/b"):
            pass


def make_in_helper(x):
    return gs.exp(x)                   # the node's source is this line, not the caller's


def test_source_lines_point_at_this_file():
    line = line_here(); x = gs.tensor(1.0, requires_grad=True)  # noqa: E702
    assert x.source == f"{__file__}:{line}"
    y = x * 2.0
    assert y.source == f"{__file__}:{line + 2}"
    z = gs.sum(gs.tensor(np.ones(3)) @ gs.tensor(np.ones(3)))
    assert z.source == f"{__file__}:{line + 4}"
    assert z.inputs[0].source == f"{__file__}:{line + 4}"
    w = make_in_helper(y)
    helper_line = inspect.getsourcelines(make_in_helper)[1] + 1
    assert w.source == f"{__file__}:{helper_line}"


def test_node_attributes():
    out, x, W1, h, h2, W2 = build_two_layer()
    assert (x.role, W1.role, h.role) == ("input", "param", None)
    assert (x.op, h.op, out.op) == (None, "relu", "sum")
    assert h.op_def is gs.OPS["relu"]
    assert out.attrs == {"axis": None, "keepdims": False}
    assert x.requires_grad is False and W1.requires_grad is True and h.requires_grad is True
    assert x.id < W1.id < h.id < h2.id < W2.id < out.id
    assert out.name == "out" and h.name == f"relu_{h.id}" and W2.inputs == ()
    assert gs.constant(1.0).role == "const" and gs.constant(1.0).requires_grad is False
    assert gs.Graph([out, h]).outputs == (out, h)


def test_a_graph_is_freed_without_the_cycle_collector(rng):
    gc.collect()
    gc.disable()
    try:
        loss, W, b, h = small_net(rng)
        x = gs.tensor(2.0, requires_grad=True)
        y = micrograd_expression(gs, x, x * 0.5)
        loss.backward()
        y.backward()
        assert str(loss.graph())
        del loss, W, b, h, x, y
        assert gc.collect() == 0, "recorded nodes formed reference cycles"
    finally:
        gc.enable()
