"""What the graph looks like at one step: values, gradients, who is done, current or pending.

A ``StepState`` answers every question by looking up the recording (a
bisect in a node's gradient timeline), so building one for any step costs
nothing and never replays the graph. ``GraphState`` answers the same
questions for a graph as it is (no stepping), e.g. for a notebook picture.
"""
from bisect import bisect_right

from ..engine.formatting import describe_call
from .events import BACKWARD, FORWARD

# node status
PENDING = "pending"
CURRENT = "current"
DONE = "done"
INACTIVE = "inactive"  # backward phase: the node needs no gradient

# gradient status
NO_GRAD = "none"            # not computed yet
PARTIAL = "partial"         # some consumers have contributed, not all
COMPLETE = "complete"
EARLIER = "earlier"         # a leaf's gradient accumulated by earlier passes, before this one reached it
NOT_NEEDED = "not needed"   # the node does not require a gradient


class StepState:
    """The state after step `step` of a recording (every event up to and including it applied)."""

    __slots__ = ("recording", "step", "highlight")

    def __init__(self, recording, step, highlight=True):
        self.recording = recording
        self.step = step
        self.highlight = highlight

    # ---------------------------------------------------------------- the step
    @property
    def event(self):
        return self.recording.events[self.step]

    @property
    def phase(self):
        return FORWARD if self.step < self.recording.n_forward else BACKWARD

    @property
    def current(self):
        """The node this step is about (None when not highlighted)."""
        return self.event.node if self.highlight else None

    @property
    def is_final(self):
        return self.step == len(self.recording.events) - 1

    # ---------------------------------------------------------------- per node
    def _pos(self, node):
        return self.recording.position[node]

    def value(self, node):
        """The node's value once the forward pass reached it, else None ("not computed yet")."""
        i = self._pos(node)
        return self.recording.events[i].value if i <= self.step else None

    def has_value(self, node):
        return self._pos(node) <= self.step

    def grad(self, node):
        """The node's gradient so far (partial or complete), or None ("not computed yet")."""
        rec = self.recording
        i = self._pos(node)
        steps = rec.grad_steps[i]
        if steps is not None:
            j = bisect_right(steps, self.step)
            if j:
                return rec.grad_values[i][j - 1]
        return rec.baseline[i]

    def grad_status(self, node):
        """'none', 'partial', 'complete', 'earlier' (from earlier passes only) or 'not needed'."""
        if not node.requires_grad:
            return NOT_NEEDED
        rec = self.recording
        i = self._pos(node)
        steps = rec.grad_steps[i]
        if steps is None or steps[0] > self.step:
            return EARLIER if rec.baseline[i] is not None else NO_GRAD
        return COMPLETE if steps[-1] <= self.step else PARTIAL

    def status(self, node):
        """'current', 'done', 'pending', or in the backward phase 'inactive' (needs no gradient)."""
        rec = self.recording
        k = self.step
        if k < rec.n_forward:
            at = self._pos(node)
        else:
            at = rec.backward_step[self._pos(node)]
            if at < 0:
                return INACTIVE
        if at == k:
            return CURRENT if self.highlight else DONE
        return DONE if at < k else PENDING

    def edge_gradient(self, consumer, slot):
        """What flowed from `consumer` back to its input `slot` (None before that backward step ran)."""
        rec = self.recording
        at = rec.backward_step[self._pos(consumer)]
        if at < 0 or at > self.step:
            return None
        edge = rec.events[at].edges
        return edge[slot].contribution if edge else None

    # ---------------------------------------------------------------- summary
    def caption(self):
        """One line: 'step 7 of 0..9 · backward · at q = add(x, y)'."""
        ev = self.event
        last = len(self.recording.events) - 1
        if not self.highlight:
            done = "every value and gradient" if self.recording.n_backward else "every value"
            return f"after all {last + 1} steps: {done}"
        return f"step {self.step} of 0..{last} · {self.phase} · at {describe_call(ev.node)}"

    def __repr__(self):
        return f"<StepState step {self.step} {self.phase} at {self.event.node.name}>"


class GraphState:
    """The graph as it is now (values, and gradients if backward ran): the same questions as StepState."""

    __slots__ = ("graph", "phase")
    step = None
    event = None
    current = None
    highlight = False

    def __init__(self, graph):
        self.graph = graph
        self.phase = BACKWARD if any(n.grad is not None for n in graph.nodes) else FORWARD

    def value(self, node):
        return node._value

    def has_value(self, node):
        return True

    def grad(self, node):
        return node.grad

    def grad_status(self, node):
        if not node.requires_grad:
            return NOT_NEEDED
        return NO_GRAD if node.grad is None else COMPLETE

    def status(self, node):
        return DONE

    def edge_gradient(self, consumer, slot):
        return None

    def caption(self):
        out = self.graph.output
        grads = "with gradients" if self.phase == BACKWARD else "forward values (backward not run)"
        return f"{len(self.graph.nodes)} nodes · output {out.name} {out.shape} · {grads}"
