"""The TUI in 16 colours, in none (NO_COLOR, xterm-mono), on the Linux console and without Graphviz's dot.

Readability is measured as a terminal shows it: every segment the app draws (its line filters applied) is
brought down to 16 colours as rich does for the terminal, then looked up in xterm's palette (on its white and
on a black default background) and in the Linux console's (black background, no bright backgrounds), and its
text must have a WCAG contrast of at least MIN_CONTRAST against what is behind it.
"""
import os
import re

import pytest
from rich.color import ColorSystem
from rich.style import Style

from graphscope.tui import GraphscopeApp, TrainingOptions
from graphscope.tui.palette import ANSI, FULL, MONO, console_font, terminal_colours
from graphscope.tui.screens.layers import LayerScreen
from graphscope.tui.screens.training import TrainingScreen
from graphscope.tui.widgets.graphview import GraphView
from graphscope.tui.widgets.plots import CurvePlot
from graphscope.tui.widgets.tape import Tape
from graphscope.tui.widgets.tape_layout import MARKS
from graphscope.userfile import load_graph_file
from tui_apps import SAMPLES, settle

#: WCAG's floor for large text (and the least a 16-colour palette has for any text on black and on white).
MIN_CONTRAST = 3.0
XTERM = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205),
         (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255),
         (0, 255, 255), (255, 255, 255)]
VGA = [(0, 0, 0), (170, 0, 0), (0, 170, 0), (170, 85, 0), (0, 0, 170), (170, 0, 170), (0, 170, 170),
       (170, 170, 170), (85, 85, 85), (255, 85, 85), (85, 255, 85), (255, 255, 85), (85, 85, 255), (255, 85, 255),
       (85, 255, 255), (255, 255, 255)]
#: (name, palette, default foreground, default background, bright backgrounds shown as normal ones)
TERMINALS = [("xterm on white", XTERM, (0, 0, 0), (255, 255, 255), False),
             ("xterm on black", XTERM, (229, 229, 229), (0, 0, 0), False),
             ("Linux console", VGA, (170, 170, 170), (0, 0, 0), True)]


def app_on(sample, colours, console=False):
    path = os.path.join(SAMPLES, sample)
    app = GraphscopeApp(load_graph_file(path), f"samples/{sample}", path, colours=colours, console=console)
    app.cursor_blink = False
    return app


def luminance(rgb):
    def channel(v):
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def shown(style, terminal):
    """(foreground, background) RGB of `style` in 16 colours on `terminal` (bold brightens the 8 base colours, as
    xterm and the console do; reverse swaps)."""
    _, palette, default_fg, default_bg, no_bright_bg = terminal

    def rgb(color, default, bright=False, background=False):
        if color is None or color.is_default:
            return default
        number = color.downgrade(ColorSystem.STANDARD).number
        if background and no_bright_bg and number >= 8:
            number -= 8
        if bright and number < 8:
            number += 8
        return palette[number]

    fg = rgb(style.color, default_fg, bright=bool(style.bold))
    bg = rgb(style.bgcolor, default_bg, background=True)
    return (bg, fg) if style.reverse else (fg, bg)


def drawn_segments(widget):
    """Every non-blank segment `widget` draws, through the app's line filters, with the line it is on."""
    filters = widget.app.get_line_filters()
    for y in range(widget.size.height):
        strip = widget.render_line(y)
        for f in filters:
            strip = strip.apply_filter(f, widget.background_colors[1])
        for seg in strip:
            if seg.text.strip():
                yield y, seg


def unreadable(widget):
    """The texts of `widget` whose contrast is below MIN_CONTRAST on some 16-colour terminal."""
    bad = []
    for y, seg in drawn_segments(widget):
        style = seg.style or Style()
        for terminal in TERMINALS:
            ratio = contrast(*shown(style, terminal))
            if ratio < MIN_CONTRAST:
                bad.append((terminal[0], y, seg.text.strip()[:20], round(ratio, 2)))
    return bad


