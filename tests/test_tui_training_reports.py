"""What the training screen says and offers: the loss axis as `graphscope train` draws it (a log scale for a loss that
blew up, short labels, whole iterations), a taller curve at 80x24, the end saying when the loss grew; a file that
cannot be trained says only that; keys offered only when they act, no toast over the settings; r x in one burst
stops before the first batch; after a divergence, a rate worth trying, the graph screen saying so, and quitting
saying that resuming diverges again."""
import os
import re
import sys

import numpy as np
import pytest

from graphscope.train import TrainingDiverged
from graphscope.train.divergence import divergence_advice, smaller_rate
from graphscope.tui import GraphscopeApp, TrainingOptions
from graphscope.tui.screens.main import MainScreen
from graphscope.tui.screens.training import TrainingScreen, lr_text
from graphscope.tui.training import TrainingRun, load_data
from graphscope.tui.widgets.plots import CurvePlot
from graphscope.userfile import load_graph_file
from graphscope.viz.curves import log_scale, terminal_curve

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tui_apps import SAMPLES, sample_app, settle, training_app, training_finished  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's notes on the overflow made on purpose

SPIRAL = os.path.join(SAMPLES, "train_spiral.py")
SMALL = (80, 24)


def curve_lines(screen):
    curve = screen.query_one(CurvePlot)
    return [curve.render_line(y).text for y in range(curve.size.height)]


def y_labels(lines):
    """The loss axis' labels: what stands left of the axis' ticks."""
    return [line.split("┤")[0].strip() for line in lines if "┤" in line]


def x_labels(lines):
    """The numbers under the axis' bottom line."""
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    return lines[bottom + 1].split()


async def test_a_loss_that_blew_up_is_drawn_on_graphscope_trains_log_axis_with_short_labels_and_the_end_says_so():
    app = training_app(epochs=10, batch_size=64, lr=1000)  # grows to 4e+11 without diverging
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await training_finished(pilot)
        screen = app.screen
        history = screen.run.trainer.history
        curve = screen.query_one(CurvePlot)
        assert curve.log and log_scale(history.loss) and "log scale" in terminal_curve(history)  # the CLI's choice
        assert "log scale" in str(screen.query_one("#training-legend").render())
        labels = y_labels(curve_lines(screen))
        assert len(labels) >= 2 and all(re.fullmatch(r"1e\+\d\d|10?0?", label) for label in labels), labels
        figures = screen.figures_text()
        from graphscope.train.loss_trend import trainer_verdict
        verdict = trainer_verdict(screen.run.trainer)  # graphscope train's own words
        assert verdict.startswith("the loss grew far above its start (1.10 at the first step, up to 3.99e+11")
        assert f"done\n{verdict}\n" in figures and "try a smaller one (e.g. 0.005" in figures


async def test_a_normal_run_gets_a_tall_linear_curve_at_80x24_and_no_word_of_growth():
    app = training_app(epochs=3, batch_size=32, lr=0.5)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await training_finished(pilot)
        screen = app.screen
        curve = screen.query_one(CurvePlot)
        assert not curve.log and curve.size.height >= 13  # it was 10, 4 of them rows of the curve
        lines = curve_lines(screen)
        assert all(len(label) <= 4 for label in y_labels(lines))  # 0.6, 0.8, 1
        assert x_labels(lines) == ["1", "10", "20", "30"]
        assert "but the loss" not in screen.figures_text()


async def test_after_one_batch_the_iteration_axis_reads_1():
    app = training_app(epochs=1, batch_size=300, lr=0.5)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await training_finished(pilot)
        assert x_labels(curve_lines(app.screen)) == ["1"]


async def test_a_file_that_cannot_be_trained_says_only_that_with_no_settings_or_run_keys():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrainingScreen) and not screen.running and screen.run is None
        status = str(screen.query_one("#training-status").render())
        assert status.strip() == "samples/chain_rule.py cannot be trained" and "lr" not in status
        assert "does not define data()" in str(screen.query_one("#training-message").render())
        offered = {b.binding.action for b in screen.active_bindings.values() if b.enabled}
        assert offered.isdisjoint({"pause", "stop", "again", "go_back", "layers"})
        assert not any(screen.query_one(part).display for part in ("#training-curve", "#training-figures"))
        await pilot.press("space", "r", "x")  # nothing to act on: no run, and no toast over the lines
        await settle(pilot)
        assert screen.run is None and not list(app._notifications)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_keys_that_cannot_act_are_not_offered_and_escape_while_running_is_answered_in_the_figures():
    app = training_app(epochs=100_000, batch_size=10, lr=0.05)  # still running when escape comes
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("r")
        screen = app.screen
        while len(screen.run.trainer.history.loss) < 3:
            await pilot.pause(0.05)
        assert not screen.check_action("again", ()) and not screen.check_action("layers", ())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and not list(app._notifications)
        assert "escape: training is running: x stops it" in screen.figures_text()
        await pilot.press("x")
        await training_finished(pilot)
        assert not screen.check_action("pause", ()) and not screen.check_action("stop", ())
        await pilot.press("space")
        await settle(pilot)
        assert not list(app._notifications) and "escape: training" not in screen.figures_text()


