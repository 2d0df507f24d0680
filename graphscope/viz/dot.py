"""The Graphviz graph of a view at one state (a step of a stepper, or the graph as it is).

Built with the ``graphviz`` package's ``Digraph``: it quotes names and
attribute values, passes HTML-like labels (``<...>``) through untouched,
and nests the clusters of scopes as subgraphs.
"""
import graphviz

from ..engine.source import shared_location
from ..stepper.events import BACKWARD
from ..stepper.notation import call_words
from ..stepper.state import LOOK_BACKPROPAGATED, LOOK_CURRENT, LOOK_INACTIVE, LOOK_PENDING
from . import theme
from .html_labels import (LINE_PORT, Alert, EdgeLine, box_label, caption_label, edge_label, esc, mark_key,
                          node_label, small, stub_label)
from .step_texts import caption_text, edge_grad_text, inner_name, wrap_caption
from .layout_cost import costly_layout
from .calls import call_count, is_calls
from .calls_card import calls_label
from .arrange import beside, fold, label_scope, late_leaves
from .view import NODE, STUB, safe_name
from ..engine.words import plural
from ..engine.visible import visible

#: Views with more items than this get the cheaper layout settings.
LARGE = 400
#: The characters a caption line takes at most when the drawing's width is not known (a large view, no Graphviz);
#: a picture wraps its caption to about its drawing's width, but never narrower than CAPTION_MIN_CHARS.
CAPTION_CHARS = 120
CAPTION_MIN_CHARS = 72
#: The share of the theme's rank separation kept where edge labels are nodes of their own rank.
LABEL_RANKSEP = 0.5


def look_of(item, state):
    """The theme.LOOKS key for an item at this state (None for a stub: drawn in the stub's own grey)."""
    if item.kind == STUB:
        return None
    return state.look(item.node) if item.kind == NODE else state.group_look(item.nodes)


def walk_legend_keys(view, state):
    """Every look a walk's steps may draw ('needs no gradient' only for a graph that has such nodes and a
    backward pass): the room its pictures keep for their legends, so every step's picture has the same size."""
    keys = [key for key, _ in theme.LEGEND if key != LOOK_INACTIVE]
    if BACKWARD in state.phases and any(not n.requires_grad for n in view.graph.nodes):
        keys.append(LOOK_INACTIVE)
    return keys


def legend_keys(looks, edge_looks=()):
    """The looks the legend explains: exactly those drawn, on items (`looks`: {item key: look}) and on edges
    (`edge_looks`: each edge's look, None for a plain one), in theme.LEGEND order."""
    present = (set(looks.values()) | set(edge_looks)) - {None}
    return [key for key, _ in theme.LEGEND if key in present]


def drawn_looks(view, state, grads=None):
    """({item key: look}, [each edge's look]) of `view` drawn at `state`; `grads`: each edge's edge_grad_text,
    when the caller has them already."""
    looks = {item.key: look_of(item, state) for item in view.items}
    if grads is None:
        grads = [edge_grad_text(edge, state) for edge in view.edges]
    return looks, [edge_look(edge, state, looks, grad) for edge, grad in zip(view.edges, grads)]


def edge_look(edge, state, looks, grad_text):
    """The theme.LOOKS key an edge is drawn in: 'current' when this step's node uses it (consumes it going
    forwards, sends a gradient back along it going backwards), 'backpropagated' once a gradient has flowed back
    along it, 'pending' while the tensor it carries is not computed yet (also out of a box the pass is inside);
    None: a plain edge."""
    current = state.current
    if current is not None and any(consumer is current for consumer, _ in edge.uses):
        return LOOK_CURRENT
    if grad_text:  # edge_grad_text: a gradient has flowed back along it
        return LOOK_BACKPROPAGATED
    if looks[edge.src.key] == LOOK_PENDING or not state.has_value(edge.tensor):
        return LOOK_PENDING
    return None


def dot_text(text):
    """A plain attribute value as DOT reads it: backslashes kept, newlines as line breaks (graphviz quotes),
    control characters written out (``\\x1b``)."""
    return visible(text, keep="\n").replace("\\", "\\\\").replace("\n", "\\n")


