"""Shared pieces of the lecture's training samples: the command line, a small training run, and plots.

Every training sample runs as ``python samples/NAME.py [--fast] [--plot DIR]``:
``--fast`` (or the environment variable GRAPHSCOPE_FAST=1) shrinks data and
epochs to what CI runs; ``--plot DIR`` writes the sample's figures as PNG
with matplotlib; a terminal curve is drawn with plotext whenever stdout is
shown. The samples import this module by name (their own folder is on the
path when Python or graphscope runs them).
"""
import argparse
import os

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
    plt.show()


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
