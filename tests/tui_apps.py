"""Apps for the snapshot tests, built without running them (snap_compare runs them)."""
import os

from graphscope.tui import GraphscopeApp
from graphscope.userfile import load_graph_file

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")


def sample_app(name):
    """The TUI on samples/NAME, titled with the sample's name (no absolute paths on screen)."""
    path = os.path.join(SAMPLES, name)
    app = GraphscopeApp(load_graph_file(path), f"samples/{name}", path)
    app.cursor_blink = False
    return app


def named_layer_app():
    """The TUI on a small tanh layer whose nodes are all named (auto names carry global ids, not stable)."""
    import numpy as np

    import graphscope as gs
    from graphscope.engine.graph import Graph
    rng = np.random.default_rng(0)
    X = gs.tensor(rng.normal(size=(2, 3)), name="X")
    W = gs.param(rng.normal(scale=0.5, size=(3, 2)), name="W")
    with gs.scope("layer"):
        z = X @ W
        z.name = "z"
        h = gs.tanh(z)
        h.name = "h"
    loss = gs.sum(h)
    loss.name = "loss"
    app = GraphscopeApp(Graph(loss), "a tanh layer")
    app.cursor_blink = False
    return app
