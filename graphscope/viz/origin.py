"""The mark on the node that made a graph's first NaN or infinity (the engine's ``find_nonfinite`` says which),
or on the node whose VJP failed and stopped a recorded backward pass (``BrokenMark``).

The engine is asked once per picture of a graph as it is, or once per
recording of a walk. A stepped picture shows the mark from the step where
the non-finite value exists on: the forward step that computes it, or the
backward step whose VJP makes the first non-finite gradient (for a
non-finite upstream gradient: the first step where the node's gradient is
non-finite). Nodes that merely pass the value on are not marked.
"""
import textwrap

import numpy as np

from ..engine.nonfinite import find_nonfinite, is_finite
from ..stepper.events import BACKWARD, FORWARD
from . import theme
from .view import NODE

#: The warning row in the origin's label, by (phase, reason) of the engine's NonFinite record.
WARNINGS = {
    (FORWARD, "op"): "\u26a0 first non-finite value made here",
    (FORWARD, "leaf"): "\u26a0 first non-finite value: given to this leaf",
    (BACKWARD, "op"): "\u26a0 first non-finite gradient made here",
    (BACKWARD, "upstream"): "\u26a0 first non-finite gradient: arrives here",
}


class NodeMark:
    """A mark on one node of a picture: `text` is the warning row in its card, `legend` the legend's words."""

    node = None
    text = legend = ""

    def marks(self, item):
        """True when the drawn item (a node, or a box holding it) is the marked node."""
        return item.node is self.node if item.kind == NODE else self.node in item.node_set


class OriginMark(NodeMark):
    """Where the first non-finite value or gradient of a graph was made, and at which steps to show it."""

    legend = "\u26a0 " + theme.ORIGIN_LEGEND

    def __init__(self, origin):
        self.origin = origin
        self.node = origin.node
        self.text = WARNINGS[(origin.phase, origin.reason)]
        if origin.phase == BACKWARD and origin.reason == "op":
            self.text += f" (for {self.node.inputs[origin.input_index].name})"

    def shown(self, state):
        """True when the non-finite value or gradient exists at `state`."""
        if self.origin.phase == FORWARD:
            return state.has_value(self.node)
        if self.origin.reason == "upstream":
            return not is_finite(state.grad(self.node))
        return state.backward_reached(self.node)

    def __repr__(self):
        return f"<OriginMark {self.node.name} ({self.origin.phase})>"


#: The longest line of a failed VJP's reason in its node's card.
ALERT_CHARS = 36


class BrokenMark(NodeMark):
    """The node whose VJP failed (it raised, or returned a gradient of the wrong shape) in a recorded walk: marked
    in the error colour from its error step on, with what went wrong in the engine's words."""

    legend = "\u26a0 " + theme.BROKEN_LEGEND

    def __init__(self, recording):
        self.node = recording.broken
        summary = recording.events[recording.error_step].error.summary
        prefix = f"{self.node.op}: "
        reason = summary[len(prefix):] if summary.startswith(prefix) else summary
        # a few short lines (a card is as wide as its widest line)
        self.text = "\n".join(["\u26a0 backward stopped here:"] + textwrap.wrap(reason, ALERT_CHARS))

    def shown(self, state):
        """True from the error step on."""
        return state.stopped_at is not None


class CheckMark(NodeMark):
    """A node whose VJP failed the per-node gradient check (a NodeCheck of graphscope.engine.gradcheck): marked in
    the error colour from its backward step on, with each failing input's worst figure, as `graphscope check`
    words it (``graphscope export --check``)."""

    legend = "\u26a0 " + theme.CHECK_LEGEND

    def __init__(self, check):
        self.node = check.node
        lines = ["\u26a0 VJP check failed here:"]
        for inp in check.inputs:
            if not inp.ok:  # the node's own VJP is wrong, not its input: say whose gradient it got wrong
                whose = inp.name if inp.slot is None else f"{inp.name} (input\u00a0{inp.slot})"  # kept on one line
                lines += textwrap.wrap(f"its gradient for {whose}:", ALERT_CHARS)
                lines += textwrap.wrap(inp.result_text(), ALERT_CHARS)
        self.text = "\n".join(lines)

    def shown(self, state):
        """True once the backward pass has reached the node (its VJP has run)."""
        return state.backward_reached(self.node)

    def __repr__(self):
        return f"<BrokenMark {self.node.name}>"


def mark_of(state):
    """The mark a picture of `state` carries: the failed VJP's node of a walk whose backward pass stopped, else
    the origin of the first non-finite value (None when there is neither)."""
    recording = getattr(state, "recording", None)
    if recording is None:
        return origin_mark(state.graph)
    if recording.broken is not None:
        return BrokenMark(recording)
    with recording.walked_gradients():  # the walk's gradients, not those the graph holds
        return origin_mark(state.graph)


def origin_mark(graph):
    """The OriginMark of `graph`, or None when all is finite."""
    with np.errstate(all="ignore"):  # re-running VJPs on non-finite values: the mark says it, not numpy
        origin = find_nonfinite(graph.nodes)
    return None if origin is None else OriginMark(origin)
