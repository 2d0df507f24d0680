"""A 2-layer net on a small batch: scores = relu(X W1 + b1) W2 + b2, softmax cross-entropy loss.

    graphscope export samples/two_layer.py -o two_layer.svg
    graphscope export samples/two_layer.py -o steps.html
"""
import numpy as np

import graphscope as gs

BATCH, FEATURES, HIDDEN, CLASSES = 4, 3, 5, 3


def build():
    rng = np.random.default_rng(0)
    X = gs.tensor(rng.normal(size=(BATCH, FEATURES)), name="X")
    labels = rng.integers(0, CLASSES, size=BATCH)
    with gs.scope("fc1"):
        W1 = gs.param(rng.normal(scale=0.5, size=(FEATURES, HIDDEN)), name="W1")
        b1 = gs.param(np.zeros(HIDDEN), name="b1")
        h = gs.relu(X @ W1 + b1)
        h.name = "h"
    with gs.scope("fc2"):
        W2 = gs.param(rng.normal(scale=0.5, size=(HIDDEN, CLASSES)), name="W2")
        b2 = gs.param(np.zeros(CLASSES), name="b2")
        scores = h @ W2 + b2
        scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, labels)
    loss.name = "loss"
    return loss


if __name__ == "__main__":
    from _cli import explore
    raise SystemExit(explore(__file__, __doc__, build))
