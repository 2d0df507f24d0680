"""Where a NaN or an infinity is born, in the forward pass or the backward pass.

The node blamed is the one that *creates* the non-finite value from finite
ones, never the nodes that merely pass it on:

- forward: the first node (inputs before outputs) whose value is non-finite
  while its inputs are finite (or a leaf that was given non-finite data);
- backward: the first node in backward order whose VJP sends a non-finite
  contribution to an input while its own upstream gradient is finite.

``find_nonfinite(graph)`` answers after the fact on a recorded graph;
``with detect_anomaly():`` stops at the origin as it happens, recording,
replaying (``graph.run``) and backpropagating, with an ``AnomalyError``
naming the op, the inputs' ranges, the scope and the user's file:line.
"""
import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .backward import backward_steps, topo_order
from .errors import BackwardError, GraphscopeError
from .hooks import BACKWARD_HOOKS, FORWARD_HOOKS
from .formatting import number_text
from .nonfinite_causes import cause_of
from .source import display_location


class AnomalyError(GraphscopeError, FloatingPointError):
    """A NaN or an infinity appeared; ``.origin`` is the NonFinite record of the node that made it."""

    def __init__(self, origin, seen_at=None):
        self.origin = origin
        self.seen_at = seen_at
        text = f"detect_anomaly: {origin.describe()}"
        if seen_at is not None and seen_at is not origin.node:
            text += f"\n  (noticed at {seen_at.name}, op {seen_at.op}, made at {display_location(seen_at.source)})"
        super().__init__(text)


@dataclass
class NonFinite:
    """The origin of a non-finite value or gradient: the node, the phase and what went wrong.

    ``reason`` is one of:
    - ``"leaf"``: a leaf was given non-finite data (forward);
    - ``"op"``: an op made a non-finite value from finite inputs (forward), or its
      VJP made a non-finite contribution to input ``input_index`` from a finite
      upstream gradient (backward);
    - ``"upstream"``: a node's gradient is non-finite although every contribution
      to it was finite (backward): the seed given to ``backward()`` was
      non-finite, adding finite contributions overflowed, or a leaf's
      accumulated gradient was already non-finite.
    """

    node: object
    phase: str
    reason: str
    kind: str
    count: int
    size: int
    input_index: Optional[int] = None
    #: the index of the first non-finite entry (() for a 0-d value)
    first: tuple = ()

    @property
    def name(self):
        return self.node.name

    @property
    def op(self):
        return self.node.op

    @property
    def source(self):
        return self.node.source

    @property
    def scope(self):
        return self.node.scope

    def cause(self):
        """One sentence: why the op made it and what to write instead ('' when no particular reason is known)."""
        return cause_of(self)

    def blame(self):
        """One line: 'p (op log) made it at model.py:12: why' for an op's value (the why from ``cause``, else how
        many entries are bad), 'leaf x (input) holds it, made at ...: why' for data fed, else describe's first
        line and where. The sanity checks, the divergence advice and the training screen all say it so."""
        n, where = self.node, display_location(self.node.source)
        if self.reason == "leaf":
            who = f"leaf {n.name} ({n.role}) holds it, made at {where}"
        elif self.phase == "forward" and self.reason == "op":
            who = f"{n.name} (op {n.op}) made it at {where}"
        else:
            return f"{self.describe().splitlines()[0]} (at {where})"
        return f"{who}: {self.cause() or self._bad()}"

    def _bad(self):
        """'nan in 3 of 4 entries, the first at [2] (where x = -0.5)': how many, and, for an op's value, the inputs
        at the first bad entry."""
        text = f"{self.kind} in {self.count} of {self.size} entr{'y' if self.size == 1 else 'ies'}"
        if self.size > 1:
            text += f", the first at {list(self.first)}"
            where = self._inputs_at_first()
            if where:
                text += f" (where {where})"
        return text

    def _inputs_at_first(self):
        """'x = -0.5': the inputs' entries that made the first non-finite entry of an op's value ('' when the inputs
        do not line up entry by entry with the value, or in the backward pass)."""
        n = self.node
        if self.phase != "forward" or self.reason != "op" or n.op_def is None:
            return ""
        shape = np.shape(n._value)
        parts = []
        for i in n.inputs:
            v = i._value
            if np.ndim(v) == 0:
                parts.append(f"{i.name} = {number_text(float(np.asarray(v)))}")
                continue
            try:
                entry = np.broadcast_to(v, shape)[self.first]
            except (ValueError, IndexError):
                return ""
            parts.append(f"{i.name} = {number_text(entry)}")
        return ", ".join(parts)

    def describe(self):
        """Several lines: what became non-finite where, the values involved, why, scope and source line."""
        n = self.node
        bad = self._bad()
        if self.phase == "forward" and self.reason == "leaf":
            head = f"leaf {n.name} ({n.role}) holds non-finite data: {bad}"
        elif self.phase == "forward":
            head = f"{n.name} (op {n.op}) made a non-finite value from finite inputs: {bad}"
        elif self.reason == "op":
            x = n.inputs[self.input_index]
            head = (f"backward through {n.name} (op {n.op}) made a non-finite gradient for input "
                    f"{self.input_index} ({x.name}) from a finite upstream gradient: {bad}")
        else:
            head = (f"the gradient of {n.name} is non-finite ({bad}) although every contribution to it was "
                    f"finite: the upstream gradient given to backward() was non-finite, adding finite "
                    f"contributions overflowed, or a leaf's gradient was already non-finite before this "
                    f"backward (leaf gradients accumulate until zero_grad())")
        lines = [head]
        if n.op_def is not None:
            lines.append("  inputs: " + "; ".join(describe_tensor(i.name, i._value) for i in n.inputs))
        if self.phase == "backward" and n.grad is not None:
            lines.append("  upstream: " + describe_tensor(f"dL/d{n.name}", n.grad))
        why = self.cause()
        if why:
            lines.append(f"  why: {why}")
        lines.append(f"  scope: {n.scope or '(top level)'}")
        lines.append(f"  made at {display_location(n.source)}")
        return "\n".join(lines)

    __str__ = describe