def tooltip(item):
    """The hover text of an item: what computes the node, where it was made, its scope."""
    if item.kind == STUB:
        return f"{item.node.name}: outside this neighbourhood (draw it with --node {item.node.name})"
    if is_calls(item):
        return f"{item.title}: {plural(len(item.calls), 'call')}, {plural(len(item.nodes), 'node')} in all"
    if item.kind != NODE:
        scopes = ", ".join(item.scopes)
        return f"{scopes}: {plural(len(item.nodes), 'node')}"
    n = item.node
    what = call_words(n)
    where = f"\nmade at {shared_location(n.source)}" if n.source != "<unknown>" else ""
    scope = f"\nscope {n.scope}" if n.scope else ""
    return f"{what}{where}{scope}"


def alert_of(item, state, origin):
    """The warning row of an item when it is (or holds) the origin of a non-finite value (origin.OriginMark)."""
    if origin is None or item.kind == STUB or not origin.marks(item):
        return None
    first, _, rest = origin.text.partition("\n")  # a box names the node inside it on the warning's first line
    if item.kind == NODE:
        return Alert(origin.text, origin.shown(state))
    text = f"{first}: {inner_name(item, origin.node)}" + ("\n" + rest if rest else "")
    return Alert(text, origin.shown(state))


def mark_shown(view, state, origin):
    """Whether `view` drawn at `state` shows the mark of `origin` (an origin.OriginMark, or None)."""
    alerts = (alert_of(item, state, origin) for item in view.items)
    return any(alert is not None and alert.shown for alert in alerts)


def dot_graph(view, state, widths=None, caption=True, legend=True, rankdir="LR", name="graphscope", origin=None,
              title=None, rows=1, aspect=None, caption_chars=None):
    """The graphviz.Digraph of `view` drawn at `state`; `widths` (step_texts.Widths) keeps sizes equal across steps.

    `origin` (an origin.OriginMark, or None) marks the node that made the first non-finite value; like every
    legend entry, its own is there only at the steps that show it.
    `rows` > 1 folds the flow into that many rows (columns top to bottom) where its clusters allow; `aspect`
    (Graphviz's ratio: height / width) spreads the layout to that shape.
    Edge labels are small nodes inside the cluster of the edge's ends (large views: Graphviz's own labels).
    `caption_chars` wraps the caption's lines to that many characters (None: CAPTION_CHARS).
    """
    widths = widths or _NO_WIDTHS
    large = len(view.items) > LARGE or costly_layout(view)
    attrs = theme.graph_attrs(large, rankdir)
    attrs["outputorder"] = "edgesfirst"  # labels drawn over the edges that run behind them (EdgeLine.behind)
    if not large:  # a label node takes a rank of its own between an edge's ends: half the room on each side of
        attrs["ranksep"] = f"{float(attrs['ranksep']) * LABEL_RANKSEP:.3g}"  # it, as Graphviz gives its own labels
    if aspect is not None:
        attrs["ratio"] = f"{aspect:.2f}"
    grads = [edge_grad_text(edge, state) for edge in view.edges]
    looks, edge_looks = drawn_looks(view, state, grads)
    if caption:
        chars = caption_chars or CAPTION_CHARS
        text = wrap_caption(caption_text(state, f"  ({view.note})" if view.note else ""), chars)
        width, lines = widths.caption_room(chars)
        room = ()
        if state.current is not None:  # a step of a walk: room for every entry its steps may list
            words = dict(theme.LEGEND)
            room = [words[key] for key in walk_legend_keys(view, state)]
            room += [mark_key(origin.legend)] if origin is not None else []
        attrs["label"] = caption_label(text, width, legend, legend_keys(looks, edge_looks),
                                       origin=origin.legend if mark_shown(view, state, origin) else False,
                                       title=title, room=room, lines=lines)
    graph = graphviz.Digraph(
        name, graph_attr=attrs,
        node_attr=dict(shape="plain", margin="0", fontname=theme.FONT, fontsize=str(theme.FONT_SIZE)),
        edge_attr=dict(fontname=theme.FONT, fontsize=str(theme.SMALL), arrowsize="0.7", color=theme.EDGE_DONE))

    def add_node(target, item):
        if item.kind == STUB:
            target.node(item.key, label=stub_label(item), tooltip=dot_text(tooltip(item)), id=item.key)
            return
        look = theme.LOOKS[looks[item.key]]
        draw = node_label if item.kind == NODE else calls_label if is_calls(item) else box_label
        label = draw(item, state, widths, look, alert_of(item, state, origin))
        target.node(item.key, label=label, tooltip=dot_text(tooltip(item)), id=item.key)

    pairs = [] if large else beside(view)
    plan = fold(view, pairs, rows) if rows > 1 and not large else None
    beside_pairs = {(leaf.key, op.key) for leaf, op in pairs}
    courses = [_course(edge, beside_pairs, plan) for edge in view.edges]
    drawn = [_edge_drawing(i, edge, state, widths, look, grad, inline=not large, course=(rankdir, course))
             for (i, edge), course, look, grad in zip(enumerate(view.edges), courses, edge_looks, grads)]
    labels = {}  # scope: [(name, attrs)] of the edge labels drawn in its cluster
    for edge, (label_node, _) in zip(view.edges, drawn):
        if label_node is not None:
            labels.setdefault(label_scope(edge), []).append(label_node)
            if plan is not None:
                plan.place_label(label_node[0], edge)
    label_of = {(edge.src.key, edge.dst.key): node[0] for edge, (node, _) in zip(view.edges, drawn) if node}
    together = [(leaf, label_of.get((leaf.key, op.key)), op) for leaf, op in pairs]
    _add_clusters(graph, view, add_node, labels, together)
    turns = {}  # (exit, entry): how many turns between them so far (x * x joins two rows twice)
    for edge, course, (label_node, segments) in zip(view.edges, courses, drawn):
        nested = 0
        if course == TURN:
            ends = (edge.src.key, edge.dst.key)
            nested = turns[ends] = turns.get(ends, 0) + 1
        for tail, head, edge_attrs in segments:
            if plan is not None:
                tail, head, edge_attrs = _in_rows(plan, course, tail, head, edge_attrs, label_node)
            if nested > 1:
                edge_attrs["minlen"] = str(nested)  # one turn around the other: they do not cross
            graph.edge(tail, head, **edge_attrs)
    if not large:
        _rank_hints(graph, view, pairs, plan)
    return graph


