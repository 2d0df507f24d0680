"""The first step of Adam, RMSProp and AdaGrad moves every entry by ~lr by design: its large update/weight ratio is
not called a learning rate too high (graphscope.engine.update_ratio), in the stepper's update phase or the layer
statistics; SGD's large ratio, and an adaptive rule's after its first step, still are."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.update_ratio import UNJUDGED, first_adaptive_step, judge
from graphscope.stepper import UPDATE, explain


def build():
    rng = np.random.default_rng(3)
    x = gs.tensor(rng.normal(size=(8, 3)), name="x")
    W = gs.param(rng.normal(scale=0.5, size=(3, 4)), name="W")
    loss = gs.sum(gs.tanh(x @ W) ** 2)
    return loss, W


@pytest.mark.parametrize("rule", ["Adam", "RMSProp", "AdaGrad"])
def test_an_adaptive_rules_first_step_is_its_size_not_a_rate_too_high(rule):
    loss, W = build()
    st = gs.Stepper(loss, optimizer=getattr(gs.optim, rule)([W], lr=0.05))
    event = st[st.find(W, UPDATE)]
    assert event.ratio > 1e-2   # 'high' by the rule of thumb
    said = explain.event_verdict(event)
    assert said == "not judged: " + UNJUDGED["first step"] and "~lr/|w|" in said
    assert "not a rate too high" in said and "may be too high" not in said


def test_sgd_and_later_adaptive_steps_are_still_judged():
    loss, W = build()
    st = gs.Stepper(loss, optimizer=gs.optim.SGD([W], lr=5.0))
    assert explain.event_verdict(st[st.find(W, UPDATE)]).startswith("large: the learning rate may be too high")
    assert first_adaptive_step("Adam", {"m": np.ones(2), "v": np.ones(2)}) is False
    assert first_adaptive_step("Adam", {"m": np.zeros(2), "v": np.zeros(2)}) is True
    assert first_adaptive_step("RMSprop", steps_taken=1) and not first_adaptive_step("Momentum", steps_taken=1)
    assert judge(0.5, (3, 4), 0.5, 1.0, first_step=True) == "first step" and judge(1e-3, (3, 4), first_step=True) == "ok"


def test_the_layer_statistics_after_one_adam_step_do_not_call_it_high():
    loss, W = build()
    opt = gs.optim.Adam([W], lr=0.05)
    loss.backward()
    opt.step()
    ratio = gs.layer_stats(loss, optimizer=opt)[0].params[0]
    assert ratio.update_ratio > 1e-2 and ratio.ratio_text().endswith("(first step)")
    loss.graph().run()
    loss.backward()
    opt.step()
    again = gs.layer_stats(loss, optimizer=opt)[0].params[0]
    assert again.verdict == "high"


def test_a_subclass_of_an_adaptive_rule_counts_as_that_rule():
    class MyAdam(gs.optim.Adam):
        """A user's variant: still Adam's first step."""
    loss, W = build()
    assert first_adaptive_step(MyAdam([W], lr=0.05), steps_taken=1)
    assert not first_adaptive_step(gs.optim.SGD([W], lr=0.05), steps_taken=1)
