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
from ..engine.formatting import number_text
from ..engine.nonfinite_causes import cause_of
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
        self.text += "".join("\n" + line for line in cause_lines(origin) + input_lines(origin))

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
#: The most lines of the cause of a non-finite value (the rest cut with …).
CAUSE_LINES = 4


def cause_lines(origin):
    """Why the origin made its non-finite value, in the engine's words with the numbers that explain it ('log of
    a negative number is nan (its input sub_1011 reaches -99.98)': 4 significant digits, so an input just below 0
    reads negative), in short lines, at most CAUSE_LINES."""
    with np.errstate(all="ignore"):
        lines = textwrap.wrap(cause_of(origin), ALERT_CHARS)
    if len(lines) > CAUSE_LINES:
        lines = lines[:CAUSE_LINES - 1] + [lines[CAUSE_LINES - 1][:ALERT_CHARS - 1] + "\u2026"]
    return lines


#: The most inputs of the origin whose values its card writes out.
INPUTS_SHOWN = 2


def input_lines(origin):
    """For an op that made a non-finite value: each input's range, in as many significant digits as it takes to
    tell its ends apart (_told_apart), and how many entries are below 0 or 0, the numbers that explain a log, a sqrt
    or a division ('sub_1011: -100.043 to -99.9528, 9 of 9 < 0'); none for a gradient or a leaf."""
    if origin.phase != FORWARD or origin.reason != "op":
        return []
    lines = []
    for inp in origin.node.inputs[:INPUTS_SHOWN]:
        a = np.asarray(inp.value, dtype=np.float64).reshape(-1)
        finite = a[np.isfinite(a)]
        if not finite.size:
            continue
        low, high = float(finite.min()), float(finite.max())
        text = number_text(low) if low == high else "{} to {}".format(*_told_apart(low, high))
        counts = [f"{int(k)}\u00a0of\u00a0{a.size}\u00a0{what}"  # kept on one line
                  for k, what in (((a < 0).sum(), "<\u00a00"), ((a == 0).sum(), "=\u00a00")) if k]
        lines += textwrap.wrap(f"{inp.name}: {', '.join([text] + counts)}", ALERT_CHARS)
    return lines


def _told_apart(low, high):
    """`low` and `high` (low < high) in the fewest significant digits (4 to 12) that round neither by more than a
    hundredth of the distance between them: -100.0426 and -99.9528 read '-100.043' and '-99.9528', not '-100'."""
    close = (high - low) / 100
    for digits in range(4, 13):
        texts = number_text(low, digits), number_text(high, digits)
        if all(abs(float(t) - x) <= close for t, x in zip(texts, (low, high))):
            return texts
    return texts


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
