"""A learning-rate schedule beside the optimizer's own rate: the schedule sets ``optimizer.lr`` at every epoch's
start, so a schedule made with another starting rate (its lr0) silently replaces the optimizer's. fit() says so
once, with both rates and which one trains."""
import math
import sys
import warnings

from ..engine.source import is_internal


class ScheduleRateWarning(UserWarning):
    """The schedule's starting rate (lr0) is not the optimizer's lr: the schedule's is the one that trains."""


def schedule_rate_note(schedule, lr, optimizer_name="the optimizer"):
    """The sentence saying that `schedule` starts at another rate than the optimizer's `lr` (the schedule's is
    used), or None (no schedule, one without an lr0, or the same rate)."""
    lr0 = getattr(schedule, "lr0", None)
    if isinstance(lr0, bool) or not isinstance(lr0, (int, float)) or not math.isfinite(lr0):
        return None
    if math.isclose(float(lr0), float(lr), rel_tol=1e-9):
        return None
    return (f"the schedule starts at lr0 {lr0:g} but {optimizer_name} was made with lr {lr:g}: training uses the "
            f"schedule's rate ({schedule!r}), which sets optimizer.lr at every epoch's start; to train from "
            f"the optimizer's rate, make the schedule with lr0={lr:g}")


def warn_schedule_rate(schedule, lr, optimizer_name):
    """Warn (ScheduleRateWarning, naming the user's line) when `schedule` replaces the optimizer's `lr`; True when
    it did."""
    note = schedule_rate_note(schedule, lr, optimizer_name)
    if note:
        warnings.warn(ScheduleRateWarning(note), stacklevel=_user_stacklevel())
    return bool(note)


def _user_stacklevel():
    """The stacklevel naming the first frame outside graphscope (the user's fit() call)."""
    f, level = sys._getframe(1), 1
    while f is not None and is_internal(f.f_code.co_filename):
        f, level = f.f_back, level + 1
    return level if f is not None else 1
