"""What a student saw at 80x24 and 100x30: the predict box follows a resize, checks that failed show on the tape,
the help names every key, the training curve and the layer histograms keep their rows, notifications end whole."""
import os
import sys

import pytest

from graphscope.tui.screens.dialogs import AskDialog

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tui_apps import inspector_lines, sample_app, screen_lines, settle  # noqa: E402

SMALL = (80, 24)


async def test_the_predict_box_shrinks_with_the_terminal_and_leaves_the_inspector_in_sight():
    app = sample_app("two_layer.py")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t", "f", "n")
        await settle(pilot)
        assert isinstance(app.screen, AskDialog)
        main = app.screen_stack[-2]
        await pilot.resize_terminal(*SMALL)
        await settle(pilot)
        await pilot.pause(0.1)
        left = main.query_one("#left").region.width
        box = app.screen.query_one("#dialog").region
        assert box.right <= left < 80, (box, left)


async def test_a_failed_check_is_marked_on_the_tape_and_a_leaf_check_names_a_failure_further_on():
    from graphscope.tui.widgets.tape import Tape
    app = sample_app("wrong_backward.py")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        session = app.screen.session
        w1 = next(n for n in session.graph.nodes if n.name == "W1")
        swish = next(n for n in session.graph.nodes if n.op == "swish")
        await pilot.press("g", *"W1", "enter")
        await settle(pilot)
        assert session.node is w1
        await pilot.press("c")
        await settle(pilot)
        note = session.checks[w1].note
        assert session.checks[w1].status == "FAIL" and f"{swish.name} (FAIL)" in note, note
        await pilot.press("C")
        await settle(pilot)
        await pilot.pause(0.3)
        tape = app.screen.query_one(Tape)
        for node in (swish, w1):
            row = next(k for k, n in enumerate(tape.nodes) if n is node)
            tape.scroll_to(y=max(0, row - 2), animate=False, immediate=True)
            await settle(pilot)
            line = tape.render_line(row + 1 - int(tape.scroll_offset.y)).text
            shown = line.split()[1]  # a long name (global ids in a long test run) is cut: 'swis…5236'
            assert line.startswith("✗") and node.name.startswith(shown.partition("…")[0]) \
                and node.name.endswith(shown.partition("…")[2]), line


def test_a_derivative_too_long_for_the_predict_box_breaks_before_its_slash_indented():
    from graphscope.tui.screens.dialogs import prompt_lines
    question = ("next: step 23, backward at dropout_15 = dropout(relu_14)\nwhere p = 0.5\n      mask[18, 78] = False\n"
                "local gradient ddropout_15[18, 78]/drelu_14[18, 78] = ?")
    for width in (24, 30, 36):
        lines = prompt_lines(question, width).split("\n")
        assert all(len(line) <= width for line in lines), (width, lines)
        assert lines[-2].endswith("ddropout_15[18, 78]") and lines[-1] == "  /drelu_14[18, 78] = ?", (width, lines)


async def test_the_help_names_every_key_and_its_long_words_stay_clear_of_the_keys_column():
    from graphscope.tui.screens.help import HelpScreen
    app = sample_app("two_layer.py")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.query_one("#help Static")
        lines = [text.render_line(y).text.rstrip() for y in range(text.size.height)]
        tab = next(k for k, line in enumerate(lines) if "focus the next pane" in line)
        assert lines[tab].split()[0] == "tab", lines[tab - 1:tab + 2]
        keys_start = lines.index(next(line for line in lines if line.startswith("Keys")))
        for line in lines[keys_start + 1:]:  # a row's key, or its words going on under the words
            assert not line or line.startswith("  ") and (line[2] != " " or line[:21].isspace()), line


async def test_at_80x24_the_training_curve_keeps_ten_rows_its_labels_inside_the_frame():
    from graphscope.tui import TrainingOptions
    from graphscope.tui.widgets.plots import CurvePlot
    from tui_apps import training_app, training_finished
    app = training_app(epochs=30, batch_size=32, lr=0.5)
    app.training_options = TrainingOptions(lr=0.5, epochs=30, batch_size=32, schedule="exp:0.01",
                                           origins={"epochs": "given", "lr": "settings()"},
                                           origins_text="--epochs given; the rest from settings()")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await training_finished(pilot)
        await pilot.resize_terminal(*SMALL)
        await settle(pilot)
        await pilot.pause(0.2)
        curve = app.screen.query_one(CurvePlot)
        lines = [curve.render_line(y).text for y in range(curve.size.height)]
        top = next(k for k, line in enumerate(lines) if "┌" in line)
        bottom = next(k for k, line in enumerate(lines) if "└" in line)
        assert bottom - top - 1 >= 10, lines
        assert not lines[top].split("┌")[0].strip() and not lines[bottom].split("└")[0].strip(), lines
        assert "val acc" in "\n".join(screen_lines(app)[:6])  # the legend cut again at the new width, whole


