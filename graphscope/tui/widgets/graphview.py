"""The graph drawn with box-drawing characters: laid out once (viz.layout), only the visible window drawn."""
from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...viz import theme
from ...viz.dot import look_of
from ...viz.layout import layout
from ...viz.view import BOX, FOLD, pattern_name
from ..messages import NodeChosen

#: Rows per bucket of the spatial index (what a window looks up).
CHUNK = 16

# line directions, as bits: a cell's edge character joins the directions it has
UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
LINES = {0: " ", UP: "│", DOWN: "│", UP | DOWN: "│", LEFT: "─", RIGHT: "─", LEFT | RIGHT: "─",
         DOWN | RIGHT: "╭", DOWN | LEFT: "╮", UP | RIGHT: "╰", UP | LEFT: "╯",
         UP | DOWN | RIGHT: "├", UP | DOWN | LEFT: "┤", DOWN | LEFT | RIGHT: "┬", UP | LEFT | RIGHT: "┴",
         UP | DOWN | LEFT | RIGHT: "┼"}
THIN = "┌┐└┘─│"
THICK = "┏┓┗┛━┃"
DASHED = "┌┐└┘╌┆"

EDGE_STYLE = Style(color=theme.MUTED)
EDGE_HOT = Style(color=theme.EDGE_CURRENT, bold=True)


def label(item):
    """The text in an item's box: 'q add' for a node, 'fc1 [+]' for a collapsed scope, 'Linear+ReLU x 8' for a fold."""
    if item.kind == BOX:
        return f"{item.scopes[0].rsplit('/', 1)[-1]} [+]"
    if item.kind == FOLD:
        return f"{pattern_name(item.nodes[:len(item.nodes) // len(item.scopes)])} x {len(item.scopes)}"
    node = item.node
    return node.name if node.fn is None else f"{node.name} {node.op}"


@lru_cache(maxsize=None)
def look_style(key, current=False):
    look = theme.LOOKS[key]
    if current:
        return Style(color="#000000", bgcolor=look.head, bold=True), Style(color=look.border, bold=True)
    return Style(color=look.ink), Style(color=look.border)


