"""Where a picture's items go, beyond what Graphviz decides alone: the hints ``dot.dot_graph`` writes into the DOT.

- ``beside``: a parameter, input or constant used by one op in its own scope sits beside that op (same rank),
  so pictures do not grow into a staircase.
- ``late_leaves``: other leaves of a scope rank after what enters their scope, so a scope's cluster never
  shares a rank with the cluster before it (the cause of diagonal staircases).
- ``label_scope``: the cluster an edge's label is drawn in (labels are small nodes, so Graphviz keeps them
  inside their cluster and apart from each other).
- ``Rows``: a long flow folded into rows (left to right) or columns (top to bottom) so a picture fits a slide,
  every other row running backwards (a snake).
"""
from dataclasses import dataclass, field

from .view import NODE, STUB


def beside(view):
    """(leaf, op) pairs to draw side by side: a parameter, input or constant used by one op in its own scope
    sits beside that op rather than a rank before it, so pictures do not grow into a staircase."""
    users = _users(view)
    pairs, taken = [], set()
    for item in view.items:
        if not _is_leaf(item):
            continue
        edges = users.get(item.key, [])
        if len(edges) != 1:
            continue
        user = edges[0].dst
        if user.kind != NODE or user.parent_scope != item.parent_scope or user.key in taken:
            continue
        taken.add(user.key)
        pairs.append((item, user))
    return pairs


def late_leaves(view, pairs):
    """(item, leaf) pairs for invisible edges: a leaf inside a scope ranks after every item outside that scope
    feeding the ops the leaf feeds, so its cluster starts where the flow enters it, not a rank earlier."""
    placed = {leaf.key for leaf, _ in pairs}
    users = _users(view)
    inputs = {}
    for edge in view.edges:
        inputs.setdefault(edge.dst.key, []).append(edge.src)
    out, seen = [], set()
    for leaf in view.items:
        scope = leaf.parent_scope
        if not scope or not _is_leaf(leaf) or leaf.key in placed:
            continue
        for edge in users.get(leaf.key, []):
            if not _inside(edge.dst.parent_scope, scope):
                continue
            for src in inputs.get(edge.dst.key, []):
                if src is not leaf and not _inside(src.parent_scope, scope) and (src.key, leaf.key) not in seen:
                    seen.add((src.key, leaf.key))
                    out.append((src, leaf))
    return out


def label_scope(edge):
    """The innermost scope holding both ends of `edge`: the cluster its label is drawn in."""
    a, b = edge.src.parent_scope.split("/"), edge.dst.parent_scope.split("/")
    common = []
    for x, y in zip(a, b):
        if x != y:
            break
        common.append(x)
    return "/".join(common)


@dataclass
class Rows:
    """A flow folded into `len(starts)` rows: row k holds the items whose layer is in [starts[k], starts[k+1]).

    The rows snake: every other row runs backwards (right to left; bottom to top for columns), so the flow
    leaves a row at ``exits[k]`` and turns into the next one at ``anchors[k + 1]`` right beside it (their
    joins). Other edges joining rows do not pull on ranks.
    """

    starts: list
    row_of: dict = field(default_factory=dict)
    anchors: list = field(default_factory=list)
    exits: list = field(default_factory=list)

    def place_label(self, key, edge):
        """Put `key`, the label of `edge`, in its row: the row of both ends, or (an edge between rows) of the
        item it leads to."""
        self.row_of[key] = self.row_of[edge.dst.key if self.crosses(edge) else edge.src.key]

    def crosses(self, edge):
        return self.crosses_keys(edge.src.key, edge.dst.key)

    def crosses_keys(self, a, b):
        return self.row_of.get(a) != self.row_of.get(b)

    def backwards(self, key):
        """Whether the row of `key` runs backwards (right to left, or bottom to top)."""
        return self.row_of.get(key, 0) % 2 == 1

    def joins(self):
        """(exit, entry) keys of each pair of rows after one another: where the flow turns into the next row."""
        return list(zip(self.exits, self.anchors[1:]))

    def is_join(self, edge):
        return (edge.src.key, edge.dst.key) in self.joins()


#: The fewest layers a row of a folded flow holds (a row of one or two only turns the flow round in a loop: a
#: short flow reads better straight), and the fewest of them with ops (a row of inputs alone would only add a bend).
MIN_LAYERS = 3
MIN_OPS = 1
#: A flow of module boxes and folded runs (--depth 0) is short but wide, each box a column of its own: its rows may
#: hold two layers.
MIN_BOX_LAYERS = 2


