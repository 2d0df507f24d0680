"""The shortcuts the trainer's plan takes give exactly what the general path gives.

``bound_vjp`` settles once what ``call_vjp`` decides at every call; relu's
forward compares against a cached array of zeros instead of the scalar 0.
Both must change nothing but the time taken.
"""
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine import ops
from graphscope.engine.backward import bound_vjp, call_vjp
from graphscope.engine.optable import get_op

from optable_guard import op_table_guard  # noqa: F401  (fixture)


def _nodes_with_an_upstream(loss):
    """Every op node of loss's graph after a backward pass, with its upstream gradient."""
    loss.backward()
    return [n for n in loss.graph().ops if n.grad is not None]


def _mlp_loss(rng):
    """An MLP with batch norm and dropout (ops with attributes, three inputs, refresh hooks), softmax loss."""
    net = gs.nn.MLP([4, 6, 5, 3], batchnorm=True, dropout=0.25, rng=np.random.default_rng(0))
    x = gs.tensor(rng.normal(size=(8, 4)), name="x")
    return gs.softmax_cross_entropy(net(x), rng.integers(0, 3, size=8))


def _scalar_loss():
    """A graph of Python floats: the ops' scalar VJPs answer there."""
    w, b = gs.param(0.5, name="w"), gs.param(-0.25, name="b")
    return gs.tanh(w * gs.tensor(2.0, name="x") + b) ** 2


@pytest.mark.parametrize("make", [_mlp_loss, lambda rng: _scalar_loss()], ids=["mlp", "scalar"])
def test_bound_vjp_gives_what_call_vjp_gives_for_every_node(make, rng):
    loss = make(rng)
    nodes = _nodes_with_an_upstream(loss)
    kinds = {n.op_def.name for n in nodes}
    assert len(kinds) >= 4
    for node in nodes:
        for needs in ([i.requires_grad for i in node.inputs], [False] * len(node.inputs)):
            expected = call_vjp(node.op_def, node.grad, [i._value for i in node.inputs], node._value,
                                node.attrs, node, needs)
            got = bound_vjp(node, needs)(node.grad)
            assert len(got) == len(expected)
            for a, b in zip(got, expected):
                if b is None:
                    assert a is None, f"{node.name}: a gradient no input needed was computed"
                else:
                    np.testing.assert_array_equal(a, b, err_msg=node.name)


