"""Replay: the recorded graph as a program, re-run node by node on new leaf values.

No Python-level model code runs again: each node's op is applied to its
inputs' current values, with the attributes it was recorded with. What was
decided in Python while the graph was built is baked in:

- data-dependent control flow (an ``if`` on a value, a loop whose length
  depends on the data) replays the branch taken when the graph was recorded;
  a truth that steered Python (``if x > 0:``, ``max(x, 0.0)``, ``while``,
  ``if a - b:``) is kept as a guard node (``graph.guards``, see
  ``graphscope.engine.guards``), and a replay whose values answer otherwise
  refuses with a StaleBranchError; tests of plain numbers (``x.item() > 0``)
  are not seen;
- attributes are fixed (a ``reshape`` to ``(128, 784)``, the labels of a
  loss, an index array) unless a feed replaces them
  (``feeds={(node, "labels"): y}``). Masks made by comparisons of tensors
  (``gs.where(x > 0, ...)``, ``x[x > 0]``) are nodes, recomputed.

Sizes no op fixes, typically the batch axis, may change freely. A feed whose
shape breaks an op raises a ShapeError naming the node, its op, the shapes,
where the node was made and what was fed.

Every recomputed node is shown to the forward observers in
``graphscope.engine.hooks`` (so ``detect_anomaly`` watches replays too).
"""
import numpy as np

from . import forward_warnings as _fw
from .compute import ForwardFailed, compute
from .errors import GraphscopeError, ShapeError, describe_shapes
from .hooks import FORWARD_HOOKS
from .values import as_value, is_tensor, shape_of
from .source import display_location
from .staleness import CLOCK as _CLOCK


def compute_for_node(op, node, vals, attrs):
    """The op's value for a recorded node on (new) raw values: failures name the node and where it was made."""
    try:
        return compute(op, vals, attrs)
    except GraphscopeError as exc:  # an op's own refusal (a stale branch, a bad index tensor): name the node
        __tracebackhide__ = True   # IPython and pytest show the user's line and the error, not this frame
        raise _with_node(exc, f"node {node.name} made at {display_location(node.source)}") from None
    except ForwardFailed as exc:
        __tracebackhide__ = True
        names = ", ".join(t.name for t in node.inputs)
        raise ShapeError(f"{op.name}: {exc} while replaying node {node.name}\n  inputs: {names}\n"
                         f"  shapes: {describe_shapes(vals)}\n  node made at {display_location(node.source)}") from None


def _with_node(exc, where):
    """`exc` again (same class) with `where` as a last line."""
    try:
        return type(exc)(f"{exc}\n  {where}")
    except TypeError:  # a subclass taking other arguments: keep it as it is
        return exc


def recompute(node, observed=True, refresh=False):
    """Compute one node's value again from its inputs' current values (leaves are left as they are).

    ``observed=False`` hides the recomputation from the forward observers (for
    internal replays, such as a gradient check's nudged evaluations).
    ``refresh=True`` (``graph.run``) first lets an op with a ``refresh`` hook
    replace the node's attributes (a fresh dropout mask); everything else
    recomputes exactly what was recorded, in the mode the node is in now (an op's ``settle``).
    """
    __tracebackhide__ = True   # a replay's refusal shows the user's call and the error, not the replay's frames
    op = node.op_def
    if op is None:
        return node._value
    vals = [i._value for i in node.inputs]
    if refresh and op.refresh is not None:
        attrs = op.refresh(node.attrs, *vals)
        if attrs is not None:
            node.attrs = attrs
    if op.settle is not None:  # a mode switched since the value was computed applies from now on
        attrs = op.settle(node.attrs)
        if attrs is not None:
            node.attrs = attrs
    value = node._value = compute_for_node(op, node, vals, node.attrs)
    node._computed = _CLOCK[0]
    if observed and FORWARD_HOOKS:
        for hook in FORWARD_HOOKS:
            hook(node)
    if (value - value != 0.0) if value.__class__ is float else _fw.NOTED.raised:  # at the line that made the node
        _fw.report(node)
    return value


def replay(nodes, observed=True, refresh=False):
    """Recompute every op node of `nodes` (given inputs before outputs) from the current leaf values."""
    __tracebackhide__ = True
    for node in nodes:
        if node.op_def is not None:
            recompute(node, observed, refresh)


def downstream(nodes, sources):
    """The nodes of `nodes` (topological order) that are in `sources` or depend on one of them."""
    hit = {id(s) for s in sources}
    out = []
    for node in nodes:
        if id(node) in hit:
            out.append(node)
            continue
        for i in node.inputs:
            if id(i) in hit:
                hit.add(id(node))
                out.append(node)
                break
    return out


