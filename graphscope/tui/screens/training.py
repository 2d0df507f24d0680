"""The training screen: gs.Trainer on the graph in a worker thread, with a live loss curve.

Shows the loss per iteration (and the accuracies per epoch) as the run goes,
the epoch, iteration, learning rate and accuracies, and a progress bar. The
trainer's callbacks reach the UI through ``App.call_from_thread``; pause,
resume and stop act on the run from the UI, which never waits for training.
When the run ends the graph is recorded again with the trained parameters,
so the graph and layer screens show the trained graph. A file that cannot be
trained (no data()) gets a screen saying so, with no settings and no run keys.
The screen never shows a toast (it would cover the settings): what a key
cannot do now is said in the figures.
"""
import time

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import ProgressBar, Static

from ...engine.errors import GraphscopeError
from ...engine.formatting import percent_text
from ...train import TrainingDiverged
from ...train.divergence import smaller_rate
from ...train.events import BatchEnd, Stopped
from ...train.loss_trend import trainer_verdict
from ..training import TrainingRun, load_data
from ..widgets.footer import KeyFooter
from ..widgets.plots import CurvePlot, legend_markup
from ..widgets.text_fit import cut_parts
from .help import SCREEN_KEYS, HelpScreen
from .layers import LayerScreen

#: The UI redraws for the trainer's events at most this often (a redraw of the curve takes tens of ms);
#: the end of the run is always drawn.
REPORT_SECONDS = 0.25
#: The settings line's most lines (graphscope.tcss: #training-status's max-height).
STATUS_LINES = 3
#: ... under ROOMY_HEIGHT lines, where the curve comes first (the parts past them are left out whole).
SHORT_STATUS_LINES = 2
#: Below this many lines, the lines about the data and the settings make way for a divergence's report, and the
#: line saying where each setting came from makes way for the curve (the status line says it in short).
ROOMY_HEIGHT = 30
#: The training thread begins this long after the screen has drawn the run, so that a key typed with r (r s in
#: one burst, a paste) acts before any batch: s then stops the run before its first batch, space pauses it there.
START_SECONDS = 0.4
#: Significant digits of the learning rate in the figures (a schedule's 0.00559898 reads 0.0056).
LR_DIGITS = 3


def divergence_text(exc):
    """A TrainingDiverged in a few lines for the figures: what happened, the node that made it (where, and why when
    the op tells), what to change (the checkpoint has a line of its own)."""
    lines = str(exc).splitlines()
    made = exc.origin.blame() if exc.origin is not None else lines[1].strip() if len(lines) > 1 else ""
    shown = [line for line in exc.advice if line]
    if not any(made in line for line in shown):  # (advice before any update names the node itself)
        shown.insert(0, made)
    return "\n".join([lines[0]] + [f"  {line}" for line in shown])


def lr_text(lr):
    """A learning rate in LR_DIGITS significant digits, written as its setting is ('1000', '0.0056', '1e+20')."""
    return f"{float(f'{lr:.{LR_DIGITS}g}'):g}"


