"""Hyperparameter search over the learning rate and the regularization strength, as the lecture advises:
random (log-uniform) rather than grid, a few epochs per trial, coarse then fine.

Every trial starts from the same initial parameters (those the graph holds when the search starts)
with a fresh optimizer from `make_optimizer(params, lr)`; the parameters are put back at the end.
"""
import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..engine.errors import GraphscopeError
from ..engine.formatting import format_table
from ..engine.words import plural
from .progress import Bar, wanted
from .trainer import Trainer, TrainingDiverged


#: Significant digits of the learning rates and regularization strengths tried.
SHORT = 3


class SearchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the search; ``result`` holds the trials that finished (a SearchResult, maybe empty)."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


@dataclass
class Trial:
    """One training run of the search and how it ended."""

    stage: str
    lr: float
    reg: float
    epochs: int
    train_acc: Optional[float]  # the last epoch's (as the trainer measures it, from the batches' scores)
    val_acc: Optional[float]
    loss: float                 # mean over the last epoch's iterations
    diverged: bool = False

    @property
    def score(self):
        """What the trials are sorted by: validation accuracy, else training accuracy, else -loss."""
        if self.diverged:
            return -math.inf
        for acc in (self.val_acc, self.train_acc):
            if acc is not None:
                return acc
        return -self.loss


@dataclass
class SearchResult:
    trials: list

    @property
    def ranked(self):
        return sorted(self.trials, key=lambda t: t.score, reverse=True)

    @property
    def best(self):
        return self.ranked[0]

    def table(self, limit=None):
        rows = []
        for rank, t in enumerate(self.ranked[:limit], 1):
            rows.append((str(rank), t.stage, f"{t.lr:.3g}", f"{t.reg:.3g}", str(t.epochs),
                         "diverged" if t.diverged else f"{t.loss:.4g}", _pct(t.train_acc), _pct(t.val_acc)))
        return format_table(("rank", "stage", "lr", "reg", "epochs", "last epoch loss", "train acc", "val acc"), rows)


def _pct(v):
    return "-" if v is None else f"{100 * v:.1f}%"


def search(loss, make_optimizer, x_train, y_train, x_val=None, y_val=None, *, method="random", trials=8,
           lr=(1e-4, 1e0), reg=(1e-6, 1e-1), epochs=2, fine_trials=None, fine_epochs=None, batch_size=64,
           seed=0, dtype="float32", progress=None, out=None):
    """Coarse search over `lr` x `reg` ranges, then a fine one around the best coarse trials.

    `method`: "random" (log-uniform samples) or "grid" (a square grid of about `trials` points).
    The values tried have 3 significant digits. A reg range (0, 0) searches reg = 0 only. `out`, when given
    (e.g. print), is told each trial as it finishes. Returns a SearchResult (``.table()``, ``.best``); Ctrl-C
    raises SearchInterrupted holding the finished trials' SearchResult.
    """
    if method not in ("random", "grid"):
        raise GraphscopeError(f"search: method must be 'random' or 'grid', got {method!r}")
    lr = _range(lr, "lr")
    reg = _range(reg, "reg", allow_zero=True)
    if not isinstance(trials, int) or trials < 1:
        raise GraphscopeError(f"search: trials must be an integer >= 1, got {trials!r}")
    fine_trials = trials if fine_trials is None else fine_trials
    fine_epochs = 2 * epochs if fine_epochs is None else fine_epochs
    graph = loss.graph()
    initial = [np.array(p.value, copy=True) for p in graph.params]
    rng = np.random.default_rng(seed)
    done = []
    total = trials * epochs + fine_trials * fine_epochs
    try:
        with Bar(total, "search", wanted(progress)) as bar:
            coarse = _points(method, lr, reg, trials, rng)
            for lr_i, reg_i in coarse:
                done.append(_trial("coarse", loss, graph, initial, make_optimizer, lr_i, reg_i, epochs,
                                   batch_size, seed, dtype, x_train, y_train, x_val, y_val))
                _tell(out, done[-1])
                bar.advance(_note(done), epochs)
            if fine_trials:
                fine_lr, fine_reg = _narrow(SearchResult(done).ranked, lr, reg)
                for lr_i, reg_i in _points(method, fine_lr, fine_reg, fine_trials, rng):
                    done.append(_trial("fine", loss, graph, initial, make_optimizer, lr_i, reg_i, fine_epochs,
                                       batch_size, seed, dtype, x_train, y_train, x_val, y_val))
                    _tell(out, done[-1])
                    bar.advance(_note(done), fine_epochs)
    except KeyboardInterrupt:
        raise SearchInterrupted(f"interrupted during trial {len(done) + 1}; "
                                + (f"{plural(len(done), 'trial')} had finished" if done else "no trial had finished"),
                                SearchResult(done)) from None
    finally:
        for p, v in zip(graph.params, initial):
            _put(p, v)
    return SearchResult(done)


