"""Assigning leaf values and feeding them: shapes and dtypes the recorded graph can take."""
import numpy as np
import pytest

import graphscope as gs


def test_assigning_a_leaf_keeps_its_shape_and_dtype():
    W = gs.param(np.ones((3, 2), dtype=np.float32), name="W")
    W.value = np.full((3, 2), 2.0)  # float64 data into a float32 leaf
    assert W.value.dtype == np.float32 and np.all(W.value == 2.0)
    with pytest.raises(gs.ShapeError) as info:
        W.value = np.ones((2, 2))
    message = str(info.value)
    assert "W" in message and "(2, 2)" in message and "(3, 2)" in message and "graph.run" in message
    assert "test_leaf_values.py" in message
    assert W.value.shape == (3, 2)


def test_assigning_a_computed_node_is_refused():
    x = gs.tensor(1.0, requires_grad=True, name="x")
    y = x * 2.0
    with pytest.raises(gs.GraphscopeError, match="only a leaf"):
        y.value = 3.0


def test_backward_after_an_assignment_and_a_run_uses_the_new_value():
    x = gs.tensor(2.0, requires_grad=True, name="x")
    w = gs.tensor(3.0, requires_grad=True, name="w")
    f = x * w
    graph = f.graph()
    w.value = 10.0
    graph.run()
    graph.zero_grad()
    graph.backward()
    assert f.value == 20.0 and x.grad == 10.0 and w.grad == 2.0


def test_a_feed_may_change_the_batch_size_but_not_the_number_of_axes():
    X = gs.tensor(np.ones((4, 3)), name="X")
    W = gs.param(np.ones((3, 2)), name="W")
    loss = (X @ W).sum()
    graph = loss.graph()
    graph.run({X: np.ones((7, 3))})
    assert loss.value == 7 * 3 * 2
    with pytest.raises(gs.GraphscopeError) as info:
        graph.run({W: np.ones(3)})
    assert "W" in str(info.value) and "axes" in str(info.value)
    assert W.value.shape == (3, 2)


def test_a_feed_takes_the_dtype_the_leaf_was_recorded_with():
    X = gs.tensor(np.ones((2, 3), dtype=np.float32), name="X")
    y = (X * 2.0).sum()
    graph = y.graph()
    graph.run({X: np.ones((5, 3))})
    assert X.value.dtype == np.float32 and y.value.dtype == np.float32 and float(y.value) == 30.0


def test_number_to_the_power_of_a_tensor():
    x = gs.tensor(3.0, requires_grad=True, name="x")
    y = 2 ** x
    y.backward()
    assert y.value == pytest.approx(8.0) and x.grad == pytest.approx(8.0 * np.log(2.0))
    with pytest.raises(gs.InputError, match="positive number"):
        (-2) ** x
