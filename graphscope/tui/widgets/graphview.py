"""The graph drawn with box-drawing characters: laid out once (viz.layout), only the visible window drawn.

A large view is laid out in a daemon thread after the screen first paints;
quitting never waits for it: the thread's `dot` is killed and its result
dropped.
"""
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...stepper import BACKWARD, FORWARD
from ...viz import theme
from .. import colours
from ...viz.dot import look_of
from ...viz.layout import BOX_H, LAYERS, box_width, layout
from ...viz.render import Cancelled, DotJob, have_dot
from ...viz.origin import BrokenMark
from ...viz.view import BOX, FOLD, NODE, pattern_name
from ..keys import in_order
from ..messages import NodeChosen
from .spatial import LayoutIndex
from .tape_layout import cut_name, fitted_value

#: A view of at most this many items is also laid out with taller boxes that show each node's value and gradient
#: (DETAIL_LINES under its name, DETAIL_TEXT columns wide), drawn so when that drawing fits the room the screen has.
DETAIL_ITEMS = 60
DETAIL_LINES = ("value", "grad")
DETAIL_TEXT = 18
#: Cells between the layers of the taller boxes: room for an edge's gradient ('← -0.25').
DETAIL_GAP = 12
#: A box line's title and the number after it ('value  -4').
DETAIL_TITLE = 6
#: Graphs with more nodes than this are laid out (and their view built) in a thread after the screen first paints.
BACKGROUND_NODES = 2000

# line directions, as bits: a cell's edge character joins the directions it has
UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
LINES = {0: " ", UP: "│", DOWN: "│", UP | DOWN: "│", LEFT: "─", RIGHT: "─", LEFT | RIGHT: "─",
         DOWN | RIGHT: "╭", DOWN | LEFT: "╮", UP | RIGHT: "╰", UP | LEFT: "╯",
         UP | DOWN | RIGHT: "├", UP | DOWN | LEFT: "┤", DOWN | LEFT | RIGHT: "┬", UP | LEFT | RIGHT: "┴",
         UP | DOWN | LEFT | RIGHT: "┼"}
#: The edges carrying the current step's value or gradient where colour cannot tell them (16 colours or none):
#: heavy lines, turns and junctions included.
HEAVY_LINES = {0: " ", UP: "┃", DOWN: "┃", UP | DOWN: "┃", LEFT: "━", RIGHT: "━", LEFT | RIGHT: "━",
               DOWN | RIGHT: "┏", DOWN | LEFT: "┓", UP | RIGHT: "┗", UP | LEFT: "┛",
               UP | DOWN | RIGHT: "┣", UP | DOWN | LEFT: "┫", DOWN | LEFT | RIGHT: "┳", UP | LEFT | RIGHT: "┻",
               UP | DOWN | LEFT | RIGHT: "╋"}
THIN = "┌┐└┘─│"
THICK = "┏┓┗┛━┃"
DASHED = "┌┐└┘╌┆"
FRAME = "╭╮╰╯─│"

EDGE_STYLE = Style(color=colours.EDGE)
EDGE_HOT = Style(color=colours.CURRENT, bold=True)
FRAME_STYLE = Style(color=colours.FRAME)
FRAME_TITLE = Style(color=colours.FRAME_TITLE, bold=True)
#: The border of the box whose VJP failed, from its error step on (the pictures' "backward stopped here").
BROKEN_BORDER = Style(color=theme.ORIGIN_BORDER, bold=True)
DETAIL_TITLE_STYLE = Style(color=colours.MUTED)
DETAIL_STYLES = {"value": Style(color=colours.VALUE), "grad": Style(color=colours.GRAD)}
EDGE_LABEL = Style(color=colours.GRAD, bold=True)
LEGEND_INK = Style(color=colours.INK)


def label(item):
    """The text in an item's box: 'q add' for a node, 'fc1 [+]' for a collapsed scope, 'Linear+ReLU x 8' for a fold."""
    if item.kind == BOX:
        return f"{item.scopes[0].rsplit('/', 1)[-1]} [+]"
    if item.kind == FOLD:
        return f"{pattern_name(item.block_nodes(0))} x {item.blocks}"
    node = item.node
    return node.name if node.op_def is None else f"{node.name} {node.op}"


