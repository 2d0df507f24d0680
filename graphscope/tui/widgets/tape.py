"""The tape: one row per node in topological order, drawn only where visible (10,000 rows scroll smoothly).

Its columns fit its width (tape_layout): narrower tapes drop the columns the
inspector repeats and write values shorter, never as a bare '…'.
"""
import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...stepper import BACKWARD, FORWARD, explain
from .. import colours
from ..keys import in_order
from ..messages import NodeChosen
from .tape_layout import FULL, MARKS, NUMBERS, cell_value, cut_name, layout, line_width

#: A row's colour is its node's box's in the graph (colours.LOOK_COLOURS); these statuses have their own.
STATUS_STYLE = {"current": Style(color=colours.CURRENT, bold=True), "failed": Style(color=colours.ERROR, bold=True),
                "origin": Style(color=colours.ERROR, bold=True), "unreached": Style(color=colours.PENDING)}
LOOK_STYLE = {key: Style(color=colour) for key, colour in colours.LOOK_COLOURS.items()}
HEADER_STYLE = Style(bold=True, underline=True)
#: Columns of space between the rows' text and the vertical scrollbar.
SCROLLBAR_GAP = 1


def cells(node, k, state, columns=FULL, failed=False, status=None):
    """The texts of one tape row, by column title; the value and gradient written as `columns` (the layout's
    columns that hold them) write them. `failed`: its gradient check failed (marked as a VJP that failed).
    `status`: the row's status when it is not the state's (row_status)."""
    value_column, grad_column = ({c.title: c for c in columns}.get(t) or next(c for c in FULL if c.title == t)
                                 for t in NUMBERS)
    value = state.value(node)
    gstatus = state.grad_status(node)
    gtext = ({"none": "-", "not needed": "n/a", "not reached": "not reached"}.get(gstatus)
             or cell_value(state.grad(node), grad_column))
    status = status or ("failed" if failed else state.status(node))
    return {"mark": MARKS.get(status, " "), "#": str(k), "node": node.name, "op": node.op or node.role or "leaf",
            "status": colours.SHORT_WORDS.get(status, status),
            "value": "-" if value is None else cell_value(value, value_column), "gradient": gtext,
            "shape": explain.shape_text(node), "inputs": ", ".join(i.name for i in node.inputs)}


def row_status(node, state, failed, origin):
    """The row's status: 'failed' when its check failed, 'origin' once it holds the first NaN or infinity, which it
    made (`origin`: the graph's NonFinite record, or None), else the state's ('current' at its step)."""
    status = state.status(node)
    if failed:
        return "failed"
    if origin is None or origin.node is not node or status == "current":
        return status
    made = status == "done" and state.phase != FORWARD if origin.phase == BACKWARD else state.value(node) is not None
    return "origin" if made else status


def fit(texts, columns):
    """One line of `texts` (title -> text) in `columns`, a text too long for its column ending in '…' (a node's name
    cut in its middle, keeping its numbered suffix: cut_name)."""
    return " ".join((t if len(t) <= c.width else cut_name(t, c.width) if c.title == "node" else t[:c.width - 1] + "…")
                    .ljust(c.width) for c, t in ((c, texts[c.title]) for c in columns))


def window(line, start, width):
    """`line`'s characters start..start+width, a word cut at the right edge shown as '…' (never a number
    cut short: 'mean=1.66e' for 1.66e-05 would read as another number)."""
    piece = line[start:start + width]
    if start + width < len(line) and line[start + width] != " " and piece and piece[-1] != " ":
        piece = piece[:piece.rfind(" ") + 1] + "…"
    return piece.ljust(width)


