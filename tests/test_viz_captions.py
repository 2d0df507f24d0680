"""A picture's caption on a slide: long lines wrap to about the drawing's width (never narrower than a minimum),
nothing of them is lost, every step keeps the same size; an update step says what its update/weight ratio
means, in the words the terminal UI and the player use."""
import os
import re
from html import unescape

import pytest

from graphscope.stepper.explain import ratio_verdict
from graphscope.userfile import build_output
from graphscope.viz import Picture
from graphscope.viz.dot import CAPTION_MIN_CHARS
from graphscope.viz.html_labels import MONO_ADVANCE
from graphscope.viz.picture import caption_chars_for, svg_size
from graphscope.viz.render import have_dot
from graphscope.viz.step_texts import caption_text, wrap_caption
from graphscope.viz.theme import FONT_SIZE
from tests.cli_run import in_process

needs_dot = pytest.mark.skipif(not have_dot(), reason="needs Graphviz's dot")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCHNORM = os.path.join(ROOT, "samples", "batchnorm.py")
TWO_LAYER = os.path.join(ROOT, "samples", "two_layer.py")
_TEXT = re.compile(r'<text text-anchor="start" x="([-\d.]+)"[^>]*font-family="[^"]*Mono[^"]*"[^>]*>([^<]*)</text>')


def batch_norm_backward(around):
    """batchnorm.py's batch-norm node within `around` edges, and the state of its backward step."""
    out = build_output(BATCHNORM)
    node = next(n for n in out.graph().nodes if n.op_def is not None and n.op_def.name == "batch_norm")
    pic = Picture(out, around=around, focus=node.id)
    stepper = pic.ensure_stepper()
    return pic, stepper, stepper.at(stepper.find(node.id, "backward"))


def words(text):
    return text.split()


def test_wrapping_keeps_every_word_and_hangs_under_the_lead():
    line = ("to matmul_22  1600x1600 dense: coupled through the batch mean and variance: each y[m,d] depends on "
            "every x[n,d] of its feature; dx = gamma/(N sigma) (N g - sum_n g - xhat sum_n g*xhat) -> 32x50")
    text = "step 61 of 0..82 · backward · at batch_norm_23\n" + line + "\n  [1, 2, 3]"
    wrapped = wrap_caption(text, 60).split("\n")
    assert words("\n".join(wrapped)) == words(text)
    assert all(len(row) <= 60 for row in wrapped)
    assert wrapped[1].startswith("to matmul_22  1600x1600") and len(wrapped) > 4
    lead = len("to matmul_22  ")
    assert all(row.startswith(" " * lead) and row[lead] != " " for row in wrapped[2:-1])  # under the lead's text
    assert wrapped[-1] == "  [1, 2, 3]"  # a matrix row stays as it is
    assert wrap_caption(text, 500) == text


def caption_inside(pic, state):
    """The picture's width and the caption lines it draws, after checking that they hold every word of the
    caption in order and stay inside the picture, none longer than the picture's wrapping width."""
    svg = pic.svg(state)
    width, _ = svg_size(svg)
    caption = caption_text(state)
    lines = [(float(x), unescape(text).replace("\xa0", " ").rstrip()) for x, text in _TEXT.findall(svg)]
    shown = [text for _, text in lines if text.strip()]
    assert words(" ".join(shown))[:len(words(caption))] == words(caption)  # every word, in order
    assert CAPTION_MIN_CHARS <= pic._caption_chars and max(len(text) for text in shown) <= pic._caption_chars
    advance = MONO_ADVANCE * FONT_SIZE
    assert all(x + len(text) * advance <= width for x, text in lines)  # inside the picture
    return width, shown


@needs_dot
def test_a_long_jacobian_caption_wraps_to_the_drawing_and_stays_inside_it():
    pic, stepper, state = batch_norm_backward(1)
    longest = max(map(len, caption_text(state).split("\n")))
    assert longest > 200  # batch norm's Jacobian: one long line
    width, shown = caption_inside(pic, state)
    assert width < longest * MONO_ADVANCE * FONT_SIZE  # the picture is not stretched to that one line
    # every step of the walk keeps this size (the room of the longest wrapped caption)
    assert svg_size(pic.svg(stepper.at(0))) == svg_size(pic.svg(state))


@needs_dot
def test_a_neighbourhood_of_stubs_wraps_its_caption_to_its_drawing_never_below_the_minimum():
    pic, _, state = batch_norm_backward(0)
    width, shown = caption_inside(pic, state)
    assert len(shown) > 6 and width < 1440
    assert caption_chars_for((900.0, 300.0)) > caption_chars_for((500.0, 300.0)) == CAPTION_MIN_CHARS
    assert caption_chars_for((100.0, 300.0)) == CAPTION_MIN_CHARS


def test_an_update_step_says_what_its_ratio_means(capsys, tmp_path):
    from graphscope.cli import main
    out = tmp_path / "w2.dot"
    code, said, _ = in_process(main, capsys, "export", TWO_LAYER, "--optimizer", "adam", "--node", "W2",
                               "--phase", "update", "-o", out)
    assert code == 0
    ratio = float(re.search(r"update/weight (\S+)", said).group(1))
    assert ratio_verdict(ratio, (5, 3), 0.5, 1.0).startswith("large")  # by the rule of thumb: 2.3e-02, yet
    verdict = ratio_verdict(ratio, (5, 3), 0.5, 1.0, first_step=True)  # Adam's first step: ~lr per entry, by design
    assert verdict.startswith("not judged: Adam's and AdaGrad's first step")
    assert f"({verdict})" in said
    dot = unescape(out.read_text()).replace("\xa0", " ").replace("<BR/>", " ")  # a long verdict is wrapped
    assert f"update/weight = {ratio:.1e} ({verdict})" in " ".join(dot.split())


TINY_WEIGHTS = """
import numpy as np
import graphscope as gs


def build():
    x = gs.tensor(np.array([[1.0, 2.0]]), name="x")
    W = gs.param(np.full((2, 2), 1e-6), name="W")
    b = gs.param(np.full(2, 0.5), name="b")
    return gs.sum(x @ W + b)
"""


@pytest.mark.parametrize("node, why", [("b", "not judged: the rule of thumb is for weight matrices"),
                                       ("W", "not judged: the weights are ~0")])
def test_a_bias_or_a_near_zero_weight_is_not_judged_in_the_picture_nor_the_wrote_line(capsys, tmp_path, node, why):
    from graphscope.cli import main
    model = tmp_path / "tiny.py"
    model.write_text(TINY_WEIGHTS)
    out = tmp_path / "step.dot"
    code, said, _ = in_process(main, capsys, "export", model, "--optimizer", "sgd", "--lr", "1",
                               "--node", node, "--phase", "update", "-o", out)
    assert code == 0
    ratio = float(re.search(r"update/weight (\S+)", said).group(1))
    assert ratio > 1e-2  # large: the old verdict blamed the learning rate
    assert f"({why}" in said and "too high" not in said
    dot = " ".join(unescape(out.read_text()).replace("\xa0", " ").split())
    assert f"update/weight = {ratio:.1e} ({why}" in dot and "too high" not in dot
