"""One rule for what a picture writes out and one summary: captions, cards, edges and the player's panel agree."""
import os
from html import unescape

import numpy as np

from graphscope.stepper import Stepper, explain
from graphscope.stepper.notation import call_words, drawn, value_line, value_lines, written_out
from graphscope.userfile import build_output
from graphscope.viz import Picture
from graphscope.viz.player import listed_rows, player_html

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sample(name, builder="build"):
    return build_output(os.path.join(ROOT, "samples", f"{name}.py") + (f":{builder}" if builder != "build" else ""))


def dot_texts(dot):
    """The words a DOT source shows, spaces as spaces."""
    return unescape(dot).replace("\xa0", " ")


def test_a_backward_caption_on_small_vectors_writes_their_numbers():
    st = Stepper(sample("neuron"))
    step = st.find("dot", "backward")
    story = explain.backward_story(st[step])
    assert "to w" in story and "2 [-0.197, -0.393]" in story and "2 [0.393, -0.59]" in story
    assert "mean=" not in story
    text = dot_texts(Picture(st).dot(st.at(step)))
    assert "→ 2 [-0.197, -0.393]" in text and "← [-0.197, -0.393]" in text  # caption and edge: the same numbers


def test_an_indexing_node_reads_as_its_index():
    st = Stepper(sample("neuron", "build_gates"))
    node = next(n for n in st.graph.nodes if n.op == "getitem" and n.inputs[0].name == "x" and n.attrs["index"] == 1)
    assert call_words(node) == f"{node.name} = x[1]"
    state = st.at(st.find(node, "backward"))
    assert f"at {node.name} = x[1]" in state.caption()
    text = dot_texts(Picture(st).dot(state))
    assert "<I>x[1]</I>" in text and "2 [0, -0.59]" in text and "mean=" not in text


def test_one_rule_writes_a_small_matrix_out_everywhere():
    grad = np.arange(15.0).reshape(5, 3) / 7                           # W2's 5x3 gradient in two_layer
    assert written_out(grad) and written_out(np.zeros((1, 12))) and written_out(np.zeros(12))
    assert written_out(np.zeros((3, 5))) and written_out(np.zeros((4, 4)))
    assert not written_out(np.zeros((16, 4))) and not written_out(np.zeros(13)) and not written_out(np.zeros((4, 5)))
    assert not written_out(np.zeros((2, 8))) and not written_out(np.zeros((2, 2, 4)))
    lines = value_lines(grad)
    assert len(lines) == 5 and lines[0].startswith("[[0, ") and lines[1].startswith(" [0.429, ")  # a row a line
    assert value_line(grad).startswith("[[0, 0.143, 0.286], [0.429,")
    st = Stepper(sample("two_layer"))
    w2 = next(n for n in st.graph.nodes if n.name == "W2")
    text = dot_texts(Picture(st).dot(st.final()))
    assert value_lines(st.final().grad(w2))[0] in text                 # the card lists W2's gradient by rows
    assert w2.shape == (5, 3)


def test_the_same_tensor_is_written_the_same_in_card_edge_and_caption():
    noise = np.r_[1e-18, np.linspace(-0.1, 0.1, 12)]
    assert value_line(noise) == "mean\u22480 std=0.0603" and drawn(value_line(noise)) == "mean=0 std=0.0603"
    st = Stepper(sample("two_layer"))
    pic = Picture(st)
    for k in range(st.n_forward, len(st)):
        text = dot_texts(pic.dot(st.at(k)))
        assert "\u2248" not in text, k                                   # one notation: never 'mean≈0' beside 'mean=0'
    html = player_html(pic)
    assert "\\u2248" not in html and "\u2248" not in html                 # nor in the player's panel


def test_the_player_keeps_a_one_row_local_jacobian_on_one_line():
    st = Stepper(sample("two_layer"))
    rows = listed_rows(st.events)
    one_row = [lines for text, lines in rows.items() if text.startswith("[[") and len(lines) == 1]
    assert one_row, "a 1x12 local Jacobian row is laid out as a row"
    assert all(line.count(",") >= 1 for lines in one_row for line in lines)


