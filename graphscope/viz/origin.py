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
from ..stepper.events import BACKWARD, FORWARD
from .view import NODE

#: The warning row in the origin's label, by (phase, reason) of the engine's NonFinite record.
WARNINGS = {
    (FORWARD, "op"): "\u26a0 first non-finite value made here",
    (FORWARD, "leaf"): "\u26a0 first non-finite value: given to this leaf",
    (BACKWARD, "op"): "\u26a0 first non-finite gradient made here",
    (BACKWARD, "upstream"): "\u26a0 first non-finite gradient: arrives here",
}


class OriginMark:
    """Where the first non-finite value or gradient of a graph was made, and at which steps to show it."""

    def __init__(self, origin):
        self.origin = origin
        self.node = origin.node
        self.text = WARNINGS[(origin.phase, origin.reason)]
        if origin.phase == BACKWARD and origin.reason == "op":
            self.text += f" (for {self.node.inputs[origin.input_index].name})"

    def marks(self, item):
        """True when the drawn item (a node, or a box holding it) is the origin."""
        return item.node is self.node if item.kind == NODE else self.node in item.node_set

    def shown(self, state):
        """True when the non-finite value or gradient exists at `state`."""
        if self.origin.phase == FORWARD:
            return state.has_value(self.node)
        if self.origin.reason == "upstream":
            return not is_finite(state.grad(self.node))
        return state.backward_reached(self.node)

    def __repr__(self):
        return f"<OriginMark {self.node.name} ({self.origin.phase})>"


def origin_mark(graph):
    """The OriginMark of `graph`, or None when all is finite."""
    with np.errstate(all="ignore"):  # re-running VJPs on non-finite values: the mark says it, not numpy
        origin = find_nonfinite(graph.nodes)
    return None if origin is None else OriginMark(origin)