#: How an edge runs through its label: along the flow (forwards, or backwards in a row of a snake), across it
#: (a leaf beside its op: both ends at one rank), or turning from one row of a snake into the next (TURN: the
#: label one rank beyond the row's last item and the next row's first, which sit at one rank).
FORWARDS, BACKWARDS, ACROSS, TURN = "forwards", "backwards", "across", "turn"
#: The side of a label the edge enters it at, by direction and course (it leaves at the opposite side).
_ENTRY = {("LR", FORWARDS): "w", ("LR", BACKWARDS): "e", ("TB", FORWARDS): "n", ("TB", BACKWARDS): "s",
          ("LR", TURN): "n", ("TB", TURN): "w"}
_OPPOSITE = {"w": "e", "e": "w", "n": "s", "s": "n"}


def _course(edge, beside_pairs, plan):
    """How `edge` runs through its label (FORWARDS, BACKWARDS, ACROSS or TURN)."""
    if (edge.src.key, edge.dst.key) in beside_pairs:
        return ACROSS
    if plan is not None and plan.is_join(edge):
        return TURN
    return BACKWARDS if plan is not None and plan.backwards(edge.dst.key) else FORWARDS


def _in_rows(plan, course, tail, head, attrs, label_node):
    """A segment (tail, head, attrs) of a folded flow as drawn: an edge between rows does not pull on ranks,
    one in a backwards row runs head to tail, and a turn's label lies one rank beyond both of its ends.
    A leaf beside its op in a backwards row is turned round too, so Graphviz keeps it clear of the turn."""
    if course == TURN and label_node is not None:
        into = head == label_node[0]
        forwards_row = not plan.backwards(tail) if into else plan.backwards(head)  # the row the turn leaves
        # the far end of a forwards row: the label ranks after both ends; the near end of a backwards row: before
        if into != forwards_row:
            return head, tail, _backwards(attrs)
        return tail, head, attrs
    if course == TURN:
        return tail, head, attrs
    if plan.crosses_keys(tail, head):
        return tail, head, dict(attrs, constraint="false")  # an edge between rows does not pull on ranks
    if plan.backwards(head):
        return head, tail, _backwards(attrs)
    return tail, head, attrs


