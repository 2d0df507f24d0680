"""The mouse on the main screen: a plain wheel pans the graph along the axis that overflows, a press and drag pans
it, a click on an input's heading in the inspector goes to that node; a wide footer names every main key."""
from textual import events

from graphscope.tui.widgets.footer import KeyFooter
from graphscope.tui.widgets.graphview import GraphView
from graphscope.tui.widgets.inspector import INPUT_HEADING, Inspector
from tui_apps import sample_app, settle


async def test_a_plain_wheel_pans_a_graph_that_overflows_only_sideways():
    app = sample_app("batchnorm.py")
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(GraphView)
        assert view.virtual_size.width > view.scrollable_content_region.width
        assert view.virtual_size.height <= view.scrollable_content_region.height
        before = view.scroll_offset.x
        for _ in range(5):
            view.post_message(events.MouseScrollDown(view, 10, 5, 0, 1, 0, False, False, False, screen_x=10,
                                                     screen_y=6))
        await settle(pilot)
        assert view.scroll_offset.x > before


async def test_a_press_and_drag_pans_the_graph():
    app = sample_app("batchnorm.py")
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(GraphView)
        x, y = view.scroll_offset
        await pilot.mouse_down(view, offset=(60, 10))
        await pilot.hover(view, offset=(40, 10))
        await pilot.mouse_up(view, offset=(40, 10))
        await settle(pilot)
        assert view.scroll_offset.x == x + 20 or view.scroll_offset.x == view.max_scroll_x


async def test_a_click_on_an_inputs_heading_goes_to_that_node():
    app = sample_app("two_layer.py")
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        session = app.session
        session.goto(session.stepper.find(session.find_node("scores"), "backward"))
        app.screen.moved()
        await settle(pilot)
        inspector = app.screen.query_one(Inspector)
        body = inspector.body
        row = next(y for y in range(body.size.height) if body.render_line(y).text.strip().startswith(INPUT_HEADING))
        name = body.render_line(row).text.strip()[len(INPUT_HEADING):].split()[0]
        await pilot.click(body, offset=(3, row - inspector.scroll_offset.y))
        await settle(pilot)
        assert session.node.name == name


async def test_a_wide_footer_names_every_main_key():
    app = sample_app("two_layer.py")
    async with app.run_test(size=(200, 55)) as pilot:
        await settle(pilot)
        await pilot.pause(0.1)
        footer = app.screen.query_one(KeyFooter)
        shown = {getattr(c, "key", None) for c in footer.children if c.display}
        assert {"u", "t", "e", "s", "o", "exclamation_mark", "w"} <= shown, shown


async def test_a_click_on_the_footers_step_word_steps():
    from types import SimpleNamespace

    from textual.widgets._footer import FooterLabel
    app = sample_app("chain_rule.py")
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        label = next(c for c in footer.children if isinstance(c, FooterLabel) and "step" in str(c.render()))
        footer.on_mouse_down(SimpleNamespace(widget=label))  # what a click on the word sends the footer
        await settle(pilot)
        assert app.session.step == 1