def shortened(text, width):
    """A box's `text` in `width` characters: whole when it fits, else its name cut in the middle (the tape's
    cut_name: 'softma…_11') and, room left, the op after it."""
    if len(text) <= width:
        return text
    name, _, op = text.partition(" ")
    if op and len(name) + 2 <= width:  # the name whole, the op cut
        return f"{name} {op}"[:width - 1] + "…"
    return cut_name(name, max(0, width))


@lru_cache(maxsize=None)
def look_style(key, current=False):
    """(text, border) styles of a box of look `key` (colours.LOOK_COLOURS): a pending box's text as grey as its
    border, every other box's in ink; the current box's name on the highlight."""
    colour = colours.LOOK_COLOURS[key]
    if current:
        return Style(color="#000000", bgcolor=colours.CURRENT_FILL, bold=True), Style(color=colour, bold=True)
    return Style(color=colour if key == "pending" else colours.INK), Style(color=colour)


#: The inside of a box whose gradient was passed on: filled (colours.GRAD_FILL).
GRAD_FILLED = Style(bgcolor=colours.GRAD_FILL)


class GraphView(ScrollView, can_focus=True):
    """Pan with the arrow keys (when focused) or the mouse; the current node stays in sight.

    A graph smaller than the pane is drawn in its middle; a larger one follows the step: the window keeps the
    current node whole and, of the windows that do, shows the most other boxes whole (scroll bars would only hide
    a row and a column of a small pane: the boxes cut at its edges show there is more)."""

    DEFAULT_CSS = """
    GraphView { background: white; scrollbar-size: 0 0; }
    """

    @dataclass
    class LaidOut(Message):
        """The graph view has a new layout: the screen can share its room out again (GraphView.wanted_height)."""

    #: Priority bindings, as the screen's (keys.in_order): a burst of pans and steps acts in order.
    BINDINGS = in_order([Binding("up", "scroll_up", "pan up", show=False),
                         Binding("down", "scroll_down", "pan down", show=False),
                         Binding("shift+left", "scroll_left", "pan left", show=False),
                         Binding("shift+right", "scroll_right", "pan right", show=False),
                         Binding("pageup", "page_up", "pan a page up", show=False),
                         Binding("pagedown", "page_down", "pan a page down", show=False),
                         Binding("ctrl+pageup", "page_left", "pan a page left", show=False),
                         Binding("ctrl+pagedown", "page_right", "pan a page right", show=False)])

    def __init__(self, session, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self.follow = True
        self._window = None
        self.layout_ = None
        self._job = DotJob()

    def on_mount(self):
        self.relayout()

    def on_unmount(self):
        self._stop_layout()

    # ---------------------------------------------------------------- layout and index
    def relayout(self):
        """Lay the session's view out again (after a scope collapsed or expanded): at once when it is small, else
        in a thread while the view says it is laying out."""
        self._stop_layout()
        if len(self.session.graph.nodes) <= BACKGROUND_NODES:
            self._apply(self._job, self._lay_out(self._job))
            return
        self.layout_ = None
        self.refresh()
        thread = threading.Thread(target=self._lay_out_in_background, args=(self._job,), daemon=True,
                                  name="graphscope-layout")
        self.call_after_refresh(thread.start)

    def _stop_layout(self):
        """Cancel the layout in progress, if any (its `dot` is killed), and start a new job."""
        job = getattr(self, "_job", None)
        if job is not None:
            job.cancel()
        self._job = DotJob()

    @property
    def laying_out(self):
        """True while a layout runs in the background (the view says so instead of drawing)."""
        return self.layout_ is None

    def _lay_out(self, job):
        view = self.session.view  # built here, in the thread, when it is a large one
        labels = {item.key: label(item) for item in view.items}
        lay = layout(view, labels, job=job)
        detailed = None
        if len(view.items) <= DETAIL_ITEMS:
            widths = {key: max(box_width(text), DETAIL_TEXT + 4) for key, text in labels.items()}
            wide = layout(view, labels, job=job, box_h=BOX_H + len(DETAIL_LINES), widths=widths,
                          gap=DETAIL_GAP)
            detailed = (wide, LayoutIndex(wide))
        return labels, (lay, LayoutIndex(lay)), {item.key: item for item in view.items}, detailed

    def _lay_out_in_background(self, job):
        try:
            result = self._lay_out(job)
        except Cancelled:
            return
        if job.cancelled:
            return
        try:
            self.app.call_from_thread(self._apply, job, result)
        except RuntimeError:  # the app has closed meanwhile
            pass

    def _apply(self, job, result):
        if job is not self._job or job.cancelled:
            return  # a later relayout (or quitting) made this one stale
        self.labels, self._plain, self.items, self._detailed = result
        self.detailed = False
        self._use(self._plain)
        self._consumers = consumers(self.session.graph)
        self.show_step()
        self.post_message(self.LaidOut())

    def _use(self, laid_out):
        """Draw with `laid_out` (a layout and its index): the boxes with names only or the taller ones."""
        self.layout_, self._index = laid_out
        self.virtual_size = Size(self.layout_.width, self.layout_.height)
        self._extent = drawn_extent(self.layout_)
        self._window = None

    def fit_detail(self, width, height):
        """Boxes show their node's value and gradient when so drawn the graph fits `width` x `height` cells (the
        most the screen can give the pane), else names only; True when that changed (the screen shares its room
        out again)."""
        if self.layout_ is None:
            return False
        wanted = self._detailed is not None and fits(self._detailed[0], width, height)
        if wanted == self.detailed:
            return False
        self.detailed = wanted
        self._use(self._detailed if wanted else self._plain)
        self.show_step()
        return True

    def wanted_height(self):
        """The rows that show the whole layout (its border included); None while it is being laid out."""
        if self.layout_ is None:
            return None
        return self.layout_.height + self.styles.gutter.height

    def wanted_width(self):
        """The columns that show the whole drawing, a spare column each side (its border included); None while it
        is being laid out."""
        if self.layout_ is None:
            return None
        (x1, _), (x2, _) = self._extent
        return x2 - x1 + 2 + self.styles.gutter.width

    def plain_layout(self):
        """True when the view is laid out without Graphviz because its `dot` is not installed (a graph too large
        for dot is laid out in plain columns too, but there dot is not missing)."""
        return self.layout_ is not None and self.layout_.engine == LAYERS and not have_dot()

    def box_of(self, node):
        item = self.session.view.item_of[node]
        return self.layout_.boxes[item.key]

    # ---------------------------------------------------------------- following the cursor
    def show_step(self):
        """Redraw for the session's current step, scrolling the current node into the middle when following."""
        self._window = None
        if self.layout_ is None:
            self.refresh()
            return
        if self.follow:
            box = self.box_of(self.session.node)
            self.scroll_to(*self.window_for(box, self.source_boxes()), animate=False, immediate=True)
        self.refresh()

    def source_boxes(self):
        """The boxes the current step's numbers come from, nearest first, the current box left out: in forward its
        inputs' (the values it is computed from); in backward its consumers' (the gradients that add up to its
        own), then its inputs' that the step passes a gradient on to."""
        node, phase = self.session.node, self.session.stepper.phase
        if phase == FORWARD:
            groups = [node.inputs]
        elif phase == BACKWARD:
            edges = getattr(self.session.stepper.event, "edges", None) or ()
            groups = [self._consumers.get(node, ()), [e.input for e in edges if e.needs_grad]]
        else:
            return []
        item_of, current = self.session.view.item_of, self.session.view.item_of[node]
        box = self.layout_.boxes[current.key]
        found = {}
        for group in groups:
            keys = dict.fromkeys(item_of[n].key for n in group if n in item_of and item_of[n] is not current)
            near = sorted((k for k in keys if k in self.layout_.boxes and k not in found),
                          key=lambda k: abs(self.layout_.boxes[k].x - box.x) + abs(self.layout_.boxes[k].y - box.y))
            found.update((k, self.layout_.boxes[k]) for k in near)
        return list(found.values())

    def window_for(self, box, sources=()):
        """The scroll offset that shows `box` whole (its top-left corner when it is larger than the pane) with as
        many of `sources` (the boxes its numbers come from, nearest first) as fit beside it, and, of those offsets,
        the most other boxes whole; the offset shown now when it is one of them (the view stays put as the step
        moves within it), else the one nearest to the kept boxes in the middle."""
        w, h = self.scrollable_content_region.size
        keep = kept_span(box, sources, w, h)
        x1, y1, x2, y2 = keep
        near = [self.layout_.boxes[k] for k in self._index.boxes_in(x1 - w, y1 - h, x2 - x1 + 2 * w, y2 - y1 + 2 * h)]
        now = self.scroll_offset
        rows = best_start([], y1, y2, h, self.layout_.height, now.y)  # a first guess at the rows
        across = [b for b in near if rows <= b.y and b.y + b.h <= rows + h]
        x = best_start([(b.x, b.right) for b in across], x1, x2, w, self.layout_.width, now.x)
        down = [b for b in near if x <= b.x and b.right <= x + w]  # the rows: count the boxes those columns show
        y = best_start([(b.y, b.y + b.h) for b in down], y1, y2, h, self.layout_.height, now.y)
        return x, y

    def current_rows(self):
        """The pane rows the current node's box takes, (first, past its last), clipped to the pane; None while
        laying out."""
        if self.layout_ is None:
            return None
        box = self.box_of(self.session.node)
        top = box.y - self.origin[1]
        height = self.scrollable_content_region.height
        return max(0, min(top, height)), max(0, min(top + box.h, height))

    def current_in_top_half(self):
        """True when the pane has fewer rows above the current node's box than below it (False while laying out):
        a notification then stands at the bottom."""
        rows = self.current_rows()
        return rows is not None and rows[0] < self.scrollable_content_region.height - rows[1]

    @property
    def origin(self):
        """The layout's coordinates at the pane's top-left corner: where it is scrolled to, or, along an axis on
        which the drawing fits in the pane, where the drawing stands in the pane's middle."""
        (x1, y1), (x2, y2) = self._extent
        w, h = self.scrollable_content_region.size
        sx, sy = self.scroll_offset
        return (x1 - (w - (x2 - x1)) // 2 if x2 - x1 <= w else sx,
                y1 - (h - (y2 - y1)) // 2 if y2 - y1 <= h else sy)

    # ---------------------------------------------------------------- drawing
    def render_line(self, y):
        w, h = self.scrollable_content_region.size
        if self.layout_ is None:
            text = f" laying out the graph ({len(self.session.graph.nodes)} nodes)…" if y == 0 else ""
            return Strip([Segment(text.ljust(w), self.rich_style + EDGE_STYLE)], w)
        sx, sy = self.origin
        key = (sx, sy, w, h, self.session.step, id(self.layout_))
        if self._window is None or self._window[0] != key:
            self._window = (key, self._draw(sx, sy, w, h))
        strips = self._window[1]
        return strips[y] if 0 <= y < len(strips) else Strip.blank(w)

    def _draw(self, x0, y0, w, h):
        """The visible window as strips: edges first (joined by direction bits), then boxes over them."""
        state = self.session.state
        current = self.session.view.item_of[self.session.node]
        chars = [[" "] * w for _ in range(h)]
        styles = [[None] * w for _ in range(h)]
        bits = [[0] * w for _ in range(h)]
        hot = [[False] * w for _ in range(h)]
        for frame in self.layout_.frames:
            _frame(chars, styles, frame, x0, y0, w, h)
        segments = list(self._index.segments_in(x0, y0, w, h))
        for n, x1, y1, x2, y2 in segments:
            edge = self.layout_.routes[n][0]
            is_hot = edge.dst is current or edge.src is current
            _stroke(bits, hot, x1 - x0, y1 - y0, x2 - x0, y2 - y0, w, h, is_hot)
        hot_lines = HEAVY_LINES if getattr(self.app, "low_colour", False) else LINES
        for r in range(h):
            row_bits, row_chars, row_styles, row_hot = bits[r], chars[r], styles[r], hot[r]
            for c in range(w):
                if row_bits[c]:
                    row_chars[c] = (hot_lines if row_hot[c] else LINES)[row_bits[c]]
                    row_styles[c] = EDGE_HOT if row_hot[c] else EDGE_STYLE
        # arrowheads
        for n, x1, y1, x2, y2 in segments:
            if (x2, y2) == self.layout_.routes[n][1][-1] and 0 <= x2 - x0 < w and 0 <= y2 - y0 < h:
                chars[y2 - y0][x2 - x0] = "▶"
        if self.detailed:
            self._edge_labels(chars, styles, current, x0, y0, w, h)
        broken = broken_mark(state)
        looks = set()
        for key in self._index.boxes_in(x0, y0, w, h):
            item = self.items[key]
            looks.add(look_of(item, state))
            marked = (broken is not None and broken.marks(item)) or self.session.check_failed(item)
            self._box(chars, styles, self.layout_.boxes[key], self.labels[key], item, state, item is current,
                      x0, y0, w, h, marked)
        if self.detailed:
            _legend(chars, styles, self.legend_row(y0, h), w, looks)
        base = self.rich_style
        return [Strip(_segments(chars[r], styles[r], base), w) for r in range(h)]

    def legend_row(self, y0, h):
        """The pane row a one-line colour legend takes: the top one when the drawing leaves it and the row under it
        empty, else None."""
        (_, top), (_, bottom) = self._extent
        return 0 if top - y0 >= 2 and bottom - y0 <= h else None

    def _edge_labels(self, chars, styles, current, x0, y0, w, h):
        """At a backward step, each edge that carries a gradient back from the current box is labelled with it
        ('← -4'), on its longest straight run when the label fits there."""
        event = self.session.stepper.event
        if self.session.stepper.phase != BACKWARD or not getattr(event, "edges", None):
            return
        item_of = self.session.view.item_of
        flows = {item_of[e.input].key: e.contribution for e in event.edges
                 if e.needs_grad and e.input in item_of and item_of[e.input] is not current}
        for edge, points in self.layout_.routes:
            if edge.dst is current and edge.src.key in flows:
                _label_route(chars, styles, points, flows.pop(edge.src.key), x0, y0, w, h)

    def _box(self, chars, styles, box, text, item, state, is_current, x0, y0, w, h, marked=False):
        key = look_of(item, state)
        look = theme.LOOKS[key]
        ink, border = look_style(key, is_current)
        fill = GRAD_FILLED if key == "backpropagated" and not is_current else None
        if marked:
            border = BROKEN_BORDER
        tl, tr, bl, br, hz, vt = THICK if is_current or marked else DASHED if look.dashed else THIN
        bx, bw = box.x, box.w
        if bw > w:  # wider than the pane: drawn whole within it, its name shortened, never cut mid-border
            bx, bw = max(box.x, x0), min(box.right, x0 + w) - max(box.x, x0)
            text = shortened(text, bw - 4)
        details = detail_lines(item, state, bw - 4) if box.h > BOX_H else []
        inner = [(text, None)] + details + [("", None)] * (box.h - 3 - len(details))
        rows = [tl + hz * (bw - 2) + tr] + [vt + " " + t[:bw - 4].ljust(bw - 4) + " " + vt for t, _ in inner] \
            + [bl + hz * (bw - 2) + br]
        for i, line in enumerate(rows):
            r = box.y + i - y0
            if not 0 <= r < h:
                continue
            kind = inner[i - 1][1] if 0 < i <= len(inner) else None
            for j, ch in enumerate(line):
                c = bx + j - x0
                if 0 <= c < w:
                    chars[r][c] = ch
                    if i == 0 or i == len(rows) - 1 or j in (0, bw - 1):
                        style = border
                    elif i == 1:
                        style = ink if 1 < j < bw - 2 or is_current else fill
                    elif kind is not None:
                        style = DETAIL_TITLE_STYLE if j < 2 + DETAIL_TITLE else DETAIL_STYLES[kind]
                    else:
                        style = fill
                    styles[r][c] = style if fill is None or style is fill else fill_style(style)

    # ---------------------------------------------------------------- mouse
    def on_mouse_scroll_down(self, event):
        self._wheel(event, 1)

    def on_mouse_scroll_up(self, event):
        self._wheel(event, -1)

    def _wheel(self, event, sign):
        """A plain wheel pans along the axis that overflows: down the rows when they do, else across (a graph
        wider than the pane but not taller); shift or ctrl, and a graph that overflows both ways, as Textual does."""
        if event.ctrl or event.shift or self.allow_vertical_scroll or not self.allow_horizontal_scroll:
            return
        event.prevent_default()  # Textual's own handler would scroll the rows, which do not move
        (self.scroll_right if sign > 0 else self.scroll_left)(animate=False, immediate=True)
        event.stop()

    def on_mouse_down(self, event):
        """Start a drag: the graph pans with the pointer while the button is down (a press without a move is a
        click: it goes to the box's node)."""
        if self.layout_ is not None and event.button == 1:
            self._drag = (event.screen_x, event.screen_y, *self.scroll_offset, False)
            self.capture_mouse()

    def on_mouse_move(self, event):
        drag = getattr(self, "_drag", None)
        if drag is None or not event.button:
            return
        x0, y0, sx, sy, _ = drag
        dx, dy = event.screen_x - x0, event.screen_y - y0
        if dx or dy:
            self._drag = (x0, y0, sx, sy, True)
            self.scroll_to(sx - dx, sy - dy, animate=False, immediate=True)

    def on_mouse_up(self, event):
        if getattr(self, "_drag", None) is not None:
            self.release_mouse()
            self._dragged = self._drag[4]
            self._drag = None

    def on_click(self, event):
        if self.layout_ is None or getattr(self, "_dragged", False):
            self._dragged = False
            return
        x, y = event.x + self.origin[0], event.y + self.origin[1]
        for key in self._index.boxes_in(x, y, 1, 1):
            box = self.layout_.boxes[key]
            if box.x <= x < box.right and box.y <= y < box.y + box.h:
                self.post_message(NodeChosen(self.items[key].nodes[-1]))
                return


@lru_cache(maxsize=None)
def fill_style(style):
    """`style` over a filled box's background (colours.GRAD_FILL)."""
    return style + GRAD_FILLED


def detail_lines(item, state, width):
    """A node's value and, once it has one, its gradient as its box writes them under its name: [(text, kind)]
    ('value  -4', 'value'); none for a collapsed scope or a fold, and no value before it is computed."""
    if item.kind != NODE:
        return []
    node, lines = item.node, []
    room = max(1, width - DETAIL_TITLE)
    if state.has_value(node):
        lines.append(("value".ljust(DETAIL_TITLE) + fitted_value(state.value(node), room), "value"))
    grad = state.grad(node)
    if grad is not None:
        lines.append(("grad".ljust(DETAIL_TITLE) + fitted_value(grad, room), "grad"))
    return lines


def fits(lay, width, height):
    """True when `lay`'s drawing, a spare column each side, fits `width` x `height` cells."""
    (x1, _), (x2, _) = drawn_extent(lay)
    return x2 - x1 + 2 <= width and lay.height <= height


def _label_route(chars, styles, points, gradient, x0, y0, w, h):
    """'← ' and `gradient`, written as short as the room asks, over the middle of the longest horizontal run of a
    route (layout coordinates), a cell of line left each side; nothing when even a short form does not fit."""
    runs = [(abs(b[0] - a[0]), min(a[0], b[0]), a[1]) for a, b in zip(points, points[1:]) if a[1] == b[1]]
    if not runs:
        return
    length, left, y = max(runs)
    room = length - 5  # the arrow, its space, a cell of line each side and the arrowhead's
    text = "← " + fitted_value(gradient, room) if room >= 2 else ""
    if not room >= 2 or len(text) > length - 3 or text.endswith("…"):
        return
    start = left + (length - len(text)) // 2
    r = y - y0
    if not 0 <= r < h:
        return
    for j, ch in enumerate(text):
        c = start + j - x0
        if 0 <= c < w:
            chars[r][c] = ch
            styles[r][c] = EDGE_LABEL


def _legend(chars, styles, row, w, looks):
    """One line naming what the colours of the boxes drawn (their `looks`) mean ('■ value computed  ■ this step
    ...') on pane row `row` (None: no room), the entries that do not fit left out."""
    if row is None:
        return
    c = 1
    for key, words in theme.LEGEND:
        if key not in looks:
            continue
        entry = "■ " + words
        if c + len(entry) > w:
            return
        swatch = Style(color=colours.LOOK_COLOURS[key])
        for j, ch in enumerate(entry):
            chars[row][c + j] = ch
            styles[row][c + j] = swatch if j == 0 else LEGEND_INK
        c += len(entry) + 3


def consumers(graph):
    """{node: the nodes that take it as an input}."""
    users = {}
    for node in graph.nodes:
        for inp in dict.fromkeys(node.inputs):
            users.setdefault(inp, []).append(node)
    return users


def drawn_extent(lay):
    """((left, top), (right, bottom)) of what a layout draws: its boxes and scope frames (not its spare border)."""
    rects = [(b.x, b.y, b.right, b.y + b.h) for b in lay.boxes.values()]
    rects += [(f.x, f.y, f.x + f.w, f.y + f.h) for f in lay.frames]
    if not rects:
        return (0, 0), (0, 0)
    return (min(r[0] for r in rects), min(r[1] for r in rects)), (max(r[2] for r in rects), max(r[3] for r in rects))


def kept_span(box, sources, w, h):
    """(left, top, right, bottom) of `box` and as many of `sources` (nearest first) as fit in a w x h window with it."""
    span = (box.x, box.y, box.right, box.y + box.h)
    for b in sources:
        grown = (min(span[0], b.x), min(span[1], b.y), max(span[2], b.right), max(span[3], b.y + b.h))
        if grown[2] - grown[0] <= w and grown[3] - grown[1] <= h:
            span = grown
    return span


def best_start(spans, lo, hi, room, length, now):
    """Where a window `room` long over a line `length` long starts so that it shows lo..hi whole (else starts at
    lo) and the most `spans` (start, end) whole: `now` when that is one of the best, else the best nearest to
    centring lo..hi. 0 when everything fits."""
    top = max(0, length - room)
    first, last = max(0, hi - room), min(lo, top)
    if first > last:  # larger than the window: its start in sight
        return min(lo, top)
    centred = min(max(first, (lo + hi - room) // 2), last)
    begins, ends = np.array([b for b, _ in spans], dtype=np.int64), np.array([e for _, e in spans], dtype=np.int64)
    starts = np.unique(np.clip(np.concatenate([[now, first, last, centred], begins, ends - room]), first, last))
    whole = ((begins[None, :] >= starts[:, None]) & (ends[None, :] <= starts[:, None] + room)).sum(axis=1)
    best = starts[whole == whole.max()]
    if now in best:
        return int(now)
    return int(min(best, key=lambda s: (abs(s - centred), s)))


def broken_mark(state):
    """The mark of the node whose VJP failed, while the step shown is at or after its error step (else None)."""
    recording = state.recording
    if recording.broken is None:
        return None
    mark = BrokenMark(recording)
    return mark if mark.shown(state) else None


def _frame(chars, styles, frame, x0, y0, w, h):
    """A scope's rounded frame with its title on the top border, clipped to the window."""
    if frame.x >= x0 + w or frame.x + frame.w <= x0 or frame.y >= y0 + h or frame.y + frame.h <= y0:
        return
    tl, tr, bl, br, hz, vt = FRAME
    title = f" {frame.title} "[:max(0, frame.w - 4)]
    top = tl + hz + title + hz * (frame.w - 3 - len(title)) + tr
    cells = [(frame.y, frame.x + j, ch, FRAME_TITLE if 2 <= j < 2 + len(title) and ch != " " else FRAME_STYLE)
             for j, ch in enumerate(top)]
    cells += [(frame.y + frame.h - 1, frame.x + j, ch, FRAME_STYLE)
              for j, ch in enumerate(bl + hz * (frame.w - 2) + br)]
    for y in range(frame.y + 1, frame.y + frame.h - 1):
        cells += [(y, frame.x, vt, FRAME_STYLE), (y, frame.x + frame.w - 1, vt, FRAME_STYLE)]
    for y, x, ch, style in cells:
        if 0 <= y - y0 < h and 0 <= x - x0 < w:
            chars[y - y0][x - x0] = ch
            styles[y - y0][x - x0] = style


def _stroke(bits, hot, x1, y1, x2, y2, w, h, is_hot):
    """Mark a horizontal or vertical segment's cells with the directions the line runs through them."""
    if y1 == y2:
        if not 0 <= y1 < h:
            return
        lo, hi = min(x1, x2), max(x1, x2)
        row, hrow = bits[y1], hot[y1]
        for x in range(max(lo, 0), min(hi, w - 1) + 1):
            if x > lo:
                row[x] |= LEFT
            if x < hi:
                row[x] |= RIGHT
            hrow[x] = hrow[x] or is_hot
        return
    if not 0 <= x1 < w:
        return
    lo, hi = min(y1, y2), max(y1, y2)
    for y in range(max(lo, 0), min(hi, h - 1) + 1):
        if y > lo:
            bits[y][x1] |= UP
        if y < hi:
            bits[y][x1] |= DOWN
        hot[y][x1] = hot[y][x1] or is_hot


def _segments(chars, styles, base):
    """Runs of equally styled characters as rich Segments, over the widget's own style (its background)."""
    out, start = [], 0
    for i in range(1, len(chars) + 1):
        if i == len(chars) or styles[i] is not styles[start]:
            style = base if styles[start] is None else base + styles[start]
            out.append(Segment("".join(chars[start:i]), style))
            start = i
    return out
