"""The lecture's weight-initialization experiment: 10 tanh layers of 500 units, three ways to draw the weights.

    graphscope tui samples/tanh_layers.py        (then l: the layer screen)

build(init=...) picks the weights' scale; the layer screen (l) shows, per layer,
what the lecture's histograms show:

- "small": W ~ N(0, 0.01^2). Each layer shrinks its input; the activations
  collapse towards 0 layer after layer, and so do the gradients (vanishing).
- "large": W ~ N(0, 1). Every unit is pushed to -1 or +1: the tanh layers
  saturate and their local gradients are 0.
- "xavier" (the default): W ~ N(0, 1/fan_in). The activations keep a healthy
  spread through all ten layers.
"""
import numpy as np

import graphscope as gs

LAYERS, UNITS, BATCH = 10, 500, 50
#: The standard deviation of the weights of each kind of initialization (fan_in = UNITS).
INIT_SCALES = {"small": 0.01, "large": 1.0, "xavier": 1.0 / np.sqrt(UNITS)}


def build(init="xavier"):
    """The 10-layer tanh net on a batch of unit Gaussian inputs; the loss is the mean of the last activations."""
    if init not in INIT_SCALES:
        raise ValueError(f"init must be one of {', '.join(INIT_SCALES)}, got {init!r}")
    rng = np.random.default_rng(0)
    h = gs.tensor(rng.normal(size=(BATCH, UNITS)), name="x")
    for k in range(1, LAYERS + 1):
        with gs.scope(f"layer{k}"):
            W = gs.param(rng.normal(scale=INIT_SCALES[init], size=(UNITS, UNITS)), name=f"layer{k}.W")
            h = gs.tanh(h @ W)
            h.name = f"h{k}"
    loss = gs.mean(h)
    loss.name = "loss"
    return loss


if __name__ == "__main__":
    from _cli import explore
    raise SystemExit(explore(__file__, __doc__, build))