# ---------------------------------------------------------------- values

def is_finite(v):
    """True when every entry of a value or gradient is finite (None counts as finite)."""
    if v is None:
        return True
    if v.__class__ is float:
        return math.isfinite(v)
    return bool(np.isfinite(v).all())


def nonfinite_summary(v):
    """(kind, count, size) of a value: kind is 'nan', 'inf', '-inf' or a combination."""
    a = np.asarray(v, dtype=np.float64) if v.__class__ is float else np.asarray(v)
    nan = int(np.isnan(a).sum())
    pos = int(np.isposinf(a).sum())
    neg = int(np.isneginf(a).sum())
    kinds = [k for k, c in (("nan", nan), ("inf", pos), ("-inf", neg)) if c]
    return " and ".join(kinds), nan + pos + neg, int(a.size)


def describe_tensor(name, v):
    """'x (3, 4) float64 in [-1.2, 3.4]' (with the non-finite count when there are any)."""
    if v.__class__ is float:
        return f"{name} = {number_text(v)}"
    a = np.asarray(v)
    text = f"{name} {tuple(a.shape)} {a.dtype}"
    if a.size == 0:
        return text + " (empty)"
    if a.dtype.kind not in "fc":
        return text + f" in [{a.min()}, {a.max()}]"
    ok = np.isfinite(a)
    if ok.all():
        return text + f" in [{number_text(a.min())}, {number_text(a.max())}]"
    kind, count, size = nonfinite_summary(a)
    finite = a[ok]
    rest = f", finite entries in [{number_text(finite.min())}, {number_text(finite.max())}]" if finite.size else ""
    return text + f" with {kind} in {count} of {size} entries{rest}"


