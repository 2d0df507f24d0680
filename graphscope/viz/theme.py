"""The look of a picture: fonts, colours per node status, Graphviz attributes."""
from dataclasses import dataclass

FONT = "Helvetica,Arial,sans-serif"
MONO = "DejaVu Sans Mono,Menlo,Consolas,monospace"
FONT_SIZE = 12
SMALL = 10
TITLE_SIZE = 16

INK = "#212529"
MUTED = "#868e96"
#: Gradients are teal (values blue): neither reads as "error" (red is kept for the non-finite mark), and
#: the looks stay apart for colour-blind readers (tests/test_viz_palette.py simulates deuteranopia).
GRAD_INK = "#0b7285"


@dataclass(frozen=True)
class Look:
    """Colours of one kind of node."""

    border: str
    head: str      # header row background
    fill: str      # body background
    ink: str       # text colour
    dashed: bool = False
    thick: bool = False


LOOKS = {
    # forward phase: not computed yet
    "pending": Look("#adb5bd", "#f1f3f5", "#ffffff", "#868e96", dashed=True),
    # value computed (forward done; in the backward phase: waiting for its gradient)
    "computed": Look("#1971c2", "#d0ebff", "#ffffff", INK),
    # backward done: the local rule ran at this node
    "backpropagated": Look("#0c8599", "#c5f6fa", "#ffffff", INK),
    # the node this step is about
    "current": Look("#f08c00", "#ffc078", "#fff4e6", INK, thick=True),
    # backward phase: needs no gradient (inputs, constants, what depends on them only): computed, and done
    # with, so a colour of its own, not the grey of "not computed yet"
    "inactive": Look("#74c0fc", "#e7f5ff", "#ffffff", INK),
}

#: The colour legend under a picture's title: (look, words), in the order a walk meets them.
LEGEND = (("pending", "not computed yet"), ("computed", "value computed"), ("current", "this step"),
          ("backpropagated", "gradient passed on"), ("inactive", "needs no gradient"))

#: The node that made the graph's first NaN or infinity (viz.origin): its border, its warning row, its legend words.
ORIGIN_BORDER = "#e03131"
ORIGIN_HEAD = "#ffe3e3"
ORIGIN_INK = "#c92a2a"
ORIGIN_LEGEND = "first non-finite made here"
#: The node whose VJP failed and stopped the backward pass: the same mark, these legend words.
BROKEN_LEGEND = "backward stopped here: its VJP failed"
#: A node whose VJP failed the per-node gradient check (export --check): the same mark, these legend words.
CHECK_LEGEND = "VJP check failed here"

EDGE_DONE = "#495057"
EDGE_PENDING = "#ced4da"
EDGE_GRAD = "#0c8599"
EDGE_CURRENT = "#f08c00"

#: A node outside a neighbourhood view (--around): where the rest of the graph attaches.
STUB_BORDER = "#ced4da"
STUB_FILL = "#f8f9fa"

CLUSTER_FILL = "#f8f9fa"
CLUSTER_BORDER = "#ced4da"
CLUSTER_INK = "#495057"


#: Network-simplex and crossing-minimisation limits: about half of dot's time on 2,000 nodes, and seconds instead of
#: minutes where edges cross many ranks (layout_cost).
CHEAP_LAYOUT = {"nslimit": "0.2", "nslimit1": "0.2", "mclimit": "0.3", "remincross": "false"}


def graph_attrs(large, rankdir="LR"):
    """Graph-level attributes; `large` graphs get cheaper layout settings."""
    attrs = {
        "rankdir": rankdir,
        "bgcolor": "white",
        "fontname": FONT,
        "fontsize": str(FONT_SIZE),
        "nodesep": "0.25",
        "ranksep": "0.45",
        "pad": "0.2",
        "labelloc": "t",
        "labeljust": "l",
        "newrank": "true",
    }
    if large:
        attrs.update(CHEAP_LAYOUT)
        attrs.update({"splines": "line", "ranksep": "0.35"})
    return attrs
