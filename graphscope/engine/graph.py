"""The recorded graph: one object shared by the stepper, the exporters and the trainer.

It is also a program: ``graph.run(feeds)`` recomputes every node on new leaf
values (see ``graphscope.engine.replay`` for what replay can and cannot
change), ``graph.step_forward(k)`` computes one node, and ``graph.backward()``
recomputes the gradients.

``graph.save(path)`` and ``gs.load_graph(path)`` come from the layer above
(``graphscope.interop.graphfile``, which adds ``save`` when graphscope is
imported): the engine itself never touches files.
"""
import numpy as np

from . import guards as _guards, replay as _replay
from .nonfinite import find_nonfinite as _find_nonfinite
from .backward import backward as _backward, clear_gradients, topo_order
from .errors import GraphscopeError, InputError, NotFoundError, PositionError, ShapeError
from .formatting import call_text, format_table, summarize_value
from .source import display_location
from .staleness import CLOCK as _STALENESS_CLOCK, leaf_uses
from .values import is_tensor


class Graph:
    """All nodes an output depends on, in topological (creation) order.

    ``graph[name_or_id]`` finds a node; ``inputs``/``consumers`` walk edges;
    ``print(graph)`` shows the tape, one line a node.
    """

    def __init__(self, output, guards=None):
        """The graph ending at `output` (a tensor or a list of them).

        ``guards``: the guard nodes to replay with it (what a graph file saved); by default every truth that
        steered Python while the graph was recorded and that its nodes determine (see
        ``graphscope.engine.guards``): ``graph.guards``. ``graph.program`` is what replay runs: the nodes with
        the guards in their place.
        """
        outputs = tuple(output) if isinstance(output, (list, tuple)) else (output,)
        for out in outputs:
            if not is_tensor(out):
                raise InputError(f"Graph(output): expected a graphscope tensor (or a list of them), "
                                 f"got {type(out).__name__}")
        if not outputs:
            raise InputError("Graph(output): expected a graphscope tensor, got an empty list")
        self.outputs = outputs
        self.nodes = topo_order(outputs)
        if guards is None:
            extra = _guards.collect(self.nodes)
        else:
            extra = _guards.chain_of(guards, self.nodes)
            _guards.keep(guards)  # a graph made later from these nodes (Graph(loaded.output)) holds them too
        self.guards = [node for _, node in extra if node.op_def is not None and "decided" in node.attrs]
        self.program = _guards.interleave(self.nodes, extra)
        # each leaf's shape as the graph was made, and each array attribute's (keyed (id, name): a loss's labels):
        # what a feed is checked against and replay's messages quote (a leaf or the labels may hold a batch put
        # there directly, as the trainer's fast path does, when a feed then fails)
        self.recorded_shapes = {n.id: n.shape for n in self.nodes if n.op_def is None}
        self.recorded_shapes.update({(n.id, k): v.shape for n in self.nodes if n.op_def is not None
                                     for k, v in n.attrs.items() if isinstance(v, np.ndarray)})
        self._consumers = None
        self._leaf_uses = None  # (op node, leaf) pairs, found at the first backward after a leaf changed
        self._by_id = None
        self._positions = None
        self._program_positions = None

    @property
    def output(self):
        return self.outputs[0]

    def __len__(self):
        return len(self.nodes)

    def __iter__(self):
        return iter(self.nodes)

    def __contains__(self, node):
        return self._index().get(getattr(node, "id", None)) is node

    # ---------------------------------------------------------------- lookup
    def _index(self):
        if self._by_id is None:
            self._by_id = {n.id: n for n in self.nodes}
        return self._by_id

    def node(self, key):
        """A node by id (int, or '%12' as print(graph) shows it), by name ('W'), by scope path ('block3/W',
        'net/block3/W': the end of the node's full path suffices when it is unique), or the node itself.

        A name several nodes share is refused with the paths that tell them apart.
        """
        if is_tensor(key):
            if key not in self:
                raise NotFoundError(f"{key.name} is not in this graph")
            return key
        if isinstance(key, (int, np.integer)):
            try:
                return self._index()[int(key)]
            except KeyError:
                raise NotFoundError(f"no node with id {key} in this graph") from None
        text = str(key)
        matches = [n for n in self.nodes if n.name == text]
        if not matches and "/" in text:
            matches = [n for n in self.nodes if _ends_with_path(scope_path(n), text)]
        exact = [n for n in matches if scope_path(n) == text]  # a full path wins over the end of a longer one
        if len(exact) == 1:
            return exact[0]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise NotFoundError(self._ambiguous(text, matches))
        if text.startswith("%") and text[1:].isdigit():
            return self.node(int(text[1:]))
        from .words import did_you_mean
        names = {scope_path(n) for n in self.nodes} if "/" in text else {n.name for n in self.nodes}
        raise NotFoundError(f"no node named {text!r} in this graph{did_you_mean(text, names)}")

    def _ambiguous(self, text, matches):
        """'10 nodes are named 'W': block1/W, block2/W, ...; say which' (ids where even the paths are shared)."""
        what = "are named" if "/" not in text else "have the path"
        keys = [self.key_of(n) for n in matches]
        shown = ", ".join(keys[:AMBIGUOUS_SHOWN]) + (f" and {len(keys) - AMBIGUOUS_SHOWN} more"
                                                      if len(keys) > AMBIGUOUS_SHOWN else "")
        by_id = any(k.startswith("%") for k in keys)
        return (f"{len(matches)} nodes {what} {text!r}: {shown}; say which"
                + (" (by id, %N, where even the scope paths are the same)" if by_id else ""))

    def key_of(self, node):
        """The shortest text ``graph.node`` finds `node` by: its name when no other node has it, else the
        shortest end of its scope path that no other node's path ends with ('block3/W'), else its id ('%12')."""
        node = self.node(node)
        path = scope_path(node)
        others = [scope_path(n) for n in self.nodes if n is not node and n.name == node.name]
        if not others:
            return node.name
        parts = path.split("/")
        for k in range(2, len(parts) + 1):
            key = "/".join(parts[-k:])
            if not any(_ends_with_path(other, key) for other in others):
                return key
        return f"%{node.id}"

    __getitem__ = node

    def position(self, key):
        """Index of a node in topological order."""
        node = self.node(key)
        if self._positions is None:
            self._positions = {n.id: k for k, n in enumerate(self.nodes)}
        return self._positions[node.id]

    def inputs(self, key):
        return list(self.node(key).inputs)

    def consumers(self, key):
        """Nodes that take `key` as an input (each once, in topological order)."""
        if self._consumers is None:
            cons = {n.id: [] for n in self.nodes}
            for n in self.nodes:
                for i in dict.fromkeys(n.inputs):
                    cons[i.id].append(n)
            self._consumers = cons
        return list(self._consumers[self.node(key).id])

    @property
    def leaves(self):
        return [n for n in self.nodes if n.op_def is None]

    @property
    def params(self):
        """Leaves made with gs.param (what an optimizer updates)."""
        return [n for n in self.nodes if n.op_def is None and n.role == "param"]

    @property
    def ops(self):
        return [n for n in self.nodes if n.op_def is not None]

    # ---------------------------------------------------------------- replay
    def feed(self, feeds):
        """Set leaf values (and attributes) without recomputing anything; see ``run`` for the keys."""
        _replay.apply_feeds(_replay.resolve_feeds(self, feeds))

    def run(self, feeds=None, affected_only=False):
        """Recompute every node, in order, on new leaf values; return the (first) output's value.

        ``feeds`` maps a leaf (the tensor, its name or its id) to its new value,
        and ``(node, "attribute")`` to a new attribute value (e.g. a loss's
        ``labels`` for a new batch). A fed value keeps its own dtype, as with
        ``leaf.value = ...``. Sizes no op fixes, such as the batch axis, may
        change. The ops run as recorded: Python control flow that depended
        on the data when the graph was built is not re-decided, and a feed that
        does not fit an op raises a ShapeError naming the node, op, shapes,
        where the node was made and what was fed. A truth that steered Python
        while the graph was recorded (``if x > 0:``, ``max(x, 0.0)``) is
        checked again (``graph.guards``): a new answer raises a
        StaleBranchError. After any error the graph is put back as it was
        before the call.

        ``affected_only=True`` recomputes only the nodes that depend on the fed
        leaves (what editing one leaf needs). Op nodes' gradients are cleared
        (they belonged to the old values); leaf gradients are kept, as leaf
        gradients accumulate (see ``graphscope.engine.backward``). Call
        ``backward()`` afterwards for the new gradients.
        """
        resolved = _replay.resolve_feeds(self, feeds)
        _replay.apply_feeds(resolved)
        nodes = self.program
        if affected_only:
            nodes = _replay.downstream(nodes, [f.node for f in resolved])
        clear_gradients(self.nodes)
        attrs = [(n, n.attrs) for n in nodes if n.op_def is not None and n.op_def.refresh is not None]
        try:
            _replay.replay(nodes, refresh=True)
        except GraphscopeError as exc:
            __tracebackhide__ = True   # IPython and pytest show the user's call and the error, not this frame
            # put the graph back as it was: old feeds and attributes, values recomputed from them
            _replay.apply_feeds(resolved, undo=True)
            for n, old in attrs:
                n.attrs = old
            try:
                _replay.replay(nodes, observed=False)
            except GraphscopeError:
                pass
            if isinstance(exc, ShapeError):
                raise _replay.explain_replay_error(exc, resolved) from None
            raise
        return self.output._value

    def step_forward(self, k):
        """Compute only the node at topological position `k` from its inputs' current values; return it.

        What the stepper calls once per forward step: after ``step_forward(0)``
        ... ``step_forward(len(graph) - 1)`` every node holds its recomputed
        value, exactly as ``run()`` leaves them. Leaves keep their values.
        """
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
            raise GraphscopeError(f"step_forward(k): k is a position 0..{len(self.nodes) - 1}, "
                                  f"got {type(k).__name__} (use graph.position(node) for a node)")
        if not -len(self.nodes) <= k < len(self.nodes):
            raise PositionError(f"step_forward({k}): the graph has {len(self.nodes)} nodes (positions 0..{len(self.nodes) - 1})")
        node = self.nodes[k]
        _replay.recompute(node)
        if self.guards:
            self._check_guards_after(node)
        return node

    def _check_guards_after(self, node):
        """Recompute the guard nodes that come right after `node` in the program (stepping checks them too)."""
        program = self.program
        if self._program_positions is None:
            self._program_positions = {n.id: k for k, n in enumerate(program)}
        k = self._program_positions[node.id] + 1
        while k < len(program) and program[k].id not in self._index():
            _replay.recompute(program[k])
            k += 1

    def downstream(self, keys):
        """The nodes that are `keys` or depend on one of them, in topological order."""
        if not isinstance(keys, (list, tuple, set)):
            keys = (keys,)
        return _replay.downstream(self.nodes, [self.node(k) for k in keys])

    # ---------------------------------------------------------------- debugging
    def find_nonfinite(self):
        """Where the first NaN/inf was born (a ``NonFinite`` record: node, phase, reason), or None.

        Forward values are searched first (the first node whose value is
        non-finite while its inputs are finite), then gradients (the first node
        in backward order whose VJP made a non-finite contribution from a
        finite upstream). See ``graphscope.engine.nonfinite``.
        """
        return _find_nonfinite(self.nodes)

    # ---------------------------------------------------------------- gradients
    def backward(self, grad=None):
        """Backpropagate from the (first) output; see graphscope.engine.backward."""
        uses = None
        if _STALENESS_CLOCK[0]:
            if self._leaf_uses is None:
                self._leaf_uses = leaf_uses(self.nodes)
            uses = self._leaf_uses
        _backward(self.output, grad, order=self.nodes, uses=uses)

    def zero_grad(self):
        """Clear every node's gradient (parameters included)."""
        for n in self.nodes:
            n.grad = None

    # ---------------------------------------------------------------- export
    def to_networkx(self):
        """A networkx.MultiDiGraph: node id -> attributes; one edge per input slot."""
        import networkx as nx
        g = nx.MultiDiGraph()
        for n in self.nodes:
            g.add_node(n.id, name=n.name, op=n.op, shape=n.shape, dtype=str(n.dtype),
                       scope=n.scope, source=n.source, role=n.role, node=n)
        for n in self.nodes:
            for slot, i in enumerate(n.inputs):
                g.add_edge(i.id, n.id, slot=slot, shape=i.shape)
        return g

    def summary(self):
        """The tape as text: one line a node (id, name, op(inputs) or a leaf's role, shape, value, grad, source)."""
        rows = []
        for n in self.nodes:
            call = n.role if n.op_def is None else call_text(n)  # input / param / const, as the pictures say
            grad = "-" if n.grad is None else summarize_value(n.grad)
            scope = f" [{n.scope}]" if n.scope else ""
            rows.append((f"%{n.id}", n.name, call, str(n.shape), summarize_value(n._value), grad,
                         f"{display_location(n.source)}{scope}"))
        return format_table(("id", "name", "op", "shape", "value", "grad", "source"), rows)

    __str__ = summary

    def __repr__(self):
        return f"<Graph: {len(self.nodes)} nodes, output {self.output.name} {self.output.shape}>"


#: How many nodes a message about a shared name lists before '... and N more'.
AMBIGUOUS_SHOWN = 12


def scope_path(node):
    """'block3/W': a node's module scope and name (just the name at the top level), as pictures show it."""
    return f"{node.scope}/{node.name}" if node.scope else node.name


def _ends_with_path(path, key):
    """True when `key` is `path` or its end at a '/' ('block3/W' ends 'net/block3/W', not 'net/xblock3/W')."""
    return path == key or path.endswith("/" + key)


def require_graph(x):
    """Accept a Graph or an output tensor."""
    if isinstance(x, Graph):
        return x
    if is_tensor(x):
        return Graph(x)
    raise GraphscopeError(f"expected a graphscope Graph or tensor, got {type(x).__name__}")
