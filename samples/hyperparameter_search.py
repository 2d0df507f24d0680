"""Random vs grid search over the learning rate and the regularization strength, on the same budget.

The lecture's advice: search in log space, coarse (few epochs, wide ranges)
then fine (around the best coarse trials), and sample at random rather than
on a grid: when one hyperparameter matters much more than the other, a grid
of n trials tries only sqrt(n) values of it, random search tries n.

Both searches run gs.train.search with the same trials and epochs from the
same initial weights; the better one is reported as measured (on a problem
this small, either can win).

    python samples/hyperparameter_search.py [--fast] [--plot PATH]
    graphscope search samples/hyperparameter_search.py --trials 9 --epochs 5 --lr-range 1e-3 10 --reg-range 1e-6 0.1
        # the sample's random search: its ranges, SGD and batch 32 from settings() below
    graphscope train samples/hyperparameter_search.py   # the best trial the full random search finds (settings())
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _lecture as lecture  # noqa: E402
from _cli import parse_args, print_findings  # noqa: E402

import graphscope as gs  # noqa: E402
from graphscope.viz.figures import DPI  # noqa: E402

LR, REG = (1e-3, 1e1), (1e-6, 1e-1)
BATCH, FINE_EPOCHS = 32, 10
#: The best trial of the full random search (lr, reg), as its table prints them.
BEST_LR, BEST_REG = 1.58, 1.87e-05


def data():
    """The spiral to train on and a second draw of it to validate on."""
    return lecture.spiral_data()


def settings():
    """What `graphscope train samples/hyperparameter_search.py` trains with: the search's best trial (SGD, batch
    32, a fine trial's 10 epochs); `graphscope search` takes its optimizer and batch size from here too."""
    return {"optimizer": "sgd", "lr": BEST_LR, "reg": BEST_REG, "batch_size": BATCH, "epochs": FINE_EPOCHS}


def build():
    """The 2-layer ReLU net's loss on a first batch; every trial starts from these weights."""
    return lecture.spiral_net(hidden=50, activation="relu", seed=0)


def run(method, trials=9, epochs=5, fine_trials=4, fine_epochs=FINE_EPOCHS, seed=0):
    """One coarse-then-fine search (a gs.train.SearchResult)."""
    return gs.train.search(build(), lambda params, lr: gs.optim.SGD(params, lr=lr), *data(), method=method,
                           trials=trials, lr=LR, reg=REG, epochs=epochs, fine_trials=fine_trials,
                           fine_epochs=fine_epochs, batch_size=BATCH, seed=seed, progress=False)


def compare(fast=False):
    """{method: SearchResult} for random and grid search on the same budget."""
    budget = dict(trials=9, epochs=3, fine_trials=4, fine_epochs=6) if fast else {}  # full grids: 3 x 3, 2 x 2
    return {method: run(method, **budget) for method in ("random", "grid")}


def summary(results):
    """{method: numbers}: the best validation accuracy, the budget in epochs, distinct coarse lr values."""
    out = {}
    for method, r in results.items():
        coarse = [t for t in r.trials if t.stage == "coarse"]
        out[method] = {"best_val": r.best.val_acc, "best_lr": r.best.lr, "best_reg": r.best.reg,
                       "trials": len(r.trials), "epochs": sum(t.epochs for t in r.trials),
                       "distinct_lr": len({round(np.log10(t.lr), 6) for t in coarse}), "coarse": len(coarse)}
    return out


def findings(s):
    """The lecture's claims, each (text, holds?)."""
    rnd, grid = s["random"], s["grid"]
    return [
        (f"on the same budget ({rnd['epochs']} epochs each) random search tries {rnd['distinct_lr']} learning "
         f"rates in its coarse stage, grid search {grid['distinct_lr']}", rnd["distinct_lr"] > grid["distinct_lr"]),
        (f"random search finds a better model than grid search (best validation accuracy "
         f"{100 * rnd['best_val']:.1f}% vs {100 * grid['best_val']:.1f}%)", rnd["best_val"] > grid["best_val"]),
    ]


def main(argv=None):
    args = parse_args(__file__, __doc__, argv, fast="3 epochs per coarse trial instead of 5, 6 per fine one "
                      "instead of 10", figures=("search.png",))
    results = compare(args.fast)
    for method, r in results.items():
        print(f"{method} search, coarse then fine:\n{r.table(limit=5)}\n")
    print_findings(findings(summary(results)), refuted="refuted")
    if args.plot:
        args.plot.write("search.png", lambda path, dpi: save_trials_plot(results, path, dpi))
    return 0


def save_trials_plot(results, path, dpi=DPI):
    """Every trial as a point in (lr, reg), coloured by validation accuracy, one panel per method."""
    from graphscope.viz.figures import save_scatter
    panels = {method: [(t.lr, t.reg, t.val_acc or 0.0, t.stage) for t in r.trials] for method, r in results.items()}
    return save_scatter(panels, path, xlabel="learning rate", ylabel="regularization", value="validation accuracy",
                        dpi=dpi)


if __name__ == "__main__":
    raise SystemExit(main())
