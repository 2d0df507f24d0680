"""A training run the training screen drives: gs.Trainer on the session's graph, with pause, resume and stop.

The options are resolved as `graphscope train` resolves its own (the `graphscope tui`
command does it: its options, else the training file's settings(), else train's
defaults); ``TrainingOptions.origins`` says where each came from. A run trains
``options.epochs`` epochs; ``more()`` makes it train as many again
from where it is, as one run: the same optimizer (its state, such as Adam's
moments, kept), the same history (the curve goes on), the schedule counting on.
A run may also go on with one saved in a checkpoint (``resume_run``): the
graph then holds its trained parameters and the trainer its history, and the
first fit trains on from the saved epoch.
The trainer runs in a worker thread; each of its events is handed to a
``report`` callable (the screen forwards it to the UI thread). Pausing blocks
the training thread between two batches; stopping asks the trainer to end
after the current batch (a configured checkpoint keeps the last whole epoch),
or, asked before the fit began, before its first. A fit that ends before its
target (stopped, diverged) leaves that target for the next. After a
divergence ``go_back()`` puts back the state at the end of the last whole
epoch, kept in memory (the checkpoint's state, when one is written).
Nothing here draws anything.
"""
import inspect
import threading
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..engine.errors import GraphscopeError
from ..engine.words import plural
from ..optim import RULES, make
from ..optim.schedules import parse_schedule
from ..train import Trainer, TrainingDiverged, snapshot_params
from ..train.divergence import smaller_rate
from ..train.events import BatchEnd, EpochEnd
from ..train.rewind import TrainerState
from ..train.settings import batch_text
from ..userfile import DATA_WHAT, is_python_file, load_module, training_data

_TRAINER = inspect.signature(Trainer.__init__).parameters
#: The learning rate when none is given (graphscope train's default too).
DEFAULT_LR = 0.01


#: Where a setting came from, as `graphscope train` says it (TrainingOptions.origins' values; a resumed run's
#: settings come from its checkpoint).
GIVEN, SUGGESTED, DEFAULT, FROM_CHECKPOINT = "given", "settings()", "default", "checkpoint"


def walk_optimizer(graph, optimizer, options):
    """The update walk's `optimizer` at the rate the training screen trains with: when the training's rate comes
    from the file's settings() (the walk's came from no --lr, so it is the default), the same rule is made again at
    that rate, so that u walks the step r takes; else `optimizer` itself (also when resuming: the saved one)."""
    if optimizer is None or options.resume or options.origins.get("lr") != SUGGESTED:
        return optimizer
    rule = RULES.get(str(options.optimizer).lower())
    if type(optimizer) is not rule or getattr(optimizer, "lr", None) == options.lr:
        return optimizer
    return make(options.optimizer, graph.params, options.lr)


@dataclass(frozen=True)
class TrainingOptions:
    """How the training screen trains: `graphscope tui FILE`'s training options, the file's settings() and
    train's defaults, resolved (see graphscope.cli.tui); made by hand, they are used as they are.

    `schedule` is the command line's text ('exp:0.02') or None; `origins` maps each setting to GIVEN,
    SUGGESTED, DEFAULT or FROM_CHECKPOINT, `settings_file` names the training file whose settings() was read and
    `origins_text` is the line `graphscope train` prints about them (all empty: not said). `resume` is the
    checkpoint folder the run goes on with (resume_run), `overwrite` lets a new run replace the checkpoint in
    `checkpoint`.
    """

    optimizer: str = "sgd"
    lr: float = DEFAULT_LR
    epochs: int = _TRAINER["epochs"].default
    batch_size: int = _TRAINER["batch_size"].default
    checkpoint: Optional[str] = None
    schedule: Optional[str] = None
    reg: float = _TRAINER["reg"].default
    seed: int = _TRAINER["seed"].default
    dtype: str = _TRAINER["dtype"].default
    shuffle: bool = _TRAINER["shuffle"].default
    resume: Optional[str] = None
    overwrite: bool = False
    origins: dict = field(default_factory=dict)
    settings_file: str = ""
    origins_text: str = ""

    @classmethod
    def given(cls, **options):
        """The options, the trainer's defaults for those left out (None)."""
        return cls(**{k: v for k, v in options.items() if v is not None})

    def text(self, n_train=None):
        """'Adam lr 0.02 (exp:0.02), batch 30, reg 0, float64, 150 epochs': what the run trains with, in the
        words of `graphscope train`'s header (given the `n_train` examples, the batch it really takes: 'batch 5
        (all of them: --batch-size 64 is more than the 5 examples)')."""
        rule = RULES.get(str(self.optimizer).lower())
        return (f"{rule.__name__ if rule else self.optimizer} lr {self.lr:g}"
                + (f" ({self.schedule})" if self.schedule else "")
                + f", {batch_text(self.batch_size, n_train)}, reg {self.reg:g}, {self.dtype}"
                + (", no shuffling" if not self.shuffle else "") + f", {plural(self.epochs, 'epoch')}")

    def source_text(self):
        """Where the settings came from, in a few words for the status line ('' when not said): "settings(),
        --epochs given", "train's defaults", ... (origins_text says it setting by setting)."""
        if not self.origins:
            return ""
        given = [k for k, v in self.origins.items() if v == GIVEN]
        parts = ["settings()"] if SUGGESTED in self.origins.values() else []
        if FROM_CHECKPOINT in self.origins.values():
            parts.append("the checkpoint's settings")
        if not parts and DEFAULT in self.origins.values():
            parts.append("train's defaults")
        if given:
            parts.append(", ".join("--" + k.replace("_", "-") for k in given) + " given")
        return ", ".join(parts)

    def make_schedule(self):
        """The learning-rate schedule the trainer applies (None without one)."""
        return None if not self.schedule else parse_schedule(self.schedule, self.lr)


