"""Colours read on a projector and mean one thing everywhere: text at 4.5:1 and borders at 3:1 against the panes'
backgrounds; a tape row in its node's box colour; the same words for 'needs no gradient' in the tape and the
help; gradients in one colour on the layer screen, and red only for errors."""
from rich.color import Color

from graphscope.stepper import BACKWARD
from graphscope.tui import colours
from graphscope.tui.screens.help import INTRO
from graphscope.tui.widgets.graphview import GraphView, look_style
from graphscope.tui.widgets.inspector import Inspector
from graphscope.tui.widgets.tape import Tape
from tui_apps import sample_app, settle


def luminance(colour):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = colour.get_truecolor()
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(fg, bg):
    a, b = sorted((luminance(Color.parse(fg) if isinstance(fg, str) else fg),
                   luminance(Color.parse(bg) if isinstance(bg, str) else bg)))
    return (b + 0.05) / (a + 0.05)


async def test_colours_read_against_the_panes_backgrounds():
    app = sample_app("two_layer.py")
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        graph_bg = app.screen.query_one(GraphView).rich_style.bgcolor  # tinted when focused
        inspector_bg = app.screen.query_one(Inspector).rich_style.bgcolor
        tape_bg = app.screen.query_one(Tape).rich_style.bgcolor
        for key, colour in colours.LOOK_COLOURS.items():
            ink, border = look_style(key)
            assert contrast(border.color, graph_bg) >= 3, key
            assert contrast(ink.color, graph_bg) >= 4.5, key
            assert contrast(colour, tape_bg) >= 4.5, key  # a tape row's text
        for ink in (colours.MUTED, colours.VALUE, colours.GRAD, colours.ERROR, colours.RIGHT):
            assert contrast(ink, inspector_bg) >= 4.5, ink
        assert contrast("#ffffff", colours.CURRENT) >= 4.5  # the tape's current row, in reverse


async def test_a_tape_row_has_its_box_colour_and_the_same_words_as_the_help():
    app = sample_app("two_layer.py")
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        session = app.session
        session.goto(session.stepper.find(session.find_node("scores"), BACKWARD))
        app.screen.moved()
        await settle(pilot)
        tape = app.screen.query_one(Tape)
        state = session.state
        for row, node in enumerate(tape.nodes):
            if node is session.node:
                continue
            strip = tape.render_line(row + 1 - tape.scroll_offset.y)
            colour = next(seg.style.color for seg in strip if seg.text.strip())
            assert colour == Color.parse(colours.LOOK_COLOURS[state.look(node)]), node.name
        x_row = tape.render_line(1 - tape.scroll_offset.y).text
        assert "no grad" in x_row and "inactive" not in x_row
    assert "needs no gradient (no grad)" in INTRO


def test_gradients_have_one_colour_and_red_means_errors_only():
    from graphscope.tui.widgets.plots import HistogramPlot
    assert HistogramPlot().colour == colours.VALUE
    assert HistogramPlot(colours.GRAD).colour == colours.GRAD
    import inspect

    from graphscope.tui.screens import layers
    assert "HistogramPlot(colours.GRAD" in inspect.getsource(layers)
    for curve in (colours.LOSS_CURVE, colours.TRAIN_ACC_CURVE, colours.VAL_ACC_CURVE):
        assert curve not in (colours.ERROR, colours.GRAD, colours.VALUE, colours.CURRENT)
