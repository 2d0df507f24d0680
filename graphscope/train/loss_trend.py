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
#: A whole run whose loss fell by less than this share of its first value barely moved (said at its end).
BARELY_MOVED = 0.05
#: A run whose last epoch's loss is this many times its first value grew far above its start.
FAR_ABOVE = 10.0


def run_verdict(losses, epoch_means, lr, blocked=False):
    """One line on how the loss of a run that ended without a non-finite loss went, or '' when it went down:

    - it grew (its last epoch's mean above GREW times its first iteration's loss, the loss at the initial weights):
      'the loss grew far above its start (2.30 at the first step, up to 1.2e+05 at iteration 40, 9.8e+03 in the
      last epoch): the learning rate is too high (lr 10): try 0.1 ...', however high the accuracy;
    - it barely moved (fell by less than BARELY_MOVED of its first value): 'the loss barely moved (2.30 -> 2.29):
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
    if last > GREW * start:
        from .divergence import smaller_rate
        peak = max(range(len(losses)), key=losses.__getitem__)
        rate, why = smaller_rate(losses[:peak + 1], lr)
        far = " far above its start" if last > FAR_ABOVE * start else ""
        return (f"the loss grew{far} ({start:#.3g} at the first step, up to {losses[peak]:.3g} at iteration "
                f"{peak + 1}, {last:.3g} in the last epoch): the learning rate is too high (lr {lr:g}), whatever "
                f"the accuracy says: try a smaller one (e.g. {rate:g}: {why})")
    if start - last < BARELY_MOVED * start:
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
