"""What a hyperparameter search leaves behind: its trials, ranked within each round, and the JSON file that keeps
them (written as trials finish, read back to resume a search)."""
import json
import math
import textwrap
from dataclasses import dataclass, field
from typing import Optional

from ..engine.errors import GraphscopeError
from ..engine.formatting import format_table, percent_text
from ..engine.words import plural
from .loss_trend import FLAT_OVER_EPOCHS, GREW

#: The rounds of a search, in the order they run.
STAGES = ("coarse", "fine")
#: What the file's "graphscope" key holds, and the version of its layout.
KIND, VERSION = "search", 1
#: A search file's "status": trials still running, stopped by Ctrl-C (or an error), every trial done.
RUNNING, INTERRUPTED, FINISHED = "running", "interrupted", "finished"
#: The most trials a round may have, and the most epochs a trial may train: a search is a few dozen short
#: trials; more is a typing slip (or a hand-edited file) that would run for days.
MAX_TRIALS, MAX_EPOCHS = 1000, 100_000


class SearchFileError(GraphscopeError):
    """A search file that cannot be read back: missing, not JSON, not a search, or with a bad entry."""


@dataclass
class Trial:
    """One training run of the search: its settings and what each epoch measured.

    A diverged trial keeps the epochs it finished before its loss turned NaN or infinite; its ``loss`` is NaN and
    its accuracies None (it ranks last).
    """

    stage: str
    lr: float
    reg: float
    epochs: int
    loss_per_epoch: list = field(default_factory=list)       # the mean of each epoch's iterations
    train_acc_per_epoch: list = field(default_factory=list)  # from the batches' scores, as the trainer measures it
    val_acc_per_epoch: list = field(default_factory=list)
    diverged: bool = False
    seconds: float = 0.0
    first_loss: Optional[float] = None   # the first iteration's: the loss at the initial weights on one batch
    val_loss_per_epoch: list = field(default_factory=list)   # the data loss alone (no reg term), in eval mode

    @property
    def loss(self):
        """The last epoch's mean loss (NaN when the trial diverged)."""
        return math.nan if self.diverged or not self.loss_per_epoch else self.loss_per_epoch[-1]

    @property
    def train_acc(self):
        return None if self.diverged else _last(self.train_acc_per_epoch)

    @property
    def val_acc(self):
        return None if self.diverged else _last(self.val_acc_per_epoch)

    @property
    def val_loss(self):
        """The last epoch's validation loss: the data loss, without the reg term `loss` holds (None without one)."""
        v = None if self.diverged else _last(self.val_loss_per_epoch)
        return v if v is not None and math.isfinite(v) else None

    @property
    def score(self):
        """What the trials are sorted by: validation accuracy, else training accuracy, else -validation loss, else
        -loss."""
        if self.diverged:
            return -math.inf
        for acc in (self.val_acc, self.train_acc):
            if acc is not None:
                return acc
        if self.val_loss is not None:
            return -self.val_loss
        return -self.loss if math.isfinite(self.loss) else -math.inf

    @property
    def blew_up(self):
        """It diverged, or its last epoch's loss is GREW times the loss at the initial weights (its first
        iteration's): the learning rate was too large."""
        losses = self.loss_per_epoch
        start = self.first_loss if self.first_loss is not None else (losses[0] if losses else None)
        return self.diverged or (start is not None and bool(losses) and losses[-1] > GREW * start)

    @property
    def stalled(self):
        """Its loss hardly moved (by less than FLAT_OVER_EPOCHS of itself, from the first epoch's mean to the last's; from
        the first iteration's in a trial of one epoch): the learning rate was too small."""
        losses = self.loss_per_epoch
        start = losses[0] if len(losses) >= 2 else self.first_loss
        return (not self.diverged and start is not None and bool(losses)
                and abs(losses[-1] - start) < FLAT_OVER_EPOCHS * abs(start))

    def to_dict(self):
        return {"stage": self.stage, "lr": self.lr, "reg": self.reg, "epochs": self.epochs,
                "diverged": self.diverged, "loss": _finite_or_none(self.loss), "train_acc": self.train_acc,
                "val_acc": self.val_acc, "loss_per_epoch": list(self.loss_per_epoch),
                "train_acc_per_epoch": list(self.train_acc_per_epoch),
                "val_acc_per_epoch": list(self.val_acc_per_epoch),
                "val_loss_per_epoch": list(self.val_loss_per_epoch), "first_loss": self.first_loss,
                "seconds": self.seconds}

    @classmethod
    def from_dict(cls, d, where):
        if not isinstance(d, dict):
            raise SearchFileError(f"{where}: expected an object, got {type(d).__name__}")
        if d.get("stage") not in STAGES:
            raise SearchFileError(f"{where}: 'stage' must be one of {', '.join(STAGES)}, got {d.get('stage')!r}")
        lr, reg = _number(d, "lr", where), _number(d, "reg", where)
        epochs = d.get("epochs")
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
            raise SearchFileError(f"{where}: 'epochs' must be a whole number >= 1, got {epochs!r}")
        lists = {"loss_per_epoch": _numbers(d, "loss_per_epoch", where, null=math.nan),  # a loss that was not finite
                 "val_loss_per_epoch": _numbers(d, "val_loss_per_epoch", where, null=math.nan),
                 **{key: _numbers(d, key, where) for key in ("train_acc_per_epoch", "val_acc_per_epoch")}}
        diverged = d.get("diverged", False)
        if not isinstance(diverged, bool):
            raise SearchFileError(f"{where}: 'diverged' must be true or false, got {diverged!r}")
        first = d.get("first_loss")
        if first is not None and (not isinstance(first, (int, float)) or isinstance(first, bool)):
            raise SearchFileError(f"{where}: 'first_loss' must be a number or null, got {first!r}")
        return cls(d["stage"], lr, reg, epochs, diverged=diverged, seconds=float(d.get("seconds") or 0.0),
                   first_loss=None if first is None else float(first), **lists)


