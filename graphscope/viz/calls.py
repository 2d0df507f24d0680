"""A scope entered many times (``with gs.scope("fc1")`` inside a Python loop) drawn as repeated calls, once.

Each entry into a scope is one *call*: a stretch of the graph's nodes in that scope with no op of another scope
between them. A scope called at least ``fold`` times is drawn as one card, "fc1 x 222 calls", and so is the rest
of the loop around it: the ops between one call and the next (colgram, sum, the running total's add) and the
inputs each pass makes (x0 ... x221) each become one card of their calls, matched pass by pass by their scope,
op, shape and order (as torchlens rolls a loop). What differs in one pass (an op only pass 111 runs) is drawn as
itself, so it stands out. Parallel edges between two cards merge into one, labelled with the count ("x 222").

A card shows the numbers of its last call (the one a layer table reads, ``graphscope check --layers``) and says
so, and a summary of every call's numbers (viz.summaries).
"""
import re
from dataclasses import dataclass, field

from . import view as view_module
from .view import BOX, FOLD, FOLD_MIN, MAX_ITEMS, NODE, Item, View, safe_name


@dataclass(eq=False)
class CallsItem(Item):
    """A card of repeated calls: `calls` holds each call's nodes (in order), `title` its name ('fc1', 'colgram',
    'x0 … x221'), `what` the kind of card ('scope', the op's name, 'input')."""

    calls: list = field(default_factory=list)
    title: str = ""
    what: str = ""

    @property
    def shown(self):
        """The call whose numbers the card shows: the last."""
        return self.calls[-1]


def is_calls(item):
    return isinstance(item, CallsItem)


@dataclass(eq=False)
class CallsEdge(view_module.Edge):
    """Parallel edges between two cards merged into one: the shown call's tensor and uses, and how many there are."""

    count: int = 1


def scope_calls(graph):
    """{scope: [[nodes of its first call], [of its second], ...]} for every scope: a new call starts when an op of
    another scope ran since the scope's last node."""
    calls, seen, ops = {}, {}, 0
    for node in graph.nodes:
        scope, prefixes = node.scope or "", []
        while scope:
            prefixes.append(scope)
            scope = scope.rpartition("/")[0]
        for p in prefixes:
            runs = calls.setdefault(p, [])
            if not runs or ops > seen[p]:
                runs.append([])
            runs[-1].append(node)
        if node.op_def is not None:
            ops += 1
        for p in prefixes:
            seen[p] = ops
    return calls


def repeated_scopes(graph, least):
    """{scope: its calls} for the outermost scopes called at least `least` times."""
    out = {}
    for scope, runs in sorted(scope_calls(graph).items(), key=lambda kv: (kv[0].count("/"), kv[0])):
        if len(runs) >= least and not any(scope.startswith(s + "/") for s in out):
            out[scope] = runs
    return out


#: A depth no scope reaches: a View built with it collapses nothing, and collapses nothing automatically.
UNLIMITED = 1 << 30


def calls_view(graph, depth=None, collapse=(), fold=FOLD_MIN, focus=None, around=None):
    """The viz.View a picture draws, its repeated calls rolled (roll) when `fold` allows (the fewest calls rolled):
    with neither `depth` nor `collapse` given, a graph whose loop rolls into at most view.MAX_ITEMS items is drawn
    with every other scope open, rather than collapsed automatically."""
    least = max(fold, 2) if fold else 0
    if around is None and least and depth is None and not collapse and repeated_scopes(graph, least):
        view = View(graph, depth=UNLIMITED, fold=fold)
        if roll(view, least) and len(view.items) <= MAX_ITEMS:
            return view
    view = View(graph, depth=depth, collapse=collapse, fold=fold, focus=focus, around=around)
    if least:
        roll(view, least)
    return view


def roll(view, least):
    """`view` (a viz.View) with every scope called at least `least` times, and the loop around it, drawn as cards of
    repeated calls (CallsItem), and the inputs made one per block of a folded run as one card; True when anything
    was rolled. A neighbourhood view, and a repeated scope the view folds into something else, stay as they are."""
    if view.neighbourhood is not None or least < 2:
        return False
    repeated = repeated_scopes(view.graph, least)
    inside = {node: scope for scope, runs in repeated.items() for run in runs for node in run}
    if any(view.item_of[node].kind == FOLD for node in inside):
        repeated, inside = {}, {}
    if repeated:
        _regroup(view, _loop_groups(view.graph, repeated, inside, least), repeated)
    inputs = _fold_inputs(view, least)
    if inputs:
        _regroup(view, inputs, repeated)
    if not (repeated or inputs):
        return False
    rolled = [i for i in view.items if is_calls(i) and i.what == "scope"]
    if rolled:
        names = ", ".join(f"{i.title} ({len(i.calls)} calls)" for i in rolled)
        view.note = (f"{len(view.graph.nodes):,} nodes: {names} and the loop around "
                     f"{'it' if len(rolled) == 1 else 'them'} drawn once, each card showing its last call "
                     f"(--no-fold draws every call)")
    view.depth = None
    return True


