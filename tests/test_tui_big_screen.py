"""The TUI projected on a big screen: the graph pane takes the room a wide graph needs from a short inspector, w
hides the inspector, the view keeps the boxes a step's numbers come from in sight, and a maximized pane keeps the
status line."""
from graphscope.stepper import BACKWARD
from graphscope.tui.screens.main import INSPECTOR_MIN, inspector_width
from graphscope.tui.widgets.graphview import GraphView
from tui_apps import sample_app, settle


def whole_in_pane(view, node):
    """True when `node`'s box is drawn whole in the graph pane."""
    box = view.box_of(node)
    x0, y0 = view.origin
    w, h = view.scrollable_content_region.size
    return x0 <= box.x and box.right <= x0 + w and y0 <= box.y and box.y + box.h <= y0 + h


async def goto_backward(app, pilot, name):
    session = app.session
    session.goto(session.stepper.find(session.find_node(name), BACKWARD))
    app.screen.moved()
    await settle(pilot)
    await pilot.pause(0.05)


def test_inspector_width_gives_a_wide_graph_its_room():
    assert inspector_width(200, 100) == 70  # the graph fits its share: the inspector keeps its own
    assert inspector_width(200, 146) == 54  # the graph takes what it needs
    assert inspector_width(200, 206) == INSPECTOR_MIN  # never below the inspector's least
    assert inspector_width(80, 20) == INSPECTOR_MIN


async def test_a_wide_graph_is_drawn_whole_at_200_columns():
    app = sample_app("two_layer.py")
    async with app.run_test(size=(200, 55)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(GraphView)
        assert view.region.width >= view.wanted_width()
        for node in app.session.graph.nodes:
            assert whole_in_pane(view, node), node.name


async def test_the_boxes_a_gradient_comes_from_stay_in_sight():
    """At 160x45 the graph does not fit: at scores' backward step the loss box (its upstream gradient's source) is
    whole beside it, and at b2's, scores."""
    app = sample_app("two_layer.py")
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(GraphView)
        find = app.session.find_node
        await goto_backward(app, pilot, "scores")
        assert whole_in_pane(view, find("scores")) and whole_in_pane(view, find("loss"))
        await goto_backward(app, pilot, "b2")
        assert whole_in_pane(view, find("b2")) and whole_in_pane(view, find("scores"))


async def test_w_hides_the_inspector_and_the_graph_takes_its_columns():
    app = sample_app("batchnorm.py")
    async with app.run_test(size=(200, 55)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("w")
        await settle(pilot)
        assert not screen.query_one("#inspector").display
        assert screen.query_one(GraphView).region.width == 200
        assert "w" in [b.key for b in screen.BINDINGS if b.show]  # in the footer (and so in the help screen)
        await pilot.press("w")
        await settle(pilot)
        assert screen.query_one("#inspector").display


async def test_a_maximized_pane_keeps_the_status_line():
    app = sample_app("two_layer.py")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n", "n")
        screen = app.screen
        screen.maximize(screen.query_one(GraphView))
        await settle(pilot)
        status = screen.query_one("#status")
        assert status.region.height == 1 and status.region.y == 0
        assert "step 2/" in str(status.render())
        assert screen.query_one(GraphView).region.y == 1
