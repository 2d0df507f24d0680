"""Graphviz HTML-like labels: one card per node or box, a small table per edge.

Every card is an outer table holding one inner table. The outer table's
border plus padding add up to the same size whatever the status (a thick
border for the current node, a thin one with more padding otherwise), so
highlighting a node never changes its size.
"""
import re
from dataclasses import dataclass, replace
from html import escape

from ..engine.formatting import shape_text
from ..stepper.events import UPDATE
from ..stepper.notation import indexing
from ..engine.visible import shortened, visible
from . import theme
from . import summaries
from .step_texts import (NOT_YET, block_outputs, box_value_text, grad_text, inner_rows, item_output, lines_of,
                         progress_text, update_keys, update_texts, value_text)
from .view import FOLD, pattern_name

#: The legend words of the origin of a non-finite value.
ORIGIN_KEY = "\u26a0 " + theme.ORIGIN_LEGEND
_SPACES = re.compile(r" {2,}")
_BORDER = {True: (3, 1), False: (1, 3)}  # thick -> (border, padding); both add up to 4 per side


def esc(text):
    """`text` for a Graphviz HTML label (XML): markup escaped, control characters written out (``\\x1b``)."""
    return escape(visible(text, keep="\n"), quote=True)


def mono(text, width=0, color=theme.INK, size=theme.FONT_SIZE - 1, lines=0):
    """Monospaced text, each line padded to `width` characters and the text to `lines` lines (non-breaking
    spaces keep the room); the lines of a listed matrix (step_texts.compact) stand one under the other."""
    rows = lines_of(text)
    rows += [""] * max(0, lines - len(rows))
    body = "<BR/>".join(_padded(row, width) for row in rows)
    return f'<FONT FACE="{theme.MONO}" POINT-SIZE="{size}" COLOR="{color}">{body}</FONT>'


def _padded(line, width):
    body = _SPACES.sub(lambda m: " " + "&#160;" * (len(m.group(0)) - 1), esc(line))
    if line.startswith(" "):  # a matrix row's indent: a leading space alone would be dropped
        body = "&#160;" + body[1:]
    return body + "&#160;" * max(0, width - len(line))


def small(text, color=theme.MUTED):
    return f'<FONT POINT-SIZE="{theme.SMALL}" COLOR="{color}">{esc(text)}</FONT>'


@dataclass(frozen=True)
class Alert:
    """A warning row under a card's header (viz.origin); before it applies (`shown` false) an empty row of the
    same size holds its room, so the card keeps its size across steps."""

    text: str
    shown: bool


def alert_look(look, alert):
    """The look of a card carrying `alert`: the origin's border colour, thick (the same size: see _BORDER)."""
    return replace(look, border=theme.ORIGIN_BORDER, thick=True) if alert is not None and alert.shown else look


def alert_row(alert):
    """The <TR> of an alert: bold warning text on the origin's colour, or its empty room."""
    if alert.shown:  # lines padded to the longest: they stand left-aligned
        text = mono(alert.text, max(len(row) for row in lines_of(alert.text)), theme.ORIGIN_INK, theme.SMALL)
        return f'<TR><TD ALIGN="LEFT" COLSPAN="2" BGCOLOR="{theme.ORIGIN_HEAD}"><B>{text}</B></TD></TR>'
    rows = lines_of(alert.text)
    room = mono("", max(len(row) for row in rows), theme.MUTED, theme.SMALL, len(rows))
    return f'<TR><TD ALIGN="LEFT" COLSPAN="2"><B>{room}</B></TD></TR>'