class Feed:
    """One resolved feed: a leaf's new value, or a new value for one attribute of a node. `old` is what it
    replaces (put back by an undo); `recorded`, the shape its messages quote: a leaf's as its graph was made."""

    __slots__ = ("node", "attr", "value", "old", "recorded")

    def __init__(self, node, attr, value, recorded=None):
        self.node = node
        self.attr = attr
        self.value = value
        self.old = node._value if attr is None else node.attrs[attr]
        self.recorded = np.shape(self.old) if recorded is None else recorded

    def describe(self):
        what = self.node.name if self.attr is None else f"{self.node.name}.{self.attr}"
        return f"{what}: {np.shape(self.value)} (was {self.recorded})"


def resolve_feeds(graph, feeds):
    """Check `feeds` against the graph and convert the values; nothing is changed yet.

    Keys: a leaf (the tensor, its name or its id), or ``(node, attribute_name)``
    to replace an attribute such as a loss's ``labels``.
    """
    if feeds is None:
        return []
    if not hasattr(feeds, "items"):
        raise GraphscopeError(f"feeds must be a dict {{leaf or name: value}}, got {type(feeds).__name__}")
    resolved = []
    for key, value in feeds.items():
        if isinstance(key, tuple):
            resolved.append(_attr_feed(graph, key, value))
        else:
            resolved.append(_leaf_feed(graph, key, value))
    return resolved


def _lookup(graph, key):
    try:
        return graph.node(key)
    except KeyError as exc:
        raise GraphscopeError(f"feed: {exc.args[0]}") from None


def _leaf_feed(graph, key, value):
    node = _lookup(graph, key)
    if node.op_def is not None:
        raise GraphscopeError(f"feed: {node.name} is computed by op {node.op_def.name} (made at {display_location(node.source)}); "
                              f"only leaves (inputs, parameters, constants) can be fed")
    if is_tensor(value):
        value = value._value
    new = as_value(value, f"feed for {node.name}")
    old = node._value
    recorded = graph.recorded_shapes.get(node.id, shape_of(old))
    if len(shape_of(new)) != len(recorded):
        raise GraphscopeError(f"feed for {node.name}: shape {shape_of(new)} has {len(shape_of(new))} axes but "
                              f"{node.name} was recorded with shape {recorded}; a feed may change sizes "
                              f"(such as the batch axis), not the number of axes")
    if old.__class__ is not float and new.__class__ is not float and new.dtype != old.dtype:
        new = new.astype(old.dtype)  # the graph keeps the dtypes it was recorded with
    return Feed(node, None, new, recorded)


def _attr_feed(graph, key, value):
    if len(key) != 2 or not isinstance(key[1], str):
        raise GraphscopeError(f"feed: an attribute feed is keyed (node, 'attribute name'), got {key!r}")
    node = _lookup(graph, key[0])
    attr = key[1]
    if attr not in node.attrs:
        raise GraphscopeError(_missing_attribute(graph, node, attr))
    if is_tensor(value):
        value = value._value
    if hasattr(node.attrs[attr], "shape") and not hasattr(value, "shape"):
        value = np.asarray(value)
    return Feed(node, attr, value, graph.recorded_shapes.get((node.id, attr)))


def _missing_attribute(graph, node, attr):
    """Why (node, attr) cannot be fed, pointing at the nodes upstream that hold `attr` (a loss's labels under
    ``loss = ce + reg``) and the key to write."""
    where = f"feed: node {node.name} (op {node.op}) has no attribute {attr!r}"
    holders, seen, todo = [], set(), list(node.inputs)
    while todo:
        n = todo.pop()
        if n.id in seen:
            continue
        seen.add(n.id)
        if attr in n.attrs:
            holders.append(n)
        todo.extend(n.inputs)
    if not holders:
        known = ", ".join(sorted(node.attrs)) or "none"
        return f"{where}; its attributes: {known}"
    holders.sort(key=lambda n: n.id)
    named = ", ".join(f"{graph.key_of(n)} (op {n.op}, made at {display_location(n.source)})" for n in holders)
    first = graph.key_of(holders[0])
    return (f"{where}; {named}, which {node.name} depends on, {'holds' if len(holders) == 1 else 'hold'} it: "
            f"feed {{({first!r}, {attr!r}): ...}} (or key it by that tensor in place of its name)")


def apply_feeds(resolved, undo=False):
    """Set the fed leaf values and attributes (attribute dicts are replaced, never mutated).

    ``undo=True`` puts back what was there before.
    """
    for feed in (reversed(resolved) if undo else resolved):
        value = feed.old if undo else feed.value
        if feed.attr is None:
            feed.node._value = value
        else:
            feed.node.attrs = {**feed.node.attrs, feed.attr: value}


def explain_replay_error(exc, resolved):
    """A replay ShapeError with the feeds that led to it and a note on what replay cannot change."""
    if not resolved:
        return exc
    fed = "\n".join(f"    {f.describe()}" for f in resolved)
    return ShapeError(f"{exc}\n  fed:\n{fed}\n  replay runs the ops as recorded: a feed may change sizes no op fixes "
                      f"(such as the batch axis); anything else must be fed too (e.g. (node, 'labels')) or the "
                      f"graph built again")
