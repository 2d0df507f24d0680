"""The terminal UI at the sizes people use (80x24 up to 200x50): a matrix row is never broken over two lines in
the inspector, and the footer always shows the step and phase keys whole."""
import os
import re

import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.formatting import summary_line, value_lines
from graphscope.engine.graph import Graph
from graphscope.stepper import BACKWARD
from graphscope.tui import GraphscopeApp
from graphscope.tui.session import Session
from graphscope.tui.widgets.footer import PALETTE_KEY, KeyFooter
from graphscope.tui.widgets.inspector import TOO_WIDE_NOTE, Inspector, inspector_text
from graphscope.userfile import load_graph_file
from tui_apps import inspector_lines, settle

TWO_LAYER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples", "two_layer.py")
SIZES = [(80, 24), (100, 30), (120, 35), (200, 50)]


def two_layer_app():
    app = GraphscopeApp(load_graph_file(TWO_LAYER), "samples/two_layer.py", TWO_LAYER)
    app.cursor_blink = False
    return app


def matrices_shown(session):
    """Every listed matrix (more than one row) the inspector shows at the session's step: the node's value, the
    upstream gradient, and per input the contribution, the accumulated gradient and the local Jacobian."""
    event = session.stepper.event
    values = [session.state.value(event.node), getattr(event, "upstream", None)]
    for edge in getattr(event, "edges", None) or ():
        if edge.needs_grad:
            values += [edge.contribution, edge.accumulated, edge.local_matrix()]
    return [v for v in values if v is not None and len(value_lines(v)) > 1]


def whole_rows(lines, value):
    """'rows' when every row of `value` stands whole on one line, 'summary' when the value is summarized instead,
    None when a row is broken (or missing)."""
    if all(any(row.strip() in line for line in lines) for row in value_lines(value)):
        return "rows"
    return "summary" if any(summary_line(value) in line for line in lines) else None


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_no_matrix_row_is_broken_over_two_lines_at_any_backward_step(size):
    app = two_layer_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("f", "n")
        await settle(pilot)
        st = app.session.stepper
        listed = 0
        while st.event.phase == BACKWARD:
            lines = inspector_lines(app)
            shown = [whole_rows(lines, v) for v in matrices_shown(app.session)]
            assert None not in shown, (st.step, lines)
            upstream = st.event.upstream
            if len(value_lines(upstream)) > 1 and whole_rows(lines, upstream) == "rows":  # a 4x3 gradient, by rows
                listed += 1
            if st.at_end:
                break
            await pilot.press("n")
            await settle(pilot)
        assert listed >= 2  # scores and matmul_9 (both 4x3) were listed, not summarized


async def test_the_inspector_lays_its_text_out_again_when_the_terminal_is_resized():
    app = two_layer_app()
    async with app.run_test(size=(240, 50)) as pilot:  # the graph's 146 columns leave the inspector its 70
        await pilot.press("f", "n", "n")  # backward at scores, a 4x3 value
        await settle(pilot)
        wide = inspector_lines(app)
        assert any(line.startswith("value  [[") for line in wide)  # the rows beside their name
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        narrow = inspector_lines(app)
        assert "value" in narrow  # the name alone, its rows under it
        assert all(whole_rows(narrow, v) == "rows" for v in matrices_shown(app.session))
        assert max(len(line) for line in narrow) <= app.screen.query_one(Inspector).text_width()


def test_a_matrix_too_wide_for_the_pane_is_summarized_in_the_one_notation():
    W = gs.param(np.array([[-1.25e-05, 0.0456, -3.5, 1234.5, 0.5, -0.25],
                           [2.0, -0.001, 7.75, -0.5, 1e-3, 3.0]]), name="W")
    loss = gs.sum(W * W)
    session = Session(Graph(loss))
    widest = max(len(row) for row in value_lines(W.value))
    narrow = inspector_text(session, width=widest - 1).plain
    assert f"value  {summary_line(W.value)}{TOO_WIDE_NOTE}" in narrow.splitlines()
    wide = inspector_text(session, width=widest + 10).plain  # room for the rows under the name: listed
    assert all(row.strip() in wide for row in value_lines(W.value))


