"""A fitted picture's canvas: exactly the --fit's pixels, the drawing scaled to just fit and centred on it.

Graphviz's ``viewport`` draws onto a canvas of a given size in points at a given zoom, centred on a given point
of the layout; the zoom and the centre come from the drawing at 100% (its SVG), so a fitted picture is laid out
once to be measured and once to be drawn. DOT text is not laid out here: it gets Graphviz's ``size`` instead,
which scales the drawing to fit but leaves the canvas the drawing's shape.
"""
import math
import re
from dataclasses import dataclass

from ..engine.errors import GraphscopeError

#: A CSS pixel is 1/96 inch; SVG and PDF sizes are in points, 1/72 inch.
CSS_DPI = 96
POINTS_PER_INCH = 72

#: An SVG's size as Graphviz writes it, in points.
_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')
#: An SVG's viewBox as Graphviz writes it: its size in points to two decimals (its width and height are whole).
_VIEWBOX = re.compile(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"')
#: The transform of Graphviz's outermost group (graph0; page0,1_graph0 after the first graph of a run): its scale,
#: and the layout's origin in points from the top left.
_GROUP = re.compile(r'(<g id="[^"]*graph0" class="graph" transform="scale\()([-\d.]+) ([-\d.]+)(\)[^"]*?'
                    r'translate\(([-\d.]+) ([-\d.]+)\)")')


def svg_size(svg):
    """(width, height) in points of an SVG drawn by Graphviz, or None."""
    m = _SIZE.search(svg)
    return (max(float(m.group(1)), 1.0), max(float(m.group(2)), 1.0)) if m else None


def pixels_per_inch(fmt, dpi=None):
    """The pixels an inch a fit is measured in: a PNG's dpi; the CSS pixel (96 an inch) for SVG, PDF and DOT."""
    return dpi if fmt == "png" and dpi else CSS_DPI


def fit_attrs(fit):
    """Graphviz's `size` that scales a drawing up (or down) until it just fits `fit` (width, height) CSS pixels,
    the canvas taking the drawing's shape: for DOT text, which is not laid out here."""
    return {"size": f"{fit[0] / CSS_DPI:.6g},{fit[1] / CSS_DPI:.6g}!"}


def drawing_box(svg):
    """(width, height, centre x, centre y) in points of a drawing that Graphviz made as `svg` at 100%: its size
    with its pad, and its centre in the layout's own coordinates (y up: what a viewport is centred on)."""
    box, group = _VIEWBOX.search(svg), _GROUP.search(svg)
    if box is None or group is None:
        raise GraphscopeError("cannot fit the picture: Graphviz's SVG does not say its size")
    width, height = max(float(box.group(1)), 1.0), max(float(box.group(2)), 1.0)
    return width, height, width / 2 - float(group.group(5)), float(group.group(6)) - height / 2


@dataclass(frozen=True)
class Canvas:
    """A canvas of `width` x `height` points holding a drawing scaled by `zoom`, centred on `centre` (a point of
    the layout, in points)."""

    width: float
    height: float
    zoom: float
    centre: tuple

    @classmethod
    def fitting(cls, fit, drawn, fmt, dpi=None):
        """The canvas of exactly `fit` (width, height) pixels (PNG at `dpi` pixels an inch; SVG and PDF at the CSS
        pixel) for the drawing whose SVG at 100% is `drawn`: scaled to just fit, centred."""
        width, height = (n * POINTS_PER_INCH / pixels_per_inch(fmt, dpi) for n in fit)
        drawn_width, drawn_height, x, y = drawing_box(drawn)
        zoom = math.floor(min(width / drawn_width, height / drawn_height) * 1e6) / 1e6  # never a hair too large
        return cls(width, height, zoom, (x, y))

    def attrs(self, fmt):
        """Graphviz's attributes that draw onto this canvas (the background colour fills what the drawing does
        not)."""
        attrs = {"viewport": f"{self.width:.6f},{self.height:.6f},{self.zoom:.6f},"
                             f"{self.centre[0]:.3f},{self.centre[1]:.3f}"}
        if fmt == "pdf":
            attrs["margin"] = "0"  # a page's own margin (half an inch) would make it larger than the fit
        return attrs

    def exact_svg(self, svg):
        """`svg`, drawn onto this canvas, with its size and scale as they are: Graphviz 2.43 writes an SVG's size
        in whole points (1279 pixels would be 959pt, not 959.25pt) and its scale to two decimals (a drawing at
        0.182 drawn at 0.18: off centre, or cut off at 0.185 drawn at 0.19)."""
        svg = _SIZE.sub(f'<svg width="{self.width:g}pt" height="{self.height:g}pt"', svg, count=1)
        return _GROUP.sub(lambda m: f"{m.group(1)}{self.zoom:g} {self.zoom:g}{m.group(4)}", svg, count=1)
