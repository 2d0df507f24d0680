"""Recording a graph's forward and backward pass (and an optimizer's update) once, as events plus per-node timelines.

The forward pass replays every node (``engine.replay.recompute``); the
backward pass is the engine's own walk (``engine.backward.backward_steps``),
in its order, from zero gradients: every node, leaves included, starts with
none, so the walk shows the gradients of the values it replayed, never a
sum with gradients the graph already held (a loaded graph file's saved ones,
or those of a ``backward()`` the user called). Nodes that need no gradient
get none.

Recording does not change the gradients the graph holds: afterwards every
node's ``.grad`` is put back as it was (None where ``backward()`` never
ran), so drawing or stepping a model never adds to what a later
``backward()`` accumulates. ``keep_gradients=True`` (and ``apply=True``, a
training iteration) leaves the walk's gradients in the graph instead: what
``zero_grad()`` then ``backward()`` would leave.

Each node's gradient is kept as a timeline (the steps where it changed and
the value after each change), so the state at any step is a lookup, never a
replay.

Given an optimizer (anything with ``params``, ``step()``, ``state_of(p)``,
``last_update(p)``, ``state_dict()`` and ``load_state_dict(d)``: the
interface of ``gs.optim``, never imported here), one real ``step()`` runs
after the backward pass and each parameter of the graph it changed gets an
update event. With ``apply=False`` (the stepper's default) the parameters'
values and the optimizer's state are put back afterwards, so recording shows
the step without taking it; with ``apply=True`` the step stays taken, as in
one training iteration.
"""
from contextlib import contextmanager
from functools import cached_property

import numpy as np

from ..engine.backward import accumulate, backward_steps, seed_gradient
from ..engine.errors import BackwardError
from ..engine.replay import recompute
from ..engine.errors import GraphscopeError
from ..engine.held import gradients_held
from ..engine.staleness import put_back, stamps
from .events import BackwardEvent, EdgeGradient, ForwardEvent, UpdateEvent

#: What the stepper uses of an optimizer.
OPTIMIZER_INTERFACE = ("params", "step", "state_of", "last_update", "state_dict", "load_state_dict")