class TrainingScreen(Screen):
    """Space pauses and resumes, x stops, r trains more epochs, b goes back to the last good state after a
    divergence, l shows the layers; escape goes back when idle."""

    BINDINGS = [
        Binding("space", "pause", "pause/resume"),
        Binding("x", "stop", "stop"),  # not s: on the main screen s exports an SVG
        Binding("r", "again", "more", tooltip="train more epochs, from where the run is"),
        Binding("b", "go_back", "last good", tooltip="after a divergence: back to the end of the last whole epoch"),
        Binding("l", "layers", "layers"),
        Binding("escape", "back", "back", tooltip="back to the graph"),
        Binding("q", "quit", "quit"),
        Binding("question_mark", "help", "help"),
    ]
    #: The help's words above the keys (?).
    HELP = ("[b]Training[/b]: the loss (and accuracies) per epoch as the run goes, its settings on the status line "
            "and what it reached below the curve (Escape, ? or q closes this help).\n")

    def action_help(self):
        self.app.push_screen(HelpScreen(self.BINDINGS + SCREEN_KEYS, self.HELP))

    def __init__(self, session, options):
        super().__init__()
        self.session = session
        self.options = options
        self.run = None
        self.running = False
        self.outcome = ""  # how the last run ended, in words
        self.stopped = ""  # the trainer's words when stop() ended the run
        self.stopping = False  # s was pressed: the run ends after the current batch
        self.untrainable = ""  # why the file cannot be trained (no data()): the screen says only that
        self.n_train = None  # the training examples, once the data is loaded (the settings line names the batch)
        self.note = ""  # what the last key could not do (said in the figures, never in a toast over the settings)
        self._last_report = 0.0

    def compose(self):
        yield Static(id="training-status")
        yield Static("", id="training-message")
        yield Static("", id="training-legend")
        yield CurvePlot(id="training-curve")
        yield Static("", id="training-figures")
        yield ProgressBar(id="training-progress", show_eta=False)
        yield KeyFooter()

    def on_mount(self):
        self.show_status()
        self.start()

    def show_status(self):
        """The settings line cut between its parts (' · ') to the screen's width, on at most STATUS_LINES lines."""
        status = self.query_one("#training-status", Static)
        width = status.content_region.width or None
        most = STATUS_LINES if self.roomy else SHORT_STATUS_LINES
        status.update("\n".join(cut_parts(self.status_text(self.n_train).split(" · "), width, most)))

    def status_text(self, n_train=None):
        """The settings line (see _settings_text), or, for a file that cannot be trained, only that."""
        if self.untrainable:
            return f"{self.session.origin or 'this graph'} cannot be trained"
        return self._settings_text(n_train)

    def _settings_text(self, n_train=None):
        """'training net.py · Adam lr 0.05, batch 5 (all of them: ...), ... · settings()': what the run trains
        with, in `graphscope train`'s words (the batch it really takes once the `n_train` examples are known)."""
        origin = f" {self.session.origin}" if self.session.origin else ""
        source = self.options.source_text()
        walked = getattr(self.session.stepper.optimizer, "lr", None)
        walk = ""
        if walked is not None:  # the update walk's rate: the training's, or said
            walk = "u walks the same lr" if walked == self.options.lr else f"u walked lr {walked:g}"
        return (f"training{origin} · {self.options.text(n_train)}" + (f" · {source}" if source else "")
                + (f" · {walk}" if walk else ""))

    # ---------------------------------------------------------------- the run
    def start(self):
        """Load the data, make the trainer and run it in a worker thread; a problem is shown on the screen."""
        run = self.session.training_run
        try:
            if run is None:
                data = load_data(self.session.file)
                run = self.session.training_run = TrainingRun(self.session.graph, data, self.options,
                                                              self._from_trainer)
            else:  # training again goes on from here: same optimizer state, the curve continues
                data = run.data
                run.more(self._from_trainer)
            self.run = run
        except GraphscopeError as exc:
            if self.run is None:  # nothing can be trained: no settings, no curve, no run keys
                self.untrainable = str(exc)
                for part in ("#training-legend", "#training-curve", "#training-figures", "#training-progress"):
                    self.query_one(part).display = False
                self.show_status()
                self.query_one("#training-message", Static).update(
                    f"{exc}\n\nescape goes back to the graph")
                self.refresh_bindings()
            else:
                self.note = f"cannot train again: {exc}"
                self.show()
            return
        n_val = len(data[2]) if data[2] is not None else 0
        self.n_train = len(data[0])
        self.show_status()
        resumed = f" (went on from its epoch {run.resumed_epoch})" if run.resumed_epoch is not None else ""
        self.query_one("#training-message", Static).update(
            f"{len(data[0])} examples" + (f", {n_val} for validation" if n_val else ", no validation set")
            + (f" · checkpoint: {self.options.checkpoint}{resumed}" if self.options.checkpoint else "")
            + (f"\n{self.options.origins_text}" if self.options.origins_text else ""))  # shown when roomy
        bar = self.query_one(ProgressBar)
        bar.update(total=run.epochs * run.iterations_per_epoch, progress=len(run.trainer.history.loss))
        self.running, self.outcome, self.stopped, self.stopping, self.note = True, "", "", False, ""
        self.refresh_bindings()
        self.show()
        # the thread begins once the screen is drawn and a moment has passed: keys typed with r act first
        self.call_after_refresh(self.set_timer, START_SECONDS, self._launch)

    def _launch(self):
        """Start the training thread (s or q may have ended the run before it began: it then trains nothing)."""
        if self.running and self.is_attached:
            self.run_worker(self._train, thread=True, exclusive=True, group="training")

    @property
    def roomy(self):
        """True when the terminal has room for the lines about the data and every setting's origin."""
        return self.app.size.height >= ROOMY_HEIGHT

    def _train(self):
        """The worker thread: fit, then hand the outcome to the UI thread."""
        try:
            self.run.fit()
            outcome = "done"
        except TrainingDiverged as exc:
            outcome = divergence_text(exc)
        except Exception as exc:  # noqa: BLE001 - a failure in the user's graph is shown, never raised in the UI
            outcome = f"training failed: {type(exc).__name__}: {exc}"
        self._to_ui(self.finished, outcome)

    def _from_trainer(self, event):
        """The trainer's callback (training thread): events thinned out to a redraw every REPORT_SECONDS."""
        if isinstance(event, Stopped):
            self.stopped = event.message
        now = time.monotonic()
        thinned = not isinstance(event, Stopped) and not self.run.paused  # where a pause holds is always shown
        if thinned and now - self._last_report < REPORT_SECONDS:
            return
        self._last_report = now
        self._to_ui(self.show, event)

    def _to_ui(self, callback, *args):
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:  # the app is closing: end the run rather than wait for a UI that is gone
            self.run.stop()

    def finished(self, outcome):
        """The UI thread, once the run has ended: record the trained graph again and say how it ended."""
        self.running, self.note = False, ""
        history = self.run.trainer.history
        if outcome == "done" and history.stopped:
            unfinished = self.run.unfinished_batches  # batches of an epoch cut short
            outcome = (self.stopped or "stopped") + (" (an unfinished epoch is not counted)" if unfinished else "")
            outcome += "\n" + self.held_text()
        if self.run.diverged is None:
            grew = trainer_verdict(self.run.trainer)  # the verdict graphscope train prints
            outcome += f"\n{grew}" if grew else ""
        self.outcome = outcome
        try:
            self.session.record_trained(self.run.recorded_feeds(), self.run.params_before,
                                         self.run.trainer.optimizer)
        except GraphscopeError as exc:
            self.outcome += f"\n(could not record the trained graph again: {exc})"
        self.refresh_bindings()
        self.show()

    def held_text(self):
        """Which parameters the graph holds after a stop: those after the last batch trained."""
        run = self.run
        n = len(run.trainer.history.loss)
        if n == 0:
            return "nothing was trained: the graph holds the parameters it began with"
        batch = run.unfinished_batches  # batches of the unfinished epoch (0: the parameters are an epoch's end's)
        where = (f"batch {batch} of epoch {run.trainer.epoch + 1}; r trains that epoch again, whole, from them"
                 if batch > 0 else f"the end of epoch {run.trainer.epoch}")
        return f"the graph holds the parameters after iteration {n} ({where})"

    # ---------------------------------------------------------------- drawing
    def show(self, event=None):
        """Redraw the curve, the figures and the progress from the run's history."""
        run = self.run
        h = run.trainer.history
        losses = list(h.loss)
        curve = self.query_one(CurvePlot)
        curve.show(losses, list(h.train_acc), list(h.val_acc), run.iterations_per_epoch,
                   distinct=getattr(self.app, "low_colour", False))
        legend = self.query_one("#training-legend", Static)
        legend.update(legend_markup(*curve.legend, width=legend.content_region.width or None))
        self.query_one(ProgressBar).update(progress=len(losses))
        lr = h.lr[-1] if h.lr else run.trainer.optimizer.lr
        if isinstance(event, BatchEnd):
            lr = event.lr
        parts = [f"epoch {min(run.trainer.epoch + 1, run.epochs)}/{run.epochs}"
                 if self.running else f"epochs done {run.trainer.epoch}/{run.epochs}",
                 f"iteration {len(losses)}", f"loss {losses[-1]:.4g}" if losses else "loss -",
                 f"lr {lr_text(lr)}"]
        accuracies = (f"train acc {percent_text(h.train_acc[-1] if h.train_acc else None)} · "
                      f"val acc {percent_text(h.val_acc[-1] if h.val_acc else None)}")
        state = "paused" if self.running and run.paused else "training" if self.running else self.outcome
        if isinstance(event, Stopped) and event.reason == "stopped":
            state = f"stopping: {event.message}"
        elif self.running and self.stopping:
            state = "stopping after this batch"
        # a short terminal gives the data's line to the curve (the status line keeps the settings)
        self.query_one("#training-message").display = self.roomy
        text = " · ".join(parts) + "\n" + accuracies + "\n" + state
        if not self.running and self.options.checkpoint and run.trainer.saved_epoch:
            text += f"\ncheckpoint kept: {self.options.checkpoint} (after epoch {run.trainer.saved_epoch})"
        if not self.running:
            text += "\n" + self.next_text()
        if self.note:
            text += "\n" + self.note
        self.query_one("#training-figures", Static).update(text)

    def next_text(self):
        """What the keys do now that the run has ended (after a divergence: going back first)."""
        run = self.run
        epoch = run.good.epoch if run.good is not None else run.trainer.epoch
        held = self.options.checkpoint and run.trainer.saved_epoch == epoch
        state = f"the end of epoch {epoch}" if epoch else "the start of the run"
        if run.exploded and not run.can_go_back:
            when = ("before any update of this fit" if run.good is None or run.good.iterations == 0 or
                    run.diverged.iteration <= 1 else f"the end of epoch {epoch}, the last whole one")
            return (f"the loss is not finite at these parameters ({when}): there is no better state to go back to "
                    "and r cannot train from them; change what the lines above say, then open the file again · "
                    "escape shows the graph (! goes to the first NaN)")
        if run.exploded:
            return (f"b goes back to {state} (parameters, optimizer state, curve"
                    + (f": the checkpoint {self.options.checkpoint}" if held else "")
                    + "); r does not train from these parameters, which make the loss non-finite · escape shows "
                      "the graph (! goes to the first NaN)")
        if run.diverged is not None:
            d = run.diverged
            rate, _ = smaller_rate(run.trainer.history.loss, run.trainer.lr0)
            return (f"back at {state}: r trains on to epoch {run.epochs} at lr {run.trainer.lr0:g}, which diverged "
                    f"at iteration {d.iteration} and would again (to change it, quit and start again with a smaller "
                    f"--lr, e.g. {rate:g}) · l shows the layers, escape the graph")
        more = (f"r trains on to epoch {run.epochs}" if run.unfinished else
                f"r trains {run.options.epochs} more epochs")
        return f"{more} (optimizer state kept), l shows the layers, escape shows the trained graph"

    def on_resize(self, event):
        self.call_after_refresh(self.show_status)
        if self.run is not None:
            self.show()
            self.call_after_refresh(self.show)  # the legend cut again at its new width

    def figures_text(self):
        """What the figures line says (the tests read it)."""
        return str(self.query_one("#training-figures", Static).render())

    # ---------------------------------------------------------------- keys
    def say(self, note):
        """Say in the figures what a key cannot do now (a toast would cover the settings)."""
        self.note = note
        if self.run is not None:
            self.show()

    def action_pause(self):
        if not self.running:
            return
        if self.run.paused:
            self.run.resume()
        else:
            self.run.pause()
        self.show()

    def action_stop(self):
        if self.running:  # said in the figures, where a toast would cover nothing
            self.stopping = True
            self.run.stop()
            self.show()

    def action_again(self):
        if self.running or self.untrainable:
            return
        if self.run is not None and self.run.exploded:
            self.say("r: the parameters make the loss non-finite: b goes back to the last good ones first"
                     if self.run.can_go_back else "r: the loss is not finite at these parameters: training cannot "
                     "go on from them until the model or the settings change")
            return
        self.start()

    def check_action(self, action, parameters):
        """Only the keys that can act now are offered: space and s while a run goes on; r and l once it has ended;
        b after a divergence, while the parameters are those that made the loss non-finite and a better state came
        before them; for a file that cannot be trained, only escape and q."""
        if self.untrainable:
            return action in ("back", "quit")
        if action in ("pause", "stop"):
            return self.running
        if action == "again":  # never from parameters that make the loss non-finite (the figures say what to do)
            return not self.running and not (self.run is not None and self.run.exploded)
        if action == "layers":
            return not self.running
        if action == "go_back":
            return bool(self.run is not None and not self.running and self.run.can_go_back)
        return True

    def action_go_back(self):
        if not self.check_action("go_back", ()):
            return
        self.run.go_back()
        self.outcome = f"went back: {self.outcome.splitlines()[0]}" if self.outcome else "went back"
        try:
            self.session.record_trained(self.run.recorded_feeds(), None, self.run.trainer.optimizer)
        except GraphscopeError as exc:
            self.outcome += f"\n(could not record the graph again: {exc})"
        self.refresh_bindings()
        self.show()

    def action_layers(self):
        if self.running or self.untrainable:
            return
        self.app.push_screen(LayerScreen(self.session))

    def action_back(self):
        if self.running:
            self.say("escape: training is running: x stops it, then escape goes back")
            return
        self.dismiss(self.session.trained)

    def action_quit(self):
        if self.running:
            self.run.stop()
        self.app.exit()