def load_data(path):
    """(x_train, y_train, x_val, y_val) of the training file at `path`; a GraphscopeError says what is missing."""
    if not path or not is_python_file(str(path)):
        raise GraphscopeError(f"{path or 'this graph'} is not a training file: training needs the Python file "
                              f"that defines build() (returning the loss) and {DATA_WHAT}")
    return training_data(load_module(path), path)


class TrainingRun:
    """One fit of the session's graph; `report(event)` gets the trainer's events in the training thread."""

    def __init__(self, graph, data, options, report):
        self.graph = graph
        self.data = data
        self.options = options
        self.report = report
        optimizer = make(options.optimizer, graph.params, options.lr)
        self.trainer = Trainer(graph.output, optimizer, batch_size=options.batch_size, epochs=options.epochs,
                               schedule=options.make_schedule(), reg=options.reg, seed=options.seed,
                               shuffle=options.shuffle, dtype=options.dtype, progress=False,
                               callbacks=[self._event], checkpoint=options.checkpoint,
                               overwrite_checkpoint=options.overwrite)
        x, y = self.trainer.roles.recorded_data()
        self.recorded = (x.copy(), y.copy())  # the batch the graph was built with: shown again afterwards
        self._go = threading.Event()
        self._go.set()
        self._stopping = False  # stop() was asked (a fit not begun yet stops before its first batch)
        self._idle = threading.Event()  # set while no fit() runs
        self._idle.set()
        self._before = snapshot_params(graph)
        self.params_before = None  # the parameters before the last step taken
        self.fitted = False  # fit() has run: training again trains options.epochs more
        self.resumed_epoch = None  # the epoch of the checkpoint the run went on with (resume_run)
        self.diverged = None  # the TrainingDiverged of the last fit (None: it ended otherwise, or none ran)
        self.good = None  # the trainer's state at the end of the last whole epoch (or the fit's start): go_back()
        self.went_back = False  # go_back() has put self.good back since the divergence
        self.last_batch = None  # the BatchEnd of the last batch trained (None: none, or gone back since)

    def continue_from(self, folder):
        """Go on with the run saved in `folder` (the trainer's load_checkpoint checks the model, the optimizer and
        the settings; a CheckpointError says what differs): its parameters, optimizer state, history and epoch.
        The first fit trains up to options.epochs in all, or, when the saved run has that many, as many more."""
        self.trainer.load_checkpoint(folder)
        done = self.resumed_epoch = self.trainer.epoch
        self.trainer.epochs = self.options.epochs if self.options.epochs > done else done + self.options.epochs
        self._before = snapshot_params(self.graph)
        with np.errstate(all="ignore"):  # the graph shows the saved parameters' pass on the recorded batch
            self.graph.run(self.recorded_feeds())

    def more(self, report):
        """Train `options.epochs` more epochs on the next fit(), from the parameters as they are now (an edited
        leaf included); `report` gets the events from now on (the screen showing the run). A resumed run not
        fitted yet first goes on to the epochs continue_from() set."""
        self.report = report
        if self.fitted and not self.unfinished:
            self.trainer.epochs = self.trainer.epoch + self.options.epochs
        self._before = snapshot_params(self.graph)
        self._stopping = False
        self.trainer.cancel_stop()  # a stop asked as the last fit ended is not this one's
        self._go.set()

    @property
    def unfinished(self):
        """True when the last fit ended before its target (stopped or diverged): training again goes on to that
        target rather than adding options.epochs to it."""
        return self.fitted and self.trainer.epoch < self.trainer.epochs

    @property
    def exploded(self):
        """True when the last fit diverged and the parameters are still those that made the loss non-finite."""
        return self.diverged is not None and not self.went_back

    @property
    def can_go_back(self):
        """True when the parameters made the loss non-finite after updates since the last good state (a NaN at the
        parameters a fit began with has no better state to go back to)."""
        return self.exploded and self.good is not None and self.good.iterations < self.diverged.iteration - 1

    def go_back(self):
        """After a divergence: put back the trainer's state at the end of the last whole epoch (what a checkpoint
        of it holds: parameters, optimizer state, shuffling, batch-norm and dropout state) and cut the curve there;
        the graph shows that state's pass on the recorded batch. Returns the epoch gone back to."""
        self.good.restore()
        self.went_back = True
        self.last_batch = None
        self.params_before = None
        self._before = snapshot_params(self.graph)
        with np.errstate(all="ignore"):
            self.graph.run(self.recorded_feeds())
        return self.trainer.epoch

    @property
    def epochs(self):
        """The epochs this run trains up to (options.epochs times the number of fits)."""
        return self.trainer.epochs

    @property
    def iterations_per_epoch(self):
        return -(-len(self.data[0]) // self.options.batch_size)

    @property
    def unfinished_batches(self):
        """The batches trained of the epoch in progress (0: the parameters are those at an epoch's end), counted by
        the trainer's own batch numbers, never from the iteration count (an earlier stop mid-epoch shifts it)."""
        last = self.last_batch
        if last is None or last.epoch != self.trainer.epoch or last.batch >= last.batches:
            return 0
        return last.batch

    @property
    def paused(self):
        return not self._go.is_set()

    @property
    def running(self):
        """True while a fit() runs in the training thread (the graph is then the trainer's alone)."""
        return not self._idle.is_set()

    def _event(self, event):
        if isinstance(event, BatchEnd):
            self.last_batch = event
            self.params_before, self._before = self._before, snapshot_params(self.graph)
        elif isinstance(event, EpochEnd):
            self.good = TrainerState(self.trainer)  # what the epoch's checkpoint holds, kept in memory too
        self.report(event)
        held = False
        while not self._go.wait(0.05):  # paused: hold the training thread between two batches
            if not held:  # say where it holds (the screen may have thinned `event` out): the figures show this batch
                held = True
                self.report(event)

    def fit(self):
        """Train (in the worker thread); returns the History, raises TrainingDiverged or GraphscopeError."""
        self._idle.clear()
        self.fitted = True
        self.good = TrainerState(self.trainer)  # until an epoch ends, the state this fit began from
        self.diverged, self.went_back = None, False
        while not self._go.wait(0.05):  # paused before the first batch (space typed with r): nothing trained yet
            pass
        if self._stopping:  # s came before this thread began: the trainer's flag says so, nothing is trained
            self.trainer.stop()
        try:
            return self.trainer.fit(*self.data)
        except TrainingDiverged as exc:
            self.diverged = exc
            raise
        finally:
            self._idle.set()

    def kept(self, wait=5.0):
        """One line saying how far the run got and what is kept on disk, once it has ended (waiting up to `wait`
        seconds for the current batch and checkpoint write): printed when the app quits."""
        self.stop()
        self._idle.wait(wait)
        t = self.trainer
        line = f"training: {t.epoch} of {t.epochs} epochs done"
        if self.diverged is not None:
            d = self.diverged
            line = (f"training diverged at iteration {d.iteration} (epoch {d.epoch + 1}): "
                    + (f"went back to epoch {t.epoch}; " if self.went_back else "")
                    + f"{t.epoch} of {t.epochs} epochs done")
        if t.checkpoint is None:
            return line + "; nothing was saved (--checkpoint DIR keeps every epoch)"
        if t.saved_epoch is None:
            return line + f"; no checkpoint was written to {t.checkpoint} (no epoch finished)"
        line += f"; the checkpoint {t.checkpoint} holds epoch {t.saved_epoch}"
        if self.diverged is not None:  # resuming keeps the settings (and the shuffling): the same divergence
            rate, _ = smaller_rate(self.trainer.history.loss, self.trainer.optimizer.lr)
            return line + (f" (resuming it keeps its settings, lr {t.lr0:g} included, and diverges again at "
                           f"iteration {self.diverged.iteration}: start a new run with a smaller --lr instead, "
                           f"e.g. --lr {rate:g})")
        return line + (f" (resume it: graphscope tui {t.file} --resume {t.checkpoint}, or graphscope train {t.file} "
                       f"--resume {t.checkpoint})" if t.file else "")

    def pause(self):
        self._go.clear()

    def resume(self):
        self._go.set()

    def stop(self):
        """End before the next batch: after the current one, or where it is paused (at an epoch's end: nothing of
        the next epoch is trained)."""
        self._stopping = True
        self.trainer.stop()
        self._go.set()

    def recorded_feeds(self):
        """graph.run's feeds that put the recorded batch back (for showing the trained graph)."""
        return self.trainer.roles.feeds(*self.recorded)


def resume_run(graph, file, options):
    """The TrainingRun of `file`'s graph going on with the checkpoint in ``options.resume`` (the data loaded, the
    checkpoint checked against the model and optimizer, the graph recorded again with the saved parameters);
    raises a GraphscopeError saying what does not fit. Its events go nowhere until a screen shows the run."""
    run = TrainingRun(graph, load_data(file), options, lambda event: None)
    run.continue_from(options.resume)
    return run
