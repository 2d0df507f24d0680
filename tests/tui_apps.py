"""Apps for the snapshot tests, built without running them (snap_compare runs them)."""
import os

from graphscope.tui import GraphscopeApp
from graphscope.userfile import load_graph_file

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")


def sample_app(name, colours="full", console=False):
    """The TUI on samples/NAME, titled with its name (no absolute paths), in `colours` (tui.palette), `console`."""
    path = os.path.join(SAMPLES, name)
    app = GraphscopeApp(load_graph_file(path), f"samples/{name}", path, colours=colours, console=console)
    app.cursor_blink = False
    return app


def named_layer_app(colours="full", console=False):
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
    app = GraphscopeApp(Graph(loss), "a tanh layer", colours=colours, console=console)
    app.cursor_blink = False
    return app


def tanh_layers_app(init):
    """The TUI on samples/tanh_layers.py built with `init` ('small', 'large' or 'xavier')."""
    import importlib.util

    from graphscope.engine.graph import Graph
    path = os.path.join(SAMPLES, "tanh_layers.py")
    spec = importlib.util.spec_from_file_location("tanh_layers_sample", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = GraphscopeApp(Graph(module.build(init=init)), f"samples/tanh_layers.py ({init})", path)
    app.cursor_blink = False
    return app


def training_app(epochs=3, batch_size=32, lr=0.5, checkpoint=None):
    """The TUI on samples/train_spiral.py, its training screen set to a short seeded run."""
    from graphscope.tui import TrainingOptions
    app = sample_app("train_spiral.py")
    app.training_options = TrainingOptions(lr=lr, epochs=epochs, batch_size=batch_size, checkpoint=checkpoint)
    return app


async def training_finished(pilot, timeout=60.0):
    """Wait (letting the UI run) until the training screen's run has ended."""
    import time
    screen = pilot.app.screen
    start = time.monotonic()
    while screen.running:
        assert time.monotonic() - start < timeout, "the training run did not end"
        await pilot.pause(0.05)
    await pilot.pause()


def wrong_matmul_app():
    """The TUI on a 4x4 product by a custom op whose VJP is wrong for its first input (g @ b instead of g @ b.T),
    its nodes named (auto names carry global ids, not stable)."""
    import numpy as np

    import graphscope as gs
    from graphscope.engine.graph import Graph

    @gs.custom_op(name="wrong_mm")
    def wrong_mm(a, b):
        """a @ b."""
        return a @ b

    @wrong_mm.vjp
    def wrong_mm_vjp(g, a, b, value):
        return g @ b, a.T @ g  # wrong: the first is g @ b.T

    rng = np.random.default_rng(0)
    a = gs.param(rng.normal(size=(4, 4)), name="a")
    b = gs.param(rng.normal(size=(4, 4)), name="b")
    h = wrong_mm(a, b)
    h.name = "h"
    t = gs.tanh(h)
    t.name = "t"
    loss = gs.sum(t)
    loss.name = "loss"
    app = GraphscopeApp(Graph(loss), "a wrong matmul")
    app.cursor_blink = False
    return app


async def settle(pilot):
    """Let the app handle what a key started (two rounds: a message may post another)."""
    await pilot.pause()
    await pilot.pause()


def inspector_lines(app):
    """The inspector's text as the screen draws it, one entry per screen line (its whole height, scrolled or not)."""
    body = app.screen.query_one("#inspector-body")
    return [body.render_line(y).text.rstrip() for y in range(body.size.height)]


def screen_lines(app):
    """The whole screen as drawn, one text line per terminal row (notifications and dialogs included)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]
