"""The layer screen (l) and the training screen (r), driven with Pilot: what they show, and their keys."""
import os
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from textual.widgets import DataTable

from graphscope.tui.screens.layers import LayerScreen
from graphscope.tui.screens.main import MainScreen
from graphscope.tui.screens.training import TrainingScreen
from graphscope.tui.widgets.plots import CurvePlot, HistogramPlot

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tui_apps import sample_app, tanh_layers_app, training_app, training_finished  # noqa: E402

SIZE = (100, 30)


def table_rows(screen):
    table = screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(r)] for r in range(table.row_count)]


def column(screen, name):
    from graphscope.tui.screens.layers import COLUMNS
    return [row[COLUMNS.index(name)] for row in table_rows(screen)]


def text(screen, selector):
    return str(screen.query_one(selector).render())


async def open_layers(pilot):
    await pilot.pause()
    await pilot.press("l")
    await pilot.pause()
    await pilot.pause()
    assert isinstance(pilot.app.screen, LayerScreen)
    return pilot.app.screen


async def test_layer_screen_lists_every_scope_and_shows_the_large_inits_saturation():
    app = tanh_layers_app("large")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_layers(pilot)
        assert column(screen, "layer") == [f"layer{k}" for k in range(1, 11)]
        assert screen._status().startswith("layer statistics · 10 layers · ")
        saturated = [int(cell.split("%")[0]) for cell in column(screen, "dead/sat")]
        assert all(85 <= s <= 95 for s in saturated) and all(c.endswith("sat") for c in column(screen, "dead/sat"))
        assert len(screen.query(HistogramPlot)) == 2
        assert screen.query_one("#activation-histogram").plt is not None
        assert "layer1.W 500x500" in text(screen, "#layers-params")


async def test_small_init_shows_activations_vanishing_and_xavier_keeps_them():
    stds = {}
    for init in ("small", "xavier"):
        app = tanh_layers_app(init)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_layers(pilot)
            stds[init] = [float(s) for s in column(screen, "act std")]
            assert all(cell.startswith("0%") or cell.startswith("1%") for cell in column(screen, "dead/sat"))
    assert stds["small"][-1] < 1e-5 < stds["small"][0]  # collapses layer after layer
    assert all(a > b for a, b in zip(stds["small"], stds["small"][1:]))
    assert min(stds["xavier"]) > 0.2


async def test_selecting_a_scope_draws_its_histograms():
    app = tanh_layers_app("xavier")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_layers(pilot)
        histogram = screen.query_one("#activation-histogram", HistogramPlot)
        gradients = screen.query_one("#gradient-histogram", HistogramPlot)
        assert (histogram.title, gradients.title) == ("layer1 activations (h1, tanh)", "layer1 gradients")
        await pilot.press("down", "down")
        await pilot.pause()
        assert (histogram.title, gradients.title) == ("layer3 activations (h3, tanh)", "layer3 gradients")
        assert "layer3.W" in text(screen, "#layers-params")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_layer_screen_on_a_graph_without_scopes_says_how_to_get_them():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_layers(pilot)
        assert "gs.scope" in text(screen, "#layers-empty")
        assert not screen.query(DataTable)


async def test_both_screens_are_in_the_palette_and_the_help():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Layer statistics" in titles and "Train" in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"layer statistics")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LayerScreen)


async def test_training_runs_to_the_end_and_the_graph_shows_the_trained_parameters():
    app = training_app(epochs=3)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        w_before = app.session.graph.node("fc1.W").value.copy()
        await pilot.press("r")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainingScreen)
        await training_finished(pilot)
        figures = screen.figures_text()
        assert "epochs done 3/3" in figures and "iteration 30" in figures and "done" in figures
        train_acc = float(figures.split("train acc ")[1].split("%")[0])
        val_acc = float(figures.split("val acc ")[1].split("%")[0])
        history = screen.run.trainer.history
        assert train_acc == pytest.approx(100 * history.train_acc[-1], abs=0.05)
        assert val_acc == pytest.approx(100 * history.val_acc[-1], abs=0.05)
        assert screen.query_one(CurvePlot) and screen.query_one("ProgressBar").percentage == 1.0
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        w = app.session.graph.node("fc1.W")
        assert not (w.value == w_before).all()
        await pilot.press("b")  # the end of the backward pass (the trained optimizer's update phase follows)
        await pilot.pause()
        np.testing.assert_allclose(app.session.stepper.state.value(w), w.value)  # the stepper recorded it again
        screen = await open_layers(pilot)
        status = text(screen, "#layers-status")
        assert "after training" in status
        # dead units and activations on the trainer's fixed sample of its training data, and it says so
        sample = len(screen.session.training_run.trainer.layer_sample[0])
        recorded = len(screen.session.training_run.recorded[0])
        assert f"activations: {sample} training examples (eval), gradients: {recorded}" in status.replace("\n", "")
        assert {s.examples for s in screen.stats} == {sample}
        assert all("e-" in cell or "e+" in cell for cell in column(screen, "upd/weight"))