async def test_r_x_in_one_burst_stops_before_the_first_batch_and_a_later_stop_names_the_parameters_held():
    app = training_app(epochs=100_000, batch_size=10, lr=0.05)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        before = {p.name: p.value.copy() for p in app.session.graph.params}
        await pilot.press("r", "x")
        await training_finished(pilot)
        screen = app.screen
        history = screen.run.trainer.history
        figures = screen.figures_text()
        assert history.loss == [] and "stopped before the first batch" in figures, figures
        assert "nothing was trained: the graph holds the parameters it began with" in figures
        for p in app.session.graph.params:  # the trainer's float32, nothing else
            np.testing.assert_array_equal(p.value, before[p.name].astype(p.value.dtype))

        await pilot.press("r")
        while len(history.loss) < 5:
            await pilot.pause(0.02)
        await pilot.press("x")
        await training_finished(pilot)
        n, per = len(history.loss), screen.run.iterations_per_epoch
        figures = screen.figures_text()
        if n % per:  # mid-epoch (s may also land on an epoch's last batch)
            assert (f"the graph holds the parameters after iteration {n} (batch {n % per} of epoch "
                    f"{n // per + 1}; r trains that epoch again, whole, from them)") in figures
        else:
            assert f"the graph holds the parameters after iteration {n} (the end of epoch {n // per})" in figures


async def test_the_learning_rate_reads_in_3_significant_digits():
    assert [lr_text(v) for v in (0.00559898, 1000.0, 0.5, 1e20)] == ["0.0056", "1000", "0.5", "1e+20"]
    app = training_app(epochs=2, batch_size=64, lr=0.00559898)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await training_finished(pilot)
        assert " · lr 0.0056\n" in app.screen.figures_text()


def test_the_rate_suggested_after_a_divergence_is_plausible_and_says_why():
    rate, why = smaller_rate([1.103], 1e20)  # the first update made it non-finite
    assert rate == 0.1 and "orders of magnitude" in why
    rate, why = smaller_rate([1.0, 2.0, 60.0, 1800.0], 3.0)  # up to 30-fold a step
    assert rate == 0.1 and "30-fold" in why
    assert smaller_rate([1.0, 1.2, 1.3], 0.5)[0] == 0.05  # no measured growth: a tenth
    advice = " ".join(divergence_advice(None, [1.103], 1e20)) + " ".join(divergence_advice(None, [1.0, 2.0], 1e20))
    assert "e.g. 1e+19" not in advice


def test_training_at_the_rate_suggested_after_lr_1e20_diverged_does_not_diverge():
    graph = load_graph_file(SPIRAL)
    run = TrainingRun(graph, load_data(SPIRAL), TrainingOptions(lr=1e20, epochs=1, batch_size=64), lambda e: None)
    with pytest.raises(TrainingDiverged) as caught:
        run.fit()
    rate = float(re.search(r"e\.g\. ([0-9.e+-]+):", " ".join(caught.value.advice)).group(1))
    graph = load_graph_file(SPIRAL)
    run = TrainingRun(graph, load_data(SPIRAL), TrainingOptions(lr=rate, epochs=5, batch_size=64), lambda e: None)
    history = run.fit()
    assert len(history.loss) == 25 and history.loss[-1] < history.loss[0]


async def test_after_a_divergence_the_graph_screen_says_so_and_quitting_says_resuming_diverges_again(tmp_path):
    checkpoint = tmp_path / "ck"
    app = training_app(epochs=10, batch_size=64, lr=3, checkpoint=str(checkpoint))
    app.training_options = TrainingOptions(lr=3, reg=1, epochs=10, batch_size=64, checkpoint=str(checkpoint))
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await training_finished(pilot)
        run = app.screen.run
        assert run.diverged is not None and run.trainer.saved_epoch
        await pilot.press("escape")
        await settle(pilot)
        status = str(app.screen.query_one("#status").render())
        assert status.startswith(f"training diverged at iteration {run.diverged.iteration} (! finds the node)")
        await pilot.press("!")
        await settle(pilot)
        assert app.session.node is app.session.graph.find_nonfinite().node
    kept = run.kept()
    assert f"diverges again at iteration {run.diverged.iteration}: start a new run with a smaller --lr" in kept


def test_the_graph_screens_status_says_nothing_of_training_without_a_divergence():
    app = GraphscopeApp(load_graph_file(SPIRAL), "train_spiral.py", SPIRAL)
    assert "diverged" not in app.session.status_text()
