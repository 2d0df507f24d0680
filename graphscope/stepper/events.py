"""The events a stepper walks: one forward event per node, then one backward event per node that gets a gradient,
then (given an optimizer) one update event per parameter."""
from ..engine.formatting import SHOWN_ENTRIES
from ..engine.jacobian import describe_jacobian
from ..engine.update_ratio import update_ratio

# The phases of a walk, in the order it meets them: every other module names a phase through these.
FORWARD = "forward"
BACKWARD = "backward"
UPDATE = "update"
PHASES = (FORWARD, BACKWARD, UPDATE)


class _Step:
    """What every step shows: a one-line repr (``<step 7 backward add_4>``) and, as ``str``, ``print`` and
    IPython's display, its numbers (upstream x local = contribution), the text ``graphscope demo`` writes
    (``explain.lines``, which puts itself here as ``text``: explain reads these classes, so they do not import it)."""

    __slots__ = ()
    #: event -> its lines: set by graphscope.stepper.explain (imported with graphscope.stepper)
    text = None

    def __str__(self):
        if _Step.text is None:
            return repr(self)
        return "\n".join(_Step.text(self, self.node if self.output is None else self.output))

    def __repr__(self):
        return f"<step {self.step} {self.phase} {self.node.name}>"

    def _repr_pretty_(self, printer, cycle):
        printer.text(repr(self) if cycle else str(self))


class ForwardEvent(_Step):
    """Step `step`: `node`'s value is computed (replayed from its inputs; a leaf's value is fed)."""

    __slots__ = ("step", "node", "value", "output")
    phase = FORWARD

    def __init__(self, step, node, value):
        self.step = step
        self.node = node
        self.value = value
        self.output = None   # the graph's output, which the step's text names gradients by (set by the recording)

    @property
    def edges(self):
        return ()


class BackwardEvent(_Step):
    """Step `step`: the local rule at `node`: for each input, contribution = (dnode/dinput)^T upstream.

    ``upstream`` is dL/dnode (complete: every consumer has already been
    visited). A leaf's backward event has no edges: it marks its gradient
    as complete.

    ``error`` is set on the step whose VJP failed (it raised, or returned a
    gradient of the wrong shape): the engine's BackwardError, naming what
    went wrong and the user's line. That step has no edges (nothing flowed
    back) and is the last of the backward phase: the pass stopped there;
    ``unreached`` lists the nodes it never reached (outputs first).
    """

    __slots__ = ("step", "node", "upstream", "edges", "is_seed", "error", "unreached", "output")
    phase = BACKWARD

    def __init__(self, step, node, upstream, edges, is_seed=False, error=None, unreached=()):
        self.step = step
        self.node = node
        self.upstream = upstream
        self.edges = edges
        self.is_seed = is_seed  # the output's event: upstream is the seed (dL/dL = 1), not a sum
        self.error = error
        self.unreached = unreached
        self.output = None

    @property
    def is_leaf(self):
        return self.node.op_def is None


class EdgeGradient:
    """What flows along one input edge of a backward step.

    ``contribution`` is (dnode/dinput)^T upstream, from the op's VJP;
    ``accumulated`` the input's gradient right after adding it; both are None
    when the input needs no gradient. ``complete`` is True when no later step
    adds to the input's gradient. ``jacobian`` describes dnode/dinput.
    """

    __slots__ = ("node", "slot", "input", "contribution", "accumulated", "complete", "_jacobian")

    def __init__(self, node, slot, inp, contribution, accumulated):
        self.node = node
        self.slot = slot
        self.input = inp
        self.contribution = contribution
        self.accumulated = accumulated
        self.complete = False
        self._jacobian = None

    @property
    def needs_grad(self):
        return self.contribution is not None

    @property
    def jacobian(self):
        """The Jacobian descriptor of d(node)/d(input): shape, structure, formula, ``matrix()`` when small."""
        if self._jacobian is None:
            self._jacobian = describe_jacobian(self.node, self.slot)
        return self._jacobian

    def local_matrix(self, max_entries=SHOWN_ENTRIES):
        """The explicit local Jacobian when it has at most `max_entries` entries (by default as many as any view
        lists: formatting.SHOWN_ENTRIES), else None."""
        jac = self.jacobian
        if jac.entries > max_entries:
            return None
        return jac.matrix()

    def __repr__(self):
        return f"<edge {self.input.name} -> {self.node.name} (input {self.slot})>"


class UpdateEvent(_Step):
    """Step `step`: the optimizer's update of parameter `node`: value_after = value_before + delta.

    ``grad`` is the gradient the optimizer read; ``state_before`` /
    ``state_after`` its state for the parameter, by the names the optimizer
    gives (``{'velocity': v}``, ``{'m': m, 'v': v}``, ``{}`` for SGD);
    ``delta`` the step added; ``ratio`` the update/weight ratio
    ||delta|| / ||value_before|| (the lecture's rule of thumb: about 1e-3),
    None when the parameter is all zeros.
    """

    __slots__ = ("step", "node", "grad", "value_before", "value_after", "state_before", "state_after", "delta",
                 "ratio", "optimizer", "output")
    phase = UPDATE

    def __init__(self, step, node, grad, value_before, value_after, state_before, state_after, delta, optimizer):
        self.step = step
        self.node = node
        self.grad = grad
        self.value_before = value_before
        self.value_after = value_after
        self.state_before = state_before
        self.state_after = state_after
        self.delta = delta
        self.optimizer = optimizer  # the optimizer's name, e.g. 'Adam'
        self.ratio = update_ratio(delta, value_before)
        self.output = None

    @property
    def edges(self):
        return ()