async def test_pause_holds_the_run_and_stop_ends_it_keeping_the_checkpoint(tmp_path):
    checkpoint = tmp_path / "ckpt"
    app = training_app(epochs=100_000, batch_size=10, lr=0.05, checkpoint=str(checkpoint))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        screen = app.screen
        history = None
        while history is None or len(history.lr) < 1:  # one epoch done: a checkpoint is on disk
            await pilot.pause(0.05)
            history = screen.run.trainer.history
        await pilot.press("space")
        await pilot.pause(0.3)
        assert screen.run.paused and "paused" in screen.figures_text()
        held = len(history.loss)
        await pilot.pause(0.3)
        assert len(history.loss) == held  # the training thread waits
        await pilot.press("escape")  # refused while running
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("space")
        await pilot.pause(0.2)
        assert not screen.run.paused and len(history.loss) > held  # resumed
        await pilot.press("space", "x")  # a paused run stops too
        await training_finished(pilot)
        assert history.stopped == "stopped" and screen.run.trainer.epoch < 100_000
        figures = screen.figures_text()
        done = screen.run.trainer.epoch
        # paused between two batches, or at an epoch's end (then nothing of the next epoch was trained)
        assert f"stopped after epoch {done}\n" in figures or f"of epoch {done + 1} (an unfinished" in figures
        assert f"checkpoint kept: {checkpoint} (after epoch {done})" in figures
        assert (checkpoint / os.listdir(checkpoint)[0]).exists()


async def test_a_file_without_data_says_what_to_add():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainingScreen) and not screen.running
        message = text(screen, "#training-message")
        assert "does not define data()" in message and "x_train, y_train, x_val, y_val" in message
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and not app.session.trained


async def test_a_diverging_run_names_the_node_that_made_the_nan():
    app = training_app(epochs=5, lr=1e9)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await training_finished(pilot)
        figures = app.screen.figures_text()
        assert "training diverged" in figures and "smaller learning rate" in figures
        assert app.screen.run.trainer.history.stopped == "diverged"


async def test_after_training_the_update_walk_steps_the_trained_optimizer_and_agrees_with_the_layer_screen():
    from graphscope.optim import make
    from graphscope.tui import GraphscopeApp, TrainingOptions
    from graphscope.userfile import load_graph_file
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples", "train_spiral.py")
    graph = load_graph_file(path)
    app = GraphscopeApp(graph, "samples/train_spiral.py", path, optimizer=make("adam", graph.params, 0.01),
                        training=TrainingOptions(optimizer="adam", lr=0.01, epochs=3, batch_size=32))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        await training_finished(pilot)
        trained = app.screen.run.trainer.optimizer
        t = trained.t
        events = app.session.update_events()
        assert set(events) == set(graph.params) and t > 1
        for p, event in events.items():
            state = trained.state_of(p)
            assert np.abs(state["m"]).max() > 0
            for name in ("m", "v"):
                np.testing.assert_array_equal(event.state_before[name], state[name])  # not a fresh Adam's zeros
        assert trained.t == t  # recording the step put the optimizer's state back
        screen = await open_layers(pilot)
        ratios = dict(zip(column(screen, "layer"), column(screen, "upd/weight")))
        assert ratios
        for scope, cell in ratios.items():
            assert cell.startswith(f"{events[graph.node(f'{scope}.W')].ratio:.1e} ")
        assert f"update/weight {events[graph.node('fc1.W')].ratio:.2e}" in text(screen, "#layers-params")
        assert "the next Adam step" in text(screen, "#layers-status")


def test_histogram_axes_start_where_the_values_start_and_count_in_whole_numbers():
    from graphscope.train.monitor import Summary
    from graphscope.tui.widgets.plots import count_ticks, value_ticks
    relu = np.maximum(np.random.default_rng(0).normal(size=2000), 0)
    edges = Summary.of(relu).histogram.edges
    ticks, labels = value_ticks(edges)
    assert labels[0] == "0" and 3 <= len(ticks) <= 5 and edges[0] <= ticks[0] and ticks[-1] <= edges[-1]
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-9  # a round step: 1, 2 or 5 times a power of ten
    assert all(abs(t / step - round(t / step)) < 1e-9 for t in ticks)  # multiples of it
    assert labels == [f"{t:g}" for t in ticks]
    for top in (1, 7, 1977, 2002):
        ticks, labels = count_ticks(top)
        assert ticks[0] == 0 and ticks[-1] <= top < ticks[-1] + (ticks[1] - ticks[0]) and len(ticks) <= 5
        assert labels == [str(t) for t in ticks] and all(isinstance(t, int) for t in ticks)


