"""A Picture: one graph drawn with fixed options, any of whose steps renders to DOT or SVG."""
import copy
import re

from ..engine.errors import GraphscopeError
from ..engine.graph import require_graph
from ..stepper import FORWARD, UPDATE, GraphState, Stepper, StepState
from . import arrange, theme
from .canvas import Canvas, fit_attrs, svg_size
from .dot import CAPTION_MIN_CHARS, dot_graph
from .html_labels import MONO_ADVANCE
from .origin import mark_of
from .render import have_dot, render, render_svgs
from .step_texts import Widths
from .calls import calls_view
from .view import FOLD_MIN

FINAL = "final"
RANKDIRS = ("LR", "TB")
#: Automatic orientation: the layout whose text is largest when the picture is fitted onto a 16:9 slide,
#: preferring left-to-right (the lecture's pictures) a little.
SLIDE = (16.0, 9.0)
LR_PREFERENCE = 1.05
#: Larger pictures are not laid out twice to choose: they go left to right.
PROBE_MAX_ITEMS = 150
#: A folded flow is chosen only when it shows the text this much larger than the best unfolded layout (1/0.9).
FOLD_COST = 0.9
#: At most this many rows (columns).
MAX_ROWS = 4
#: The width:height a picture is spread into when it is a little outside (16:9 is 1.78)...
RATIO_BAND = (1.3, 2.0)
#: ...by at most this factor (more would be mostly empty space), in at most SPREAD_TRIES layouts.
MAX_SPREAD = 1.9
SPREAD_TRIES = 3
SPREAD_TOLERANCE = 0.05
#: Points of a drawing's width a caption line does not take: the page's padding on both sides and the label's own.
CAPTION_MARGIN = 36
#: The smallest --fit, in pixels each way.
FIT_MIN_PIXELS = 100
#: The largest fit: each side, and the whole canvas. Measured with dot 2.43 (cairo) on chain_rule.py: 8192x8192
#: takes 5 s and 0.28 GB, 10000x10000 about 8 s and 0.45 GB, 16384x16384 21 s and 1.1 GB; cairo itself stops at
#: 32767 a side, silently drawing less.
FIT_MAX_SIDE, FIT_MAX_PIXELS = 16384, 100_000_000
#: Steps drawn per `dot` run when progress is reported (a run costs about 20 ms to start).
STEP_BATCH = 20


def caption_chars_for(size):
    """The characters a caption line may take in a drawing of `size` (points): about its width, at least
    CAPTION_MIN_CHARS (None without a size: dot.CAPTION_CHARS)."""
    if size is None:
        return None
    usable = size[0] - CAPTION_MARGIN
    return max(CAPTION_MIN_CHARS, int(usable / (MONO_ADVANCE * theme.FONT_SIZE)))


def slide_scale(width, height, slide=SLIDE):
    """How much a picture of this size is enlarged to fit a slide (16:9, or `slide`: its width and height;
    larger: larger text)."""
    return min(slide[0] / width, slide[1] / height)


def ratio_band(slide):
    """RATIO_BAND for a 16:9 slide, moved with the slide's shape for any other."""
    shift = (slide[0] / slide[1]) / (SLIDE[0] / SLIDE[1])
    return RATIO_BAND[0] * shift, RATIO_BAND[1] * shift


def parse_fit(text):
    """(width, height) in pixels from '1920x1080' (the --fit of a slide or a projector), or GraphscopeError."""
    m = re.fullmatch(r"\s*(\d{1,9})\s*[xX\u00d7]\s*(\d{1,9})\s*", str(text))
    if not m or min(int(m.group(1)), int(m.group(2))) < FIT_MIN_PIXELS:
        raise GraphscopeError(f"fit {text!r}: give WIDTHxHEIGHT in pixels, each at least {FIT_MIN_PIXELS}, "
                              f"e.g. 1920x1080 (a full-HD slide) or 1280x800 (a projector)")
    width, height = int(m.group(1)), int(m.group(2))
    if max(width, height) > FIT_MAX_SIDE or width * height > FIT_MAX_PIXELS:
        raise GraphscopeError(f"fit {text!r}: too large: at most {FIT_MAX_SIDE} pixels a side and "
                              f"{FIT_MAX_PIXELS // 1_000_000} million pixels in all (e.g. 10000x10000 or "
                              f"16384x6000); a picture for print is better drawn as .svg or .pdf, which scale")
    return width, height


