"""Demo 1: a 2-layer fully connected ReLU net trained with backprop on the 3-class spiral (>= 98% training accuracy).

    python samples/fc_net.py [--fast] [--plot DIR] [--no-terminal-plot]
    graphscope tui samples/fc_net.py
    graphscope train samples/fc_net.py              # with settings() below: Adam, lr 0.01, exp:0.02, 150 epochs
    graphscope train samples/fc_net.py --epochs 20  # an option replaces a setting
"""
import graphscope as gs
from _cli import parse_args, say, terminal_plot
from _lecture import fit, loss_of

HIDDEN = 100
FIGURES = ("fc_net_accuracy.png", "fc_net_loss.png")
TARGET = 0.98
LR, EPOCHS = 0.01, 150


def data(fast=False):
    """The spiral to train on and a second noise draw of it to validate on."""
    n = 60 if fast else 100
    x, y = gs.data.spiral(n_per_class=n, seed=0)
    x_val, y_val = gs.data.spiral(n_per_class=n, seed=1)
    return x, y, x_val, y_val


def settings():
    """What `graphscope train samples/fc_net.py` trains with (the run measure() makes; options replace them)."""
    return {"optimizer": "adam", "lr": LR, "schedule": "exp:0.02", "epochs": EPOCHS, "batch_size": 30,
            "dtype": "float64"}


def net(seed=0):
    """2 -> HIDDEN (ReLU) -> 3: fc1, relu1, fc2."""
    return gs.nn.MLP([2, HIDDEN, 3], activation="relu", rng=seed)


def build():
    """The loss of the untrained net on a first batch (what `graphscope tui|export|train` record)."""
    x, y, _, _ = data()
    return loss_of(net(), x[:32], y[:32])


def measure(fast=True):
    """Train the net; returns final and per-epoch training/validation accuracy and loss."""
    x, y, x_val, y_val = data(fast)
    s = settings()
    history, trainer = fit(net(), (x, y, x_val, y_val), optimizer=s["optimizer"], lr=s["lr"], epochs=s["epochs"],
                           batch_size=s["batch_size"], schedule=gs.optim.schedules.parse_schedule(s["schedule"], s["lr"]))
    train_acc, _ = trainer.evaluate(x, y)  # the trained net on every training point
    return {"train_acc": train_acc, "val_acc": history.val_acc[-1], "target": TARGET,
            "epochs": len(history.train_acc), "train_acc_curve": list(history.train_acc),
            "val_acc_curve": list(history.val_acc), "loss_curve": history.epoch_loss()}


def main(argv=None):
    args = parse_args(__file__, __doc__, argv, fast="60 points per class instead of 100", figures=FIGURES,
                      terminal=True)
    m = measure(fast=args.fast)
    say(f"2-layer net ({HIDDEN} ReLU units) on the spiral, {m['epochs']} epochs of Adam (lr {LR}, exponential decay)")
    print(f"training accuracy {m['train_acc']:.1%}  validation accuracy {m['val_acc']:.1%}")
    print(f"claim: >= {TARGET:.0%} training accuracy: {'confirmed' if m['train_acc'] >= TARGET else 'refuted'}")
    curves = {"train accuracy": m["train_acc_curve"], "validation accuracy": m["val_acc_curve"]}
    terminal_plot(curves, "fc_net: accuracy per epoch", ylabel="accuracy", args=args)
    if args.plot:
        args.plot.curves("fc_net_accuracy.png", curves, "2-layer ReLU net on the spiral", ylabel="accuracy")
        args.plot.curves("fc_net_loss.png", {"training loss": m["loss_curve"]}, "training loss per epoch",
                         ylabel="loss", logy=True)
    return m


if __name__ == "__main__":
    main()
