"""What to change when the loss turns NaN or infinite: advice that follows the cause.

The learning rate is blamed only when updates came before the non-finite loss and the
loss grew on the way there (or the first update made it). A non-finite loss before any
update comes from the initial parameters, the inputs or the way the loss is written;
a node written in an unstable form (a log of a softmax) is named with its stable
replacement by the engine (``NonFinite.cause``).
"""
import math

from ..engine.nonfinite_causes import fixable_in_the_model
from ..engine.source import display_location
from .loss_trend import GREW

#: How many of the last finite losses the trend is read from.
TREND_WINDOW = 20
#: Learning rates above this seldom train (SGD on standardized inputs; Adam's good ones are smaller still): no
#: suggested rate is larger, and after a single update made the loss non-finite, none is larger than a tenth of it.
COMMON_TOP = 1.0
#: A suggested rate is at least this many times smaller than the one that overshot.
LEAST_CUT = 10
#: Without a measured growth (the first update made the loss non-finite), the rate is cut this many times at least.
UNMEASURED_CUT = 1000


def loss_grew(losses):
    """True when the finite `losses` before a divergence rose: one loss only (the first update made it), or the last
    of the window above its first and GREW times its lowest."""
    window = list(losses)[-TREND_WINDOW:]
    if len(window) < 2:
        return bool(window)
    return window[-1] > window[0] and window[-1] > GREW * min(window)


def _trend(losses):
    window = list(losses)[-TREND_WINDOW:]
    if len(window) == 1:
        return f"the loss was {window[0]:.4g} before the first update, and that update made it non-finite"
    return f"over the last {len(window)} steps the loss went from {window[0]:.4g} to {window[-1]:.4g}"


def smaller_rate(losses, lr):
    """(a learning rate plausibly small enough, why) after the finite `losses` grew at `lr`: lr divided by the
    largest growth of the loss in one step (at least LEAST_CUT times smaller), rounded down to 1, 2 or 5 times a
    power of 10, and never above COMMON_TOP. When the first update made the loss non-finite there is no growth to
    measure: orders of magnitude smaller (UNMEASURED_CUT), and no more than a tenth of COMMON_TOP."""
    window = list(losses)[-TREND_WINDOW:]
    growth = max((b / a for a, b in zip(window, window[1:]) if a > 0), default=0.0)
    if len(window) < 2:
        rate, why = lr / UNMEASURED_CUT, "one update made the loss non-finite, so lr is orders of magnitude too large"
        top = COMMON_TOP / 10
    elif growth > LEAST_CUT:
        rate, why, top = lr / growth, f"lr / {growth:.3g}, as the loss grew up to {growth:.3g}-fold in a step", COMMON_TOP
    else:
        rate, why, top = lr / LEAST_CUT, "", COMMON_TOP
    if rate > top:
        rate, why = top, (f"{why}; " if why else "") + f"rates above {top:g} seldom train"
    why = why or "a tenth of it, then further while the loss still grows"
    return _round_down(rate), why


def _round_down(x):
    """The largest 1, 2 or 5 times a power of 10 not above `x` (> 0)."""
    power = 10.0 ** math.floor(math.log10(x))
    return next(float(f"{m * power:.1g}") for m in (5, 2, 1) if m * power <= x * (1 + 1e-9))


def divergence_advice(origin, losses, lr, reg=0.0):
    """The lines (without indentation) saying what to change after a non-finite loss. `origin` is the graph's
    NonFinite record (None: the regularization term overflowed), `losses` the finite losses of the run before it
    (one per update taken), `lr` the learning rate of the step that made it."""
    rate, why = smaller_rate(losses, lr)
    smaller = f"try a smaller learning rate (lr is {lr:g}; e.g. {rate:g}: {why})"
    written = origin is not None and fixable_in_the_model(origin)
    fix_node = f"fix {origin.name} ({display_location(origin.source)}) as its why: line says" if written else ""
    if origin is not None and origin.reason == "leaf" and getattr(origin.node, "role", "") != "param":
        return ["the batch fed holds NaN or infinity, so the learning rate is not the cause: clean the data "
                "(every example and label finite)"]
    if not losses:
        head = "no update had happened yet, so the learning rate is not the cause"
        if origin is None:
            return [f"{head}: the regularization term overflowed: reg {reg:g} or the initial weights are too large"]
        if written:
            return [f"{head}: {origin.blame()}"]
        return [f"{head}: the initial parameters or the inputs are too large: standardize the inputs "
                f"(gs.data.standardize) and start with smaller weights (He/Xavier scaling, or std 0.01)"]
    trend = _trend(losses)
    if loss_grew(losses):
        lines = [f"{trend}: the updates overshoot: {smaller}"]
        if written:
            lines.append(f"and {fix_node}: it breaks for some values even at a good rate")
        return lines
    if written:
        return [f"{trend}: the loss was not growing, so the learning rate is not the first suspect: {fix_node}"]
    return [f"{trend}: the loss was not growing, yet one update made it non-finite (a sudden large gradient): "
            f"{smaller}, and look at the gradients per layer (trainer.layer_stats(), or l in graphscope tui)"]


__all__ = ["divergence_advice", "loss_grew", "smaller_rate"]