def card(look, head_left, head_right, rows, alert=None):
    """A node card: header (bold name, italic kind), an optional Alert row, and rows of (key, html) or a
    full-width html string."""
    look = alert_look(look, alert)
    border, pad = _BORDER[look.thick]
    style = "rounded,dashed" if look.dashed else "rounded"
    head = (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
            f'<TD ALIGN="LEFT"><FONT COLOR="{look.ink}"><B>{esc(head_left)}</B></FONT></TD>'
            f'<TD ALIGN="RIGHT">&#160;&#160;<FONT COLOR="{look.ink}"><I>{esc(head_right)}</I></FONT></TD></TR></TABLE>')
    body = [f'<TR><TD COLSPAN="2" BGCOLOR="{look.head}">{head}</TD></TR>']
    if alert is not None:
        body.append(alert_row(alert))
    for row in rows:
        if isinstance(row, str):
            body.append(f'<TR><TD ALIGN="LEFT" COLSPAN="2">{row}</TD></TR>')
        else:
            key, html = row
            body.append(f'<TR><TD ALIGN="LEFT" VALIGN="TOP">{small(key)}</TD><TD ALIGN="LEFT">{html}</TD></TR>')
    inner = (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3">{"".join(body)}</TABLE>')
    return (f'<<TABLE BORDER="{border}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{pad}" STYLE="{style}" '
            f'COLOR="{look.border}" BGCOLOR="{look.fill}"><TR><TD>{inner}</TD></TR></TABLE>>')


def value_rows(item_key, node, state, widths, look, waiting=NOT_YET):
    """The 'value' row (`waiting`: its text before the value exists), and the 'grad' row for nodes that need a
    gradient."""
    v = state.value(node)
    ink = look.ink if v is not None else theme.MUTED
    rows = [("value", _changing(value_text(v) if v is not None else waiting, widths, (item_key, "value"), ink))]
    if node.requires_grad:
        g = state.grad(node)
        ink = theme.GRAD_INK if g is not None else theme.MUTED
        text = grad_text(g, state.grad_status(node), state.stopped_at)
        rows.append(("grad", _changing(text, widths, (item_key, "grad"), ink)))
    return rows + update_rows(item_key, node, state, widths, look)


def update_rows(item_key, node, state, widths, look):
    """A parameter the optimizer updates, in the update phase: the step taken and its state ('m', 'v', 'velocity',
    ...) once its update has run, their room kept (empty) before. The forward and backward phases show none: their
    pictures are laid out as without an optimizer."""
    at = state.update_step_of(node)
    if at < 0 or state.phase != UPDATE:
        return []
    recorded = state.recording.events[at]
    done = state.update_event(node)
    texts = update_texts(done) if done is not None else {}
    return [(key, _changing(texts.get(key, NOT_YET), widths, (item_key, key), look.ink if done else theme.MUTED))
            for key in update_keys(recorded)]


def _changing(text, widths, key, color, size=theme.FONT_SIZE - 1):
    """A text that changes from step to step, in the room it takes at its longest (step_texts.Widths)."""
    return mono(text, widths.get(key), color, size, widths.lines(key))


def node_label(item, state, widths, look, alert=None):
    """A node's card: name, kind, shape, value, gradient (and the Alert of the origin of a non-finite value)."""
    node = item.node
    if node.op_def is None and node.role == "const" and node._name is None:
        return constant_label(item, state, widths, look, alert)
    kind = indexing(node) or (node.op_def.name if node.op_def is not None else node.role)
    meta = shape_text(node.shape) + ("" if str(node.dtype) == "float64" else f" {node.dtype}")
    return card(look, node.name, kind, [small(meta)] + value_rows(item.key, node, state, widths, look), alert)


def constant_label(item, state, widths, look, alert=None):
    """An unnamed constant (a number written in the user's formula): just its value (and an Alert row)."""
    look = alert_look(look, alert)
    border, pad = _BORDER[look.thick]
    style = "rounded,dashed" if look.dashed else "rounded"
    v = state.value(item.node)
    text = _changing(value_text(v), widths, (item.key, "value"), look.ink if v is not None else theme.MUTED)
    rows = f'<TR><TD>{text}</TD></TR>' + (alert_row(alert).replace(' COLSPAN="2"', "") if alert else "")
    return (f'<<TABLE BORDER="{border}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{pad + 2}" STYLE="{style}" '
            f'COLOR="{look.border}" BGCOLOR="{look.head}">{rows}</TABLE>>')


def stub_label(item):
    """A node outside a neighbourhood view: its name in grey, where the rest of the graph attaches."""
    return (f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" STYLE="rounded,dashed" '
            f'COLOR="{theme.STUB_BORDER}" BGCOLOR="{theme.STUB_FILL}"><TR><TD>'
            f'{small(chr(0x2026) + " " + item.node.name, theme.MUTED)}</TD></TR></TABLE>>')


def box_label(item, state, widths, look, alert=None):
    """A collapsed module, or a folded run of identical blocks (each one scope or a group of sibling scopes)."""
    out = item_output(item)
    if item.kind == FOLD:
        first, last = item.scopes[0], item.scopes[-1]
        block = item.block_nodes(0)
        head, kind = f"{pattern_name(block)} \u00d7 {item.blocks}", "repeated"
        rows = [("blocks", esc(f"{_short(first)} \u2026 {_short(last)}"))]
        params = [n for n in block if n.op_def is None and n.requires_grad]
        param_key = "params/block"
    else:
        head, kind = _short(item.scopes[0]), "module"
        rows = []
        params = [n for n in item.nodes if n.op_def is None and n.requires_grad]
        param_key = "params"
    rows.append(("in", esc(_shapes(item.inputs)) or small("none")))
    rows.append(("out", esc(_shapes(item.outputs))))
    if params:
        rows.append((param_key, esc(_params(params))))
    rows += value_rows(item.key, out, state, widths, look, box_value_text(item, state))
    if item.kind == FOLD and out.requires_grad:  # how the gradient changes from block to block
        rows.append(per_block_row(item, state))
    rows.append(mono(progress_text(item, state), widths.get((item.key, "progress")), theme.MUTED, theme.SMALL))
    return card(look, head, kind, rows + current_rows(item, state, widths, look), alert)


def per_block_row(item, state):
    """A fold's gradient, block by block (summaries.spread_text): each block output's gradient, its value for a
    scalar ('grad/block'), else its std ('grad std/block'); the room kept the same at every step."""
    outs = block_outputs(item)
    scalar = all(summaries.is_scalar(n) for n in outs)
    return spread_row("grad/block" if scalar else "grad std/block",
                      [None if n is None else summaries.entry(state.grad(n), scalar) for n in outs], signed=scalar)


def spread_row(key, numbers, color=theme.GRAD_INK, signed=True):
    """A (key, html) row of one number per block or call, in the room its count takes at its longest (`signed`
    False: numbers never negative)."""
    text = summaries.spread_text(numbers, signed)
    chars, lines = summaries.spread_room(len(numbers), signed)
    return key, mono(text, chars, color if text != NOT_YET else theme.MUTED, lines=lines)


def current_rows(item, state, widths, look):
    """Under a box's progress line ('> fc3.W  4/15 updated'), the numbers of the node the walk is at inside it: its
    value, gradient and, in the update phase, its update (empty, their room kept, while the walk is elsewhere; none
    in a picture with no current node)."""
    recording = getattr(state, "recording", None)
    if state.current is None or recording is None:
        return []
    node = state.current if state.current in item.node_set else None
    rows = []
    for key in inner_rows(item, recording):
        if key not in ("value", "grad") and state.phase != UPDATE:
            continue
        text, ink = "", look.ink
        if node is not None and key == "value":
            v = state.value(node)
            text, ink = value_text(v), look.ink if v is not None else theme.MUTED
        elif node is not None and key == "grad" and node.requires_grad:
            g = state.grad(node)
            text = grad_text(g, state.grad_status(node), state.stopped_at)
            ink = theme.GRAD_INK if g is not None else theme.MUTED
        elif node is not None and key not in ("value", "grad") and state.update_step_of(node) >= 0:
            done = state.update_event(node)
            text = update_texts(done)[key] if done is not None else NOT_YET
            ink = look.ink if done is not None else theme.MUTED
        label = key if node is not None and text else "\u00a0"  # (an empty FONT is not valid Graphviz HTML)
        rows.append((label, _changing(text, widths, (item.key, "inner " + key), ink)))
    return rows


@dataclass(frozen=True)
class EdgeLine:
    """How an edge reads as one unbroken line through its label at every step (the label keeps room for a
    gradient that may not exist yet).

    Along the flow the label draws the stretch itself, one point thick in the edge's colour and dash, where
    edges meet it (the port LINE_PORT): across the label top to bottom (`vertical`, the texts to its right)
    or left to right (the shape above, the gradient below). Between two items at one rank (`behind`, where
    Graphviz cannot aim an edge at a port) the edge runs on to the label's centre, behind texts drawn on
    `background`: only the texts shown at this step hide it.
    """

    color: str
    dashed: bool = False
    vertical: bool = False
    behind: bool = False
    background: str = "white"


LINE_PORT = "line"


def edge_label(index, edge, state, widths, grad_text_now, line=None):
    """Shape of the tensor on the edge, then (backward) the gradient that flowed back along it; `line` (an
    EdgeLine) draws the edge through the label."""
    shape = edge.tensor.shape
    rows = []  # (text, shown now)
    if shape != ():
        rows.append((small(shape_text(shape)), True))
    if widths.get(("edge", index)) or grad_text_now:
        grad = _changing(grad_text_now, widths, ("edge", index), theme.GRAD_INK, theme.SMALL)
        rows.append((grad, bool(grad_text_now)))
    if not rows:
        return None
    table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
    if line is None or line.behind:
        fill = f' BGCOLOR="{line.background}"' if line is not None else ""
        cells = [f"<TR><TD{fill if shown else ''}>{text}</TD></TR>" for text, shown in rows]
        return f'<{table}{"".join(cells)}</TABLE>>'
    style = f'BORDER="1" COLOR="{line.color}" STYLE="{"dashed" if line.dashed else "solid"}"'
    # the line is a cell's side; the port, no wide (high), sits just beside it, where the line runs
    if line.vertical:  # the texts to the right of the line
        column = "".join(f'<TR><TD ALIGN="LEFT">{text}</TD></TR>' for text, _ in rows)
        return (f'<{table}<TR><TD PORT="{LINE_PORT}" WIDTH="0"></TD><TD WIDTH="1" SIDES="L" {style}></TD>'
                f'<TD ALIGN="LEFT">{table}{column}</TABLE></TD></TR></TABLE>>')
    cells = [f"<TR><TD>{text}</TD></TR>" for text, _ in rows]  # the shape above the line, the gradient below
    cells.insert(1 if shape != () else 0,
                 f'<TR><TD HEIGHT="1" SIDES="B" {style}></TD></TR><TR><TD PORT="{LINE_PORT}" HEIGHT="0"></TD></TR>')
    return f'<{table}{"".join(cells)}</TABLE>>'


#: The most characters of a picture's title shown (a longer one is cut with …): a heading, not a text.
TITLE_CHARS = 200


def caption_label(text, width, legend=True, keys=None, origin=False, title=None, room=(), lines=0):
    """The picture's `title` (when given), its step line (padded so every step's picture has the same size)
    and a colour legend.

    `keys` are the theme.LEGEND entries to show (default: all); `origin` adds the entry of the node that made
    the first non-finite value (viz.origin), or with a text, the entry of another mark in the same colour (the
    node whose VJP failed). `room`: the words of every entry any step of the walk shows; the step line is
    padded to at least their width, so a step whose legend lists fewer looks keeps the picture's size; `lines`:
    the most lines the text takes at any step (a backward step adds what it computed). The room of the lines a
    step's text does not take is kept under the legend: the legend stays right under the text it goes with (no
    empty band between them at a step that computes nothing, a leaf's backward step), and the graph keeps its
    place.
    """
    if legend and room:
        width = max(width, legend_chars(room))
    cells = []
    if legend:
        for key, words in theme.LEGEND:
            if keys is not None and key not in keys:
                continue
            look = theme.LOOKS[key]
            cells.append(_legend_entry(look.head, look.border, 1, small(" " + words, theme.MUTED)))
        if origin:
            words = mark_key(origin)
            cells.append(_legend_entry(theme.ORIGIN_HEAD, theme.ORIGIN_BORDER, 2, small(" " + words, theme.ORIGIN_INK)))
    # the legend's entries follow each other in one left-aligned cell under the step line, however many there
    # are (so a step listing fewer looks keeps the caption's width); each entry keeps its swatch beside its words
    spare = max(0, lines - len(lines_of(text))) if cells else 0  # without a legend they pad the text itself
    rows = [f'<TR><TD ALIGN="LEFT">{mono(text, width, theme.INK, theme.FONT_SIZE, 0 if cells else lines)}</TD></TR>']
    if title:
        rows.insert(0, f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{theme.TITLE_SIZE}" '
                       f'COLOR="{theme.INK}"><B>{esc(shortened(title, TITLE_CHARS))}</B></FONT></TD></TR>')
    if cells:
        rows.append(f'<TR><TD ALIGN="LEFT">{_GAP.join(cells)}</TD></TR>')
    if cells and lines > 1:
        # the room of the lines this step does not write, in a row of its own under the legend; there at every
        # step (empty at the step that writes the most), so the table's spacing adds up the same at each
        rows.append(f'<TR><TD ALIGN="LEFT">{mono("", 1, theme.INK, theme.FONT_SIZE, spare) if spare else ""}</TD></TR>')
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">{"".join(rows)}</TABLE>>'


#: Generous widths (points) of a legend entry, to pad the step line (monospaced: MONO_ADVANCE of its size per
#: character) to at least the legend's width: a character of its words (swatch included), and each entry's cell.
LEGEND_LETTER = 0.6 * theme.SMALL
LEGEND_CELL = 6
MONO_ADVANCE = 0.6


def legend_chars(words):
    """How many characters of the step line are at least as wide as a legend of entries with these `words`."""
    points = sum(LEGEND_CELL + LEGEND_LETTER * len(" " + w + "    ") for w in words)
    return int(points / (MONO_ADVANCE * theme.FONT_SIZE)) + 1


#: The room between two legend entries.
_GAP = "&#160;" * 4


def mark_key(origin):
    """The legend words of a marked node: the non-finite origin's (`origin` True), or the words given."""
    return origin if isinstance(origin, str) else ORIGIN_KEY


def _legend_entry(fill, border, thickness, words_html):
    """One legend entry: a swatch (a square in the look's border colour) and its words."""
    mark = "\u25a0" if thickness == 1 else "\u25a3"
    return f'<FONT POINT-SIZE="{theme.FONT_SIZE + 2}" COLOR="{border}">{mark}</FONT>{words_html}'


def _short(scope):
    return scope.rsplit("/", 1)[-1]


def _shapes(tensors, limit=3):
    parts = [shape_text(t.shape) for t in tensors[:limit]]
    if len(tensors) > limit:
        parts.append(f"+{len(tensors) - limit}")
    return ", ".join(parts)


def _params(params, limit=3):
    parts = [f"{p.name} {shape_text(p.shape)}" for p in params[:limit]]
    if len(params) > limit:
        parts.append(f"+{len(params) - limit} more")
    return ", ".join(parts)
