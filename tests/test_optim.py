"""gs.optim: each update rule against torch.optim, state_dict round trips, make(), schedules."""
import math

import numpy as np
import pytest

import graphscope as gs
from graphscope import optim

STEPS = 20

# graphscope rule and its hyperparameters, the torch.optim class and its arguments
RULES = {
    "sgd": (optim.SGD, {}, "SGD", {}),
    "momentum": (optim.Momentum, {"momentum": 0.9}, "SGD", {"momentum": 0.9}),
    "momentum 0.5": (optim.Momentum, {"momentum": 0.5}, "SGD", {"momentum": 0.5}),
    "nesterov": (optim.Nesterov, {"momentum": 0.9}, "SGD", {"momentum": 0.9, "nesterov": True}),
    "adagrad": (optim.AdaGrad, {"eps": 1e-10}, "Adagrad", {"eps": 1e-10}),
    "rmsprop": (optim.RMSProp, {"alpha": 0.9, "eps": 1e-8}, "RMSprop", {"alpha": 0.9, "eps": 1e-8}),
    "adam": (optim.Adam, {"betas": (0.9, 0.999), "eps": 1e-8}, "Adam", {"betas": (0.9, 0.999), "eps": 1e-8}),
}


def problem(rng):
    """Start values of a small nonlinear least-squares problem: W (3, 4), b (4,), a scalar c."""
    return {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(4), "c": 0.7,
            "x": rng.standard_normal((5, 3)), "t": rng.standard_normal((5, 4))}


def build(start):
    """The recorded loss sum((tanh(x W + b) * c - t)^2) and its parameters."""
    W, b, c = gs.param(start["W"], name="W"), gs.param(start["b"], name="b"), gs.param(start["c"], name="c")
    loss = gs.sum((gs.tanh(gs.tensor(start["x"]) @ W + b) * c - start["t"]) ** 2)
    return loss, [W, b, c]


def train(opt, loss, steps):
    graph = loss.graph()
    for _ in range(steps):
        opt.zero_grad()
        graph.run()
        graph.backward()
        opt.step()


@pytest.mark.parametrize("label", sorted(RULES))
def test_rule_matches_torch_over_20_steps(torch, label, rng):
    cls, hyper, torch_name, torch_hyper = RULES[label]
    start = problem(rng)
    loss, params = build(start)
    opt = cls(params, 0.05, **hyper)
    train(opt, loss, STEPS)

    tp = [torch.tensor(np.asarray(start[k], dtype=np.float64), requires_grad=True) for k in ("W", "b", "c")]
    topt = getattr(torch.optim, torch_name)(tp, lr=0.05, **torch_hyper)
    x, t = torch.tensor(start["x"]), torch.tensor(start["t"])
    for _ in range(STEPS):
        topt.zero_grad()
        ((torch.tanh(x @ tp[0] + tp[1]) * tp[2] - t) ** 2).sum().backward()
        topt.step()
    assert opt.t == STEPS
    for p, q in zip(params, tp):
        moved = np.abs(np.asarray(p.value) - np.asarray(start[p.name])).max()
        assert moved > 1e-3, f"{p.name} barely moved"
        np.testing.assert_allclose(p.value, q.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=p.name)


@pytest.mark.parametrize("label", sorted(RULES))
def test_updates_are_in_place_and_reported(label, rng):
    cls, hyper, _, _ = RULES[label]
    loss, params = build(problem(rng))
    W = params[0]
    array = W.value
    before = W.value.copy()
    opt = cls(params, 0.05, **hyper)
    assert opt.last_update(W) is None
    train(opt, loss, 1)
    assert W.value is array
    np.testing.assert_allclose(opt.last_update(W), W.value - before, rtol=1e-12, atol=1e-15)
    state = opt.state_of(W)
    assert set(state) == set(cls.slots)
    for v in state.values():
        assert v.shape == W.shape and np.abs(v).max() > 0


