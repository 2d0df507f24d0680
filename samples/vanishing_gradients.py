"""Weight initialization in a deep net: 10 layers of 500 tanh units, on unit-Gaussian inputs.

The lecture's experiment: with weights from N(0, 0.01^2) every layer shrinks
its input (std x sqrt(500) x 0.01 = 0.22 each time), so the activations and
the gradients collapse towards 0; with N(0, 1) the pre-activations have std
about 22 and almost every tanh unit saturates at -1 or +1 (gradient 0);
Xavier (std 1 / sqrt(fan_in)) keeps the activations' spread from layer to
layer. ReLU with Xavier halves the variance at every layer; ReLU with He
(std sqrt(2 / fan_in)) keeps it.

    python samples/vanishing_gradients.py [--fast] [--plot DIR] [--no-terminal-plot]   # per-layer stds
    graphscope export samples/vanishing_gradients.py -o deep.svg --depth 0
"""
import numpy as np

import graphscope as gs
from _cli import parse_args, terminal_plot

LAYERS, WIDTH, BATCH = 10, 500, 1000
#: name -> (activation, std of the weights given fan_in)
SETUPS = {
    "tanh, N(0, 0.01^2)": ("tanh", lambda fan_in: 0.01),
    "tanh, N(0, 1)": ("tanh", lambda fan_in: 1.0),
    "tanh, Xavier": ("tanh", lambda fan_in: 1.0 / np.sqrt(fan_in)),
    "relu, He": ("relu", lambda fan_in: np.sqrt(2.0 / fan_in)),
}


def build(setup="tanh, Xavier", layers=LAYERS, width=WIDTH, batch=16, seed=0):
    """The deep net on a batch of unit-Gaussian inputs, one gs.scope per layer; loss = mean of the last
    layer's squared activations (something to backpropagate from). The default batch is small, for
    exploring (`graphscope tui`, `check`); the measurements use 1000 examples (200 with --fast)."""
    act, std = SETUPS[setup]
    rng = np.random.default_rng(seed)
    h = gs.tensor(rng.standard_normal((batch, width)), name="x")
    for i in range(1, layers + 1):
        with gs.scope(f"layer{i}"):
            W = gs.param(rng.standard_normal((width, width)) * std(width), name=f"layer{i}.W")
            h = getattr(gs, act)(h @ W)
    loss = gs.mean(h * h)
    loss.name = "loss"
    return loss


def measure(setup, fast=False):
    """The net's per-layer statistics after one forward and backward pass (a gs.LayerStatsList)."""
    loss = build(setup, batch=200 if fast else BATCH)
    graph = loss.graph()
    graph.backward()
    return gs.layer_stats(graph)


def verdicts(stats):
    """{setup: what the lecture says of it, measured}: the numbers each claim rests on."""
    out = {}
    for setup, s in stats.items():
        stds = [layer.activation.std for layer in s]
        saturated = [layer.fraction or 0.0 for layer in s]
        out[setup] = {"first_std": stds[0], "last_std": stds[-1], "last_over_first": stds[-1] / stds[0],
                      "max_over_min": max(stds) / min(stds), "saturated_last": saturated[-1],
                      "saturated_mean": float(np.mean(saturated)),
                      "grad_first_std": s[0].gradient.std, "grad_last_std": s[-1].gradient.std}
    return out


def claims(v):
    """The lecture's claims about the setups, each (text, holds?)."""
    small, big, xavier, he = (v[k] for k in SETUPS)
    return [
        (f"N(0, 0.01^2): the last layer's std is < 1e-3 of the first's "
         f"(measured {small['last_over_first']:.2e})", small["last_over_first"] < 1e-3),
        (f"N(0, 1): most tanh units saturate (|a| > 0.99: {100 * big['saturated_mean']:.0f}% on average "
         f"over the layers)", big["saturated_mean"] > 0.5),
        (f"Xavier: the activations' std stays within 10x across layers "
         f"(max/min {xavier['max_over_min']:.2f})", xavier["max_over_min"] < 10),
        (f"ReLU with He: the std stays within 10x across layers (max/min {he['max_over_min']:.2f})",
         he["max_over_min"] < 10),
    ]


def main(argv=None):
    args = parse_args(__file__, __doc__, argv, fast="a batch of 200 instead of 1000",
                      figures=("histograms.png", "stds.png"), terminal=True)
    stats = {setup: measure(setup, args.fast) for setup in SETUPS}
    print(f"{LAYERS} layers of {WIDTH} units; activation std per layer (and the gradient's std at it):\n")
    header = "layer  " + "".join(f"{k:>22}" for k in SETUPS)
    print(header)
    for i in range(LAYERS):
        print(f"{i + 1:>5}  " + "".join(f"{s[i].activation.std:>12.3g} ({s[i].gradient.std:7.1e})"
                                        for s in stats.values()))
    terminal_plot({k: [float(np.log10(s.activation.std)) for s in v] for k, v in stats.items()},
                  "log10 of the activation std, per layer", xlabel="layer", args=args)
    ok = True
    for text, holds in claims(verdicts(stats)):
        ok &= holds
        print(f"  {'confirmed' if holds else 'REFUTED':>9}: {text}")
    if args.plot:
        from graphscope.viz.figures import save_histograms
        rows = {k: [(s.scope, s.activation.histogram) for s in v] for k, v in stats.items()}
        args.plot.write("histograms.png", lambda path: save_histograms(rows, path,
                                                                      "activations per layer (rows: init)"))
        args.plot.curves("stds.png", {k: [s.activation.std for s in v] for k, v in stats.items()},
                         "activation std per layer", xlabel="layer", ylabel="std", logy=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