def _regroup(view, groups, repeated):
    """Rebuild `view`'s items and edges with the nodes of `groups` ({node: key}) in one CallsItem per key."""
    items, item_of, made = [], {}, {}
    for node in view.graph.nodes:
        key = groups.get(node)
        if key is None:
            item = view.item_of[node]
            if item.kind != NODE and not is_calls(item):
                if item.key not in made:  # a box keeps only what is not rolled
                    made[item.key] = _trimmed(item)
                    items.append(made[item.key])
                item = made[item.key]
                item.nodes.append(node)
            elif item.key not in made:
                made[item.key] = item
                items.append(item)
        else:
            item = made.get(key)
            if item is None:
                item = made[key] = _calls_item(key, groups, repeated)
                items.append(item)
            item.nodes.append(node)
        item_of[node] = item
    items = [item for item in items if item.nodes]
    for item in items:
        item.inputs, item.outputs = [], []
    view.items, view.item_of = items, item_of
    view.edges = _merged(view_module._edges(view.graph, items, item_of))
    view._ports(items)
    for item in items:
        if is_calls(item):
            made_ids = {id(n) for n in item.shown}
            used = {id(i) for n in item.shown for i in n.inputs}
            item.outputs.sort(key=lambda t: id(t) not in made_ids)
            item.inputs.sort(key=lambda t: id(t) not in used)


def _fold_inputs(view, least):
    """{leaf: key} for the inputs and constants (no gradient) made one for each block of a folded run: at least
    `least` of one role, shape and scope, each read by that fold alone."""
    readers = {}
    for node in view.graph.nodes:
        for inp in node.inputs:
            readers.setdefault(inp, set()).add(view.item_of[node].key)
    kinds = {item.key: item.kind for item in view.items}
    found = {}
    for item in view.items:
        node = item.node
        if item.kind != NODE or node.op_def is not None or node.inputs or node.requires_grad:
            continue
        read_by = readers.get(node, set())
        if len(read_by) != 1 or kinds[next(iter(read_by))] != FOLD:
            continue
        key = ("leaf", node.role, node.shape, str(node.dtype), node.scope or "", next(iter(read_by)))
        found.setdefault(key, []).append(node)
    return {n: key for key, nodes in found.items() if len(nodes) >= least for n in nodes}


def _trimmed(item):
    """An empty copy of a box, filled again with its nodes that are not rolled."""
    return Item(item.key, item.kind, [], item.parent_scope, item.scopes, item.period)


def _loop_groups(graph, repeated, inside, least):
    """{node: group key} for the nodes drawn in a card of repeated calls: the repeated scopes' nodes (key: the
    scope), and each op between calls of the scope called most, matched pass by pass by (scope, op, shape, dtype,
    how many alike came before it in its pass), with the inputs made for one pass only."""
    index = {node: i for i, node in enumerate(graph.nodes)}
    driver = max(repeated, key=lambda s: (len(repeated[s]), -index[repeated[s][0][0]]))
    starts = [index[next((n for n in run if n.op_def is not None), run[0])] for run in repeated[driver]]
    groups = {node: ("scope", scope) for node, scope in inside.items()}
    members, pass_of = {}, {}
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else len(graph.nodes)
        seen, earlier = {}, {key for key, _ in members.items()} if k + 1 == len(starts) else None
        for node in graph.nodes[start:stop]:
            if node.op_def is None:
                continue
            pass_of[node] = k
            if node in inside:
                continue
            base = (node.scope or "", node.op, node.shape, str(node.dtype))
            key = ("op",) + base + (seen.get(base, 0),)
            seen[base] = seen.get(base, 0) + 1
            if earlier is not None and key not in earlier:
                break  # after the loop: the last pass ends where it stops matching the passes before
            members.setdefault(key, []).append(node)
    for key, nodes in members.items():
        if len(nodes) >= least:
            groups.update((n, key) for n in nodes)
    consumers = {}
    for node in graph.nodes:
        for slot, inp in enumerate(node.inputs):
            consumers.setdefault(inp, []).append((node, slot))
    leaves = {}
    for node in graph.nodes:
        uses = consumers.get(node, [])
        if node.op_def is not None or node.inputs or node in groups or not uses:
            continue
        passes = {pass_of.get(user) for user, _ in uses}
        if len(passes) != 1 or None in passes or any(user not in groups for user, _ in uses):
            continue
        key = ("leaf", node.role, node.shape, str(node.dtype), node.scope or "",
               tuple(sorted((str(groups[user]), slot) for user, slot in uses)))
        leaves.setdefault(key, []).append(node)
    for key, nodes in leaves.items():
        if len(nodes) >= least:
            groups.update((n, key) for n in nodes)
    return groups


def _calls_item(key, groups, repeated):
    """The CallsItem of group `key` (its nodes are added after)."""
    if key[0] == "scope":
        scope = key[1]
        return CallsItem(f"c_{safe_name(scope)}", BOX, [], scope.rpartition("/")[0], scopes=(scope,),
                         calls=repeated[scope], title=scope.rsplit("/", 1)[-1], what="scope")
    nodes = [n for n, k in groups.items() if k == key]
    first = nodes[0]
    scope = first.scope or ""
    title = re.sub(r"_?\d+$", "", first.name) or first.name  # colgram_1009: colgram; x0: x
    what = first.op if key[0] == "op" else first.role
    return CallsItem(f"c_n{first.id}", BOX, [], scope, scopes=(scope,), calls=[[n] for n in nodes], title=title,
                     what=what)


def _merged(edges):
    """`edges` with the parallel ones between two items merged (CallsEdge): the last one's tensor and uses (the
    call the cards show), and their count."""
    by_ends = {}
    for edge in edges:
        by_ends.setdefault((edge.src.key, edge.dst.key), []).append(edge)
    out = []
    for group in by_ends.values():
        if len(group) == 1:
            out.append(group[0])
            continue
        last = group[-1]
        out.append(CallsEdge(last.src, last.dst, last.tensor, last.uses, last.gradient_name, count=len(group)))
    return out


def call_count(edge):
    """How many parallel edges `edge` stands for (1 for a plain edge)."""
    return getattr(edge, "count", 1)