@pytest.mark.parametrize("label", sorted(RULES))
def test_state_dict_round_trip_continues_as_if_never_stopped(label, rng):
    cls, hyper, _, _ = RULES[label]
    start = problem(rng)
    loss, params = build(start)
    straight = cls(params, 0.05, **hyper)
    train(straight, loss, 10)

    loss2, params2 = build(start)
    first = cls(params2, 0.05, **hyper)
    train(first, loss2, 4)
    saved = first.state_dict()
    values = [np.array(p.value) for p in params2]
    assert all(isinstance(a, np.ndarray) for s in saved["state"] for a in s.values())

    loss3, params3 = build({**start, "W": values[0], "b": values[1], "c": float(values[2])})
    resumed = cls(params3, 1.0, **hyper)
    resumed.load_state_dict(saved)
    assert resumed.t == 4 and resumed.lr == 0.05
    train(resumed, loss3, 6)
    for p, q in zip(params, params3):
        np.testing.assert_array_equal(p.value, q.value)


def test_load_state_dict_says_what_is_wrong(rng):
    _, params = build(problem(rng))
    adam = optim.Adam(params, 0.01)
    with pytest.raises(gs.GraphscopeError, match="saved by SGD"):
        adam.load_state_dict(optim.SGD(params, 0.1).state_dict())
    saved = adam.state_dict()
    with pytest.raises(gs.GraphscopeError, match="holds 2 parameters"):
        adam.load_state_dict({**saved, "state": saved["state"][:2]})
    broken = {**saved, "state": [dict(s) for s in saved["state"]]}
    broken["state"][0]["m"] = np.zeros((2, 2))
    with pytest.raises(gs.GraphscopeError, match=r"m of W has shape \(2, 2\)"):
        adam.load_state_dict(broken)
    with pytest.raises(gs.GraphscopeError, match="expected a dict"):
        adam.load_state_dict({"lr": 1})


def test_make_by_name_and_bad_arguments(rng):
    _, params = build(problem(rng))
    for name, cls in optim.RULES.items():
        assert type(optim.make(name, params, 0.1)) is cls
    opt = optim.make("ADAM", params, 0.1, betas=(0.8, 0.9))
    assert opt.betas == (0.8, 0.9)
    momentum = optim.Momentum(params, 0.1, momentum=0.9)
    momentum.momentum = 0.5
    assert momentum.state_dict()["hyper"] == {"momentum": 0.5}
    with pytest.raises(gs.GraphscopeError, match="known: sgd, momentum, nesterov, adagrad, rmsprop, adam"):
        optim.make("adadelta", params, 0.1)
    with pytest.raises(gs.GraphscopeError, match="learning rate must be a positive number"):
        optim.SGD(params, -1)
    with pytest.raises(gs.GraphscopeError, match="momentum must be in"):
        optim.Momentum(params, 0.1, momentum=1.5)
    with pytest.raises(gs.GraphscopeError, match="not a leaf that requires a gradient"):
        optim.SGD([gs.tensor([1.0])], 0.1)
    with pytest.raises(gs.GraphscopeError, match=r"^Adam\(\) takes no keyword 'momentum'"):
        optim.make("adam", params, 0.1, momentum=0.9)


@pytest.mark.parametrize("setting, value, words", [
    ("lr", -5, "learning rate must be a positive number"), ("lr", float("nan"), "learning rate"),
    ("momentum", 1.5, "momentum must be in"), ("betas", (0.9, 1.0), "beta2 must be in"),
    ("betas", 0.9, "betas must be a pair"), ("eps", 0.0, "eps must be a positive number"),
    ("alpha", -0.1, "alpha must be in")])
