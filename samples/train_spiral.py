"""Train a 2-layer ReLU net on cs231n's 3-class spiral (300 points), the lecture's first training demo.

    python samples/train_spiral.py [--fast] [--plot PATH] [OPTIONS]   # the first command below, OPTIONS added
    graphscope train samples/train_spiral.py     # settings(): --optimizer sgd --lr 0.5 --schedule exp:0.01
                                                 # --epochs 300 --batch-size 32 --reg 1e-4
    graphscope train samples/train_spiral.py --sanity
    graphscope search samples/train_spiral.py --trials 6 --epochs 20
    graphscope export samples/train_spiral.py -o spiral.svg

Both first commands train with settings(): they end at 98.7% to 99.3% training accuracy (about 1.5 s; every
--seed 0..24 ends at 98% or more): the learning rate decays by e^-0.01 an epoch,
from 0.5 to 0.025. At a constant 0.5 the last steps are too large to settle:
200 epochs end anywhere between 97% and 99%.

Run by Python, it is `graphscope train` with the options above: --fast trains
40 epochs instead of 300, --plot writes the curves (into a folder as
train_spiral.png, or to a .png, .svg or .pdf file), and any other option is
graphscope train's (`graphscope train --help`), replacing that option of the
command above (e.g. --epochs 50, --optimizer adam --lr 0.01). The others stay:
--optimizer adam --lr 0.01 still decays the rate by exp:0.01 and regularizes
by 1e-4 (--schedule none keeps the rate constant, --reg 0 drops the term).
The command printed first is the one run, each option once.
"""
import os
import shlex
import sys

import numpy as np

import graphscope as gs

#: What this file trains with, `graphscope train samples/train_spiral.py` and the TUI's r included (settings()).
SETTINGS = {"optimizer": "sgd", "lr": 0.5, "schedule": "exp:0.01", "epochs": 300, "batch_size": 32, "reg": 1e-4}
#: What `python samples/train_spiral.py` runs: `graphscope train` on this file with these options, SETTINGS shown.
def _option_text(value):
    """A setting as the command line writes it: 0.5, 1e-4, exp:0.01, 300."""
    if not isinstance(value, float):
        return str(value)
    plain, power = f"{value:g}", f"{value:.0e}".replace("e-0", "e-")
    return power if float(power) == value and len(power) < len(plain) else plain


TRAIN_OPTIONS = [token for key, value in SETTINGS.items() for token in (f"--{key.replace('_', '-')}",
                                                                        _option_text(value))]
#: What --fast changes: the epochs.
FAST_OPTIONS = ["--epochs", "40"]

CLASSES, PER_CLASS, HIDDEN = 3, 100, 100


def spiral(seed=0):
    """`CLASSES` arms of `PER_CLASS` noisy 2-d points each: float32 features, int64 labels."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(CLASSES):
        r = np.linspace(0.0, 1.0, PER_CLASS)
        t = np.linspace(4.0 * c, 4.0 * (c + 1), PER_CLASS) + rng.normal(scale=0.2, size=PER_CLASS)
        xs.append(np.c_[r * np.sin(t), r * np.cos(t)])
        ys.append(np.full(PER_CLASS, c))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


def settings():
    """The settings that reach 98% or more training accuracy (the README's claim); options replace them."""
    return dict(SETTINGS)


def data():
    """Every point to train on, and a second spiral (another noise draw) to validate on."""
    x, y = spiral(seed=0)
    x_val, y_val = spiral(seed=1)
    return x, y, x_val, y_val


def build():
    """The loss on a first batch; the trainer replays this graph on every batch."""
    x, y = spiral(seed=0)
    rng = np.random.default_rng(0)
    X = gs.tensor(x[::10], name="x")
    with gs.scope("fc1"):
        W1 = gs.param(rng.normal(scale=np.sqrt(2.0 / 2), size=(2, HIDDEN)), name="fc1.W")
        b1 = gs.param(np.zeros(HIDDEN), name="fc1.b")
        h = gs.relu(X @ W1 + b1)
    with gs.scope("fc2"):
        W2 = gs.param(rng.normal(scale=0.01, size=(HIDDEN, CLASSES)), name="fc2.W")
        b2 = gs.param(np.zeros(CLASSES), name="fc2.b")
        scores = h @ W2 + b2
        scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, y[::10])
    loss.name = "loss"
    return loss


def main(argv=None):
    """`graphscope train` on this file with TRAIN_OPTIONS (FAST_OPTIONS with --fast), --plot's file and the
    other options of `argv`, each replacing that option of the ones before: the table, the curve and the final
    accuracies; returns its exit status."""
    from _cli import parse_args

    from graphscope.cli import main as graphscope
    options, rest = parse_args(__file__, __doc__, sys.argv[1:] if argv is None else argv,
                               fast="40 epochs instead of 300", figures=("train_spiral.png",), known_only=True,
                               dpi=False,
                               terminal="runs graphscope train, which always draws its loss curve in the terminal")
    if options.plot:
        rest = ["--plot", options.plot.path("train_spiral.png"), *rest]
    here = os.path.relpath(__file__) if not os.path.relpath(__file__).startswith("..") else __file__
    args = ["train", here, *merged_options(TRAIN_OPTIONS, FAST_OPTIONS if options.fast else [], rest)]
    print(f"$ graphscope {shlex.join(args)}")
    given = {o.split("=", 1)[0] for o in rest if o.startswith("--")}
    if given & {"--optimizer", "--lr"} and "--schedule" not in given:
        print(f"(the learning rate still decays by {dict(pairs(TRAIN_OPTIONS))['--schedule']} an epoch: "
              f"--schedule none keeps it constant)")
    return graphscope(args)


def pairs(options):
    """[(option, value)] of a list of options that each take one value."""
    return list(zip(options[::2], options[1::2]))


def merged_options(base, *overrides):
    """`base` (options that each take one value) with each option of `overrides` put in its place, each option
    once; options the base lacks follow in their order (``--lr=0.1`` replaces ``--lr``'s value too)."""
    values = dict(pairs(base))
    extra = []
    for options in overrides:
        i = 0
        while i < len(options):
            option = options[i]
            name, eq, value = option.partition("=")
            if name in values and eq:
                values[name], i = value, i + 1
            elif option in values and i + 1 < len(options):
                values[option], i = options[i + 1], i + 2
            else:
                extra.append(option)
                i += 1
    return [token for option, value in values.items() for token in (option, value)] + extra


if __name__ == "__main__":
    raise SystemExit(main())
