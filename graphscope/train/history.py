"""What a training run leaves behind: loss per iteration, accuracies and learning rate per epoch."""
import json
import math
from dataclasses import dataclass, field

from ..engine.errors import GraphscopeError
from ..engine.formatting import format_table, percent_text

#: Lists kept per epoch (one entry each).
PER_EPOCH = ("train_acc", "val_acc", "val_loss", "lr", "seconds")

#: How many epochs History.table shows by default (evenly spaced when the run is longer).
TABLE_ROWS = 20
#: Under the table: what 'train acc' and 'val acc' are measured on (they are not the same thing).
ACCURACY_NOTE = ("(train acc: over the epoch's batches, in training mode, as the weights moved; val acc: after the "
                 "epoch, in eval mode)")


@dataclass
class History:
    """``loss``: one entry per iteration (the data loss plus reg * sum ||W||^2);
    ``train_acc`` (from the batches' own scores), ``val_acc``, ``val_loss``, ``lr``,
    ``seconds``: one entry per epoch (None where not measured); ``settings``: how it was trained;
    ``layers``: with ``Trainer(watch_layers=True)``, one compact record of the layers' health per epoch
    (graphscope.train.health.epoch_summary; kept in checkpoints, so a resumed run's are the whole run's);
    ``notes``: what a reader of the history must know about it (the checkpoint holds fewer epochs, ...).
    """

    loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    stopped: str = ""
    layers: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def epochs(self):
        return len(self.lr)

    @property
    def iterations(self):
        return len(self.loss)

    def epoch_loss(self):
        """Mean loss of each epoch's iterations."""
        per = self.settings.get("iterations_per_epoch") or 0
        if not per:
            return []
        return [sum(self.loss[i:i + per]) / len(self.loss[i:i + per]) for i in range(0, len(self.loss), per)]

    def to_dict(self):
        out = {"loss": list(self.loss), **{k: list(getattr(self, k)) for k in PER_EPOCH},
               "settings": dict(self.settings), "stopped": self.stopped}
        if self.layers:
            out["layers"] = list(self.layers)
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    @classmethod
    def from_dict(cls, d, what="history"):
        if not isinstance(d, dict):
            raise GraphscopeError(f"{what}: expected a JSON object, got {type(d).__name__}")
        out = cls(settings=dict(d.get("settings") or {}), stopped=str(d.get("stopped") or ""))
        for key in ("loss",) + PER_EPOCH:
            values = d.get(key, [])
            if not isinstance(values, list) or not all(v is None or isinstance(v, (int, float)) for v in values):
                raise GraphscopeError(f"{what}: '{key}' must be a list of numbers")
            setattr(out, key, [None if v is None else float(v) for v in values])
        layers = d.get("layers", [])
        if not isinstance(layers, list) or not all(isinstance(v, dict) for v in layers):
            raise GraphscopeError(f"{what}: 'layers' must be a list of objects (one per epoch)")
        out.layers = layers
        notes = d.get("notes", [])
        if not isinstance(notes, list) or not all(isinstance(v, str) for v in notes):
            raise GraphscopeError(f"{what}: 'notes' must be a list of strings")
        out.notes = notes
        return out

    def to_json(self):
        return json.dumps(_finite_or_null(self.to_dict()), indent=1)

    def save(self, path):
        """Write the history as JSON, atomically."""
        from ..util.atomic import atomic_write
        with atomic_write(path, "history") as f:
            f.write(self.to_json().encode())

    def table(self, max_rows=TABLE_ROWS, resumed_after=None, all_rows_hint="table(max_rows=None) shows them all",
              accuracy_note=False):
        """One row per epoch: mean loss, train and validation accuracy, learning rate, time; with `accuracy_note`
        (as graphscope train prints it), a last line saying what the accuracies are measured on (ACCURACY_NOTE).

        A run longer than `max_rows` epochs (20 by default, as ``graphscope train`` prints it) shows `max_rows`
        evenly spaced epochs (always the first and the last) and says so under the table, ending with
        `all_rows_hint`; ``max_rows=None`` shows every epoch. `resumed_after` (the epoch a resumed run started
        from) keeps that epoch's row and the next, the next marked '<- resumed', within the `max_rows`.
        """
        losses = self.epoch_loss()
        rows = []
        shown = range(self.epochs)
        thinned = bool(max_rows and self.epochs > max_rows)
        if thinned:
            kept = {e for e in (resumed_after - 1, resumed_after) if 0 <= e < self.epochs} if resumed_after else set()
            shown, spacing = shown_epochs(self.epochs, max(2, max_rows), kept)
        for e in shown:
            mark = "\u2190 resumed" if resumed_after and e == resumed_after else ""
            rows.append((str(e + 1), _num(losses[e] if e < len(losses) else None), percent_text(_at(self.train_acc, e)),
                         percent_text(_at(self.val_acc, e)), _num(_at(self.val_loss, e)),
                         f"{self.lr[e]:.3g}", _secs(_at(self.seconds, e))) + ((mark,) if resumed_after else ()))
        titles = ("epoch", "loss", "train acc", "val acc", "val loss", "lr", "time") + (("",) if resumed_after else ())
        text = format_table(titles, rows)
        if thinned:
            text += (f"\n({len(shown)} of {self.epochs} epochs shown, {spacing}, the first and the last"
                     f"{', and where the run was resumed' if resumed_after else ''}; {all_rows_hint})")
        return text + "\n" + ACCURACY_NOTE if accuracy_note else text

    def __repr__(self):
        last = f", last loss {self.loss[-1]:.4g}" if self.loss else ""
        return f"<History: {self.epochs} epochs, {self.iterations} iterations{last}>"


def shown_epochs(epochs, rows, kept=frozenset()):
    """(the 0-based epochs a table of at most `rows` rows shows of `epochs` > `rows`, how they are spaced in
    words): as many as fit, evenly spaced from the first to the last, plus the epochs `kept`."""
    for k in range(rows, 1, -1):
        # k points from 0 to epochs - 1, rounded half up: spaced at least 1 apart, so all distinct
        spaced = [(i * (epochs - 1) * 2 + (k - 1)) // (2 * (k - 1)) for i in range(k)]
        shown = sorted(set(spaced) | set(kept))
        if len(shown) <= rows:
            break
    gaps = sorted({b - a for a, b in zip(spaced, spaced[1:])})
    spacing = f"one every {gaps[0]}" if len(gaps) == 1 else f"one every {gaps[0]} or {gaps[-1]}"
    return shown, spacing


def _at(values, i):
    return values[i] if i < len(values) else None


def _num(v):
    return "-" if v is None else f"{v:.4g}"


def _secs(v):
    """An epoch's time, readable at every scale: '0.7ms', '42ms', '1.85s', '2m05s' (an epoch of a small net takes
    milliseconds: in seconds with 2 decimals every row would read 0.00s)."""
    if v is None:
        return "-"
    if v < 0.01:
        return f"{v * 1e3:.1f}ms"
    if v < 1:
        return f"{v * 1e3:.0f}ms"
    if v < 60:
        return f"{v:.2f}s"
    minutes, seconds = divmod(int(round(v)), 60)
    return f"{minutes}m{seconds:02d}s"


def _finite_or_null(d):
    """JSON has no NaN: a non-finite number is written as null."""
    if isinstance(d, dict):
        return {k: _finite_or_null(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_finite_or_null(v) for v in d]
    if isinstance(d, float) and not math.isfinite(d):
        return None
    return d