def test_settings_changed_after_construction_are_checked_like_at_construction(rng, setting, value, words):
    _, params = build(problem(rng))
    cls = next(c for c in (optim.SGD, optim.Momentum, optim.Adam, optim.RMSProp)
               if setting == "lr" or setting in c.hyper_checks)
    opt = cls(params, 0.1)
    before = opt.state_dict()
    with pytest.raises(gs.GraphscopeError, match=words):
        setattr(opt, setting, value)
    assert opt.state_dict()["lr"] == before["lr"] and opt.state_dict()["hyper"] == before["hyper"]
    bad = dict(before, hyper=dict(before["hyper"])) if setting != "lr" else dict(before, lr=value)
    if setting != "lr":
        bad["hyper"][setting] = value
    with pytest.raises(gs.GraphscopeError, match=words):
        opt.load_state_dict(bad)
    assert opt.state_dict()["lr"] == before["lr"] and opt.state_dict()["hyper"] == before["hyper"]


def test_optimizer_takes_a_module_or_a_graph():
    net = gs.nn.MLP([3, 4, 2], rng=0)
    assert optim.SGD(net, 0.1).params == net.parameters()
    loss = gs.sum(net(gs.tensor(np.ones((2, 3)))))
    assert optim.SGD(loss.graph(), 0.1).params == net.parameters()


def test_parameters_without_gradient_are_left_alone(rng):
    _, params = build(problem(rng))
    before = params[0].value.copy()
    opt = optim.Adam(params, 0.1)
    opt.step()
    np.testing.assert_array_equal(params[0].value, before)
    assert opt.last_update(params[0]) is None


def test_float32_parameters_stay_float32(rng):
    W = gs.param(rng.standard_normal((3, 2)).astype(np.float32))
    gs.sum(W * W).backward()
    opt = optim.Adam([W], 0.1)
    opt.step()
    assert W.value.dtype == np.float32 and opt.state_of(W)["m"].dtype == np.float32


@pytest.mark.parametrize("label", sorted(RULES))
def test_a_step_allocates_nothing_the_size_of_a_parameter(label, rng):
    """State, last step and scratch are made once per parameter; later steps only reuse them."""
    import tracemalloc
    cls, hyper, _, _ = RULES[label]
    W = gs.param(rng.standard_normal((400, 500)).astype(np.float32), name="W")
    W.grad = rng.standard_normal((400, 500)).astype(np.float32)
    opt = cls([W], 0.01, **hyper)
    opt.step()  # the first step makes the buffers
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        opt.step()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert peak < W.value.nbytes / 10, f"{label}: a step allocated {peak} bytes"


def test_steps_are_bit_for_bit_the_lectures_formulas(rng):
    W = gs.param(rng.standard_normal((30, 20)).astype(np.float32), name="W")
    grads = [rng.standard_normal((30, 20)).astype(np.float32) for _ in range(3)]
    sgd, momentum = optim.SGD([W], 0.05), optim.Momentum([W], 0.05, momentum=0.9)
    value, v = W.value.copy(), np.zeros_like(W.value)
    for g in grads:
        W.grad = g
        sgd.step()
        value = value + -0.05 * g
        np.testing.assert_array_equal(W.value, value)
        momentum.step()
        v = 0.9 * v - 0.05 * g
        value = value + v
        np.testing.assert_array_equal(W.value, value)
        np.testing.assert_array_equal(momentum.last_update(W), v)


def test_last_update_is_a_copy_that_later_steps_leave_alone(rng):
    W = gs.param(rng.standard_normal((3, 2)))
    opt = optim.SGD([W], 0.1)
    W.grad = np.ones((3, 2))
    opt.step()
    first = opt.last_update(W)
    W.grad = np.full((3, 2), 5.0)
    opt.step()
    np.testing.assert_array_equal(first, np.full((3, 2), -0.1))
    np.testing.assert_array_equal(opt.last_update(W), np.full((3, 2), -0.5))


