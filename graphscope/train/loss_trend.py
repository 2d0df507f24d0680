"""When a loss counts as grown or as flat: the thresholds the divergence advice, the sanity checks and the
hyperparameter search share.

One factor says a loss grew (the updates overshoot). Two shares say it did not move, one per question, because
the runs they judge differ by far: the sanity check's overfit attempt takes many steps on a handful of
examples, where any rate that does something moves the loss by far more than a percent, so anything under
FLAT_ON_A_FEW is a rate too small to matter; a search trial compares epoch means over the whole data, where a
slow but real learner may gain less than a percent an epoch, so only a change under the tighter
FLAT_OVER_EPOCHS counts as stalled.
"""

#: A loss this many times its reference (the divergence advice: the lowest of the last losses; a search trial:
#: the loss at the initial weights) grew: the learning rate is too large.
GREW = 1.5
#: The sanity check's overfit attempt did not move the loss when it changed by at most this share of itself.
FLAT_ON_A_FEW = 0.01
#: A search trial stalled when its epoch loss moved by less than this share of itself.
FLAT_OVER_EPOCHS = 0.005
