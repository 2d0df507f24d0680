"""Guards: the truths that steered Python while a graph was recorded, replayed with it.

``if s > 0:``, ``max(x, 0.0)``, ``while (x > 1).any():`` and ``if a - b:`` call
``bool()`` on a tensor. Python then takes a branch that replay cannot take again,
and the node that steered it is usually not an ancestor of the output, so it is
not in the graph. ``bool()`` therefore notes a *decision*: how to compute that
truth again (the comparison, or ``x != 0`` for any other tensor), with the
answer Python used. ``Graph(output)`` turns every decision whose inputs it holds
into a guard node (a copy of the comparison with the attribute ``decided``,
plus any intermediate nodes it needs that are not in the graph), and replay
(``graph.run``, the trainer, ``graph.step_forward``) recomputes the guards after
their inputs: an answer that differs raises a StaleBranchError instead of
silently reusing the branch recorded for other values.

A comparison with a tensor the graph may not hold (``x > thr``, thr made with
gs.tensor and used nowhere else) keeps that tensor by value, as it keeps
constants. Numbers Python read from a tensor (``len(x)``, ``int(t)``, ``for
row in x``) get guards of their own (``note_guard``, an ``unchanged`` node:
see ``graphscope.engine.reads``), kept only on the nodes that show the
number went into the graph (the constant made from it, the rows).

A decision is kept on the nodes it reads (their ``_guards`` slot) and holds no
tensor, so it forms no reference cycle and is freed with them. Guards are not
part of the computation: ``graph.nodes`` (the tape, the stepper, pictures,
gradients) never lists them; ``graph.guards`` does, and ``graph.program`` is
what replay runs: the nodes with the guards in their place.
"""
from .compute import compute
from .optable import OPS
from .source import saved_source

#: How many intermediate nodes above the decided one a decision describes (for ``if (x * w).sum() > 0:``,
#: whose sum is in no graph); a guard needing more than that from outside the graph is not made.
CHAIN_LIMIT = 8
#: How many decisions one node keeps (the latest): a parameter read by an `if` in every step of a loop does
#: not pile them up.
KEPT_PER_NODE = 16
#: The engine's leaf maker (graphscope.engine.tensor.new_leaf, set there: the tensor module imports this one).
NEW_LEAF = [None]
#: True once any decision was noted in this process: until then Graph() does not look for them.
NOTED = [False]


class _Step:
    """How to recompute one node of a decision: its op, attributes and inputs (graph ids, or _Const)."""

    __slots__ = ("key", "op", "attrs", "inputs", "name", "scope", "code", "line")

    def __init__(self, key, op, attrs, inputs, name, scope, code, line):
        self.key, self.op, self.attrs, self.inputs = key, op, attrs, inputs
        self.name, self.scope, self.code, self.line = name, scope, code, line

    def __reduce__(self):  # pickled with the tensors that keep it: the code object as file and function names
        return _Step, (self.key, self.op, self.attrs, self.inputs, self.name, self.scope, saved_source(self.code),
                       self.line)


