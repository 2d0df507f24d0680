"""Four things a first user of the TUI met: c's notification beside (never over) the node it is about; predict
mode's verdict leading with a right answer when the op's own VJP is wrong; the layer screen's reason for a ratio it
cannot give after an optimizer step; an empty or unreadable guess keeping the question open."""
import os
import re
import sys

from textual.widgets._toast import Toast, ToastRack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tui_apps import sample_app, screen_lines, settle  # noqa: E402

SMALL = (80, 24)


def box_region(app, node):
    """Where `node`'s box stands on the screen."""
    from textual.geometry import Region
    graph = app.screen.query_one("#graph")
    box = graph.box_of(node)
    ox, oy = graph.origin
    pane = graph.content_region
    return Region(pane.x + box.x - ox, pane.y + box.y - oy, box.w, box.h)


async def go_to_w1(pilot):
    """Wait for the screen, then go to wrong_backward.py's W1 (g W1 Enter)."""
    await settle(pilot)
    await pilot.press("g", "W", "1", "enter")
    await settle(pilot)


async def test_the_check_notification_at_80x24_leaves_the_checked_node_in_sight():
    app = sample_app("wrong_backward.py")
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await go_to_w1(pilot)
        assert app.session.node.name == "W1"
        await pilot.press("c")
        await settle(pilot)
        await pilot.pause(0.2)
        toasts = list(app.screen.get_child_by_type(ToastRack).query(Toast))
        assert len(toasts) == 1
        box = box_region(app, app.session.node)
        assert app.screen.query_one("#graph").content_region.contains_region(box)
        assert not toasts[0].region.overlaps(box), (toasts[0].region, box)


async def test_a_long_notification_at_80x24_is_cut_before_the_current_nodes_box():
    app = sample_app("wrong_backward.py")
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await go_to_w1(pilot)
        app.screen.tell("\n".join(f"line {k} of a long report" for k in range(8)), title="gradient check")
        await settle(pilot)
        await pilot.pause(0.2)
        box = box_region(app, app.session.node)
        lines = screen_lines(app)
        assert "gradient check" in "".join(lines) and "line 0 of a long report" in "".join(lines)
        drawn = [lines[y][box.x:box.right] for y in range(box.y, box.bottom)]
        assert drawn == ["┏━━━━┓", "┃ W1 ┃", "┗━━━━┛"], "\n".join(lines)


async def test_a_guess_that_is_the_true_derivative_where_the_ops_vjp_is_wrong_is_told_so_first():
    app = sample_app("wrong_backward.py")
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await settle(pilot)
        app.session.goto(40)  # next: backward at swish_21, whose VJP is wrong
        app.screen.show_step()
        await pilot.press("t", "n")
        await settle(pilot)
        question = app.screen.query_one("#dialog-message").content
        assert re.search(r"dswish_\d+\[5, 15\]\s*/dadd_\d+\[5, 15\]\s+= \?", str(question)), question
        await pilot.press(*"0.0884186", "enter")
        await settle(pilot)
        (toast,) = list(app.screen.get_child_by_type(ToastRack).query(Toast))
        said = str(toast._notification.message)
        assert said.startswith("your 0.0884186 matches the true derivative (finite differences); this op's backward "
                               "gives 0.279256: its VJP is wrong (c checks it)"), said
        assert toast._notification.severity == "information"
        assert app.session.step == 41


def test_the_finite_difference_answer_is_the_vjps_at_every_right_op_and_not_at_a_wrong_one():
    import numpy as np

    from graphscope.tui.predict_numerics import finite_difference_answer
    from graphscope.tui.session import Session
    from graphscope.userfile import load_graph_file
    with np.errstate(all="ignore"):
        session = Session(load_graph_file(os.path.join(os.path.dirname(__file__), "..", "samples",
                                                       "wrong_backward.py")))
    kinds = set()
    for step in range(len(session.stepper)):
        question = session.question(step)
        if question is None:
            continue
        measured = finite_difference_answer(question)
        assert measured is not None, question.asked
        kinds.add(question.contribution)
        close = np.isclose(measured, question.truth, rtol=1e-5, atol=1e-8)
        assert close == (question.edge.node.op != "swish"), (question.asked, measured, question.truth)
    assert kinds == {True, False}


async def test_the_layer_screen_after_a_walked_adam_step_gives_the_update_phases_reason_for_a_zero_bias():
    import graphscope as gs
    from graphscope.stepper.explain import ratio_verdict
    from graphscope.tui import GraphscopeApp
    from graphscope.userfile import load_graph_file
    path = os.path.join(os.path.dirname(__file__), "..", "samples", "two_layer.py")
    graph = load_graph_file(path)
    app = GraphscopeApp(graph, "samples/two_layer.py", path, optimizer=gs.optim.Adam(graph.params, lr=1e-3))
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("end", "l")
        await settle(pilot)
        lines = [line for line in app.screen.param_lines if line.startswith("b1 ")]
        assert len(lines) == 1 and "|w| 0," in lines[0], app.screen.param_lines
        assert lines[0].endswith(f"update/weight - ({ratio_verdict(None)})"), lines[0]
        assert "no update yet" not in lines[0]


async def test_an_empty_or_unreadable_guess_keeps_the_question_open_with_a_hint_under_it():
    from graphscope.tui.screens.dialogs import AskDialog
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SMALL) as pilot:
        app.session.goto(4)  # the end of forward; next: backward at f = q z, asking df/dz (= q = 3)
        await pilot.press("t", "n")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AskDialog)
        hint = dialog.query_one("#dialog-hint")
        assert not hint.display
        for typed, said in (("", "type a number, like 0.25 or -1.5e-3"),
                            ("abc", "not a number: 'abc' (type one like 0.25 or -1.5e-3)")):
            dialog.query_one("#dialog-input").value = typed
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is dialog and hint.display and str(hint.content) == said
            assert hint.region.y > dialog.query_one("#dialog-input").region.y
            shown = " ".join(hint.render_line(y).text.strip() for y in range(hint.region.height))
            assert shown.strip() == said  # wrapped whole, never cut
            assert app.session.step == 4
        dialog.query_one("#dialog-input").value = "3"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is not dialog and app.session.step == 5
        assert app.session.verdict.right


async def test_the_layer_screen_does_not_call_a_walked_first_adam_step_too_high():
    import graphscope as gs
    from graphscope.engine.update_ratio import UNJUDGED
    from graphscope.tui import GraphscopeApp
    from graphscope.userfile import load_graph_file
    path = os.path.join(os.path.dirname(__file__), "..", "samples", "two_layer.py")
    graph = load_graph_file(path)
    app = GraphscopeApp(graph, "samples/two_layer.py", path, optimizer=gs.optim.Adam(graph.params, lr=0.1))
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("end", "l")
        await settle(pilot)
        weights = [p for s in app.screen.stats for p in s.params if len(p.shape) == 2]
        assert weights and all(p.update_ratio > 1e-2 for p in weights)  # lr 0.1: large next to the weights
        assert all(p.verdict is None and p.unjudged == "first step" for p in weights)
        lines = [line for line in app.screen.param_lines if line.startswith("W1 ")]
        assert lines and UNJUDGED["first step"][:40] in lines[0] and "may be too high" not in lines[0], lines
