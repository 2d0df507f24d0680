"""Pausing and stopping a training run: the figures show the batch the paused thread holds at, a stop while
paused trains nothing more, and after a stop the screen names the batch the graph holds by the trainer's own
batch count (an earlier stop mid-epoch shifts the iteration count off whole epochs)."""
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tui_apps import settle, training_app, training_finished  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

SMALL = (80, 24)


def shown_iteration(screen):
    return int(re.search(r"iteration (\d+)", screen.figures_text()).group(1))


async def wait_for(pilot, condition, timeout=30.0):
    import time
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "waited too long"
        await pilot.pause(0.02)


async def test_a_stop_while_paused_trains_no_batch_beyond_the_one_shown():
    app = training_app(epochs=100_000, batch_size=10, lr=0.05)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("r")
        screen = app.screen
        await wait_for(pilot, lambda: screen.run is not None and len(screen.run.trainer.history.loss) > 40)
        for _ in range(3):  # pause, look, go on: each pause shows where the thread holds
            await pilot.press("space")
            await pilot.pause(0.4)
            history = screen.run.trainer.history
            assert "paused" in screen.figures_text()
            assert shown_iteration(screen) == len(history.loss), screen.figures_text()
            await pilot.press("space")
            await pilot.pause(0.1)
        await pilot.press("space")
        await pilot.pause(0.4)
        shown = shown_iteration(screen)
        await pilot.press("x")
        await training_finished(pilot)
        assert len(screen.run.trainer.history.loss) == shown
        assert f"the graph holds the parameters after iteration {shown} " in screen.figures_text()


async def test_after_a_stop_mid_epoch_the_batch_held_is_counted_by_the_trainer_not_by_iterations(monkeypatch):
    from graphscope.train.events import BatchEnd
    from graphscope.tui.training import TrainingRun
    made = TrainingRun.__init__

    def stopping_at_batch_5(run, graph, data, options, report):  # s pressed as the first fit's batch 5 ended
        def report_and_stop(event):   # in place before the training thread starts, however fast it runs
            if isinstance(event, BatchEnd) and event.iteration == 5:
                run.stop()
            report(event)
        made(run, graph, data, options, report_and_stop)
    monkeypatch.setattr(TrainingRun, "__init__", stopping_at_batch_5)
    app = training_app(epochs=3, batch_size=10, lr=0.05)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        run = screen.run
        await training_finished(pilot)
        assert "stopped after batch 5 of epoch 1" in screen.figures_text()
        await pilot.press("r")  # on to the target: the cut epoch is trained again, whole
        await training_finished(pilot)
        n, per = len(run.trainer.history.loss), run.iterations_per_epoch
        assert n == 3 * per + 5 and run.trainer.epoch == 3
        await pilot.press("r", "x")  # stopped before the first batch of the next fit
        await training_finished(pilot)
        figures = screen.figures_text()
        assert "stopped before the first batch" in figures
        assert f"the graph holds the parameters after iteration {n} (the end of epoch 3)" in figures, figures
        assert "unfinished epoch" not in figures
