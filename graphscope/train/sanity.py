"""The lecture's sanity checks before a long run, each with the number it measured and a verdict:

1. the initial loss is close to what chance gives: log(C) for the softmax loss, C - 1 for the SVM
   loss (C classes) when the weights are small. With He/Xavier init the scores spread (std s across
   classes) and chance gives more (log(C) + s^2/2 for small s): the loss is compared with the mean loss
   of the actual initial scores for labels drawn uniformly, and the spread itself must stay small
   (badly scaled inputs or too large weights spread it far); measured as the first batches of training see it:
   without regularization, in training mode (batch norm normalizes by the batch's statistics, as training does
   before its running averages mean anything), dropout off, on batches of the trainer's batch size;
2. adding regularization raises the loss;
3. a small random subset (20 examples) can be overfitted to 100% training accuracy, without regularization
   or dropout (reg 0, every dropout node's p 0), at the trainer's learning rate or, when that is too slow, at 10x and 100x it (1/10 and 1/100 when it blows up or stalls).
   When the trainer's own rate diverges (or raises the loss) and a smaller one fits, a fourth line fails:
   training at that rate would go the same way.
   Examples of one class prove nothing (a constant answer fits them): the check is not performed on them, and
   a subset of one class drawn from data of several gives way to one taking each class in turn.

The trainer's parameters, optimizer state, RNG, history and the batch-norm and dropout nodes' state
(running averages, mask draws) are put back afterwards.

A check that cannot be made for this model (no class scores to compare the initial loss with, a hand-written loss
that matches neither what a softmax loss gives per example nor summed, no weights to regularize) is not
performed: its line is marked [skip] with the figure it has and why, the summary counts it apart, and
``SanityReport.ok`` stays true (nothing was found wrong) while ``complete`` is false.
"""
import math
from dataclasses import dataclass

import numpy as np

from ..engine.errors import GraphscopeError
from ..engine.formatting import pretty_as_str
from ..engine.update_ratio import UPDATE_RATIO_TARGET, UPDATE_RATIO_TARGET_TEXT
from ..engine.words import plural
from .blocked import blocked_lines, blocking_findings
from .lastbatch import last_batch_problem
from .loss_trend import FLAT_ON_A_FEW
from .rewind import TrainerState
from .settings import VAL_CHUNK

SUBSET = 20
#: Relative distance of the initial loss from what the initial scores give an untrained net, still called close.
INITIAL_TOLERANCE = 0.25
#: The widest spread of the initial class scores (std across classes) still called small: He/Xavier init on
#: standardized inputs gives about 1 to 1.5; raw pixels or too large weights give 5 and more.
SPREAD_LIMIT = 3.0
#: How many (label, class) margins the expected SVM loss computes at once (rows x C x C).
SVM_PAIRS = 1 << 22
OVERFIT_STEPS = 1000
PROBE_REG = 1e3


@dataclass
class Check:
    """One sanity check: what was measured, what was expected, and whether it passed; ``performed`` False when
    it could not be made for this model (then ``ok`` is True: nothing was found wrong, and the figure says why)."""

    name: str
    figure: str
    ok: bool
    advice: str = ""
    performed: bool = True

    @property
    def status(self):
        """'ok', 'FAIL' or 'skip' (not performed)."""
        return "skip" if not self.performed else "ok" if self.ok else "FAIL"

    def line(self):
        """'[ok  ] name: figure', '[skip] ...', or '[FAIL] ...' with the advice's lines indented below it."""
        advice = "" if self.ok or not self.advice else "".join(f"\n       {a}" for a in self.advice.split("\n"))
        return f"[{self.status:4s}] {self.name}: {self.figure}{advice}"

    def __repr__(self):
        return f"<Check [{self.status}] {self.name}: {self.figure}>"

    __str__ = line
    _repr_pretty_ = pretty_as_str


def _skipped(name, figure):
    """A check not performed: `figure` says what was measured and why nothing was compared."""
    return Check(name, figure, True, performed=False)


