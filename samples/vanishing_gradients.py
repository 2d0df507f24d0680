"""Weight initialization in a deep net: 10 layers of 500 tanh units, on unit-Gaussian inputs.

The lecture's experiment, measured: one forward pass, then one backward pass
from loss = mean of the last layer's squared activations. Going back through
a layer multiplies the gradient's std by about sqrt(500 x mean(local^2)) x
std(W), where local is the activation's own derivative (tanh' = 1 - tanh^2).

- N(0, 0.01^2): every layer shrinks its input (std x sqrt(500) x 0.01 = 0.22
  each time), so the activations collapse towards 0; the units stay in tanh's
  linear part (local gradient about 1), so going back the gradient shrinks by
  the same 0.22 per layer: it vanishes toward the input (layer 1 gets ~1e-6
  of layer 10's).
- N(0, 1): the pre-activations have std about 22: about 90% of the tanh
  units saturate at -1 or +1, where the local gradient 1 - tanh^2 is below
  0.02 (for most, below 1e-12). That is the lecture's "gradients are zero",
  and it holds unit by unit; but the gradient reaching a layer sums 500
  contributions through weights of std 1, and the few units that are not
  saturated pass enough (mean(local^2) = 0.024, so sqrt(500 x 0.024) x 1 =
  3.4): the gradient grows about 3.5x per layer toward the input. It
  explodes instead of vanishing, and the weights' gradients relative to the
  weights span about 1e5 from layer 10 (~1e-5) to layer 1 (~1): no one
  learning rate suits every layer.
- Xavier (std 1 / sqrt(fan_in)) keeps the activations' spread and the
  gradient's from layer to layer (both within a factor of 3).
- ReLU with Xavier halves the variance at every layer; ReLU with He
  (std sqrt(2 / fan_in)) keeps it.

The gradients' sizes also depend on the loss (its gradient at layer 10 is
2 a / N, so it scales with the last layer's activations): compare how each
changes from layer to layer, not the setups' numbers at one layer.

    python samples/vanishing_gradients.py [--fast] [--plot DIR]   # per-layer stds, histograms

Pictures of one net (build: Xavier; build_small: N(0, 0.01^2); build_large:
N(0, 1)). The 10 layers fold into one box whose 'grad std/block' row gives
the std of the gradient at each layer's output, layer 1 first, so the
gradient vanishing (build_small) or growing (build_large) toward the input
reads off one slide:

    graphscope export samples/vanishing_gradients.py:build_small -o small.svg
    graphscope export samples/vanishing_gradients.py:build_large -o large.svg
    graphscope export samples/vanishing_gradients.py:build_small -o small.svg --depth 0 --no-fold
        # every layer its own box, in rows (for a full-screen slide: --fit 1920x1080)
"""
import numpy as np

import graphscope as gs
from _cli import parse_args, print_findings, say, terminal_plot

LAYERS, WIDTH, BATCH = 10, 500, 1000
FIGURES = ("histograms.png", "stds.png", "gradient_stds.png")
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


def build_small(**kwargs):
    """The net with N(0, 0.01^2) weights: the activations collapse and the gradient vanishes toward the input."""
    return build("tanh, N(0, 0.01^2)", **kwargs)


def build_large(**kwargs):
    """The net with N(0, 1) weights: the units saturate, yet the gradient grows toward the input."""
    return build("tanh, N(0, 1)", **kwargs)


def measure(setup, fast=False):
    """The net's per-layer statistics after one forward and backward pass (a gs.LayerStatsList)."""
    loss = build(setup, batch=200 if fast else BATCH)
    graph = loss.graph()
    graph.backward()
    return gs.layer_stats(graph)


def verdicts(stats):
    """{setup: the numbers each claim rests on}: the activations' and the gradients' std at the first and last
    layer and their spread, the share of saturated tanh units, the weights' gradients relative to the weights."""
    out = {}
    for setup, s in stats.items():
        stds = [layer.activation.std for layer in s]
        grads = [layer.gradient.std for layer in s]
        saturated = [layer.fraction or 0.0 for layer in s]
        relative = [p.grad_norm / p.norm for layer in s for p in layer.params]
        out[setup] = {"first_std": stds[0], "last_std": stds[-1], "last_over_first": stds[-1] / stds[0],
                      "max_over_min": max(stds) / min(stds), "saturated_last": saturated[-1],
                      "saturated_mean": float(np.mean(saturated)),
                      "grad_first_std": grads[0], "grad_last_std": grads[-1],
                      "grad_first_over_last": grads[0] / grads[-1], "grad_max_over_min": max(grads) / min(grads),
                      "weight_grad_first": relative[0], "weight_grad_last": relative[-1],
                      "weight_grad_max_over_min": max(relative) / min(relative)}
    return out


