"""What a picture draws: nodes, collapsed module boxes, folded runs of repeated blocks, and the edges between them.

The view depends only on the graph's structure and the drawing options, never
on the step, so every step of one graph is drawn with the same items (and
Graphviz lays them out the same way).

- A scope collapses into one box when ``depth`` says so (scopes nested deeper
  than ``depth`` levels) or when named in ``collapse``.
- ``fold``: a run of at least that many consecutive sibling blocks with
  identical structure, each feeding the next, is drawn as one box. A block is
  one scope (block1..block8 of Linear+ReLU: "Linear+ReLU x 8") or a group of
  up to ``FOLD_GROUP_MAX`` consecutive sibling scopes (gs.nn.MLP's fc2, bn2,
  relu2, fc3, bn3, relu3, ...: "Linear+BatchNorm+ReLU x 5"); where runs
  overlap, the one hiding the most nodes wins.
- ``around`` (with ``focus``, a node): only the focus and the nodes within
  that many edges of it are drawn, each as itself; every node outside that
  is joined to one inside is a small stub showing where the rest attaches.
- With neither given, a graph with more than ``MAX_ITEMS`` items collapses
  its scopes from the deepest level up until it fits (``note`` says so).
"""
import heapq
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from ..engine.errors import GraphscopeError
from ..engine.words import did_you_mean

#: Above this many drawn items, scopes are collapsed automatically (when depth/collapse are not given).
MAX_ITEMS = 300
#: Default minimum run length of identical sibling blocks that fold into one box.
FOLD_MIN = 3
#: Largest group of consecutive sibling scopes that repeats as one block (fc, bn, relu, dropout: 4).
FOLD_GROUP_MAX = 4

NODE, BOX, FOLD, STUB = "node", "box", "fold", "stub"


class ViewError(GraphscopeError, ValueError):
    """Drawing options that do not fit the graph (an unknown scope, a negative depth)."""


@dataclass(eq=False)
class Item:
    """One drawn thing: a single node, a collapsed scope (box), or a folded run of blocks."""

    key: str                 # the Graphviz node name: stable, no colons
    kind: str                # NODE, BOX, FOLD or STUB (a node outside a neighbourhood view, where the rest attaches)
    nodes: list              # the graph nodes inside, topological order
    parent_scope: str        # the scope whose cluster holds it ('' = top level)
    scopes: tuple = ()       # BOX: (scope,); FOLD: every folded sibling scope in order, block after block
    period: int = 1          # FOLD: how many consecutive scopes make one block
    inputs: list = field(default_factory=list)    # BOX/FOLD: outside tensors consumed inside
    outputs: list = field(default_factory=list)   # BOX/FOLD: inside tensors used outside (or the graph's output)

    @property
    def node(self):
        return self.nodes[0]

    @cached_property
    def node_set(self):
        return set(self.nodes)

    @property
    def blocks(self):
        """FOLD: how many blocks are folded (a box or node: 1)."""
        return len(self.scopes) // self.period if self.kind == FOLD else 1

    def block_scopes(self, index):
        """FOLD: the scopes of block `index` (0-based), e.g. ('fc3', 'bn3', 'relu3')."""
        return self.scopes[index * self.period:(index + 1) * self.period]

    def block_nodes(self, index=0):
        """The graph nodes of block `index` of a fold, in topological order."""
        scopes = self.block_scopes(index)
        return [n for n in self.nodes if _within(n.scope, scopes)]

    def block_of(self, node):
        """FOLD: the 0-based block that `node` is in."""
        index = next(i for i, s in enumerate(self.scopes) if _within(node.scope, (s,)))
        return index // self.period


@dataclass(eq=False)
class Edge:
    """Tensor `tensor` flowing from item `src` into item `dst`, consumed by (node, slot) pairs there."""

    src: Item
    dst: Item
    tensor: object
    uses: list  # [(consumer node, input slot)]
    #: 'dloss/dscores' when the gradient along the edge is all of its tensor's gradient (the edge carries every use
    #: of it) and the card it leaves shows that gradient: a listed matrix is then named on the edge, not written
    #: out a second time; '' otherwise.
    gradient_name: str = ""


