"""Saved values against the ops that read them: does a graph file's value of each op node equal its op of the
node's saved inputs?

A graph file holds every node's value. Loading recomputes each op node from its saved inputs (it must, to check
that they fit the op) and compares: a value that disagrees means the ops of this session are not the ones that
wrote the file (a custom op's forward changed, or the file was edited by hand). Saving makes the same comparison
on the live graph, because a graph may hold values computed before its parameters or its mode changed (after an
optimizer step, or ``net.eval()``, and before the next ``graph.run()``): those nodes are listed in the file as out
of date, so loading does not mistake them for a changed op.

The tolerance follows the dtype: sqrt(eps) of the value's dtype (1.5e-8 for float64, 3.5e-4 for float32; see
``engine.precision.rounding_tolerance``), relative to max(1, the largest saved magnitude). A comparison's boolean value must match exactly; NaN matches NaN.
"""
import warnings

import numpy as np

from ..engine.compute import compute
from ..engine.formatting import summarize_value
from ..engine.precision import rounding_tolerance
from ..engine.source import display_location

_FLOAT64_RTOL = rounding_tolerance(np.float64)


class SavedValuesWarning(UserWarning):
    """A graph file's saved values disagree with the ops of this session (see ``savedvalues``)."""


def difference(saved, recomputed):
    """None when `recomputed` is `saved` within the dtype's tolerance, else their largest absolute difference
    (nan where one holds NaN and the other does not; 1.0 for boolean values that differ)."""
    if saved.__class__ is float and recomputed.__class__ is float:  # the scalar lane: no numpy
        if saved == recomputed:
            return None
        gap = abs(saved - recomputed)
        if gap <= _FLOAT64_RTOL * max(1.0, abs(saved)) or (saved != saved and recomputed != recomputed):
            return None
        return gap
    a, b = np.asarray(saved), np.asarray(recomputed)
    if a.dtype.kind == "b" or b.dtype.kind == "b":
        return None if np.array_equal(a, b) else 1.0
    if np.array_equal(a, b, equal_nan=True):
        return None
    with np.errstate(all="ignore"):
        a64, b64 = a.astype(np.float64, copy=False), b.astype(np.float64, copy=False)
        gap = np.where((a64 == b64) | (np.isnan(a64) & np.isnan(b64)), 0.0, np.abs(a64 - b64))
        if np.isnan(gap).any():
            return float("nan")
        largest = float(gap.max()) if gap.size else 0.0
        finite = np.abs(a64[np.isfinite(a64)])
        scale = max(1.0, float(finite.max()) if finite.size else 1.0)
    return None if largest <= rounding_tolerance(a.dtype) * scale else largest


def outdated(nodes):
    """The ids of the op nodes whose value is not their op of their inputs' values now (computed before a leaf
    changed, an optimizer step or an edit, or before a stateful node's attributes changed, ``net.eval()`` or
    ``set_training``, without ``graph.run()`` since).

    Only the nodes that can go out of date on their own are recomputed: those that read a leaf, and those whose op
    has a ``refresh`` hook (dropout, batch norm: their mask, mode and running averages are attributes). A replay
    recomputes every node below what it replays, so any other node agrees with its inputs.
    """
    ids = []
    with np.errstate(all="ignore"):
        for node in nodes:
            op = node.op_def
            if op is None or (op.refresh is None and all([i.op_def is not None for i in node.inputs])):
                continue
            try:
                again = compute(op, [i._value for i in node.inputs], node.attrs)
            except Exception:  # an op that fails now: loading the file will say so
                continue
            if np.shape(again) == np.shape(node._value) and difference(node._value, again) is not None:
                ids.append(node.id)
    return ids


class Disagreements:
    """The op nodes of a file being loaded whose saved value disagrees with their op of their saved inputs."""

    __slots__ = ("first", "count")

    def __init__(self):
        self.first = None  # (node, saved value, recomputed value, difference)
        self.count = 0

    def add(self, node, saved, recomputed, gap):
        if self.first is None:
            self.first = (node, saved, recomputed, gap)
        self.count += 1

    def message(self, path):
        """The one warning: the first node, its op, saved against recomputed, and what that means."""
        node, saved, recomputed, gap = self.first
        more = "" if self.count == 1 else f" ({self.count} op nodes disagree; the first in the graph's order is this one)"
        made = "" if node._code is None else f", made at {display_location(node.source)}"
        return (f"{path}: saved values disagree with this session's ops: node {node.name} (op {node.op}{made}) "
                f"was saved as {summarize_value(saved)}, but {node.op} of its saved inputs gives "
                f"{summarize_value(recomputed)} (max abs diff {gap:.3g}){more}: the ops in this Python differ "
                f"from those that wrote the file (a custom op's forward changed, or the file was edited). The graph "
                f"keeps the saved values; stepping it or graph.run() recomputes them with this session's ops")

    def warn(self, path):
        if self.first is not None:
            warnings.warn(SavedValuesWarning(self.message(path)), stacklevel=3)  # the caller of load_graph
