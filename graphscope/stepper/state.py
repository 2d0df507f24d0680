"""What the graph looks like at one step: values, gradients, who is done, current or pending.

Two kinds of state answer the same questions (``phase``, ``phases``,
``current``, ``status``, ``look``, ``value``, ``grad``, ``grad_status``,
``edge_gradient``, ``caption``), so a picture, the player or a text view
draws either without asking which it has:

- ``StepState``: after one step of a recording. Every answer is a lookup
  in the recording (a bisect in a node's gradient timeline), so building
  one for any step costs nothing and never replays the graph.
- ``GraphState``: the graph as it is (no stepping), e.g. for a notebook
  picture: values, and gradients if ``backward()`` ran.
"""
from bisect import bisect_right

import numpy as np

from ..engine.graph import scope_path
from .events import BACKWARD, FORWARD, UPDATE
from .notation import call_words
from ..engine.words import plural

# node status
PENDING = "pending"
CURRENT = "current"
DONE = "done"
INACTIVE = "inactive"  # backward phase: the node needs no gradient
FAILED = "failed"      # backward phase, after its step: the node whose VJP failed (the pass stopped there)
UNREACHED = "unreached"  # backward phase, from the failed step on: needed a gradient, never reached

# gradient status
NO_GRAD = "none"            # not computed yet
PARTIAL = "partial"         # some consumers have contributed, not all
COMPLETE = "complete"
NOT_NEEDED = "not needed"   # the node does not require a gradient
NOT_REACHED = "not reached"  # the backward pass stopped (a VJP failed) before it reached the node

# a node's look: what a picture shows about it (viz.theme colours each)
LOOK_PENDING = "pending"                # forward phase: not computed yet
LOOK_COMPUTED = "computed"              # value computed; in the backward phase: waiting for its gradient
LOOK_CURRENT = "current"                # the node this step is about
LOOK_BACKPROPAGATED = "backpropagated"  # its backward step ran
LOOK_INACTIVE = "inactive"              # backward phase: needs no gradient
LOOKS = (LOOK_PENDING, LOOK_COMPUTED, LOOK_CURRENT, LOOK_BACKPROPAGATED, LOOK_INACTIVE)

#: The look of a node by (phase, status); a phase added later (an optimizer's update) adds its rows here.
_LOOK = {
    (FORWARD, DONE): LOOK_COMPUTED,
    (FORWARD, PENDING): LOOK_PENDING,
    (FORWARD, INACTIVE): LOOK_PENDING,
    (BACKWARD, DONE): LOOK_BACKPROPAGATED,
    (BACKWARD, PENDING): LOOK_COMPUTED,
    (BACKWARD, INACTIVE): LOOK_INACTIVE,
    # a pass that stopped at a failed VJP: the node holds its gradient but passed nothing on; the ones after it
    # wait for a gradient that never comes (viz marks the failed one in the error colour)
    (BACKWARD, FAILED): LOOK_COMPUTED,
    (BACKWARD, UNREACHED): LOOK_COMPUTED,
    # the update phase: a parameter waits for its update, then is done; the rest keep their backward look
    (UPDATE, DONE): LOOK_BACKPROPAGATED,
    (UPDATE, PENDING): LOOK_COMPUTED,
    (UPDATE, INACTIVE): LOOK_INACTIVE,
}


def not_reached_text(node):
    """What a node the backward pass never reached shows instead of a gradient."""
    return f"not reached: the backward pass stopped at {node.name}"


def ratio_text(ratio):
    """'1.2e-03' for an update/weight ratio; 'n/a (weights 0)' when the weights were all zero."""
    return "n/a (weights 0)" if ratio is None else f"{ratio:.1e}"


def update_words(event):
    """'step ||d||=0.012, update/weight 1.2e-03': the size of an update step and its ratio to the weights."""
    return f"step |d|={float(np.linalg.norm(np.ravel(event.delta))):.2g}, update/weight {ratio_text(event.ratio)}"