class GraphView(ScrollView, can_focus=True):
    """Pan with the arrow keys (when focused), the mouse or the scroll bars; the current node stays in sight."""

    DEFAULT_CSS = """
    GraphView { background: $surface; scrollbar-size: 1 1; }
    """
    BINDINGS = [Binding("up", "scroll_up", "pan up", show=False), Binding("down", "scroll_down", "pan down", show=False),
                Binding("shift+left", "scroll_left", "pan left", show=False),
                Binding("shift+right", "scroll_right", "pan right", show=False)]

    def __init__(self, session, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self.follow = True
        self._window = None
        self.relayout()

    # ---------------------------------------------------------------- layout and index
    def relayout(self):
        """Lay the session's view out again (after a scope collapsed or expanded)."""
        view = self.session.view
        self.labels = {item.key: label(item) for item in view.items}
        self.layout_ = layout(view, self.labels)
        self.items = {item.key: item for item in view.items}
        self._index()
        self.virtual_size = Size(self.layout_.width, self.layout_.height)
        self._window = None
        self.refresh()

    def _index(self):
        boxes, segs = {}, {}
        for key, box in self.layout_.boxes.items():
            for c in range(box.y // CHUNK, (box.y + box.h - 1) // CHUNK + 1):
                boxes.setdefault(c, []).append(key)
        for n, (edge, points) in enumerate(self.layout_.routes):
            for (x1, y1), (x2, y2) in zip(points, points[1:]):
                lo, hi = min(y1, y2), max(y1, y2)
                for c in range(lo // CHUNK, hi // CHUNK + 1):
                    segs.setdefault(c, []).append((n, x1, y1, x2, y2))
        self._boxes, self._segs = boxes, segs

    def box_of(self, node):
        item = self.session.view.item_of[node]
        return self.layout_.boxes[item.key]

    # ---------------------------------------------------------------- following the cursor
    def show_step(self):
        """Redraw for the session's current step, scrolling the current node into the middle when following."""
        self._window = None
        if self.follow:
            box = self.box_of(self.session.node)
            region = Region(box.x, box.y, box.w, box.h)
            self.scroll_to_center_region(region)
        self.refresh()

    def scroll_to_center_region(self, region):
        w, h = self.scrollable_content_region.size
        x = region.x + region.width // 2 - w // 2
        y = region.y + region.height // 2 - h // 2
        self.scroll_to(max(0, x), max(0, y), animate=False, immediate=True)

    # ---------------------------------------------------------------- drawing
    def render_line(self, y):
        sx, sy = self.scroll_offset
        w, h = self.scrollable_content_region.size
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
        chunks = range(y0 // CHUNK, (y0 + h - 1) // CHUNK + 1)
        seen = set()
        for c in chunks:
            for seg in self._segs.get(c, ()):
                if seg in seen:
                    continue
                seen.add(seg)
                n, x1, y1, x2, y2 = seg
                edge = self.layout_.routes[n][0]
                is_hot = edge.dst is current or edge.src is current
                _stroke(bits, hot, x1 - x0, y1 - y0, x2 - x0, y2 - y0, w, h, is_hot)
        for r in range(h):
            row_bits, row_chars, row_styles, row_hot = bits[r], chars[r], styles[r], hot[r]
            for c in range(w):
                if row_bits[c]:
                    row_chars[c] = LINES[row_bits[c]]
                    row_styles[c] = EDGE_HOT if row_hot[c] else EDGE_STYLE
        # arrowheads
        for c in chunks:
            for seg in self._segs.get(c, ()):
                n, x1, y1, x2, y2 = seg
                points = self.layout_.routes[n][1]
                if (x2, y2) == points[-1] and 0 <= x2 - x0 < w and 0 <= y2 - y0 < h:
                    chars[y2 - y0][x2 - x0] = "▶"
        drawn = set()
        for c in chunks:
            for key in self._boxes.get(c, ()):
                if key in drawn:
                    continue
                drawn.add(key)
                item = self.items[key]
                self._box(chars, styles, self.layout_.boxes[key], self.labels[key], item, state,
                          item is current, x0, y0, w, h)
        return [Strip(_segments(chars[r], styles[r]), w) for r in range(h)]

    def _box(self, chars, styles, box, text, item, state, is_current, x0, y0, w, h):
        key = look_of(item, state)
        look = theme.LOOKS[key]
        ink, border = look_style(key, is_current)
        tl, tr, bl, br, hz, vt = THICK if is_current else DASHED if look.dashed else THIN
        rows = [tl + hz * (box.w - 2) + tr, vt + " " + text.ljust(box.w - 4) + " " + vt, bl + hz * (box.w - 2) + br]
        for i, line in enumerate(rows):
            r = box.y + i - y0
            if not 0 <= r < h:
                continue
            for j, ch in enumerate(line):
                c = box.x + j - x0
                if 0 <= c < w:
                    chars[r][c] = ch
                    inside = i == 1 and 1 < j < box.w - 2
                    styles[r][c] = ink if inside or (i == 1 and j in (1, box.w - 2) and is_current) else border

    # ---------------------------------------------------------------- mouse
    def on_click(self, event):
        x, y = event.x + self.scroll_offset.x, event.y + self.scroll_offset.y
        for key, box in self.layout_.boxes.items():
            if box.x <= x < box.right and box.y <= y < box.y + box.h:
                self.post_message(NodeChosen(self.items[key].nodes[-1]))
                return


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


def _segments(chars, styles):
    """Runs of equally styled characters as rich Segments."""
    out, start = [], 0
    for i in range(1, len(chars) + 1):
        if i == len(chars) or styles[i] is not styles[start]:
            out.append(Segment("".join(chars[start:i]), styles[start]))
            start = i
    return out
