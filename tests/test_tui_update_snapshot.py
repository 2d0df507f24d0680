"""A snapshot of the terminal UI at an update step (an optimizer's step of one parameter). Update with
``pytest tests/test_tui_update_snapshot.py --snapshot-update`` after a deliberate change, and look at it."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

pytest.importorskip("pytest_textual_snapshot")
from graphscope.viz import have_dot  # noqa: E402

if not have_dot():  # the graph view's shape comes from Graphviz; the layered fallback looks different
    pytest.skip("Graphviz's dot is not installed", allow_module_level=True)


def named_layer_with_momentum():
    """A tanh layer whose nodes are all named (automatic names carry global ids, not stable), with Momentum."""
    import numpy as np

    import graphscope as gs
    from graphscope.engine.graph import Graph
    from graphscope.tui import GraphscopeApp
    rng = np.random.default_rng(0)
    X = gs.tensor(rng.normal(size=(2, 3)), name="X")
    W = gs.param(rng.normal(scale=0.5, size=(3, 2)), name="W")
    b = gs.param(np.array([0.5, -0.5]), name="b")
    with gs.scope("layer"):
        z = X @ W
        z.name = "z"
        a = z + b
        a.name = "a"
        h = gs.tanh(a)
        h.name = "h"
    loss = gs.sum(h)
    loss.name = "loss"
    app = GraphscopeApp(Graph(loss), "a tanh layer", optimizer=gs.optim.Momentum([W, b], lr=1e-3, momentum=0.9))
    app.cursor_blink = False
    return app


def test_main_screen_at_an_update_step(snap_compare, monkeypatch):
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert snap_compare(named_layer_with_momentum(), press=["u"], terminal_size=(100, 34))
