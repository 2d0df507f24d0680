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
