"""The TUI read at 80x24 and 120x40: status lines cut between whole parts, wrapped lines that keep their indent,
panes sized from their content, predict mode's words, and the long-run loss curve."""
from tui_apps import sample_app, screen_lines, settle
from graphscope.tui.widgets.text_fit import PART_SEP, fit_parts


def test_fit_parts_leaves_out_whole_parts_and_never_ends_in_a_separator():
    parts = ["forward", "step 8/60", "matmul_9", "block2", "samples/wrong_backward.py:44", "predict mode"]
    line = fit_parts(parts, 60)
    assert line == "forward · step 8/60 · matmul_9 · block2 · predict mode"
    assert fit_parts(parts, 3) == "fo…"
    for width in range(1, 90):
        line = fit_parts(parts, width)
        assert len(line) <= width and not line.endswith("·")
        assert all(p in parts for p in line.split(PART_SEP)) or line.endswith("…")


async def test_the_status_line_at_80_columns_keeps_whole_parts_and_says_predict_mode():
    app = sample_app("wrong_backward.py")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in "nnnnnnnn":
            await pilot.press(key)
        await pilot.press("t")
        await settle(pilot)
        line = screen_lines(app)[0].strip()
        assert not line.endswith("·"), line
        shown = line.split(PART_SEP)
        assert "predict mode" in shown and "step 8/60" in shown, line
        assert all(part in app.session.status_parts() + ["predict mode"] for part in shown), line


async def test_a_guess_equal_to_a_wrong_vjps_number_is_told_the_true_derivative_differs():
    from graphscope.tui.screens.dialogs import AskDialog
    app = sample_app("wrong_backward.py")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        swish = next(e for e in app.session.stepper.events if e.phase == "backward" and e.node.op == "swish")
        app.session.goto(swish.step - 1)
        await pilot.press("t")
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, AskDialog)
        question = app.session.question(swish.step)
        app.screen.query_one("#dialog-input").value = repr(question.truth)  # the wrong VJP's own number
        await pilot.press("enter")
        await settle(pilot)
        verdict = app.session.verdict
        assert verdict.right and not verdict.matches_derivative
        true = f"{verdict.numerical:.6g}"
        assert abs(verdict.numerical - question.truth) > 1e-3 * abs(question.truth)
        assert verdict.headline == (f"your {question.truth:.6g} matches this op's backward ({question.truth:.6g}), "
                                    f"but the true derivative is {true}: its VJP is wrong (c checks it)")
        [toast] = app._notifications
        assert toast.severity == "warning" and toast.message == verdict.headline
        said = " ".join(line.strip() for line in app.screen.query_one("#inspector-body").render().plain.split("\n"))
        assert f"the true derivative is {true}" in said


def test_a_right_guess_at_a_correct_op_or_a_kink_is_still_right():
    """Finite differences measure no other derivative at a correct op; at a kink (relu at 0) they measure none."""
    import numpy as np

    import graphscope as gs
    from graphscope.engine.graph import Graph
    from graphscope.tui.session import Session
    x = gs.tensor(np.array([0.0, 1.5, -2.0]), requires_grad=True, name="x")
    r = gs.relu(x)
    r.name = "r"
    loss = gs.sum(r * gs.tensor(np.array([2.0, 3.0, 4.0]), name="c"))
    session = Session(Graph(loss))
    steps = [e.step for e in session.stepper.events if e.phase == "backward" and e.edges]
    asked = [q for q in map(session.question, steps) if q is not None]
    assert asked
    for q in asked:
        verdict = session.judge(q, repr(q.truth))
        assert verdict.matches_derivative and verdict.headline.startswith("right: "), verdict.text()
    relu = next(q for q in asked if q.edge.node is r)
    kink = type(relu)(**{**relu.__dict__, "asked": "dr[0]/dx[0]"})  # x[0] = 0
    from graphscope.tui.predict_numerics import finite_difference_answer
    assert finite_difference_answer(kink) is None


