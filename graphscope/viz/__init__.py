"""Pictures of a graph at any step: DOT, SVG, PNG, PDF, frame sequences and the HTML step-player.

    gs.viz.to_svg(loss)                      # the graph as it is
    gs.viz.to_svg(loss, step=12)             # step 12 of its forward-then-backward walk
    gs.viz.to_svg(stepper)                   # a Stepper at its cursor
    gs.viz.export(loss, "steps.html")        # the format follows the extension
    gs.viz.write_frames(loss, "frames/")     # one SVG per step
    gs.viz.player(loss)                      # the step-player inside a Jupyter notebook

DOT text never needs Graphviz; SVG, PNG and PDF need its `dot` program
(``GraphvizMissing`` says how to install it).
"""
from . import notebook  # noqa: F401  (installed by graphscope/__init__.py)
from .notebook import player
from .export import FORMATS, export, to_dot, to_html, to_pdf, to_png, to_svg, write_frames
from .picture import FINAL, Picture
from .render import GraphvizMissing, RenderError, have_dot
from .view import FOLD_MIN, View, ViewError

__all__ = ["to_dot", "to_svg", "to_png", "to_pdf", "to_html", "export", "write_frames", "player", "Picture", "View",
           "GraphvizMissing", "RenderError", "ViewError", "have_dot", "FORMATS", "FINAL", "FOLD_MIN"]