@dataclass
class SanityReport:
    checks: list

    @property
    def ok(self):
        """No check failed (checks not performed do not fail)."""
        return all(c.ok for c in self.checks)

    @property
    def complete(self):
        """Every check was performed."""
        return all(c.performed for c in self.checks)

    def summary(self):
        failed = sum(not c.ok for c in self.checks)
        skipped = sum(not c.performed for c in self.checks)
        total = len(self.checks)
        not_done = f"{skipped} of {total} not performed ([skip])"
        if failed:
            return f"sanity checks: {failed} of {total} failed" + (f", {not_done}" if skipped else "")
        if skipped:
            return f"sanity checks: {total - skipped} of {total} passed, {not_done}"
        return "sanity checks passed"

    def __str__(self):
        return "\n".join([c.line() for c in self.checks] + [self.summary()])

    def __repr__(self):
        return f"<SanityReport: {self.summary()}; print it for each check>"

    _repr_pretty_ = pretty_as_str


def sanity_check(trainer, x=None, y=None, out=None):
    """Run the three checks on (x, y) (default: the data the graph was recorded with); returns a SanityReport
    (``print(report)`` shows each check's line and the summary). `out`, when given (e.g. print), is told each
    check's line as it ends, then the summary."""
    if (x is None) != (y is None):
        raise GraphscopeError("sanity_check: give both x and y, or neither (then the recorded batch is used)")
    recorded = x is None
    if recorded:
        x, y = trainer.roles.recorded_data()
    x, y = trainer._data(x, y, "sanity_check")
    data = Data(x, y, "the recorded batch" if recorded else "the data given")
    saved = TrainerState(trainer)
    checks = []
    say = out or (lambda *_: None)
    batches = _last_batch(trainer, len(x))
    if batches:
        checks.append(batches)
        say(batches.line())
    try:
        for check in (_initial_loss, _regularization, _overfit_subset):
            saved.restore()
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a blow-up is in the verdict
                result = check(trainer, data, saved)
            for one in result if isinstance(result, list) else [result]:
                checks.append(one)
                say(one.line())
    finally:
        saved.restore()
    report = SanityReport(checks)
    say(report.summary())
    return report


def _last_batch(trainer, n):
    """A failed check when training on `n` examples would leave batch norm a last batch of 1 (the run would stop
    there), else None: the other checks run on other batches and would not see it."""
    problem = last_batch_problem(trainer.graph, n, trainer.batch_size, trainer.drop_last,
                                 drop_option="drop_last=True (graphscope train: --drop-last)")
    if not problem:
        return None
    figure, advice = problem.split("; ", 1)
    return Check("batches", figure, False, advice)


@dataclass
class Data:
    """What the checks run on: examples, labels, and how messages name them ('the recorded batch')."""

    x: object
    y: object
    source: str

    @property
    def single_class(self):
        """The one class every label is (class labels only), or None."""
        return single_class(self.y)

    @property
    def fix(self):
        """What to do about labels of one class."""
        return ("pass (x, y), e.g. trainer.sanity_check(x_train, y_train)" if self.source == "the recorded batch"
                else "give examples of every class")

    def one_class_note(self):
        """'; the recorded batch holds class 0 only (30 examples): pass (x, y) ...' when it does, else ''."""
        c = self.single_class
        if c is None:
            return ""
        return f"; {self.source} holds class {c} only ({plural(len(self.y), 'example')}): {self.fix}"


def single_class(y):
    """The class all of `y` (integer class labels, one per example) are, or None (several, or not class labels)."""
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu" or len(y) < 2 or not (y == y[0]).all():
        return None
    return int(y[0])


def _data_loss(trainer, x, y):
    """The data loss (no regularization) as the first batches of training see it (see _loss_and_scores)."""
    trainer.reg = 0.0
    return _loss_and_scores(trainer, None, x, y)[0]


def _initial_loss(trainer, data, saved=None):
    check = _initial_loss_of(trainer, data.x, data.y)
    check.figure += data.one_class_note()  # the loss of one class says little of what chance gives
    return check