async def test_predict_modes_notice_names_the_first_question_and_leaves_the_question_box_clear():
    from graphscope.tui.screens.dialogs import AskDialog
    app = sample_app("two_layer.py")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        session = app.session
        steps = [e.step for e in session.stepper.events if e.phase == "backward" and e.edges]
        contribution = next(q for q in map(session.question, steps) if q is not None and q.contribution)
        session.goto(contribution.step - 1)
        await pilot.press("t")
        await settle(pilot)
        [toast] = app._notifications
        assert toast.message.startswith(f"step {contribution.step} asks the contribution (upstream × local) to\n"
                                        f"  {contribution.asked}\n")
        assert "local gradient" not in toast.message
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, AskDialog)
        drawn = "\n".join(screen_lines(app))
        assert "asks the contribution" not in drawn and "predict mode" not in drawn.split("\n", 1)[1], drawn
        await pilot.press("escape")
        await settle(pilot)
        session.goto(0)
        await pilot.press("t", "t")  # off and on again, at the start: the first question is the loss's
        await settle(pilot)
        first = session.next_question()
        assert not first.contribution
        assert app._notifications and list(app._notifications)[-1].message.startswith(
            f"step {first.step} asks the local gradient\n  {first.asked}\n")
        for _ in range(20):  # the main screen shows its toasts again (once the toast is mounted)
            if any("predict mode" in line for line in screen_lines(app)[1:]):
                break
            await pilot.pause(0.05)
        assert any("predict mode" in line for line in screen_lines(app)[1:])


async def test_the_inspector_at_80_columns_lays_out_every_line_itself_with_its_indent():
    """Each update step (Adam's state of a 5-vector) and backward step of two_layer: no line is left for the pane to
    wrap (its continuation would start at column 0), and a line cut by the inspector goes on indented."""
    import graphscope as gs
    from graphscope.tui import GraphscopeApp
    from graphscope.userfile import load_graph_file
    from tui_apps import SAMPLES
    import os
    path = os.path.join(SAMPLES, "two_layer.py")
    graph = load_graph_file(path)
    app = GraphscopeApp(graph, "samples/two_layer.py", path, optimizer=gs.optim.Adam(graph.params, lr=1e-3))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        inspector = app.screen.query_one("#inspector")
        steps = [e.step for e in app.session.stepper.events if e.phase in ("update", "backward")]
        cut = 0
        for step in steps:
            app.session.goto(step)
            app.screen.show_step()
            await pilot.pause()
            width = inspector.text_width()
            lines = app.screen.query_one("#inspector-body").render().plain.split("\n")
            assert all(len(line) <= width for line in lines), (step, [x for x in lines if len(x) > width])
            assert not any(line.rstrip().endswith((", (weights", "[5,")) for line in lines), (step, lines)
            cut += sum(1 for line in lines if line.startswith("        -0.00"))  # m's 5 entries, cut under '['
        assert cut


def test_a_question_is_cut_with_a_hanging_indent_and_never_inside_an_index():
    from graphscope.tui.screens.dialogs import prompt_lines
    prompt = ("next: step 41, backward at swish_21 = swish(add_20)\nwhere add_20[5, 15] = -0.0325\n"
              "      x = [0.0156467, -0.0717417, -0.0148637, 0.25]\nlocal gradient dswish_21[5, 15]/dadd_20[5, 15] = ?")
    for width in range(34, 60):  # from the width of the index-only word 'dswish_21[5, 15]/dadd_20[5, 15]' on
        lines = prompt_lines(prompt, width).split("\n")
        assert all(len(line) <= width for line in lines), (width, lines)
        assert "dswish_21[5, 15]/dadd_20[5, 15]" in "\n".join(lines), (width, lines)
        assert any(line.startswith("where add_20[5, 15] =") for line in lines), (width, lines)
        starts = {line.split()[0] for line in prompt.split("\n")}
        assert all(line.startswith(" ") or line.split()[0] in starts for line in lines), (width, lines)
    lines = prompt_lines(prompt, 36).split("\n")
    assert lines[-3:] == ["local gradient", "  dswish_21[5, 15]/dadd_20[5, 15]", "  = ?"], lines
    assert any(line.startswith("        -0.0148637") for line in lines), lines  # under the numbers, past 'where'