@dataclass
class SearchResult:
    """The trials of a search (``trials``, in the order they ran), ``ranked`` and ``best``; ``table()`` ranks
    within each round. ``settings``: how the search was run (what a resumed search must match); ``chance``: the
    accuracy of always answering the most common label (None when the labels are not classes), over ``classes``
    classes; ``status``: running, interrupted or finished; ``path``: the file it was read from or written to."""

    trials: list
    settings: dict = field(default_factory=dict)
    chance: Optional[float] = None
    classes: Optional[int] = None
    status: str = FINISHED
    path: Optional[str] = None
    #: when the search learned nothing: what the layer diagnosis finds at the initial weights that no learning rate
    #: cures (graphscope.train.blocked; health.Finding objects); not kept in the file
    blocked: list = field(default_factory=list)
    #: the fine round's (lr range, reg range); the edges of the coarse ranges it looked past, as (name, 'top' or
    #: 'bottom', its range); why it was skipped ('' when it ran): said as the search runs, not kept in the file
    fine_ranges: Optional[tuple] = None
    past_edges: list = field(default_factory=list)
    fine_skipped: str = ""

    @property
    def ranked(self):
        """Every trial, best first (across rounds: a coarse trial that beats the longer fine ones is the best).
        Ties go to the fine round (the search's answer), then to the higher training accuracy, then to the lower
        validation loss (the data loss alone: the training loss holds the reg term, which would favour a small
        reg), else the lower loss."""
        return sorted(self.trials, key=_rank_key, reverse=True)

    @property
    def best(self):
        return self.ranked[0]

    def stage(self, name):
        """The trials of one round ('coarse' or 'fine'), best first."""
        return [t for t in self.ranked if t.stage == name]

    @property
    def ranked_by(self):
        """'validation accuracy', 'training accuracy' or 'last epoch loss': what the trials were compared on."""
        if any(t.val_acc is not None for t in self.trials):
            return "validation accuracy"
        if any(t.val_loss is not None for t in self.trials):
            return "validation loss"
        if any(t.train_acc is not None for t in self.trials):
            return "training accuracy"
        return "last epoch loss"

    def table(self, limit=None):
        """The fine round's trials then the coarse round's, each ranked within its round (a fine trial trains
        longer, so the two are not compared), at most `limit` of each; a line under it says how they rank, how
        many epochs each round's trials train and what the losses hold."""
        rows = []
        rounds = [s for s in reversed(STAGES) if self.stage(s)]
        best = self.best if self.trials and not self.best.diverged else None
        val_loss = any(t.val_loss is not None for t in self.trials)
        for name in rounds:
            for rank, t in enumerate(self.stage(name)[:limit], 1):
                rows.append((str(rank), t.stage, f"{t.lr:.3g}", f"{t.reg:.3g}",
                             "diverged" if t.diverged else f"{t.loss:.4g}", percent_text(t.train_acc),
                             percent_text(t.val_acc))
                            + (("-" if t.val_loss is None else f"{t.val_loss:.4g}",) if val_loss else ())
                            + ("\u2190 best" if t is best else "",))
        text = format_table(("rank", "stage", "lr", "reg", "loss", "train acc", "val acc")  # epochs: in the note
                            + (("val loss",) if val_loss else ()) + ("",), rows)
        lengths = [f"{name} trials train {plural(self.stage(name)[0].epochs, 'epoch')}" for name in rounds]
        by = {"validation accuracy": "validation accuracy, then training accuracy, then "
                                     + ("validation loss," if val_loss else "loss,"),
              "training accuracy": "training accuracy, then " + ("validation loss," if val_loss else "loss,"),
              "validation loss": "validation loss,"}.get(self.ranked_by, self.ranked_by)
        if not rounds:
            return text
        if len(rounds) > 1:
            note = f"ranked by {by} within each round ({lengths[0]}, {lengths[1]})"
        else:
            note = f"ranked by {by.rstrip(',')} ({lengths[0]})"
        losses = "; loss: the last epoch's" + (
            ", with the reg term (reg * sum ||W||^2)" + ("; val loss: without it" if val_loss else "")
            if any(t.reg > 0 for t in self.trials) else "")
        return text + "\n" + textwrap.fill(note + losses, width=80)

    def to_dict(self):
        best = self.trials.index(self.best) if self.trials and not self.best.diverged else None
        return {"graphscope": KIND, "version": VERSION, "status": self.status, "settings": dict(self.settings),
                "chance": self.chance, "classes": self.classes, "best": best,
                "trials": [t.to_dict() for t in self.trials]}

    def save(self, path):
        """Write the search as JSON, atomically (a Ctrl-C or a crash leaves the previous file whole)."""
        from ..util.atomic import atomic_write
        with atomic_write(path, "search file") as f:
            f.write(json.dumps(_finite_or_none(self.to_dict()), indent=1).encode())
        self.path = path