def _range(r, what, allow_zero=False):
    try:
        lo, hi = (float(v) for v in r)
    except (TypeError, ValueError):
        raise GraphscopeError(f"search: {what} must be a (low, high) pair of numbers, got {r!r}") from None
    if allow_zero and lo == hi == 0:
        return 0.0, 0.0
    if not (math.isfinite(lo) and math.isfinite(hi)) or not 0 < lo <= hi:
        raise GraphscopeError(f"search: the {what} range ({lo:g}, {hi:g}) must satisfy 0 < low <= high (sampled "
                              f"log-uniformly)" + (", or be (0, 0) for none" if allow_zero else ""))
    return lo, hi


def _points(method, lr, reg, n, rng):
    """(lr, reg) pairs: log-uniform random samples, or a grid spaced evenly in log scale."""
    if method == "random":
        return [(_log_uniform(rng, lr), _log_uniform(rng, reg)) for _ in range(n)]
    side_lr = max(1, int(math.ceil(math.sqrt(n)))) if reg[0] > 0 else n
    side_reg = max(1, -(-n // side_lr)) if reg[0] > 0 else 1
    lrs = _log_grid(lr, side_lr)
    regs = _log_grid(reg, side_reg) if reg[0] > 0 else [0.0]
    return [(a, b) for a in lrs for b in regs][:n]


def _log_uniform(rng, r):
    lo, hi = r
    if lo == 0:
        return 0.0
    return _short(10 ** rng.uniform(math.log10(lo), math.log10(hi)), r)


def _log_grid(r, n):
    lo, hi = r
    return [_short(v, r) for v in np.geomspace(lo, hi, n)] if n > 1 else [_short(math.sqrt(lo * hi), r)]


def _short(v, r):
    """`v` to SHORT significant digits, kept in the range `r`: the value tried is the one the table shows and
    the suggested command types, so the command repeats the trial exactly."""
    return min(max(float(f"{float(v):.{SHORT}g}"), r[0]), r[1])


def _narrow(ranked, lr, reg):
    """The fine ranges: the span of the best third of the trials that did not diverge, widened by 2x each way."""
    good = [t for t in ranked if not t.diverged]
    good = good[:max(1, math.ceil(len(good) / 3))]
    if not good:
        return lr, reg
    lrs = [t.lr for t in good]
    fine_lr = (max(lr[0], min(lrs) / 2), min(lr[1], max(lrs) * 2))
    if reg[0] == 0:
        return fine_lr, reg
    regs = [t.reg for t in good]
    return fine_lr, (max(reg[0], min(regs) / 2), min(reg[1], max(regs) * 2))


def _put(p, v):
    if isinstance(p.value, np.ndarray):
        np.copyto(p.value, v, casting="unsafe")
    else:
        p.value = float(v)
    p.grad = None


def _trial(stage, loss, graph, initial, make_optimizer, lr, reg, epochs, batch_size, seed, dtype,
           x_train, y_train, x_val, y_val):
    for p, v in zip(graph.params, initial):
        _put(p, v)
    trainer = Trainer(loss, make_optimizer(graph.params, lr), batch_size=batch_size, epochs=epochs, reg=reg,
                      seed=seed, dtype=dtype, progress=False)
    try:
        h = trainer.fit(x_train, y_train, x_val, y_val)
    except TrainingDiverged:
        return Trial(stage, lr, reg, epochs, None, None, math.nan, diverged=True)
    return Trial(stage, lr, reg, epochs, h.train_acc[-1], h.val_acc[-1], h.epoch_loss()[-1])


def _tell(out, t):
    if out is not None:
        result = "diverged" if t.diverged else (f"loss {t.loss:.4g}, train {_pct(t.train_acc)}, "
                                                f"val {_pct(t.val_acc)}")
        out(f"{t.stage:6s} lr {t.lr:.3g}  reg {t.reg:.3g}: {result}")


def _note(done):
    best = SearchResult(done).best
    return f"best lr {best.lr:.2g} reg {best.reg:.2g}"
