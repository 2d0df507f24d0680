"""When an unnamed model must take a name of its own: its layers would share scopes with another model's.

One model without a name records its layers as ``fc1``, ``relu1``, ... with no
scope around them, as one model usually is. A second unnamed
model in the same graph whose layers have the same names would merge with the
first in pictures, layer statistics and lookups; ``Module.__call__`` asks
``collides`` and then names it ('mlp_2').
"""
import weakref

#: Live unnamed modules called outside any scope -> the ids of the input leaves of their last call.
_UNSCOPED_CALLS = weakref.WeakKeyDictionary()


def collides(module, inputs):
    """True when an unnamed module's layers (or own parameters) would share scopes with another model's in a graph.

    That happens when one model without a name feeds another (``head(enc(x))`` with two MLPs, both with an fc1),
    or when two such models are called on the same input (``a(x) + b(x)``): recorded without a scope of their
    own, the two would merge in pictures, layer statistics and lookups. The same module applied again (shared
    weights) is no collision.
    """
    mine = layer_names(module)
    if not mine:
        return False
    own = {id(p) for p in module.parameters()}
    fed_by_another, leaves, seen = False, set(), set()
    todo = [t for t in inputs if hasattr(t, "inputs")]
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if id(t) in own:
            return False
        top = t.scope.split("/", 1)[0] if getattr(t, "scope", None) else None
        fed_by_another = fed_by_another or top in mine or (t.inputs == () and getattr(t, "_name", None) in mine)
        if t.inputs == () and getattr(t, "role", None) == "input":
            leaves.add(t.id)   # ids are never reused in a process
        todo.extend(t.inputs)
    if fed_by_another:
        return True
    for other, their_leaves in list(_UNSCOPED_CALLS.items()):
        if other is not module and other._name is None and their_leaves & leaves and layer_names(other) & mine \
                and not superseded(other, module):
            return True
    _UNSCOPED_CALLS[module] = frozenset(leaves)
    return False


def layer_names(module):
    """The names an unnamed module's layers and parameters record under (its children's scopes, its own params)."""
    return {c.name for c in module._children if c.name is not None} | set(module._params)


def superseded(old, new):
    """True when module `new` replaces `old`: the same line of an IPython cell made both, in two runs of the cell.

    Running a cell again makes its models anew while the old ones live on (in ``Out``, ``_``): the new ones take
    the old ones' names and record as they did, so a cell gives the same names however often it runs. An old one
    called again after that (kept in a list beside the new one) takes a name of its own first (Module.__call__),
    so two layers in one graph never share a name.
    """
    a, b = old.__dict__.get("_made_at"), new.__dict__.get("_made_at")
    return a is not None and b is not None and a[0] == b[0] and a[1] is not None and b[1] is not None \
        and a[1] < b[1]
