"""Folded pictures snake (every other row runs backwards, the flow turning into the next row through the edge's
label), edges run unbroken through their labels at every step, and a small neighbourhood reads on a slide.
Positions come from Graphviz's own layout (`dot -Tjson`)."""
import json
import math
import os
import subprocess

import pytest

import graphscope as gs
from graphscope.userfile import build_output
from graphscope.viz import Picture, arrange, theme
from graphscope.viz.picture import svg_size
from graphscope.viz.render import dot_program

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The most a turn's label lies from either end it joins, as a share of the picture's longer side (a leaf
#: beside its op may sit between the rows); it used to start the next row, a row's length away.
NEAR = 0.12
#: Points an edge may stop short of the line drawn through its label (Graphviz rounds half points).
TOUCH = 1.5


def sample(name):
    return build_output(os.path.join(ROOT, "samples", f"{name}.py"))


def layout(graph):
    """Graphviz's layout of a Digraph: ({node name: object}, {edge id: object})."""
    out = subprocess.run([dot_program(), "-Tjson"], input=graph.source.encode(), capture_output=True, check=True)
    data = json.loads(out.stdout)
    nodes = {obj["name"]: obj for obj in data["objects"] if "pos" in obj}
    return nodes, {edge["id"]: edge for edge in data.get("edges", []) if "id" in edge}


def box(obj):
    x, y = (float(v) for v in obj["pos"].split(","))
    w, h = float(obj["width"]) * 72 / 2, float(obj["height"]) * 72 / 2
    return x - w, y - h, x + w, y + h


def gap(a, b):
    """The distance between two boxes (0 when they touch or overlap)."""
    dx = max(a[0] - b[2], b[0] - a[2], 0)
    dy = max(a[1] - b[3], b[1] - a[3], 0)
    return math.hypot(dx, dy)


def centre(obj):
    return tuple(float(v) for v in obj["pos"].split(","))


def ends(edge):
    """The first and last point of an edge's drawn curve."""
    points = [p for op in edge["_draw_"] if op["op"] in "bB" for p in op["points"]]
    return [tuple(points[0]), tuple(points[-1])]


def rule(label):
    """The ends of the line a label draws for its edge, or None (the edge runs behind the label's texts)."""
    lines = [op["points"] for op in label.get("_ldraw_", []) if op["op"] == "L"]
    return [tuple(lines[0][0]), tuple(lines[0][-1])] if lines else None


def close(p, q):
    return math.dist(p, q) <= TOUCH


def keys(pic):
    return {item.node.name: item.key for item in pic.view.items if item.kind in ("node", "stub")}


def edge_id(pic, src, dst):
    k = keys(pic)
    [i] = [i for i, e in enumerate(pic.view.edges) if (e.src.key, e.dst.key) == (k[src], k[dst])]
    return f"e{i}_{k[src]}_{k[dst]}"


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_the_flow_turns_into_the_next_row_beside_where_it_left(rankdir):
    out = sample("two_layer")  # fc1 (matmul, add, h) in one row, fc2 (matmul, scores) and the loss in the next
    pic = Picture(out, rankdir=rankdir)
    fc2_matmul = [n.name for n in pic.graph.nodes if n.scope == "fc2" and n.op == "matmul"][0]
    nodes, edges = layout(pic.graph_for(pic.state("final"), rankdir, 2))
    k = keys(pic)
    join = edge_id(pic, "h", fc2_matmul)
    label, exit_box, entry_box = nodes[f"l{join.split('_')[0][1:]}"], box(nodes[k["h"]]), box(nodes[k[fc2_matmul]])
    width, height = (max(box(obj)[i + 2] for obj in nodes.values()) for i in (0, 1))
    assert max(gap(box(label), exit_box), gap(box(label), entry_box)) <= NEAR * max(width, height)
    along = 0 if rankdir == "LR" else 1  # the axis the flow runs along: x, or y (down: decreasing)

    def at(name):
        return centre(nodes[k[name]])[along] * (1 if rankdir == "LR" else -1)
    fc1_matmul = [n.name for n in pic.graph.nodes if n.scope == "fc1" and n.op == "matmul"][0]
    assert at(fc1_matmul) < at("h")  # the first row runs forwards,
    assert at(fc2_matmul) > at("scores")  # the second backwards (its edges drawn head to tail, dir=back),
    assert edges[join]["dir"] == "back"
    assert abs(at("h") - at(fc2_matmul)) <= 1  # from where the first row ends, one rank on
    assert centre(label)[along] * (1 if rankdir == "LR" else -1) > at("h")  # the label beyond both: the turn


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_edges_run_unbroken_through_their_labels_before_gradients_exist(rankdir):
    pic = Picture(sample("two_layer"), rankdir=rankdir)
    state = pic.state(3)  # a forward step: every label keeps room for a gradient not computed yet
    nodes, edges = layout(pic.graph_for(state, rankdir, 2))
    labels = {obj["id"][: -len("_label")]: obj for obj in nodes.values() if obj.get("id", "").endswith("_label")}
    assert len(labels) == 10
    for eid, label in labels.items():
        tail, head = ends(edges[f"{eid}_tail"]), ends(edges[eid])
        line = rule(label)
        if line is None:  # a leaf beside its op: both segments run on to the label's centre, behind its texts
            assert any(close(p, q) for p in tail for q in head), eid
            assert any(close(p, centre(label)) for p in tail), eid
        else:  # the label draws the stretch between them, in the edge's colour
            assert any(close(p, line[0]) for p in tail) != any(close(p, line[1]) for p in tail), eid
            assert any(close(p, line[0]) for p in head) != any(close(p, line[1]) for p in head), eid
            ops = label["_ldraw_"]
            pen = [op["color"] for op in ops[: [op["op"] for op in ops].index("L")] if op["op"] == "c"][-1]
            assert pen.lower() == edges[eid].get("color", theme.EDGE_DONE).lower(), eid


def test_texts_hide_an_edge_only_once_shown():
    """Behind a leaf's label the edge runs on: only the shape and (once it exists) the gradient cover it."""
    pic = Picture(sample("two_layer"), rankdir="LR")
    before = pic.graph_for(pic.state(3), "LR", 2).source
    after = pic.graph_for(pic.state("final"), "LR", 2).source
    assert "outputorder=edgesfirst" in before
    w1 = [ln for ln in before.splitlines() if 'tooltip="W1 \u2192' in ln][0]
    w1_after = [ln for ln in after.splitlines() if 'tooltip="W1 \u2192' in ln][0]
    assert w1.count("BGCOLOR=") == 1 and w1_after.count("BGCOLOR=") == 2  # the shape; then the gradient too


def test_every_step_of_a_folded_picture_has_the_same_size():
    pic = Picture(sample("two_layer"))
    assert pic.rows > 1
    sizes = {svg_size(svg) for svg in pic.step_svgs()}
    assert len(sizes) == 1


def test_a_small_neighbourhood_reads_on_a_slide():
    """two_layer's h and what lies within two edges of it: large enough text on a 1920x1080 slide (it had
    shrunk to 0.84x, the picture 1669x1289 pt)."""
    pic = Picture(sample("two_layer"), around=2, focus="h")
    width, height = svg_size(pic.svg(pic.state(node="h", phase="backward")))
    assert min(1920 / width, 1080 / height) >= 1.1, (width, height, pic.rankdir, pic.rows)


def gate_circuit():
    """The lecture's neuron as a circuit of scalar gates, each weight and input a leaf of its own."""
    w0, x0 = gs.tensor(2.0, requires_grad=True, name="w0"), gs.tensor(-1.0, requires_grad=True, name="x0")
    w1, x1 = gs.tensor(-3.0, requires_grad=True, name="w1"), gs.tensor(-2.0, requires_grad=True, name="x1")
    w2 = gs.tensor(-3.0, requires_grad=True, name="w2")
    f = 1.0 / (1.0 + gs.exp(-(w0 * x0 + w1 * x1 + w2)))
    f.name = "f"
    return f


def test_a_short_flow_is_drawn_straight():
    """The neuron's few small nodes in a line, not folded round in a loop (a flow of wide module boxes, deep_mlp
    at --depth 0, does fold: tests/test_viz_notation.py)."""
    assert Picture(sample("neuron")).rows == 1


def test_folded_rows_follow_each_other_top_to_bottom():
    pic = Picture(gate_circuit(), rankdir="LR")
    nodes, _ = layout(pic.graph_for(pic.state(20), "LR", 2))
    key = {op: next(pic.view.item_of[n].key for n in pic.graph.nodes if n.op == op) for op in ("mul", "exp")}
    assert pic.rows > 1
    first, second = centre(nodes[key["mul"]]), centre(nodes[key["exp"]])  # the first row's op, the second's
    assert first[1] > second[1]  # Graphviz's y grows upwards: the first row lies above the second


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_a_leaf_beside_its_op_has_nothing_between_them(rankdir):
    pic = Picture(gate_circuit(), rankdir=rankdir)
    pairs = [(leaf.key, op.key) for leaf, op in arrange.beside(pic.view)]
    assert pairs
    nodes, _ = layout(pic.graph_for(pic.state(20), rankdir, pic.rows))
    across = 0 if rankdir == "TB" else 1  # beside: along x (TB) or y (LR)
    cards = [obj for name, obj in nodes.items() if name.startswith("n")]
    for leaf, op in pairs:
        low, high = sorted((centre(nodes[leaf])[across], centre(nodes[op])[across]))
        same_rank = [c for c in cards if abs(centre(c)[1 - across] - centre(nodes[op])[1 - across]) < 1]
        between = [c["name"] for c in same_rank if low < centre(c)[across] < high]
        assert between == [], (leaf, op, between)