def _initial_loss_of(trainer, x, y):
    loss_node = trainer.roles.labelled[0] if trainer.roles.labelled else None
    if loss_node is None:
        return _hand_written_initial_loss(trainer, x, y)
    trainer.reg = 0.0
    loss, scores, _ = _loss_and_scores(trainer, loss_node.inputs[0], x, y)
    svm = loss_node.op == "svm_loss"
    classes = scores.shape[1]
    at_zero, formula = (classes - 1.0, f"C - 1 = {classes - 1}") if svm else \
        (math.log(classes), f"log({classes}) = {math.log(classes):.4g}")
    expected = expected_untrained_loss(scores, svm)
    spread = score_spread(scores)
    off = abs(loss - expected) / expected if expected > 0 else (0.0 if loss == expected else math.inf)
    trained = f" (after {trainer.epoch} epochs of training: meant for the initial weights)" if trainer.epoch else ""
    figure = (f"{loss:.4g}, expected about {expected:.4g} for these initial scores ({100 * off:.0f}% off); "
              f"their spread {spread:.2f} across classes adds {max(expected - at_zero, 0.0):.3f} to {formula}{trained}")
    finite = math.isfinite(loss) and math.isfinite(expected)
    if finite and spread > SPREAD_LIMIT:
        return Check("initial loss", figure, False,
                     f"the initial scores are spread too widely ({spread:.2f} > {SPREAD_LIMIT:g}; He/Xavier init on "
                     f"standardized inputs gives about 1 to 1.5), so the loss is "
                     f"{100 * (loss - at_zero) / at_zero:.0f}% above {formula}: the inputs are badly scaled or the "
                     f"initial weights too large. Standardize the inputs (zero mean, unit variance per feature: "
                     f"gs.data.standardize) or start with smaller weights (He/Xavier scaling, or std 0.01)")
    if not finite:
        return _not_finite("initial loss", loss, trainer)
    return Check("initial loss", figure, off <= INITIAL_TOLERANCE,
                 "the loss is not what these scores give for labels they know nothing of: the net was trained "
                 "already, the labels leak into the inputs, or the loss (or an op before it) computes something else")


def _hand_written_initial_loss(trainer, x, y):
    """The initial loss of a graph without gs.softmax_cross_entropy or gs.svm_loss: compared, when it has class
    scores, with what a softmax loss of those scores gives (its mean over the examples, or its sum)."""
    trainer.reg = 0.0
    scores_node = trainer.roles.scores
    if scores_node is None:
        loss = _data_loss(trainer, x, y)
        if not math.isfinite(loss):
            return _not_finite("initial loss", loss, trainer)
        return _skipped("initial loss", f"{loss:.4g}; not compared: no class scores and no softmax or SVM loss, so "
                                        f"nothing to compare it with")
    loss, scores, rows = _loss_and_scores(trainer, scores_node, x, y)  # a sum is over one batch's rows
    if not math.isfinite(loss):
        return _not_finite("initial loss", loss, trainer)
    expected = expected_untrained_loss(scores)
    figure = (f"{loss:.4g}, a loss written by hand on {scores_node.name}: a softmax loss of these "
              f"{scores.shape[1]}-class scores gives about {expected:.4g} per example "
              f"({rows * expected:.4g} summed over {plural(rows, 'example')})")
    targets = (("its mean", expected), ("its sum", rows * expected))
    for label, target in targets:
        if target > 0 and abs(loss - target) / target <= INITIAL_TOLERANCE:
            return Check("initial loss", f"{figure}: close to {label}", True)
    ratios = ", ".join(f"{loss / target:.2g}x {label}" for label, target in targets if target > 0)
    return _skipped("initial loss", f"{figure}: neither ({ratios}), so not compared: a loss of another kind, or "
                                    f"not a softmax loss of {scores_node.name}?")


def _not_finite(name, loss, trainer):
    """A failed check whose loss is NaN or infinite at the initial parameters (before any update, so at any
    learning rate): the node that made it, and why."""
    origin = trainer.graph.find_nonfinite()
    if origin is None:
        where = "find the node that made it with `graphscope check` or gs.detect_anomaly()"
    else:
        where = origin.blame()
    return Check(name, f"{loss} at the initial parameters, before any update (at any learning rate)", False,
                 f"not a learning-rate problem (no update has happened): {where}")


