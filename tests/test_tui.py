"""The terminal UI driven with Pilot: every key of the main screen, the dialogs, the palette and the tape.

Each test asserts what the screen shows (the status line, the inspector, the
tape, the graph view's labels), not only the stepper's cursor.
"""
import os
import sys

import numpy as np
import pytest

from graphscope.tui import GraphscopeApp
from graphscope.tui.screens.dialogs import AskDialog, MessageDialog
from graphscope.tui.screens.help import HelpScreen, full_words
from graphscope.tui.screens.main import MainScreen
from graphscope.tui.widgets.graphview import GraphView
from graphscope.tui.widgets.tape import Tape
from graphscope.userfile import load_graph_file
from tui_apps import settle

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
SIZE = (100, 30)
if os.path.dirname(SAMPLES) not in sys.path:
    sys.path.insert(0, os.path.dirname(SAMPLES))  # the benchmarks' graph builders


def sample_app(name):
    path = os.path.join(SAMPLES, name)
    with np.errstate(all="ignore"):  # nan_origin.py makes its NaN on purpose
        graph = load_graph_file(path)
    app = GraphscopeApp(graph, name, path)
    app.cursor_blink = False
    return app


def status(app):
    return str(app.screen.query_one("#status").render())


def inspector(app):
    return str(app.screen.query_one("#inspector-body").render())


def tape_rows(app):
    tape = app.screen.query_one(Tape)
    lines = [tape.render_line(y).text for y in range(tape.scrollable_content_region.height)]
    return [line for line in lines if line.strip()]


async def test_next_prev_home_end_move_the_step_and_the_screen_follows():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert status(app).startswith("forward · step 0/9 · x")
        await pilot.press("n", "right")
        await settle(pilot)
        assert status(app).startswith("forward · step 2/9 · q")  # z is fed after q, just before f
        assert "value  3" in inspector(app)
        await pilot.press("p")
        await settle(pilot)
        assert status(app).startswith("forward · step 1/9 · y")
        await pilot.press("left")
        await settle(pilot)
        assert app.session.step == 0
        await pilot.press("end")
        await settle(pilot)
        assert status(app).startswith("backward · step 9/9")
        assert "leaf: gradient complete" in " ".join(inspector(app).split())  # the heading wraps under itself
        await pilot.press("home")
        await settle(pilot)
        assert status(app).startswith("forward · step 0/9")


async def test_phase_end_keys_jump_to_the_end_of_each_phase():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        await settle(pilot)
        assert status(app).startswith("forward · step 4/9 · f")
        await pilot.press("b")
        await settle(pilot)
        assert status(app).startswith("backward · step 9/9")


async def test_backward_step_reads_upstream_times_local_equals_contribution():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        app.session.goto(7)  # backward at q = x + y, upstream df/dq = z = -4
        app.screen.moved()
        await settle(pilot)
        text = inspector(app)
        assert "upstream  df/dq = -4" in text
        assert "-4 × 1 = -4" in text
        assert "df/dx = -4" in text and "(complete)" in text
        tape = app.screen.query_one(Tape)
        assert tape.nodes[tape.cursor_row].name == "q"  # the tape's highlighted row
        assert "q" in [r.split()[2] for r in tape_rows(app)[1:]]


async def test_go_to_node_searches_names_in_the_palette():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert status(app).startswith("forward · step 2/9 · q")


