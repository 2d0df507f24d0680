"""Zero (constant) initialization: every hidden unit computes the same thing and gets the same gradient, forever.

    python samples/weight_init_zero.py [--fast] [--plot PATH] [--no-terminal-plot]
    graphscope tui samples/weight_init_zero.py
    graphscope train samples/weight_init_zero.py --epochs 20

All weights start at 0 (biases at 0.1, so the tanh units are not all exactly zero and the weights
do move): after training steps the hidden units are still copies of one another, so the net is no
better than one hidden unit. The same net with random (Xavier) weights breaks the symmetry.
"""
import numpy as np

import graphscope as gs
from _cli import parse_args, say, terminal_plot
from _lecture import fit, loss_of

HIDDEN = 20


def data(fast=False):
    x, y = gs.data.spiral(n_per_class=50 if fast else 100, seed=0)
    x_val, y_val = gs.data.spiral(n_per_class=50 if fast else 100, seed=1)
    return x, y, x_val, y_val


def net(init="zeros", seed=0):
    """2 -> HIDDEN tanh -> 3, every weight from `init`, biases 0.1."""
    return gs.nn.MLP([2, HIDDEN, 3], activation="tanh", init=init, bias=0.1, rng=seed)


def settings():
    """What `graphscope train samples/weight_init_zero.py` trains with (measure()'s run; options replace them)."""
    return {"optimizer": "sgd", "lr": 0.5, "batch_size": 30, "epochs": 30, "dtype": "float64"}


def build():
    x, y, _, _ = data()
    return loss_of(net(), x[:32], y[:32])


def unit_spread(model):
    """How far apart the hidden units are: the largest difference between two units' incoming or outgoing weights."""
    fc1, fc2 = model[0], model[2]
    w_in, w_out = np.asarray(fc1.W.value), np.asarray(fc2.W.value)
    return max(float(np.ptp(w_in, axis=1).max()), float(np.ptp(w_out, axis=0).max()), float(np.ptp(fc1.b.value)))


def run(init, fast):
    model = net(init)
    epochs = 10 if fast else 30
    s = settings()
    history, trainer = fit(model, data(fast), optimizer=s["optimizer"], lr=s["lr"], epochs=epochs,
                           batch_size=s["batch_size"])
    x, y, _, _ = data(fast)
    accuracy, _ = trainer.evaluate(x, y)
    return {"spread": unit_spread(model), "moved": float(np.abs(model[0].W.value).max()), "train_acc": accuracy,
            "steps": len(history.loss), "loss_curve": history.epoch_loss()}


def measure(fast=True):
    """Zero vs Xavier init after the same training steps: unit spread, how far W1 moved, training accuracy."""
    return {"zeros": run("zeros", fast), "xavier": run("xavier", fast)}


def main(argv=None):
    args = parse_args(__file__, __doc__, argv, fast="50 points per class instead of 100, 10 epochs instead of 30",
                      figures=("weight_init_zero_loss.png",), terminal=True)
    m = measure(fast=args.fast)
    z, r = m["zeros"], m["xavier"]
    print(f"after {z['steps']} SGD steps on the spiral ({HIDDEN} tanh hidden units):")
    for name, row in m.items():
        say(f"  {name:6s} init: largest difference between hidden units {row['spread']:.3g}, "
            f"largest |W1| {row['moved']:.3g}, training accuracy {row['train_acc']:.1%}")
    same = z["spread"] < 1e-9 and z["moved"] > 0
    print(f"claim: with zero init all hidden units stay identical: {'confirmed' if same else 'refuted'}")
    curves = {f"{k} init": v["loss_curve"] for k, v in m.items()}
    terminal_plot(curves, "weight_init_zero: training loss per epoch", ylabel="loss", args=args)
    if args.plot:
        args.plot.curves("weight_init_zero_loss.png", curves, "zero vs Xavier init: training loss", ylabel="loss")
    return m


if __name__ == "__main__":
    main()
