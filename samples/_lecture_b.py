"""What several lecture samples share: the spiral data and a small net on it, trained with gs.Trainer.

Not a sample itself (its name starts with "_"); the samples import it from their own folder.
"""
import numpy as np

import graphscope as gs

CLASSES = 3


def spiral_data(per_class=100):
    """cs231n's 3-class spiral to train on, and a second draw of its noise to validate on."""
    x, y = gs.train.spiral(n_per_class=per_class, classes=CLASSES, seed=0)
    x_val, y_val = gs.train.spiral(n_per_class=per_class, classes=CLASSES, seed=1)
    return x, y, x_val, y_val


def spiral_net(hidden=100, activation="relu", seed=0, layers=1, batchnorm=False):
    """A fully connected net on the spiral (`layers` hidden layers of `hidden` units), its softmax loss on a
    first batch; the trainer replays it on every batch. Weights: He for ReLU, Xavier otherwise."""
    x, y, _, _ = spiral_data()
    rng = np.random.default_rng(seed)
    h = gs.tensor(x[::10], name="x")
    fan_in = 2
    for i in range(1, layers + 1):
        with gs.scope(f"fc{i}"):
            gain = 2.0 if activation == "relu" else 1.0
            W = gs.param(rng.normal(scale=np.sqrt(gain / fan_in), size=(fan_in, hidden)), name=f"fc{i}.W")
            b = gs.param(np.zeros(hidden), name=f"fc{i}.b")
            a = h @ W + b
            if batchnorm:
                a = gs.nn.BatchNorm1d(hidden, name=f"bn{i}")(a)
            h = getattr(gs, activation)(a)
        fan_in = hidden
    with gs.scope("out"):
        W = gs.param(rng.normal(scale=0.01, size=(hidden, CLASSES)), name="out.W")
        b = gs.param(np.zeros(CLASSES), name="out.b")
        scores = h @ W + b
        scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, y[::10])
    loss.name = "loss"
    return loss


def train(loss, rule, lr, epochs, batch_size=32, seed=0, shuffle=True, x=None, y=None, x_val=None, y_val=None):
    """Train `loss`'s graph with gs.optim.<rule> for `epochs` on the spiral (or the data given): the History."""
    if x is None:
        x, y, x_val, y_val = spiral_data()
    optimizer = getattr(gs.optim, rule)(loss.graph().params, lr=lr)
    trainer = gs.Trainer(loss, optimizer, batch_size=batch_size, epochs=epochs, seed=seed, shuffle=shuffle,
                         progress=False)
    return trainer.fit(x, y, x_val, y_val)


def epoch_means(history):
    """The mean training loss of each epoch."""
    per = history.settings["iterations_per_epoch"]
    return [float(np.mean(history.loss[i:i + per])) for i in range(0, len(history.loss), per)]
