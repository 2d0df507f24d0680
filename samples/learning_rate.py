"""Learning rates: too small, too large and good on the same net and data; then exponential and inverse-time decay.

    python samples/learning_rate.py [--fast] [--plot DIR] [--no-terminal-plot]
    graphscope tui samples/learning_rate.py
    graphscope train samples/learning_rate.py                      # settings() below: the good rate, SGD lr 0.5
    graphscope train samples/learning_rate.py --lr 50              # the rate that blows up
    graphscope train samples/learning_rate.py --schedule exp:0.05  # the good rate, decaying

The too-large rate diverges (the trainer stops at the first non-finite loss)
or oscillates; the too-small one barely moves the loss from log(3).
"""
import numpy as np

import graphscope as gs
from _cli import parse_args, say, terminal_plot
from _lecture import loss_of, make_trainer

RATES = {"too small": 1e-4, "good": 0.5, "too large": 50.0}
DECAYS = {"exponential": lambda lr0: gs.optim.schedules.exponential(lr0, 0.05),
          "inverse time": lambda lr0: gs.optim.schedules.inverse_time(lr0, 0.1)}


def data(fast=False):
    x, y = gs.data.spiral(n_per_class=50 if fast else 100, seed=0)
    x_val, y_val = gs.data.spiral(n_per_class=50 if fast else 100, seed=1)
    return x, y, x_val, y_val


def net(seed=0):
    return gs.nn.MLP([2, 100, 3], rng=seed)


def settings():
    """What `graphscope train samples/learning_rate.py` trains with: the good rate's run (options replace them)."""
    return {"optimizer": "sgd", "lr": RATES["good"], "batch_size": 30, "epochs": 50, "dtype": "float64"}


def build():
    x, y, _, _ = data()
    return loss_of(net(), x[:30], y[:30])


def train(fast, lr, schedule=None):
    """Train with SGD at `lr` (or a schedule); the per-iteration losses, whether it diverged, the final accuracy."""
    s = settings()
    epochs = 20 if fast else s["epochs"]
    trainer = make_trainer(net(), data(fast), optimizer=s["optimizer"], lr=lr, epochs=epochs,
                           batch_size=s["batch_size"], schedule=schedule)
    try:
        trainer.fit(*data(fast))
        diverged = False
    except gs.TrainingDiverged:
        diverged = True
    losses, accs = list(trainer.history.loss), trainer.history.train_acc
    acc = accs[-1] if accs else None
    return {"lr": lr, "diverged": diverged, "loss_curve": losses, "train_acc": acc,
            "first_loss": losses[0] if losses else float("nan"),
            "last_loss": float(np.mean(losses[-10:])) if losses else float("nan"),
            "lr_curve": [schedule(e) for e in range(epochs)] if schedule else None}


def epoch_means(losses, epochs):
    """The mean of each epoch's share of the per-iteration `losses`."""
    return [float(np.mean(part)) for part in np.array_split(np.asarray(losses, dtype=float), epochs)]


def measure(fast=True):
    """Per rate and per decay: the curves, first/last loss, divergence; the decays' learning rates per epoch."""
    out = {name: train(fast, lr) for name, lr in RATES.items()}
    for name, make in DECAYS.items():
        out[name] = train(fast, RATES["good"], schedule=make(RATES["good"]))
    return out


def verdicts(m):
    """The three claims from what was measured."""
    small, good, large = m["too small"], m["good"], m["too large"]
    return {"small barely moves": small["last_loss"] > 0.9 * small["first_loss"],
            "large diverges or oscillates": large["diverged"] or large["last_loss"] > 2 * good["last_loss"],
            "good descends": good["last_loss"] < 0.5 * good["first_loss"]}


def main(argv=None):
    args = parse_args(__file__, __doc__, argv, fast="50 points per class instead of 100, 20 epochs instead of 50",
                      figures=("learning_rate_loss.png", "learning_rate_decay.png"), terminal=True)
    m = measure(fast=args.fast)
    say("SGD on a 2-layer net on the spiral; loss at the first iteration -> mean of the last 10:")
    for name, row in m.items():
        end = f"diverged after {len(row['loss_curve'])} iterations" if row["diverged"] else f"{row['last_loss']:.4f}"
        print(f"  {name:13s} lr {row['lr']:<8g} {row['first_loss']:.4f} -> {end}")
    for name in DECAYS:
        lrs = m[name]["lr_curve"]
        print(f"  {name} decay: lr {lrs[0]:g} at epoch 1 -> {lrs[-1]:.3g} at epoch {len(lrs)}")
    for claim, ok in verdicts(m).items():
        print(f"claim: {claim}: {'confirmed' if ok else 'refuted'}")
    terminal_plot({n: m[n]["loss_curve"] for n in RATES}, "learning_rate: loss per iteration", xlabel="iteration",
                  ylabel="loss", logy=True, args=args)
    epochs = len(m[next(iter(DECAYS))]["lr_curve"])
    terminal_plot({"constant lr" if n in RATES else f"{n} decay": epoch_means(m[n]["loss_curve"], epochs)
                   for n in ("good", *DECAYS)}, f"lr {RATES['good']:g}, constant and decaying: mean loss per epoch",
                  xlabel="epoch", ylabel="loss", args=args)
    if args.plot:
        args.plot.curves("learning_rate_loss.png", {n: m[n]["loss_curve"] for n in RATES},
                         "too small, good and too large learning rates", xlabel="iteration", ylabel="loss", logy=True)
        args.plot.curves("learning_rate_decay.png", {n: m[n]["lr_curve"] for n in DECAYS},
                         "learning-rate decay per epoch", ylabel="learning rate")
    return m


if __name__ == "__main__":
    main()
