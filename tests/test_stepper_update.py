"""The stepper's update phase: one optimizer step per parameter, compared with what the optimizer itself does."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.errors import GraphscopeError
from graphscope.stepper import UPDATE, StepError, explain
from graphscope.stepper.state import LOOK_COMPUTED, LOOK_CURRENT

RULES = [("SGD", {}), ("Momentum", {"momentum": 0.9}), ("Nesterov", {"momentum": 0.5}), ("AdaGrad", {}),
         ("RMSProp", {"alpha": 0.9}), ("Adam", {})]


def build():
    """A small tanh layer with a matrix, a vector and a scalar parameter, and a squared loss."""
    rng = np.random.default_rng(3)
    x = gs.tensor(rng.normal(size=(4, 3)), name="x")
    W = gs.param(rng.normal(scale=0.5, size=(3, 2)), name="W")
    b = gs.param(np.array([0.1, -0.2]), name="b")
    s = gs.param(0.7, name="s")
    loss = gs.sum(gs.tanh(x @ W + b) ** 2) * s
    loss.name = "loss"
    return loss, [W, b, s]


def make(rule, params, **hyper):
    return getattr(gs.optim, rule)(params, lr=0.05, **hyper)


def reference(rule, hyper, iterations):
    """Run `iterations` plain training steps (backward, step, zero_grad) on a fresh copy; the last step's
    (values before, state before, deltas, values after, state after, gradients)."""
    loss, params = build()
    opt = make(rule, params, **hyper)
    graph = loss.graph()
    for _ in range(iterations):
        graph.run()
        before = [np.array(p.value) for p in params]
        state = [opt.state_of(p) for p in params]
        opt.zero_grad()
        graph.backward()
        grads = [np.array(p.grad) for p in params]
        opt.step()
    return before, state, [opt.last_update(p) for p in params], [np.array(p.value) for p in params], \
        [opt.state_of(p) for p in params], grads


@pytest.mark.parametrize("rule,hyper", RULES, ids=[r for r, _ in RULES])
def test_update_events_equal_what_the_optimizer_does(rule, hyper):
    loss, params = build()
    opt = make(rule, params, **hyper)
    st = gs.Stepper(loss, optimizer=opt, apply=True)       # iteration 1, kept
    opt.zero_grad()
    st.rerun()                                             # iteration 2: state before is not zero any more
    before, state, deltas, after, state_after, grads = reference(rule, hyper, 2)
    events = st.events[st.n_forward + st.n_backward:]
    assert [ev.node for ev in events] == params and st.n_update == 3
    for ev, vb, sb, d, va, sa, g in zip(events, before, state, deltas, after, state_after, grads):
        assert ev.phase == UPDATE
        np.testing.assert_allclose(ev.grad, g, rtol=1e-12)
        np.testing.assert_allclose(ev.value_before, vb, rtol=1e-12)
        np.testing.assert_allclose(ev.delta, d, rtol=1e-12)
        np.testing.assert_allclose(ev.value_after, va, rtol=1e-12)
        np.testing.assert_allclose(ev.value_after, np.asarray(ev.value_before) + ev.delta, rtol=1e-12)
        assert set(ev.state_before) == set(opt.slots) == set(ev.state_after)
        for k in opt.slots:
            np.testing.assert_allclose(ev.state_before[k], sb[k], rtol=1e-12)
            np.testing.assert_allclose(ev.state_after[k], sa[k], rtol=1e-12)
        if opt.slots:
            assert any(np.any(ev.state_before[k] != 0) for k in opt.slots)  # the second step's state
        expected = np.linalg.norm(np.ravel(d)) / np.linalg.norm(np.ravel(vb))
        assert ev.ratio == pytest.approx(expected, rel=1e-12)


def test_by_default_the_update_is_shown_then_put_back():
    loss, (W, b, s) = build()
    opt = make("Adam", [W, b, s])
    W0, s0 = W.value.copy(), s.value
    st = gs.Stepper(loss, optimizer=opt)
    assert np.array_equal(W.value, W0) and s.value == s0
    assert opt.t == 0 and all(not np.any(v) for v in opt.state_of(W).values())
    assert W.grad is None      # and the graph's gradients as they were: none
    ev = st[st.find(W, UPDATE)]
    assert not np.allclose(ev.value_after, W0)
    assert np.array_equal(ev.value_before, W0)


def test_apply_true_takes_one_real_step():
    loss, params = build()
    opt = make("Momentum", params, momentum=0.9)
    gs.Stepper(loss, optimizer=opt, apply=True)
    _, _, _, after, state_after, _ = reference("Momentum", {"momentum": 0.9}, 1)
    assert opt.t == 1
    for p, va, sa in zip(params, after, state_after):
        np.testing.assert_allclose(p.value, va, rtol=1e-12)
        np.testing.assert_allclose(opt.state_of(p)["velocity"], sa["velocity"], rtol=1e-12)


def test_step_state_answers_values_before_and_after_each_update():
    loss, (W, b, s) = build()
    st = gs.Stepper(loss, optimizer=make("SGD", [W, b, s]))
    at_w, at_b = st.find(W, UPDATE), st.find(b, UPDATE)
    assert at_w == st.n_forward + st.n_backward and at_b == at_w + 1
    ev = st[at_w]
    before = st.at(at_w - 1)
    assert np.array_equal(before.value(W), ev.value_before)
    here = st.at(at_w)
    assert np.array_equal(here.value(W), ev.value_after) and here.look(W) == LOOK_CURRENT
    assert np.array_equal(here.value_before_update(W), ev.value_before)
    assert np.array_equal(here.grad(W), ev.grad)
    assert np.array_equal(here.value(b), st[at_b].value_before)  # b's turn has not come yet
    assert here.look(b) == LOOK_COMPUTED and st.at(at_b).look(W) != LOOK_COMPUTED
    assert here.phases == ("forward", "backward", "update")
    assert "update · SGD W: " in here.caption() and "update/weight" in here.caption()
    assert st.final().caption().endswith("parameters updated")
    assert here.progress([W, b, s]) == (1, 3, UPDATE)


def test_sgd_step_is_minus_lr_times_the_gradient_and_the_text_says_so():
    loss, (W, b, s) = build()
    st = gs.Stepper(loss, optimizer=make("SGD", [W, b, s]))
    ev = st[st.find(W, UPDATE)]
    np.testing.assert_allclose(ev.delta, -0.05 * ev.grad, rtol=1e-12)
    text = "\n".join(explain.lines(ev, loss))
    assert "update: W += step" in text and "SGD keeps no state" in text and "update/weight" in text
    info = explain.details(ev, loss)
    assert info["phase"] == UPDATE and info["state"] == [] and info["ratio"] == f"{ev.ratio:.1e}"


def test_the_text_names_each_state_and_judges_the_ratio():
    loss, params = build()
    st = gs.Stepper(loss, optimizer=make("Adam", params))
    info = explain.details(st[-1], loss)
    assert [x["name"] for x in info["state"]] == ["m", "v"]
    assert explain.ratio_verdict(1e-3).startswith("about") and explain.ratio_verdict(0.5).startswith("large")
    assert explain.ratio_verdict(1e-6).startswith("small") and "0" in explain.ratio_verdict(None)


def test_no_update_phase_without_an_optimizer_or_without_a_gradient():
    loss, (W, b, s) = build()
    st = gs.Stepper(loss)
    assert st.n_update == 0
    with pytest.raises(StepError, match="no optimizer was given"):
        st.find(W, UPDATE)
    other = gs.param(np.ones(2), name="other")
    st = gs.Stepper(loss, optimizer=make("SGD", [other]))
    assert st.n_update == 0 and "none of the optimizer's parameters" in st.update_note
    st = gs.Stepper(loss, optimizer=make("SGD", [W]))
    with pytest.raises(StepError, match="does not update it"):
        st.find(b, UPDATE)


def test_something_that_is_not_an_optimizer_is_named():
    loss, _ = build()
    with pytest.raises(GraphscopeError, match="is not an optimizer"):
        gs.Stepper(loss, optimizer=object())


def test_the_picture_at_an_update_step_highlights_the_parameter_and_shows_its_new_value():
    from graphscope.viz import Picture
    from graphscope.viz.step_texts import compact
    loss, (W, b, s) = build()
    st = gs.Stepper(loss, optimizer=make("Adam", [W, b, s]))
    pic = Picture(st)
    k = st.find(b, UPDATE)
    dot = pic.dot(pic.state(k))
    assert "update · Adam b: step |d|=" in dot.replace("&#160;", " ")
    text = dot.replace("&#160;", " ")
    assert compact(st[k].value_after) in text
    assert text.count(compact(st[k].value_before)) == 1 and ">before<" in text  # only in the 'before' row
    assert compact(st[k].value_before) in pic.dot(pic.state(k - 1))


def test_a_parameters_card_shows_the_step_and_the_optimizers_state_once_its_update_ran():
    import re

    from graphscope.viz import Picture
    from graphscope.viz.step_texts import NOT_YET, compact
    loss, (W, b, s) = build()
    st = gs.Stepper(loss, optimizer=make("Adam", [W, b, s]))
    pic = Picture(st, rankdir="LR")
    k = st.find(b, UPDATE)  # a vector: its texts are one line in the picture
    ev = st[k]
    after = pic.dot(pic.state(k)).replace("&#160;", " ")
    for text in (compact(ev.value_before), compact(ev.delta), compact(ev.state_after["m"]),
                 compact(ev.state_after["v"])):
        assert text in after
    assert ">before<" in after  # the value row above is the new value: the old one is named
    before = pic.dot(pic.state(k - 1)).replace("&#160;", " ")
    assert compact(ev.state_after["v"]) not in before and NOT_YET in before
    sizes = [re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups() for svg in pic.step_svgs()]
    walk = st.n_forward + st.n_backward
    # the update rows' room is kept on every update step; the forward and backward steps, which show none, keep
    # the size they have without an optimizer
    assert len(set(sizes[:walk])) == 1 and len(set(sizes[walk:])) == 1


def test_the_notebook_view_of_an_update_step_lists_its_numbers():
    from graphscope.viz.notebook import stepper_html
    loss, params = build()
    st = gs.Stepper(loss, optimizer=make("RMSProp", params))
    st.goto(st.find(params[0], UPDATE))
    html = stepper_html(st)
    assert "RMSProp cache" in html and "update/weight" in html and "gradient dloss/dW" in html


def test_rerun_without_apply_shows_the_same_update_again():
    loss, params = build()
    opt = make("Adam", params)
    st = gs.Stepper(loss, optimizer=opt)
    first = [ev.delta for ev in st.events[-3:]]
    st.rerun()
    assert opt.t == 0
    for a, ev in zip(first, st.events[-3:]):
        np.testing.assert_array_equal(a, ev.delta)
