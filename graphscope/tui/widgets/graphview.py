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
from ...engine.formatting import summarize_value
from ...viz import theme
from .. import colours
from ...viz.dot import look_of
from ...viz.layout import BOX_H, LAYERS, box_width, layout
from ...viz.render import Cancelled, DotJob, have_dot
from ...viz.origin import BrokenMark, origin_mark
from ...viz.view import BOX, FOLD, NODE, pattern_name
from ..keys import in_order
from ..messages import NodeChosen
from .edge_tiles import EDGE_STYLE, EdgeTiles
from .spatial import LayoutIndex
from .tape_layout import cut_name, fitted_value

#: A view of at most this many items is also laid out with taller boxes that show each node's value and gradient
#: (DETAIL_LINES under its name, DETAIL_TEXT columns wide), drawn so when that drawing fits the room the screen has.
DETAIL_ITEMS = 60
DETAIL_LINES = ("value", "grad")
DETAIL_TEXT = 18
#: The widest a box's detail lines grow to hold its numbers whole (summarize_value's text: `value  mean=3.5 std=1.71`);
#: a longer text is written shorter (fitted_value).
DETAIL_TEXT_MAX = 32
#: Cells between the layers of the taller boxes: room for an edge's gradient ('← -0.25').
DETAIL_GAP = 12
#: A box line's title and the number after it ('value  -4').
DETAIL_TITLE = 6
#: Graphs with more nodes than this are laid out (and their view built) in a thread after the screen first paints.
BACKGROUND_NODES = 2000

THIN = "┌┐└┘─│"
THICK = "┏┓┗┛━┃"
DASHED = "┌┐└┘╌┆"
#: The border of a box marked as failed (its VJP failed or failed its check, or it made the first NaN or
#: infinity): a shape of its own, so that it reads without colour too.
DOUBLE = "╔╗╚╝═║"

#: The border of a failed box (DOUBLE): a VJP that failed or failed its check, or the first non-finite value's origin.
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
        index = LayoutIndex(lay)
        detailed = []  # the taller boxes: wide enough for their numbers whole, else as narrow as they read
        if len(view.items) <= DETAIL_ITEMS:
            whole = detail_text_widths(view, self.session.state.recording)
            narrow = {} if any(w > DETAIL_TEXT for w in whole.values()) else None
            for texts in (t for t in (whole, narrow) if t is not None):
                widths = {key: max(box_width(text), texts.get(key, DETAIL_TEXT) + 4) for key, text in labels.items()}
                wide = layout(view, labels, job=job, box_h=BOX_H + len(DETAIL_LINES), widths=widths,
                              gap=DETAIL_GAP)
                detailed.append((wide, LayoutIndex(wide), EdgeTiles(wide)))
        return labels, (lay, index, EdgeTiles(lay)), {item.key: item for item in view.items}, detailed

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
        self._detail_used = None
        self._use(self._plain)
        self._consumers = consumers(self.session.graph)
        self.show_step()
        self.post_message(self.LaidOut())

    def _use(self, laid_out):
        """Draw with `laid_out` (a layout, its index and its still layer): the boxes with names only or the taller
        ones."""
        self.layout_, self._index, self._tiles = laid_out
        self.virtual_size = Size(self.layout_.width, self.layout_.height)
        self._extent = drawn_extent(self.layout_)
        self._window = None

    def fit_detail(self, width, height):
        """Boxes show their node's value and gradient when so drawn the graph fits `width` x `height` cells (the
        most the screen can give the pane): wide enough to write them whole when that fits, else cut to the
        narrower boxes; else names only; True when that changed (the screen shares its room
        out again)."""
        if self.layout_ is None:
            return False
        wanted = next((d for d in self._detailed if fits(d[0], width, height)), None)
        if wanted is self._detail_used:
            return False
        self.detailed, self._detail_used = wanted is not None, wanted
        self._use(wanted or self._plain)
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
        """The visible window as strips: the still layer (frames, edges, arrowheads: edge_tiles) with the current
        box's edges restyled, then the boxes over it."""
        state = self.session.state
        current = self.session.view.item_of[self.session.node]
        chars, styles, bits = self._tiles.window(x0, y0, w, h)
        self._tiles.heat(chars, styles, bits, current, x0, y0, heavy=getattr(self.app, "low_colour", False))
        if self.detailed:
            self._edge_labels(chars, styles, current, x0, y0, w, h)
        marks = [m for m in (broken_mark(state), self._origin_mark(state)) if m is not None]
        looks = set()
        for key in self._index.boxes_in(x0, y0, w, h):
            item = self.items[key]
            look = look_of(item, state)
            looks.add(look)
            marked = any(m.marks(item) for m in marks) or any(self.session.check_failed(n) for n in item.nodes)
            self._box(chars, styles, self.layout_.boxes[key], self.labels[key], item, look, state, item is current,
                      x0, y0, w, h, marked)
        if self.detailed:
            _legend(chars, styles, self.legend_row(y0, h), w, looks)
        return self._strips(chars, styles, w)

    def _origin_mark(self, state):
        """The mark of the node that made the graph's first NaN or infinity in the walk shown (None when all is
        finite), looked for once per recording (an edit or a training run records anew) and shown at every step."""
        recording = state.recording
        known = getattr(self, "_origin", None)
        if known is None or known[0] is not recording:
            with recording.walked_gradients():  # the walk's gradients, not those the graph holds
                known = self._origin = (recording, origin_mark(self.session.graph))
        return known[1]

    def _strips(self, chars, styles, w):
        """Each row as a Strip over the widget's own style (its background), reusing the last drawing's strip of a
        row that reads and looks the same (most of them, from one step to the next)."""
        base = self.rich_style
        last = getattr(self, "_last_rows", None)
        if last is None or last[0] != base:
            last = (base, {}, {})
        _, old_rows, styled = last
        rows, strips = {}, []
        for row_chars, row_styles in zip(chars, styles):
            text = "".join(row_chars)
            known = old_rows.get(text) or rows.get(text)
            if known is not None and known[0] == row_styles:
                strip = known[1]
            else:
                strip = Strip(_segments(text, row_styles, base, styled), w)
            rows[text] = (row_styles, strip)
            strips.append(strip)
        self._last_rows = (base, rows, styled)
        return strips

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

    def _box(self, chars, styles, box, text, item, key, state, is_current, x0, y0, w, h, marked=False):
        """Draw `item`'s box (look `key`) over the window's rows, as box_picture draws it."""
        bx, bw = box.x, box.w
        if bw > w:  # wider than the pane: drawn whole within it, its name shortened, never cut mid-border
            bx, bw = max(box.x, x0), min(box.right, x0 + w) - max(box.x, x0)
            text = shortened(text, bw - 4)
        details = tuple(detail_lines(item, state, bw - 4)) if box.h > BOX_H else ()
        dashed = theme.LOOKS[key].dashed or (key == "computed" and state.phase != FORWARD) if key else False
        picture = box_picture(text, key, is_current, marked, bw, box.h, details, dashed)
        lo, hi = max(bx, x0), min(bx + bw, x0 + w)
        if lo >= hi:  # the spatial index's bucket holds it, but it is beside the window
            return
        for i, (row_chars, row_styles) in enumerate(picture):
            r = box.y + i - y0
            if not 0 <= r < h:
                continue
            if len(row_chars) == bw:
                chars[r][lo - x0:hi - x0] = row_chars[lo - bx:hi - bx]
                styles[r][lo - x0:hi - x0] = row_styles[lo - bx:hi - bx]
                continue
            for j, ch in enumerate(row_chars):  # a sliver too narrow for its border: cell by cell, clipped
                if 0 <= bx + j - x0 < w:
                    chars[r][bx + j - x0], styles[r][bx + j - x0] = ch, row_styles[j]

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


