"""Where a view's items go on a grid of terminal cells: boxes and orthogonal edge routes.

    lay = layout(view, labels)       # labels: {item.key: text inside the box}
    lay.boxes["n3"]                  # Box(x, y, w, h): top-left cell and size
    lay.routes                       # [(edge, [(x, y), ...])]: corner points, left to right
    lay.frames                       # [Frame(scope, x, y, w, h)]: a scope's cluster, outermost first

Graphviz (``dot``, its ``json`` output) places the items inside the clusters
of their scopes, so the terminal shows the same shape and the same layer
frames as the pictures. Without ``dot``, or for views too big for it to lay
out quickly, items are placed by topological layers: a column per layer, in
the order of their inputs, without frames.
"""
import json
from dataclasses import dataclass, field

from . import theme
from .layout_cost import costly_layout
from .render import Cancelled, have_dot, run_dot

#: Terminal cell size in Graphviz inches (a cell is about twice as tall as wide).
CELL_W = 0.1
CELL_H = 0.2
#: Box height in cells: top border, one line of text, bottom border.
BOX_H = 3
#: Views with more items or more edges than these are laid out by layers. Measured (dot 2.43, 2 cores): a chain
#: of 4,000 boxes takes dot 1.4 s, but a graph whose ops take their inputs from all over (2 edges per box)
#: 0.6 s at 600 boxes, 2.7 s at 1,200 and 36 s at 2,900 (66 MB); the size of the box texts does not matter
#: here (the boxes are empty rectangles of a given width).
DOT_MAX = 400
DOT_MAX_EDGES = 800
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
class Frame:
    """A scope's frame: its path ('block1/fc'), top-left cell (x, y), width and height in cells."""

    scope: str
    x: int
    y: int
    w: int
    h: int

    @property
    def title(self):
        """The scope's own name, drawn on the frame's top border."""
        return self.scope.rsplit("/", 1)[-1]


@dataclass
class Layout:
    """Boxes by item key, scope frames, edge routes, the grid's size and which engine placed them."""

    boxes: dict
    routes: list = field(default_factory=list)
    frames: list = field(default_factory=list)
    width: int = 0
    height: int = 0
    engine: str = LAYERS


def box_width(text):
    """Cells a box takes for `text`: borders and one space each side."""
    return len(text) + 4


def engine_for(view):
    """DOT for a view Graphviz lays out quickly (at most DOT_MAX items and DOT_MAX_EDGES edges, and `dot` is
    installed), else LAYERS."""
    small = len(view.items) <= DOT_MAX and len(view.edges) <= DOT_MAX_EDGES
    return DOT if small and have_dot() else LAYERS


def layout(view, labels, engine=None, job=None, box_h=BOX_H, widths=None, gap=LAYER_GAP):
    """Lay out `view` (a viz.View) with box texts `labels`; `engine` forces 'dot' or 'layers'. Every box is
    `box_h` cells tall (its borders and box_h - 2 lines of text) and, given `widths` ({key: cells}), that wide;
    about `gap` cells stand between layers.

    `job` (a render.DotJob) lets another thread stop the work: cancelling it kills a running `dot` and makes
    this raise render.Cancelled soon after.
    """
    if engine is None:
        engine = engine_for(view)
    if widths is None:
        widths = {item.key: box_width(labels[item.key]) for item in view.items}
    frames = []
    if engine == DOT:
        try:
            boxes, frames = _dot_boxes(view, widths, job, box_h, gap)
        except Cancelled:
            raise
        except Exception:  # noqa: BLE001 - dot missing or crashed: the layers need no program
            engine = LAYERS
            boxes = _layer_boxes(view, widths, job, box_h, gap)
    else:
        boxes = _layer_boxes(view, widths, job, box_h, gap)
    _check(job)
    lay = Layout(boxes, frames=frames, engine=engine)
    lay.routes = [(e, _route(boxes[e.src.key], boxes[e.dst.key])) for e in view.edges]
    rects = [(b.right, b.y + b.h) for b in boxes.values()] + [(f.x + f.w, f.y + f.h) for f in frames]
    lay.width = max((r for r, _ in rects), default=0) + 2
    lay.height = max((b for _, b in rects), default=0) + 1
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

#: Room between a frame and what it holds, in points (x, y): two cells across, about one down.
FRAME_MARGIN = "14,12"
#: Font size (points) at which a frame's title is about a cell wide per character, so the frame fits its title.
TITLE_POINTS = 13