async def test_at_120x40_the_tape_lists_every_node_of_two_layer():
    app = sample_app("two_layer.py")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.pause()
        tape, graph = app.screen.query_one("#tape"), app.screen.query_one("#graph")
        rows = [tape.render_line(y).text.split() for y in range(1, tape.scrollable_content_region.height)]
        names = [r[2] for r in rows if r]  # a long name (global ids in a long test run) is cut: 'matmul…22602'
        nodes = tape.nodes  # the forward walk's order
        assert len(nodes) == len(app.session.graph.nodes) and len(names) == len(nodes) and all(
            n.name.startswith(shown.partition("…")[0]) and n.name.endswith(shown.partition("…")[2])
            for shown, n in zip(names, nodes)), names
        assert graph.size.height >= 2 * tape.size.height  # the graph keeps most of the column
    app = sample_app("two_layer.py")
    async with app.run_test(size=(80, 24)) as pilot:  # a short terminal: the graph keeps its rows
        await settle(pilot)
        assert app.screen.query_one("#tape").size.height == 9


async def test_a_long_noisy_run_is_drawn_as_a_mean_per_column_and_the_legend_says_so():
    import numpy as np
    from textual.app import App

    from graphscope.tui.widgets.plots import CurvePlot, column_means, legend_markup

    class CurveApp(App):
        def compose(self):
            yield CurvePlot()

    rng = np.random.default_rng(0)
    losses = list(1 / (1 + np.arange(1500) / 100) + rng.uniform(0, 0.5, 1500))  # 300 epochs of 5 noisy batches
    kept = list(losses)
    async with CurveApp().run_test(size=(80, 20)) as pilot:
        curve = pilot.app.query_one(CurvePlot)
        curve.show(losses, train_acc=[0.5] * 300, iterations_per_epoch=5)
        await pilot.pause()
        text = curve.render().plain
        columns = curve.pixel_columns()
    assert losses == kept  # the history is drawn, never changed
    per = -(-1500 // columns)
    assert curve.legend[0][0] == f"loss (mean of {per} iterations per column; left)"
    assert text.count("⣿") < 10, text  # a line, not a solid block of braille
    shown, n = column_means([(i + 1, v) for i, v in enumerate(losses)], columns)
    assert n == per and len(shown) <= columns
    assert abs(shown[0][1] - np.mean(losses[:per])) < 1e-12 and shown[0][0] == (1 + per) / 2
    assert column_means([(1, 2.0), (2, 3.0)], columns) == ([(1, 2.0), (2, 3.0)], 1)  # a short run: every point
    legend = legend_markup(*curve.legend, width=78).split("\n")  # at 80 columns: each entry whole, on its line
    assert [line.split("[/] ")[1] for line in legend] == [label for label, *_ in curve.legend]
    assert legend_markup(*curve.legend) == "  ".join(legend)


def test_a_status_on_a_few_lines_leaves_out_whole_parts_and_its_last_line_ends_with_a_part():
    from graphscope.tui.widgets.text_fit import cut_parts
    parts = ["training samples/train_spiral.py", "SGD lr 0.05 (exp:0.01), batch 64, reg 0, float32, 300 epochs",
             "train's defaults, --lr, --schedule, --epochs given", "settings()"]
    assert cut_parts(parts, 200, 3) == [PART_SEP.join(parts)]
    assert cut_parts(parts, 70, 3) == ["training samples/train_spiral.py ·", "  " + parts[1] + " ·",
                                       "  " + parts[2] + " · settings()"]
    short = cut_parts(parts, 70, 2)
    assert short == ["training samples/train_spiral.py ·", "  " + parts[1]]


async def test_the_training_screens_settings_at_80_columns_are_cut_between_whole_parts():
    from tui_apps import training_app
    app = training_app(epochs=100_000)  # still running when s comes
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        lines = str(screen.query_one("#training-status").render()).split("\n")
        parts = screen.status_text(screen.n_train).split(PART_SEP)
        assert [line.strip().rstrip(" ·") for line in lines] == parts[:len(lines)]
        await pilot.press("x")
        from tui_apps import training_finished
        await training_finished(pilot)


async def test_predict_modes_notice_cut_at_80_columns_says_which_step_asks_in_full():
    """Beside a box low on the screen the notice has few rows: what is cut stands in the question's own box, at the
    step it names, not in the inspector."""
    from graphscope.tui.screens.main import MainScreen
    app = sample_app("two_layer.py")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.toast_text_room = lambda titled=True: (40, 2)  # as little room as beside the loss's box at 80x24
        await pilot.press("f", "t")
        await settle(pilot)
        first = app.session.next_question()
        [toast] = app._notifications
        assert "(more in the inspector)" not in toast.message, toast.message
        assert toast.message.endswith(f"(its step asks it in full: n until step {first.step})"), toast.message
