"""What graphscope's output may use in the terminal it runs in: glyphs, colour, the full-screen UI.

- A stream whose encoding cannot hold graphscope's glyphs (``PYTHONIOENCODING=ascii``, a latin-1 locale) is
  switched to the ``graphscope-ascii`` error handler: each glyph it cannot encode is written as its ASCII
  equivalent (``≈`` as ``~``, ``←`` as ``<-``, box lines as ``-|+``, braille and blocks as ``#``), anything
  else as ``?``, so printing never fails half-way (safe_streams, called once at start-up).
- Colour codes only on a terminal that shows them: not piped, ``NO_COLOR`` unset (https://no-color.org),
  ``TERM`` not ``dumb`` (colour_allowed).
- The full-screen UI needs a UTF-8 terminal that is not ``TERM=dumb`` (no_fullscreen_reason).
"""
import codecs
import os
import sys
import unicodedata

#: The name of the codecs error handler that writes graphscope's glyphs as ASCII.
ASCII_FALLBACK = "graphscope-ascii"

#: Glyphs graphscope prints, and what they become where the output's encoding cannot hold them.
GLYPHS = {
    "≈": "~", "≠": "!=", "≤": "<=", "≥": ">=", "±": "+-", "×": "x", "·": ".", "÷": "/", "−": "-", "∞": "inf",
    "√": "sqrt", "∂": "d", "∑": "sum", "Σ": "sum", "∇": "grad", "‖": "||", "∈": "in", "∘": "o", "⊙": "*", "⊗": "kron",
    "←": "<-", "→": "->", "↑": "^", "↓": "v", "↔": "<->", "⇐": "<=", "⇒": "=>", "↳": "->", "⟶": "->",
    "✓": "ok", "✔": "ok", "✗": "X", "✘": "X", "…": "...", "•": ".", "∙": ".", "●": "o", "○": "o", "◦": "o",
    "▶": ">", "▸": ">", "►": ">", "◀": "<", "◂": "<", "▲": "^", "▴": "^", "▼": "v", "▾": "v",
    "■": "#", "□": "[]", "◆": "*", "◇": "*", "★": "*", "☆": "*",
    "–": "-", "—": "--", "‘": "'", "’": "'", "“": '"', "”": '"', "«": "<<", "»": ">>", "\u00a0": " ",
    "²": "^2", "³": "^3", "¹": "^1", "⁻": "^-", "⁰": "^0", "⁴": "^4", "⁵": "^5", "⁶": "^6", "⁷": "^7",
    "⁸": "^8", "⁹": "^9", "λ": "lambda", "μ": "mu", "σ": "sigma", "α": "alpha", "β": "beta", "γ": "gamma",
    "η": "eta", "τ": "tau", "θ": "theta", "ε": "eps", "δ": "delta", "Δ": "Delta", "π": "pi",
}

#: Braille patterns (plotext's fine curves) and block elements (bars, shades).
BRAILLE, BLOCKS = range(0x2800, 0x2900), range(0x2580, 0x25A0)
#: Box-drawing characters: lines and their corners.
BOX = range(0x2500, 0x2580)


def ascii_glyph(ch):
    """`ch` written in ASCII: its equivalent (GLYPHS, box lines, braille and blocks, accents dropped), else '?'."""
    if ch in GLYPHS:
        return GLYPHS[ch]
    code = ord(ch)
    if code in BRAILLE:
        return " " if code == 0x2800 else "#"
    if code in BLOCKS:
        return "#"
    if code in BOX:
        return _box_glyph(unicodedata.name(ch, ""))
    plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
    return plain if plain.isprintable() and plain.strip() else "?"


def _box_glyph(name):
    """'-' for a horizontal line, '|' for a vertical one, '/' '\\' 'X' for diagonals, '+' for a corner or a tee."""
    if "DIAGONAL" in name:
        return "X" if "CROSS" in name else "/" if "UPPER RIGHT TO LOWER LEFT" in name else "\\"
    words = name.split()
    horizontal = any(w in words for w in ("HORIZONTAL", "LEFT", "RIGHT"))
    vertical = any(w in words for w in ("VERTICAL", "UP", "DOWN"))
    return "+" if horizontal and vertical else "|" if vertical else "-"


def _ascii_fallback(error):
    """The codecs error handler: the unencodable characters as ascii_glyph, going on after them."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(ascii_glyph(ch) for ch in error.object[error.start:error.end]), error.end


codecs.register_error(ASCII_FALLBACK, _ascii_fallback)

#: What a stream must be able to encode for graphscope's glyphs to reach it unchanged.
PROBE = "".join(GLYPHS) + "─│┌┐└┘├┤┬┴┼━┃╭╮╰╯⣿▄█"


def encoding_of(stream):
    """The stream's encoding, by its codec's name ('utf-8', 'ascii', 'iso8859-1'); 'unknown' without one."""
    name = getattr(stream, "encoding", None)
    try:
        return codecs.lookup(name).name if name else "unknown"
    except LookupError:
        return str(name)


def holds_glyphs(stream):
    """True when `stream`'s encoding can write every glyph graphscope prints (UTF-8 can; ascii, latin-1 cannot)."""
    name = getattr(stream, "encoding", None)
    if not name:
        return True  # a test's capture, a StringIO: text goes through as it is
    try:
        PROBE.encode(name)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def safe_stream(stream):
    """Make `stream` write what its encoding cannot hold as ASCII (ASCII_FALLBACK) instead of failing; True when
    it was changed. Leaves a stream that holds every glyph, or cannot be reconfigured, as it is."""
    if stream is None or holds_glyphs(stream) or not hasattr(stream, "reconfigure"):
        return False
    if getattr(stream, "errors", None) == ASCII_FALLBACK:
        return False
    try:
        stream.reconfigure(errors=ASCII_FALLBACK)
    except (ValueError, OSError, AttributeError):  # detached or closed: nothing is printed through it anyway
        return False
    return True


def safe_streams():
    """At start-up (the command, a sample): standard output and error never fail on a glyph they cannot encode."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        safe_stream(stream)


def no_color():
    """True when the user asked for no colour: NO_COLOR set to anything but '' (https://no-color.org)."""
    return bool(os.environ.get("NO_COLOR"))


def dumb_terminal():
    """True in a terminal that understands no escape codes (TERM=dumb)."""
    return os.environ.get("TERM", "") == "dumb"


def colour_allowed(stream=None):
    """True when colour codes may be written to `stream` (standard output by default): it is a terminal, NO_COLOR
    is not set and TERM is not dumb."""
    stream = sys.stdout if stream is None else stream
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError, OSError):
        tty = False
    return tty and not no_color() and not dumb_terminal()


def no_fullscreen_reason(stream=None):
    """Why the full-screen UI cannot be drawn on this terminal (TERM=dumb, an encoding without its glyphs), as the
    start of a sentence; None when it can."""
    stream = sys.stdout if stream is None else stream
    if dumb_terminal():
        return "the TUI needs a terminal that understands escape codes (this one is TERM=dumb)"
    if not holds_glyphs(stream):
        return (f"the TUI needs a UTF-8 terminal (this one is {encoding_of(stream)}): "
                f"set LANG=C.UTF-8 or PYTHONIOENCODING=utf-8")
    return None
