"""The library calls: to_dot / to_svg / to_png / to_pdf / to_html, export(path) and write_frames(folder)."""
import copy
import os
import re
from contextlib import contextmanager

from ..engine.errors import GraphscopeError
from ..stepper import FORWARD
from ..util.atomic import atomic_write
from .limits import LIBRARY_ADVICE, check_picture, check_steps, crash_headline
from .picture import Picture, fit_size
from .render import DotCrashed, dot_program
from .view import FOLD_MIN, safe_name

#: Output formats by file extension.
FORMATS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf", ".html": "html", ".htm": "html"}

#: PNG resolution: sharp on a slide.
PNG_DPI = 150


def _picture(obj, depth, collapse, fold, caption=True, around=None, node=None, title=None, fit=None):
    """`obj` as a Picture; `around` K draws only the neighbourhood of `node` (K edges), `title` heads it, `fit`
    (width, height pixels, or '1920x1080') lays it out for that shape and draws it on a canvas of exactly that size."""
    if isinstance(obj, Picture):
        if fit is not None and fit_size(fit) != obj.fit:
            raise GraphscopeError("a Picture is laid out for its own fit: give fit= to Picture(...), not here")
        if title is not None and title != obj.title:
            obj = copy.copy(obj)
            obj.title = title
        return obj
    return Picture(obj, depth=depth, collapse=collapse, fold=fold, caption=caption, around=around, focus=node,
                   title=title, fit=fit)



def _not_a_path(call, returns, step):
    """A file name given where the step goes (``to_svg(graph, "x.svg")``): say that export writes files."""
    if isinstance(step, os.PathLike) or (isinstance(step, str) and os.path.splitext(step)[1].lower() in FORMATS):
        path = os.fspath(step)
        raise GraphscopeError(f"{call} returns {returns}; to write a file use gs.viz.export(graph, {path!r})")


def to_dot(obj, step=None, node=None, phase=FORWARD, depth=None, collapse=(), fold=FOLD_MIN, caption=True,
           around=None, title=None, fit=None):
    """DOT text of `obj` (a Graph, tensor, Stepper or Picture) at a step (see Picture.state); needs no Graphviz.
    With `fit` the DOT says the size to scale to (Graphviz's `size`: the canvas takes the drawing's shape; the
    exact canvas of an SVG, PNG or PDF needs the layout, which DOT text is drawn without)."""
    _not_a_path("to_dot", "the DOT text", step)
    pic = _picture(obj, depth, collapse, fold, caption, around, node, title, fit)
    return pic.sized(pic.graph_at(pic.state(step, node, phase))).source


def _rendered(fmt, obj, step, node, phase, depth, collapse, fold, caption, dpi=None, around=None, title=None,
              fit=None):
    dot_program(f"{fmt.upper()} pictures")  # fail first, before any work, when Graphviz is missing
    pic = _picture(obj, depth, collapse, fold, caption, around, node, title, fit)
    check_picture(pic.view)  # limits.TooBig before any DOT text is made
    with crash_explained(pic.view):
        return pic.render(pic.state(step, node, phase), fmt, dpi=dpi)


@contextmanager
def crash_explained(view):
    """A crash of dot (render.DotCrashed) while drawing `view` says the picture's size and what to draw instead
    (``headline``: the crash and the size, for callers that advise in their own words)."""
    try:
        yield
    except DotCrashed as exc:
        headline = crash_headline(exc, view)
        error = DotCrashed(f"{headline}; {LIBRARY_ADVICE}", exc.signal_name)
        error.headline = headline
        raise error from None


def to_svg(obj, step=None, node=None, phase=FORWARD, depth=None, collapse=(), fold=FOLD_MIN, caption=True,
           around=None, title=None, fit=None):
    """SVG text of `obj` at a step (needs Graphviz's dot); `fit` (1920, 1080): a canvas of exactly
    that many CSS pixels (1440x810pt), the picture scaled to just fit and centred on it."""
    _not_a_path("to_svg", "the SVG text", step)
    return _rendered("svg", obj, step, node, phase, depth, collapse, fold, caption, None, around, title,
                     fit).decode("utf-8")


def to_png(obj, step=None, node=None, phase=FORWARD, depth=None, collapse=(), fold=FOLD_MIN, caption=True,
           dpi=PNG_DPI, around=None, title=None, fit=None):
    """PNG bytes of `obj` at a step (needs Graphviz's dot); `fit` (1920, 1080): exactly that many
    pixels, the picture scaled to just fit and centred on the background colour."""
    _not_a_path("to_png", "the PNG bytes", step)
    return _rendered("png", obj, step, node, phase, depth, collapse, fold, caption, dpi, around, title, fit)


