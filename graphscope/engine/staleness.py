"""Values computed before a leaf changed: a backward pass through them would mix old activations with new weights.

An optimizer's step and ``leaf.value = ...`` change a leaf in place; the op nodes computed from it keep their old
values until the graph runs again (``graph.run()``) or the model is called again. PyTorch refuses a backward
through such values (its version counters); so does graphscope. ``changed(leaves)`` stamps each leaf with the
clock (how many changes so far) and the id the next recorded node will get; a recomputation stamps its node with
the clock (``computed``), a recorded node is dated by its id. ``refuse_stale(order, root)`` finds an op node of a
backward pass computed before one of its leaf inputs last changed. Nothing is looked at until a leaf has changed.
"""
from .errors import BackwardError
from . import source as _source

#: How many leaf changes this process made; 0 keeps backward() from looking (the common case of one pass).
CLOCK = [0]


def changed(leaves, next_id):
    """Note that `leaves` changed in place now (`next_id`: the id the next recorded node gets)."""
    CLOCK[0] += 1
    stamp = (CLOCK[0], next_id)
    for leaf in leaves:
        leaf._changed = stamp


def _stale(node, leaf):
    tick, next_id = leaf._changed
    computed = getattr(node, "_computed", None)
    return computed < tick if computed is not None else node.id < next_id


def refuse_stale(order, root):
    """A BackwardError naming the first op node of `order` computed from a leaf's value older than the leaf's
    current one, and how to compute the values again; nothing when every value is current."""
    for node in order:
        if node.op_def is None:
            continue
        for leaf in node.inputs:
            if leaf.op_def is None and getattr(leaf, "_changed", None) is not None and _stale(node, leaf):
                raise BackwardError(
                    f"backward() from {root.name}: {leaf.name} changed (an optimizer step or a new .value) after "
                    f"{node.name} was computed from it, so the gradients would mix old values with the new "
                    f"{leaf.name}; compute the forward pass again first (graph.run(), or call the model again), "
                    f"then backward()\n  at {_source.caller_location()}")
