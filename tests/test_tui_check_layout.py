"""The TUI's check results at the sizes people use: each worst entry of a failing check stands whole on one line of
the inspector, indented under its input; check notifications replace each other and stay over the graph pane (never
over the inspector or the tape), the checks scrolled to the inspector's top; a terminal too small for graphscope gets
one centred message, q quits there, and the screen comes back when the terminal grows."""
import os
import sys

import numpy as np
import pytest
from textual.widgets._toast import Toast, ToastRack

from graphscope.engine.gradcheck_report import Entry
from graphscope.tui.screens.main import MainScreen
from graphscope.tui.screens.too_small import MIN_SIZE, TooSmallScreen
from graphscope.tui.session import Session
from graphscope.tui.widgets.check_texts import ENTRY_TITLES, entry_cells, entry_lines
from graphscope.tui.widgets.footer import KeyFooter
from graphscope.tui.widgets.inspector import Inspector

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tui_apps import inspector_lines, settle, wrong_matmul_app  # noqa: E402

SIZES = [(80, 24), (100, 30), (120, 35), (200, 50)]
HEADINGS = ("gradient check: ", "a (input 0, 4x4): ", "b (input 1, 4x4): ", "check all (C): ")


def toasts(app):
    return list(app.screen.get_child_by_type(ToastRack).query(Toast))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_each_worst_entry_of_a_failing_check_stands_whole_on_one_line_under_its_input(size):
    app = wrong_matmul_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press("C")  # goes to h, whose VJP is wrong for a
        await settle(pilot)
        check = app.session.checks[app.session.node]
        worst = check.inputs[0].worst[:3]
        assert app.session.node.name == "h" and check.status == "FAIL" and len(worst) == 3
        lines = inspector_lines(app)
        width = app.screen.query_one(Inspector).text_width()
        assert max(len(line) for line in lines) <= width
        start = lines.index("gradient check: FAIL")
        titles = next(k for k in range(start, len(lines)) if lines[k].split() == " ".join(ENTRY_TITLES).split())
        for k, entry in enumerate(worst, start=titles + 1):  # one entry a line, in order, each figure whole
            assert lines[k].split() == " ".join(entry_cells(entry)).split(), lines[k]
            assert lines[k].startswith("  [") and not lines[k].startswith("   ")  # under its input's name
        for line in lines[start:]:  # nothing but a heading starts at column 0
            assert not line or line.startswith(" ") or line.startswith(HEADINGS), line


def test_an_entry_table_too_wide_for_the_pane_cuts_each_entry_only_between_its_figures():
    entries = [Entry((10, 12), -1.23456e-05, 7.5e-05, 8.2e-05, 1.16, "fail"),
               Entry((3, 0), 1.5, -2.25, 3.75, 1.7, "fail")]
    wide, titled = entry_lines(entries, width=None)
    assert titled and len(wide) == 3 and all(f in wide[1] for f in entry_cells(entries[0]))
    narrow, titled = entry_lines(entries, width=24)
    assert not titled and all(len(line) <= 24 for line in narrow)
    firsts = [k for k, line in enumerate(narrow) if line.startswith("  [")]
    assert len(firsts) == 2  # each entry starts a line of its own ...
    assert all(line.startswith("    ") for k, line in enumerate(narrow) if k not in firsts)  # ... the rest indented
    text = " ".join(narrow)
    for entry in entries:  # every figure whole
        where, analytic, numerical, rel = entry_cells(entry)
        assert where in text and f"analytic {analytic}," in text and f"numerical {numerical}," in text
        assert f"rel err {rel}" in text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_check_notifications_replace_each_other_over_the_graph_with_the_checks_atop_the_inspector(size):
    app = wrong_matmul_app()
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.press("f", "n", "n", "n", "c", "p", "c", "C")  # h's step, t's, and check-all
        await settle(pilot)
        await pilot.pause(0.2)
        shown = toasts(app)
        assert len(shown) == 1 and shown[0]._notification.title == "gradient check: FAILED"
        toast = shown[0].region
        inspector = app.screen.query_one(Inspector)
        graph = app.screen.query_one("#graph").region
        tape = app.screen.query_one("#tape").region
        assert graph.x <= toast.x and toast.right <= graph.right and toast.bottom <= graph.bottom
        assert not toast.overlaps(tape) and not toast.overlaps(inspector.region)
        # the checks scrolled into view: at the inspector's top, or as high as the text's end lets them
        row = inspector.region.y + inspector.checks_line - inspector.scroll_offset.y
        assert inspector.region.y <= row < inspector.region.bottom
        assert row == inspector.region.y or inspector.scroll_offset.y == inspector.max_scroll_y
        assert inspector_lines(app)[inspector.checks_line] == "gradient check: FAIL"


async def test_a_terminal_too_small_says_so_and_the_screen_comes_back_when_it_grows():
    app = wrong_matmul_app()
    async with app.run_test(size=(40, 10)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TooSmallScreen)
        said = str(app.screen.query_one("#too-small").render())
        assert said.startswith("terminal too small: 40 x 10, graphscope needs at least 80 x 20")
        await pilot.resize_terminal(100, 19)
        await settle(pilot)
        assert "terminal too small: 100 x 19," in str(app.screen.query_one("#too-small").render())
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and len(app.screen_stack) == 2  # the default screen, then ours
        keys = {k.key for k in app.screen.query_one(KeyFooter).query("FooterKey") if k.display and k.parent.display}
        assert {"f", "b", "q"} <= keys
        await pilot.press("n")  # it steps again
        await settle(pilot)
        assert app.session.step == 1
        assert max(len(line) for line in inspector_lines(app)) <= app.screen.query_one(Inspector).text_width()


async def test_q_quits_a_terminal_too_small():
    app = wrong_matmul_app()
    async with app.run_test(size=(40, 10)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert not app.is_running and app.return_code == 0


@pytest.mark.parametrize("size,small", [((80, 24), False), ((80, 20), False), ((79, 24), True), ((80, 19), True)],
                         ids=lambda v: f"{v[0]}x{v[1]}" if isinstance(v, tuple) else str(v))
async def test_80x24_and_80x20_are_big_enough(size, small):
    app = wrong_matmul_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TooSmallScreen) == small
    assert (MIN_SIZE.width, MIN_SIZE.height) == (80, 20)


def test_check_alls_report_is_forgotten_when_a_leaf_is_edited():
    app = wrong_matmul_app()
    session = app.session
    with np.errstate(all="ignore"):
        result = session.check_all()
    assert session.graph_check is result and result.failed
    session.edit_leaf(session.graph.node("a"), repr(np.eye(4).tolist()))
    assert session.graph_check is None and not session.checks


def test_a_session_without_checks_shows_none():
    session = Session(wrong_matmul_app().session.graph)
    from graphscope.tui.widgets.inspector import checks_text
    assert checks_text(session, 40).plain == ""


async def test_every_notification_replaces_the_last_one_on_any_screen():
    app = wrong_matmul_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("t", "t", "exclamation_mark")  # predict mode on, off, then 'no NaN or infinity'
        await settle(pilot)
        await pilot.pause(0.2)
        assert [t._notification.title for t in toasts(app)] == ["no NaN or infinity"]
        for k in range(3):  # as the training screen tells them
            app.notify(f"training is running: s stops it ({k})")
        await settle(pilot)
        await pilot.pause(0.2)
        assert [t._notification.message for t in toasts(app)] == ["training is running: s stops it (2)"]