def _backwards(attrs):
    """The attributes of a segment drawn head to tail (``dir=back``), so its rank runs the other way while its
    arrow still points along the flow."""
    swap = {"headport": "tailport", "tailport": "headport", "headclip": "tailclip", "tailclip": "headclip",
            "arrowhead": "arrowtail"}
    return dict({swap.get(k, k): v for k, v in attrs.items()}, dir="back")


def _rank_hints(graph, view, pairs, plan):
    """Leaves of a scope after what enters it (in the same row of a folded flow), each row of a folded flow
    before the next."""
    for src, leaf in late_leaves(view, pairs):
        if plan is None:
            graph.edge(src.key, leaf.key, style="invis")
        elif not plan.crosses_keys(src.key, leaf.key):
            graph.edge(*((leaf.key, src.key) if plan.backwards(leaf.key) else (src.key, leaf.key)), style="invis")
    if plan is not None:  # each row before the next (above it; columns: left of it): a flat edge orders its ends
        for exit_key, entry_key in plan.joins():
            graph.body.append(f'\t{{rank=same; {exit_key}; {entry_key}}}\n')
            graph.edge(exit_key, entry_key, style="invis")


def dot_source(view, state, widths=None, caption=True, legend=True, rankdir="LR", name="graphscope", origin=None):
    """The DOT text of `view` drawn at `state` (see ``dot_graph``)."""
    return dot_graph(view, state, widths, caption, legend, rankdir, name, origin).source


def _add_clusters(graph, view, add_node, extras=None, together=()):
    """Every item, inside nested subgraphs `cluster_<scope>` for the scopes drawn open; `extras` {scope: [(name,
    attrs)]}: more nodes (edge labels) drawn in a scope's cluster; `together` [(leaf, its edge's label name or
    None, op)]: a leaf beside its op, the three at one rank in an unseen cluster of their own, so nothing else
    comes between them."""
    extras = extras or {}
    groups = {}  # scope: the (leaf, label, op) groups in its cluster
    grouped = set()
    for leaf, label, op in together:
        groups.setdefault(leaf.parent_scope, []).append((leaf, label, op))
        grouped.update((leaf.key, label, op.key))
    tree = view.clusters()
    children = {}
    for scope in tree:
        if scope:
            children.setdefault(scope.rpartition("/")[0], []).append(scope)
    names = set()

    def cluster_name(scope):
        base = "cluster_" + safe_name(scope)
        name, k = base, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.add(name)
        return name

    def add(target, scope):
        for item in tree.get(scope, []):
            if item.key not in grouped:
                add_node(target, item)
        label_attrs = {}
        for key, attrs in extras.get(scope, []):
            if key in grouped:
                label_attrs[key] = attrs
            else:
                target.node(key, **attrs)
        for leaf, label, op in groups.get(scope, []):
            with target.subgraph(name=f"cluster_beside_{op.key}", graph_attr=_BESIDE) as sub:
                add_node(sub, leaf)
                if label is not None:
                    sub.node(label, **label_attrs[label])
                add_node(sub, op)
                sub.body.append(f'\t{{rank=same; {leaf.key}; {label + "; " if label else ""}{op.key}}}\n')
        for child in sorted(children.get(scope, [])):
            if not _has_items(child, tree, children):
                continue
            label = f'<<FONT COLOR="{theme.CLUSTER_INK}"><B>{esc(child.rsplit("/", 1)[-1])}</B></FONT>>'
            attrs = dict(label=label, style="rounded,filled", fillcolor=theme.CLUSTER_FILL,
                         color=theme.CLUSTER_BORDER, fontsize=str(theme.FONT_SIZE), labeljust="l", margin="10")
            with target.subgraph(name=cluster_name(child), graph_attr=attrs) as sub:
                add(sub, child)

    add(graph, "")


