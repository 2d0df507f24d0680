"""One notation for values in every view: arrays of up to SHOWN_ENTRIES entries listed, larger ones summarized as
'mean=... std=...', the same words in the text walk, the pictures, the step-player, the TUI and the layer stats."""
import contextlib
import html
import io
import json
import re

import numpy as np
import pytest

import graphscope as gs
from graphscope import viz
from graphscope.cli import main
from graphscope.engine.formatting import SHOWN_ENTRIES, ZERO_MEAN, summarize_value, value_lines
from graphscope.stepper import Stepper, explain
from graphscope.train.monitor import layer_stats
from graphscope.tui.session import Session
from graphscope.tui.widgets.inspector import inspector_text

SAMPLE = '''
import numpy as np
import graphscope as gs


def build():
    W = gs.param(np.arange(12.0).reshape(4, 3) / 8 - 0.7, name="W")  # 12 entries: listed
    v = gs.param(np.linspace(-1.0, 2.0, 13), name="v")               # 13 entries: summarized
    loss = gs.sum(gs.tanh(W) * 3.0) + gs.sum(v * v)
    loss.name = "loss"
    return loss
'''
NUMBER = re.compile(r"-?(?:\d+\.?\d*(?:e[-+]\d+)?|nan|inf)")


def squash(text):
    """The text without its spaces: pictures line columns up with spaces, and lay rows out on lines."""
    return re.sub(r"\s+", "", text.replace("\u00a0", " "))


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    """The sample's values after one backward pass, and every view of it, each drawn from its own build: the final
    picture, the player's panel texts, the TUI."""
    from graphscope.userfile import build_output
    folder = tmp_path_factory.mktemp("notation")
    path = folder / "sample.py"
    path.write_text(SAMPLE)

    def fresh():
        return build_output(str(path)).graph()

    graph = fresh()
    final = Stepper(graph, keep_gradients=True).final()  # the graph summary shows the walk's gradients too
    nodes = {n.name: n for n in graph.nodes}
    values = {name: (final.value(nodes[name]), final.grad(nodes[name])) for name in ("W", "v")}
    svg = viz.to_svg(Stepper(fresh()), step="final")
    player = folder / "steps.html"
    viz.export(Stepper(fresh()), str(player))
    data = re.search(r'<script id="steps-data" type="application/json">(.*?)</script>', player.read_text(), re.S)
    panel = json.dumps([s["details"] for s in json.loads(data.group(1))["steps"]], ensure_ascii=False)
    return {"path": str(path), "fresh": fresh, "values": values, "summary": graph.summary(), "svg": svg,
            "panel": panel}


@pytest.fixture(scope="module")
def walk(views):
    """`graphscope demo FILE --text`: the CLI's text walk (captured once for the module)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["demo", views["path"], "--text"]) == 0
    return buffer.getvalue()


def svg_text(svg):
    """The words of a picture: its text elements' contents, in order."""
    return "\n".join(html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S))


def card_texts(svg, name):
    """The text lines of the picture's card of the node named `name`."""
    for group in re.findall(r'<g id="[^"]*" class="node">(.*?)</g>', svg, re.S):
        texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", group, re.S)]
        if texts and texts[0] == name:
            return texts
    raise AssertionError(f"no card of {name} in the picture")


def test_a_12_entry_gradient_shows_its_12_numbers_in_the_text_walk_and_the_picture(views, walk):
    grad = views["values"]["W"][1]
    assert grad.size == SHOWN_ENTRIES
    text = summarize_value(grad)
    assert len(NUMBER.findall(text)) == 12 and text.startswith("[[")
    assert squash(f"dloss/dW = {text}") in squash(walk)
    card = card_texts(views["svg"], "W")
    assert squash(text) in squash("".join(card))
    rows = value_lines(grad)
    assert len(rows) == 4  # a 4x3 matrix: 4 rows of 3 numbers, one a line, in the picture and the text walk
    for row in rows:
        assert squash(row) in [squash(t) for t in card] and len(NUMBER.findall(row)) == 3
        assert any(line.strip().startswith(row.strip()) for line in walk.splitlines())


