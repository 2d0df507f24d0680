"""PyTorch habits on a Tensor or an optimizer get what to write instead, never a bare error."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.spellings import TORCH_METHODS


@pytest.fixture
def x():
    return gs.tensor(np.arange(12.0).reshape(3, 4), name="x", requires_grad=True)


@pytest.mark.parametrize("call, write", [
    (lambda x: x.view(4, 3), "x.reshape(a, b)"),
    (lambda x: x.flatten(), "x.reshape(-1)"),
    (lambda x: x.clamp(min=0), "x.clip(lo, hi)"),
    (lambda x: x.pow(2), "x ** 2"),
    (lambda x: x.t(), "x.T"),
    (lambda x: x.permute(1, 0), "x.transpose("),
    (lambda x: x.unsqueeze(0), "x[:, None]"),
    (lambda x: x.numel(), "x.size"),
    (lambda x: x.std(), "gs.sqrt(gs.mean((x - x.mean()) ** 2))"),
    (lambda x: x.matmul(x.T), "x @ y"),
    (lambda x: x.to("cpu"), "not needed"),
])
def test_a_pytorch_method_says_what_to_write(x, call, write):
    with pytest.raises(AttributeError) as caught:
        call(x)
    assert "PyTorch's name" in str(caught.value) and write in str(caught.value)


def test_every_hint_names_something_that_exists_or_says_none_is_needed(x):
    for name, hint in TORCH_METHODS.items():
        assert not hasattr(x, name), name   # a PyTorch spelling reads as missing (hasattr, getattr's default)
        assert isinstance(gs.Tensor.__dict__[name], property) and hint   # a hint never hides a real method


def test_probes_stay_plain_and_tensors_keep_cpythons_fast_attribute_access(x):
    assert not hasattr(x, "__torch_function__") and getattr(x, "nonexistent", None) is None
    assert "__getattr__" not in vars(gs.Tensor)  # a __getattr__ turns off attribute specialization for tensors


@pytest.mark.parametrize("call, write", [(lambda x: x.size(0), "x.shape[0]"), (lambda x: x.size(), "x.shape ")])
def test_size_called_as_pytorch_says_it_is_numpys_entry_count(x, call, write):
    assert x.size == 12 and isinstance(x.size, int)
    with pytest.raises(TypeError) as caught:
        call(x)
    assert "number of entries (12)" in str(caught.value) and write in str(caught.value)


@pytest.fixture
def w():
    return gs.param(np.array([1.0, -2.0]), name="w")


def test_param_groups_says_to_set_opt_lr(w):
    opt = gs.optim.Momentum([w], lr=0.1, momentum=0.9)
    with pytest.raises(AttributeError) as caught:
        opt.param_groups
    assert "opt.lr = " in str(caught.value) and "opt.momentum" in str(caught.value)


def test_zero_grad_takes_set_to_none_as_pytorch(torch, w):
    opt = gs.optim.SGD([w], lr=0.1)
    t = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    topt = torch.optim.SGD([t], lr=0.1)
    for set_to_none in (False, True):
        w.grad, t.grad = np.ones(2), torch.ones(2, dtype=torch.float64)
        opt.zero_grad(set_to_none=set_to_none)
        topt.zero_grad(set_to_none=set_to_none)
        assert (w.grad is None) == (t.grad is None)
        if t.grad is not None:
            np.testing.assert_array_equal(w.grad, t.grad.numpy())


def test_step_calls_the_closure_first_and_returns_its_loss(torch, w):
    def run(make_loss, params, opt):
        def closure():
            opt.zero_grad()
            loss = make_loss()
            loss.backward()
            return loss
        return [opt.step(closure).item() for _ in range(3)]
    t = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    ours = run(lambda: gs.sum(w * w), [w], opt := gs.optim.SGD([w], lr=0.1))
    theirs = run(lambda: (t * t).sum(), [t], torch.optim.SGD([t], lr=0.1))
    np.testing.assert_allclose(ours, theirs)
    np.testing.assert_allclose(w.value, t.detach().numpy())
    assert opt.step() is None
