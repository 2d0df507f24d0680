"""When a loss counts as grown or as flat: the thresholds the divergence advice, the sanity checks and the
hyperparameter search share.

One factor says a loss grew (the updates overshoot). Two shares say it did not move, one per question, because
the runs they judge differ by far: the sanity check's overfit attempt takes many steps on a handful of
examples, where any rate that does something moves the loss by far more than a percent, so anything under
FLAT_ON_A_FEW is a rate too small to matter; a search trial compares epoch means over the whole data, where a
slow but real learner may gain less than a percent an epoch, so only a change under the tighter
FLAT_OVER_EPOCHS counts as stalled. ``run_verdict`` says at the end of a run that its loss grew or barely moved.
"""
import math

#: A loss this many times its reference (the divergence advice: the lowest of the last losses; a search trial:
#: the loss at the initial weights) grew: the learning rate is too large.
GREW = 1.5
#: The sanity check's overfit attempt did not move the loss when it changed by at most this share of itself.
FLAT_ON_A_FEW = 0.01
#: A search trial stalled when its epoch loss moved by less than this share of itself.
FLAT_OVER_EPOCHS = 0.005
#: How many of the last finite losses the trend is read from.
TREND_WINDOW = 20
#: Learning rates above this seldom train (SGD on standardized inputs; Adam's good ones are smaller still): no
#: suggested rate is larger, and after a single update made the loss non-finite, none is larger than a tenth of it.
COMMON_TOP = 1.0
#: A suggested rate is at least this many times smaller than the one that overshot.
LEAST_CUT = 10
#: Without a measured growth (the first update made the loss non-finite), the rate is cut this many times at least.
UNMEASURED_CUT = 1000


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


#: A whole run whose loss changed by less than this share of its first value barely moved (said at its end).
BARELY_MOVED = 0.05
#: A run whose last epoch's loss is this many times its first value grew far above its start.
FAR_ABOVE = 10.0


def run_verdict(losses, epoch_means, lr, blocked=False):
    """One line on how the loss of a run that ended without a non-finite loss went, or '' when it went down:

    - it grew (its last epoch's mean above GREW times its first iteration's loss, the loss at the initial weights):
      'the loss grew far above its start (2.30 at the first step, up to 1.2e+05 at iteration 40, 9.8e+03 in the
      last epoch): the learning rate is too high (lr 10): try 0.1 ...', however high the accuracy;
    - it rose, by less than that: 'the loss rose (2.30 at the first step, 3.25 in the last epoch) where it should
      fall: the learning rate may be too high (lr 0.5): try a smaller one ...';
    - it barely moved (changed by less than BARELY_MOVED of its first value): 'the loss barely moved (2.30 -> 2.29):
      try a larger learning rate or more epochs', or, when the layer diagnosis found what no rate cures
      (`blocked`: True, or the finding's first words, 'dead units (on 500 examples): layer of W1 99%'), that.

    `losses` are the run's losses per iteration, `epoch_means` its mean per epoch, `lr` its (last) learning rate.
    The CLI's `graphscope train` prints it at the end of a run; the TUI's training screen can show the same.
    """
    losses, means = list(losses), list(epoch_means)
    if not losses or not means:
        return ""
    start, last = losses[0], means[-1]
    if not (math.isfinite(start) and math.isfinite(last)) or start <= 0:
        return ""
    if last > (1 + BARELY_MOVED) * start:
        peak = max(range(len(losses)), key=losses.__getitem__)
        rate, why = smaller_rate(losses[:peak + 1], lr)
        if last > GREW * start:
            far = " far above its start" if last > FAR_ABOVE * start else ""
            return (f"the loss grew{far} ({start:#.3g} at the first step, up to {losses[peak]:.3g} at iteration "
                    f"{peak + 1}, {last:.3g} in the last epoch): the learning rate is too high (lr {lr:g}), whatever "
                    f"the accuracy says: try a smaller one (e.g. {rate:g}: {why})")
        return (f"the loss rose ({start:#.3g} at the first step, {last:#.3g} in the last epoch) where it should fall: "
                f"the learning rate may be too high (lr {lr:g}): try a smaller one (e.g. {rate:g}: {why})")
    if abs(start - last) < BARELY_MOVED * start:
        moved = f"the loss barely moved ({start:#.3g} -> {last:#.3g})"
        if blocked:
            found = f": {blocked}" if isinstance(blocked, str) else ""
            return f"{moved}: no learning rate can help, the layer diagnosis finds what stops it{found}"
        return f"{moved}: try a larger learning rate or more epochs"
    return ""


def trainer_verdict(trainer, stats=None):
    """run_verdict of a trainer's run, at its current learning rate, blocked when the layer diagnosis of its layer
    statistics (`stats`, default trainer.layer_stats()) finds what no learning rate cures (graphscope.train.blocked)."""
    from .blocked import BLOCKING
    from .health import diagnose
    history = trainer.history
    if not history.loss:
        return ""
    stats = trainer.layer_stats() if stats is None else stats
    found = [f for f in diagnose(stats) if f.kind in BLOCKING]
    blocked = ": ".join(found[0].text.split(": ")[:2]) if found else False
    return run_verdict(history.loss, history.epoch_loss(), float(trainer.optimizer.lr), blocked=blocked)