# ---------------------------------------------------------------- choosing the mode
@pytest.mark.parametrize("system, env, mode", [
    ("truecolor", {"TERM": "xterm-256color", "COLORTERM": "truecolor"}, FULL),
    ("256", {"TERM": "xterm-256color"}, FULL),
    ("standard", {"TERM": "xterm"}, ANSI),
    ("standard", {"TERM": "linux"}, ANSI),
    ("standard", {"TERM": "xterm-mono"}, MONO),
    ("truecolor", {"TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": ""}, MONO),
    (None, {"TERM": "dumb"}, MONO),
])
def test_the_colour_mode_follows_the_terminal(system, env, mode):
    assert terminal_colours(system, env) == mode


def test_only_the_linux_console_gets_its_glyphs():
    assert console_font({"TERM": "linux"}) and not console_font({"TERM": "xterm"})


# ---------------------------------------------------------------- 16 colours: readable on any palette
@pytest.mark.parametrize("colours", [ANSI, MONO])
async def test_every_tape_graph_and_inspector_text_reads_on_xterm_and_the_console(colours):
    app = app_on("two_layer.py", colours)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"n" * 13)  # backward, mid-way: done, current and pending rows, an inspector with edges
        await settle(pilot)
        tape = app.screen.query_one(Tape)
        statuses = {app.session.state.status(n) for n in tape.nodes}
        assert {"done", "pending", "current"} <= statuses
        for widget in (tape, app.screen.query_one(GraphView), app.screen.query_one("#inspector-body"),
                       app.screen.query_one("#status")):
            assert unreadable(widget) == [], type(widget).__name__


async def test_the_footer_and_the_layer_screen_read_in_16_colours():
    from textual.widgets import DataTable
    app = app_on("two_layer.py", ANSI)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("l")
        await settle(pilot)
        widgets = [app.screen.query_one(DataTable), app.screen.query_one("#layers-status"),
                   *app.screen.query("FooterKey")]
        assert len(widgets) > 3
        assert [bad for w in widgets for bad in unreadable(w)] == []


async def test_in_full_colour_the_pictures_palette_stays():
    app = app_on("two_layer.py", FULL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"n" * 13)
        await settle(pilot)
        colours = {seg.style.color.triplet for _, seg in drawn_segments(app.screen.query_one(Tape))
                   if seg.style and seg.style.color}
        assert len(colours) >= 2  # done and pending rows in the pictures' inks


async def test_without_colour_no_segment_carries_a_colour():
    app = app_on("two_layer.py", MONO)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"n" * 13)
        await settle(pilot)
        for widget in (app.screen.query_one(Tape), app.screen.query_one(GraphView),
                       app.screen.query_one("#inspector-body")):
            for _, seg in drawn_segments(widget):
                style = seg.style or Style()
                assert style.color is None or style.color.is_default, seg
                assert style.bgcolor is None or style.bgcolor.is_default, seg


# ---------------------------------------------------------------- state without colour
async def test_the_tape_marks_every_row_at_80_columns():
    app = app_on("two_layer.py", MONO)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"n" * 13)
        await settle(pilot)
        tape = app.screen.query_one(Tape)
        assert "status" not in [c.title for c in tape.columns]  # too narrow for the words
        rows = [tape.render_line(y).text for y in range(1, tape.size.height)]
        state = app.session.state
        top = tape.scroll_offset.y
        for k, text in enumerate(rows):
            if top + k < len(tape.nodes):
                assert text[0] == MARKS[state.status(tape.nodes[top + k])], text
        assert {row[0] for row in rows} >= {MARKS["done"], MARKS["pending"], MARKS["current"]}


