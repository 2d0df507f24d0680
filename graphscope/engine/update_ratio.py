"""The lecture's update/weight rule of thumb, judged in one place for every view of it.

||update|| / ||weights|| per step should be about 1e-3: far below, the
learning rate may be too low; far above, too high. The ratio means that only
for a weight matrix whose size is its own: a vector (one axis: a bias, a
gain) usually starts at 0 or 1, so its ratio says little of the rate, and a
zero-initialized weight grows from 0 by the very steps it is compared with,
so its ratio is large whatever the rate; a step of 0 (no gradient reached
the parameter) says nothing of the rate either. ``judge`` returns the
verdict ('low', 'ok', 'high', 'nan', 'inf') or why there is none (a key of
``UNJUDGED``). ``measure_step(before, delta)`` gives what it reads of one
step (``StepSize``: what ``judge`` takes): the layer statistics
(graphscope.train.monitor), the update phase's explanations
(graphscope.stepper.explain), the pictures' captions and the layer screen all
measure a step with it.
"""
import math
from dataclasses import dataclass

import numpy as np

#: The rule of thumb for ||update|| / ||weights|| per step, and the band around it called healthy.
UPDATE_RATIO_TARGET = 1e-3
UPDATE_RATIO_BAND = (1e-4, 1e-2)
#: The target as the lecture writes it in a sentence ('1e-3').
UPDATE_RATIO_TARGET_TEXT = f"{UPDATE_RATIO_TARGET:.0e}".replace("e-0", "e-").replace("e+0", "e")
#: A weight whose entries' root mean square is below this (before the step) is ~0.
NEAR_ZERO_RMS = 1e-4
#: Why a ratio gets no verdict: a short mark (shown next to the ratio) and the sentence that explains it.
UNJUDGED = {
    "no step": "the step was 0 (no gradient reached it), whatever the learning rate",
    "vector": ("the rule of thumb is for weight matrices; a vector (a bias, a gain, a weight vector) often starts "
               "at 0 or 1, so its ratio says little of the learning rate"),
    "|w|≈0": (f"the weights are ~0 (entries' rms below {NEAR_ZERO_RMS:g}: zero init, or grown from 0 by the steps "
              f"themselves), so any step is large next to them"),
}


#: The update rules that divide each step by the gradient's running size, and how far their first step moves
#: every entry whatever the gradient (their state starts at 0): Adam (bias-corrected) and AdaGrad by lr, RMSProp
#: by lr / sqrt(1 - alpha). Their first ratio is that over the weights' rms, ~lr/|w|: the step's size by design,
#: not a rate too high, so a 'high' ratio at their first step is not judged ('first step').
FIRST_STEP_SIZE = {"Adam": "lr", "AdaGrad": "lr", "RMSProp": "lr / sqrt(1 - alpha) (10 lr at alpha 0.99)"}
UNJUDGED["first step"] = ("Adam's and AdaGrad's first step moves each entry by ~lr, RMSProp's by ~lr/sqrt(1 - "
                          "alpha), whatever the gradient: the ratio is ~lr/|w|, the step's size by design, not a "
                          "rate too high")


#: PyTorch's spellings of the adaptive rules' names.
RULE_SPELLINGS = {"RMSprop": "RMSProp", "Adagrad": "AdaGrad"}


def first_adaptive_step(rule, state_before=None, steps_taken=None):
    """True for the first step of an adaptive rule (FIRST_STEP_SIZE: 'Adam', 'RMSProp', 'AdaGrad', as the
    optimizer's class name, or the optimizer itself, whose classes are looked through so that a subclass of Adam
    counts): known from the optimizer's step count (`steps_taken`, after the step: 1), or else from its state before
    the step (`state_before`: every array 0, as the rule starts)."""
    names = [str(rule)] if isinstance(rule, str) else [c.__name__ for c in type(rule).__mro__]
    name = next((n for n in (RULE_SPELLINGS.get(n, n) for n in names) if n in FIRST_STEP_SIZE), None)
    if name not in FIRST_STEP_SIZE:
        return False
    if steps_taken is not None:
        return steps_taken == 1
    values = list((state_before or {}).values())
    return bool(values) and all(not np.any(v) for v in values)


def judge(ratio, shape=None, before_rms=None, step_norm=None, first_step=False):
    """'low', 'ok' or 'high' against the rule of thumb; 'nan' or 'inf' for a ratio that is not finite; a key of
    UNJUDGED when the ratio means nothing here; None without a ratio. `shape`, `before_rms` (the root mean square
    of the entries before the step) and `step_norm` (||update||) say what the parameter is, when known;
    `first_step`: the step is an adaptive rule's first (first_adaptive_step), whose large ratio is its size by
    design ('first step')."""
    verdict = _judge(ratio, shape, before_rms, step_norm)
    return "first step" if first_step and verdict == "high" else verdict


def _judge(ratio, shape, before_rms, step_norm):
    if ratio is None:
        return None
    if not math.isfinite(ratio):
        return "nan" if math.isnan(ratio) else "inf"
    if step_norm == 0:
        return "no step"
    if shape is not None and len(shape) < 2:
        return "vector"
    if before_rms is not None and before_rms < NEAR_ZERO_RMS:
        return "|w|≈0"
    low, high = UPDATE_RATIO_BAND
    return "low" if ratio < low else "high" if ratio > high else "ok"


@dataclass(frozen=True)
class StepSize:
    """What the rule of thumb reads of one step: the parameter's shape, ||update||, the root mean square of its
    entries before the step (None when it has none) and ||update|| / ||weights|| (None when the weights were 0)."""

    shape: tuple
    step_norm: float
    before_rms: float
    ratio: float


def measure_step(before, delta):
    """The StepSize of adding `delta` to a parameter whose value was `before`."""
    before = np.asarray(before, dtype=np.float64)
    with np.errstate(all="ignore"):
        step_norm = float(np.linalg.norm(np.ravel(delta).astype(np.float64)))  # float32 squares overflow at 2e19
        rms = float(np.sqrt(np.mean(before * before))) if before.size else None
    return StepSize(before.shape, step_norm, rms, update_ratio(delta, before))


def update_ratio(delta, value):
    """||delta|| / ||value|| (Frobenius norms), or None when the value is all zeros (nan when the value or the
    step is not finite: it reads as such, never as a verdict)."""
    with np.errstate(all="ignore"):
        scale = float(np.linalg.norm(np.ravel(value).astype(np.float64)))
        if scale == 0.0:
            return None
        if not np.isfinite(scale):
            return float("nan")
        return float(np.linalg.norm(np.ravel(delta).astype(np.float64))) / scale