class State:
    """What both kinds of state share: looks derived from status and phase, and summaries of node groups."""

    __slots__ = ()

    def look(self, node):
        """The node's look (LOOKS): 'current', 'pending', 'computed', 'backpropagated' or 'inactive'."""
        status = self.status(node)
        return LOOK_CURRENT if status == CURRENT else _LOOK[(self.phase, status)]

    def group_look(self, nodes):
        """The look of a box of `nodes`: current if one is, else how far the phase has got inside it."""
        statuses = [self.status(n) for n in nodes]
        if CURRENT in statuses:
            return LOOK_CURRENT
        if self.phase == FORWARD:
            return LOOK_COMPUTED if DONE in statuses else LOOK_PENDING
        active = [s for s in statuses if s != INACTIVE]
        if not active:
            return LOOK_INACTIVE
        return LOOK_BACKPROPAGATED if all(s == DONE for s in active) else LOOK_COMPUTED

    def progress(self, nodes):
        """(done, of, phase) for a group of nodes: how many of those the phase visits it has been through."""
        if self.phase == FORWARD:
            return sum(1 for n in nodes if self.has_value(n)), len(nodes), FORWARD
        if self.phase == UPDATE:
            updated = [n for n in nodes if self.update_step_of(n) >= 0]
            return sum(1 for n in updated if self.status(n) in (DONE, CURRENT)), len(updated), UPDATE
        needing = [n for n in nodes if n.requires_grad]
        return sum(1 for n in needing if self.status(n) in (DONE, CURRENT)), len(needing), self.phase

    def backward_reached(self, node):
        """True once the backward pass has run `node`'s local rule (its inputs got their contributions)."""
        if self.phase == UPDATE:
            return True
        return self.phase != FORWARD and self.status(node) in (DONE, CURRENT)


class StepState(State):
    """The state after step `step` of a recording (every event up to and including it applied)."""

    __slots__ = ("recording", "step", "highlight")

    def __init__(self, recording, step, highlight=True):
        self.recording = recording
        self.step = step
        self.highlight = highlight

    # ---------------------------------------------------------------- the step
    @property
    def graph(self):
        return self.recording.graph

    @property
    def event(self):
        return self.recording.events[self.step]

    @property
    def phase(self):
        return self.event.phase

    @property
    def phases(self):
        """The phases of the whole walk this state is a step of (the same at every step)."""
        rec = self.recording
        return (FORWARD,) + ((BACKWARD,) if rec.n_backward else ()) + ((UPDATE,) if rec.n_update else ())

    @property
    def values_key(self):
        """Stays the same object while the values and gradients this state can show do not change."""
        return self.recording

    @property
    def current(self):
        """The node this step is about (None when not highlighted)."""
        return self.event.node if self.highlight else None

    @property
    def is_final(self):
        return self.step == len(self.recording.events) - 1

    @property
    def stopped_at(self):
        """The node whose VJP failed once the walk has reached its step (the backward pass stopped there), else
        None."""
        rec = self.recording
        return rec.broken if rec.broken is not None and self.step >= rec.error_step else None

    # ---------------------------------------------------------------- per node
    def _pos(self, node):
        return self.recording.position[node]

    def value(self, node):
        """The node's value once the forward pass reached it (a parameter's new value once its update ran),
        else None ("not computed yet")."""
        rec = self.recording
        i = self._pos(node)
        at = rec.forward_step[i]
        if at > self.step:
            return None
        updated = rec.update_step[i]
        if 0 <= updated <= self.step:
            return rec.events[updated].value_after
        return rec.events[at].value

    def value_before_update(self, node):
        """A parameter's value before the optimizer's update (its forward value), or None before the forward
        pass reached it."""
        at = self.recording.forward_step[self._pos(node)]
        return self.recording.events[at].value if at <= self.step else None

    def update_step_of(self, node):
        """The step of `node`'s update event, or -1 (not a parameter the optimizer updated)."""
        return self.recording.update_step[self._pos(node)]

    def update_event(self, node):
        """`node`'s UpdateEvent once its update has run (at or before this step), else None."""
        at = self.update_step_of(node)
        return self.recording.events[at] if 0 <= at <= self.step else None

    def has_value(self, node):
        return self.recording.forward_step[self._pos(node)] <= self.step

    def grad(self, node):
        """The node's gradient so far (partial or complete), or None ("not computed yet")."""
        rec = self.recording
        i = self._pos(node)
        steps = rec.grad_steps[i]
        if steps is not None:
            j = bisect_right(steps, self.step)
            if j:
                return rec.grad_values[i][j - 1]
        return None

    def grad_status(self, node):
        """'none', 'partial', 'complete', 'not reached' or 'not needed'."""
        if not node.requires_grad:
            return NOT_NEEDED
        rec = self.recording
        i = self._pos(node)
        steps = rec.grad_steps[i]
        stopped = self.stopped_at is not None and rec.unreached(i)
        if steps is None or steps[0] > self.step:
            return NOT_REACHED if stopped else NO_GRAD
        return COMPLETE if steps[-1] <= self.step and i not in rec.incomplete else PARTIAL

    def status(self, node):
        """'current', 'done', 'pending', or in the backward phase 'inactive' (needs no gradient).

        In the backward phase a leaf is done as soon as its gradient is
        complete (its own step, later, passes nothing on). In the update
        phase a parameter is pending until its update, the
        other nodes are done (their backward step ran) or inactive. A backward
        pass that stopped at a failed VJP leaves that node 'failed' after its
        step, and the nodes it never reached 'unreached' from that step on.
        """
        rec = self.recording
        k = self.step
        backward = False
        if k < rec.n_forward:
            at = rec.forward_step[self._pos(node)]
        elif k >= rec.n_forward + rec.n_backward:
            at = rec.update_step[self._pos(node)]
            if at < 0:
                return DONE if rec.backward_step[self._pos(node)] >= 0 else INACTIVE
        else:
            backward = True
            at = rec.backward_step[self._pos(node)]
            if at < 0:
                if rec.unreached(self._pos(node)):
                    return UNREACHED if k >= rec.error_step else PENDING
                return INACTIVE
        if at == k:
            return CURRENT if self.highlight else FAILED if node is rec.broken else DONE
        if at < k:
            return DONE
        # a leaf passes nothing on: it is done once every contribution to its gradient has arrived (its own later
        # step only says so)
        return DONE if backward and node.op_def is None and self.grad_status(node) == COMPLETE else PENDING

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
            rec = self.recording
            done = "every value and gradient" if rec.n_backward else "every value"
            if rec.broken is not None:
                done = f"every value; the backward pass stopped at {rec.broken.name}: its VJP failed"
            done += ", parameters updated" if rec.n_update else ""
            return f"after all {plural(last + 1, 'step')}: {done}"
        node = ev.node
        # a name several nodes share ('W' in every block) with its scope path: 'block3/W'
        name = scope_path(node) if node.name in self.recording.repeated_names else node.name
        if ev.phase == UPDATE:
            return f"step {self.step} of 0..{last} · update · {ev.optimizer} {name}: {update_words(ev)}"
        stop = " · its VJP failed: the backward pass stops here" if getattr(ev, "error", None) is not None else ""
        call = call_words(node)[len(node.name):]
        return f"step {self.step} of 0..{last} · {self.phase} · at {name}{call}{stop}"

    def __repr__(self):
        return f"<StepState step {self.step} {self.phase} at {self.event.node.name}>"


