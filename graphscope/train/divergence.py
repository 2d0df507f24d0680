"""What to change when the loss turns NaN or infinite: advice that follows the cause.

The learning rate is blamed only when updates came before the non-finite loss and the
loss grew on the way there (or the first update made it). A non-finite loss before any
update comes from the initial parameters, the inputs or the way the loss is written;
a node written in an unstable form (a log of a softmax) is named with its stable
replacement by the engine (``NonFinite.cause``).
"""

from ..engine.nonfinite_causes import fixable_in_the_model
from ..engine.source import display_location
from .loss_trend import GREW, TREND_WINDOW, smaller_rate


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
