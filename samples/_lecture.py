"""Shared pieces of the lecture's training samples: the command line, the spiral data and a small net on
it, training runs with gs.Trainer, and plots.

Every training sample runs as ``python samples/NAME.py [--fast] [--plot DIR]``:
``--fast`` (or the environment variable GRAPHSCOPE_FAST=1) shrinks data and
epochs to what CI runs; ``--plot DIR`` writes the sample's figures as PNG
with matplotlib; a terminal curve is drawn with plotext whenever stdout is
shown. The samples import this module by name (their own folder is on the
path when Python or graphscope runs them).
"""
import argparse
import os
import sys

import numpy as np

import graphscope as gs


def parse_args(description, argv=None):
    """``--fast`` and ``--plot DIR``; ``fast`` is also on when GRAPHSCOPE_FAST=1."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--fast", action="store_true", help="small data and few epochs (what CI runs)")
    parser.add_argument("--plot", metavar="DIR", help="write the figures as PNG files into DIR")
    parser.add_argument("--no-terminal-plot", action="store_true", help="skip the plotext curve in the terminal")
    args = parser.parse_args(argv)
    args.fast = args.fast or os.environ.get("GRAPHSCOPE_FAST") == "1"
    return args


def loss_of(net, x, y):
    """The softmax loss of `net` on one batch, with the input leaf named x and the scores node named scores."""
    scores = net(gs.tensor(np.asarray(x), name="x"))
    scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, np.asarray(y))
    loss.name = "loss"
    return loss


def fit(net, data, optimizer="sgd", lr=0.1, epochs=10, batch_size=32, reg=0.0, schedule=None, seed=0,
        **hyper):
    """Train `net` on ``data = (x, y, x_val, y_val)`` with gs.Trainer; returns ``(history, trainer)``."""
    trainer = make_trainer(net, data, optimizer, lr, epochs, batch_size, reg, schedule, seed, **hyper)
    return trainer.fit(*data), trainer


def make_trainer(net, data, optimizer="sgd", lr=0.1, epochs=10, batch_size=32, reg=0.0, schedule=None, seed=0,
                 **hyper):
    """A gs.Trainer for `net` on ``data = (x, y, x_val, y_val)``, recorded on its first batch, in float64."""
    x, y = data[0], data[1]
    loss = loss_of(net, x[:batch_size], y[:batch_size])
    opt = gs.optim.make(optimizer, loss.graph().params, lr, **hyper)
    return gs.Trainer(loss, opt, batch_size=batch_size, epochs=epochs, reg=reg, schedule=schedule, seed=seed,
                      dtype="float64", progress=False)


def epochs_to(accuracies, target):
    """The first epoch (1-based) whose accuracy reaches `target`, or None."""
    return next((i + 1 for i, a in enumerate(accuracies) if a is not None and a >= target), None)


def terminal_plot(series, title, xlabel="epoch", ylabel="", logy=False, args=None):
    """Draw ``{label: values}`` as lines in the terminal with plotext (skipped with --no-terminal-plot)."""
    if args is not None and args.no_terminal_plot:
        return
    import plotext as plt
    plt.clear_figure()
    plt.plotsize(72, 18)
    plt.theme("clear")
    for label, values in series.items():
        values = np.asarray(values, dtype=float)
        keep = np.isfinite(values)
        xs = np.arange(1, len(values) + 1)[keep]
        plt.plot(list(xs), list(values[keep]), label=label)
    if logy:
        plt.yscale("log")
    plt.title(title)
    plt.xlabel(xlabel)
    plt.ylabel(ylabel)
    text = plt.build()
    plt.clear_figure()
    print(text if sys.stdout.isatty() else plt.uncolorize(text))  # no colour codes in a pipe or a file


def save_lines(folder, filename, series, title, xlabel="epoch", ylabel="", logy=False, styles=None):
    """Write ``{label: values}`` as a matplotlib line plot to folder/filename; returns the path."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(folder, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, values in series.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, (styles or {}).get(label, "-"), label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    path = os.path.join(folder, filename)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")
    return path


# ---------------------------------------------------------------- the spiral and a net on it

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
            a = h @ W
            if batchnorm:  # no bias before batch norm: it would be subtracted again (beta is the bias)
                a = gs.nn.BatchNorm1d(hidden, name=f"bn{i}")(a)
            else:
                a = a + gs.param(np.zeros(hidden), name=f"fc{i}.b")
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
