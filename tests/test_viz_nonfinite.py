"""Pictures mark the node that made the first NaN or infinity, only where and when that value exists."""
import os
import re

import numpy as np
import pytest

import graphscope as gs
from graphscope import viz
from graphscope.stepper import Stepper
from graphscope.userfile import build_output
from graphscope.viz import origin as origin_module
from graphscope.viz import theme

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
VALUE_WARNING = "\u26a0 first non-finite value made here"
GRADIENT_WARNING = "\u26a0 first non-finite gradient made here"
BORDER = f'COLOR="{theme.ORIGIN_BORDER}"'

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's divide-by-zero in the samples


def nan_origin():
    """samples/nan_origin.py: log(softmax) is -inf where the softmax underflows; the log makes it."""
    return build_output(os.path.join(SAMPLES, "nan_origin.py"))


def by_op(graph, op):
    """The one node of `graph` made by `op` (auto names carry a global counter, so ask by op)."""
    nodes = [n for n in graph.nodes if n.op == op]
    assert len(nodes) == 1
    return nodes[0]


def node_line(dot, node):
    lines = [ln for ln in dot.splitlines() if ln.strip().startswith(f"n{node.id} [")]
    assert len(lines) == 1
    return lines[0]


def marked(dot, node, warning=VALUE_WARNING):
    """True when `node`'s card carries the warning row and the origin's border colour."""
    line = node_line(dot, node)
    has_row, has_border = warning in line, BORDER in line
    assert has_row == has_border, "the warning row and the border go together"
    return has_row


def sqrt_at_zero():
    """Finite forward values, but d sqrt(x)/dx is infinite at x = 0: the origin is in the backward pass."""
    x = gs.param(np.array([0.0, 4.0]), name="x")
    r = gs.sqrt(x)
    r.name = "root"
    y = r * 2.0
    y.name = "double"
    loss = gs.sum(y)
    loss.name = "loss"
    return loss


def test_the_log_is_marked_not_the_nodes_that_pass_its_inf_on():
    loss = nan_origin()
    graph = loss.graph()
    for dot in (viz.to_dot(loss), viz.to_dot(loss, step=viz.FINAL), viz.to_dot(loss, step=3)):
        assert marked(dot, by_op(graph, "log"))
        others = [n for n in graph.nodes if n.op != "log"]
        assert [n.op for n in others] == [None, "softmax", "getitem", "mean", "neg"]
        for node in others:
            assert not marked(dot, node), node.name
        assert dot.count(VALUE_WARNING) == 1
        assert theme.ORIGIN_LEGEND in dot                       # the legend says what the mark means


def test_a_finite_graph_has_no_mark_and_no_legend_entry():
    x = gs.tensor(np.array([1.0, -2.0]), name="x")
    loss = gs.sum(gs.tanh(x * gs.param(np.array([0.5, 2.0]), name="w")))
    st = Stepper(loss)
    pic = viz.Picture(st)
    for k in range(len(st)):
        dot = pic.dot(st.at(k))
        assert "\u26a0" not in dot and theme.ORIGIN_BORDER not in dot and theme.ORIGIN_LEGEND not in dot
    assert theme.ORIGIN_LEGEND not in viz.to_dot(loss)


def test_the_mark_appears_at_the_forward_step_that_computes_the_origin_and_stays():
    st = Stepper(nan_origin())
    pic = viz.Picture(st)
    log = by_op(st.graph, "log")
    made = st.find(log, "forward")
    assert made == 2                                            # scores, softmax_2, then log_3
    for k in range(len(st)):
        dot = pic.dot(st.at(k))
        assert marked(dot, log) == (k >= made), k
        assert (theme.ORIGIN_LEGEND in dot) == (k >= made), k  # the legend explains the mark once it is shown


def test_a_backward_origin_is_marked_from_its_backward_step_on():
    loss = sqrt_at_zero()
    st = Stepper(loss)
    pic = viz.Picture(st)
    root = st.graph["root"]
    step = st.find(root, "backward")
    assert step >= st.n_forward
    warning = GRADIENT_WARNING + " (for x)"
    for k in range(len(st)):
        dot = pic.dot(st.at(k))
        assert marked(dot, root, warning) == (k >= step), k
        for name in ("x", "double", "loss"):
            assert not marked(dot, st.graph[name], warning)


def test_a_collapsed_module_holding_the_origin_is_marked_with_its_name():
    loss = nan_origin()
    dot = viz.to_dot(loss, collapse="naive_log_softmax")
    boxes = [ln for ln in dot.splitlines() if VALUE_WARNING in ln]
    log = by_op(loss.graph(), "log")
    assert len(boxes) == 1 and f"{VALUE_WARNING}: {log.name}" in boxes[0] and BORDER in boxes[0]
    assert "module" in boxes[0]


def test_the_engine_is_asked_once_per_recording(monkeypatch):
    calls = []
    real = origin_module.find_nonfinite

    def counting(nodes):
        calls.append(len(nodes))
        return real(nodes)

    monkeypatch.setattr(origin_module, "find_nonfinite", counting)
    st = Stepper(nan_origin())
    pic = viz.Picture(st, rankdir="LR")
    for k in range(len(st)):
        pic.dot(st.at(k))
    assert len(calls) == 1


def test_every_step_keeps_the_same_size_with_the_mark(tmp_path):
    pic = viz.Picture(Stepper(nan_origin()), rankdir="LR")
    sizes = {re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups() for svg in pic.step_svgs()}
    assert len(sizes) == 1


def test_the_png_of_the_sample_shows_the_origin_border(tmp_path):
    path = tmp_path / "nan.png"
    viz.export(nan_origin(), str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = viz.to_svg(nan_origin())
    assert f'stroke="{theme.ORIGIN_BORDER}"' in svg              # the origin's card
    assert f'fill="{theme.ORIGIN_BORDER}">\u25a3' in svg          # the legend's swatch


def test_the_player_legend_names_the_mark_only_when_there_is_an_origin(tmp_path):
    def footer(out, name):
        path = tmp_path / name
        viz.export(out, str(path))
        return path.read_text().split("<footer>", 1)[1].split("</footer>", 1)[0]

    assert theme.ORIGIN_LEGEND in footer(nan_origin(), "nan.html")
    x = gs.param(np.array([1.0, 2.0]), name="x")
    assert theme.ORIGIN_LEGEND not in footer(gs.sum(x * x), "ok.html")


def test_the_origin_card_writes_the_numbers_that_explain_the_nan_in_enough_digits():
    """log(g - 100) of small g: its input lies near -100 but is not -100; the origin's card says why (the engine's
    cause) and writes its input's range in digits that tell its ends apart, every entry below 0."""
    from graphscope.viz.origin import _told_apart
    g = gs.tensor(np.array([[0.0472, -0.0426], [0.0307, 0.02]]), name="g")
    shifted = g - 100.0
    loss = gs.sum(gs.log(shifted))
    text = re.sub(r"(&#160;|\xa0|<BR/>|\s)+", " ", viz.to_dot(loss)).replace("&#45;", "-")
    assert "log of a negative number is nan" in text
    assert f"{shifted.name}: -100.043 to -99.9528, 4 of 4 &lt; 0" in text
    assert _told_apart(-3.1e-9, -1.2e-9) == ("-3.1e-09", "-1.2e-09")
    assert _told_apart(-1.0000001, 2.0) == ("-1", "2")
