"""The graph pane's boxes show their values and gradients when the pane has room (the pictures' cards), the edge
carrying the current step's gradient is labelled with it, and a one-line legend says what the colours mean; with
less room the boxes shrink back to names."""
from graphscope.tui.widgets.graphview import GraphView
from tui_apps import sample_app, screen_lines, settle


def pane_text(app):
    region = app.screen.query_one(GraphView).region
    return [line[region.x:region.right] for line in screen_lines(app)[region.y:region.bottom]]


def box_lines(lines, name):
    """The text inside the box whose first line starts with `name`: its lines, top to bottom."""
    for r, line in enumerate(lines):
        for marker in ("│ ", "┃ ", "┆ "):
            c = line.find(marker + name + " ")
            if c >= 0:
                end = line.find(marker[0], c + 1)
                return [lines[k][c + 2:end].strip() for k in range(r, r + 3)]
    raise AssertionError(f"no box {name}:\n" + "\n".join(lines))


async def test_at_200x55_the_boxes_show_values_gradients_and_the_edge_carries_its_gradient():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=(200, 55)) as pilot:
        await settle(pilot)
        await pilot.press(*"nnnnnnn")  # backward at q = x + y, upstream df/dq = -4
        await settle(pilot)
        assert app.session.node.name == "q"
        lines = pane_text(app)
        assert box_lines(lines, "q") == ["q add", "value 3", "grad  -4"]
        assert box_lines(lines, "f") == ["f mul", "value -12", "grad  1"]
        assert box_lines(lines, "z") == ["z", "value -4", "grad  3"]
        assert sum(line.count("← -4") for line in lines) == 2  # to x and to y
        assert box_lines(lines, "x") == ["x", "value -2", "grad  -4"]  # a leaf: complete, so done already
        legend = next(line for line in lines if "■" in line)
        assert "this step" in legend and "gradient passed on" in legend
        assert "value computed" not in legend  # no box waits for its gradient any more


async def test_forward_boxes_show_values_only_and_pending_ones_nothing():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=(200, 55)) as pilot:
        await settle(pilot)
        await pilot.press("n", "n")  # forward at q
        await settle(pilot)
        lines = pane_text(app)
        assert box_lines(lines, "q") == ["q add", "value 3", ""]
        assert box_lines(lines, "f")[1:] == ["", ""]
        assert not any("←" in line for line in lines)
        assert "not computed yet" in next(line for line in lines if "■" in line)


async def test_at_80x24_the_boxes_are_names_only():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(GraphView)
        assert not view.detailed
        assert all(box.h == 3 for box in view.layout_.boxes.values())
        await pilot.resize_terminal(200, 55)
        await settle(pilot)
        await pilot.pause(0.1)
        assert view.detailed  # room again: the values come back