def load_search(path):
    """The SearchResult a search wrote to `path` (``search(..., save=path)``, ``graphscope search -o``); a file
    that is missing, not JSON or not a search raises SearchFileError naming what is wrong."""
    from ..util.atomic import require_path
    from ..util.readable import MAX_JSON_BYTES, require_readable
    path = require_path(path, "search file")
    require_readable(path, "search file", MAX_JSON_BYTES, SearchFileError)
    try:
        with open(path, "rb") as f:
            d = json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise SearchFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SearchFileError(f"{path}: is a folder, not a search file") from None
    except OSError as exc:
        raise SearchFileError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise SearchFileError(f"{path}: is not a search file (not JSON: {exc})") from None
    if not isinstance(d, dict) or d.get("graphscope") != KIND:
        raise SearchFileError(f"{path}: is not a search file (written by `graphscope search -o` or "
                              f"gs.train.search(..., save=...))")
    if d.get("version") != VERSION:
        raise SearchFileError(f"{path}: is a search file of version {d.get('version')!r}; this graphscope reads "
                              f"version {VERSION}")
    settings, trials = d.get("settings"), d.get("trials")
    if not isinstance(settings, dict):
        raise SearchFileError(f"{path}: 'settings' must be an object")
    check_settings(settings, path)
    if not isinstance(trials, list):
        raise SearchFileError(f"{path}: 'trials' must be a list")
    chance = d.get("chance")
    if chance is not None and not (isinstance(chance, (int, float)) and 0 <= chance <= 1):
        raise SearchFileError(f"{path}: 'chance' must be a number from 0 to 1 or null, got {chance!r}")
    classes = d.get("classes")
    if classes is not None and (not isinstance(classes, int) or classes < 1):
        raise SearchFileError(f"{path}: 'classes' must be a whole number or null, got {classes!r}")
    status = d.get("status")
    if status not in (RUNNING, INTERRUPTED, FINISHED):
        raise SearchFileError(f"{path}: 'status' must be {RUNNING}, {INTERRUPTED} or {FINISHED}, got {status!r}")
    return SearchResult([Trial.from_dict(t, f"{path}: trial {i + 1}") for i, t in enumerate(trials)],
                        settings=settings, chance=chance, classes=classes, status=status, path=path)