@lru_cache(maxsize=4096)
def box_picture(text, key, is_current, marked, bw, bh, details, dashed=False):
    """A box `bw` x `bh` cells of look `key` with `text` on its first line and its `details` (detail_lines) under
    it, as ((chars, styles) for each row): the box is drawn from it at every step that shows it alike. Its border:
    DOUBLE in the error colour when `marked` (failed), else heavy for the current box, dashed when `dashed` (its
    value, or in the backward pass its gradient, not computed yet), thin otherwise."""
    ink, border = look_style(key, is_current)
    fill = GRAD_FILLED if key == "backpropagated" and not is_current and not marked else None
    if marked:
        border = BROKEN_BORDER
    tl, tr, bl, br, hz, vt = DOUBLE if marked else THICK if is_current else DASHED if dashed else THIN
    inner = [(text, None)] + list(details) + [("", None)] * (bh - 3 - len(details))
    rows = [tl + hz * (bw - 2) + tr] + [vt + " " + t[:bw - 4].ljust(bw - 4) + " " + vt for t, _ in inner] \
        + [bl + hz * (bw - 2) + br]
    picture = []
    for i, line in enumerate(rows):
        kind = inner[i - 1][1] if 0 < i <= len(inner) else None
        row_styles = []
        for j in range(len(line)):
            if i == 0 or i == len(rows) - 1 or j in (0, bw - 1):
                style = border
            elif i == 1:
                style = ink if 1 < j < bw - 2 or is_current else fill
            elif kind is not None:
                style = DETAIL_TITLE_STYLE if j < 2 + DETAIL_TITLE else DETAIL_STYLES[kind]
            else:
                style = fill
            row_styles.append(style if fill is None or style is fill else fill_style(style))
        picture.append((line, tuple(row_styles)))
    return tuple(picture)


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


def detail_text_widths(view, recording):
    """{item key: the columns its detail lines take to write the node's value and every gradient the walk gives it
    whole (DETAIL_TEXT to DETAIL_TEXT_MAX)} for each node drawn as itself."""
    grads = dict(zip(recording.graph.nodes, recording.grad_values))
    widths = {}
    with np.errstate(all="ignore"):
        for item in view.items:
            if item.kind != NODE:
                continue
            numbers = [item.node.value] + list(grads.get(item.node) or ())
            longest = max(len(summarize_value(v)) for v in numbers if v is not None)
            widths[item.key] = min(DETAIL_TEXT_MAX, max(DETAIL_TEXT, DETAIL_TITLE + longest))
    return widths


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


def _segments(text, styles, base, styled):
    """Runs of equally styled characters of a row as rich Segments, over the widget's own style (its background);
    `styled` keeps each style over `base` once made."""
    out, start, n = [], 0, len(text)
    for i in range(1, n + 1):
        if i == n or styles[i] is not styles[start]:
            style = styles[start]
            over = styled.get(style)
            if over is None:
                over = styled[style] = base if style is None else base + style
            out.append(Segment(text[start:i], over))
            start = i
    return out
