"""Big and deep graphs: a 100,000-node scalar graph (a chain 25,000 adds deep) and a 1,000-layer chain
record, differentiate, step, save, load and export without recursion errors."""
import sys

import numpy as np
import pytest

import graphscope as gs
from graphscope.stepper import Stepper
from graphscope.viz import Picture, to_dot

BLOCKS, TERMS = 25, 1000  # 25 scopes of 1,000 terms: 4 nodes a term


def scalar_graph(blocks=BLOCKS, terms=TERMS):
    acc = gs.param(0.1, name="b")
    for k in range(blocks):
        with gs.scope(f"block{k}"):
            for i in range(terms):
                x = gs.tensor(((i % 11) - 5) / 5.0, name="x")
                w = gs.param(((i % 7) - 3) / 3000.0, name="w")
                acc = acc + w * x
    return gs.tanh(acc)


def layer_chain(layers=1000):
    h = gs.param(np.full(4, 0.1), name="x")
    for i in range(layers):
        h = gs.tanh(h * 1.001)
    return gs.sum(h)


@pytest.fixture
def low_recursion_limit():
    """Far below the graphs' depth: any recursive walk fails at once."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(400)
    yield
    sys.setrecursionlimit(old)


def check_gradients(out, graph):
    leaves = [n for n in graph.nodes if n.op_def is None and n.requires_grad]
    assert leaves and all(n.grad is not None for n in leaves)


def test_a_100000_node_scalar_graph(tmp_path, low_recursion_limit):
    out = scalar_graph()
    out.backward()
    graph = gs.Graph(out)
    assert len(graph.nodes) >= 100_000
    check_gradients(out, graph)
    first_w = next(n for n in graph.nodes if n.requires_grad and n.op_def is None and n.name != "b")
    assert first_w.grad == pytest.approx((1 - out.value ** 2) * -1.0)  # d tanh(s)/dw = (1 - tanh(s)^2) * x
    stepper = Stepper(graph)
    stepper.goto(len(stepper.events) - 1)
    graph.step_forward(len(graph.nodes) - 1)
    picture = Picture(graph, collapse=[f"block{k}" for k in range(BLOCKS)])  # the default direction
    state = picture.state(None, None, "forward")
    dot = picture.dot(state)
    assert dot.count("cluster_") == 0 and len(dot) < 100_000  # every block is one box
    assert "(mul+add)\u00d71000 \u00d7 25" in dot  # the block's 2,000 ops named by their repeating unit
    assert "<svg" in picture.svg(state)  # drawn: no label wider than Graphviz's 16-bit table sizes
    graph.to_onnx(tmp_path / "big.onnx")
    assert (tmp_path / "big.onnx").stat().st_size > 100_000
    graph.save(tmp_path / "big.gsgraph")
    loaded = gs.load_graph(tmp_path / "big.gsgraph")
    assert len(loaded.nodes) == len(graph.nodes) and loaded.output.value == out.value
    assert loaded.nodes[-2].grad == graph.nodes[-2].grad and loaded.nodes[-2].scope == "block24"
    loaded.run()
    assert loaded.output.value == pytest.approx(out.value)


def test_a_1000_layer_chain(tmp_path, low_recursion_limit):
    out = layer_chain()
    out.backward()
    graph = gs.Graph(out)
    assert len(graph.nodes) == 3002 and graph.nodes[0].grad is not None
    report = gs.check_nodes(graph, max_coords=1)
    assert report.ok
    stepper = Stepper(graph)
    stepper.goto(len(stepper.events) - 1)
    graph.save(tmp_path / "chain.gsgraph")
    loaded = gs.load_graph(tmp_path / "chain.gsgraph")
    np.testing.assert_allclose(loaded.output.value, out.value)
    graph.to_onnx(tmp_path / "chain.onnx")
    assert "digraph" in to_dot(graph, depth=0)