class GraphState(State):
    """The graph as it is now (values, and gradients if backward ran): the same questions as StepState.

    Nothing is current; every value is there; in the backward phase (some
    gradient exists) a node that needs a gradient is done once it has one,
    and one that needs none is inactive.
    """

    __slots__ = ("graph", "phase")
    step = None
    event = None
    current = None
    highlight = False
    stopped_at = None

    def __init__(self, graph):
        self.graph = graph
        self.phase = BACKWARD if any(n.grad is not None for n in graph.nodes) else FORWARD

    @property
    def phases(self):
        return (FORWARD, BACKWARD) if self.phase == BACKWARD else (FORWARD,)

    @property
    def values_key(self):
        """A graph's values may change between two states of it: each state is its own key."""
        return self

    def value(self, node):
        return node._value

    def has_value(self, node):
        return True

    def grad(self, node):
        return node.grad

    def value_before_update(self, node):
        """No update is recorded here: the value as it is."""
        return node._value

    def update_step_of(self, node):
        return -1

    def update_event(self, node):
        return None

    def grad_status(self, node):
        if not node.requires_grad:
            return NOT_NEEDED
        return NO_GRAD if node.grad is None else COMPLETE

    def status(self, node):
        if self.phase == FORWARD:
            return DONE
        if not node.requires_grad:
            return INACTIVE
        return DONE if node.grad is not None else PENDING

    def edge_gradient(self, consumer, slot):
        """Contributions along edges are not kept by ``backward()``: only a recording has them."""
        return None

    def caption(self):
        out = self.graph.output
        grads = "with gradients" if self.phase == BACKWARD else "forward values (backward not run)"
        return f"{plural(len(self.graph.nodes), 'node')} · output {out.name} {out.shape} · {grads}"

    def __repr__(self):
        return f"<GraphState {len(self.graph.nodes)} nodes {self.phase}>"