class Tape(ScrollView, can_focus=True):
    """One row per node, in the order the forward walk visits them (the stepper's walk: each leaf just before its
    first consumer), so stepping goes down the rows. Up/Down move the highlight; Enter (bound on the screen) or a
    click goes to that node's step."""

    DEFAULT_CSS = """
    Tape { background: white; scrollbar-size: 1 1; }
    """
    #: Priority bindings, as the screen's (keys.in_order). Enter is the screen's key (MainScreen.action_choose_row): it
    #: goes to the row's step at once, so 'down down enter n' in one burst acts in that order.
    BINDINGS = in_order([Binding("up", "cursor(-1)", "row up", show=False),
                         Binding("down", "cursor(1)", "row down", show=False),
                         Binding("pageup", "cursor(-10)", show=False), Binding("pagedown", "cursor(10)", show=False),
                         Binding("ctrl+pageup", "page_left", show=False),
                         Binding("ctrl+pagedown", "page_right", show=False)])

    cursor_row = reactive(0)

    def __init__(self, session, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self.columns = FULL
        self.reset()

    def reset(self, width=None):
        """Re-read the graph (after a recompute the nodes are the same; their values may differ) and lay the
        columns out again for it at `width` (by default the tape's own, once it has one)."""
        self.nodes = self.session.stepper.recording.walk  # the forward walk's order: stepping goes down the rows
        if width is None:  # the graph re-read (not a resize): where its first NaN or infinity was made, if any
            self.origin = self.session.graph.find_nonfinite()
        self.rows = {node: row for row, node in enumerate(self.nodes)}
        self.arrays = any(np.size(n.value) > 1 for n in self.nodes)  # else no column is compact
        self.wanted = {"node": max((len(n.name) for n in self.nodes), default=0),
                       "op": max((len(n.op or n.role or "leaf") for n in self.nodes), default=0)}
        width = self.size.width if width is None else width
        if width:
            self.columns = layout(self.text_width(width), self.arrays, self.wanted)
        self.virtual_size = Size(line_width(self.columns), len(self.nodes) + 1)
        self.refresh()

    def text_width(self, width):
        """The columns a tape `width` wide gives its rows: less its vertical scrollbar and a column of space before
        it (SCROLLBAR_GAP), so that the scrollbar's marks never touch a number."""
        return width - self.styles.scrollbar_size_vertical - SCROLLBAR_GAP

    def on_resize(self, event):
        """Lay the columns out for the new width (less the vertical scrollbar's); the highlighted row stays in sight
        (a shorter tape scrolls to it)."""
        self.reset(event.size.width)
        self.call_after_refresh(self.scroll_to_cursor)

    def show_step(self):
        """Highlight and scroll to the current node's row."""
        self.cursor_row = self.rows[self.session.node]
        self.refresh()

    def watch_cursor_row(self, row):
        self.scroll_to_cursor()

    def scroll_to_cursor(self):
        """Scroll the least that shows the highlighted row under the header."""
        row = self.cursor_row
        top = self.scroll_offset.y
        h = self.scrollable_content_region.height - 1
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif h > 0 and row >= top + h:
            self.scroll_to(y=row - h + 1, animate=False, immediate=True)
        self.refresh()

    def action_cursor(self, delta):
        self.cursor_row = max(0, min(len(self.nodes) - 1, self.cursor_row + delta))

    @property
    def highlighted(self):
        """The node of the highlighted row."""
        return self.nodes[self.cursor_row]

    def on_click(self, event):
        row = event.y - 1 + self.scroll_offset.y
        if event.y >= 1 and 0 <= row < len(self.nodes):
            self.cursor_row = row
            self.post_message(NodeChosen(self.nodes[row]))

    def render_line(self, y):
        sx = self.scroll_offset.x
        w = self.scrollable_content_region.width
        if y == 0:  # the header stays put
            text = fit({c.title: c.heading for c in self.columns}, self.columns)
            focused = Style(reverse=self.has_focus and self.app.low_colour)  # no tint tells the focus: reverse
            return Strip([Segment(window(text, sx, w), self.rich_style + HEADER_STYLE + focused)], w)
        row = y - 1 + self.scroll_offset.y
        if row >= len(self.nodes):
            return Strip.blank(w, self.rich_style)
        state = self.session.state
        node = self.nodes[row]
        status = row_status(node, state, self.session.check_failed(node), self.origin)
        texts = cells(node, row, state, self.columns, status=status)
        style = STATUS_STYLE.get(status) or LOOK_STYLE.get(state.look(node), LOOK_STYLE["computed"])
        if row == self.cursor_row:
            style = style + Style(reverse=True)
        text = window(fit(texts, self.columns), sx, w)
        return Strip([Segment(text, self.rich_style + style)], w)
