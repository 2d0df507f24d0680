"""How much Graphviz and the step-player can draw, checked before any drawing starts.

Measured with dot 2.43 on 2 cores (chains of `tanh(h * 1.5)`, and graphs
whose ops take their inputs from all over): a picture of 2,000 boxes takes
dot 2.6 s, one of 2,900 boxes and 5,900 edges 13 s, one of 5,000 boxes 37 s;
a 40,001-box chain made dot crash (SIGSEGV) after 8 s. The step-player draws
the whole picture once per step, so its cost is steps x boxes: 252 steps of
151 boxes took 39 s and made a 100 MB page, 752 steps of 451 boxes 346 s,
5 GB of memory and an 825 MB page.
"""
from ..engine.errors import GraphscopeError

#: A picture with more boxes or edges than this is refused before dot runs.
PICTURE_MAX_ITEMS = 3000
PICTURE_MAX_EDGES = 6000
#: The step-player (and --frames) draws at most this many steps, and this many boxes over all its pictures.
PLAYER_MAX_STEPS = 1000
PLAYER_MAX_BOXES = 30000

#: What to do instead, in the library's words (the command line and the TUI say it in theirs).
LIBRARY_ADVICE = ("draw part of it: node=NAME with around=K (that node and its neighbours within K edges), "
                  "depth=N or collapse=SCOPE (modules as single boxes); or write the DOT text (to_dot, or a .dot "
                  "path), which needs no Graphviz")


class TooBig(GraphscopeError, ValueError):
    """A picture, or a step-player, larger than Graphviz draws in reasonable time and memory.

    ``headline`` says the size and the limit; ``str()`` adds what to do instead (``LIBRARY_ADVICE``).
    """

    def __init__(self, headline, advice=LIBRARY_ADVICE):
        super().__init__(f"{headline}; {advice}")
        self.headline = headline


def _count(n, noun, nouns=None):
    """'40,001 boxes', '1 box'."""
    return f"{n:,} {noun if n == 1 else (nouns or noun + 's')}"


def size_text(view):
    """'40,001 boxes and 40,000 edges': what a picture of `view` draws."""
    return f"{_count(len(view.items), 'box', 'boxes')} and {_count(len(view.edges), 'edge')}"


def picture_problem(view):
    """Why a picture of `view` is too big for dot (its size and the limit), or None."""
    if len(view.items) <= PICTURE_MAX_ITEMS and len(view.edges) <= PICTURE_MAX_EDGES:
        return None
    return (f"the picture has {size_text(view)}, more than Graphviz's dot lays out in reasonable time and memory "
            f"(at most {PICTURE_MAX_ITEMS:,} boxes and {PICTURE_MAX_EDGES:,} edges)")


def player_problem(view, steps, what="the step-player"):
    """Why drawing every one of `steps` steps of `view` (the player, or frames) is too much, or None."""
    boxes = steps * len(view.items)
    if steps <= PLAYER_MAX_STEPS and boxes <= PLAYER_MAX_BOXES:
        return None
    return (f"{what} draws the whole picture once per step: {_count(steps, 'step')} of "
            f"{_count(len(view.items), 'box', 'boxes')} is {boxes:,} boxes, more than it draws in reasonable time "
            f"and memory (at most {PLAYER_MAX_STEPS:,} steps and {PLAYER_MAX_BOXES:,} boxes in all)")


def crash_headline(crash, view):
    """What to say when dot crashed (render.DotCrashed) drawing `view`: the crash, then the picture's size."""
    return f"{crash}, drawing {size_text(view)}: the picture is probably too large for it"


def check_picture(view):
    """Raise TooBig when a picture of `view` is more than dot draws (before any DOT text is made)."""
    problem = picture_problem(view)
    if problem:
        raise TooBig(problem)


def check_steps(view, steps, what="the step-player"):
    """Raise TooBig when `steps` pictures of `view` (the player, frames) are too many to draw."""
    problem = picture_problem(view) or player_problem(view, steps, what)
    if problem:
        raise TooBig(problem)


#: A picture of more boxes than this gets a note before Graphviz lays it out: 2,003 boxes of a loop drawn call by
#: call (graphscope export --no-fold) took dot 53 s and came out 148,472 points wide.
SLOW_ITEMS = 600
#: A drawing wider or taller than this many screens (SCREEN pixels, at 100%) gets a note saying how to fit it.
SCREEN = (1920, 1080)
SCREENS_MAX = 3


def lighter_drawings(graph, depth=None, collapse=(), fold=3, boxes=None):
    """[(options, boxes)]: the drawing options that draw `graph` in fewer than `boxes` boxes, fewest first: the
    default folding (repeated blocks and calls drawn once), modules as single boxes."""
    from .calls import calls_view
    from .view import FOLD_MIN
    candidates = []
    if fold != FOLD_MIN:
        candidates.append((("--fold", str(FOLD_MIN)), dict(depth=depth, collapse=collapse, fold=FOLD_MIN)))
    if depth != 0 and any(n.scope for n in graph.nodes):
        candidates.append((("--depth", "0") + (() if fold else ("--fold", str(FOLD_MIN))),
                           dict(depth=0, fold=fold or FOLD_MIN)))
    out = {}
    for options, kwargs in candidates:  # of two that draw as many boxes, the first (fewer options)
        count = len(calls_view(graph, **kwargs).items)
        if (boxes is None or count < boxes) and count not in out:
            out[count] = options
    return sorted(((options, count) for count, options in out.items()), key=lambda oc: oc[1])


def slow_note(view, lighter=()):
    """What to say before laying out a picture of `view` so large that Graphviz may take minutes (None when it is
    not): its size, and the options that draw less (`lighter`: lighter_drawings)."""
    if len(view.items) <= SLOW_ITEMS:
        return None
    instead = "; ".join(f"{' '.join(options)} draws {_count(boxes, 'box', 'boxes')}" for options, boxes in lighter)
    return (f"the picture has {size_text(view)}: Graphviz may take a minute or more to lay it out"
            + (f" ({instead})" if instead else ""))


def drawn_pixels(data, fmt):
    """(width, height) in pixels at 100% of a rendered SVG (96 pixels an inch) or PNG, else None."""
    import re
    import struct
    if fmt == "png" and data[:8] == b"\x89PNG\r\n\x1a\n":
        return struct.unpack(">II", data[16:24])
    if fmt == "svg":
        m = re.search(rb'<svg[^>]*?width="([\d.]+)(pt|px)?"[^>]*?height="([\d.]+)(pt|px)?"', data[:4096])
        if m:
            scale = 96 / 72 if m.group(2) in (b"pt", None) else 1.0
            return round(float(m.group(1)) * scale), round(float(m.group(3)) * scale)
    return None


def screens_note(size, lighter=()):
    """What to say of a drawing of `size` pixels more than SCREENS_MAX screens wide or tall (None otherwise): how
    many screens it takes, and how to see it on one (`lighter`: lighter_drawings, or a function giving them)."""
    if size is None:
        return None
    across, down = size[0] / SCREEN[0], size[1] / SCREEN[1]
    if max(across, down) <= SCREENS_MAX:
        return None
    lighter = lighter() if callable(lighter) else lighter
    instead = "".join(f", or {' '.join(options)} ({_count(boxes, 'box', 'boxes')})" for options, boxes in lighter)
    return (f"it is {size[0]:,} x {size[1]:,} pixels at 100%, {across:.0f} x {down:.0f} screens of "
            f"{SCREEN[0]}x{SCREEN[1]}: --fit {SCREEN[0]}x{SCREEN[1]} scales it onto one (its text smaller){instead}")