class Recording:
    """Events of one forward + backward pass over `graph`, and every node's gradient timeline.

    - ``walk``: the nodes in the order the forward pass visits them (``walk_order``: a topological order in
      which each leaf is fed just before its first consumer);
    - ``events``: forward events (one per node, in ``walk`` order), then
      backward events (``walk`` reversed, one per node that gets a
      gradient);
    - ``position[node]``: the node's index in ``graph.nodes`` (what the per-node lists below are indexed by);
    - ``forward_step[i]``: the step of node i's forward event;
    - ``grad_steps[i]`` / ``grad_values[i]``: steps where node i's gradient
      changed and its value after each change (None when it never changes);
    - ``backward_step[i]``: the step of node i's own backward event, or -1;
    - ``backward_note``: why there is no backward phase, when there is none;
    - ``broken``: the node whose VJP failed (raised, or returned a gradient
      of the wrong shape), or None; its step (``error_step``) is an error
      step (``BackwardEvent.error``) and the last of the backward phase:
      the nodes the pass had not reached keep no gradient (``unreached``),
      and those some of whose contributions never came keep a partial one
      (``incomplete``: their indices);
    - ``update_step[i]``: the step of parameter i's update event, or -1;
      ``n_update`` the number of update events; ``update_note``: why an
      optimizer was given but there is no update phase.
    """

    def __init__(self, graph, grad=None, optimizer=None, apply=False, keep_gradients=False):
        self.graph = graph
        nodes = graph.nodes
        self.position = {n: i for i, n in enumerate(nodes)}
        self.walk = walk_order(nodes)
        self.forward_step = [0] * len(nodes)
        self.events = []
        self.grad_steps = [None] * len(nodes)
        self.grad_values = [None] * len(nodes)
        self.backward_step = [-1] * len(nodes)
        self.backward_note = None
        self.broken = None
        self.error_step = -1
        self.incomplete = set()  # a stopped pass: the nodes whose gradient lacks a contribution that never came
        self.update_step = [-1] * len(nodes)
        self.update_note = None
        self.optimizer = optimizer
        self._replay_forward(self.walk)
        self.n_forward = len(self.events)
        seed = self._seed(grad)
        with gradients_held(nodes) as held:  # the graph's own gradients: put back after the walk (unless kept)
            if seed is not None:
                self._run_backward(self.walk, seed)
            self.n_backward = len(self.events) - self.n_forward
            self._mark_complete()
            if optimizer is not None:
                self._run_update(optimizer, apply)
            self.n_update = len(self.events) - self.n_forward - self.n_backward
            held.keep = keep_gradients or apply  # when recording failed, the graph is left as it was
        for event in self.events:   # what a step's text names its gradients by (dL/dq)
            event.output = self.graph.output

    @contextmanager
    def walked_gradients(self):
        """Inside the block every node of the graph holds the gradient the walk ended with (None where it got
        none), for code that reads ``.grad`` (the non-finite search); outside it, the graph's own."""
        nodes = self.graph.nodes
        with gradients_held(nodes):
            for node, values in zip(nodes, self.grad_values):
                node.grad = values[-1] if values else None
            yield

    @cached_property
    def repeated_names(self):
        """The names several nodes of the graph share (W in every block): captions give those their scope path."""
        seen, repeated = set(), set()
        for node in self.graph.nodes:
            (repeated if node.name in seen else seen).add(node.name)
        return repeated

    # ---------------------------------------------------------------- forward
    def _replay_forward(self, walk):
        events = self.events
        position, forward_step = self.position, self.forward_step
        for step, node in enumerate(walk):
            value = recompute(node)
            if node.op_def is None and value.__class__ is np.ndarray:
                value = value.copy()  # a later in-place edit of the leaf must not rewrite history
            forward_step[position[node]] = step
            events.append(ForwardEvent(step, node, value))

    def forward_value(self, node):
        """The value the forward pass gave `node` (before any update)."""
        return self.events[self.forward_step[self.position[node]]].value

    # ---------------------------------------------------------------- backward
    def _seed(self, grad):
        """The output's upstream gradient, or None (with a note) when there is no backward phase."""
        root = self.graph.output
        if not root.requires_grad:
            self.backward_note = (f"no backward phase: nothing {root.name} depends on requires a gradient "
                                  f"(make parameters with gs.param(...) or tensor(..., requires_grad=True))")
            return None
        if grad is None and root.size != 1:
            self.backward_note = (f"no backward phase: the output {root.name} has shape {root.shape}, not one "
                                  f"number; pass its upstream gradient (grad=...) or reduce it to a scalar")
            return None
        try:
            return seed_gradient(root, grad)
        except BackwardError as exc:
            raise BackwardError(f"stepper: {exc}") from None

    def _change(self, i, step, grad):
        steps = self.grad_steps[i]
        if steps is None:
            self.grad_steps[i] = [step]
            self.grad_values[i] = [grad]
        else:
            steps.append(step)
            self.grad_values[i].append(grad)

    def _run_backward(self, walk, seed):
        """The engine's backward walk over `walk` reversed (a reverse topological order: each leaf's gradient
        is complete right after its first consumer's step, the last one to add to it)."""
        nodes = walk
        position = self.position
        events = self.events
        root = self.graph.output
        for node in nodes:  # from zero: nothing the graph held is added to
            node.grad = None
        accumulate(root, seed)
        self._change(position[root], len(events), root.grad)
        try:
            for node, g, grads, after in backward_steps(nodes[::-1], totals=True):
                if not node.requires_grad:
                    continue
                step = len(events)
                self.backward_step[position[node]] = step
                edges = []
                for slot, (inp, gi) in enumerate(zip(node.inputs, grads)):
                    if gi is not None and inp.requires_grad:
                        self._change(position[inp], step, after[slot])
                        edges.append(EdgeGradient(node, slot, inp, gi, after[slot]))
                    else:
                        edges.append(EdgeGradient(node, slot, inp, None, None))
                events.append(BackwardEvent(step, node, g, tuple(edges), is_seed=node is root))
        except BackwardError as exc:
            if exc.node is None or exc.node not in position:
                raise
            self._stop(exc)

    def _stop(self, error):
        """The error step of the node whose VJP failed: the pass ends there (its inputs got nothing from it)."""
        node = error.node
        step = len(self.events)
        self.broken, self.error_step = node, step
        self.backward_step[self.position[node]] = step
        nodes = self.graph.nodes
        unreached = tuple(nodes[i] for i in range(len(nodes) - 1, -1, -1) if self.unreached(i))
        position = self.position
        for consumer in (node,) + unreached:  # what these would have passed on never came
            self.incomplete.update(position[inp] for inp in consumer.inputs if inp.requires_grad)
        self.events.append(BackwardEvent(step, node, node.grad, (), is_seed=node is self.graph.output, error=error,
                                         unreached=unreached))

    def unreached(self, i):
        """True when node i needed a gradient but the backward pass stopped (at ``broken``) before reaching it."""
        broken = self.broken
        return (broken is not None and i < self.position[broken] and self.backward_step[i] < 0
                and self.graph.nodes[i].requires_grad)

    def _mark_complete(self):
        """Flag each edge whose contribution is the last one its input receives."""
        last = {}
        for ev in self.events[self.n_forward:]:
            for edge in ev.edges:
                if edge.contribution is not None:
                    last[edge.input] = edge
        for node, edge in last.items():
            edge.complete = self.position[node] not in self.incomplete

    # ---------------------------------------------------------------- update
    def _run_update(self, optimizer, apply):
        """One optimizer step: an update event per parameter of the graph it changed (put back unless `apply`)."""
        missing = [name for name in OPTIMIZER_INTERFACE if not hasattr(optimizer, name)]
        if missing:
            raise GraphscopeError(f"stepper: optimizer={type(optimizer).__name__} is not an optimizer (it has no "
                                  f"{', '.join(missing)}); pass one of gs.optim's, e.g. gs.optim.Adam(params)")
        if self.backward_note:
            self.update_note = "no update phase: " + self.backward_note.split(": ", 1)[-1]
            return
        if self.broken is not None:
            self.update_note = f"no update phase: {stopped_words(self.broken)}"
            return
        params = [p for p in optimizer.params if p in self.position]
        if not params:
            self.update_note = "no update phase: none of the optimizer's parameters is in this graph"
            return
        before = {p: (self.forward_value(p), optimizer.state_of(p)) for p in params}
        saved = None if apply else optimizer.state_dict()
        dates = stamps(params)  # a preview puts the values back, and with them their dates (engine.staleness)
        try:
            optimizer.step()
            name = type(optimizer).__name__
            for p in params:
                delta = optimizer.last_update(p)
                if delta is None:  # no gradient reached it: the optimizer left it alone
                    continue
                value, state = before[p]
                after = p._value.copy() if p._value.__class__ is np.ndarray else p._value
                step = len(self.events)
                self.update_step[self.position[p]] = step
                self.events.append(UpdateEvent(step, p, np.array(p.grad), value, after, state, optimizer.state_of(p),
                                               np.array(delta), name))
        finally:
            if saved is not None:
                for p in params:
                    _put_back(p, before[p][0])
                put_back(dates)
                optimizer.load_state_dict(saved)
        if len(self.events) == self.n_forward + self.n_backward:
            self.update_note = "no update phase: no parameter of the optimizer got a gradient"


def walk_order(nodes):
    """`nodes` (a topological order) with each leaf moved to just before its first consumer, so the forward walk
    feeds x, then fc1.W, then computes fc1's matmul, instead of feeding every parameter first. A leaf nothing
    consumes keeps its place."""
    consumed = set()
    for node in nodes:
        consumed.update(node.inputs)
    walk, fed = [], set()
    for node in nodes:
        if node.op_def is None:
            if node not in consumed:
                walk.append(node)
            continue
        for inp in node.inputs:
            if inp.op_def is None and inp not in fed:
                fed.add(inp)
                walk.append(inp)
        walk.append(node)
    return walk


def stopped_words(node):
    """'the backward pass stopped at sq2_4 (its VJP failed)'."""
    return f"the backward pass stopped at {node.name} (its VJP failed)"


def _put_back(param, value):
    """Give `param` its value from before the update (in place when it is an array, so views of it stay valid)."""
    if param._value.__class__ is np.ndarray and np.shape(value) == param._value.shape:
        np.copyto(param._value, value)
    else:
        param._value = value