def _record(node, phase, reason, v, input_index=None):
    kind, count, size = nonfinite_summary(v)
    a = np.asarray(v, dtype=np.float64) if v.__class__ is float else np.asarray(v)
    bad = np.argwhere(~np.isfinite(a))
    first = tuple(int(k) for k in bad[0]) if len(bad) and a.ndim else ()
    return NonFinite(node, phase, reason, kind, count, size, input_index, first)


# ---------------------------------------------------------------- after the fact

def forward_origin(nodes):
    """The first node of `nodes` (topological order) with a non-finite value, or None.

    In topological order the first non-finite node has finite inputs, so it
    is the node that created the value (or a leaf that was given it).
    """
    for node in nodes:
        v = node._value
        if not is_finite(v):
            return _record(node, "forward", "leaf" if node.op_def is None else "op", v)
    return None


def backward_origin(nodes):
    """The first node in backward order (reversed `nodes`) whose VJP made a non-finite gradient, or None.

    Re-runs the VJPs from the recorded gradients, so it costs at most one
    backward pass, and nothing when every gradient is finite.
    """
    if all(is_finite(n.grad) for n in nodes):
        return None
    try:
        for node, g, grads, _ in backward_steps(nodes[::-1], accumulate_grads=False):
            if not is_finite(g):
                return _record(node, "backward", "upstream", g)
            origin = _bad_contribution(node, g, grads)
            if origin is not None:
                return origin
    except BackwardError:  # a VJP that fails stopped the pass here too: nothing after it holds a gradient of it
        return None
    return None


def _bad_contribution(node, g, grads):
    for i, (inp, gi) in enumerate(zip(node.inputs, grads)):
        if gi is not None and inp.requires_grad and not is_finite(gi):
            return _record(node, "backward", "op", gi, i)
    return None


def find_nonfinite(nodes):
    """Where the first NaN/inf was born: forward values first, then gradients; None if all are finite.

    Re-running VJPs on the way raises no numpy warning: the record names the condition.
    """
    with np.errstate(all="ignore"):
        return forward_origin(nodes) or backward_origin(nodes)


# ---------------------------------------------------------------- as it happens

def _check_forward(node):
    if is_finite(node._value):
        return
    origin = forward_origin(topo_order(node))
    raise AnomalyError(origin, seen_at=node)


def _check_backward(node, g, grads):
    if not is_finite(g):
        raise AnomalyError(_record(node, "backward", "upstream", g))
    origin = _bad_contribution(node, g, grads)
    if origin is not None:
        raise AnomalyError(origin)


@contextmanager
def detect_anomaly(forward=True, backward=True):
    """Stop at the node that creates the first NaN or infinity, raising AnomalyError.

    ``forward``: watch every node recorded or replayed in the block;
    ``backward``: watch every VJP run by ``backward()`` in the block.
    Checking costs one finiteness test per value, so use it while debugging.
    numpy's floating-point warnings are silenced in the block: the
    AnomalyError names the node instead.

        with gs.detect_anomaly():
            loss = model(x)
            loss.backward()
    """
    added = []
    if forward:
        FORWARD_HOOKS.append(_check_forward)
        added.append((FORWARD_HOOKS, _check_forward))
    if backward:
        BACKWARD_HOOKS.append(_check_backward)
        added.append((BACKWARD_HOOKS, _check_backward))
    try:
        with np.errstate(all="ignore"):
            yield
    finally:
        for hooks, hook in added:
            # remove this block's entry (the last one: blocks nest)
            for k in range(len(hooks) - 1, -1, -1):
                if hooks[k] is hook:
                    del hooks[k]
                    break


__all__ = ["AnomalyError", "NonFinite", "detect_anomaly", "find_nonfinite", "forward_origin", "backward_origin",
           "is_finite", "describe_tensor"]