def activation_claims(v):
    """What the lecture says of the activations, one (text, holds?) per setup in SETUPS' order."""
    small, big, xavier, he = (v[k] for k in SETUPS)
    return [
        (f"N(0, 0.01^2): the last layer's std is < 1e-3 of the first's "
         f"(measured {small['last_over_first']:.2e})", small["last_over_first"] < 1e-3),
        (f"N(0, 1): most tanh units saturate (|a| > 0.99, so tanh' = 1 - a^2 < 0.02: "
         f"{100 * big['saturated_mean']:.0f}% on average over the layers)", big["saturated_mean"] > 0.5),
        (f"Xavier: the activations' std stays within 10x across layers "
         f"(max/min {xavier['max_over_min']:.2f})", xavier["max_over_min"] < 10),
        (f"ReLU with He: the std stays within 10x across layers (max/min {he['max_over_min']:.2f})",
         he["max_over_min"] < 10),
    ]


def gradient_claims(v):
    """What the backward pass shows, each (text, holds?): vanishing with N(0, 0.01^2), exploding (not zero)
    with N(0, 1), steady with Xavier."""
    small, big, xavier = (v[k] for k in list(SETUPS)[:3])
    return [
        (f"N(0, 0.01^2): the gradient vanishes toward the input (layer 1's std is "
         f"{small['grad_first_over_last']:.1e} of layer 10's)", small["grad_first_over_last"] < 1e-3),
        (f"N(0, 1): the saturated units' local gradients are ~0, yet the gradient grows toward the input "
         f"(layer 1's std is {big['grad_first_over_last']:.1e}x layer 10's): it explodes, it does not vanish",
         big["grad_first_over_last"] > 10),
        (f"N(0, 1): the weights' gradients relative to the weights go from {big['weight_grad_last']:.1e} "
         f"(layer 10) to {big['weight_grad_first']:.1e} (layer 1): no one learning rate suits every layer",
         big["weight_grad_max_over_min"] > 1e3),
        (f"Xavier: the gradient's std stays within 10x across layers (max/min {xavier['grad_max_over_min']:.2f})",
         xavier["grad_max_over_min"] < 10),
    ]


def claims(v):
    """Every claim the sample checks, each (text, holds?)."""
    return activation_claims(v) + gradient_claims(v)


def per_layer_table(stats, value):
    """One row per layer, one column per setup: `value(layer stats)` as text (fits 80 columns)."""
    groups = [setup.split(", ", 1) for setup in SETUPS]
    lines = ["layer" + "".join(f"  {act:>14}" for act, _ in groups),
             "     " + "".join(f"  {init:>14}" for _, init in groups)]
    for i in range(LAYERS):
        lines.append(f"{i + 1:>5}" + "".join(f"  {value(s[i]):>14}" for s in stats.values()))
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(__file__, __doc__, argv, fast="a batch of 200 instead of 1000",
                      figures=FIGURES, terminal=True)
    stats = {setup: measure(setup, args.fast) for setup in SETUPS}
    say(f"{LAYERS} layers of {WIDTH} units. Forward: the activations' std per layer (and the share of saturated "
        f"tanh units, |a| > 0.99):\n")
    print(per_layer_table(stats, lambda s: f"{s.activation.std:.3g}" + (
        f" ({100 * s.fraction:.0f}%)" if s.fraction_kind == "saturated" else "")))
    say("\nBackward (from layer 10 to layer 1): the std of the gradient reaching each layer's output:\n")
    print(per_layer_table(stats, lambda s: f"{s.gradient.std:.2e}"))
    print()
    terminal_plot({k: [s.activation.std for s in v] for k, v in stats.items()},
                  "activation std per layer (log scale)", xlabel="layer", logy=True, args=args)
    terminal_plot({k: [s.gradient.std for s in v] for k, v in stats.items()},
                  "gradient std per layer (log scale; backward runs from 10 to 1)", xlabel="layer", logy=True,
                  args=args)
    ok = print_findings(claims(verdicts(stats)))
    if args.plot:
        from graphscope.viz.figures import save_histograms
        rows = {k: [(s.scope, s.activation) for s in v] for k, v in stats.items()}
        args.plot.write("histograms.png", lambda path, dpi: save_histograms(
            rows, path, "activations per layer (rows: init; one x range per row)", dpi=dpi))
        args.plot.curves("stds.png", {k: [s.activation.std for s in v] for k, v in stats.items()},
                         "activation std per layer", xlabel="layer", ylabel="std", logy=True)
        args.plot.curves("gradient_stds.png", {k: [s.gradient.std for s in v] for k, v in stats.items()},
                         "std of the gradient at each layer's output", xlabel="layer", ylabel="std", logy=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