def footer_keys(app):
    """(key, description, region) of each footer key shown, in order; the palette's key last."""
    footer = app.screen.query_one(KeyFooter)
    keys = [k for k in footer.query("FooterKey") if k.display and k.parent.display]
    return footer, keys


@pytest.mark.parametrize("width", [80, 120, 200])
async def test_the_footer_shows_the_step_and_phase_keys_whole(width):
    app = two_layer_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        footer, keys = footer_keys(app)
        shown = {k.key for k in keys}
        for key in ("left", "right", "f", "b", "question_mark", "q", "ctrl+p"):
            assert key in shown or key.replace("left", "p").replace("right", "n") in shown, (key, shown)
        palette = next(k for k in keys if k.has_class(PALETTE_KEY))
        for k in keys:
            assert k.region.width > 0 and k.region.right <= width  # on screen, whole
            if k is not palette:
                assert k.region.right <= palette.region.x  # never under the palette's key
        if width >= 120:  # room for every key the screen shows
            assert {"l", "r"} <= shown and not footer.compact


async def test_the_footer_behind_a_dialog_shows_no_cut_key():
    app = two_layer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        await pilot.press("question_mark")  # the main screen's footer is composed again behind the help
        await settle(pilot)
        await pilot.pause(0.2)
        keys = [k for k in footer.query("FooterKey") if k.display and k.parent.display]
        palette = next(k for k in keys if k.has_class(PALETTE_KEY))
        assert all(k.virtual_region.right <= palette.virtual_region.x for k in keys if k is not palette)
        assert {"f", "b", "question_mark", "q"} <= {k.key for k in keys}



async def test_after_the_go_to_box_the_footer_shows_no_cut_key():
    """The palette holds the main screen out of layout for as long as it is open: the footer composed again behind it
    measures its keys when the screen comes back (a cut 'r train' left its 't' in the last cell)."""
    app = two_layer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause(0.3)
        await pilot.press("b", "1")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        footer, keys = footer_keys(app)
        palette = next(k for k in keys if k.has_class(PALETTE_KEY))
        assert all(k.region.right <= palette.region.x for k in keys if k is not palette), [k.key for k in keys]
        assert {"f", "b", "question_mark", "q"} <= {k.key for k in keys}
        assert app.screen.query_one("#status").render().plain.split(" · ")[2] == "b1"

async def test_the_footer_gives_its_keys_back_when_the_terminal_widens():
    app = two_layer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "r" not in {k.key for k in footer_keys(app)[1]}
        await pilot.resize_terminal(200, 24)
        await settle(pilot)
        await settle(pilot)
        assert "r" in {k.key for k in footer_keys(app)[1]}


def test_footer_words_are_short_and_the_help_says_them_in_full():
    from graphscope.tui.screens.help import full_words, keys_text
    from graphscope.tui.screens.main import MainScreen
    text = re.sub(r"\[/?b\]", "", keys_text(MainScreen.BINDINGS))
    for b in MainScreen.BINDINGS:
        assert full_words(b) in text
        if b.show:
            assert len(b.description) <= 15, b  # a footer word


def test_a_long_row_is_cut_between_its_entries_as_numpy_cuts_it():
    from graphscope.engine.formatting import summarize_value
    from graphscope.tui.widgets.inspector import wrapped
    row = summarize_value(np.array([[0.0866, -0.171, 0.084, 0.0831, 0.0835, -0.167, 0.103, -0.176, 0.0725, -0.157,
                                     0.0948, 0.0621]]))
    lines = wrapped(row, 30)
    assert len(lines) > 1 and all(len(line) <= 30 for line in lines)
    assert all(line.startswith("  ") and not line.startswith("   ") for line in lines[1:])  # past the '[['
    assert all(line.endswith(",") for line in lines[:-1])
    assert " ".join(line.strip() for line in lines) == row  # every entry whole, in order
