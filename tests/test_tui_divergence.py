"""The training screen after a divergence: r never trains from the parameters that made the loss non-finite, b goes
back to the end of the last whole epoch, the epoch target does not grow by a fit that trained nothing, and quitting
says it diverged (exit status 1); a stop asked before the fit began trains nothing."""
import os
import sys

import numpy as np
import pytest

from graphscope.optim import make
from graphscope.train import Trainer, TrainingDiverged
from graphscope.train.events import Stopped
from graphscope.tui import GraphscopeApp, TrainingOptions
from graphscope.tui.training import TrainingRun, load_data
from graphscope.userfile import load_graph_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tui_apps import SAMPLES, settle, training_app, training_finished  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's notes on the overflow made on purpose

SPIRAL = os.path.join(SAMPLES, "train_spiral.py")
SIZE = (120, 35)


@pytest.fixture
def blows_up_in_epoch_3(monkeypatch):
    """The training screen's schedule: lr 0.5 for two epochs (10 batches each), then 1e30: the first update of
    epoch 3 (iteration 21) makes the loss of iteration 22 non-finite."""
    monkeypatch.setattr(TrainingOptions, "make_schedule", lambda self: (lambda epoch: 0.5 if epoch < 2 else 1e30))


def two_epochs_straight():
    """The parameters of the same run, trained two epochs in one go."""
    graph = load_graph_file(SPIRAL)
    trainer = Trainer(graph.output, make("sgd", graph.params, 0.5), batch_size=32, epochs=2, progress=False,
                      schedule=lambda epoch: 0.5)
    trainer.fit(*load_data(SPIRAL))
    return {p.name: p.value for p in graph.params}


async def test_after_a_divergence_b_goes_back_to_the_last_whole_epoch_and_r_never_trains_the_exploded_parameters(
        tmp_path, blows_up_in_epoch_3):
    checkpoint = tmp_path / "ck"
    app = training_app(epochs=5, batch_size=32, lr=0.5, checkpoint=str(checkpoint))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await training_finished(pilot)
        screen, run = app.screen, app.screen.run
        history = run.trainer.history
        assert run.diverged.iteration == 22 and run.trainer.epoch == 2 and len(history.loss) == 21
        figures = screen.figures_text()
        assert "training diverged: the loss is" in figures and "try a smaller learning rate" in figures
        assert f"b goes back to the end of epoch 2 (parameters, optimizer state, curve: the checkpoint {checkpoint})" \
            in figures and "more epochs" not in figures
        assert screen.check_action("go_back", ()) and run.unfinished

        await pilot.press("r")  # not offered: nothing is trained from the exploded parameters, the target stays
        await settle(pilot)
        assert not screen.running and len(history.loss) == 21 and run.epochs == 5
        assert not screen.check_action("again", ()) and not list(app._notifications)

        await pilot.press("b")
        await settle(pilot)
        assert not screen.check_action("go_back", ()) and run.trainer.epoch == 2 and run.epochs == 5
        assert len(history.loss) == 20 and history.epochs == 2  # the curve is cut where the state is
        for name, value in two_epochs_straight().items():  # the state of a run of two epochs, exactly
            np.testing.assert_allclose(app.session.graph.node(name).value, value, rtol=1e-5, atol=1e-6)
        figures = screen.figures_text()
        assert "epochs done 2/5" in figures and "back at the end of epoch 2: r trains on to epoch 5" in figures
        assert "diverged at iteration 22 and would again" in figures
        assert screen.query_one("ProgressBar").progress == 20

        await pilot.press("r")  # the same settings: the same divergence, and still no growth of the target
        await training_finished(pilot)
        assert run.diverged.iteration == 22 and run.epochs == 5 and "epochs done 2/5" in screen.figures_text()


async def test_at_80_columns_after_a_divergence_the_footer_keeps_esc_and_q(blows_up_in_epoch_3):
    """b joins the footer after a divergence: a key the screen lists later makes room for it, never the way back
    or the way out (esc and q were pushed off at 80 columns), and every key shown is whole."""
    from graphscope.tui.widgets.footer import PALETTE_KEY, KeyFooter
    app = training_app(epochs=5, batch_size=32, lr=0.5)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await training_finished(pilot)
        await settle(pilot)
        await pilot.pause(0.2)
        assert app.screen.run.diverged is not None and app.screen.check_action("go_back", ())
        keys = [k for k in app.screen.query_one(KeyFooter).query("FooterKey") if k.display and k.parent.display]
        shown = [k.key for k in keys]
        assert {"escape", "q", "b", "ctrl+p"} <= set(shown)  # whatever else fits, esc and q are never dropped
        palette = next(k for k in keys if k.has_class(PALETTE_KEY))
        assert all(0 < k.region.width and k.region.right <= palette.region.x for k in keys if k is not palette)
        assert palette.region.right <= 80


def test_quitting_after_a_divergence_says_so_and_exits_1(monkeypatch, capsys):
    def diverging_run(app):
        run = TrainingRun(app.session.graph, load_data(SPIRAL), TrainingOptions(lr=1e9, epochs=3, batch_size=32),
                          lambda event: None)
        with pytest.raises(TrainingDiverged):
            run.fit()
        app.session.training_run = run
    monkeypatch.setattr(GraphscopeApp, "run", diverging_run)
    from graphscope.tui.app import run_app
    assert run_app(load_graph_file(SPIRAL), "train_spiral.py", SPIRAL) == 1
    err = capsys.readouterr().err
    assert err.startswith("graphscope tui: training diverged at iteration ") and "(epoch 1): 0 of 3 epochs done" in err


def test_a_nan_before_any_update_offers_no_going_back():
    graph = load_graph_file(SPIRAL)
    run = TrainingRun(graph, load_data(SPIRAL), TrainingOptions(lr=0.5, epochs=2, batch_size=32), lambda e: None)
    weights = run.graph.params[0]
    weights.value = np.full_like(weights.value, np.nan)  # (a NaN in the data is refused before training)
    with pytest.raises(TrainingDiverged):
        run.fit()
    assert run.exploded and not run.can_go_back  # the parameters the fit began with are those that fail


def test_a_stop_asked_before_the_fit_begins_trains_nothing():
    events = []
    run = TrainingRun(load_graph_file(SPIRAL), load_data(SPIRAL), TrainingOptions(lr=0.5, epochs=2, batch_size=32),
                      events.append)
    before = {p.name: p.value.copy() for p in run.graph.params}
    run.stop()  # s pressed before the training thread got to fit()
    history = run.fit()
    assert history.loss == [] and history.stopped == "stopped"
    assert [e.message for e in events if isinstance(e, Stopped)] == ["stopped before the first batch"]
    assert all(np.array_equal(p.value, before[p.name]) for p in run.graph.params)
    run.more(events.append)  # r: the stop is forgotten, and the run goes on to its target (2), not 2 more
    run.fit()
    assert run.trainer.epoch == 2 == run.epochs and len(run.trainer.history.loss) == 20


def test_the_trainer_acts_on_a_stop_asked_between_fits_once():
    graph = load_graph_file(SPIRAL)
    trainer = Trainer(graph.output, make("sgd", graph.params, 0.5), batch_size=32, epochs=1, progress=False)
    trainer.stop()
    assert trainer.fit(*load_data(SPIRAL)).loss == [] and trainer.epoch == 0
    assert len(trainer.fit(*load_data(SPIRAL)).loss) == 10 and trainer.epoch == 1  # the stop was used up