def dot_source(view, widths, box_h=BOX_H, gap=LAYER_GAP):
    """DOT text with one fixed-size box per item (sized in cells), inside nested clusters of their scopes."""
    ranksep = 0.5 * gap / LAYER_GAP
    lines = ["digraph G {", f"rankdir=LR; nodesep=0.2; ranksep={ranksep:g}; splines=false;",
             f"node [shape=box fixedsize=true height={box_h * CELL_H:.2f} label=\"\"];"]
    if costly_layout(view):
        lines.insert(2, " ".join(f"{k}={v};" for k, v in theme.CHEAP_LAYOUT.items()))
    tree = view.clusters()
    children = {}
    for scope in tree:
        if scope:
            children.setdefault(scope.rpartition("/")[0], []).append(scope)

    def add(scope, indent):
        pad = "  " * indent
        for item in tree.get(scope, []):
            lines.append(f'{pad}"{item.key}" [width={widths[item.key] * CELL_W:.2f}];')
        for k, child in enumerate(sorted(children.get(scope, []))):
            lines.append(f'{pad}subgraph "cluster_{len(lines)}_{k}" {{ label={json.dumps(child)}; '
                         f'id={json.dumps(child)}; margin="{FRAME_MARGIN}"; fontsize={TITLE_POINTS}; labeljust=l;')
            add(child, indent + 1)
            lines.append(pad + "}")

    add("", 1)
    seen = set()
    for e in view.edges:
        pair = (e.src.key, e.dst.key)
        if pair not in seen:
            seen.add(pair)
            lines.append(f'"{pair[0]}" -> "{pair[1]}";')
    lines.append("}")
    return "\n".join(lines)


def _dot_boxes(view, widths, job=None, box_h=BOX_H, gap=LAYER_GAP):
    laid_out = run_dot(dot_source(view, widths, box_h, gap), "json", job).decode("utf-8")
    return parse_json(laid_out, widths, box_h)


def _check(job):
    if job is not None and job.cancelled:
        raise Cancelled("layout cancelled")


def parse_json(text, widths, box_h=BOX_H):
    """Boxes and frames from Graphviz's `json` output (points, y up), converted to cells (y down)."""
    data = json.loads(text)
    height = _floats(data["bb"])[3] / 72
    boxes, frames = {}, []
    for obj in data.get("objects", []):
        if "pos" in obj and obj.get("name") in widths:
            x, y = (v / 72 for v in _floats(obj["pos"]))
            w = widths[obj["name"]]
            cx, cy = x / CELL_W, (height - y) / CELL_H
            boxes[obj["name"]] = Box(max(0, round(cx - w / 2)), max(0, round(cy - box_h / 2)), w, box_h)
        elif "bb" in obj and str(obj.get("name", "")).startswith("cluster"):
            x1, y1, x2, y2 = (v / 72 for v in _floats(obj["bb"]))
            left, top = round(x1 / CELL_W), round((height - y2) / CELL_H)
            frames.append(Frame(obj.get("id", obj.get("label", "")), max(0, left), max(0, top),
                                round(x2 / CELL_W) - left, round((height - y1) / CELL_H) - top))
    frames.sort(key=lambda f: f.scope.count("/"))
    return boxes, frames


def _floats(text):
    return [float(v) for v in text.split(",")]


# ---------------------------------------------------------------- topological layers

def _layer_boxes(view, widths, job=None, box_h=BOX_H, gap=LAYER_GAP):
    """A column per topological layer; in a column, boxes ordered by where their inputs sit.

    A node with no inputs (a leaf, a constant) stands in the column just before its first use, not in the
    first column: the constant of a 20,000-step chain sits beside the op that uses it, and no edge runs across
    the whole graph.
    """
    order = {item.key: i for i, item in enumerate(view.items)}
    preds = {item.key: [] for item in view.items}
    succs = {item.key: [] for item in view.items}
    for e in view.edges:
        if order[e.src.key] < order[e.dst.key]:
            preds[e.dst.key].append(e.src.key)
            succs[e.src.key].append(e.dst.key)
    layer = {}
    for item in view.items:
        layer[item.key] = 1 + max((layer[p] for p in preds[item.key]), default=-1)
    _check(job)
    for item in view.items:
        key = item.key
        if not preds[key] and succs[key]:
            layer[key] = max(0, min(layer[s] for s in succs[key]) - 1)
    columns = {}
    for item in view.items:
        columns.setdefault(layer[item.key], []).append(item.key)
    _check(job)
    boxes, row_of, x = {}, {}, 1
    for k in sorted(columns):
        keys = columns[k]
        keys.sort(key=lambda key: (sum(row_of[p] for p in preds[key]) / len(preds[key]) if preds[key] else -1,
                                   order[key]))
        width = max(widths[key] for key in keys)
        for row, key in enumerate(keys):
            row_of[key] = row
            boxes[key] = Box(x, row * (box_h + ROW_GAP), widths[key], box_h)
        x += width + gap
    return boxes

