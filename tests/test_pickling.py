"""Tensors, graphs and modules pickle (for multiprocessing, joblib, caches): the source line's code object is kept as
its file and function names, and a pickled graph keeps its guards."""
import pickle

import numpy as np
import pytest

import graphscope as gs


def test_a_module_pickles_with_its_parameters_names_and_source_lines():
    layer = gs.nn.Linear(4, 3, init="xavier")
    again = pickle.loads(pickle.dumps(layer))
    for before, after in zip(layer.parameters(), again.parameters()):
        assert after.name == before.name and after.source == before.source
        np.testing.assert_array_equal(after.value, before.value)


def test_a_pickled_graph_replays_and_refuses_the_other_branch_as_the_original_does():
    x = gs.tensor(np.ones(3), name="x")
    out = x * 1.0
    if out.sum() > 0:
        out = out * 2.0
    loss = pickle.loads(pickle.dumps(out.sum()))
    graph = loss.graph()
    assert [n.op for n in graph.guards] == ["greater"] and "test_pickling.py:" in loss.source
    assert graph.run({"x": np.full(3, 2.0)}) == pytest.approx(12.0)
    with pytest.raises(gs.StaleBranchError):
        graph.run({"x": -np.ones(3)})