async def test_first_nonfinite_goes_to_the_node_that_made_it():
    app = sample_app("nan_origin.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("exclamation_mark")
        await settle(pilot)
        origin = app.session.graph.find_nonfinite()
        assert origin is not None
        assert f" · {origin.node.name}" in status(app)


async def test_check_this_node_shows_the_gradient_check_in_the_inspector():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        app.session.goto(2)  # q
        await pilot.press("c")
        await settle(pilot)
        assert "gradient check: ok" in inspector(app)
        assert "max relative error" in inspector(app)


async def test_check_all_jumps_to_the_first_failing_node():
    app = sample_app("wrong_backward.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        await settle(pilot)
        bad = app.session.checks and next(r for r in app.session.checks.values() if not r.ok)
        assert bad, "the sample has a wrong backward"
        assert f" · {app.session.node.name}" in status(app)
        assert "gradient check: FAIL" in inspector(app)


async def test_editing_a_leaf_recomputes_what_depends_on_it():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")  # at step 0: x = -2
        await settle(pilot)
        assert isinstance(app.screen, AskDialog)
        inp = app.screen.query_one("#dialog-input")
        inp.value = "1.0"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("f")  # f = (x + y) z = (1 + 5)(-4) = -24
        await settle(pilot)
        assert "value  -24" in inspector(app)
        assert any(r.split()[2] == "f" and "-24" in r for r in tape_rows(app)[1:])


async def test_editing_an_op_node_says_only_leaves_can_be_edited():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f", "e")
        await settle(pilot)
        assert isinstance(app.screen, MessageDialog)
        assert "go to a leaf" in str(app.screen.query_one("#dialog-message").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_a_bad_edit_shows_in_a_dialog_not_a_traceback():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#dialog-input").value = "[1, 2]"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageDialog)
        assert "has shape ()" in str(app.screen.query_one("#dialog-message").render())


async def test_export_writes_the_current_step_as_svg(tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    from graphscope.viz import have_dot
    if not have_dot():
        pytest.skip("Graphviz's dot is not installed")
    monkeypatch.chdir(tmp_path)
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "n", "s")
        await settle(pilot)
    svg = tmp_path / "graphscope-step2-q.svg"
    assert svg.exists() and "<svg" in svg.read_text()


async def test_collapsing_a_scope_draws_it_as_one_box_and_expanding_brings_it_back():
    app = sample_app("two_layer.py")
    async with app.run_test(size=SIZE) as pilot:
        st = app.session.stepper
        node = next(n for n in app.session.graph.nodes if n.scope)
        app.session.goto_node(node)
        await pilot.press("o")
        await settle(pilot)
        view = app.screen.query_one(GraphView)
        box = f"{node.scope.rsplit('/', 1)[-1]} [+]"
        assert box in view.labels.values()
        await pilot.press("o")
        await settle(pilot)
        assert box not in view.labels.values()
        assert st.step == app.session.step


async def test_predict_mode_asks_before_a_backward_step_and_judges_the_guess():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        app.session.goto(6)  # z's gradient complete; next: backward at q (local dq/dx = 1)
        await pilot.press("t")
        await settle(pilot)
        assert "predict mode" in status(app)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, AskDialog)
        prompt = str(app.screen.query_one("#dialog-message").render())
        assert prompt.endswith("local gradient dq/dx = ?")  # d(x + y)/dx = 1 reads no number
        assert "x = -2" not in prompt and "y = 5" not in prompt
        app.screen.query_one("#dialog-input").value = "2"
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.step == 7
        assert app.screen.verdict.text() == "not quite: it is 1, you said 2 (off by 1)\nd(x+y)/dx = 1"
        assert "× 1 = -4" in inspector(app)


async def test_help_lists_every_key():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(app.screen.query_one("#help Static").render()).split())  # a long row wraps
        for b in MainScreen.BINDINGS:
            assert full_words(b) in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_the_palette_holds_every_binding():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for b in MainScreen.BINDINGS:
            assert full_words(b).capitalize() in titles
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"end of backward")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert status(app).startswith("backward · step 9/9")


async def test_choosing_a_tape_row_moves_the_cursor():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one(Tape).focus()
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
        assert status(app).startswith("forward · step 3/9 · z")  # the rows go in the walk's order: row 3 is step 3
        assert [n.name for n in app.screen.query_one(Tape).nodes] == ["x", "y", "q", "z", "f"]


async def test_q_quits():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == 0 and not app.is_running


async def test_a_large_graph_is_laid_out_by_layers_and_draws_only_its_window():
    from bench.bench_stepper import mlp_graph
    graph = mlp_graph(2_000, sizes=(2, 4, 4, 1))
    app = GraphscopeApp(graph, "big")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.screen.query_one(GraphView)
        for _ in range(200):  # laid out in a thread: wait for it (at most about 10 s)
            if view.layout_ is not None:
                break
            await pilot.pause(0.05)
        assert view.layout_.engine == "layers"
        assert view.virtual_size.height > view.size.height
        await pilot.press("end")
        await settle(pilot)
        assert status(app).startswith(f"backward · step {len(app.session.stepper) - 1}/")


async def test_clicking_a_box_in_the_graph_goes_to_that_node():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.screen.query_one(GraphView)
        node = app.session.graph.node("z")
        box = view.box_of(node)
        x0, y0 = view.origin  # the layout's coordinates at the pane's corner (a small graph is centred)
        await pilot.click(GraphView, offset=(box.x + 2 - x0, box.mid_y - y0))
        await settle(pilot)
        assert status(app).startswith("forward · step 3/9 · z")


def test_the_tape_never_shows_a_number_cut_short_at_its_right_edge():
    from graphscope.tui.widgets.tape import window
    line = "4  b1  param  mean=1.66e-05 std=0.00229  32x50"
    assert window(line, 0, 26) == "4  b1  param  …".ljust(26)  # the cut number is not shown
    assert window(line, 0, len(line)) == line
    assert window(line, 0, 34) == "4  b1  param  mean=1.66e-05 …".ljust(34)
    assert window(line, 3, 10) == "b1  param ".ljust(10)  # ends at a space: nothing cut


async def test_a_dialog_opens_with_no_notification_lying_over_it():
    """Predict mode's 'not quite' note, still on screen when the next question opens, would cover its box."""
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        app.notify("not quite: it is 0.196612, you said 0.25 (off by 0.0533881)", timeout=30)
        await settle(pilot)
        assert list(app._notifications)
        app.push_screen(AskDialog("Predict the local gradient", "dq/dx = ?"))
        await settle(pilot)
        assert isinstance(app.screen, AskDialog) and not list(app._notifications)