def test_a_13_entry_gradient_shows_the_summary_in_the_text_walk_and_the_picture(views, walk):
    grad = views["values"]["v"][1]
    assert grad.size == SHOWN_ENTRIES + 1
    text = summarize_value(grad)
    assert re.fullmatch(r"mean=\S+ std=\S+", text)
    assert f"dloss/dv = {text}" in walk
    card = card_texts(views["svg"], "v")
    assert text in [t.replace("\u00a0", " ").strip() for t in card]
    assert not any(t.lstrip().startswith("[") for t in card)


@pytest.mark.parametrize("name", ["W", "v"])
def test_every_view_writes_a_value_with_the_same_words(views, walk, name):
    session = Session(views["fresh"]())
    session.goto(session.stepper.find(session.graph.node(name), "backward"))
    inspector = inspector_text(session).plain
    for value in views["values"][name]:
        text = summarize_value(value)
        for view, written in (("text walk", walk), ("picture", svg_text(views["svg"])), ("player", views["panel"]),
                              ("inspector", inspector), ("graph summary", views["summary"])):
            assert squash(text) in squash(written), (view, text)
    for view, written in (("text walk", walk), ("picture", svg_text(views["svg"])), ("player", views["panel"]),
                          ("inspector", inspector)):
        assert "\u03bc" not in written and "\u03c3" not in written, view  # the pictures' old words
        if name == "v":
            assert "mean=" in written and "std=" in written, view


def test_the_layer_statistics_write_a_mean_and_std_as_summaries_do():
    rng = np.random.default_rng(0)
    X = gs.tensor(rng.normal(size=(8, 5)), name="X")
    W = gs.param(rng.normal(size=(5, 4)), name="W")
    with gs.scope("fc"):
        scores = X @ W
    loss = gs.softmax_cross_entropy(scores, rng.integers(0, 4, size=8))
    loss.backward()
    row = next(line for line in layer_stats(loss).table().splitlines() if line.startswith("fc ")).split()
    for value in (scores.value, scores.grad):  # the activation, and a gradient whose mean is rounding noise
        summary = re.fullmatch(r"mean(?:=|(?=\u2248))(\S+) std=(\S+)", summarize_value(value))
        assert summary and summary.groups() in list(zip(row, row[1:]))  # its mean and std columns, side by side
    assert ZERO_MEAN in row and summarize_value(scores.grad).startswith("mean" + ZERO_MEAN)


def test_a_local_jacobian_is_listed_up_to_the_same_number_of_entries():
    x = gs.tensor(np.array([1.0, -2.0, 3.0, 0.5]), requires_grad=True, name="x")
    W = gs.param(np.arange(12.0).reshape(3, 4) / 10, name="W")
    loss = gs.sum(gs.tanh(W @ x))
    st = Stepper(loss)
    matmul = next(n for n in st.graph.nodes if n.op == "matmul")
    to_x = explain.edge_details(st[st.find(matmul, "backward")].edges[1], None, loss)
    assert to_x["local"] == summarize_value(W.value) and len(NUMBER.findall(to_x["local"])) == 12  # 3x4: listed
    h = gs.tanh(gs.tensor(np.ones((2, 2)), requires_grad=True))
    st2 = Stepper(gs.sum(h))
    edge = st2[st2.find(h, "backward")].edges[0]
    assert edge.local_matrix() is None  # 4x4: 16 entries, described
    assert explain.edge_details(edge, None, st2.graph.output)["local"] == "4x4 diagonal"


def test_every_step_of_a_picture_with_listed_matrices_has_the_same_size():
    """Rows of a matrix, '(partial)' gradients and 'not computed yet' all fit the room kept for the longest."""
    A = gs.param(np.arange(6.0).reshape(2, 3) / 4 - 0.5, name="A")
    h = gs.tanh(A)
    loss = gs.sum(h * h) + gs.sum(h * 2.0)  # h fans out: its gradient is partial, then complete
    pic = viz.Picture(Stepper(loss), rankdir="LR")
    svgs = pic.step_svgs()
    sizes = {re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups() for svg in svgs}
    assert len(sizes) == 1
    assert any("(partial)" in svg_text(svg) for svg in svgs)
    rows = value_lines(Stepper(loss).final().grad(h))
    assert len(rows) == 2 and all(squash(r) in squash(svg_text(svgs[-1])) for r in rows)