def to_pdf(obj, step=None, node=None, phase=FORWARD, depth=None, collapse=(), fold=FOLD_MIN, caption=True,
           around=None, title=None, fit=None):
    """PDF bytes of `obj` at a step (needs Graphviz's dot); `fit` (1920, 1080): a page of exactly
    that many CSS pixels (1440x810pt), the picture scaled to just fit and centred on it."""
    _not_a_path("to_pdf", "the PDF bytes", step)
    return _rendered("pdf", obj, step, node, phase, depth, collapse, fold, caption, None, around, title, fit)


def to_html(obj, step=None, node=None, phase=FORWARD, depth=None, collapse=(), fold=FOLD_MIN, title=None,
            around=None, progress=None, fit=None):
    """The self-contained HTML step-player of every step, opening at `step` (or `node` in `phase`).

    `progress(done, total)`, given, is called as the steps' pictures are made (for a progress bar); `fit`
    lays the pictures out for that shape (the page scales them to its pane itself)."""
    _not_a_path("to_html", "the HTML text", step)
    from .player import player_html
    dot_program("the HTML step-player's pictures")
    pic = _picture(obj, depth, collapse, fold, True, around, node, fit=fit).without_caption()  # the page shows the step's title itself
    check_steps(pic.view, len(pic.ensure_stepper()))  # limits.TooBig before any picture is drawn
    start = pic.state(step, node, phase).step if (step is not None or node is not None) else 0
    with crash_explained(pic.view):
        return player_html(pic, start=start, title=title, progress=progress)


def write_atomic(path, data, what="picture"):
    """Write text or bytes through a temporary file renamed into place: never a half-written file."""
    with atomic_write(path, what) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)


def format_of(path, extra=()):
    """The output format for a file name, from its extension (`extra`: more extensions the caller writes)."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise GraphscopeError(f"{path}: unknown output format {ext or '(no extension)'!r}; use one of "
                              f"{', '.join(sorted(set(FORMATS) | set(extra)))}")
    return FORMATS[ext]


def export(obj, path, step=None, node=None, phase=FORWARD, depth=None, collapse=(), fold=FOLD_MIN, title=None,
           around=None, progress=None, fit=None):
    """Write `obj` at a step to `path`, in the format its extension names; returns the format.

    `title` heads the picture (the player's page title for .html); `around` K with `node` draws only that
    node's neighbourhood; `progress(done, total)` hears how the player's pictures come along; `fit` (1920, 1080)
    or '1920x1080' lays the picture out for that shape and draws it on a canvas of exactly that size (see Picture). A picture (or
    player) too large for Graphviz raises limits.TooBig before any drawing."""
    fmt = format_of(path)
    if fmt == "dot":
        data = to_dot(obj, step, node, phase, depth, collapse, fold, around=around, title=title, fit=fit)
    elif fmt == "html":
        data = to_html(obj, step, node, phase, depth, collapse, fold, title=title, around=around, progress=progress,
                       fit=fit)
    else:
        data = _rendered(fmt, obj, step, node, phase, depth, collapse, fold, True,
                         PNG_DPI if fmt == "png" else None, around, title, fit)
    write_atomic(path, data)
    return fmt


_FRAME = re.compile(r"^step_\d+_(forward|backward)_[A-Za-z0-9_]*\.svg$")


def frame_name(step, event, width):
    """'step_007_backward_q.svg': the step number zero-padded to `width`, so names sort in step order."""
    return f"step_{step:0{width}d}_{event.phase}_{safe_name(event.node.name)}.svg"


def write_frames(obj, folder, depth=None, collapse=(), fold=FOLD_MIN, progress=None, fit=None):
    """One SVG per step in `folder` (created if needed), named in step order; returns the paths.

    Frames left by an earlier run in the same folder are removed, so the
    folder holds exactly this graph's steps. `progress(done, total)` hears how the pictures come along; `fit`
    draws every frame on a canvas of exactly that many CSS pixels.
    """
    dot_program("SVG frames")
    pic = _picture(obj, depth, collapse, fold, fit=fit)
    st = pic.ensure_stepper()
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise GraphscopeError(f"cannot write frames into {folder}: it is a file, not a folder")
    check_steps(pic.view, len(st), "a frame sequence")
    with crash_explained(pic.view):
        svgs = pic.step_svgs(progress=progress)  # render first: a failure leaves no folder behind
    created = not os.path.isdir(folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise GraphscopeError(f"cannot create folder {folder}: {exc.strerror or exc}") from None
    width = max(3, len(str(len(st) - 1)))
    paths = []
    try:
        for k, svg in enumerate(svgs):
            path = os.path.join(folder, frame_name(k, st[k], width))
            write_atomic(path, svg, "frame")
            paths.append(path)
    except BaseException:
        if created:
            for path in paths:
                os.unlink(path)
            os.rmdir(folder)
        raise
    keep = {os.path.basename(p) for p in paths}
    for name in os.listdir(folder):
        if _FRAME.match(name) and name not in keep:
            os.unlink(os.path.join(folder, name))
    return paths
