"""Demo 2: a deep ReLU net under a poor init (N(0, 0.01^2)), without and with batch norm; and BN's cost per step.

    python samples/batchnorm.py [--fast] [--plot DIR] [--no-terminal-plot]
    graphscope tui samples/batchnorm.py
    graphscope train samples/batchnorm.py --epochs 20   # settings() below: SGD, lr 0.1, batch 30

With weights this small the plain net's activations shrink layer by layer and
it barely learns; batch norm rescales every layer to unit variance, so the same
net with the same init trains.

With `graphscope train`, validation accuracy sits at chance (33%) for the
first few epochs while training accuracy climbs: validation runs in eval
mode, on batch norm's running averages, which start at mean 0 and variance 1
and move 10% of the way per batch (momentum 0.1) towards this net's far
smaller variances (weights of std 0.01); until they get there, each layer's
output is scaled down 10 to 100 times, and the six layers compound it. The warm-up is batch norm's, not a bug.
"""
import numpy as np

import graphscope as gs
from _cli import parse_args, say, terminal_plot
from _lecture import fit, loss_of, median_cpu_seconds

DEPTH, WIDTH, BATCH = 6, 50, 30
COST_RUNS = 9  # the timed runs of a step per variant
POOR_INIT = "normal(std=0.01)"
#: What the training loss and accuracy, printed and drawn, are measured on (as `graphscope train`'s table's).
OVER_BATCHES = "over each epoch's batches, in training mode"


def data(fast=False):
    x, y = gs.data.spiral(n_per_class=60 if fast else 100, seed=0)
    x_val, y_val = gs.data.spiral(n_per_class=60 if fast else 100, seed=1)
    return x, y, x_val, y_val


def net(batchnorm=True, seed=0):
    """DEPTH hidden ReLU layers of WIDTH units, every weight N(0, 0.01^2), batch norm before each ReLU if asked."""
    return gs.nn.MLP([2] + [WIDTH] * DEPTH + [3], batchnorm=batchnorm, init=POOR_INIT, rng=seed)


def build():
    x, y, _, _ = data()
    return loss_of(net(), x[:32], y[:32])


def settings():
    """What `graphscope train samples/batchnorm.py` trains with (measure()'s run; options replace them)."""
    return {"optimizer": "sgd", "lr": 0.1, "batch_size": BATCH, "epochs": 40, "dtype": "float64"}


def step_seconds(fast=True):
    """{variant: the CPU seconds of one training step's forward and backward on a batch of BATCH}, each the median
    of interleaved runs (one BLAS thread): the compute batch norm adds, measured steadily on a busy machine."""
    x, y, _, _ = data(fast)
    graphs = {name: loss_of(net(batchnorm=bn), x[:BATCH], y[:BATCH]).graph()
              for name, bn in (("plain", False), ("batchnorm", True))}

    def step(graph):
        graph.run()
        graph.zero_grad()
        graph.backward()
    return median_cpu_seconds({name: (lambda g=g: step(g)) for name, g in graphs.items()},
                              runs=COST_RUNS, calls=100)


def measure(fast=True):
    """Per variant: final training loss and accuracy (the last epoch's, OVER_BATCHES), per-epoch curves, median seconds per epoch (wall time), the
    CPU seconds of a step; and the BN cost ratio (of the steps' CPU time)."""
    epochs = 15 if fast else 40
    out = {"epochs": epochs}
    for name, bn in (("plain", False), ("batchnorm", True)):
        model = net(batchnorm=bn)
        s = settings()
        history, trainer = fit(model, data(fast), optimizer=s["optimizer"], lr=s["lr"], epochs=epochs,
                               batch_size=s["batch_size"])
        # the numbers printed are the curves' last points: the history's, over each epoch's batches in training
        # mode (batch statistics), as `graphscope train`'s table shows them
        out[name] = {"train_loss": history.epoch_loss()[-1], "train_acc": history.train_acc[-1],
                     "loss_curve": history.epoch_loss(),
                     "acc_curve": list(history.train_acc), "seconds_per_epoch": float(np.median(history.seconds)),
                     "layer_stats": [(s.scope, s.activation.std) for s in gs.layer_stats(trainer.graph)]}
    steps = step_seconds(fast)
    for name, seconds in steps.items():
        out[name]["step_seconds"] = seconds
    out["cost_ratio"], out["cost_runs"] = steps["batchnorm"] / steps["plain"], COST_RUNS
    return out


def main(argv=None):
    args = parse_args(__file__, __doc__, argv, fast="60 points per class instead of 100, 15 epochs instead of 40",
                      figures=("batchnorm_loss.png", "batchnorm_accuracy.png"), terminal=True)
    m = measure(fast=args.fast)
    say(f"{DEPTH} hidden ReLU layers of {WIDTH}, weights {POOR_INIT}, {m['epochs']} epochs of SGD on the spiral:")
    say(f"  training loss and accuracy: the last epoch's, {OVER_BATCHES} (the curves' last points):")
    for name in ("plain", "batchnorm"):
        row = m[name]
        print(f"  {name:9s} training loss {row['train_loss']:.3f}  training accuracy {row['train_acc']:.1%}  "
              f"{row['seconds_per_epoch'] * 1000:.1f} ms per epoch")
    say("  activation std of the last hidden layer on the last batch: "
        + ", ".join(f"{name} {m[name]['layer_stats'][-2][1]:.3g}" for name in ("plain", "batchnorm")))
    say(f"batch norm costs {m['cost_ratio'] - 1:+.0%} CPU time per training step (forward and backward, median "
        f"of {m['cost_runs']} runs; the lecture says about +30%)")
    faster = m["batchnorm"]["train_acc"] > m["plain"]["train_acc"] + 0.2
    print(f"claim: with batch norm the poorly initialized net trains much faster: {'confirmed' if faster else 'refuted'}")
    curves = {name: m[name]["loss_curve"] for name in ("plain", "batchnorm")}
    terminal_plot(curves, "batchnorm: training loss per epoch", ylabel="loss", args=args)
    if args.plot:
        args.plot.curves("batchnorm_loss.png", curves, f"deep net, init {POOR_INIT}: training loss {OVER_BATCHES}",
                         ylabel="training loss")
        args.plot.curves("batchnorm_accuracy.png", {n: m[n]["acc_curve"] for n in ("plain", "batchnorm")},
                         f"deep net, init {POOR_INIT}: training accuracy {OVER_BATCHES}", ylabel="training accuracy")
    return m


if __name__ == "__main__":
    main()