class View:
    """The items, edges and clusters of one picture of `graph`."""

    def __init__(self, graph, depth=None, collapse=(), fold=FOLD_MIN, focus=None, around=None):
        if depth is not None and depth < 0:
            raise ViewError(f"depth must be 0 or more, not {depth}")
        self.graph = graph
        self.note = None
        self.scopes = _all_scopes(graph)
        self.focus = self.neighbourhood = None
        if around is not None:
            self.focus, self.neighbourhood = self._neighbourhood(focus, around)
            self._build(set(), None, [])
            return
        collapsed = {self._resolve_scope(name) for name in collapse}
        runs = _fold_runs(graph, self.scopes, fold) if fold else []
        self._build(collapsed, depth, runs)
        if depth is None and not collapse and len(self.items) > MAX_ITEMS and self.scopes:
            self._auto_collapse(runs)

    def _neighbourhood(self, focus, around):
        """The focus node and the set of nodes within `around` edges of it (either direction)."""
        if focus is None:
            raise ViewError("around goes with a node: the one whose neighbourhood is drawn")
        if isinstance(around, bool) or not isinstance(around, int) or around < 0:
            raise ViewError(f"around must be a whole number of edges, 0 or more, not {around!r}")
        try:
            centre = self.graph.node(focus)
        except KeyError as exc:
            raise ViewError(exc.args[0]) from None
        return centre, nodes_within(self.graph, centre, around)

    # ---------------------------------------------------------------- options
    def _resolve_scope(self, name):
        """A scope by full path ('net/fc1') or by its last part when that is unique ('fc1')."""
        if name in self.scopes:
            return name
        matches = [s for s in self.scopes if s.rsplit("/", 1)[-1] == name]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(sorted(self.scopes)) or "none (build nodes inside `with gs.scope(name):`)"
        if matches:
            raise ViewError(f"scope {name!r} is ambiguous: {', '.join(matches)}; give the full path")
        hint = did_you_mean(name, sorted(self.scopes | {s.rsplit("/", 1)[-1] for s in self.scopes}))
        raise ViewError(f"no scope named {name!r} in this graph{hint}; scopes: {known}")

    def _auto_collapse(self, runs):
        deepest = max(s.count("/") + 1 for s in self.scopes)
        for depth in range(deepest - 1, -1, -1):
            self._build(set(), depth, runs)
            if len(self.items) <= MAX_ITEMS:
                break
        self.note = (f"{len(self.graph.nodes)} nodes: scopes deeper than {depth} level(s) drawn as boxes "
                     f"(choose with --depth / --collapse)")
        self.depth = depth

    # ---------------------------------------------------------------- building
    def _build(self, collapsed, depth, runs):
        self.depth = depth
        fold_of = {}
        for run in runs:
            for s in run.scopes:
                fold_of[s] = run
        items, item_of, by_group = [], {}, {}
        keep = self.neighbourhood
        for node in self.graph.nodes:
            if keep is not None and node not in keep:
                continue
            group = _group(node.scope, collapsed, depth, fold_of)
            if group is None:
                item = Item(f"n{node.id}", NODE, [node], node.scope or "")
                items.append(item)
            else:
                item = by_group.get(group)
                if item is None:
                    item = _group_item(group, fold_of)
                    by_group[group] = item
                    items.append(item)
                item.nodes.append(node)
            item_of[node] = item
        if keep is not None:
            for node in _attached(self.graph, keep):
                item = Item(f"x{node.id}", STUB, [node], node.scope or "")  # drawn inside its scope's cluster
                items.append(item)
                item_of[node] = item
        self.items = items
        self.item_of = item_of
        self.edges = _edges(self.graph, items, item_of)
        self._ports(items)

    def _ports(self, items):
        """Each box's inputs (outside tensors used inside) and outputs (inside tensors used outside)."""
        for e in self.edges:
            if STUB in (e.src.kind, e.dst.kind):
                continue
            if e.dst.kind != NODE and not _holds(e.dst.inputs, e.tensor):
                e.dst.inputs.append(e.tensor)
            if e.src.kind != NODE and not _holds(e.src.outputs, e.tensor):
                e.src.outputs.append(e.tensor)
        for out in self.graph.outputs:
            item = self.item_of.get(out)
            if item is not None and item.kind in (BOX, FOLD) and not _holds(item.outputs, out):
                item.outputs.append(out)

    # ---------------------------------------------------------------- clusters
    def clusters(self):
        """{scope: [items directly inside]} for every scope drawn as a cluster, plus '' for the top level."""
        tree = {"": []}
        for item in self.items:
            scope = item.parent_scope
            tree.setdefault(scope, []).append(item)
            while scope:  # make every ancestor cluster exist
                scope = scope.rpartition("/")[0]
                tree.setdefault(scope, [])
        return tree


def _all_scopes(graph):
    """Every scope path with nodes in it, and all their ancestors."""
    scopes = set()
    for n in graph.nodes:
        s = n.scope
        while s:
            scopes.add(s)
            s = s.rpartition("/")[0]
    return scopes


def _within(scope, scopes):
    """Whether `scope` is one of `scopes` or nested inside one."""
    scope = scope or ""
    return any(scope == s or scope.startswith(s + "/") for s in scopes)


