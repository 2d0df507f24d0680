"""The geometry of a search's ranges: the shape of a grid, the spacing of the coarse round's values, and whether
a value sits at an edge of its range (where the lecture's coarse-to-fine advice says: widen the range)."""
import math
from dataclasses import dataclass

#: How each searched setting is named in a sentence, and the option that sets its range.
NAMES = {"lr": ("learning rate", "--lr-range"), "reg": ("regularization strength", "--reg-range")}


def grid_shape(trials, lr, reg):
    """(lr values, reg values) of the full grid `trials` asks for: as near square as fits, rounded up (8 trials:
    3 x 3; 5: 3 x 2; 10: 4 x 3); a range of one value (reg (0, 0)) is one row, so every trial tries another
    value of the other."""
    lr_varies, reg_varies = lr[1] > lr[0], reg[1] > reg[0]
    if lr_varies and reg_varies:
        side = math.ceil(math.sqrt(trials))
        return side, -(-trials // side)
    if lr_varies or reg_varies:
        return (trials, 1) if lr_varies else (1, trials)
    return 1, 1


def planned_trials(method, trials, lr, reg):
    """How many trials a round of `trials` runs: as many with random search, a full grid's with grid search."""
    if method == "random" or trials == 0:
        return trials
    side_lr, side_reg = grid_shape(trials, lr, reg)
    return side_lr * side_reg


#: The fewest values of a setting a coarse round must try for its best to be said to sit at an edge (with one or
#: two, every value is at one).
EDGE_SIDE = 3


def side_of(name, trials, r, other):
    """How many values of range `r` (setting `name`, 'lr' or 'reg'; `other`: the other setting's range) a grid of
    `trials` tries: grid_shape's side for that setting."""
    lr, reg = (r, other) if name == "lr" else (other, r)
    return grid_shape(trials, lr, reg)[0 if name == "lr" else 1]


def has_edges(name, trials, r, other):
    """True when a coarse round of `trials` tries at least EDGE_SIDE values of range `r` (setting `name`; `other`:
    the other setting's range)."""
    return side_of(name, trials, r, other) >= EDGE_SIDE


def coarse_step(method, name, trials, r, other):
    """The factor between neighbouring values of range `r` (setting `name`) in the coarse round (`other`: the other
    range): a grid's spacing; for random search the spacing of as many values, evenly spread. 1 for a range of one
    value."""
    lo, hi = r
    if hi <= lo:
        return 1.0
    side = side_of(name, trials, r, other)
    parts = side - 1 if method == "grid" else side
    return (hi / lo) ** (1 / parts) if parts > 0 else hi / lo


def edge_of(value, r, step, tried):
    """'top' or 'bottom' when `value` is the largest (smallest) of the values `tried` and lies within a coarse
    `step` (a factor) of that end of range `r`: nothing further out was tried; else '' (a range of one value has
    no edge). On a grid that is the end value itself."""
    lo, hi = r
    if hi <= lo or step <= 1 or value <= 0:
        return ""
    near = step * (1 - 1e-9)
    if value == max(tried) and value * near >= hi:
        return "top"
    return "bottom" if value == min(tried) and value <= lo * near else ""

#: The least span (a factor) of a range suggested around a best value at an edge: two decades.
SUGGESTED_SPAN = 100.0


@dataclass
class AtEdge:
    """The best trial's `name` ('lr' or 'reg') `value` sits at the `side` ('top' or 'bottom') of the range
    `searched` (the coarse range, or past it where the fine round went); `suggested`: a range centred on it."""

    name: str
    side: str
    value: float
    searched: tuple
    suggested: tuple

    def __str__(self):
        what, option = NAMES[self.name]
        lo, hi = self.searched
        better = "a larger one" if self.side == "top" else "a smaller one"
        return (f"the best {what} ({self.value:.3g}) sits at the {self.side} of the range searched ({lo:.3g} to "
                f"{hi:.3g}): {better} may do better; widen it, e.g. {option} {self.suggested[0]:g} "
                f"{self.suggested[1]:g}" + (" (or none: --reg-range 0 0)" if self.name == "reg" and
                                            self.side == "bottom" else ""))


def best_at_edges(result):
    """[AtEdge] for the best trial's learning rate and regularization strength that sit within a coarse step of an
    end of the range searched (a search file's settings say the ranges), no trial having tried one further
    out; [] when the best diverged, and for a setting the coarse round tried fewer than EDGE_SIDE values of."""
    settings = result.settings
    if not result.trials or result.best.diverged or not {"lr_range", "reg_range", "method", "trials"} <= set(settings):
        return []
    lr, reg = tuple(settings["lr_range"]), tuple(settings["reg_range"])
    best, found = result.best, []
    for name, r, other in (("lr", lr, reg), ("reg", reg, lr)):
        values = [getattr(t, name) for t in result.trials]
        searched = (min(r[0], *values), max(r[1], *values))
        value = getattr(best, name)
        side = has_edges(name, settings["trials"], r, other) and edge_of(
            value, searched, coarse_step(settings["method"], name, settings["trials"], r, other), values)
        if side:
            half = math.sqrt(max(searched[1] / searched[0], SUGGESTED_SPAN))  # centred on it
            found.append(AtEdge(name, side, value, searched, (_one_digit(value / half), _one_digit(value * half))))
    return found


def _one_digit(v):
    return float(f"{v:.1g}")