def test_state_follows_a_parameter_cast_to_float32(rng):
    """The trainer casts a float64 model to float32: the rule's state and steps follow, no float64 left."""
    x = rng.standard_normal((20, 3)).astype(np.float32)
    y = rng.integers(0, 2, 20)
    W = gs.param(rng.standard_normal((3, 2)), name="W")
    loss = gs.softmax_cross_entropy(gs.tensor(x, name="x") @ W, y)
    opt = optim.Nesterov([W], 0.1)
    gs.Trainer(loss, opt, batch_size=10, epochs=1, progress=False).fit(x, y)
    assert W.value.dtype == np.float32
    assert opt.state_of(W)["velocity"].dtype == np.float32 and opt.last_update(W).dtype == np.float32


# ---------------------------------------------------------------- schedules

def test_schedules_follow_the_lecture():
    assert optim.exponential(0.1, 0.5)(3) == pytest.approx(0.1 * math.exp(-1.5), rel=1e-15)
    assert optim.inverse_time(0.1, 0.5)(4) == pytest.approx(0.1 / 3, rel=1e-15)
    step = optim.step_decay(0.1, 0.5, 10)
    assert [step(m) for m in (0, 9, 10, 25)] == pytest.approx([0.1, 0.1, 0.05, 0.025], rel=1e-15)
    assert all(s(0) == 0.1 for s in (optim.exponential(0.1, 2), optim.inverse_time(0.1, 2), step))
    assert repr(optim.inverse_time(0.1, 0.5)) == "inverse_time(lr0=0.1, k=0.5): lr = lr0 / (1 + k * epoch)"


def test_parse_schedule():
    assert repr(optim.parse_schedule("exp:0.1", 0.5)) == repr(optim.exponential(0.5, 0.1))
    assert optim.parse_schedule("inv:1", 0.5)(1) == 0.25
    assert optim.parse_schedule("step:0.1:2", 1.0)(5) == pytest.approx(0.01)
    for bad in ("exp", "cos:1", "step:0.5", "inv:1:2"):  # no such form: every form, with its formula
        with pytest.raises(gs.GraphscopeError, match=r"^not one of the schedule forms: exp:K \(lr = lr0 \* "
                                                     r"e\^\(-K \* epoch\)\), inv:K .*step:FACTOR:EVERY"):
            optim.parse_schedule(bad, 0.1)
    with pytest.raises(gs.GraphscopeError, match="epoch must be a whole number"):
        optim.exponential(0.1, 1)(-1)
    # a bad part: the form and its formula, then what is wrong, in the form's own names (the text is not repeated:
    # the command line names it)
    with pytest.raises(gs.GraphscopeError, match=r"^exp:K \(lr = lr0 \* e\^\(-K \* epoch\)\): K must be a "
                                                 r"non-negative number, got -0.1$"):
        optim.parse_schedule("exp:-0.1", 0.1)
    with pytest.raises(gs.GraphscopeError, match=r"^inv:K \(lr = lr0 / \(1 \+ K \* epoch\)\): K must be .*got 'x'$"):
        optim.parse_schedule("inv:x", 0.1)
    with pytest.raises(gs.GraphscopeError, match="FACTOR must be at most 1 .* every 3 epochs.*got 2"):
        optim.parse_schedule("step:2:3", 0.1)  # a step 'decay' that doubles the rate is a typo
    assert optim.parse_schedule("step:1:3", 0.1)(9) == 0.1  # a constant rate stays allowed
    with pytest.raises(gs.GraphscopeError, match=r"^step:FACTOR:EVERY \(lr = lr0 \* FACTOR\^\(epoch // EVERY\)\): "
                                                 r"FACTOR must be at most 1 .*, got 2\.0; EVERY must be a whole "
                                                 r"number of epochs >= 1, got 0$"):
        optim.parse_schedule("step:2:0", 0.1)  # every bad part at once
    with pytest.raises(gs.GraphscopeError, match=r"FACTOR must be a positive number, got 'x'; EVERY must"):
        optim.parse_schedule("step:x:0", 0.1)
    with pytest.raises(gs.GraphscopeError, match=r"^step_decay: factor must be at most 1 .*; every must be"):
        optim.step_decay(0.1, 2, 0)  # the library's own names
