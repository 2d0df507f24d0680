"""The graph pane's boxes say what they are without colour: a failed box (its VJP failed its check, or it made the
first NaN or infinity) has a double border of its own, in the error colour; a box whose gradient is not computed
yet is dashed in the backward pass as its value is in the forward one; the numbers in a box are the tape's."""
import numpy as np

import graphscope as gs
from graphscope.engine.graph import Graph
from graphscope.engine.formatting import summarize_value
from graphscope.tui import GraphscopeApp
from graphscope.tui import colours
from graphscope.viz import theme
from graphscope.tui.widgets.graphview import DASHED, DOUBLE, THICK, THIN, GraphView
from tui_apps import sample_app, settle


def box_rows(app, name):
    """The rows the graph pane draws for the box of node `name` at the step shown (wherever the pane is scrolled):
    [(text, styles)], its border included."""
    view = app.screen.query_one(GraphView)
    box = view.box_of(app.session.graph.node(name))
    rows = []
    for strip in view._draw(box.x, box.y, box.w, box.h):
        cells = [(ch, seg.style) for seg in strip for ch in seg.text]
        rows.append(("".join(c for c, _ in cells), [s for _, s in cells]))
    return rows


def named(app, op):
    """The name of the graph's node of op `op` (auto names carry global ids)."""
    return next(n.name for n in app.session.graph.nodes if n.op == op)


def border(app, name):
    """The characters of a box's top-left corner and its top edge."""
    top = box_rows(app, name)[0][0]
    return top[0] + top[1]


async def test_a_node_that_failed_its_check_gets_the_double_red_border_at_every_step():
    app = sample_app("wrong_backward.py", colours="mono")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("C")
        await settle(pilot)
        for step in (42, 0, len(app.session.stepper) - 1):
            app.session.goto(step)
            app.screen.query_one(GraphView).show_step()
            await settle(pilot)
            assert border(app, named(app, "swish")) == DOUBLE[0] + DOUBLE[4], step
    coloured = sample_app("wrong_backward.py")
    async with coloured.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")  # the first step's node: not the swish
        await settle(pilot)
        node = coloured.session.graph.node(named(coloured, "swish"))
        coloured.session.goto(coloured.session.stepper.find(node, "backward"))
        await pilot.press("c")
        await pilot.press("n")
        await settle(pilot)
        rows = box_rows(coloured, named(coloured, "swish"))
        assert rows[0][0][0] == DOUBLE[0]
        assert rows[0][1][0].color.name == theme.ORIGIN_BORDER
        assert all(s.bgcolor is None or s.bgcolor.name != colours.GRAD_FILL for s in rows[1][1])


async def test_the_first_nonfinite_origin_gets_the_double_border_from_the_first_step():
    app = sample_app("nan_origin.py", colours="mono")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for step in (0, len(app.session.stepper) - 1):
            app.session.goto(step)
            app.screen.query_one(GraphView).show_step()
            await settle(pilot)
            assert border(app, named(app, "log")) == DOUBLE[0] + DOUBLE[4], step
            assert DOUBLE[0] not in border(app, "loss")


async def test_without_colour_backward_pending_boxes_are_dashed_and_done_ones_solid():
    app = sample_app("chain_rule.py", colours="mono")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f")
        await pilot.press("n", "n")
        await settle(pilot)
        state, current = app.session.state, app.session.node
        kinds = {}
        for node in app.session.graph.nodes:
            if node is current:
                continue
            corner, edge = border(app, node.name)
            status = state.look(node)
            kinds.setdefault(status, set()).add(edge)
        assert kinds["computed"] == {DASHED[4]}  # gradient not computed yet
        assert kinds["backpropagated"] == {THIN[4]}
        assert border(app, current.name)[1] == THICK[4]


def six_entries_app():
    """The TUI on mean((a * w) ** 2) with a = [[1 .. 6]]: a's value reads [[1, 2, 3, 4, 5, 6]] (mean 3.5, std 1.71)."""
    a = gs.param(np.arange(1.0, 7.0).reshape(1, 6), name="a")
    w = gs.param(np.full((1, 6), 0.5), name="w")
    p = a * w
    p.name = "p"
    loss = gs.mean(p * p)
    loss.name = "loss"
    app = GraphscopeApp(Graph(loss), "six entries")
    app.cursor_blink = False
    return app


async def test_boxes_write_their_numbers_as_the_tape_does_when_they_have_the_room():
    app = six_entries_app()
    async with app.run_test(size=(200, 55)) as pilot:
        await pilot.press("end", "w")  # wide mode: the graph takes the inspector's columns
        await settle(pilot)
        view = app.screen.query_one(GraphView)
        assert view.detailed
        rows = {name: [" ".join(text.strip("│┃┆║ ").split()) for text, _ in box_rows(app, name)]
                for name in ("a", "p", "loss")}
        assert "value [[1, 2, 3, 4, 5, 6]]" in rows["a"]  # was 'value mean=4 std=2'
        assert "grad mean=0.292 std=0.142" in rows["a"]  # too long listed: the tape's mean/std, 3 digits
        loss = app.session.graph.node("loss")
        assert "value " + summarize_value(loss.value) in rows["loss"]
        assert "value [[0.5, 1, 1.5, 2, 2.5, 3]]" in rows["p"]