def layers(view, pairs):
    """Each item's layer: the longest path of edges into it; a leaf drawn beside its op takes the op's layer,
    other leaves the layer before their first user's."""
    with_beside = {leaf.key: op.key for leaf, op in pairs}
    preds = {item.key: set() for item in view.items}
    succs = {item.key: set() for item in view.items}
    for edge in view.edges:
        if edge.src.key not in with_beside and edge.src.key != edge.dst.key:
            preds[edge.dst.key].add(edge.src.key)
            succs[edge.src.key].add(edge.dst.key)
    waiting = {key: len(p) for key, p in preds.items()}
    ready = [item.key for item in view.items if not waiting[item.key]]
    layer = {}
    while ready:  # Kahn's order: an item after all of its inputs (boxes need not come in the graph's order)
        key = ready.pop()
        layer[key] = 1 + max((layer[p] for p in preds[key] if p in layer), default=-1)
        for nxt in succs[key]:
            waiting[nxt] -= 1
            if not waiting[nxt]:
                ready.append(nxt)
    for item in view.items:  # boxes feeding each other both ways: after what is placed
        if item.key not in layer:
            layer[item.key] = 1 + max((layer[p] for p in preds[item.key] if p in layer), default=-1)
    users = _users(view)
    for item in view.items:  # other leaves (and stubs feeding the view) sit just before their first user
        if (_is_leaf(item) or item.kind == STUB and not preds[item.key]) and item.key not in with_beside \
                and users.get(item.key):
            layer[item.key] = max(0, min(layer[e.dst.key] for e in users[item.key]) - 1)
    for leaf, op in with_beside.items():
        layer[leaf] = layer[op]
    return layer


def cut_points(view, layer):
    """The layers a flow may be folded before: no cluster has items both before and from there on."""
    count = max(layer.values(), default=-1) + 1
    spans = {}
    for item in view.items:
        top = item.parent_scope.split("/")[0]
        if top:
            low, high = spans.get(top, (layer[item.key], layer[item.key]))
            spans[top] = (min(low, layer[item.key]), max(high, layer[item.key]))
    return [c for c in range(1, count) if not any(low < c <= high for low, high in spans.values())]


def fold(view, pairs, rows):
    """The Rows of `view` folded into `rows` rows of about equal length (None when it cannot fold that often)."""
    if rows < 2:
        return None
    layer = layers(view, pairs)
    count = max(layer.values(), default=-1) + 1
    cuts = cut_points(view, layer)
    if len(cuts) < rows - 1:
        return None
    ops = {layer[item.key] for item in view.items if not _is_leaf(item) and item.kind != STUB}
    boxes = any(item.kind not in (NODE, STUB) for item in view.items)
    min_layers = MIN_BOX_LAYERS if boxes else MIN_LAYERS
    starts = [0]
    for k in range(1, rows):
        ideal = count * k / rows
        # every row at least MIN_LAYERS long and holding MIN_OPS layers of ops (not just inputs), and room
        # left for the rows after this one
        choices = [c for c in cuts if c - starts[-1] >= min_layers and count - c >= min_layers * (rows - k)
                   and len([d for d in cuts if d > c]) >= rows - 1 - k
                   and len([o for o in ops if starts[-1] <= o < c]) >= MIN_OPS
                   and len([o for o in ops if o >= c]) >= MIN_OPS * (rows - k)]
        if not choices:
            return None
        starts.append(min(choices, key=lambda c: abs(c - ideal)))
    plan = Rows(starts)
    for item in view.items:
        plan.row_of[item.key] = sum(1 for s in starts if layer[item.key] >= s) - 1
    entered = {}  # key: the rows edges enter it from
    for edge in view.edges:
        if plan.crosses(edge):
            entered.setdefault(edge.dst.key, set()).add(plan.row_of[edge.src.key])
    for k, start in enumerate(starts):
        firsts = [item for item in view.items if layer[item.key] == start and plan.row_of[item.key] == k]
        if not firsts:
            return None
        # the item the flow enters the row at: from the row before, else from any other row
        entries = [i for i in firsts if k - 1 in entered.get(i.key, ())] or [i for i in firsts if i.key in entered]
        plan.anchors.append((entries or firsts)[0].key)
    for k in range(len(starts) - 1):
        row = [item for item in view.items if plan.row_of[item.key] == k]
        last = max(row, key=lambda i: (layer[i.key], not _is_leaf(i)))
        entry = plan.anchors[k + 1]
        feeding = [e.src for e in view.edges if e.dst.key == entry and plan.row_of[e.src.key] == k]
        plan.exits.append(max(feeding, key=lambda i: layer[i.key]).key if feeding else last.key)
    return plan


def _users(view):
    users = {}
    for edge in view.edges:
        users.setdefault(edge.src.key, []).append(edge)
    return users


def _is_leaf(item):
    return item.kind == NODE and item.node.op_def is None and not item.node.inputs


def _inside(scope, outer):
    return scope == outer or scope.startswith(outer + "/")
