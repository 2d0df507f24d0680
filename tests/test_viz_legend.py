"""A picture says only what is true at its step: its legend lists exactly the looks drawn (on nodes, boxes and
edges), only the edge the step uses is amber, a folded box's value row agrees with its progress, and names shared
by several nodes are given with their scope."""
import html
import json
import os
import re

import pytest

import graphscope as gs
from graphscope import viz
from graphscope.stepper import Stepper
from graphscope.userfile import build_output
from graphscope.viz import Picture, theme
from graphscope.viz.picture import svg_size
from graphscope.viz.view import FOLD

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's divide-by-zero in nan_origin

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
WORDS = dict(theme.LEGEND)
#: A node's look by the colour of its card's header (a bare constant: of its whole card).
LOOK_OF_HEAD = {look.head: key for key, look in theme.LOOKS.items()}
#: An edge's look by its colour (a plain edge has none of these).
LOOK_OF_EDGE = {theme.EDGE_CURRENT: "current", theme.EDGE_GRAD: "backpropagated", theme.EDGE_PENDING: "pending"}


def sample(name):
    return build_output(os.path.join(SAMPLES, f"{name}.py"))


def legend_words(dot):
    """The words of the legend entries in the caption of a DOT picture."""
    caption = next(line for line in dot.splitlines() if line.strip().startswith("graph ["))
    return [html.unescape(w).strip() for w in re.findall(r"[\u25a0\u25a3]</FONT><FONT[^>]*>([^<]+)</FONT>", caption)]


def looks_drawn(dot):
    """The looks the DOT picture draws, read from its colours: node cards by their header, edges by their line."""
    looks = set()
    for line in dot.splitlines():
        line = line.strip()
        if line.startswith(("graph [", "node [", "edge [")):
            continue
        if "->" in line.split("[", 1)[0]:
            colour = re.search(r'\bcolor="([^"]+)"', line)
            if colour and colour.group(1) in LOOK_OF_EDGE:
                looks.add(LOOK_OF_EDGE[colour.group(1)])
        else:
            looks.update(LOOK_OF_HEAD[c] for c in re.findall(r'BGCOLOR="([^"]+)"', line) if c in LOOK_OF_HEAD)
    return looks


def test_the_legend_lists_exactly_the_looks_each_picture_draws():
    deep = Stepper(sample("deep_mlp"))
    two = sample("two_layer")
    adam = Stepper(two, optimizer=gs.optim.Adam([n for n in two.graph().leaves if n.requires_grad], lr=0.01))
    w3 = deep.graph.node("block3/W")
    cases = [(Picture(deep, focus="block3/W", around=1), deep.find(w3, "forward")),  # a neighbourhood's step
             (Picture(deep), 20), (Picture(deep), len(deep) - 10), (Picture(deep), 0),   # folded blocks
             (Picture(deep, depth=0), 30), (Picture(deep, depth=0), "final"),          # boxes
             (Picture(adam), len(adam) - 1), (Picture(adam), adam.n_forward + 2)]       # update, backward
    seen = set()
    for picture, step in cases:
        dot = picture.dot(picture.state(step))
        drawn = looks_drawn(dot)
        assert legend_words(dot) == [words for key, words in theme.LEGEND if key in drawn], (step, drawn)
        seen |= drawn
    assert seen == set(WORDS)  # every look was met, so each was checked both ways


def test_the_legend_of_the_first_steps_lists_no_gradient():
    dot = viz.to_dot(Stepper(sample("deep_mlp")), step=20)
    assert WORDS["backpropagated"] not in legend_words(dot) and WORDS["inactive"] not in legend_words(dot)
    assert legend_words(dot) == [WORDS["pending"], WORDS["computed"], WORDS["current"]]


def test_the_origin_legend_entry_comes_with_the_mark():
    st = Stepper(sample("nan_origin"))
    picture = Picture(st)
    for k in range(len(st)):
        dot = picture.dot(st.at(k))
        assert (theme.ORIGIN_BORDER in dot.split("\n", 2)[1]) == (theme.ORIGIN_LEGEND in dot), k


def test_every_step_of_a_small_picture_keeps_its_size_as_its_legend_changes():
    x = gs.tensor(2.0, name="x")
    loss = x * gs.param(3.0, name="w")
    for rankdir in ("LR", "TB"):
        picture = Picture(Stepper(loss), rankdir=rankdir)
        dots = [picture.dot(picture.state(k)) for k in range(len(picture.stepper))]
        assert len({tuple(legend_words(d)) for d in dots}) > 1    # the legends differ
        assert len({svg_size(svg) for svg in picture.step_svgs()}) == 1, rankdir