def test_histogram_bars_are_solid_down_to_the_axis_beside_empty_bins():
    import plotext
    from graphscope.tui.widgets.plots import HistogramPlot
    histogram = SimpleNamespace(edges=np.linspace(0, 1, 11), counts=np.array([5, 0, 3, 3, 0, 0, 7, 1, 0, 2]))
    plot = HistogramPlot()
    plot.show("values", SimpleNamespace(histogram=histogram))
    plot.plt.plotsize(50, 14)
    rows = plotext.uncolorize(plot.plt.build()).splitlines()
    bottom = next(k for k, row in enumerate(rows) if "└" in row) - 1
    left, right = rows[bottom].index("┤") + 1, rows[bottom + 1].index("┘")
    area = [row[left:right] for row in rows[2:bottom + 1]]
    filled = {c for row in area for c, ch in enumerate(row) if ch == "█"}
    assert filled and filled == {c for c, ch in enumerate(area[-1]) if ch == "█"}  # no notch at any bar's foot
    assert len(filled) < right - left  # the empty bins stay empty


async def test_the_legend_stands_above_the_curves_and_stopping_is_said_without_a_toast():
    app = training_app(epochs=100_000, batch_size=10)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        screen = app.screen
        while len(screen.run.trainer.history.loss) < 3:
            await pilot.pause(0.05)
        await pilot.press("x")
        await pilot.pause()
        assert not list(app._notifications)  # no toast covers the figures: they say it
        await training_finished(pilot)
        figures = screen.figures_text()  # mid-epoch, or (s landing on an epoch's last batch) at its end
        assert "stopped after batch" in figures or "stopped after epoch" in figures
        curve = screen.query_one(CurvePlot)
        accuracies = ["train acc", "val acc"] if screen.run.trainer.history.train_acc else []
        assert [label.split(" (")[0] for label, *_ in curve.legend] == ["loss"] + accuracies
        legend = screen.query_one("#training-legend")
        assert "loss" in str(legend.render()) and legend.region.bottom <= curve.region.y


async def test_training_again_goes_on_from_where_the_run_is_with_the_optimizers_state():
    from graphscope.optim import make
    from graphscope.tui import TrainingOptions
    app = sample_app("train_spiral.py")
    app.training_options = TrainingOptions(optimizer="adam", lr=0.01, epochs=2, batch_size=32)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        await training_finished(pilot)
        screen = app.screen
        run = screen.run
        optimizer, first = run.trainer.optimizer, list(run.trainer.history.loss)
        t = optimizer.t
        assert "r trains 2 more epochs (optimizer state kept)" in screen.figures_text()
        await pilot.press("r")  # on the training screen
        await pilot.pause()
        await training_finished(pilot)
        history = run.trainer.history
        assert screen.run is run and run.trainer.optimizer is optimizer and optimizer.t == 2 * t
        assert history.loss[:len(first)] == first and len(history.loss) == 2 * len(first)
        assert "epochs done 4/4" in screen.figures_text() and len(history.lr) == 4
        assert screen.query_one("ProgressBar").percentage == 1.0
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("r")  # on the graph screen: a new training screen, the same run
        await pilot.pause()
        await training_finished(pilot)
        assert app.screen.run is run and optimizer.t == 3 * t and len(history.lr) == 6
        assert "epochs done 6/6" in app.screen.figures_text()
        # the same six epochs in one go give the same parameters: continuing is one run, not three
        from graphscope.train import Trainer
        from graphscope.tui.training import load_data
        from graphscope.userfile import load_graph_file
        path = app.session.file
        graph = load_graph_file(path)
        straight = Trainer(graph.output, make("adam", graph.params, 0.01), batch_size=32, epochs=6, progress=False)
        straight.fit(*load_data(path))
        for p in graph.params:
            np.testing.assert_allclose(app.session.graph.node(p.name).value, p.value, rtol=1e-5, atol=1e-6)


async def test_an_exploding_loss_keeps_the_curves_labels_short_and_its_iterations_round():
    from textual.app import App

    from graphscope.tui.widgets.plots import CurvePlot

    class CurveApp(App):
        def compose(self):
            yield CurvePlot()

    async with CurveApp().run_test(size=(100, 30)) as pilot:
        curve = pilot.app.query_one(CurvePlot)
        curve.show(list(np.geomspace(0.5, 4e12, 47)), iterations_per_epoch=10)
        await pilot.pause()
        text = curve.render().plain
    labels = [line.split("┤")[0].strip() for line in text.splitlines() if "┤" in line]
    assert labels and max(map(len, labels)) <= 6 and "1e+12" in labels  # a power of 10, never 3984869818368.0
    axis = next(line for line in text.splitlines() if line.split()[:1] == ["1"])
    assert axis.split() == ["1", "10", "20", "30", "40"]


async def test_the_graph_screens_notifications_do_not_follow_onto_the_layer_screen():
    app = tanh_layers_app("xavier")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")  # predict mode: a notification on the graph screen
        await pilot.pause()
        assert app._notifications
        screen = await open_layers(pilot)
        assert isinstance(screen, LayerScreen) and not list(app._notifications)
