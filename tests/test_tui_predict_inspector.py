"""Predict mode's question stands beside the inspector without dimming it: the numbers it asks about read in their
own colours."""
from graphscope.tui.widgets.inspector import Inspector
from tui_apps import sample_app, settle


def inspector_colours(app, inspector):
    """The (foreground, background) colours the screen draws over the inspector's text."""
    region = inspector.content_region
    strips = app.screen._compositor.render_strips()
    return {(seg.style.color, seg.style.bgcolor) for strip in strips[region.y:region.bottom]
            for seg in strip.crop(region.x, region.right) if seg.style and seg.text.strip()}


async def test_the_question_leaves_the_inspector_undimmed():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("f", "t")  # at the last forward step, predict mode on
        await settle(pilot)
        main = app.screen
        inspector = main.query_one(Inspector)
        before = inspector_colours(app, inspector)
        await pilot.press("n")  # the first backward question opens
        await settle(pilot)
        assert app.screen is not main  # the question's box
        assert inspector_colours(app, inspector) <= before