#: The unseen cluster holding a leaf beside its op.
_BESIDE = {"style": "invis", "margin": "0", "label": ""}


def _has_items(scope, tree, children):
    return bool(tree.get(scope)) or any(_has_items(c, tree, children) for c in children.get(scope, []))


def _edge_drawing(index, edge, state, widths, look, grad_now, inline=True, course=("LR", FORWARDS)):
    """How an edge is drawn in its `look` (edge_look), `grad_now` its edge_grad_text: (its label node (name,
    attrs) or None, [(tail, head, attrs)] segments).

    `inline`: a labelled edge runs into a small label node, through it (html_labels.EdgeLine) and on out of
    it, so it reads as one line whether or not its gradient is shown yet (Graphviz then keeps labels apart and
    inside their cluster); otherwise one edge carries Graphviz's own label. `course` (rankdir, and FORWARDS,
    BACKWARDS, ACROSS or TURN) says which way the edge crosses its label.
    """
    edge_id = f"e{index}_{edge.src.key}_{edge.dst.key}"
    attrs = {}
    if STUB in (edge.src.kind, edge.dst.kind):
        attrs.update(style="dashed")
    dst = edge.dst
    color = _EDGE_COLOR.get(look, theme.EDGE_DONE)
    if look is not None:
        attrs.update(color=color, **_EDGE_STYLE[look])
    rankdir, way = course
    line = EdgeLine(color, attrs.get("style") == "dashed", vertical=(way == TURN) == (rankdir == "LR"),
                    behind=way == ACROSS, background=theme.CLUSTER_FILL if label_scope(edge) else "white")
    label = counted(edge_label(index, edge, state, widths, grad_now, line if inline else None), call_count(edge))
    head = dict(attrs, id=edge_id)
    if dst.kind == STUB:
        head["arrowhead"] = "none"
    if not label:
        return None, [(edge.src.key, dst.key, head)]
    if not inline:
        return None, [(edge.src.key, dst.key, dict(head, label=label))]
    name = f"l{index}"
    ends = f"{_item_name(edge.src)} \u2192 {_item_name(dst)}"
    node = (name, {"label": label, "id": f"{edge_id}_label", "tooltip": dot_text(ends)})
    tail = dict(attrs, id=f"{edge_id}_tail", arrowhead="none")
    side = _ENTRY.get((rankdir, way))
    if side is None:  # both ends at one rank: the edge runs on to the label's centre, behind its texts
        return node, [(edge.src.key, name, dict(tail, headclip="false")), (name, dst.key, dict(head, tailclip="false"))]
    tail["headport"] = f"{LINE_PORT}:{side}"
    return node, [(edge.src.key, name, tail), (name, dst.key, dict(head, tailport=f"{LINE_PORT}:{_OPPOSITE[side]}"))]


#: The colour and the line of an edge in each look (edge_look); a plain edge is theme.EDGE_DONE.
_EDGE_COLOR = {LOOK_CURRENT: theme.EDGE_CURRENT, LOOK_BACKPROPAGATED: theme.EDGE_GRAD, LOOK_PENDING: theme.EDGE_PENDING}
_EDGE_STYLE = {LOOK_CURRENT: {"penwidth": "2"}, LOOK_BACKPROPAGATED: {"penwidth": "1.5"},
               LOOK_PENDING: {"style": "dashed"}}


def counted(label, count):
    """An edge's label with, for parallel edges merged into one (calls.CallsEdge), their count on top: '× 222'."""
    if count < 2:
        return label
    words = small(f"\u00d7 {count:,}", theme.INK)
    if label is None:
        return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR><TD>{words}</TD></TR></TABLE>>'
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR><TD ALIGN="LEFT">{words}</TD></TR>'
            f'<TR><TD ALIGN="LEFT">{label[1:-1]}</TD></TR></TABLE>>')


def _item_name(item):
    if is_calls(item):
        return f"{item.title} \u00d7 {len(item.calls)} calls"
    return item.node.name if item.kind in (NODE, STUB) else ", ".join(item.scopes)


class _NoWidths:
    def get(self, key):
        return 0

    def lines(self, key):
        return 0

    def caption_room(self, chars):
        return 0, 0


_NO_WIDTHS = _NoWidths()
