"""Values as text: one rule for every view (demo, tape, side panel, pictures): no '-0', a noise mean is 0 (in text
'mean≈0'; pictures and the player write it 'mean=0', as their small text would shrink '≈' into '=')."""
import os
import re

import numpy as np
import pytest

import graphscope as gs
from graphscope.cli import main
from graphscope.engine.nonfinite import describe_tensor
from graphscope.engine.formatting import summarize_value
from graphscope.stepper import Stepper, explain
from graphscope.stepper.notation import drawn
from graphscope.viz.player import drawn_data
from graphscope.viz.step_texts import compact

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")


def zero_mean(ratio, n=24, dtype=np.float64):
    """An array whose mean is `ratio` times its std (about 0.1)."""
    a = np.linspace(-0.15, 0.15, n)
    a = a - a.mean()
    return (a + ratio * a.std()).astype(dtype)


def test_negative_zero_is_shown_as_zero():
    assert summarize_value(-0.0) == "0" and compact(-0.0) == "0"
    assert summarize_value(np.array([-0.0, 1.5])) == "[0, 1.5]" == compact(np.array([-0.0, 1.5]))
    assert summarize_value(np.full(13, -0.0)) == "all 0" == compact(np.full(13, -0.0))
    assert explain.matrix_text(np.array([[1.0, -0.0], [0.0, -2.0]])) == "[[1, 0], [0, -2]]"
    assert explain.matrix_text(np.array([[-0.0]])) == "0"
    assert describe_tensor("x", np.array([-0.0, 1.0])) == "x (2,) float64 in [0, 1]"


def test_explicit_jacobians_in_the_walk_have_no_negative_zeros():
    x = gs.tensor(np.array([1.0, -2.0, 3.0]), name="x")
    w = gs.param(np.array([0.5, 0.25, -1.0]), name="w")
    y = x * w
    loss = gs.sum(-y)
    st = Stepper(loss)
    event = st[st.find(y, "backward")]
    local = explain.edge_details(event.edges[1], event.upstream, loss)["local"]
    assert local == "[[1, 0, 0], [0, -2, 0], [0, 0, 3]]"


@pytest.mark.parametrize("ratio", [0.0, -2e-17, 3e-15, 9e-13])
def test_a_mean_that_is_rounding_noise_is_zero_in_text_and_pictures(ratio):
    a = zero_mean(ratio)
    assert re.fullmatch(r"mean\u22480 std=0\.\d+", summarize_value(a))
    assert re.fullmatch(r"mean=0 std=0\.\d+", compact(a)) and compact(a) == drawn(summarize_value(a))


@pytest.mark.parametrize("ratio", [2e-12, 1e-9, 1e-7, 1e-3])
def test_a_small_real_mean_is_shown_in_text_and_pictures(ratio):
    a = zero_mean(ratio)
    assert "\u2248" not in summarize_value(a) and "\u2248" not in compact(a)
    assert summarize_value(a).startswith("mean=") and compact(a) == summarize_value(a)


def test_text_and_pictures_agree_on_which_means_are_zero():
    for ratio in np.geomspace(1e-16, 1e-4, 49):
        for sign in (1, -1):
            a = zero_mean(sign * ratio)
            assert ("\u2248" in summarize_value(a)) == compact(a).startswith("mean=0 "), ratio
            assert compact(a) == drawn(summarize_value(a))


def test_float32_rounding_is_coarser():
    a = zero_mean(3e-8, dtype=np.float32)
    assert summarize_value(a).startswith("mean\u22480") and compact(a) == drawn(summarize_value(a))


def test_the_demo_and_the_side_panel_show_no_rounding_noise(capsys):
    from graphscope.userfile import build_output
    two_layer = os.path.join(SAMPLES, "two_layer.py")
    assert main(["demo", two_layer]) == 0
    out = capsys.readouterr().out
    st = Stepper(build_output(two_layer))
    details = " ".join(str(explain.details(ev, st.graph.output)) for ev in st.events)
    panel = str(drawn_data([explain.details(ev, st.graph.output) for ev in st.events]))  # the player's side panel
    for text in (out, details, panel):
        assert not re.search(r"mean=-?[\d.]+e-1\d", text)
    assert "\u2248" not in panel  # the player writes a noise mean as the pictures do