def _whole(low, high=None):
    def ok(v):
        return isinstance(v, int) and not isinstance(v, bool) and v >= low and (high is None or v <= high)
    return ok, f"a whole number from {low:,} to {high:,}" if high is not None else f"a whole number >= {low}"


def _pair(zero_ok):
    def ok(v):
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                             and math.isfinite(x) for x in v)):
            return False
        lo, hi = v
        return 0 < lo <= hi or (zero_ok and lo == hi == 0)
    return ok, "a [low, high] pair with 0 < low <= high" + (", or [0, 0]" if zero_ok else "")


def _one_of(*choices):
    return (lambda v: v in choices), "one of " + ", ".join(repr(c) for c in choices)


def _text():
    return (lambda v: isinstance(v, str) and v != ""), "a non-empty string"


#: What each setting a search file records must be (a setting left out is not checked here: the command that
#: resumes says which it needs).
SETTING_FORMS = {"method": _one_of("random", "grid"), "trials": _whole(1, MAX_TRIALS),
                 "fine_trials": _whole(0, MAX_TRIALS), "epochs": _whole(1, MAX_EPOCHS),
                 "fine_epochs": _whole(1, MAX_EPOCHS), "lr_range": _pair(False), "reg_range": _pair(True),
                 "batch_size": _whole(1), "seed": _whole(0), "dtype": _one_of("float32", "float64"),
                 "examples": _whole(0), "data": _text(), "file": _text(), "optimizer": _text()}


def check_settings(settings, path):
    """Raise SearchFileError naming the first setting of a search file that is not of its form."""
    for key, (ok, form) in SETTING_FORMS.items():
        if key in settings and not ok(settings[key]):
            raise SearchFileError(f"{path}: settings.{key} must be {form}, got {settings[key]!r:.60}")


def _rank_key(t):
    """Sorted on, largest first: the score, then the round, then the training accuracy (when the score is the
    validation's), then the loss."""
    train = t.train_acc if t.val_acc is not None and t.train_acc is not None else -math.inf
    if t.val_loss is not None:  # the data loss: the training loss holds the reg term, which favours a small reg
        return t.score, STAGES.index(t.stage), train, 1, -t.val_loss
    return t.score, STAGES.index(t.stage), train, 0, -t.loss if math.isfinite(t.loss) else -math.inf


def _last(values):
    return values[-1] if values else None


def _number(d, key, where):
    v = d.get(key)
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
        raise SearchFileError(f"{where}: '{key}' must be a number >= 0, got {v!r}")
    return float(v)


def _numbers(d, key, where, null=None):
    """The list of numbers under `key`; a null (how _finite_or_none writes a NaN or an infinity) reads as `null`."""
    values = d.get(key, [])
    if not isinstance(values, list) or not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
                                               for v in values):
        raise SearchFileError(f"{where}: '{key}' must be a list of numbers")
    return [null if v is None else float(v) for v in values]


def _finite_or_none(d):
    """JSON has no NaN: a non-finite number is written as null."""
    if isinstance(d, dict):
        return {k: _finite_or_none(v) for k, v in d.items()}
    if isinstance(d, (list, tuple)):
        return [_finite_or_none(v) for v in d]
    if isinstance(d, float) and not math.isfinite(d):
        return None
    return d