def expected_untrained_loss(scores, svm=False):
    """The mean loss of `scores` (N, C) when each row's label is equally likely to be any class, as for a net
    that has learned nothing: softmax, mean over rows of logsumexp(s) - mean(s) (log(C) + s^2/2 for a small
    spread s); SVM, mean over rows of (1/C) sum_y sum_(j != y) max(0, s_j - s_y + 1) (C - 1 for equal scores)."""
    s = np.asarray(scores, dtype=np.float64)
    if svm:
        classes = s.shape[1]
        rows = max(1, SVM_PAIRS // (classes * classes))
        total = 0.0
        for i in range(0, len(s), rows):
            part = s[i:i + rows]
            margins = np.maximum(0.0, part[:, None, :] - part[:, :, None] + 1.0)   # [row, label y, class j]
            total += float(margins.sum()) / classes - len(part)   # j == y adds max(0, 1) = 1 for each label
        return total / len(s)
    top = s.max(axis=1, keepdims=True)
    logsumexp = np.log(np.exp(s - top).sum(axis=1)) + top[:, 0]
    return float((logsumexp - s.mean(axis=1)).mean())


def score_spread(scores):
    """How far each row's class scores lie apart: the root mean over rows of their variance across classes."""
    s = np.asarray(scores, dtype=np.float64)
    return float(np.sqrt(s.var(axis=1).mean()))


def _loss_and_scores(trainer, scores_node, x, y):
    """The loss of (x, y) as training sees it before the first update (the graph's output in training mode: batch
    norm normalizes by each batch's statistics; dropout off), on batches of the trainer's batch size drawn as its
    first epoch draws them (up to VAL_CHUNK examples, whole batches only), and the values of `scores_node` (the
    class scores; None without) on them; returns (mean loss, scores, rows per batch). The caller puts the graph's state back."""
    for node in _dropout_nodes(trainer.graph):  # dropout's random masks would blur the figure (p put back by restore)
        node.attrs = {**node.attrs, "p": 0.0}
    trainer._set_training(True)
    n = len(x)
    size = min(trainer.batch_size, n)
    order = np.random.default_rng(trainer.seed).permutation(n) if trainer.shuffle else np.arange(n)
    batches = max(1, min(n, VAL_CHUNK) // size)
    total, rows = 0.0, []
    for b in range(batches):
        pick = order[b * size:(b + 1) * size]
        trainer.graph.run(trainer.roles.feeds(x[pick], y[pick]))
        total += float(trainer.loss.value) * len(pick)
        if scores_node is not None:
            rows.append(np.array(scores_node.value, dtype=np.float64, ndmin=2))
    return total / (batches * size), (np.concatenate(rows) if rows else None), size


def _regularization(trainer, data, saved=None):
    x, y = data.x, data.y
    name = "regularization raises the loss"
    if not trainer.weights:
        return _skipped(name, "not compared: no weights (parameters with 2+ axes) to regularize")
    plain = _data_loss(trainer, x, y)
    if not math.isfinite(plain):
        return Check(name, f"{plain} without regularization: nothing to compare", False,
                     "the loss is not finite before any regularization is added (the initial loss check names "
                     "the node that made it)")
    reg = trainer.reg = PROBE_REG
    with_reg = plain + trainer._reg_term()
    zero = all(not np.any(w.value) for w in trainer.weights)
    return Check(name, f"{plain:.4g} without, {with_reg:.4g} with reg {reg:g}", with_reg > plain,
                 "the weights are all zero: the regularization has nothing to act on" if zero else
                 f"the regularization term reg * sum ||W||^2 is {with_reg - plain:.4g}: the trainer's "
                 f"regularization does not reach the loss")


#: Learning rates the overfit check tries, as factors of the trainer's: its own first; when that is too slow for
#: OVERFIT_STEPS, larger ones (a 20-example subset wants a larger step than the whole set); when it blows up
#: or the loss does not go down, smaller ones. The lecture's point is that the model *can* fit a tiny subset at some reasonable rate.
LARGER, SMALLER = (10.0, 100.0), (0.1, 0.01)


@dataclass
class _Attempt:
    """One try at overfitting the subset at one learning rate."""

    lr: float
    steps: int
    acc: object      # final training accuracy on the subset (None without class scores)
    loss: float      # final loss on the subset (or the non-finite one)
    first_loss: float

    @property
    def diverged(self):
        return not math.isfinite(self.loss)

    @property
    def at_the_start(self):
        """The loss was not finite before the first update: no learning rate is to blame."""
        return self.diverged and self.steps == 1

    @property
    def improved(self):
        """The loss went down (a rate too small, not too large: no blow-up, no stall)."""
        return not self.diverged and self.loss < self.first_loss

    @property
    def flat(self):
        """The loss hardly moved (by at most FLAT_ON_A_FEW of its first value): the steps are too small to matter."""
        moved = abs(self.loss - self.first_loss)
        return not self.diverged and moved <= FLAT_ON_A_FEW * max(abs(self.first_loss), 1e-12)

    @property
    def fitted(self):
        if self.diverged:
            return False
        if self.acc is None:
            return self.loss < 0.1 * max(self.first_loss, 1e-12) or self.loss < 1e-3
        return self.acc == 1.0

    def outcome(self):
        if self.diverged:
            return f"the loss became {self.loss} after {plural(self.steps, 'step')}"
        reached = f"loss {self.loss:.3g}" if self.acc is None else f"{100 * self.acc:.0f}%"
        return f"{reached} after {plural(self.steps, 'step')}"


#: Gradients smaller than this fraction of their weights (RMS) count as vanished.
VANISHED = 1e-4


def _overfit_subset(trainer, data, saved):
    x, y = data.x, data.y
    contradicting = _contradicting(x, y)
    usable = np.flatnonzero(~contradicting)
    if len(usable) < min(SUBSET, len(x)):
        usable = np.arange(len(x))  # too few left: the attempt says what it can reach
    n = min(SUBSET, len(usable))
    pick = usable[_subset(y[usable], n, trainer.seed)]
    xs, ys = x[pick], y[pick]
    lr0 = trainer.lr0
    name = f"overfit {n} examples"
    one = single_class(ys)
    if one is not None:  # a constant answer fits them: it says nothing of what the model can learn
        return _skipped(name, f"not tried: the {n} examples are all class {one} ({data.source} holds no other): "
                              f"overfitting them proves little, a net that always answers {one} fits them; "
                              f"{data.fix}")
    off = "no regularization, dropout off" if _dropout_nodes(trainer.graph) else "no regularization"
    left_out = int(contradicting.sum()) if len(usable) < len(x) else 0
    if left_out:
        off += (f"; {plural(left_out, 'example')} left out: the same input under different labels, which no model "
                f"fits")
    attempts = [_overfit_at(trainer, xs, ys, lr0, saved)]
    if attempts[0].at_the_start:
        return _not_finite(name, attempts[0].loss, trainer)
    for factor in (LARGER if attempts[0].improved or attempts[0].flat else SMALLER):
        if attempts[-1].fitted or (factor > 1 and attempts[-1].diverged):
            break
        attempts.append(_overfit_at(trainer, xs, ys, lr0 * factor, saved))
    best = attempts[-1]
    if best.fitted:
        figure = (f"100% training accuracy after {plural(best.steps, 'step')} (loss {best.loss:.3g}, "
                  if best.acc is not None else f"loss {best.loss:.3g} after {plural(best.steps, 'step')} (")
        figure += f"lr {best.lr:g}, {off})"
        too_large = len(attempts) > 1 and not (attempts[0].improved or attempts[0].flat)
        if len(attempts) > 1:
            figure += f"; at lr {lr0:g}: {attempts[0].outcome()}: " + (
                "too large a learning rate (the loss did not go down)" if too_large else
                "too small a learning rate for a quick start")
        fitted = Check(name, figure, True)
        return [fitted, _rate_too_large(attempts[0], best, n)] if too_large else fitted
    tried = "; ".join(f"lr {a.lr:g}: {a.outcome()}" for a in attempts)
    figure = f"not fitted: {tried} ({off})"
    blocked = _blocked(trainer, x, y, xs, ys, saved)
    if blocked:
        return Check(name, figure, False, blocked)
    if len(attempts) > 1 and all(a.flat for a in attempts):
        saved.restore()
        return Check(name, figure, False, _stalled(trainer, xs, ys, attempts))
    return Check(name, figure, False, _rate_advice(attempts))


def _rate_too_large(own, fitted, n):
    """The failed check saying the trainer's own learning rate diverges (or raises the loss) where a smaller one
    fitted: training at it would go the same way."""
    went = (f"the loss became {own.loss} after {plural(own.steps, 'step')}" if own.diverged else
            f"the loss rose from {own.first_loss:.4g} to {own.loss:.4g} over {plural(own.steps, 'step')}")
    return Check(f"learning rate {own.lr:g}", f"too large: on {n} examples {went}; lr {fitted.lr:g} fitted them",
                 False, f"training at lr {own.lr:g} would go the same way: train at lr {fitted.lr:g} (or lower)")


def _score(attempt):
    """How close an attempt came to fitting: its accuracy, then its (lower) loss."""
    return (-1.0 if attempt.acc is None else attempt.acc, -attempt.loss)


def _rate_advice(attempts):
    """What to try after no rate fitted the subset, following the trend of the rates tried: a larger rate only
    when the largest tried did best, a smaller one when the smallest did best and smaller ones were what was
    tried; when larger rates did worse, the rate is not what is too small."""
    check_model = "check the model (too small? its gradients, with `graphscope check`)"
    finite = [a for a in attempts if not a.diverged]
    by_rate = sorted(attempts, key=lambda a: a.lr)
    best = max(finite, key=_score, default=None)
    start = "the model cannot fit even a few examples at these rates"
    if best is None or (best is by_rate[0] and best.lr < attempts[0].lr):
        return f"{start}: try a smaller learning rate, or {check_model}"
    if best is by_rate[-1] and best.improved:
        return f"{start}: try a larger learning rate, or {check_model}"
    if best is by_rate[0]:
        return (f"{start}: larger rates did worse, so the rate is not too small; lr {best.lr:g} came closest "
                f"({best.outcome()}): it may need more steps, or {check_model}")
    return (f"{start}: lr {best.lr:g} came closest ({best.outcome()}), rates either side did worse: it may need "
            f"more steps, or {check_model}")


def _contradicting(x, y):
    """A mask of the examples whose input another example has too, under another label (the spiral's arms all
    start at (0, 0)): no model fits both, so the overfit attempt leaves them out. All False for labels that are not
    one per example."""
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(x):
        return np.zeros(len(x), dtype=bool)
    rows = np.ascontiguousarray(np.asarray(x).reshape(len(x), -1)) + 0  # + 0: -0.0 is 0.0 (one key)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, same_input = np.unique(keys, return_inverse=True)
    pairs = np.unique(np.stack([same_input.ravel(), np.unique(y, return_inverse=True)[1].ravel()], axis=1), axis=0)
    labels_per_input = np.bincount(pairs[:, 0], minlength=same_input.max() + 1)
    return labels_per_input[same_input.ravel()] > 1


def _dropout_nodes(graph):
    """The graph's dropout nodes: the overfit attempt turns them off (p = 0), as it sets reg to 0."""
    return [n for n in graph.ops if n.op == "dropout"]


def _subset(y, n, seed):
    """The indices of the `n` examples to overfit, drawn at random (from `seed`); when those are all of one class
    and the data holds others, every class takes its turn instead, in the same random order."""
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(y), n, replace=False))
    if single_class(y[pick]) is None or single_class(y) is not None:
        return pick
    order = rng.permutation(len(y))
    labels = y[order]
    rank = np.empty(len(y), dtype=np.int64)  # each example's place among those of its class, in `order`
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        rank[where] = np.arange(len(where))
    return np.sort(order[np.lexsort((np.arange(len(y)), rank))[:n]])