def _group(scope, collapsed, depth, fold_of):
    """The box or fold a node in `scope` belongs to (None: drawn as itself)."""
    if not scope:
        return None
    parts = scope.split("/")
    for level in range(1, len(parts) + 1):
        prefix = "/".join(parts[:level])
        if prefix in fold_of:
            return fold_of[prefix]
        if prefix in collapsed or (depth is not None and level > depth):
            return prefix
    return None


def _group_item(group, fold_of):
    if isinstance(group, Run):  # a folded run of blocks
        first, blocks = group.scopes[0], len(group.scopes) // group.period
        return Item(f"f_{safe_name(first)}_x{blocks}", FOLD, [], first.rpartition("/")[0],
                    scopes=group.scopes, period=group.period)
    return Item(f"s_{safe_name(group)}", BOX, [], group.rpartition("/")[0], scopes=(group,))


def safe_name(text):
    """A Graphviz-safe name fragment (letters, digits, underscores)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def nodes_within(graph, centre, k):
    """The nodes at most `k` edges from `centre`, following edges either way."""
    consumers = {}
    for node in graph.nodes:
        for inp in node.inputs:
            consumers.setdefault(inp, []).append(node)
    seen, frontier = {centre}, [centre]
    for _ in range(k):
        nxt = []
        for node in frontier:
            for other in list(node.inputs) + consumers.get(node, []):
                if other not in seen:
                    seen.add(other)
                    nxt.append(other)
        frontier = nxt
    return seen


def _holds(tensors, tensor):
    """`tensor in tensors` by identity (a tensor's == compares values, element-wise)."""
    return any(t is tensor for t in tensors)


def _attached(graph, keep):
    """The nodes outside `keep` joined by an edge to a node inside it, in topological order."""
    out = []
    for node in graph.nodes:
        if node in keep:
            continue
        if any(i in keep for i in node.inputs) or any(i is node for n in keep for i in n.inputs):
            out.append(node)
    return out


def _edges(graph, items, item_of):
    edges, index = [], {}
    for node in graph.nodes:
        dst = item_of.get(node)
        if dst is None:
            continue
        for slot, inp in enumerate(node.inputs):
            src = item_of.get(inp)
            if src is None or src is dst or (src.kind == STUB and dst.kind == STUB):
                continue
            key = (src.key, dst.key, inp.id, slot if dst.kind == NODE else None)
            edge = index.get(key)
            if edge is None:
                edge = index[key] = Edge(src, dst, inp, [])
                edges.append(edge)
            edge.uses.append((node, slot))
    uses = Counter(id(i) for node in graph.nodes for i in node.inputs)
    for edge in edges:
        src, tensor = edge.src, edge.tensor
        card = src.kind == NODE or (src.kind != STUB and src.outputs and src.outputs[0] is tensor)
        if card and len(edge.uses) == uses[id(tensor)]:
            edge.gradient_name = f"d{graph.output.name}/d{tensor.name}"  # the walk's notation, dL/dx
    return edges


# ---------------------------------------------------------------- folding repeated blocks

class Run(NamedTuple):
    """A folded run: its sibling scopes in order, `period` of them to a block."""

    scopes: tuple
    period: int = 1


def _fold_runs(graph, scopes, min_run):
    """Runs of at least `min_run` identical blocks (1 to FOLD_GROUP_MAX consecutive sibling scopes), each feeding
    the next; among overlapping runs, the one hiding the most nodes is kept (a tie: fewer scopes to a block)."""
    min_run = max(min_run, 2)
    members = {s: [] for s in scopes}
    for n in graph.nodes:
        s = n.scope
        while s:
            members[s].append(n)
            s = s.rpartition("/")[0]
    siblings = {}
    for s in scopes:
        siblings.setdefault(s.rpartition("/")[0], []).append(s)
    runs, folded = [], set()
    for parent in sorted(siblings, key=lambda p: (p.count("/") if p else -1, p)):
        if any(parent == f or parent.startswith(f + "/") for f in folded):
            continue  # already inside a folded run
        order = sorted(siblings[parent], key=lambda s: _first_id(members[s]))
        found = _best_runs(order, members, min_run)
        runs += found
        for run in found:
            folded.update(run.scopes)
    return runs


def _first_id(nodes):
    """Where a scope starts: its first computed node (parameters are often made long before their block runs)."""
    return next((n.id for n in nodes if n.op), nodes[0].id)


def _best_runs(order, members, min_run):
    """The non-overlapping runs of repeated blocks among the sibling scopes `order`, best first."""
    interned = {}
    sigs = [interned.setdefault(_signature(s, members[s]), len(interned)) for s in order]
    sizes = [len(members[s]) for s in order]
    candidates = []
    for period in range(1, FOLD_GROUP_MAX + 1):
        for phase in range(period):
            start = phase
            for at in range(phase, len(order) - period + 1, period):
                nxt = at + period
                same = (nxt + period <= len(order) and sigs[at:nxt] == sigs[nxt:nxt + period]
                        and _feeds(members[order[nxt - 1]], members[order[nxt]]))
                if not same:
                    if nxt - start >= min_run * period:
                        candidates.append((start, nxt, period))
                    start = nxt
    def rank(start, stop, period):
        return (-sum(sizes[start:stop]), period, -_numbered_alike(order, start, stop, period), start)

    # lazy greedy: a run's rank only worsens as others take its scopes, so a popped run whose rank is still
    # current is the best one left
    heap = [(rank(*c), *c) for c in candidates]
    heapq.heapify(heap)
    taken, chosen = [False] * len(order), []
    while heap:
        old, start, stop, period = heapq.heappop(heap)
        start, stop = _free_span(taken, start, stop, period)
        if (stop - start) // period < min_run:
            continue
        now = rank(start, stop, period)
        if now != old:
            heapq.heappush(heap, (now, start, stop, period))
            continue
        taken[start:stop] = [True] * (stop - start)
        chosen.append((start, Run(tuple(order[start:stop]), period)))
    return [run for _, run in sorted(chosen)]


def _free_span(taken, start, stop, period):
    """The longest stretch of whole blocks of [start, stop) that no chosen run has taken."""
    best, run_start = (start, start), None
    for at in range(start, stop + 1, period):
        free = at < stop and not any(taken[at:at + period])
        if free and run_start is None:
            run_start = at
        elif not free and run_start is not None:
            if at - run_start > best[1] - best[0]:
                best = (run_start, at)
            run_start = None
    return best


def _numbered_alike(order, start, stop, period):
    """How many blocks have one layer number in all their scopes' names (fc3, bn3, relu3): the natural grouping."""
    count = 0
    for at in range(start, stop, period):
        numbers = {re.search(r"\d*$", s.rsplit("/", 1)[-1]).group() for s in order[at:at + period]}
        count += len(numbers) == 1 and "" not in numbers
    return count


def _signature(scope, nodes):
    """The structure of a block: per node its op (or leaf role), shape, dtype, sub-scope and where its inputs come from."""
    local = {n: i for i, n in enumerate(nodes)}
    cut = len(scope) + 1
    sig = []
    for n in nodes:
        refs = tuple(local.get(i, ("outside", i.shape)) for i in n.inputs)
        sig.append((n.op or n.role, n.shape, str(n.dtype), (n.scope or "")[cut:], refs))
    return tuple(sig)


def _feeds(earlier, later):
    inside = set(earlier)
    return any(i in inside for n in later for i in n.inputs)


def pattern_name(nodes):
    """A short name for the ops of a block: 'Linear+ReLU' for matmul, add, relu."""
    ops = [n.op for n in nodes if n.op]
    names, i = [], 0
    while i < len(ops):
        op = ops[i]
        if op == "matmul":
            names.append("Linear")
            i += 2 if i + 1 < len(ops) and ops[i + 1] == "add" else 1
            continue
        names.append(_FRIENDLY.get(op, op))
        i += 1
    collapsed = []
    for name in names:
        if not collapsed or collapsed[-1] != name:
            collapsed.append(name)
    text = "+".join(_repeats(collapsed)) or "leaves"
    return text if len(text) <= PATTERN_MAX else text[:PATTERN_MAX - 1] + "\u2026"


#: Longest block name drawn; a label wider than Graphviz's HTML-table coordinates (16 bits) makes `dot` abort.
PATTERN_MAX = 60
#: Longest repeated unit written once with its count: 'mul+add' x 1000 reads '(mul+add)x1000'.
_UNIT_MAX = 4


def _repeats(names):
    """`names` with each run of 3 or more copies of a short unit written once: ['(mul+add)\u00d71000']."""
    out, i = [], 0
    while i < len(names):
        best_unit, best_count = 1, 1
        for unit in range(2, _UNIT_MAX + 1):
            count = 1
            while names[i + count * unit:i + (count + 1) * unit] == names[i:i + unit]:
                count += 1
            if count >= 3 and count * unit > best_count * best_unit:
                best_unit, best_count = unit, count
        if best_count >= 3:
            out.append(f"({'+'.join(names[i:i + best_unit])})\u00d7{best_count}")
            i += best_unit * best_count
        else:
            out.append(names[i])
            i += 1
    return out


_FRIENDLY = {"batch_norm": "BatchNorm", "dropout": "Dropout", "relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU",
             "softmax": "Softmax", "log_softmax": "LogSoftmax", "softmax_cross_entropy": "SoftmaxCE",
             "svm_loss": "SVMLoss"}
