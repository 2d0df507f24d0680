"""A scope entered many times in a Python loop is drawn as one card of its calls, with the loop around it."""
import re

import numpy as np

import graphscope as gs
from graphscope import viz
from graphscope.viz.calls import CallsItem, call_count, repeated_scopes
from graphscope.viz.picture import Picture
from graphscope.viz.step_texts import value_text
from graphscope.viz.view import NODE


def loop_loss(n, odd=None):
    """A two-layer net applied to n samples one at a time in a loop (fc1 and fc2 entered n times); pass `odd`
    runs one more op."""
    rng = np.random.default_rng(0)
    W1 = gs.param(rng.normal(size=(4, 5)), name="W1")
    b1 = gs.param(rng.normal(size=(5,)), name="b1")
    W2 = gs.param(rng.normal(size=(5, 3)), name="W2")
    total = None
    for i in range(n):
        x = gs.tensor(rng.normal(size=(1, 4)), name=f"x{i}")
        with gs.scope("fc1"):
            h = gs.tanh(x @ W1 + b1)
        with gs.scope("fc2"):
            s = h @ W2
        if i == odd:
            s = gs.exp(s)
        term = gs.sum(s * s)
        total = term if total is None else total + term
    loss = total / n
    loss.name = "loss"
    return loss


def calls_items(view):
    return {item.title: item for item in view.items if isinstance(item, CallsItem)}


def label_text(dot, key):
    line = next(ln for ln in dot.splitlines() if re.match(rf"\s*{key} \[", ln))
    return re.sub(r"<[^>]*>", " ", line).replace("&#160;", " ")


def test_a_scope_entered_in_each_pass_of_a_loop_counts_its_calls():
    graph = loop_loss(5).graph()
    repeated = repeated_scopes(graph, 3)
    assert sorted(repeated) == ["fc1", "fc2"]
    assert [len(call) for call in repeated["fc1"]] == [3] * 5        # matmul, add, tanh each pass
    assert not repeated_scopes(graph, 6)


def test_the_loop_is_drawn_once_whatever_its_length():
    small, large = Picture(loop_loss(5)).view, Picture(loop_loss(60)).view
    assert len(small.items) == len(large.items) <= 12
    cards = calls_items(large)
    assert len(cards["fc1"].calls) == len(cards["fc2"].calls) == 60
    assert {"x", "sum", "mul", "add"} <= set(cards)                  # the inputs and ops of each pass too
    assert "fc1 (60 calls), fc2 (60 calls)" in large.note


def test_parallel_edges_between_cards_merge_into_one_with_their_count():
    view = Picture(loop_loss(8)).view
    cards = calls_items(view)
    (edge,) = [e for e in view.edges if e.src is cards["fc1"] and e.dst is cards["fc2"]]
    assert call_count(edge) == 8
    assert len({(e.src.key, e.dst.key) for e in view.edges}) == len(view.edges)
    labels = [ln for ln in viz.to_dot(loop_loss(8)).splitlines() if re.match(r"\s*l\d+ \[", ln)]
    assert any("\u00d7 8<" in ln for ln in labels)                 # the edge's label says how many it stands for


def test_a_card_says_which_call_it_shows_and_shows_the_last():
    loss = loop_loss(6)
    pic = Picture(loss)
    state = pic.state("final")
    card = calls_items(pic.view)["fc1"]
    last = card.calls[-1][-1]                                       # the tanh of the last pass
    text = label_text(pic.dot(state), card.key)
    assert "fc1 \u00d7 6 calls" in text and f"call 6 of 6 ({last.name})" in text
    first = value_text(state.value(card.calls[0][-1])).split("\n")[0]
    assert value_text(state.value(last)).split("\n")[0] in text and first not in text
    assert "grad rms/call" in text and "value mean/call" in text


def test_a_pass_that_differs_is_drawn_as_itself():
    view = Picture(loop_loss(9, odd=4)).view
    exps = [item for item in view.items if item.kind == NODE and item.node.op == "exp"]
    assert len(exps) == 1 and "fc1" in calls_items(view)


def test_no_fold_and_a_higher_fold_draw_every_call():
    loss = loop_loss(5)
    assert not calls_items(Picture(loss, fold=0).view)
    assert not calls_items(Picture(loss, fold=6).view)
    assert calls_items(Picture(loss, fold=5).view)


def test_the_rolled_picture_renders_small(tmp_path):
    path = tmp_path / "loop.svg"
    viz.export(loop_loss(100), str(path))
    width, height = (float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', path.read_text()).groups())
    assert width < 3000 and height < 2000


def test_every_step_of_a_rolled_loop_has_the_same_size():
    """The cards keep the room of their longest texts (the per-call rows too), so frames do not jump."""
    pic = Picture(loop_loss(6))
    st = pic.ensure_stepper()
    sizes = {re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', svg).groups()
             for svg in pic.step_svgs([0, 9, len(st) // 2, len(st) - 1])}
    assert len(sizes) == 1, sizes


def test_a_loop_carrying_its_state_through_cards_that_feed_each_other_is_drawn():
    """h = tanh(cell(h, x)) with tanh outside the scope: the cards 'cell' and 'tanh' feed each other (a cycle)."""
    from graphscope.viz.layout_cost import rank_span
    rng = np.random.default_rng(1)
    W = gs.param(rng.normal(size=(3, 3)), name="W")
    h = gs.tensor(np.zeros((1, 3)), name="h0")
    for i in range(5):
        x = gs.tensor(rng.normal(size=(1, 3)), name=f"x{i}")
        with gs.scope("cell"):
            z = h @ W + x
        h = gs.tanh(z)
    loss = gs.sum(h * h)
    pic = Picture(loss)
    cards = calls_items(pic.view)
    assert {"cell", "tanh"} <= set(cards)
    pairs = {(e.src.key, e.dst.key) for e in pic.view.edges}
    assert (cards["cell"].key, cards["tanh"].key) in pairs and (cards["tanh"].key, cards["cell"].key) in pairs
    assert rank_span(pic.view) >= 0
    assert "cell \u00d7 5 calls" in pic.svg(pic.state("final"))