def test_an_optimizer_changes_neither_the_layout_nor_the_forward_and_backward_cards():
    import graphscope as gs
    from graphscope.viz.picture import svg_size
    plain = Picture(Stepper(sample("two_layer")))
    out = sample("two_layer")
    params = [n for n in out.graph().nodes if n.requires_grad and n.op_def is None and n.role == "param"]
    adam = Picture(Stepper(out, optimizer=gs.optim.Adam(params, lr=0.01)))
    assert (adam.rankdir, adam.rows) == (plain.rankdir, plain.rows)
    st = adam.stepper
    for k in (3, st.n_forward + 2, st.n_forward + st.n_backward - 1):
        assert svg_size(adam.svg(st.at(k))) == svg_size(plain.svg(plain.stepper.at(k))), k
        assert ">before<" not in adam.svg(st.at(k)) and ">m<" not in adam.svg(st.at(k))  # no update rows yet
    update = adam.svg(st.at(st.n_forward + st.n_backward))
    assert ">before<" in update and ">m<" in update and ">v<" in update  # the update phase shows them


def test_the_vanishing_gradients_picture_shows_each_layers_gradient():
    """build_small's 10 tanh layers fold into one box; its 'grad std/block' row gives each layer's gradient std,
    and it vanishes toward the input (layer 1's is far below layer 10's); build_large's grows instead."""
    from graphscope.viz.step_texts import block_outputs
    from graphscope.viz.summaries import entry
    from graphscope.viz.view import FOLD
    for builder, vanishes in (("build_small", True), ("build_large", False)):
        out = build_output(os.path.join(ROOT, "samples", "vanishing_gradients.py") + f":{builder}")
        pic = Picture(out)
        state = pic.state("final")
        fold = next(item for item in pic.view.items if item.kind == FOLD)
        assert fold.blocks == 10
        stds = [entry(state.grad(n), scalar=False) for n in block_outputs(fold)]
        assert len(stds) == 10
        assert (stds[0] < 1e-3 * stds[-1]) if vanishes else (stds[0] > 10 * stds[-1]), (builder, stds)
        text = dot_texts(pic.dot(state))
        assert "grad std/block" in text and f"{stds[0]:.1e}" in text


def test_grouping_by_layer_wraps_into_rows_that_fit_a_slide():
    from graphscope.viz.picture import svg_size
    for name in ("deep_mlp", "fc_net"):
        pic = Picture(sample(name), depth=0)
        width, height = svg_size(pic.svg(pic.state("final")))
        assert pic.rows > 1 and width / height < 2.5, (name, width, height)


def test_a_folded_parameters_update_shows_its_numbers_and_its_name_once():
    import graphscope as gs
    from graphscope.stepper import UPDATE
    from graphscope.viz.view import FOLD
    out = sample("batchnorm")
    params = [n for n in out.graph().nodes if n.op_def is None and n.requires_grad and n.role == "param"]
    st = Stepper(out, optimizer=gs.optim.Adam(params, lr=0.01))
    pic = Picture(st)
    w = next(n for n in st.graph.nodes if n.name == "fc3.W")
    assert pic.view.item_of[w].kind == FOLD
    state = st.at(st.find(w, UPDATE))
    ev = st[st.find(w, UPDATE)]
    text = dot_texts(pic.dot(state))
    assert "> fc3.W " in text and "fc3/fc3.W" not in text
    for number in (value_line(ev.value_after), value_line(ev.delta), value_line(ev.state_after["m"])):
        assert drawn(number) in text, number
    # elsewhere the box keeps the room (no jump from step to step) but shows none of fc3.W's numbers
    other = dot_texts(pic.dot(st.at(st.find(next(n for n in st.graph.nodes if n.name == "fc1.W"), UPDATE))))
    assert drawn(value_line(ev.delta)) not in other
