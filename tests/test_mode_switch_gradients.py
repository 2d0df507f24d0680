"""train()/eval() after a node was computed: backward differentiates the mode that made the value; the new mode
applies from the node's next computation (graph.run, stepping)."""
import numpy as np
import pytest

import graphscope as gs
from graphscope import nn


def _numeric_gradient(f, x, h=1e-6):
    """Central differences of the scalar function f at x (float64)."""
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _batch_norm_train(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


@pytest.fixture
def dropped():
    x = gs.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    drop = nn.Dropout(0.5, rng=0)
    y = drop(x)
    return x, drop, y


def test_dropout_switched_to_eval_after_recording_keeps_the_recorded_masks_gradient(dropped):
    x, drop, y = dropped
    loss = (y * y).sum()
    mask = y.attrs["mask"]
    drop.eval()
    loss.backward()
    expected = _numeric_gradient(lambda v: np.sum((v * mask * 2.0) ** 2), x.value)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-6)
    assert gs.describe_jacobian(y, 0).structure == "diagonal"


def test_dropout_gradient_after_eval_matches_torch(dropped, torch):
    x, drop, y = dropped
    loss = (y * y).sum()
    mask = torch.tensor(y.attrs["mask"], dtype=torch.float64)
    drop.eval()
    loss.backward()
    xt = torch.tensor(x.value, requires_grad=True)
    ((xt * mask / 0.5) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-12)


def test_the_new_mode_applies_when_the_graph_runs_again(dropped):
    x, drop, y = dropped
    loss = y.sum()
    drop.eval()
    loss.graph().run()
    loss.backward()
    np.testing.assert_array_equal(y.value, x.value)
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))
    assert "computed_training" not in y.attrs
    assert gs.describe_jacobian(y, 0).structure == "identity"


def test_stepping_after_eval_shows_test_mode_forward_and_backward(dropped):
    x, drop, y = dropped
    loss = (y * y).sum()
    drop.eval()
    st = gs.Stepper(loss)
    forward = [e for e in st.events if e.phase == "forward" and e.node is y][0]
    np.testing.assert_array_equal(forward.value, x.value)
    backward = [e for e in st.events if e.phase == "backward" and e.node is y][0]
    np.testing.assert_allclose(backward.edges[0].contribution, 2 * x.value)


def test_switching_back_before_any_recomputation_leaves_no_trace(dropped):
    x, drop, y = dropped
    attrs = dict(y.attrs)
    drop.eval()
    assert y.attrs["training"] is False and y.attrs["computed_training"] is True
    drop.train()
    assert y.attrs.keys() == attrs.keys() and y.attrs["training"] is True


def test_gradcheck_leaves_the_mode_of_the_value_as_it_was(dropped):
    x, drop, y = dropped
    loss = y.sum()
    drop.eval()
    assert gs.gradcheck(loss)
    assert y.attrs["computed_training"] is True
    loss.backward()
    np.testing.assert_array_equal(x.grad, y.attrs["mask"] * 2.0)


@pytest.fixture
def normalized():
    rng = np.random.default_rng(0)
    x = gs.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    bn = nn.BatchNorm1d(3)
    y = bn(x)
    w = rng.standard_normal((4, 3))
    return x, bn, y, w


def test_batch_norm_switched_to_eval_after_recording_keeps_the_batch_statistics_gradient(normalized):
    x, bn, y, w = normalized
    loss = (y * w).sum()
    bn.eval()
    loss.backward()
    gamma, beta = bn.gamma.value, bn.beta.value
    expected = _numeric_gradient(lambda v: np.sum(_batch_norm_train(v, gamma, beta) * w), x.value)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-6, atol=1e-8)
    assert gs.describe_jacobian(y, 0).structure == "block-diagonal"


def test_batch_norm_gradient_after_eval_matches_torch(normalized, torch):
    x, bn, y, w = normalized
    loss = (y * w).sum()
    bn.eval()
    loss.backward()
    xt = torch.tensor(x.value, requires_grad=True)
    out = torch.nn.functional.batch_norm(xt, None, None, training=True, eps=1e-5)
    (out * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_the_trainer_leaves_each_value_with_its_own_modes_gradient(torch):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((40, 4)), rng.integers(0, 2, 40)
    x = gs.tensor(X[:8], name="x")
    fc, drop = nn.Linear(4, 2, rng=0), nn.Dropout(0.5, rng=0)
    scores = drop(fc(x))
    scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, Y[:8])
    gs.Trainer(loss, gs.optim.SGD(list(fc.parameters()), lr=0.1), batch_size=8, epochs=1,
               progress=False).fit(X[:32], Y[:32], X[32:], Y[32:])
    loss.backward()
    mode = scores.attrs.get("computed_training", scores.attrs["training"])
    factor = scores.attrs["mask"] * 2.0 if mode else np.ones_like(scores.value)
    h = torch.tensor(scores.inputs[0].value, requires_grad=True)
    out = h * torch.tensor(factor)
    np.testing.assert_allclose(scores.value, out.detach().numpy(), rtol=1e-6)  # the value is its mode's
    torch.nn.functional.cross_entropy(out, torch.tensor(loss.attrs["labels"])).backward()
    np.testing.assert_allclose(scores.inputs[0].grad, h.grad.numpy(), rtol=1e-5, atol=1e-7)  # (float32)
