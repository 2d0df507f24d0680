"""The graph view's still layer: scope frames, edges and arrowheads, drawn once per tile of the layout.

None of it depends on the step, so each tile (TILE_H rows by TILE_W
columns of layout cells) is drawn the first time a window shows it and
reused by every later step and every window over it. A step only
restyles the edges of its current box (`hot`) and draws the boxes on top.
"""
import numpy as np
from rich.style import Style

from .. import colours

#: Layout cells per tile.
TILE_W, TILE_H = 64, 16
#: Tiles kept (the oldest drawn is dropped first): about 6 MB, many windows' worth, whatever the layout's size.
MAX_TILES = 256

# line directions, as bits: a cell's edge character joins the directions it has
UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
#: A bit marking a cell that holds an arrowhead (drawn over the line).
ARROW = 16
LINE_BITS = UP | DOWN | LEFT | RIGHT
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
FRAME = "╭╮╰╯─│"
ARROWHEAD = "▶"

EDGE_STYLE = Style(color=colours.EDGE)
EDGE_HOT = Style(color=colours.CURRENT, bold=True)
FRAME_STYLE = Style(color=colours.FRAME)
FRAME_TITLE = Style(color=colours.FRAME_TITLE, bold=True)


class EdgeTiles:
    """The still layer of one layout, tile by tile as windows ask for it."""

    def __init__(self, lay):
        self.layout = lay
        self._tiles = {}
        self._routes_of = None
        self._lines = None

    def window(self, x0, y0, w, h):
        """(chars, styles, bits) of the w x h window at layout cell (x0, y0): rows of lists the caller may change."""
        chars, styles, bits = [], [], []
        spans = [(tx, max(x0, tx * TILE_W) - tx * TILE_W, min(x0 + w, (tx + 1) * TILE_W) - tx * TILE_W)
                 for tx in range(x0 // TILE_W, (x0 + w - 1) // TILE_W + 1)]
        for y in range(y0, y0 + h):
            ty, ry = divmod(y, TILE_H)
            row_chars, row_styles, row_bits = [], [], []
            for tx, lo, hi in spans:
                tile_chars, tile_styles, tile_bits = self._tile(ty, tx)
                row_chars += tile_chars[ry][lo:hi]
                row_styles += tile_styles[ry][lo:hi]
                row_bits += tile_bits[ry][lo:hi]
            chars.append(row_chars)
            styles.append(row_styles)
            bits.append(row_bits)
        return chars, styles, bits

    def heat(self, chars, styles, bits, item, x0, y0, heavy=False):
        """Restyle, in a window from `window`, the edges into and out of `item` (the current box) as the step's
        own: EDGE_HOT, with heavy lines when `heavy` (no colour to tell them)."""
        h, w = len(chars), len(chars[0]) if chars else 0
        lines = HEAVY_LINES if heavy else LINES
        for n in self.routes_of(item):
            points = self.layout.routes[n][1]
            for (x1, y1), (x2, y2) in zip(points, points[1:]):
                if y1 == y2:
                    r = y1 - y0
                    if not 0 <= r < h:
                        continue
                    cols = range(max(min(x1, x2) - x0, 0), min(max(x1, x2) - x0, w - 1) + 1)
                    cells = ((r, c) for c in cols)
                else:
                    c = x1 - x0
                    if not 0 <= c < w:
                        continue
                    rows = range(max(min(y1, y2) - y0, 0), min(max(y1, y2) - y0, h - 1) + 1)
                    cells = ((r, c) for r in rows)
                for r, c in cells:
                    b = bits[r][c]
                    if b & LINE_BITS:
                        styles[r][c] = EDGE_HOT
                        if not b & ARROW:
                            chars[r][c] = lines[b & LINE_BITS]

    def routes_of(self, item):
        """The numbers of the routes (layout.routes) into and out of `item`."""
        if self._routes_of is None:
            self._routes_of = {}
            for n, (edge, _points) in enumerate(self.layout.routes):
                for end in {id(edge.src), id(edge.dst)}:
                    self._routes_of.setdefault(end, []).append(n)
        return self._routes_of.get(id(item), ())

    def _tile(self, ty, tx):
        tile = self._tiles.get((ty, tx))
        if tile is None:
            if len(self._tiles) >= MAX_TILES:
                del self._tiles[next(iter(self._tiles))]
            tile = self._tiles[ty, tx] = self._draw_tile(tx * TILE_W, ty * TILE_H, TILE_W, TILE_H)
        return tile

    def _draw_tile(self, x0, y0, w, h):
        """The frames, then the edges over them (joined by direction bits), then the arrowheads."""
        chars = [[" "] * w for _ in range(h)]
        styles = [[None] * w for _ in range(h)]
        for frame in self.layout.frames:
            _frame(chars, styles, frame, x0, y0, w, h)
        bits = self._segments().bits(x0, y0, w, h)
        lines = _LINE_CHARS[bits].tolist()
        for r, c in zip(*np.nonzero(bits)):
            chars[r][c] = lines[r][c]
            styles[r][c] = EDGE_STYLE
        bits = bits.tolist()
        for x, y in self._segments().arrowheads:
            if 0 <= x - x0 < w and 0 <= y - y0 < h:
                chars[y - y0][x - x0] = ARROWHEAD
                bits[y - y0][x - x0] |= ARROW
        return chars, styles, bits

    def _segments(self):
        if self._lines is None:
            self._lines = Segments(self.layout.routes)
        return self._lines


class Segments:
    """A layout's edge routes as arrays of horizontal and vertical segments, stroked a window at a time."""

    def __init__(self, routes):
        across, along = [], []  # (row, lo, hi) and (column, lo, hi)
        self.arrowheads = []
        for _edge, points in routes:
            for (x1, y1), (x2, y2) in zip(points, points[1:]):
                if y1 == y2:
                    across.append((y1, min(x1, x2), max(x1, x2)))
                else:
                    along.append((x1, min(y1, y2), max(y1, y2)))
            if len(points) > 1:
                self.arrowheads.append(points[-1])
        self.across = np.array(across, dtype=np.int64).reshape(-1, 3)
        self.along = np.array(along, dtype=np.int64).reshape(-1, 3)
        ends = np.array(self.arrowheads, dtype=np.int64).reshape(-1, 2)
        self.arrowheads = [tuple(p) for p in np.unique(ends, axis=0).tolist()]

    def bits(self, x0, y0, w, h):
        """The direction bits of every cell of the w x h window at (x0, y0): a line runs LEFT from each cell of a
        horizontal segment but its left end, RIGHT from each but its right end (UP and DOWN likewise)."""
        bits = np.zeros((h, w), dtype=np.int64)
        seg = self.across[(self.across[:, 0] >= y0) & (self.across[:, 0] < y0 + h)
                          & (self.across[:, 2] >= x0) & (self.across[:, 1] < x0 + w)]
        rows, lo, hi = seg[:, 0] - y0, seg[:, 1] - x0, seg[:, 2] - x0
        bits |= LEFT * _covered((h, w + 1), rows, lo + 1, hi + 1, axis=1)
        bits |= RIGHT * _covered((h, w + 1), rows, lo, hi, axis=1)
        seg = self.along[(self.along[:, 0] >= x0) & (self.along[:, 0] < x0 + w)
                         & (self.along[:, 2] >= y0) & (self.along[:, 1] < y0 + h)]
        cols, lo, hi = seg[:, 0] - x0, seg[:, 1] - y0, seg[:, 2] - y0
        bits |= UP * _covered((h + 1, w), cols, lo + 1, hi + 1, axis=0)
        bits |= DOWN * _covered((h + 1, w), cols, lo, hi, axis=0)
        return bits


def _covered(shape, lines, start, stop, axis):
    """True where a cell lies in [start, stop) of its line (a row when axis=1, a column when axis=0) for some
    (line, start, stop): counted by a cumulative sum of +1 at each start and -1 at each stop, clipped."""
    length = shape[axis] - 1
    start, stop = np.clip(start, 0, length), np.clip(stop, 0, length)
    diff = np.zeros(shape, dtype=np.int64)
    if axis == 1:
        np.add.at(diff, (lines, start), 1)
        np.add.at(diff, (lines, stop), -1)
        return (np.cumsum(diff, axis=1)[:, :-1] > 0).astype(np.int64)
    np.add.at(diff, (start, lines), 1)
    np.add.at(diff, (stop, lines), -1)
    return (np.cumsum(diff, axis=0)[:-1] > 0).astype(np.int64)


#: LINES as an array: a character for each direction bits value.
_LINE_CHARS = np.array([LINES.get(b, " ") for b in range(16)], dtype=object)


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
