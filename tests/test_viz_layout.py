"""viz.layout: boxes in terminal cells from Graphviz's plain output, or by topological layers without dot."""
import json

import numpy as np
import pytest

import graphscope as gs
from graphscope.examples import lecture_example
from graphscope.viz import have_dot
from graphscope.viz.layout import BOX_H, DOT, LAYERS, box_width, layout, parse_json
from graphscope.viz.view import View


def lecture_view():
    return View(gs.Graph(lecture_example()))


def labels_of(view):
    return {item.key: item.node.name for item in view.items}


def assert_no_overlap(boxes):
    placed = list(boxes.values())
    for i, a in enumerate(placed):
        for b in placed[i + 1:]:
            apart = a.right <= b.x or b.right <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y
            assert apart, (a, b)


@pytest.mark.parametrize("engine", [LAYERS, DOT])
def test_inputs_sit_left_of_their_consumers_and_boxes_do_not_overlap(engine):
    if engine == DOT and not have_dot():
        pytest.skip("Graphviz's dot is not installed")
    view = lecture_view()
    lay = layout(view, labels_of(view), engine=engine)
    assert lay.engine == engine
    assert set(lay.boxes) == {item.key for item in view.items}
    for e in view.edges:
        assert lay.boxes[e.src.key].right < lay.boxes[e.dst.key].x
    assert_no_overlap(lay.boxes)
    for key, box in lay.boxes.items():
        assert box.w == box_width(labels_of(view)[key]) and box.h == BOX_H
        assert box.right < lay.width and box.y + box.h <= lay.height


@pytest.mark.parametrize("engine", [LAYERS, DOT])
def test_routes_run_from_the_source_box_to_the_arrowhead_cell_in_straight_pieces(engine):
    if engine == DOT and not have_dot():
        pytest.skip("Graphviz's dot is not installed")
    view = lecture_view()
    lay = layout(view, labels_of(view), engine=engine)
    assert len(lay.routes) == len(view.edges)
    for edge, points in lay.routes:
        src, dst = lay.boxes[edge.src.key], lay.boxes[edge.dst.key]
        assert points[0] == (src.right, src.mid_y)
        assert points[-1] == (dst.x - 1, dst.mid_y)
        for (x1, y1), (x2, y2) in zip(points, points[1:]):
            assert x1 == x2 or y1 == y2


def test_graphviz_json_is_converted_to_cells_with_y_pointing_down():
    laid_out = json.dumps({"bb": "0,0,144,72", "objects": [
        {"name": "cluster_1", "id": "fc1", "bb": "7.2,14.4,86.4,72"},
        {"name": "a", "pos": "36,50.4"}, {"name": "b", "pos": "108,21.6"}]})
    boxes, frames = parse_json(laid_out, {"a": 6, "b": 6})
    assert (boxes["a"].x, boxes["a"].y) == (2, 0)   # centre (5, 1.5) cells, 6 wide, 3 high
    assert (boxes["b"].x, boxes["b"].y) == (12, 2)  # lower in the picture: further down the screen
    assert boxes["a"].w == 6
    [frame] = frames
    assert (frame.scope, frame.x, frame.y, frame.w, frame.h) == ("fc1", 1, 0, 11, 4)


def two_layer_view():
    x = gs.tensor(np.ones((2, 3)), name="x")
    with gs.scope("fc1"):
        h = gs.relu(x @ gs.param(np.ones((3, 4)), name="W1"))
    with gs.scope("fc2"):
        s = h @ gs.param(np.ones((4, 2)), name="W2")
    return View(gs.Graph(gs.sum(s)))


@pytest.mark.skipif(not have_dot(), reason="Graphviz's dot is not installed")
def test_scopes_get_frames_around_exactly_their_boxes_with_room_for_the_title():
    view = two_layer_view()
    labels = labels_of(view)
    lay = layout(view, labels, engine=DOT)
    assert sorted(f.scope for f in lay.frames) == ["fc1", "fc2"]
    for frame in lay.frames:
        inside = {item.key for item in view.items if item.parent_scope == frame.scope}
        for key, box in lay.boxes.items():
            within = frame.x < box.x and box.right < frame.x + frame.w and frame.y < box.y \
                and box.y + box.h < frame.y + frame.h
            assert within == (key in inside), (frame, key, box)
        assert frame.w >= len(frame.title) + 4
        assert frame.x + frame.w < lay.width and frame.y + frame.h < lay.height
    a, b = lay.frames
    assert a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y  # frames apart


def test_layers_draw_no_frames():
    view = two_layer_view()
    assert layout(view, labels_of(view), engine=LAYERS).frames == []


def test_large_views_are_laid_out_by_layers_without_asking_dot(monkeypatch):
    import graphscope.viz.layout as layout_module
    monkeypatch.setattr(layout_module, "DOT_MAX", 3)
    monkeypatch.setattr(layout_module, "have_dot", lambda: pytest.fail("dot must not be asked"))
    view = lecture_view()
    assert layout(view, labels_of(view)).engine == LAYERS


def test_a_failing_dot_falls_back_to_layers(monkeypatch):
    import graphscope.viz.layout as layout_module

    def broken(view, widths):
        raise RuntimeError("dot crashed")

    monkeypatch.setattr(layout_module, "_dot_boxes", broken)
    view = lecture_view()
    lay = layout(view, labels_of(view), engine=DOT)
    assert lay.engine == LAYERS and set(lay.boxes) == {item.key for item in view.items}