def _stalled(trainer, xs, ys, attempts):
    """Why rates far apart all leave the loss where it was: the gradients vanished before they reached the weights,
    or (healthy gradients) the rates are all far too small; the gradient/weight ratios say which."""
    ratios = _gradient_ratios(trainer, xs, ys)
    rates = [a.lr for a in attempts]
    span = f"rates {max(rates) / min(rates):g}x apart"
    listed = ", ".join(f"{name} {ratio:.1e}" for name, ratio in _ends(ratios))
    largest = max(ratios.values(), default=0.0)
    top = max(rates)
    if largest < VANISHED:
        return (f"{span} leave the loss where it was: the parameters do not move, whatever the rate; their "
                f"gradients are tiny beside the weights (gradient/weight RMS: {listed}): the gradients vanish. "
                f"Look at the initialization (too small, e.g. N(0, 0.01^2) in a deep net: use He/Xavier scaling), "
                f"the activations (saturated tanh or sigmoid, dead ReLUs) and the statistics per layer: "
                f"gs.layer_stats(loss) or trainer.layer_stats(), or l in `graphscope tui FILE`")
    healthy = f"{span} leave the loss where it was, with gradients of a healthy size (gradient/weight RMS: {listed})"
    rule = type(trainer.optimizer).__name__
    if not getattr(trainer.optimizer, "step_follows_gradient", False):
        return (f"{healthy}: {rule} scales each step by the gradient's running size, not by the gradient, so these "
                f"ratios do not say which rate moves the weights by about {UPDATE_RATIO_TARGET_TEXT} of themselves "
                f"a step: try rates 10x larger than {top:g}, and watch update/weight (trainer.layer_stats())")
    step = top * largest
    return (f"{healthy}: each {rule} step moves the weights by about lr x that, at most {step:.1e} of them at lr "
            f"{top:g} (about {UPDATE_RATIO_TARGET_TEXT} is a good start): try a learning rate near "
            f"{UPDATE_RATIO_TARGET / largest:.2g}")