class _Const:
    """A constant input of a decision (``0.0`` in ``x > 0.0``), kept by value."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def note_decision(node, answer, stamp):
    """Remember that bool(`node`) answered `answer` and Python acted on it (called by Tensor.__bool__).

    `stamp` is a fresh node id, when it happened: only a graph whose output was made after it holds its guard
    (``if loss < best:`` after the forward pass steered nothing in that graph).
    """
    op = node.op_def
    if op is not None and op.boolean:
        attrs = {**node.attrs, "decided": answer}
        guard = _Step(node.id, op, attrs, tuple(i.id for i in node.inputs), node._name, node.scope,
                      node._code, node._line)
        sources = node.inputs
    else:  # `if a - b:` is `if (a - b) != 0:`
        guard = _Step(node.id + 0.5, OPS["not_equal"], {"decided": answer}, (node.id, _Const(0.0)),
                      f"bool({node.name})", node.scope, node._code, node._line)
        sources = (node,)
    steps, leaves, hung = _describe(sources, direct=True)
    steps.append(guard)
    decision = (tuple(steps), leaves, stamp)
    for n in hung:
        held = getattr(n, "_guards", None)
        if held is None:
            n._guards = held = {}
        held.pop(guard.key, None)
        held[guard.key] = decision
        if len(held) > KEPT_PER_NODE:
            del held[next(iter(held))]
    NOTED[0] = True


def note_guard(step, sources):
    """A decision made by graphscope itself (not by bool()): `step` computes a guard from `sources` (its inputs,
    described as a decision's are). Kept by ``hang`` on the nodes that show it matters, so that a graph holds it
    when it holds one of them (the constant a number read from a tensor became, the rows of ``for row in x``)."""
    steps, leaves, _ = _describe(sources)
    steps.append(step)
    NOTED[0] = True
    return tuple(steps), leaves, step.key


def hang(decision, key, nodes):
    """Keep `decision` (from note_guard) under `key` on each of `nodes`."""
    for n in nodes:
        held = getattr(n, "_guards", None)
        if held is None:
            n._guards = held = {}
        held[key] = decision


def keep(guard_nodes):
    """Note given guard nodes (a loaded graph's) as decisions, made when they were."""
    for g in guard_nodes:
        note_decision(g, g.attrs["decided"], g.id)


def _describe(sources, direct=False):
    """Steps for the op nodes above `sources` (up to CHAIN_LIMIT, inputs first), constants by value, and the
    nodes to keep the decision on (every node it describes or reads).

    ``direct=True`` keeps by value the leaves among `sources` too: the tensor a comparison compares with
    (``x > thr``, thr made with gs.tensor or gs.param and used nowhere else) is then one the graph may not hold.
    """
    steps, leaves, hung, seen = {}, {}, [], set()
    todo = list(sources)
    by_value = {n.id for n in sources if n.op_def is None} if direct else ()
    while todo:
        n = todo.pop()
        if n.id in seen:
            continue
        seen.add(n.id)
        hung.append(n)
        if n.op_def is None:
            if n.role == "const" or n.id in by_value:
                leaves[n.id] = _Const(n._value)
            continue
        if len(steps) >= CHAIN_LIMIT:
            continue
        steps[n.id] = _Step(n.id, n.op_def, n.attrs, tuple(i.id for i in n.inputs), n._name, n.scope,
                            n._code, n._line)
        todo.extend(n.inputs)
    return [steps[k] for k in sorted(steps)], leaves, hung


def collect(nodes):
    """The guards for a graph of `nodes`: ``[(order key, node)]`` for every guard node and intermediate node
    to add, inputs first."""
    if not NOTED[0]:
        return []
    decisions = {}
    for n in nodes:
        held = getattr(n, "_guards", None)
        if held:
            decisions.update(held)
    if not decisions:
        return []
    by_id = {n.id: n for n in nodes}
    newest = max(by_id)
    made = []
    for key in sorted(decisions):
        steps, leaves, stamp = decisions[key]
        if key in by_id or stamp > newest:  # checked as a node of the graph; or decided after it was made
            continue
        made.extend(_materialize(steps, leaves, by_id))
    return made


def _make_node(step, inputs):
    """A node for `step` on `inputs` (a constant leaf holding `inputs` when step is None), or None when the
    current values do not fit; its value is computed without the decided check (replay checks it)."""
    new_leaf = NEW_LEAF[0]
    if step is None:
        return new_leaf(inputs, False, None, "const", None)
    attrs = {k: v for k, v in step.attrs.items() if k != "decided"}
    try:
        value = compute(step.op, [i._value for i in inputs], attrs)
    except Exception:  # the current values no longer fit the recorded ops (a leaf given another shape)
        return None
    node = new_leaf(value, False, step.name, None, None)
    node.op_def, node.inputs, node.attrs = step.op, tuple(inputs), step.attrs
    node.scope, node._code, node._line = step.scope, step.code, step.line
    return node


def _materialize(steps, leaves, by_id, make_node=_make_node):
    """Nodes for one decision's steps, or [] when an input is neither in the graph nor described."""
    local = {}
    out = []

    def resolve(ref, key):
        if ref.__class__ is _Const:
            node = make_node(None, ref.value)
        else:
            node = by_id.get(ref)
            if node is None:
                node = local.get(ref)
            if node is not None or ref not in leaves:
                return node
            node = make_node(None, leaves[ref].value)
        out.append((key, node))  # a constant: listed before the node reading it (graph files save it)
        return node

    for step in steps:
        if step.key in by_id:
            continue
        inputs = [resolve(r, step.key) for r in step.inputs]
        if any(i is None for i in inputs):
            return []
        node = make_node(step, inputs)
        if node is None:
            return []
        local[step.key] = node
        out.append((step.key, node))
    return out


def chain_of(guards, nodes):
    """``[(order key, node)]`` for given guard nodes (a loaded graph's) and the ancestors they need that are
    not among `nodes`, inputs first."""
    inside = {n.id for n in nodes}
    seen = {}
    todo = list(guards)
    while todo:
        n = todo.pop()
        if n.id in inside or n.id in seen:
            continue
        seen[n.id] = n
        todo.extend(n.inputs)
    return [(k, seen[k]) for k in sorted(seen)]


def interleave(nodes, extra):
    """`nodes` (topological) with the `extra` (key, node) pairs placed after the nodes whose ids are below
    their keys (an extra node's key is the id of the node it copies, so its inputs come first)."""
    if not extra:
        return nodes
    extra = sorted(extra, key=lambda pair: pair[0])
    out, k = [], 0
    for n in nodes:
        while k < len(extra) and extra[k][0] < n.id:
            out.append(extra[k][1])
            k += 1
        out.append(n)
    out.extend(node for _, node in extra[k:])
    return out
