"""Values computed before a leaf changed: a backward pass through them would mix old activations with new weights.

An optimizer's step, ``leaf.value = ...`` and the loaders that write parameters in place (``load_state_dict``, a
checkpoint) change a leaf; the op nodes computed from it keep their old values until the graph runs again
(``graph.run()``) or the model is called again. PyTorch refuses a backward through such values (its version
counters); so does graphscope. ``changed(leaves)`` stamps each leaf with the clock (how many changes so far) and
the id the next recorded node will get; a recomputation stamps its node with the clock (``node._computed``), a
recorded node is dated by its id. ``refuse_stale(uses, root)`` looks at each use of a leaf by an op node of the
backward pass (``leaf_uses``) and refuses one computed before the leaf last changed. Nothing is looked at until a
leaf has changed in this process. Code that puts old values back (a preview, a check) puts their stamps back too
(``stamps`` / ``put_back``).
"""
from . import source as _source
from .errors import BackwardError

#: How many leaf changes this process made; 0 keeps backward() from looking (the common case of one pass).
CLOCK = [0]
#: The function giving the id the next recorded node gets (graphscope.engine.tensor.next_id, set there).
NEXT_ID = [None]


#: The id the next recorded node got when a leaf last changed: a node recorded with this id or a later one
#: was computed after every change.
LATEST = [0]


def changed(leaves):
    """Note that `leaves` changed now: values computed from them before are stale."""
    CLOCK[0] += 1
    stamp = (CLOCK[0], NEXT_ID[0]())
    LATEST[0] = stamp[1]
    for leaf in leaves:
        leaf._changed = stamp


def stamps(nodes):
    """The nodes' stamps, to put back with the values they date (``put_back``)."""
    return [(n, getattr(n, "_changed", None), getattr(n, "_computed", None)) for n in nodes]


def put_back(saved):
    """Give each node the stamps ``stamps`` took: old values put back are as current as they were."""
    for n, when_changed, when_computed in saved:
        n._changed = when_changed
        n._computed = when_computed


def leaf_uses(order):
    """(op node, leaf input) for each use of a leaf by an op node of `order`."""
    return [(n, i) for n in order if n.op_def is not None for i in n.inputs if i.op_def is None]


def _stale(node, leaf):
    tick, next_id = leaf._changed
    computed = getattr(node, "_computed", None)
    return computed < tick if computed is not None else node.id < next_id


def refuse_stale(uses, root):
    """A BackwardError naming the first op node of `uses` ((node, leaf) pairs) computed from a leaf's value older
    than the leaf's current one, and how to compute the values again; nothing when every value is current."""
    for node, leaf in uses:
        if getattr(leaf, "_changed", None) is not None and _stale(node, leaf):
            raise BackwardError(
                f"backward() from {root.name}: {leaf.name} changed (an optimizer step or a new .value) after "
                f"{node.name} was computed from it, so the gradients would mix old values with the new "
                f"{leaf.name}; compute the forward pass again first (graph.run(), or call the model again), "
                f"then backward()\n  at {_source.caller_location()}")
