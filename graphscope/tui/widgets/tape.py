"""The tape: one row per node in topological order, drawn only where visible (10,000 rows scroll smoothly)."""
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...engine.formatting import summarize_value
from ...stepper import explain
from ...viz import theme
from ..messages import NodeChosen

#: (title, width) of each column.
COLUMNS = (("#", 5), ("node", 12), ("op", 9), ("status", 8), ("value", 22), ("gradient", 22), ("shape", 7),
           ("inputs", 16))
STATUS = 3  # the column that picks a row's colour

STATUS_STYLE = {"current": Style(color=theme.EDGE_CURRENT, bold=True), "done": Style(color=theme.INK),
                "pending": Style(color=theme.MUTED), "inactive": Style(color="#1c7ed6"),
                "failed": Style(color=theme.ORIGIN_INK, bold=True), "unreached": Style(color=theme.MUTED)}
HEADER_STYLE = Style(bold=True, underline=True)


def cells(node, k, state):
    """The texts of one tape row."""
    value = state.value(node)
    grad = state.grad(node)
    gstatus = state.grad_status(node)
    gtext = {"none": "-", "not needed": "n/a", "not reached": "not reached"}.get(gstatus) or summarize_value(grad)
    return (str(k), node.name, node.op or node.role or "leaf", state.status(node),
            "-" if value is None else summarize_value(value), gtext, explain.shape_text(node),
            ", ".join(i.name for i in node.inputs))


def fit(texts):
    return " ".join(t[:w].ljust(w) if len(t) <= w else t[:w - 1] + "…" for t, (_, w) in zip(texts, COLUMNS))


def window(line, start, width):
    """`line`'s characters start..start+width, a word cut at the right edge shown as '…' (never a number
    cut short: 'mean=1.66e' for 1.66e-05 would read as another number)."""
    piece = line[start:start + width]
    if start + width < len(line) and line[start + width] != " " and piece and piece[-1] != " ":
        piece = piece[:piece.rfind(" ") + 1] + "…"
    return piece.ljust(width)


class Tape(ScrollView, can_focus=True):
    """Up/Down move the highlight, Enter (or a click) goes to that node's step."""

    DEFAULT_CSS = """
    Tape { background: white; scrollbar-size: 1 1; }
    """
    BINDINGS = [Binding("up", "cursor(-1)", "row up", show=False), Binding("down", "cursor(1)", "row down", show=False),
                Binding("pageup", "cursor(-10)", show=False), Binding("pagedown", "cursor(10)", show=False),
                Binding("enter", "choose", "go to row", show=False)]

    cursor_row = reactive(0)

    def __init__(self, session, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self.width = sum(w for _, w in COLUMNS) + len(COLUMNS)
        self.reset()

    def reset(self):
        """Re-read the graph (after a recompute the nodes are the same; their values may differ)."""
        self.nodes = self.session.graph.nodes
        self.virtual_size = Size(self.width, len(self.nodes) + 1)
        self.refresh()

    def show_step(self):
        """Highlight and scroll to the current node's row."""
        row = self.session.graph.position(self.session.node)
        self.cursor_row = row
        self.refresh()

    def watch_cursor_row(self, row):
        top = self.scroll_offset.y
        h = self.scrollable_content_region.height - 1
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif h > 0 and row >= top + h:
            self.scroll_to(y=row - h + 1, animate=False, immediate=True)
        self.refresh()

    def action_cursor(self, delta):
        self.cursor_row = max(0, min(len(self.nodes) - 1, self.cursor_row + delta))

    def action_choose(self):
        self.post_message(NodeChosen(self.nodes[self.cursor_row]))

    def on_click(self, event):
        row = event.y - 1 + self.scroll_offset.y
        if event.y >= 1 and 0 <= row < len(self.nodes):
            self.cursor_row = row
            self.post_message(NodeChosen(self.nodes[row]))

    def render_line(self, y):
        sx = self.scroll_offset.x
        w = self.scrollable_content_region.width
        if y == 0:  # the header stays put
            text = fit(title for title, _ in COLUMNS)
            return Strip([Segment(window(text, sx, w), self.rich_style + HEADER_STYLE)], w)
        row = y - 1 + self.scroll_offset.y
        if row >= len(self.nodes):
            return Strip.blank(w, self.rich_style)
        state = self.session.state
        node = self.nodes[row]
        texts = cells(node, row, state)
        style = STATUS_STYLE.get(texts[STATUS], STATUS_STYLE["done"])
        if row == self.cursor_row:
            style = style + Style(reverse=True)
        text = window(fit(texts), sx, w)
        return Strip([Segment(text, self.rich_style + style)], w)
