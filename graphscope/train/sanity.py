"""The lecture's sanity checks before a long run, each printing its figure and a verdict:

1. the initial loss is close to what chance gives: log(C) for the softmax loss, C - 1 for the SVM
   loss with small weights (C classes), measured without regularization;
2. adding regularization raises the loss;
3. a small random subset (20 examples) can be overfitted to 100% training accuracy.

The trainer's parameters, optimizer state, RNG and history are put back afterwards.
"""
import math
from dataclasses import dataclass

import numpy as np

from ..engine.errors import GraphscopeError
from .optimizer_state import copied_state

SUBSET = 20
#: Relative distance from the expected initial loss still called close.
INITIAL_TOLERANCE = 0.25
OVERFIT_STEPS = 1000
PROBE_REG = 1e3


@dataclass
class Check:
    """One sanity check: what was measured, what was expected, and whether it passed."""

    name: str
    figure: str
    ok: bool
    advice: str = ""

    def line(self):
        verdict = "ok" if self.ok else "FAIL"
        return f"[{verdict:4s}] {self.name}: {self.figure}" + ("" if self.ok or not self.advice else
                                                               f"\n       {self.advice}")


@dataclass
class SanityReport:
    checks: list

    @property
    def ok(self):
        return all(c.ok for c in self.checks)

    def __str__(self):
        return "\n".join(c.line() for c in self.checks)


def sanity_check(trainer, x=None, y=None, out=print):
    """Run the three checks on (x, y) (default: the data the graph was recorded with); returns a SanityReport."""
    if (x is None) != (y is None):
        raise GraphscopeError("sanity_check: give both x and y, or neither (then the recorded batch is used)")
    if x is None:
        x, y = trainer.roles.recorded_data()
    x, y = trainer._data(x, y, "sanity_check")
    saved = _Snapshot(trainer)
    checks = []
    say = out or (lambda *_: None)
    try:
        for check in (_initial_loss, _regularization, _overfit_subset):
            saved.restore()
            result = check(trainer, x, y)
            checks.append(result)
            say(result.line())
    finally:
        saved.restore()
    report = SanityReport(checks)
    say("sanity checks passed" if report.ok else
        f"sanity checks: {sum(not c.ok for c in checks)} of {len(checks)} failed")
    return report


class _Snapshot:
    """Parameters, optimizer state, RNG, history and epoch of a trainer, to put back after the checks."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.values = [np.array(p.value, copy=True) for p in trainer.params]
        self.opt = copied_state(trainer.optimizer)
        self.rng = trainer.rng.bit_generator.state
        self.history, self.epoch, self.reg = trainer.history, trainer.epoch, trainer.reg

    def restore(self):
        t = self.trainer
        for p, v in zip(t.params, self.values):
            if isinstance(p.value, np.ndarray):
                np.copyto(p.value, v)
            else:
                p.value = float(v)
            p.grad = None
        t.optimizer.load_state_dict(copied_state(self.opt))
        t.rng.bit_generator.state = self.rng
        t.history, t.epoch, t.reg = self.history, self.epoch, self.reg


def _data_loss(trainer, x, y):
    trainer.reg = 0.0
    return trainer.evaluate(x, y)[1]


def _initial_loss(trainer, x, y):
    loss = _data_loss(trainer, x, y)
    classes = trainer.roles.classes
    kinds = {n.op for n in trainer.roles.labelled}
    if classes is None or not kinds:
        return Check("initial loss", f"{loss:.4g} (no class scores: nothing to compare with)", math.isfinite(loss))
    if "svm_loss" in kinds:
        expected, formula = classes - 1.0, f"C - 1 = {classes - 1}"
    else:
        expected, formula = math.log(classes), f"log(C) = log({classes}) = {math.log(classes):.4g}"
    off = abs(loss - expected) / expected
    trained = f" (after {trainer.epoch} epochs of training: meant for the initial weights)" if trainer.epoch else ""
    return Check("initial loss", f"{loss:.4g}, expected about {formula} ({100 * off:.0f}% off){trained}",
                 math.isfinite(loss) and off <= INITIAL_TOLERANCE,
                 "the initial weights are too large (or too small to break symmetry): "
                 "start with small random weights, e.g. std 0.01 or He/Xavier scaling")


def _regularization(trainer, x, y):
    if not trainer.weights:
        return Check("regularization raises the loss", "no weights (parameters with 2+ axes) to regularize", True)
    plain = _data_loss(trainer, x, y)
    reg = trainer.reg = PROBE_REG
    with_reg = plain + trainer._reg_term()
    return Check("regularization raises the loss", f"{plain:.4g} without, {with_reg:.4g} with reg {reg:g}",
                 with_reg > plain, "the weights are all zero: the regularization has nothing to act on")


def _overfit_subset(trainer, x, y):
    n = min(SUBSET, len(x))
    pick = np.sort(np.random.default_rng(trainer.seed).choice(len(x), n, replace=False))
    xs, ys = x[pick], y[pick]
    trainer.reg = 0.0
    trainer.optimizer.lr = trainer.lr0
    steps = 0
    for steps in range(1, OVERFIT_STEPS + 1):
        loss = trainer._step(xs, ys)
        if not math.isfinite(loss):
            return Check(f"overfit {n} examples", f"the loss became {loss} after {steps} steps", False,
                         "the learning rate is too large")
        c = trainer.roles.correct(ys)  # scored before this step's update: confirm with the updated weights
        if c == n and trainer.evaluate(xs, ys)[0] == 1.0:
            break
    final_acc, final_loss = trainer.evaluate(xs, ys)
    if final_acc is None:
        return Check(f"overfit {n} examples", f"loss {final_loss:.4g} after {steps} steps (no accuracy to read)",
                     final_loss < 0.1 * max(loss, 1e-12) or final_loss < 1e-3)
    return Check(f"overfit {n} examples", f"{100 * final_acc:.0f}% training accuracy after {steps} steps "
                 f"(loss {final_loss:.3g}, lr {trainer.lr0:g}, no regularization)", final_acc == 1.0,
                 "the model cannot fit even a few examples: raise the learning rate or check the model")
