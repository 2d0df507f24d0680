"""The pictures' colours read right: gradients are not the error colour, and the looks stay apart for
colour-blind readers (deuteranopia simulated with Machado et al. 2009, severity 1)."""
import itertools

import numpy as np
import pytest

from graphscope.viz import theme

#: Machado, Oliveira & Fernandes (2009): deuteranopia at severity 1.0, on linear RGB.
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968],
                         [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
#: CIELAB distance (ΔE 1976) two marks must keep to be told apart at a glance.
MIN_DELTA_E = 20.0


def linear_rgb(hex_colour):
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb):
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a, b, simulate):
    ra, rb = linear_rgb(a), linear_rgb(b)
    if simulate:
        ra, rb = np.clip(DEUTERANOPIA @ ra, 0, 1), np.clip(DEUTERANOPIA @ rb, 0, 1)
    return float(np.linalg.norm(lab(ra) - lab(rb)))


def marks():
    """Every border colour a node can have, the non-finite mark's among them."""
    found = {key: look.border for key, look in theme.LOOKS.items()}
    found["non-finite origin"] = theme.ORIGIN_BORDER
    return found


@pytest.mark.parametrize("simulate", [False, True], ids=["normal vision", "deuteranopia"])
def test_every_pair_of_node_looks_stays_apart(simulate):
    for (ka, a), (kb, b) in itertools.combinations(marks().items(), 2):
        assert delta_e(a, b, simulate) >= MIN_DELTA_E, f"{ka} {a} and {kb} {b} look alike"


@pytest.mark.parametrize("simulate", [False, True], ids=["normal vision", "deuteranopia"])
def test_value_gradient_and_warning_text_stay_apart(simulate):
    inks = {"text": theme.INK, "gradient": theme.GRAD_INK, "warning": theme.ORIGIN_INK}
    for (ka, a), (kb, b) in itertools.combinations(inks.items(), 2):
        assert delta_e(a, b, simulate) >= MIN_DELTA_E, f"{ka} and {kb} text look alike"


def test_the_simulation_tells_red_from_green_apart_less_than_normal_vision():
    # the check itself: the simulation must merge what deuteranopes confuse
    red, green = "#e03131", "#2f9e44"
    assert delta_e(red, green, True) < MIN_DELTA_E < delta_e(red, green, False)


def test_gradients_are_not_drawn_in_the_error_colour():
    error = theme.ORIGIN_BORDER
    for colour in (theme.GRAD_INK, theme.EDGE_GRAD, theme.LOOKS["backpropagated"].border):
        assert delta_e(colour, error, False) >= 2 * MIN_DELTA_E
        assert delta_e(colour, error, True) >= MIN_DELTA_E
