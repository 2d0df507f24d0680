"""Sigmoid vs tanh vs ReLU vs leaky ReLU on the same net and data: epochs to a target training accuracy.

    python samples/activations.py [--fast] [--plot PATH] [--no-terminal-plot]
    graphscope tui samples/activations.py
    graphscope train samples/activations.py --epochs 30

Each activation gets the same 2-hidden-layer net, the same spiral, the same
SGD settings and its usual init (He for the ReLUs, Xavier otherwise).
"""
import graphscope as gs
from _cli import parse_args, say, terminal_plot
from _lecture import epochs_to, fit, loss_of

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu"]
TARGET = 0.9


def data(fast=False):
    x, y = gs.data.spiral(n_per_class=60 if fast else 100, seed=0)
    x_val, y_val = gs.data.spiral(n_per_class=60 if fast else 100, seed=1)
    return x, y, x_val, y_val


def net(activation="relu", seed=0):
    return gs.nn.MLP([2, 50, 50, 3], activation=activation, rng=seed)


def settings():
    """What `graphscope train samples/activations.py` trains with (measure()'s run; options replace them)."""
    return {"optimizer": "sgd", "lr": 0.2, "batch_size": 20, "epochs": 100, "dtype": "float64"}


def build():
    x, y, _, _ = data()
    return loss_of(net(), x[:32], y[:32])


def measure(fast=True):
    """{activation: {"epochs_to_target": n or None, "train_acc_curve": [...]}} and the settings."""
    epochs = 40 if fast else 100
    out = {"target": TARGET, "epochs": epochs}
    for activation in ACTIVATIONS:
        s = settings()
        history, _ = fit(net(activation), data(fast), optimizer=s["optimizer"], lr=s["lr"], epochs=epochs,
                         batch_size=s["batch_size"])
        out[activation] = {"epochs_to_target": epochs_to(history.train_acc, TARGET),
                           "train_acc_curve": list(history.train_acc), "final_acc": history.train_acc[-1]}
    return out


def main(argv=None):
    args = parse_args(__file__, __doc__, argv, fast="60 points per class instead of 100, at most 40 epochs "
                      "instead of 100", figures=("activations_accuracy.png",), terminal=True)
    m = measure(fast=args.fast)
    say(f"epochs to {TARGET:.0%} training accuracy on the spiral (same net, data and SGD; at most {m['epochs']}):")
    for activation in ACTIVATIONS:
        n = m[activation]["epochs_to_target"]
        print(f"  {activation:10s} {n if n else 'not reached':>12}   final accuracy {m[activation]['final_acc']:.1%}")
    relu = m["relu"]["epochs_to_target"]
    slow = [m[a]["epochs_to_target"] or m["epochs"] + 1 for a in ("sigmoid", "tanh")]
    if relu:
        say(f"ReLU is {min(slow) / relu:.1f}x faster than the faster of sigmoid/tanh (the lecture says about 6x; "
            f"'not reached' counts as {m['epochs'] + 1})")
    curves = {a: m[a]["train_acc_curve"] for a in ACTIVATIONS}
    terminal_plot(curves, "activations: training accuracy per epoch", ylabel="accuracy", args=args)
    if args.plot:
        args.plot.curves("activations_accuracy.png", curves, "training accuracy per epoch by activation",
                         ylabel="accuracy")
    return m


if __name__ == "__main__":
    main()
