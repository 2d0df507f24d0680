"""A backward pass through values computed before a parameter changed in place is refused (PyTorch's version
counters refuse it too): the gradients would mix old activations with new weights."""
import numpy as np
import pytest

import graphscope as gs

from sample_modules import load_sample


def model():
    rng = np.random.default_rng(0)
    x = gs.tensor(rng.normal(size=(8, 4)), name="x")
    net = gs.nn.MLP([4, 5, 3], rng=0)
    return x, net, gs.softmax_cross_entropy(net(x), np.arange(8) % 3)


def test_a_second_backward_after_a_step_without_a_forward_is_refused_naming_the_parameter():
    x, net, loss = model()
    opt = gs.optim.SGD(loss.graph().params, lr=0.1)
    loss.backward()
    opt.step()
    opt.zero_grad()
    with pytest.raises(gs.BackwardError, match=r"backward\(\) from .*: fc\d\.\w changed \(an optimizer step or a "
                                               r"new \.value\) after .* was computed from it.*graph\.run\(\)"):
        loss.backward()
    assert all(p.grad is None for p in opt.params)  # nothing was computed


def test_running_the_graph_again_or_recording_it_again_gives_the_gradients_of_the_new_weights():
    x, net, loss = model()
    opt = gs.optim.Adam(loss.graph().params, lr=0.1)
    loss.backward()
    opt.step()
    opt.zero_grad()
    loss.graph().run()
    loss.backward()
    replayed = [np.array(p.grad) for p in opt.params]
    opt.zero_grad()
    again = gs.softmax_cross_entropy(net(x), np.arange(8) % 3)  # PyTorch's way: the model called again
    again.backward()
    for grad, p in zip(replayed, opt.params):
        np.testing.assert_allclose(p.grad, grad, rtol=1e-12)


def test_a_new_value_of_a_leaf_makes_the_values_computed_from_it_stale():
    w = gs.param(np.array([1.0, 2.0]), name="w")
    y = gs.sum(w * w)
    w.value = np.array([3.0, 4.0])
    with pytest.raises(gs.BackwardError, match="w changed"):
        y.backward()
    y.graph().run()
    y.backward()
    np.testing.assert_allclose(w.grad, [6.0, 8.0])


def test_a_leaf_that_changed_before_the_graph_was_recorded_is_current():
    w = gs.param(np.array([1.0, 2.0]), name="w")
    w.value = np.array([3.0, 4.0])
    y = gs.sum(w * w)
    y.backward()
    np.testing.assert_allclose(w.grad, [6.0, 8.0])


def test_after_fit_the_graph_must_run_before_a_backward_of_the_users_own():
    x, net, loss = model()
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=4, epochs=1, progress=False)
    data = np.random.default_rng(1).normal(size=(12, 4))
    trainer.fit(data, np.arange(12) % 3)
    with pytest.raises(gs.BackwardError, match="changed"):
        loss.backward()
    loss.graph().run()
    loss.backward()
    assert all(p.grad is not None for p in trainer.params)


def test_a_stepper_previewing_the_update_puts_the_dates_back_with_the_values():
    W = gs.param(np.ones((3, 2)), name="W")
    loss = gs.sum(gs.tanh(gs.tensor(np.ones((4, 3)), name="x") @ W))
    opt = gs.optim.SGD([W], lr=0.1)
    loss.backward()
    gs.Stepper(loss, optimizer=opt)  # its update phase steps and puts W back
    np.testing.assert_array_equal(W.value, np.ones((3, 2)))
    loss.backward()  # W is as it was when loss was computed


def test_checks_that_recompute_and_put_back_keep_stale_values_stale():
    W = gs.param(np.ones((3, 2)), name="W")
    loss = gs.sum(gs.tanh(gs.tensor(np.ones((4, 3)), name="x") @ W))
    W.value = W.value * 3
    assert gs.gradcheck(loss)  # the check computes on W as it is now...
    with pytest.raises(gs.BackwardError, match="W changed"):
        loss.backward()  # ...and leaves the old values, still stale


def test_predict_leaves_stale_values_stale():
    x, net, loss = model()
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=4, epochs=1, progress=False)
    trainer.fit(np.random.default_rng(1).normal(size=(12, 4)), np.arange(12) % 3)
    trainer.predict(np.ones((3, 4)))
    with pytest.raises(gs.BackwardError, match="changed"):
        loss.backward()


def test_parameters_loaded_in_place_make_the_values_computed_from_them_stale():
    x, net, loss = model()
    other = gs.nn.MLP([4, 5, 3], rng=1)
    net.load_state_dict(other.state_dict())
    with pytest.raises(gs.BackwardError, match="changed"):
        loss.backward()
    loss.graph().run()
    loss.backward()


def test_gradcheck_of_a_float32_graph_after_a_parameter_changed_passes():
    swish = load_sample("custom_op", "stale_custom_op").swish
    rng = np.random.default_rng(0)
    X = gs.tensor(rng.normal(size=(16, 4)).astype(np.float32), name="X")
    W1 = gs.param((rng.normal(size=(4, 3)) * 0.5).astype(np.float32), name="W1")
    loss = gs.softmax_cross_entropy(swish(X @ W1), rng.integers(0, 3, size=16))
    W1.value = W1.value * 1.01
    report = gs.gradcheck(loss)
    assert report and not report.backward_error
