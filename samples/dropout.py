"""Demo 4: a net big enough to memorize a small noisy data set, without and with dropout: the train/validation gap.

    python samples/dropout.py [--fast] [--plot PATH] [--no-terminal-plot]
    graphscope tui samples/dropout.py
    graphscope train samples/dropout.py --epochs 100

Accuracies are measured in eval mode (dropout off) after training.
"""
import graphscope as gs
from _cli import parse_args, say, terminal_plot
from _lecture import fit, loss_of

P = 0.5
NOISE, WIDTH = 1.0, 100


def data(fast=False):
    """Few training points with much noise (easy to overfit), and a larger validation draw."""
    x, y = gs.data.spiral(n_per_class=20, seed=0, noise=NOISE)
    x_val, y_val = gs.data.spiral(n_per_class=100, seed=1, noise=NOISE)
    return x, y, x_val, y_val


def net(dropout=P, seed=0):
    return gs.nn.MLP([2, WIDTH, WIDTH, 3], dropout=dropout, rng=seed)


def build():
    x, y, _, _ = data()
    return loss_of(net(), x, y)


def settings():
    """What `graphscope train samples/dropout.py` trains with (measure()'s run; options replace them)."""
    return {"optimizer": "adam", "lr": 0.01, "batch_size": 60, "epochs": 300, "dtype": "float64"}


def measure(fast=True):
    """Per variant: training and validation accuracy (eval mode) and their gap; validation curves."""
    epochs = 150 if fast else 300
    out = {"epochs": epochs, "p": P}
    for name, p in (("plain", 0.0), ("dropout", P)):
        d = data(fast)
        s = settings()
        history, trainer = fit(net(dropout=p), d, optimizer=s["optimizer"], lr=s["lr"], epochs=epochs,
                               batch_size=s["batch_size"])
        train_acc, _ = trainer.evaluate(d[0], d[1])
        val_acc, _ = trainer.evaluate(d[2], d[3])
        out[name] = {"train_acc": train_acc, "val_acc": val_acc, "gap": train_acc - val_acc,
                     "val_loss_curve": list(history.val_loss)}
    return out


def main(argv=None):
    args = parse_args(__file__, __doc__, argv, fast="150 epochs instead of 300", figures=("dropout_val_loss.png",),
                      terminal=True)
    m = measure(fast=args.fast)
    say(f"2 hidden layers of {WIDTH} ReLU units, 60 noisy training points (full batch), {m['epochs']} epochs of Adam:")
    for name in ("plain", "dropout"):
        row = m[name]
        print(f"  {name:8s} training {row['train_acc']:.1%}  validation {row['val_acc']:.1%}  gap {row['gap']:+.1%}")
    shrinks = m["dropout"]["gap"] < m["plain"]["gap"]
    print(f"claim: dropout (p={P}) shrinks the train/validation gap: {'confirmed' if shrinks else 'refuted'}")
    curves = {f"{name} validation loss": m[name]["val_loss_curve"] for name in ("plain", "dropout")}
    terminal_plot(curves, "dropout: validation loss per epoch", ylabel="loss", args=args)
    if args.plot:
        args.plot.curves("dropout_val_loss.png", curves, "validation loss without and with dropout", ylabel="loss")
    return m


if __name__ == "__main__":
    main()
