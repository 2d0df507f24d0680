"""Momentum and Nesterov under a schedule: the lecture's velocity by default, PyTorch's with torch_style=True."""
import numpy as np
import pytest

import graphscope as gs


def run(torch, rule, torch_style, steps=20):
    """Our rule and torch.optim.SGD, the same gradients, lr from the lecture's exponential schedule each step."""
    schedule = gs.optim.exponential(0.05, k=0.1)
    rng = np.random.default_rng(0)
    start = rng.normal(size=(3, 2))
    w = gs.param(start.copy(), name="w")
    opt = getattr(gs.optim, rule)([w], lr=schedule(0), momentum=0.9, torch_style=torch_style)
    t = torch.tensor(start.copy(), requires_grad=True)
    topt = torch.optim.SGD([t], lr=schedule(0), momentum=0.9, nesterov=rule == "Nesterov")
    for m in range(steps):
        g = rng.normal(size=(3, 2))
        opt.lr = topt.param_groups[0]["lr"] = schedule(m)
        w.grad, t.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
    return np.abs(w.value - t.detach().numpy()).max(), opt


@pytest.mark.parametrize("rule", ["Momentum", "Nesterov"])
def test_torch_style_equals_torch_under_a_schedule(torch, rule):
    differs, _ = run(torch, rule, torch_style=False)
    same, opt = run(torch, rule, torch_style=True)
    assert differs > 0.1      # the lecture's velocity keeps the old rate for old gradients (as the README says)
    assert same < 1e-12
    assert opt.torch_style is True and "torch_style=True" in repr(opt)


def test_torch_style_resumes_from_a_state_dict_and_old_states_still_load():
    w = gs.param(np.ones(2), name="w")
    plain = gs.optim.Momentum([w], lr=0.1)
    assert "torch_style" not in plain.state_dict()["hyper"]   # states saved before the option load as they did
    styled = gs.optim.Momentum([w], lr=0.1, torch_style=True)
    w.grad = np.ones(2)
    styled.step()
    again = gs.optim.Momentum([w], lr=0.1, torch_style=True)
    again.load_state_dict(styled.state_dict())
    assert again.torch_style is True
    with pytest.raises(gs.GraphscopeError, match="True or False"):
        gs.optim.Nesterov([w], lr=0.1, torch_style="yes")
