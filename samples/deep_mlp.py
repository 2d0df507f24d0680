"""A deeper net: an input layer, 8 identical Linear+ReLU blocks, an output layer, softmax cross-entropy.

The 8 blocks have the same structure, so pictures fold them into one box
"Linear+ReLU x 8" (draw them all with --no-fold):

    graphscope export samples/deep_mlp.py -o deep.svg
    graphscope export samples/deep_mlp.py -o deep.svg --no-fold --depth 0
"""
import numpy as np

import graphscope as gs

BATCH, FEATURES, WIDTH, CLASSES, BLOCKS = 16, 10, 32, 4, 8


def linear(x, fan_in, fan_out, rng):
    """x W + b with He initialisation (variance 2 / fan_in, for ReLU)."""
    W = gs.param(rng.normal(scale=np.sqrt(2.0 / fan_in), size=(fan_in, fan_out)), name="W")
    b = gs.param(np.zeros(fan_out), name="b")
    return x @ W + b


def build():
    rng = np.random.default_rng(0)
    X = gs.tensor(rng.normal(size=(BATCH, FEATURES)), name="X")
    labels = rng.integers(0, CLASSES, size=BATCH)
    with gs.scope("input"):
        h = gs.relu(linear(X, FEATURES, WIDTH, rng))
    for i in range(1, BLOCKS + 1):
        with gs.scope(f"block{i}"):
            h = gs.relu(linear(h, WIDTH, WIDTH, rng))
    with gs.scope("output"):
        scores = linear(h, WIDTH, CLASSES, rng)
        scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, labels)
    loss.name = "loss"
    return loss


if __name__ == "__main__":
    from _cli import explore
    raise SystemExit(explore(__file__, __doc__, build))