async def test_at_80x24_the_layer_table_scrolls_so_the_histograms_keep_eight_rows():
    from textual.widgets import DataTable

    from graphscope.tui.widgets.plots import HistogramPlot
    app = sample_app("batchnorm.py")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.pause(0.1)
        table = app.screen.query_one(DataTable)
        layers = len(app.screen.stats)
        assert layers + 1 > table.size.height  # more layers than rows: the table scrolls
        assert all(plot.size.height >= 8 for plot in app.screen.query(HistogramPlot))
        for _ in range(layers - 1):
            await pilot.press("down")
        await settle(pilot)
        assert table.cursor_row == layers - 1
        last = app.screen.stats[-1].scope
        assert any(last in table.render_line(y).text for y in range(table.size.height))  # scrolled into sight


async def test_a_notification_cut_at_80x24_ends_at_a_sentence_and_says_the_rest_is_in_the_inspector():
    from textual.widgets._toast import Toast, ToastRack

    from graphscope.tui.widgets.text_fit import MORE
    app = sample_app("wrong_backward.py")
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("g", "W", "1", "enter")
        await settle(pilot)
        long = " ".join(f"Sentence {k} says what the check found at length, in many words." for k in range(12))
        app.screen.tell(long, title="gradient check")
        await settle(pilot)
        await pilot.pause(0.2)
        rack = app.screen.get_child_by_type(ToastRack)
        toast = rack.query_one(Toast)
        said = toast._notification.message
        assert said.endswith("words. " + MORE), said
        _, end, _ = app.screen.toast_room()
        assert toast.region.bottom <= end, (toast.region, end)  # drawn whole, above the node's box
        app.screen.tell("short and whole", title="x")
        await settle(pilot)
        assert app.screen.get_child_by_type(ToastRack).query_one(Toast)._notification.message == "short and whole"


async def test_with_the_inspector_focused_the_arrows_still_step_and_the_footer_says_so():
    from graphscope.tui.widgets.footer import KeyFooter
    from graphscope.tui.widgets.inspector import Inspector
    app = sample_app("two_layer.py")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.screen.query_one(Inspector).focus()
        await settle(pilot)
        await pilot.pause(0.2)
        assert app.screen.query_one(KeyFooter)
        footer = screen_lines(app)[-1]
        assert footer.split()[:2] == ["←→", "step"], footer
        step = app.session.stepper.step
        await pilot.press("right")
        await settle(pilot)
        assert app.session.stepper.step == step + 1


def test_the_kronecker_product_reads_as_circled_times_and_a_whole_reduction_as_over_all_axes():
    import numpy as np

    import graphscope as gs
    from graphscope.engine.jacobian import describe_jacobian
    from graphscope.util.terminal import ascii_glyph
    x = gs.param(np.ones((2, 3)), name="x")  # a node named x: 'I (x) B^T' read as that node
    w = gs.param(np.ones((3, 2)), name="w")
    product = x @ w
    assert "d(x@w)/dx = I ⊗ w^T" in describe_jacobian(product, 0).formula  # the node's own names
    assert "d(x@w)/dw = x ⊗ I" in describe_jacobian(product, 1).formula
    assert ascii_glyph("⊗") == "kron"
    assert "= 1^T over all axes" in describe_jacobian(gs.sum(product), 0).formula
    assert "= 1^T over axis 1" in describe_jacobian(gs.sum(product, axis=1), 0).formula


def test_a_pointwise_local_gradient_is_worked_out_with_the_entrys_numbers():
    import numpy as np

    import graphscope as gs
    from graphscope.engine.graph import Graph
    from graphscope.stepper import Stepper
    from graphscope.stepper.questions import question
    from graphscope.tui.session import Verdict
    a, b = gs.param(np.array(3.0), name="a"), gs.param(np.array(2.0), name="b")
    product = a * b
    product.name = "c"
    out = gs.relu(product - 7.0)
    total = gs.sum(out)
    stepper = Stepper(Graph(total))
    asked = {q.asked: q for q in (question(stepper[k], total) for k in range(len(stepper))) if q is not None}
    relu = next(q for name, q in asked.items() if name.startswith(f"d{out.name}/"))
    relu_input = out.inputs[0].name  # a 1x1 local gradient: a number, no diag()
    assert relu.worked == f"1[{relu_input} > 0] = 1[-1 > 0] = 0", relu.worked
    mul = next(q for name, q in asked.items() if name.startswith("dc/d"))
    other, value = ("b", 2) if mul.asked == "dc/da" else ("a", 3)
    assert mul.worked == f"{other} = {value}", mul.worked
    text = Verdict(value + 1.0, mul.truth, mul.why, worked=mul.worked).text()
    assert f"d(a*b)/d{mul.asked[-1]} = {other}" in text and f"{other} = {value}" in text, text