def _gradient_ratios(trainer, xs, ys):
    """{weight name: RMS of its gradient / RMS of its values} at the current parameters on (xs, ys)."""
    trainer.optimizer.zero_grad()
    trainer.graph.run(trainer.roles.feeds(xs, ys))
    trainer.graph.backward()
    for leaf in (trainer.roles.input, trainer.roles.label_leaf):
        if leaf is not None:
            leaf.grad = None
    ratios = {}
    for w in trainer.weights or trainer.params:
        size = float(np.sqrt(np.mean(np.square(w.value, dtype=np.float64))))
        grad = 0.0 if w.grad is None else float(np.sqrt(np.mean(np.square(w.grad, dtype=np.float64))))
        ratios[w.name] = grad / size if size > 0 else (0.0 if grad == 0 else math.inf)
    return ratios


def _ends(ratios, shown=4):
    """The (name, ratio) pairs to quote: all of a few, else the first and last two (input side, output side)."""
    items = list(ratios.items())
    return items if len(items) <= shown else items[:2] + items[-2:]


def _blocked(trainer, x, y, xs, ys, saved):
    """When the layer diagnosis at the initial parameters finds what no learning rate cures (dead units, no or
    vanishing gradients, symmetric weights): the advice, led by those findings, with the weights' gradient/weight
    ratios; '' otherwise."""
    saved.restore()
    lines = blocked_lines(blocking_findings(trainer, x, y, batch=(xs, ys)))
    if not lines:
        return ""
    listed = ", ".join(f"{name} {ratio:.1e}" for name, ratio in _ends(_gradient_ratios(trainer, xs, ys)))
    saved.restore()
    return "\n".join(lines[:1] + [f"- {line}" for line in lines[1:]] + [
        f"a larger rate only scales gradients that are 0 or ~0 (gradient/weight RMS: {listed}): fix the model "
        f"first; the statistics per layer: trainer.layer_stats(), or `graphscope train FILE --layers`"])


def _overfit_at(trainer, xs, ys, lr, saved):
    """Train on the subset alone at `lr` (from the saved state) until it is fitted or OVERFIT_STEPS are done."""
    saved.restore()
    trainer.reg = 0.0
    for node in _dropout_nodes(trainer.graph):  # p = 0: nothing regularizes the fit (put back by saved.restore)
        node.attrs = {**node.attrs, "p": 0.0}
    trainer.optimizer.lr = lr
    first = None
    steps = 0
    for steps in range(1, OVERFIT_STEPS + 1):
        loss = trainer._step(xs, ys)
        first = loss if first is None else first
        if not math.isfinite(loss):
            return _Attempt(lr, steps, None, loss, first)
        c = trainer.roles.correct(ys)  # scored before this step's update: confirm with the updated weights
        if c == len(ys) and trainer.evaluate(xs, ys)[0] == 1.0:
            break
    acc, final = trainer.evaluate(xs, ys)
    return _Attempt(lr, steps, acc, final, first)
