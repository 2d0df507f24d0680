"""How the TUI draws in the terminal it runs in: full colour, 16 colours, or none; and with which glyphs.

Textual draws every colour graphscope asks for and rich then brings it down to
what the terminal reports (rich's detection: COLORTERM=truecolor, else a TERM
ending in 256color, else 16 colours). In 16 colours the pictures' pale greys
on white panes become ANSI 37 on 107: light grey on bright white, and on the
Linux console, which has no bright backgrounds, grey on grey. So the app
picks a mode before it starts (terminal_colours):

- FULL (truecolor, 256 colours): the pictures' palette.
- ANSI (16 colours: TERM=xterm with COLORTERM unset, TERM=linux): the
  terminal's own foreground on its own background, whatever it is (black or
  white); state is told by text styles (bold, reverse) and glyphs (the tape's
  marks, heavy lines for the current gradient's edges), red kept for errors.
- MONO (NO_COLOR set, or a monochrome TERM such as xterm-mono): the same
  without any colour escape.

LowColour is the line filter that does it for every widget at once: panes'
backgrounds go, a highlight background (the current node's box) becomes
reverse video, a foreground becomes the terminal's own. On the Linux console
(TERM=linux) ConsoleGlyphs replaces the glyphs its font lacks (it has the
PC's 256: thin and double box lines, blocks, a few arrows) with ones it has.
"""
import colorsys
import os
from functools import lru_cache

from rich.color import Color, ColorType
from rich.segment import Segment
from rich.style import Style
from textual.filter import LineFilter

from ..viz import theme

FULL, ANSI, MONO = "full", "ansi", "mono"
MODES = (FULL, ANSI, MONO)
#: TERM endings of terminals that show no colour at all (xterm-mono, vt100-m, ...).
MONO_TERMS = ("-mono", "-m", "-bw")
#: A background at least this saturated marks something (the current node's box): reverse video without colour.
HIGHLIGHT_SATURATION = 0.4
#: Foregrounds that mean an error keep a colour (bold red reads on black and on white); the rest take the
#: terminal's own.
ERROR_INKS = {Color.parse(c).triplet for c in (theme.ORIGIN_INK, theme.ORIGIN_BORDER)}
#: The current step's colour in the pictures: bold when there is no colour to tell it.
CURRENT_INKS = {Color.parse(c).triplet for c in (theme.EDGE_CURRENT, theme.LOOKS["current"].border)}


def terminal_colours(color_system, environ=None):
    """The mode for a terminal whose colours rich detected as `color_system` ('truecolor', '256', 'standard',
    'windows' or None) with these environment variables: MONO under NO_COLOR (any value, as no-color.org says)
    or a monochrome TERM, FULL with 256 colours or more, else ANSI."""
    environ = os.environ if environ is None else environ
    term = environ.get("TERM", "").strip().lower()
    if "NO_COLOR" in environ or term.endswith(MONO_TERMS) or color_system is None:
        return MONO
    return FULL if color_system in ("truecolor", "256") else ANSI


def console_font(environ=None):
    """True on the Linux console (TERM=linux), whose font has the PC's 256 glyphs only."""
    environ = os.environ if environ is None else environ
    return environ.get("TERM", "").strip().lower().startswith("linux")


def _saturation(color):
    r, g, b = (v / 255 for v in color.get_truecolor())
    return colorsys.rgb_to_hsv(r, g, b)[1]


@lru_cache(maxsize=4096)
def low_colour_style(style):
    """`style` for a terminal of 16 colours or none: see LowColour."""
    if style is None:
        return None
    color, bgcolor = style.color, style.bgcolor
    extra = {}
    if bgcolor is not None and bgcolor.type in (ColorType.STANDARD, ColorType.WINDOWS):
        return style  # a foreground and background the (ANSI) theme chose together
    if bgcolor is not None and not bgcolor.is_default:
        if _saturation(bgcolor) >= HIGHLIGHT_SATURATION:
            extra.update(reverse=not style.reverse, bold=True)
    fg = None
    if color is not None and not color.is_default:
        triplet = color.get_truecolor()
        if color.type == ColorType.TRUECOLOR and triplet in ERROR_INKS:  # graphscope's own error inks only
            fg, extra["bold"] = "red", True
        elif triplet in CURRENT_INKS:
            extra["bold"] = True
    return style + Style(color=fg or "default", bgcolor="default", **extra)


@lru_cache(maxsize=1024)
def mark_highlight(style):
    """`style`, in reverse video when it has a background an ANSI theme chose (a list's highlighted entry: see
    MarkHighlights)."""
    if style is None or style.bgcolor is None or style.bgcolor.is_default \
            or style.bgcolor.type not in (ColorType.STANDARD, ColorType.WINDOWS):
        return style
    return style + Style(reverse=not style.reverse, bold=True)


class MarkHighlights(LineFilter):
    """Without colour, before NoColor takes the colours away: a background the ANSI theme chose (the highlighted
    entry of g's go-to box, of ctrl+p's palette, of a table) becomes reverse video, which needs no colour. Textual
    drops a text-style 'reverse' given to a list's entries in CSS, so it is done here."""

    def apply(self, segments, background):
        return [Segment(text, mark_highlight(style), control) for text, style, control in segments]


class LowColour(LineFilter):
    """Every segment in the terminal's own colours (16 colours or none): a pane's background goes, a highlight
    background becomes reverse video (bold), a foreground becomes the terminal's own (an error's stays red, bold;
    the current step's is bold). A foreground and background an ANSI theme chose together stay."""

    def apply(self, segments, background):
        return [Segment(text, low_colour_style(style), control) for text, style, control in segments]


#: Glyphs the Linux console's font lacks, and what it shows instead (its font has CP437's box lines, blocks,
#: arrows and a few symbols).
CONSOLE_GLYPHS = {
    "╭": "┌", "╮": "┐", "╰": "└", "╯": "┘", "╌": "-", "┆": ":", "╴": "─", "╶": "─", "╸": "═", "╺": "═",
    "━": "═", "┃": "║", "┏": "╔", "┓": "╗", "┗": "╚", "┛": "╝", "┣": "╠", "┫": "╣", "┳": "╦", "┻": "╩", "╋": "╬",
    "▶": "►", "◀": "◄", "▸": "►", "…": "~", "✓": "√", "✗": "x", "×": "x", "⌃": "^",
    "▁": "▄", "▂": "▄", "▃": "▄", "▅": "▄", "▆": "█", "▇": "█", "▉": "█", "▊": "▌", "▋": "▌", "▍": "▌", "▎": "▌",
    "▏": "▌", "▔": "▀", "▕": "▐",
    "🔎": "> ",  # the palette's search icon, two cells wide
}


def _braille(code):
    """A braille cell (plotext's curves) as the console's nearest dot: '˙'-like marks by where its dots are."""
    bits = code - 0x2800
    top, bottom = bits & 0b00011011, bits & 0b11100100  # dots 1, 2, 4, 5 / dots 3, 6, 7, 8
    return " " if not bits else ":" if top and bottom else "'" if top else "."


CONSOLE_TABLE = str.maketrans({**CONSOLE_GLYPHS, **{chr(c): _braille(c) for c in range(0x2800, 0x2900)}})


class ConsoleGlyphs(LineFilter):
    """The Linux console's glyphs for those its font lacks (CONSOLE_GLYPHS; braille as '.', ':' or "'"); every
    replacement is as many cells wide as the glyph it replaces."""

    def apply(self, segments, background):
        return [Segment(text.translate(CONSOLE_TABLE), style, control) for text, style, control in segments]
