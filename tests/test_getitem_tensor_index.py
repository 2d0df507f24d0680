"""x[index] with tensors in the index: a mask (x[x > 0]) or labels (s[np.arange(N), y]) are recorded inputs of
the getitem node, used when it is recorded, when it is replayed on new values (graph.run, the trainer) and
after a graph file is loaded; they get no gradient."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.interop import load_graph


def _scores_and_labels(rng, n=5, classes=4):
    s = gs.param(rng.normal(size=(n, classes)), name="s")
    y = gs.tensor(np.array([3, 0, 2, 2, 1][:n]), name="y")
    return s, y


def test_a_mask_index_is_used_when_recorded_and_when_replayed():
    x = gs.param(np.array([1.0, -2.0, 3.0, -4.0]), name="x")
    picked = x[x > 0]
    loss = (picked * picked).sum()
    assert picked.value.tolist() == [1.0, 3.0] and loss.value == 10.0
    loss.backward()
    assert x.grad.tolist() == [2.0, 0.0, 6.0, 0.0]
    graph = loss.graph()
    graph.run({"x": np.array([-1.0, 5.0, 6.0, 7.0])})
    assert picked.value.tolist() == [5.0, 6.0, 7.0] and loss.value == 110.0   # another count of entries
    graph.backward()
    assert x.grad.tolist() == [2.0, 10.0, 18.0, 14.0]   # leaf gradients accumulate: [2, 0, 6, 0] + [0, 10, 12, 14]


def test_a_gather_follows_new_labels_through_graph_run(rng):
    s, y = _scores_and_labels(rng)
    rows = np.arange(5)
    picked = s[rows, y]
    np.testing.assert_array_equal(picked.value, s.value[rows, [3, 0, 2, 2, 1]])
    loss = picked.sum()
    graph = loss.graph()
    new = np.array([0, 1, 1, 3, 3])
    graph.run({"y": new})
    np.testing.assert_array_equal(picked.value, s.value[rows, new])
    graph.backward()
    expected = np.zeros((5, 4))
    expected[rows, new] = 1.0
    np.testing.assert_array_equal(s.grad, expected)
    assert y.grad is None                               # an index gets no gradient


def test_gather_gradients_match_finite_differences_and_torch(rng, torch):
    s, y = _scores_and_labels(rng)
    rows = np.arange(5)
    loss = gs.tanh(s[rows, y] * s[rows, y]).sum()
    loss.backward()
    report = gs.gradcheck(loss)
    assert report, report
    st = torch.tensor(s.value, dtype=torch.float64, requires_grad=True)
    idx = torch.tensor(y.value.astype(np.int64))
    torch.tanh(st[torch.arange(5), idx] ** 2).sum().backward()
    np.testing.assert_allclose(s.grad, st.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_the_trainer_feeds_the_labels_of_a_gather(rng):
    n = 8
    X = rng.normal(size=(4 * n, 3))
    labels = np.tile([0, 1, 1, 0, 1, 0, 0, 1], 4)
    x = gs.tensor(X[:n], name="x")
    y = gs.tensor(labels[:n], name="y")
    W = gs.param(rng.normal(size=(3, 2)) * 0.1, name="W")
    scores = x @ W
    picked = scores[np.arange(n), y]
    loss = -picked.mean()
    trainer = gs.Trainer(loss, gs.optim.SGD([W], lr=0.1), batch_size=n, epochs=1, shuffle=False)
    trainer.fit(X, labels)
    last = slice(3 * n, 4 * n)
    np.testing.assert_array_equal(y.value, labels[last])
    np.testing.assert_allclose(picked.value, scores.value[np.arange(n), labels[last]], rtol=1e-6)


def test_a_graph_file_keeps_the_index_tensors(tmp_path, rng):
    s, y = _scores_and_labels(rng)
    x = gs.param(np.array([1.0, -2.0, 3.0]), name="x")
    loss = s[np.arange(5), y].sum() + x[x > 0].sum()
    path = tmp_path / "slots.gsgraph"
    loss.graph().save(path)
    loaded = load_graph(path)
    new = np.array([1, 1, 0, 0, 3])
    loaded.run({"y": new, "x": np.array([-1.0, 4.0, 5.0])})
    assert loaded.output.value == pytest.approx(s.value[np.arange(5), new].sum() + 9.0, rel=1e-14)


def test_a_bad_index_tensor_is_named_where_it_is_used():
    s = gs.param(np.arange(6.0).reshape(2, 3), name="s")
    with pytest.raises(gs.InputError, match=r"non-integer values \[0\.5 2\. \] at .*test_getitem_tensor_index"):
        s[np.arange(2), gs.tensor(np.array([0.5, 2.0]), name="half")]


def test_a_mask_made_with_gs_tensor_is_refused_with_the_fix():
    X = gs.param(np.arange(12.0).reshape(3, 4), name="X")
    m = gs.tensor(np.array([True, False, True]), name="m")
    with pytest.raises(gs.InputError, match=r"(?s)the index m holds only 0s and 1s.*\(m > 0\)"):
        X[m]
    np.testing.assert_array_equal(X[m > 0].value[:, 0], [0.0, 8.0])
    assert X[gs.tensor(np.array([2, 0]))].value[:, 0].tolist() == [8.0, 0.0]   # positions still work
