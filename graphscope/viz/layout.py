"""Where a view's items go on a grid of terminal cells: boxes and orthogonal edge routes.

    lay = layout(view, labels)       # labels: {item.key: text inside the box}
    lay.boxes["n3"]                  # Box(x, y, w, h): top-left cell and size
    lay.routes                       # [(edge, [(x, y), ...])]: corner points, left to right

Graphviz (``dot``, its ``plain`` output) places the items, so the terminal
shows the same shape as the pictures. Without ``dot``, or for views too big
for it to lay out quickly, items are placed by topological layers: a column
per layer, in the order of their inputs.
"""
import re
from dataclasses import dataclass, field

from .render import have_dot

#: Terminal cell size in Graphviz inches (a cell is about twice as tall as wide).
CELL_W = 0.1
CELL_H = 0.2
#: Box height in cells: top border, one line of text, bottom border.
BOX_H = 3
#: Views with more items than this are laid out by layers (dot takes seconds on thousands of nodes).
DOT_MAX = 400
#: Cells between layers (room for the edges' corners and arrowheads) and between boxes of a layer.
LAYER_GAP = 6
ROW_GAP = 1

DOT, LAYERS = "dot", "layers"


@dataclass
class Box:
    """An item's box: top-left cell (x, y), width and height in cells."""

    x: int
    y: int
    w: int
    h: int = BOX_H

    @property
    def mid_y(self):
        return self.y + self.h // 2

    @property
    def right(self):
        return self.x + self.w


@dataclass
class Layout:
    """Boxes by item key, edge routes, the grid's size and which engine placed them."""

    boxes: dict
    routes: list = field(default_factory=list)
    width: int = 0
    height: int = 0
    engine: str = LAYERS


def box_width(text):
    """Cells a box takes for `text`: borders and one space each side."""
    return len(text) + 4


def layout(view, labels, engine=None):
    """Lay out `view` (a viz.View) with box texts `labels`; `engine` forces 'dot' or 'layers'."""
    if engine is None:
        engine = DOT if len(view.items) <= DOT_MAX and have_dot() else LAYERS
    widths = {item.key: box_width(labels[item.key]) for item in view.items}
    if engine == DOT:
        try:
            boxes = _dot_boxes(view, widths)
        except Exception:  # noqa: BLE001 - dot missing or crashed: the layers need no program
            engine = LAYERS
            boxes = _layer_boxes(view, widths)
    else:
        boxes = _layer_boxes(view, widths)
    lay = Layout(boxes, engine=engine)
    lay.routes = [(e, _route(boxes[e.src.key], boxes[e.dst.key])) for e in view.edges]
    lay.width = max((b.right for b in boxes.values()), default=0) + 2
    lay.height = max((b.y + b.h for b in boxes.values()), default=0) + 1
    return lay


def _route(src, dst):
    """An orthogonal route from the right side of `src` to just left of `dst` (where the arrowhead goes)."""
    x1, y1 = src.right, src.mid_y
    x2, y2 = dst.x - 1, dst.mid_y
    if x2 <= x1:  # the target is not to the right: go round below the source
        below = max(src.y + src.h, dst.y + dst.h)
        return [(x1, y1), (x1 + 1, y1), (x1 + 1, below), (x2 - 1, below), (x2 - 1, y2), (x2, y2)]
    if y1 == y2:
        return [(x1, y1), (x2, y2)]
    xm = max(x1 + 1, x2 - 2)
    return [(x1, y1), (xm, y1), (xm, y2), (x2, y2)]


# ---------------------------------------------------------------- Graphviz

def dot_source(view, widths):
    """DOT text with one fixed-size box per item (sized in cells), clusters left out: positions only."""
    lines = ["digraph G {", "rankdir=LR; nodesep=0.2; ranksep=0.5; splines=false;",
             f"node [shape=box fixedsize=true height={BOX_H * CELL_H:.2f} label=\"\"];"]
    for item in view.items:
        lines.append(f'"{item.key}" [width={widths[item.key] * CELL_W:.2f}];')
    seen = set()
    for e in view.edges:
        pair = (e.src.key, e.dst.key)
        if pair not in seen:
            seen.add(pair)
            lines.append(f'"{pair[0]}" -> "{pair[1]}";')
    lines.append("}")
    return "\n".join(lines)


_NODE = re.compile(r'^node ("(?:[^"\\]|\\.)*"|\S+) (\S+) (\S+) (\S+) (\S+)')


def _dot_boxes(view, widths):
    import graphviz
    plain = graphviz.Source(dot_source(view, widths)).pipe(format="plain").decode("utf-8")
    return parse_plain(plain, widths)


def parse_plain(plain, widths):
    """Boxes from Graphviz `plain` output (inches, y up) converted to cells (y down)."""
    height = 0.0
    centres = {}
    for line in plain.splitlines():
        if line.startswith("graph "):
            height = float(line.split()[3])
        m = _NODE.match(line)
        if m:
            centres[m.group(1).strip('"')] = (float(m.group(2)), float(m.group(3)))
    boxes = {}
    for key, (x, y) in centres.items():
        w = widths[key]
        cx, cy = x / CELL_W, (height - y) / CELL_H
        boxes[key] = Box(max(0, round(cx - w / 2)), max(0, round(cy - BOX_H / 2)), w)
    return boxes


# ---------------------------------------------------------------- topological layers

def _layer_boxes(view, widths):
    """A column per topological layer; in a column, boxes ordered by where their inputs sit."""
    order = {item.key: i for i, item in enumerate(view.items)}
    preds = {item.key: [] for item in view.items}
    for e in view.edges:
        if order[e.src.key] < order[e.dst.key]:
            preds[e.dst.key].append(e.src.key)
    layer = {}
    for item in view.items:
        layer[item.key] = 1 + max((layer[p] for p in preds[item.key]), default=-1)
    columns = {}
    for item in view.items:
        columns.setdefault(layer[item.key], []).append(item.key)
    boxes, row_of, x = {}, {}, 1
    for k in sorted(columns):
        keys = columns[k]
        keys.sort(key=lambda key: (sum(row_of[p] for p in preds[key]) / len(preds[key]) if preds[key] else -1,
                                   order[key]))
        width = max(widths[key] for key in keys)
        for row, key in enumerate(keys):
            row_of[key] = row
            boxes[key] = Box(x, row * (BOX_H + ROW_GAP), widths[key])
        x += width + LAYER_GAP
    return boxes
