"""One learning rate for the update walk (u) and the training screen (r): the file's settings() rate when no --lr
was given, said in the inspector and on the training screen; the accuracy axis has round ticks."""
import math
import os

from graphscope.optim import make
from graphscope.tui import GraphscopeApp, TrainingOptions
from graphscope.tui.training import SUGGESTED, walk_optimizer
from graphscope.tui.widgets.plots import accuracy_ticks
from graphscope.userfile import load_graph_file
from tui_apps import SAMPLES, inspector_lines, settle

SPIRAL = os.path.join(SAMPLES, "train_spiral.py")


def settings_options(**extra):
    return TrainingOptions(optimizer="adam", lr=0.5, epochs=1, origins={"optimizer": "given", "lr": SUGGESTED},
                           settings_file="train_spiral.py", **extra)


def test_the_walk_takes_the_settings_rate():
    graph = load_graph_file(SPIRAL)
    walked = walk_optimizer(graph, make("adam", graph.params, 0.01), settings_options())
    assert type(walked).__name__ == "Adam" and walked.lr == 0.5
    given = make("adam", graph.params, 0.02)  # --lr given: the training's rate is the walk's already
    options = TrainingOptions(optimizer="adam", lr=0.02, origins={"lr": "given"})
    assert walk_optimizer(graph, given, options) is given
    assert walk_optimizer(graph, None, settings_options()) is None  # no --optimizer: no walk to change


async def test_u_and_r_say_the_same_rate():
    graph = load_graph_file(SPIRAL)
    app = GraphscopeApp(graph, "samples/train_spiral.py", SPIRAL, make("adam", graph.params, 0.01),
                        settings_options())
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert app.session.stepper.optimizer.lr == 0.5
        await pilot.press("u")
        await settle(pilot)
        assert any("Adam state (lr 0.5)" in line for line in inspector_lines(app))
        from graphscope.tui.screens.training import TrainingScreen
        text = TrainingScreen(app.session, app.training_options)._settings_text()
        assert "Adam lr 0.5" in text and "u walks the same lr" in text


def test_accuracy_ticks_are_round():
    for lo, hi in ((0.53, 0.98), (0.61, 0.62), (0.9, 0.97), (0.5, 0.5)):
        ticks = accuracy_ticks(lo, hi)
        assert len(ticks) >= 2
        step = ticks[1] - ticks[0]
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert any(math.isclose(mantissa, m) for m in (1, 2, 5, 10)), (lo, hi, ticks)
        assert all(math.isclose(t / step, round(t / step)) for t in ticks), ticks
    assert accuracy_ticks(0.53, 0.98) == [0.6, 0.7, 0.8, 0.9]
