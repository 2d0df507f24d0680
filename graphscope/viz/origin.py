"""The mark on the node that made a graph's first NaN or infinity (the engine's ``find_nonfinite`` says which).

The engine is asked once per picture of a graph as it is, or once per
recording of a walk. A stepped picture shows the mark from the step where
the non-finite value exists on: the forward step that computes it, or the
backward step whose VJP makes the first non-finite gradient (for a
non-finite upstream gradient: the first step where the node's gradient is
non-finite). Nodes that merely pass the value on are not marked.
"""
import numpy as np

from ..engine.nonfinite import find_nonfinite, is_finite
from .view import NODE

#: The warning row in the origin's label, by (phase, reason) of the engine's NonFinite record.
WARNINGS = {
    ("forward", "op"): "\u26a0 first non-finite value made here",
    ("forward", "leaf"): "\u26a0 first non-finite value: given to this leaf",
    ("backward", "op"): "\u26a0 first non-finite gradient made here",
    ("backward", "upstream"): "\u26a0 first non-finite gradient: arrives here",
}


class OriginMark:
    """Where the first non-finite value or gradient of a graph was made, and at which steps to show it."""

    def __init__(self, origin, recording=None):
        self.origin = origin
        self.node = origin.node
        self.recording = recording
        self.text = WARNINGS[(origin.phase, origin.reason)]
        if origin.phase == "backward" and origin.reason == "op":
            self.text += f" (for {self.node.inputs[origin.input_index].name})"

    def marks(self, item):
        """True when the drawn item (a node, or a box holding it) is the origin."""
        return item.node is self.node if item.kind == NODE else self.node in item.node_set

    def shown(self, state):
        """True when the non-finite value or gradient exists at `state` (a graph as it is: always)."""
        if state.step is None:
            return True
        if self.origin.phase == "forward":
            return state.has_value(self.node)
        if self.origin.reason == "upstream":
            return not is_finite(state.grad(self.node))
        at = self.recording.backward_step[self.recording.position[self.node]]
        return 0 <= at <= state.step

    def __repr__(self):
        return f"<OriginMark {self.node.name} ({self.origin.phase})>"


def origin_mark(graph, recording=None):
    """The OriginMark of `graph` (recorded by `recording` for stepped pictures), or None when all is finite."""
    with np.errstate(all="ignore"):  # re-running VJPs on non-finite values: the mark says it, not numpy
        origin = find_nonfinite(graph.nodes)
    return None if origin is None else OriginMark(origin, recording)
