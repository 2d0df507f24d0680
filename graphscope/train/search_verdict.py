"""Did a search learn anything? A best trial that diverged, or whose accuracy stayed near chance, found nothing;
the trials' losses then say whether the learning rates were too large or too small, or the model is at fault. When
the layer diagnosis at the initial weights finds what no rate cures (``SearchResult.blocked``: dead units, no or
vanishing gradients, symmetric weights), the verdict leads with it and suggests no larger rates."""
import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .blocked import blocked_lines

#: A best accuracy less than this share of the way from chance to 100% counts as near chance (with 10 balanced
#: classes: below 28%; with 3: below 46.7%).
NEAR_CHANCE = 0.2
#: How far past the searched range a suggested one reaches (a factor: three decades).
REACH = 1000.0


@dataclass
class SearchVerdict:
    """What a search found: ``learned`` False when every trial diverged or the best stayed near chance.

    ``lr_change``: 'smaller' (most trials' loss grew or diverged), 'larger' (most trials' loss hardly moved, or
    none grew and the best was at the top of the range) or '' (the learning rate does not look like the problem:
    the model, or too few epochs); ``lr_range``: the range to search next for that change; ``blew_up`` and
    ``stalled``: how many trials' loss grew (or diverged) and hardly moved; ``blocked``: the lines of
    graphscope.train.blocked (the diagnosis that no learning rate cures), () when it found nothing.
    """

    learned: bool
    reason: str                   # "" | "diverged" | "near chance" | "no trials"
    best_acc: Optional[float]
    threshold: Optional[float]    # the accuracy below which a best trial is near chance
    blew_up: int
    stalled: int
    trials: int
    lr_change: str
    lr_range: Optional[tuple]
    blocked: tuple = ()

    def __str__(self):
        if self.learned:
            return "the search learned something"
        if not self.trials:
            return "no trial had finished"
        what = ("every trial diverged" if self.reason == "diverged" else
                f"nothing learned: the best accuracy {100 * self.best_acc:.1f}% is near chance")
        if self.blocked:
            what += "; " + self.blocked[0] + " " + "; ".join(self.blocked[1:])
        hint = {"smaller": "try smaller learning rates", "larger": "try larger learning rates",
                "": "fix the model first" if self.blocked else
                    "the learning rate does not look like the problem: check the model"}[self.lr_change]
        return f"{what}; {hint}" + (f", lr in {_range_text(self.lr_range)}" if self.lr_range else "")


def chance_of(labels):
    """(accuracy of always answering the most common label, number of classes) of integer class labels; (None,
    None) for anything else (one-hot rows, real-valued targets, no labels)."""
    if labels is None:
        return None, None
    y = np.asarray(labels)
    if y.ndim != 1 or y.size == 0 or y.dtype.kind not in "iub":
        return None, None
    counts = np.unique(y, return_counts=True)[1]
    return float(counts.max() / y.size), int(len(counts))


def judge(result, lr_range=None):
    """What a SearchResult found (a SearchVerdict); `lr_range` (default: the result's settings) is the range that
    was searched."""
    trials = result.trials
    if not trials:
        return SearchVerdict(False, "no trials", None, None, 0, 0, 0, "", None)
    lr_range = lr_range or tuple(result.settings.get("lr_range") or ())
    blew_up = sum(t.blew_up for t in trials)
    stalled = sum(t.stalled for t in trials)
    best = result.best
    acc = None if best.diverged else (best.val_acc if best.val_acc is not None else best.train_acc)
    threshold = None if result.chance is None else result.chance + NEAR_CHANCE * (1 - result.chance)
    if best.diverged:
        reason = "diverged"
    elif acc is not None and threshold is not None and acc < threshold:
        reason = "near chance"
    else:
        return SearchVerdict(True, "", acc, threshold, blew_up, stalled, len(trials), "", None)
    change, suggested = "", None
    blocked = tuple(blocked_lines(result.blocked))
    if len(lr_range) == 2:
        lo, hi = lr_range
        if 2 * blew_up >= len(trials):
            change, suggested = "smaller", (_round(lo / REACH), lo)
        elif 2 * stalled >= len(trials) or (blew_up == 0 and _in_top_third(best.lr, lo, hi)):
            if not blocked:  # a larger rate only scales gradients that are 0 or ~0
                change, suggested = "larger", (hi, _round(hi * REACH))
    return SearchVerdict(False, reason, acc, threshold, blew_up, stalled, len(trials), change, suggested, blocked)


def _in_top_third(lr, lo, hi):
    """`lr` lies in the top third of [lo, hi] on a log scale (a range of one value has no top)."""
    return hi > lo and math.log(lr / lo) >= 2 / 3 * math.log(hi / lo)


def _round(v):
    return float(f"{v:.1g}")


def _range_text(r):
    return f"[{r[0]:g}, {r[1]:g}]"