async def test_the_current_steps_edges_are_heavy_without_colour_and_thin_in_colour():
    texts = {}
    for colours in (FULL, MONO):
        app = app_on("chain_rule.py", colours)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("n", "n", "n")  # at q: its edges in and out are the current step's
            await settle(pilot)
            view = app.screen.query_one(GraphView)
            texts[colours] = "".join(view.render_line(y).text for y in range(view.size.height))
    heavy = {k: sum(t.count(ch) for ch in "━┃┏┓┗┛┣┫┳┻╋") for k, t in texts.items()}
    assert heavy[MONO] > heavy[FULL]  # the current box is heavy in both; its edges only without colour


@pytest.mark.parametrize("colours", [FULL, MONO])
async def test_without_colour_each_training_curve_has_its_own_mark(colours):
    app = app_on("train_spiral.py", colours)
    app.training_options = TrainingOptions(epochs=2, batch_size=100)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, TrainingScreen)
        for _ in range(200):
            await pilot.pause(0.05)
            if not screen.running and screen.run is not None and screen.run.trainer.history.val_acc:
                break
        samples = [entry[2] for entry in screen.query_one(CurvePlot).legend]
        legend = str(screen.query_one("#training-legend").render())
    assert len(samples) == 3
    if colours == MONO:
        assert len(set(samples)) == 3 and all(s in legend for s in samples)
    else:
        assert set(samples) == {"━━"}  # colour tells them apart


# ---------------------------------------------------------------- the Linux console's glyphs
#: What the Linux console's (CP437) font draws.
CP437 = set(bytes(range(32, 256)).decode("cp437")) | set("☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼⌂")


async def test_on_the_console_every_glyph_is_one_its_font_has():
    app = app_on("two_layer.py", ANSI, console=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"n" * 13)
        await settle(pilot)
        drawn = set()
        for widget in (app.screen.query_one(Tape), app.screen.query_one(GraphView),
                       app.screen.query_one("#inspector-body")):
            drawn |= {ch for _, seg in drawn_segments(widget) for ch in seg.text}
    assert drawn - CP437 == set()


# ---------------------------------------------------------------- without Graphviz's dot
@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    """A PATH without Graphviz's dot, the working folder a fresh one."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def test_without_dot_s_saves_dot_text_and_says_so_in_two_lines(no_dot):
    app = app_on("chain_rule.py", FULL)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        told = [n.message for n in app._notifications]
        assert len(told) == 1 and "plain" in told[0] and "dot" in told[0]  # the plain layout, said once
        await pilot.press("n", "n", "s")
        await settle(pilot)
        told = [n for n in app._notifications]
        assert not isinstance(app.screen, type(None)) and app.screen.__class__.__name__ == "MainScreen"
    written = no_dot / "graphscope-step2-q.dot"
    assert written.exists() and "digraph" in written.read_text()
    (note,) = told
    assert str(written) in note.message and len(note.message.splitlines()) == 2
    assert "dot -Tsvg" in note.message


async def test_the_plain_layout_notice_comes_once(no_dot):
    app = app_on("two_layer.py", FULL)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        assert [n.message for n in app._notifications if "plain" in n.message]
        app.clear_notifications()
        app.screen.query_one(GraphView).relayout()  # laid out again (a scope collapsed), still without dot
        await settle(pilot)
        assert app.screen.told_plain_layout
        assert not any("plain" in n.message for n in app._notifications)


# ---------------------------------------------------------------- the layer screen's header
@pytest.mark.parametrize("width", [80, 100, 120, 140])
async def test_the_layer_screens_header_never_leaves_a_lone_word(width):
    app = app_on("two_layer.py", FULL)
    async with app.run_test(size=(width, 30)) as pilot:
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, LayerScreen)
        status = app.screen.query_one("#layers-status")
        lines = [status.render_line(y).text.rstrip() for y in range(status.size.height)]
        lines = [line for line in lines if line.strip()]
    for line in lines[1:]:  # a wrapped line starts at a part of its own: after ' · ' (never one word alone)
        assert len(line.split()) > 1, lines
    assert all(re.sub(r"\s+", " ", line).strip() for line in lines)
