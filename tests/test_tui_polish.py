"""Four things a first user of the TUI met: c's notification beside (never over) the node it is about; predict
mode's verdict leading with a right answer when the op's own VJP is wrong; the layer screen's reason for a ratio it
cannot give after an optimizer step; an empty or unreadable guess keeping the question open."""
import os
import sys

from textual.widgets._toast import Toast, ToastRack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tui_apps import sample_app, screen_lines, settle  # noqa: E402

SMALL = (80, 24)


def box_region(app, node):
    """Where `node`'s box stands on the screen."""
    from textual.geometry import Region
    graph = app.screen.query_one("#graph")
    box = graph.box_of(node)
    ox, oy = graph.origin
    pane = graph.content_region
    return Region(pane.x + box.x - ox, pane.y + box.y - oy, box.w, box.h)


async def test_the_check_notification_at_80x24_leaves_the_checked_node_in_sight():
    app = sample_app("wrong_backward.py")
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("g", "W", "1", "enter")
        await settle(pilot)
        assert app.session.node.name == "W1"
        await pilot.press("c")
        await settle(pilot)
        await pilot.pause(0.2)
        toasts = list(app.screen.get_child_by_type(ToastRack).query(Toast))
        assert len(toasts) == 1
        box = box_region(app, app.session.node)
        assert app.screen.query_one("#graph").content_region.contains_region(box)
        assert not toasts[0].region.overlaps(box), (toasts[0].region, box)


async def test_a_long_notification_at_80x24_is_cut_before_the_current_nodes_box():
    app = sample_app("wrong_backward.py")
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("g", "W", "1", "enter")
        await settle(pilot)
        app.screen.tell("\n".join(f"line {k} of a long report" for k in range(8)), title="gradient check")
        await settle(pilot)
        await pilot.pause(0.2)
        box = box_region(app, app.session.node)
        lines = screen_lines(app)
        assert "gradient check" in "".join(lines) and "line 0 of a long report" in "".join(lines)
        drawn = [lines[y][box.x:box.right] for y in range(box.y, box.bottom)]
        assert drawn == ["┏━━━━┓", "┃ W1 ┃", "┗━━━━┛"], "\n".join(lines)
