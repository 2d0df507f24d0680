"""Hyperparameter search over the learning rate and the regularization strength, as the lecture advises:
random (log-uniform) rather than grid, a few epochs per trial, coarse then fine.

Every trial starts from the same initial parameters (those the graph holds when the search starts, with the
dropout and batch-norm nodes' state as it was) with a fresh optimizer from `make_optimizer(params, lr)` and the
same shuffling seed, so a trial's result depends on its settings only: a resumed search runs the trials that are
left and gets what the whole search would have. The parameters are put back at the end.
"""
import hashlib
import math
import os

import numpy as np

from ..engine.errors import GraphscopeError
from ..engine.formatting import percent_text
from ..engine.words import plural
from .node_state import restore_node_attrs, stateful_nodes
from .events import EpochEnd
from .lastbatch import last_batch_problem
from .progress import Bar, wanted
from .search_result import (FINISHED, INTERRUPTED, MAX_EPOCHS, MAX_TRIALS, RUNNING, STAGES, SearchResult, Trial,
                            load_search)
from .search_ranges import best_at_edges, coarse_step, edge_of, grid_shape, has_edges, planned_trials
from .search_verdict import chance_of, judge
from .trainer import Trainer, TrainingDiverged
from ..engine.staleness import changed

__all__ = ["search", "SearchResult", "SearchInterrupted", "Trial", "load_search", "grid_shape", "planned_trials",
           "best_at_edges"]

#: Significant digits of the learning rates and regularization strengths tried.
SHORT = 3


class SearchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the search; ``result`` holds the trials that finished (a SearchResult, maybe empty);
    ``saved``: the file they are kept in (None when nothing was written: no new trial had finished)."""

    def __init__(self, message, result, saved=None):
        super().__init__(message)
        self.result = result
        self.saved = saved


def search(loss, make_optimizer, x_train, y_train, x_val=None, y_val=None, *, method="random", trials=8,
           lr=(1e-4, 1e0), reg=(1e-6, 1e-1), epochs=2, fine_trials=None, fine_epochs=None, batch_size=64,
           seed=0, dtype="float32", progress=None, out=None, save=None, resume=None, about=None, drop_last=False):
    """Coarse search over `lr` x `reg` ranges, then a fine one around the best coarse trials.

    `method`: "random" (log-uniform samples) or "grid" (a full grid evenly spaced in log scale, as near square
    as fits: `trials` is rounded up to fill it, see grid_shape). The values tried have 3 significant digits.
    The fine round narrows in on the best coarse trials; when the best sits at an edge of a range (nothing further
    out tried, within a coarse step of it) it may look up to a coarse step past it (``fine_ranges``,
    ``past_edges``). When every coarse trial diverged the fine round is
    skipped (``fine_skipped`` says why). A reg range (0, 0) searches reg = 0 only. `out`, when given
    (e.g. print), is told each trial as it finishes. `save`: a JSON file rewritten (atomically) as each trial
    finishes, on Ctrl-C and at the end: the settings and every finished trial (see load_search). `resume`: the
    SearchResult of an earlier run of this very search (``load_search(path)``): its trials are kept, the others
    run; one run with other settings, data or initial weights is refused. `about`: more settings to record and
    check on resume (the command line's training file and optimizer name). `drop_last`: as the Trainer's (each
    epoch's last batch left out when smaller than `batch_size`).
    Returns a SearchResult (``.table()``, ``.best``); Ctrl-C raises SearchInterrupted holding the finished trials.
    """
    if method not in ("random", "grid"):
        raise GraphscopeError(f"search: method must be 'random' or 'grid', got {method!r}")
    lr = _range(lr, "lr")
    reg = _range(reg, "reg", allow_zero=True)
    fine_trials = trials if fine_trials is None else fine_trials
    fine_epochs = 2 * epochs if fine_epochs is None else fine_epochs
    _count(trials, "trials", 1, MAX_TRIALS)
    _count(fine_trials, "fine_trials", 0, MAX_TRIALS)
    _count(epochs, "epochs", 1, MAX_EPOCHS)
    _count(fine_epochs, "fine_epochs", 1, MAX_EPOCHS)
    graph = loss.graph()
    x_train, y_train, x_val, y_val = Trainer(loss, make_optimizer(graph.params, lr[0]), progress=False).check_data(
        x_train, y_train, x_val, y_val, where="search")  # a bad array is named before any trial runs
    problem = last_batch_problem(graph, len(x_train), batch_size, drop_last)
    if problem:
        raise GraphscopeError(f"search: {problem}")
    initial = [np.array(p.value, copy=True) for p in graph.params]
    node_state = [(n, _copied(n.attrs)) for n in stateful_nodes(graph)]
    settings = {"method": method, "trials": trials, "fine_trials": fine_trials, "epochs": epochs,
                "fine_epochs": fine_epochs, "lr_range": list(lr), "reg_range": list(reg), "batch_size": batch_size,
                "seed": seed, "dtype": str(dtype), "examples": len(x_train),
                "data": _fingerprint(x_train, y_train, x_val, y_val, *initial), **(about or {}),
                **({"drop_last": True} if drop_last else {})}
    record = SearchResult([], settings, *chance_of(y_val if y_val is not None else y_train), status=RUNNING)
    rng = np.random.default_rng(seed)
    rounds = {"coarse": (_points(method, lr, reg, trials, rng), epochs), "fine": (None, fine_epochs)}

    def fine_points(ranked):
        """The fine round's points (none when every coarse trial diverged); its ranges are kept in `record`."""
        if ranked and all(t.diverged for t in ranked):
            record.fine_skipped = f"every coarse trial diverged (lr {lr[0]:g} to {lr[1]:g})"
            return []
        narrowed = _narrow(method, trials, ranked, lr, reg)
        record.fine_ranges, record.past_edges = narrowed[:2], narrowed[2]
        return _points(method, *narrowed[:2], fine_trials, rng)

    kept = _kept_trials(resume, settings, rounds, fine_points)
    n_coarse = len(rounds["coarse"][0])
    n_fine = planned_trials(method, fine_trials, lr, reg)
    planned = n_coarse + n_fine
    if resume is not None and out is not None:
        out(_resuming(resume, planned))
    left = max(0, n_coarse - len(kept["coarse"])) * epochs + max(0, n_fine - len(kept["fine"])) * fine_epochs
    # the file is written once there is something new in it: a trial run, kept trials copied to another file
    written = {"new": resume is not None and _other_file(resume, save) and bool(resume.trials)}

    def run_round(stage, bar):
        points, n_epochs = rounds[stage]

        def epoch_done(event):  # the bar counts epochs; its note is made only when it is redrawn
            if isinstance(event, EpochEnd):
                bar.advance(lambda: _note(record, planned))

        for i, (lr_i, reg_i) in enumerate(points):
            if i < len(kept[stage]):
                record.trials.append(kept[stage][i])
                continue
            _reset(graph, initial, node_state)
            record.trials.append(_trial(stage, loss, make_optimizer, lr_i, reg_i, n_epochs, batch_size, seed,
                                        dtype, x_train, y_train, x_val, y_val, epoch_done, drop_last))
            written["new"] = True
            _tell(out, record.trials[-1])
            if save is not None:
                record.save(save)

    try:
        with Bar(left, "search", wanted(progress), unit="epochs") as bar:
            run_round("coarse", bar)
            if fine_trials:
                if rounds["fine"][0] is None:  # (made before anything ran when the file held fine trials)
                    rounds["fine"] = (fine_points(record.ranked), fine_epochs)
                if out is not None and (len(kept["fine"]) < len(rounds["fine"][0])
                                        or (record.fine_skipped and len(kept["coarse"]) < n_coarse)):
                    out(_fine_line(record, lr, reg))  # (not again when the file held every fine trial)
                run_round("fine", bar)
    except KeyboardInterrupt:
        record.status = INTERRUPTED
        kept_in = _keep(record, save if written["new"] else None)
        # the file that holds the finished trials: the one written, or the one resumed when nothing new was run
        held = save if written["new"] else (save if resume is not None and resume.trials and save is not None
                                             and not _other_file(resume, save) else None)
        if held and not kept_in:
            kept_in = f", kept in {held}"
        n = len(record.trials)
        raise SearchInterrupted(f"interrupted during trial {n + 1} of {planned}; "
                                + (f"{plural(n, 'trial')} had finished" if n else "no trial had finished")
                                + kept_in, record, held) from None
    except Exception:  # a trial that fails leaves the file as a search to resume, never one still "running"
        record.status = INTERRUPTED
        _keep(record, save if written["new"] else None)
        raise
    finally:
        _reset(graph, initial, node_state)
    record.status = FINISHED
    if not judge(record, lr).learned:
        record.blocked = _blocked(loss, make_optimizer, lr, batch_size, seed, dtype, x_train, y_train)
        _reset(graph, initial, node_state)
    if save is not None and (written["new"] or (resume is not None and resume.status != FINISHED)):
        record.save(save)
    elif resume is not None:
        record.path = resume.path
    return record


def _blocked(loss, make_optimizer, lr, batch_size, seed, dtype, x_train, y_train):
    """What no learning rate cures, found by the layer diagnosis at the initial weights (graphscope.train.blocked)."""
    from .blocked import blocking_findings
    trainer = Trainer(loss, make_optimizer(loss.graph().params, lr[0]), batch_size=batch_size, seed=seed,
                      dtype=dtype, progress=False)
    return blocking_findings(trainer, *trainer._data(x_train, y_train, "search"))


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
    """(lr, reg) pairs: log-uniform random samples, or a full grid spaced evenly in log scale (grid_shape)."""
    if n == 0:
        return []
    if method == "random":
        return [(_log_uniform(rng, lr), _log_uniform(rng, reg)) for _ in range(n)]
    side_lr, side_reg = grid_shape(n, lr, reg)
    return [(a, b) for a in _log_grid(lr, side_lr) for b in _log_grid(reg, side_reg)]


def _log_uniform(rng, r):
    lo, hi = r
    if lo == 0:
        return 0.0
    return _short(10 ** rng.uniform(math.log10(lo), math.log10(hi)), r)


def _log_grid(r, n):
    lo, hi = r
    if lo == hi:
        return [lo]
    return [_short(v, r) for v in np.geomspace(lo, hi, n)] if n > 1 else [_short(math.sqrt(lo * hi), r)]


def _short(v, r):
    """`v` to SHORT significant digits, kept in the range `r`: the value tried is the one the table shows and
    the suggested command types, so the command repeats the trial exactly."""
    return min(max(float(f"{float(v):.{SHORT}g}"), r[0]), r[1])


def _narrow(method, trials, ranked, lr, reg):
    """(fine lr range, fine reg range, [the edges looked past]) around the best coarse trials that did not diverge:
    random search: the span of the best third, widened 2x each way; grid search: half a coarse step either side
    of the best trial, so the fine grid is finer. Kept within the coarse ranges except past an edge the best
    trial sits at (edge_of), where it may reach one coarse step further (half a step for a grid: the lecture's
    coarse-to-fine advice: a best value at an edge says the range was too narrow)."""
    good = [t for t in ranked if not t.diverged]
    if not good:
        return lr, reg, []
    good = good[:max(1, math.ceil(len(good) / 3))] if method == "random" else good[:1]
    ranges, past = [], []
    for name, r, other, values in (("lr", lr, reg, [t.lr for t in good]), ("reg", reg, lr, [t.reg for t in good])):
        step = coarse_step(method, name, trials, r, other)
        if step <= 1:
            ranges.append(r)
            continue
        tried = [getattr(t, name) for t in ranked]
        edge = edge_of(values[0], r, step, tried) if has_edges(name, trials, r, other) else ""
        lo, hi = (r[0] / step if edge == "bottom" else r[0]), (r[1] * step if edge == "top" else r[1])
        if method == "random":
            wide = (min(values) / 2, max(values) * 2)
        else:
            wide = (values[0] / math.sqrt(step), values[0] * math.sqrt(step))
        fine = (_short(max(lo, wide[0]), (lo, hi)), _short(min(hi, wide[1]), (lo, hi)))
        ranges.append(fine)
        if edge and (fine[0] < r[0] or fine[1] > r[1]):
            past.append((name, edge, fine))
    return ranges[0], ranges[1], past


# ---------------------------------------------------------------- every trial from the same start

def _copied(attrs):
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in attrs.items()}


def _reset(graph, initial, node_state):
    """The parameters and the dropout/batch-norm nodes' state as they were when the search started."""
    for p, v in zip(graph.params, initial):
        if isinstance(p.value, np.ndarray):
            np.copyto(p.value, v, casting="unsafe")
            changed((p,))  # values computed from the old one are stale (engine.staleness)
        else:
            p.value = float(v)
        p.grad = None
    for node, attrs in node_state:
        restore_node_attrs(node, attrs)  # in place: a BatchNorm1d module holds the same running-average arrays


def _fingerprint(*arrays):
    """A short hash of the data and the initial weights: a search resumed on anything else is refused."""
    h = hashlib.blake2b(digest_size=12)
    for a in arrays:
        if a is None:
            h.update(b"none;")
            continue
        a = np.ascontiguousarray(np.asarray(a))
        h.update(f"{a.dtype.str}{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _trial(stage, loss, make_optimizer, lr, reg, epochs, batch_size, seed, dtype, x_train, y_train, x_val, y_val,
           epoch_done, drop_last=False):
    graph = loss.graph()
    trainer = Trainer(loss, make_optimizer(graph.params, lr), batch_size=batch_size, epochs=epochs, reg=reg,
                      seed=seed, dtype=dtype, progress=False, callbacks=[epoch_done], drop_last=drop_last)
    diverged = False
    try:
        trainer.fit(x_train, y_train, x_val, y_val)
    except TrainingDiverged:
        diverged = True
    h = trainer.history
    return Trial(stage, lr, reg, epochs, h.epoch_loss()[:h.epochs], list(h.train_acc), list(h.val_acc),
                 diverged=diverged, seconds=float(sum(s for s in h.seconds if s is not None)),
                 first_loss=h.loss[0] if h.loss else None,
                 val_loss_per_epoch=[math.nan if v is None else v for v in h.val_loss if x_val is not None])


# ---------------------------------------------------------------- resuming

def _kept_trials(resume, settings, rounds, fine_points):
    """{stage: [Trial]} of `resume` (a SearchResult of this same search), in the order they ran, after checking
    all of it before anything runs or is written: the same settings, data and initial weights, no more trials
    than a round has, each trial the one this search runs at its place (the fine round's points, which the
    coarse trials decide, are put in `rounds` when the file holds fine trials)."""
    kept = {stage: [] for stage in STAGES}
    if resume is None:
        return kept
    if not isinstance(resume, SearchResult):
        raise GraphscopeError(f"search: resume must be the SearchResult of an earlier run of the search "
                              f"(gs.train.load_search(path)), got {type(resume).__name__}")
    where = f"the search in {resume.path}" if resume.path else "the search resumed"
    if resume.settings.get("data") != settings["data"]:
        raise GraphscopeError(f"search: {where} was run on other data or other initial weights (was the training "
                              f"file changed?): its trials would not compare with new ones; start a new search")
    differ = [k for k in settings if k != "data" and resume.settings.get(k) != settings[k]]
    if differ:
        raise GraphscopeError(f"search: {where} was run with "
                              + ", ".join(f"{k}={resume.settings.get(k)!r}" for k in differ) + "; this one with "
                              + ", ".join(f"{k}={settings[k]!r}" for k in differ)
                              + ": resume it with its own settings, or start a new search")
    for t in resume.trials:
        kept[t.stage].append(t)
    counts = {"coarse": len(rounds["coarse"][0]),  # a grid's trials, --trials rounded up
              "fine": planned_trials(settings["method"], settings["fine_trials"], tuple(settings["lr_range"]),
                                     tuple(settings["reg_range"]))}
    for stage in STAGES:
        if len(kept[stage]) > counts[stage]:
            raise GraphscopeError(f"search: {where} holds {len(kept[stage])} {stage} trials, where the search has "
                                  f"{counts[stage]}: it was not written by this search")
    if kept["fine"] and len(kept["coarse"]) < counts["coarse"]:
        raise GraphscopeError(f"search: {where} holds fine trials but only {len(kept['coarse'])} of the "
                              f"{counts['coarse']} coarse trials they follow: it was not written by this search")
    _same_trials(kept["coarse"], "coarse", *rounds["coarse"], where)
    if kept["fine"]:
        rounds["fine"] = (fine_points(SearchResult(list(kept["coarse"])).ranked), rounds["fine"][1])
        _same_trials(kept["fine"], "fine", *rounds["fine"], where)
    return kept


def _same_trials(trials, stage, points, epochs, where):
    """Check that each kept trial of `stage` is the one this search runs at that place."""
    for i, (t, (lr, reg)) in enumerate(zip(trials, points)):
        if (t.lr, t.reg, t.epochs) != (lr, reg, epochs):
            raise GraphscopeError(f"search: {where}: its {stage} trial {i + 1} tried lr {t.lr:g}, reg {t.reg:g}, "
                                  f"{plural(t.epochs, 'epoch')}, where this search tries lr {lr:g}, reg {reg:g}, "
                                  f"{plural(epochs, 'epoch')}: it was not written by this search (or was "
                                  f"edited); start a new search with -o OTHER.json")


def _other_file(resume, save):
    """True when the search is written to another file than the one resumed."""
    import os
    return save is not None and (resume.path is None or os.path.abspath(resume.path) != os.path.abspath(save))


def _count(n, what, least, most):
    if not isinstance(n, int) or isinstance(n, bool) or not least <= n <= most:
        raise GraphscopeError(f"search: {what} must be a whole number from {least} to {most:,}, got {n!r}")


def _resuming(resume, planned):
    where = f"the search in {resume.path}" if resume.path else "the search"
    done = len(resume.trials)
    if done >= planned:
        return f"every trial of {where} had finished ({done} of {planned}): nothing to run"
    return f"resuming {where}: {done} of {planned} trials had finished, {planned - done} to run"


def _keep(record, save):
    """Write the interrupted search to `save` (a second Ctrl-C leaves the previous write); the message's ending."""
    if save is None:
        return ""
    try:
        record.save(save)
    except KeyboardInterrupt:
        return f", kept in {save} except the last"
    return f", kept in {save}"


# ---------------------------------------------------------------- what is shown as it goes

def _tell(out, t):
    if out is not None:
        result = "diverged" if t.diverged else (f"loss {t.loss:.4g}, train {percent_text(t.train_acc)}, "
                                                f"val {percent_text(t.val_acc)}")
        out(f"{t.stage:6s} lr {t.lr:.{SHORT}g}  reg {t.reg:.{SHORT}g}: {result}")


def _fine_line(record, lr, reg):
    """What the fine round tries (or why it is skipped), said before it starts."""
    if record.fine_skipped:
        return f"{record.fine_skipped}: the fine round is skipped (it would search the same rates)"
    (flo, fhi), (rlo, rhi) = record.fine_ranges
    line = f"fine round: lr in [{flo:.{SHORT}g}, {fhi:.{SHORT}g}]" + (
        f", reg in [{rlo:.{SHORT}g}, {rhi:.{SHORT}g}]" if rhi > 0 else "")
    for name, edge, fine in record.past_edges:
        r = lr if name == "lr" else reg
        end, limit = (fine[1], r[1]) if edge == "top" else (fine[0], r[0])
        line += f"; {name} past the {edge} of its range ({limit:g}) to {end:.{SHORT}g}: the best coarse trial sits at it"
    return line


def _note(record, planned):
    """Beside the bar: the trial running, and the best so far with the same digits as the trial lines."""
    running = f"trial {min(len(record.trials) + 1, planned)}/{planned}"
    if not record.trials or record.best.diverged:
        return running
    best = record.best
    acc = best.val_acc if best.val_acc is not None else best.train_acc
    return (f"{running}  best lr {best.lr:.{SHORT}g} reg {best.reg:.{SHORT}g}"
            + ("" if acc is None else f" ({percent_text(acc)}, {best.stage})"))