def test_bound_vjp_reads_the_values_and_attributes_of_each_call(rng):
    """Bound once, it must see new batches: the inputs' values and the labels change between calls."""
    scores = gs.tensor(rng.normal(size=(5, 3)), requires_grad=True, name="scores")
    loss = gs.softmax_cross_entropy(scores, np.array([0, 1, 2, 0, 1]))
    node = loss.graph().output
    contributions = bound_vjp(node, [True])
    scores._value = rng.normal(size=(5, 3))
    node.attrs = {**node.attrs, "labels": np.array([2, 2, 2, 2, 2])}
    expected = call_vjp(node.op_def, 1.0, [scores._value], node._value, node.attrs, node, [True])
    np.testing.assert_array_equal(contributions(1.0)[0], expected[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_forward_is_bit_for_bit_numpys_maximum_with_zero(dtype, rng, monkeypatch):
    special = np.array([-1.0, 0.0, -0.0, np.nan, np.inf, -np.inf, 2.0, 1e-40, -1e-40], dtype)
    relu = get_op("relu")
    for x in (special, rng.normal(size=(64, 33)).astype(dtype)):
        assert relu.forward(x).tobytes() == np.maximum(x, 0).tobytes()
        assert relu.forward(x).dtype == dtype
    monkeypatch.setattr(ops.elementwise, "_ZEROS_LARGEST", 4)  # the path for arrays too large to cache zeros for
    assert relu.forward(special).tobytes() == np.maximum(special, 0).tobytes()


def test_relus_cached_zeros_stay_few_and_read_only(monkeypatch):
    monkeypatch.setattr(ops.elementwise, "_ZEROS", {})
    relu = get_op("relu")
    for n in range(1, 3 * ops.elementwise._ZEROS_KEPT):
        relu.forward(np.ones(n))
    cache = ops.elementwise._ZEROS
    assert 0 < len(cache) <= ops.elementwise._ZEROS_KEPT
    z = next(iter(cache.values()))
    assert not z.flags.writeable and not z.any()


# ---------------------------------------------------------------- plain SGD: the backward pass computes the steps

class _SGDStepByStep(gs.optim.SGD):
    """gs.optim.SGD without step_scale: the trainer takes the gradient, then steps (the path before the fusion)."""

    def step_scale(self):
        return None


def _sgd_trainer(opt_class, reg, callbacks=()):
    from train_helpers import spiral, two_layer
    x, y = spiral()
    loss = two_layer(x, y, seed=1)
    trainer = gs.Trainer(loss, opt_class(loss.graph().params, 0.3), batch_size=32, epochs=3, reg=reg,
                         dtype="float64", progress=False, callbacks=list(callbacks))
    return trainer, x, y


@pytest.mark.parametrize("reg", [0.0, 1e-3])
def test_sgd_seeded_with_minus_lr_trains_as_gradient_then_step(reg):
    """The same losses and parameters (to rounding) and, after fit, the loss's own gradients on the graph."""
    fused, x, y = _sgd_trainer(gs.optim.SGD, reg)
    plain, _, _ = _sgd_trainer(_SGDStepByStep, reg)
    h_fused, h_plain = fused.fit(x, y), plain.fit(x, y)
    np.testing.assert_allclose(h_fused.loss, h_plain.loss, rtol=1e-9)
    for a, b in zip(fused.params, plain.params):
        np.testing.assert_allclose(a.value, b.value, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(fused.optimizer.last_update(a), plain.optimizer.last_update(b),
                                   rtol=1e-9, atol=1e-12)
    for a, b in zip(fused.graph.ops, plain.graph.ops):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad, b.grad, rtol=1e-9, atol=1e-12, err_msg=a.name)
    assert fused.optimizer.t == plain.optimizer.t == 30


def test_the_fused_sgd_step_is_taken_and_callbacks_see_the_loss_gradients():
    seen = []

    def watch(event):
        if isinstance(event, gs.train.BatchEnd):
            p = trainer.params[0]
            seen.append((np.array(p.grad), trainer.optimizer.last_update(p)))
    trainer, x, y = _sgd_trainer(gs.optim.SGD, 0.0, callbacks=[watch])
    calls = []
    original = trainer.optimizer.add_steps
    trainer.optimizer.add_steps = lambda: (calls.append(1), original())
    trainer.fit(x, y)
    assert len(calls) == 30  # every batch took the fused path
    for grad, step in seen:
        np.testing.assert_allclose(step, -0.3 * grad, rtol=1e-12, atol=1e-15)


def test_a_step_after_fused_ones_makes_its_own_buffers():
    """After fit, the last steps stay what they were whatever happens to the gradients (another backward adds to
    them, zero_grad clears them); a later step() of the optimizer's own makes and fills its own buffers."""
    trainer, x, y = _sgd_trainer(gs.optim.SGD, 0.0)
    trainer.fit(x, y)
    opt = trainer.optimizer
    steps = [opt.last_update(p) for p in opt.params]
    for p, step in zip(opt.params, steps):
        np.testing.assert_allclose(step, -0.3 * p.grad, rtol=1e-12)
    trainer.graph.run()  # the values of the parameters the last step made
    trainer.graph.backward()  # leaf gradients add up
    opt.zero_grad()
    for p, step in zip(opt.params, steps):
        np.testing.assert_array_equal(opt.last_update(p), step)
    grads = [np.random.default_rng(0).standard_normal(np.shape(p.value)) for p in opt.params]
    values = [np.array(p.value) for p in opt.params]
    for p, g in zip(opt.params, grads):
        p.grad = g.copy()
    opt.step()
    for p, g, v, step in zip(opt.params, grads, values, steps):
        np.testing.assert_allclose(opt.last_update(p), -0.3 * g)
        np.testing.assert_allclose(p.value, v - 0.3 * g)


def test_a_trainer_step_lets_the_last_fused_steps_go_before_computing_new_ones():
    """The step arrays of a fused step are the gradients': the next step lets go of them first (the optimizer and
    the parameters hold them no more), so the pass writes the new steps into the same arrays: a step holds one set
    of the parameters' size, not two."""
    trainer, x, y = _sgd_trainer(gs.optim.SGD, 0.0)
    trainer.epochs = 1
    trainer.fit(x[:32], y[:32])
    xb, yb, _, _ = trainer.check_data(x[:32], y[:32])  # in the trainer's dtype, as fit feeds them
    trainer._step(xb, yb)  # a fused step, its gradients not yet given back
    assert trainer._scaled_by is not None
    steps = [id(p.grad) for p in trainer.params]
    released = []
    original = trainer._plan.backward

    def backward(scale=1.0):
        # by the time the next pass starts
        released.append(trainer.optimizer.steps_held() == [] and all(p.grad is None for p in trainer.params))
        return original(scale)
    trainer._plan.backward = backward
    trainer._step(xb, yb)
    assert released == [True]
    assert [id(p.grad) for p in trainer.params] == steps


def _one_step(make_loss, opt):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 2))
    y = (x[:, 0] > 0).astype(np.int64)
    W = gs.param(np.zeros((2, 2)), name="W")
    loss = make_loss(gs.tensor(x, name="x") @ W, y)
    trainer = gs.Trainer(loss, opt([W]), progress=False, epochs=1, batch_size=64, dtype="float64")
    trainer.fit(x, y)
    return W.value


