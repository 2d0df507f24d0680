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
