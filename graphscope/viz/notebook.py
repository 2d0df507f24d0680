"""Inline pictures in Jupyter: a Graph shows itself as SVG, a Stepper as its current step with the step's numbers,
and ``gs.viz.player(f)`` as the whole step-player.

``install()`` (called by ``import graphscope``) puts ``_repr_svg_`` on Graph
and ``_repr_html_`` on Stepper; the engine and the stepper never import viz.
"""
import itertools
import os
from html import escape

from ..engine.graph import Graph
from ..stepper import Stepper, explain
from .picture import Picture
from .player import inline_svg
from .render import GraphvizMissing, RenderError, have_dot, missing_message

#: Graphs larger than this are not drawn inline (Jupyter shows their text instead).
MAX_INLINE_NODES = 2000


def graph_svg(graph):
    """The graph as it is (values, and gradients once backward ran) as SVG; without Graphviz, a line saying how to
    install it (no_dot_svg); None when huge or when `dot` fails on it (Jupyter then shows the graph's text, not a
    traceback from its formatter)."""
    if len(graph.nodes) > MAX_INLINE_NODES:
        return None
    if not have_dot():
        return no_dot_svg()
    try:
        pic = Picture(graph)
        return inline_svg(pic.svg(pic.state()))
    except RenderError:
        return None


def no_dot_svg():
    """A one-line SVG that says the graph is not drawn because Graphviz's dot is missing, and how to install it."""
    lines = missing_message("Inline pictures").split("\n")
    width = 7 * max(len(line) for line in lines) + 16
    texts = "".join(f'<text x="8" y="{18 + 18 * k}">{escape(line)}</text>' for k, line in enumerate(lines))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{18 * len(lines) + 10}" '
            f'font-family="sans-serif" font-size="12">{texts}</svg>')


def stepper_html(stepper):
    """The stepper's current step: the picture beside a table of the step's numbers."""
    details = explain.details(stepper.event, stepper.graph.output)
    if len(stepper.graph.nodes) > MAX_INLINE_NODES:
        picture = f"<p><i>{len(stepper.graph.nodes)} nodes: too many to draw inline; use gs.viz.export</i></p>"
    else:
        try:
            pic = Picture(stepper)
            picture = inline_svg(pic.svg(pic.state()))
        except (GraphvizMissing, RenderError) as exc:
            picture = f"<pre>{escape(str(exc))}</pre>"
    return (f'<div class="graphscope-step" style="display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap">'
            f'<div style="flex:1 1 480px;min-width:0;overflow:auto">{picture}</div>'
            f'<div style="flex:0 0 320px;font-size:13px">{_details_table(details)}</div></div>')


def _details_table(d):
    rows = [("step", f"{d['step']} ({d['phase']})"), ("node", f"{d['node']} ({d['op']})"), ("shape", d["shape"])]
    if d["phase"] == "forward":
        rows.append(("value", d["value"]))
    elif d["phase"] == "update":
        rows.append((f"gradient {d['grad_name']}", d["grad"]))
        rows += [(f"{d['optimizer']} {s['name']}", f"{s['before']} \u2192 {s['after']}") for s in d["state"]]
        rows += [("step", d["step_taken"]), ("value", f"{d['value_before']} \u2192 {d['value_after']}"),
                 ("update/weight", f"{d['ratio']} ({d['ratio_verdict']})")]
    else:
        rows.append((f"upstream {d['upstream_name']}", d["upstream"]))
        for e in d["edges"]:
            if "note" in e:
                rows.append((f"to {e['input']}", e["note"]))
                continue
            rows.append((f"local {e['local_name']}", f"{e['local']}  [{e['jacobian']}]"))
            rows.append((f"contribution to {e['input']}", e.get("product") or e["contribution"]))
            rows.append((e["accumulated_name"], e["accumulated"] + ("" if e["complete"] else " (partial)")))
    body = "".join(f'<tr><th style="text-align:left;padding-right:8px">{escape(k)}</th>'
                   f'<td style="text-align:left;font-family:monospace">{escape(str(v))}</td></tr>' for k, v in rows)
    return f"<p><b>{escape(d['title'])}</b></p><table>{body}</table>"


#: Pixels of height an inline player takes in a notebook unless told otherwise.
PLAYER_HEIGHT = 640
_player_numbers = itertools.count(1)


def player(obj, step=None, height=PLAYER_HEIGHT, **options):
    """The step-player of `obj` (a tensor, a Graph, a Stepper) to show inside a notebook, opening at `step`.

    The last value of a cell, or ``IPython.display.display(gs.viz.player(f))``, shows it inline. It is the page
    ``to_html`` writes (the same `options`: node, phase, depth, collapse, fold, title, around, fit) inside an
    ``<iframe srcdoc>``: its styles, ids and keys stay inside it, so the notebook is not restyled and any number
    of players live side by side; click one to step it with the arrow keys. ``.html`` is the embeddable
    element, ``.page`` the whole page, ``.save(path)`` writes the page.
    """
    from .export import to_html
    return InlinePlayer(to_html(obj, step=step, **options), height)


class InlinePlayer:
    """A step-player for a notebook (see ``player``): ``_repr_html_`` is the iframe holding the page."""

    def __init__(self, page, height=PLAYER_HEIGHT):
        if not isinstance(height, int) or isinstance(height, bool) or height < 100:
            from ..engine.errors import ArgumentError
            raise ArgumentError(f"gs.viz.player: height is in pixels, an integer of at least 100, got {height!r}")
        self.page = page
        self.height = height
        self.id = f"graphscope-player-{os.getpid()}-{next(_player_numbers)}"

    @property
    def html(self):
        """The player as one element to put in any HTML page: an iframe whose document is the page."""
        return (f'<iframe id="{self.id}" class="graphscope-player" title="graphscope step-player" '
                f'srcdoc="{escape(self.page, quote=True)}" style="width:100%;height:{self.height}px;'
                f'border:1px solid #dee2e6;border-radius:4px" loading="lazy"></iframe>')

    def _repr_html_(self):
        return self.html

    def save(self, path):
        """Write the whole page to `path` (atomically); returns the path."""
        from .export import write_atomic
        write_atomic(path, self.page, "HTML step-player")
        return path

    def __repr__(self):
        return f"<graphscope step-player, {len(self.page) // 1024} KB: shown inline in Jupyter; .save(path) writes it>"


def _graph_repr_svg(self):
    return graph_svg(self)


def _stepper_repr_html(self):
    return stepper_html(self)


def install():
    """Give Graph and Stepper their notebook pictures."""
    Graph._repr_svg_ = _graph_repr_svg
    Stepper._repr_html_ = _stepper_repr_html
