"""The Stepper: a cursor over a recorded graph's forward then backward events."""
from ..engine.errors import GraphscopeError
from ..engine.graph import require_graph
from .events import FORWARD, PHASES, UPDATE
from .record import Recording
from .state import StepState


class StepError(GraphscopeError, IndexError):
    """A step number or node that the stepper does not have."""


class Stepper:
    """Walk a graph forward then backward (then, given an optimizer, through its update), one node a step.

        st = gs.Stepper(loss)        # records the pass (replays forward, runs backward once)
        st.next(); st.prev(); st.goto(12); st.goto(-1)   # cheap: the cursor only moves
        st.event                      # ForwardEvent / BackwardEvent at the cursor
        st.state.grad(node)           # None = not computed yet at this step

    Steps are numbered from 0: first one forward event per node in
    topological order, each leaf fed just before its first consumer (x, fc1.W,
    fc1's matmul, fc1.b, ...; op nodes are recomputed), then one backward
    event per node that gets a gradient, in that order reversed.
    Recording runs the backward pass once, from zero gradients: what it shows
    are the gradients of the replayed values, never a sum with gradients the
    graph already held (those a graph file saved, or a ``backward()`` the
    user called). It leaves the graph's own ``.grad`` values as they were, so
    a ``backward()`` after stepping gives what it would have given without
    (``st.final().grad(node)`` is the walk's gradient). ``keep_gradients=True``
    leaves the walk's gradients in the graph instead, as ``zero_grad()`` then
    ``backward()`` would. Moving the cursor never touches the graph.

    Given an ``optimizer`` (gs.optim's, or anything with its interface:
    ``params``, ``step()``, ``state_of(p)``, ``last_update(p)``,
    ``state_dict()``, ``load_state_dict()``), an update phase follows: one
    UpdateEvent per parameter the optimizer changed, with its gradient, the
    optimizer's state before and after, the step and the update/weight
    ratio. Recording runs one real ``optimizer.step()``; by default
    (``apply=False``) the parameters' values and the optimizer's state are
    then put back, so stepping through shows the update without changing the
    model. ``apply=True`` keeps the step taken: the recording is then one
    training iteration, ``zero_grad()``, ``backward()``, ``step()`` (the walk's
    gradients stay in the graph; each ``rerun()`` takes another iteration).
    """

    def __init__(self, graph, grad=None, step=0, optimizer=None, apply=False, keep_gradients=False):
        self.graph = require_graph(graph)
        self._grad = grad
        self.optimizer = optimizer
        self.apply = apply
        self.keep_gradients = keep_gradients
        self.recording = self._record()
        self._step = 0
        self.goto(step)

    # ---------------------------------------------------------------- recording
    @property
    def events(self):
        return self.recording.events

    @property
    def n_forward(self):
        return self.recording.n_forward

    @property
    def n_backward(self):
        return self.recording.n_backward

    @property
    def n_update(self):
        return self.recording.n_update

    @property
    def update_note(self):
        """Why an optimizer was given but there is no update phase (None otherwise)."""
        return self.recording.update_note

    @property
    def backward_note(self):
        """Why there is no backward phase (None when there is one)."""
        return self.recording.backward_note

    def __len__(self):
        return len(self.recording.events)

    def __getitem__(self, step):
        return self.recording.events[self._index(step)]

    def __iter__(self):
        """Every event in order (does not move the cursor)."""
        return iter(self.recording.events)

    def rerun(self):
        """Record again from the leaves' current values (after editing one); the cursor stays put.

        The new pass starts from zero gradients, as the first did: it shows the gradients of the new values.
        """
        self.recording = self._record()
        self._step = min(self._step, len(self) - 1)
        return self.state

    def _record(self):
        return Recording(self.graph, self._grad, self.optimizer, self.apply, self.keep_gradients)

    # ---------------------------------------------------------------- the cursor
    @property
    def step(self):
        return self._step

    @step.setter
    def step(self, k):
        self.goto(k)

    @property
    def event(self):
        return self.recording.events[self._step]

    @property
    def state(self):
        """The state at the cursor."""
        return StepState(self.recording, self._step)

    @property
    def phase(self):
        return self.event.phase

    def at(self, step, highlight=True):
        """The state at any step (negative counts from the end), without moving the cursor."""
        return StepState(self.recording, self._index(step), highlight)

    def final(self):
        """The state after the last step, with no node highlighted: every value and gradient."""
        return StepState(self.recording, len(self) - 1, highlight=False)

    def goto(self, step):
        """Move the cursor to `step` (negative counts from the end); returns the event there."""
        self._step = self._index(step)
        return self.event

    def next(self):
        """One step on (stays on the last step); returns the event."""
        if self._step < len(self) - 1:
            self._step += 1
        return self.event

    def prev(self):
        """One step back (stays on step 0); returns the event."""
        if self._step > 0:
            self._step -= 1
        return self.event

    def first(self):
        return self.goto(0)

    def last(self):
        return self.goto(-1)

    @property
    def at_end(self):
        return self._step == len(self) - 1

    # ---------------------------------------------------------------- finding steps
    def find(self, node, phase=FORWARD):
        """The step at which `node` (a node, its name or id) is visited in `phase` (one of events.PHASES)."""
        if phase not in PHASES:
            raise StepError(f"phase must be {' or '.join(map(repr, PHASES))}, not {phase!r}")
        n = self._node(node)
        i = self.recording.position[n]
        if phase == FORWARD:
            return self.recording.forward_step[i]
        if phase == UPDATE:
            step = self.recording.update_step[i]
            if step < 0:
                given = "no optimizer was given (--optimizer NAME, or Stepper(loss, optimizer=opt))"
                why = (self.update_note or given) if not self.n_update else "the optimizer does not update it"
                raise StepError(f"{n.name} has no update step: {why}")
            return step
        if self.backward_note:
            raise StepError(f"{n.name} has no backward step: {self.backward_note}")
        step = self.recording.backward_step[i]
        if step < 0:
            why = "it does not require a gradient" if not n.requires_grad else "no gradient reaches it"
            if self.recording.unreached(i):
                broken = self.recording.broken
                why = (f"the backward pass stopped at {broken.name} before reaching it ({broken.name}'s VJP failed "
                       f"at step {self.recording.error_step})")
            raise StepError(f"{n.name} has no backward step: {why}")
        return step

    def _node(self, key):
        try:
            return self.graph.node(key)
        except KeyError as exc:
            raise StepError(exc.args[0] if exc.args else str(exc)) from None

    def _index(self, step):
        n = len(self)
        try:
            k = int(step)
        except (TypeError, ValueError):
            raise StepError(f"a step is a whole number, not {step!r}") from None
        if k != step:
            raise StepError(f"a step is a whole number, not {step!r}")
        if not -n <= k < n:
            raise StepError(f"step {step} is out of range: this graph has {n} steps, 0..{n - 1} "
                            f"({self._counts()}; negative steps count "
                            f"from the end)")
        return k % n

    def _counts(self):
        counts = f"{self.n_forward} forward, {self.n_backward} backward"
        return counts + (f", {self.n_update} update" if self.n_update else "")

    def __repr__(self):
        update = f" + {self.n_update} update" if self.n_update else ""
        return (f"<Stepper: {self.n_forward} forward + {self.n_backward} backward{update} steps, "
                f"at step {self._step} ({self.phase} {self.event.node.name})>")