def amber_edges(picture, state):
    """The view's edges drawn in this step's colour."""
    dot = picture.dot(state)
    amber = {int(m) for m in re.findall(rf'color="{theme.EDGE_CURRENT}"[^\]]*id=e(\d+)_', dot)}
    return [picture.view.edges[i] for i in sorted(amber)]


def test_only_the_edge_the_step_uses_is_amber_into_a_fold():
    st = Stepper(sample("deep_mlp"))
    picture = Picture(st)
    fold = next(item for item in picture.view.items if item.kind == FOLD)
    for step in (20, len(st) - 10):  # inside block 3 going forwards, inside block 1 going backwards
        current = st.at(step).current
        assert current in fold.node_set
        edges = amber_edges(picture, st.at(step))
        assert all(any(c is current for c, _ in e.uses) for e in edges), step
        assert not any(e.dst is fold for e in edges)                          # relu_6 -> the fold is not used
    exit_index = next(i for i, e in enumerate(picture.view.edges) if e.src is fold)
    exit_line = next(ln for ln in picture.dot(st.at(20)).splitlines() if f"id=e{exit_index}_" in ln and "->" in ln)
    assert theme.EDGE_PENDING in exit_line and "dashed" in exit_line  # its output is not computed yet
    entry = next(e for e in picture.view.edges if e.dst is fold)
    first_use = st.find(entry.uses[0][0], "forward")                         # block 1's matmul reads it
    assert entry in amber_edges(picture, st.at(first_use))


def test_a_folded_box_value_row_agrees_with_its_progress():
    picture = Picture(Stepper(sample("deep_mlp")))
    fold = next(item for item in picture.view.items if item.kind == FOLD)
    line = next(ln for ln in picture.dot(picture.state(20)).splitlines() if ln.strip().startswith(fold.key + " ["))
    text = html.unescape(line).replace("\xa0", " ")
    done = re.search(r"(\d+)/(\d+) computed", text).groups()
    assert f"{done[0]} of {done[1]} computed" in text and "not computed yet" not in text.split("grad")[0]
    before = picture.dot(picture.state(0))
    assert " of 40 computed" not in before                                  # before the pass enters it


def test_a_caption_names_a_shared_name_by_its_scope():
    st = Stepper(sample("deep_mlp"))
    w3 = st.graph.node("block3/W")
    assert "at block3/W" in st.at(st.find(w3, "forward")).caption()
    assert st.at(0).caption().endswith(" at X")                             # a name of its own stays short
    w = gs.param([1.0, 2.0], name="w")
    with gs.scope("second"):
        v = gs.param([3.0, 4.0], name="w")
    loss = gs.sum(w * v)
    adam = Stepper(loss, optimizer=gs.optim.Adam([w, v], lr=0.01))
    assert "update · Adam second/w:" in adam.at(len(adam) - 1).caption()


def steps_data(page):
    return json.loads(re.search(r'<script id="steps-data" type="application/json">(.*?)</script>', page, re.S).group(1))


def test_the_player_titles_and_counts_its_update_phase_and_keys_each_steps_legend(tmp_path):
    two = sample("two_layer")
    st = Stepper(two, optimizer=gs.optim.Adam([n for n in two.graph().leaves if n.requires_grad], lr=0.01))
    path = tmp_path / "p.html"
    viz.export(st, str(path))
    page = path.read_text()
    title = re.search(r"<title>([^<]*)", page).group(1)
    assert title.startswith(f"{two.name}: forward, backward then update")
    assert f"{st.n_forward} forward + {st.n_backward} backward + {st.n_update} update steps" in page
    data = steps_data(page)
    assert len(data["steps"]) == st.n_forward + st.n_backward + st.n_update
    first, last = data["steps"][0]["looks"], data["steps"][-1]["looks"]
    assert "backpropagated" not in first and "pending" in first and "pending" not in last
    for key in set(first) | set(last):
        assert f'data-look="{key}"' in page


def test_an_update_of_zero_weights_says_no_ratio_once():
    from graphscope.stepper import explain
    w = gs.param([0.0, 0.0], name="w")
    loss = gs.sum(w * gs.tensor([1.0, 2.0], name="x"))
    st = Stepper(loss, optimizer=gs.optim.SGD([w], lr=0.1))
    info = explain.update_details(st.events[-1], loss)
    assert info["ratio"] == "n/a" and "no ratio" in info["ratio_verdict"]
