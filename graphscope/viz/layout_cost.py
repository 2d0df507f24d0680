"""Whether a view would take Graphviz's `dot` too long with its careful settings (then it gets the cheaper ones).

Each rank an edge crosses is a node to dot's crossing minimisation and network simplex, so the cost grows
with the ranks the edges cross in all, not with the items alone: a value used at every step of a long chain
(150 nodes) took dot minutes with the careful settings and a second with the cheaper ones.
"""
import graphlib

#: Views whose edges cross more ranks than this in all get the cheaper layout settings (theme.CHEAP_LAYOUT).
LARGE_SPAN = 2000


def costly_layout(view):
    """True when the view's edges cross more than LARGE_SPAN ranks in all (rank_span)."""
    return rank_span(view) > LARGE_SPAN


def rank_span(view):
    """How many ranks the view's edges cross in all, as dot would rank it: each item one rank after its latest
    input, and an item with no inputs just before its first consumer (dot keeps edges short). In a view whose
    items feed each other in a cycle (the cards of a rolled loop: calls.roll), the edges running back to an earlier
    item are left out."""
    try:
        return _span(view, view.edges)
    except graphlib.CycleError:
        order = {item.key: k for k, item in enumerate(view.items)}
        return _span(view, [e for e in view.edges if order[e.src.key] < order[e.dst.key]])


def _span(view, edges):
    into, out = {}, {}
    for edge in edges:
        into.setdefault(edge.dst.key, set()).add(edge.src.key)
        out.setdefault(edge.src.key, set()).add(edge.dst.key)
    rank = {}
    for key in graphlib.TopologicalSorter({item.key: into.get(item.key, ()) for item in view.items}).static_order():
        rank[key] = 1 + max((rank[k] for k in into.get(key, ())), default=-1)
    for key, consumers in out.items():
        if key not in into:
            rank[key] = min(rank[k] for k in consumers) - 1
    return sum(rank[e.dst.key] - rank[e.src.key] for e in edges)