def fit_size(fit):
    """A fit as (width, height) pixels, from '1920x1080' or a pair of whole numbers."""
    if isinstance(fit, str):
        return parse_fit(fit)
    try:
        width, height = fit
    except (TypeError, ValueError):
        raise GraphscopeError(f"fit {fit!r}: give (width, height) in pixels or '1920x1080'") from None
    return parse_fit(f"{width}x{height}")


def _rows_for(size, rankdir, slide=SLIDE):
    """The number of rows (LR) or columns (TB) that brings a picture of `size` closest to the slide's shape."""
    if size is None:
        return 1
    ratio, target = size[0] / size[1], slide[0] / slide[1]
    # folding into k rows divides the width by about k and multiplies the height by k (columns: the reverse)
    k = (ratio / target) ** 0.5 if rankdir == "LR" else (target / ratio) ** 0.5
    return max(1, min(MAX_ROWS, int(k + 0.3)))


class Picture:
    """Draw `obj` (a Stepper, a Graph or an output tensor).

    ``depth``/``collapse``/``fold`` choose what is drawn (see ``viz.view``);
    ``caption`` adds a title line and colour legend. A Graph or tensor is
    drawn as it is unless a step is asked for; then a Stepper is recorded
    for it (which runs the backward pass once, as ``backward()`` does).
    ``rankdir`` is 'LR' (left to right), 'TB' (top to bottom) or None: the
    one whose picture shows its text largest on a 16:9 slide (LR without
    Graphviz); a long flow is also folded into rows (columns top to bottom)
    when that shows it larger still (see ``rows``).
    ``around`` K with ``focus`` (a node, its name or id) draws only that node's
    neighbourhood: the nodes within K edges of it, and stubs where the rest
    attaches. ``title`` is a heading above the step line. ``mark`` (an origin.CheckMark, say) is carried instead
    of the mark of the first non-finite value. ``fit`` (width, height) in pixels, or '1920x1080': the layout
    whose text is largest in that shape is chosen (rather than 16:9), and the rendered picture is drawn on a canvas
    of exactly that size, scaled to just fit and centred on the background colour (SVG and PDF at 96 pixels an
    inch, PNG at its dpi; DOT text, not laid out, says the scale only).
    """

    def __init__(self, obj, depth=None, collapse=(), fold=FOLD_MIN, caption=True, legend=True, rankdir=None,
                 around=None, focus=None, title=None, mark=None, fit=None):
        if isinstance(obj, Stepper):
            self.stepper, self.graph = obj, obj.graph
        else:
            self.stepper, self.graph = None, require_graph(obj)
        if isinstance(collapse, str):
            collapse = (collapse,)
        self.view = calls_view(self.graph, depth=depth, collapse=collapse, fold=fold, focus=focus, around=around)
        self.title = title
        self.caption = caption
        self.legend = legend
        self._widths = None
        self._update_widths = None
        if rankdir is not None and rankdir not in RANKDIRS:
            raise GraphscopeError(f"rankdir must be one of {', '.join(RANKDIRS)}, not {rankdir!r}")
        self._rankdir = rankdir
        self._rows = None
        self._aspect = None  # Graphviz's ratio spreading the chosen layout into RATIO_BAND (None: as drawn)
        # the caption's lines wrap narrow while layouts are tried, then to about the chosen drawing's width
        self._caption_chars = CAPTION_MIN_CHARS
        self._origin = None  # (the values_key of the state asked about, its OriginMark or None)
        self.mark = mark  # a mark carried instead of the engine's (origin.CheckMark: a VJP that failed its check)
        self.fit = None if fit is None else fit_size(fit)

    def without_caption(self):
        """The same picture (same view, stepper and label widths) with no title line or legend."""
        if not self.caption:
            return self
        other = copy.copy(self)
        other.caption = False
        return other

    @property
    def note(self):
        """Set when scopes were collapsed automatically to keep a large graph readable."""
        return self.view.note

    def ensure_stepper(self):
        """The stepper whose steps are drawn, recorded on first use for a Graph or tensor (recording leaves the
        model's gradients as they were: drawing the same graph twice gives the same picture)."""
        if self.stepper is None:
            self.stepper = Stepper(self.graph)
        return self.stepper

    @property
    def widths(self):
        """step_texts.Widths: the room each changing text takes at its longest over the forward and backward steps
        (None before a stepper exists): the same with an optimizer as without."""
        if self._widths is None and self.stepper is not None:
            self._widths = Widths(self.view, self.stepper.recording, update=False)
        return self._widths

    @property
    def update_widths(self):
        """The room of each changing text over every step, the update rows included (for the update phase)."""
        if self.stepper is None or not self.stepper.n_update:
            return self.widths
        if self._update_widths is None:
            self._update_widths = Widths(self.view, self.stepper.recording)
        return self._update_widths

    def widths_for(self, state):
        """The Widths a picture of `state` is drawn with: the update phase's rows only in the update phase."""
        return self.update_widths if state.phase == UPDATE else self.widths

    def _layout_state(self):
        """The state the layout is chosen at: every value and gradient, as after the backward pass (an optimizer's
        update rows, shown only in its phase, never change the layout)."""
        if self.stepper is None:
            return GraphState(self.graph)
        rec = self.stepper.recording
        return StepState(rec, max(rec.n_forward + rec.n_backward - 1, 0), highlight=False)

    def state(self, step=None, node=None, phase=FORWARD):
        """The state to draw: a step number, 'final' (everything, nothing highlighted), a node in a phase,
        or (none given) the stepper's cursor / the graph as it is."""
        if node is not None:
            if step is not None:
                raise GraphscopeError("give either a step or a node (with its phase), not both")
            st = self.ensure_stepper()
            return st.at(st.find(node, phase))
        if step is None:
            return self.stepper.state if self.stepper is not None else GraphState(self.graph)
        st = self.ensure_stepper()
        if step == FINAL:
            return st.final()
        return st.at(step)

    @property
    def rankdir(self):
        if self._rankdir is None or self._rows is None:
            self._rankdir, self._rows = self._pick_layout()
        return self._rankdir

    @property
    def rows(self):
        """How many rows (columns top to bottom) the flow is folded into to fit a slide (1: not folded)."""
        self.rankdir
        return self._rows

    @property
    def slide(self):
        """The (width, height) the layout is chosen for: the fit, else a 16:9 slide."""
        return self.fit or SLIDE

    def _pick_layout(self):
        """The direction and fold whose picture shows its text largest on the slide (16:9, or the fit): laid out
        both ways, then folded into the number of rows (columns) that brings each closest to the slide's shape
        where its clusters allow."""
        asked = self._rankdir
        if len(self.view.items) > PROBE_MAX_ITEMS or not have_dot():
            return asked or "LR", 1
        state = self._layout_state()
        directions = (asked,) if asked else RANKDIRS
        candidates = [(d, 1) for d in directions]
        sizes = dict(zip(candidates, map(svg_size, render_svgs([self._graph(state, d, 1) for d in directions]))))
        folds = []
        for d in directions:
            k = _rows_for(sizes[(d, 1)], d, self.slide)
            for rows in range(max(2, k), min(k + 1, MAX_ROWS) + 1):  # the estimate, and one more
                if arrange.fold(self.view, arrange.beside(self.view), rows) is not None:
                    folds.append((d, rows))
        if folds:
            sizes.update(zip(folds, map(svg_size, render_svgs([self._graph(state, d, k) for d, k in folds]))))
        best, best_score = (asked or "LR", 1), 0.0
        for (d, k), size in sizes.items():
            if size is None:
                continue
            score = slide_scale(*size, self.slide) * (LR_PREFERENCE if d == "LR" else 1.0) * (FOLD_COST if k > 1 else 1.0)
            if score > best_score:
                best, best_score = (d, k), score
        self._caption_chars = caption_chars_for(sizes.get(best))  # the drawing's own width, before any spread
        self._aspect = self._spread(state, *best, sizes.get(best))
        return best

    def _spread(self, state, rankdir, rows, size):
        """Graphviz's `ratio` (height / width of the drawing) that spreads a picture a little too wide or too
        tall for a slide into RATIO_BAND, or None (in the band already, or it would take more than MAX_SPREAD)."""
        if size is None:
            return None
        low, high = ratio_band(self.slide)
        ratio = size[0] / size[1]
        # aimed inside the band by the tolerance, so what comes out is in the band
        target = high - SPREAD_TOLERANCE if ratio > high else low + SPREAD_TOLERANCE if ratio < low else None
        if target is None or max(ratio / target, target / ratio) > MAX_SPREAD:
            return None
        across = ratio > high if rankdir == "LR" else True  # spreading across the ranks, not along them
        if across and rows == 1 and self._widest_layer() < 2:
            return None  # one line of items: spreading would only add empty space
        aspect = 1.0 / target
        for _ in range(SPREAD_TRIES):  # the caption is not spread: correct the guess by what came out
            size = svg_size(render_svgs([self._graph(state, rankdir, rows, aspect)])[0])
            if size is None:
                return None
            got = size[0] / size[1]
            if abs(got - target) <= SPREAD_TOLERANCE:
                break
            aspect *= got / target
        return aspect

    def _widest_layer(self):
        """The most items any layer of the flow holds."""
        layer = arrange.layers(self.view, arrange.beside(self.view))
        counts = {}
        for value in layer.values():
            counts[value] = counts.get(value, 0) + 1
        return max(counts.values(), default=0)

    def origin(self, state):
        """The origin.OriginMark of the node that made the first non-finite value drawn at `state` (for a walk whose
        backward pass stopped at a failed VJP: the origin.BrokenMark of that node), or None.

        Asked of the engine once per ``state.values_key``: once per recording of a walk, afresh for each
        picture of a graph as it is (its values and gradients may have changed since the last one).
        """
        if self.mark is not None:
            return self.mark
        key = state.values_key
        if self._origin is None or self._origin[0] is not key:
            self._origin = (key, mark_of(state))
        return self._origin[1]

    def _graph(self, state, rankdir, rows=None, aspect=None):
        return dot_graph(self.view, state, self.widths_for(state), caption=self.caption, legend=self.legend, rankdir=rankdir,
                         origin=self.origin(state), title=self.title, rows=self.rows if rows is None else rows,
                         aspect=aspect, caption_chars=self._caption_chars)

    def dot(self, state):
        """The DOT text of the picture at `state` (see ``state()``)."""
        return self.graph_at(state).source

    def graph_at(self, state):
        """The graphviz.Digraph of the picture at `state`."""
        return self._graph(state, self.rankdir, self.rows, self._aspect)

    def graph_for(self, state, rankdir, rows=1):
        """The graphviz.Digraph at `state` laid out in a given direction and number of rows (not the chosen ones)."""
        return self._graph(state, rankdir, rows)

    def render(self, state, fmt, dpi=None):
        """The picture at `state` rendered by Graphviz as 'svg', 'png' or 'pdf' bytes (on the fit's canvas)."""
        graph = self.graph_at(state)
        if self.fit is None:
            return render(graph, fmt, dpi=dpi)
        canvas = Canvas.fitting(self.fit, render_svgs([graph])[0], fmt, dpi)
        data = render(self._on(canvas, graph, fmt), fmt, dpi=dpi)
        return canvas.exact_svg(data.decode("utf-8")).encode("utf-8") if fmt == "svg" else data

    @staticmethod
    def _on(canvas, graph, fmt):
        """`graph` drawn onto `canvas` (canvas.Canvas)."""
        graph = graph.copy()
        graph.attr(**canvas.attrs(fmt))
        return graph

    def sized(self, graph):
        """`graph` with the `size` that scales it to just fit the fit (canvas.fit_attrs), for DOT text; else
        `graph` itself."""
        if self.fit is None:
            return graph
        graph = graph.copy()
        graph.attr(**fit_attrs(self.fit))
        return graph

    def svg(self, state):
        return self.render(state, "svg").decode("utf-8")

    def step_svgs(self, steps=None, progress=None, fitted=True):
        """SVG text of many steps (all by default) from one `dot` run; with `progress(done, total)`, from one run
        per STEP_BATCH steps, calling it after each. `fitted`: each on the fit's canvas, if there is a fit (two
        runs: the drawings are measured first; the player scales its pictures itself)."""
        st = self.ensure_stepper()
        steps = list(range(len(st)) if steps is None else steps)

        def svgs_of(ks):
            graphs = [self.graph_at(st.at(k)) for k in ks]
            drawn = render_svgs(graphs)
            if not fitted or self.fit is None:
                return drawn
            canvases = [Canvas.fitting(self.fit, svg, "svg") for svg in drawn]
            svgs = render_svgs([self._on(c, g, "svg") for c, g in zip(canvases, graphs)])
            return [c.exact_svg(svg) for c, svg in zip(canvases, svgs)]
        if progress is None:
            return svgs_of(steps)
        svgs = []
        for first in range(0, len(steps), STEP_BATCH):
            svgs += svgs_of(steps[first:first + STEP_BATCH])
            progress(len(svgs), len(steps))
        return svgs