def test_a_subclass_of_sgd_with_its_own_rule_is_stepped_by_its_rule():
    class SignSGD(gs.optim.SGD):
        def delta(self, state, g, out, scratch):
            np.multiply(np.sign(g), -self.lr, out=out)

    W = _one_step(gs.softmax_cross_entropy, lambda params: SignSGD(params, lr=0.1))
    np.testing.assert_allclose(np.abs(W), 0.1)


def test_a_custom_vjp_that_is_not_linear_in_its_upstream_gradient_sees_the_gradient_itself(op_table_guard):
    clip = gs.custom_op(lambda x: x * 1.0, name="clip_grad")
    clip.vjp(lambda g, x, value: (np.clip(g, -1e-3, 1e-3),))  # gradient clipping: not linear in g
    W = _one_step(lambda s, y: gs.softmax_cross_entropy(clip(s), y), lambda params: gs.optim.SGD(params, lr=0.1))
    assert np.abs(W).max() <= 0.1 * 1e-3 * 64 + 1e-12  # each entry's gradient is a sum of 64 clipped terms
    W_plain = _one_step(lambda s, y: gs.softmax_cross_entropy(clip(s), y),
                        lambda params: _SGDStepByStep(params, lr=0.1))
    np.testing.assert_allclose(W, W_plain, rtol=1e-12)


def test_a_batch_whose_backward_pass_fails_leaves_the_running_averages_as_they_were(op_table_guard):
    bad = gs.custom_op(lambda x: x * 1.0, name="bad_vjp")
    bad.vjp(lambda g, x, value: (g @ np.ones((3, 3)),))  # raises: the shapes do not fit
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 2)) + 5
    y = (x[:, 0] > 5).astype(np.int64)
    bn = gs.nn.BatchNorm1d(2)
    loss = gs.softmax_cross_entropy(bad(bn(gs.tensor(x, name="x"))), y)
    before = bn.running_mean.copy(), bn.running_var.copy()
    trainer = gs.Trainer(loss, gs.optim.SGD(bn.parameters(), lr=0.1), progress=False, epochs=1, batch_size=16,
                         dtype="float64")
    with pytest.raises(gs.GraphscopeError, match="bad_vjp"):
        trainer.fit(x, y)
    np.testing.assert_array_equal(bn.running_mean, before[0])
    np.testing.assert_array_equal(bn.running_var, before[1])


def test_an_op_class_registered_outside_graphscope_is_not_trusted_to_be_linear(op_table_guard):
    from graphscope.engine.optable import Op, register

    @register
    class GradClip(Op):
        """identity forward, clipped gradient: not linear in the upstream gradient"""
        name = function = "grad_clip_test"

        def forward(self, a):
            return a * 1.0

        def vjp(self, g, a, value):
            return (np.clip(g, -1e-3, 1e-3),)

    fused = _one_step(lambda s, y: gs.softmax_cross_entropy(gs.grad_clip_test(s), y),
                      lambda params: gs.optim.SGD(params, lr=0.1))
    plain = _one_step(lambda s, y: gs.softmax_cross_entropy(gs.grad_clip_test(s), y),
                      lambda params: _SGDStepByStep(params, lr=0.1))
    np.testing.assert_allclose(fused, plain, rtol=1e-12)
