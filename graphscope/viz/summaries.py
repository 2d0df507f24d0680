"""One number per block of a folded run, or per call of a repeated scope, written in a few short lines.

Each entry is the block's (call's) output itself when it is a scalar, else a statistic of it (a fold's gradient:
its standard deviation, how it grows or shrinks from layer to layer); the std of a scalar, always 0, would only
look like a vanished gradient. Up to LIST_MAX entries are listed, PER_LINE a line; more are cut to the first and
last few with … and a min / median / max line, so a box of 221 blocks stays a few lines tall.
"""
import numpy as np

from ..engine.formatting import NOT_COMPUTED

#: Entries listed in full (two lines of PER_LINE), and the width of one that may be negative (a std: one less).
LIST_MAX = 10
PER_LINE = 5
CELL = 8
#: Of more entries: this many first, then …, then LAST_FEW last.
FIRST_FEW, LAST_FEW = 3, 2


def is_scalar(tensor):
    return tensor is not None and tensor.shape in ((), (1,), (1, 1))


#: What entry() says of an array: its spread, its mean, or its size (root mean square).
STATS = {"std": np.std, "mean": np.mean, "rms": lambda a: np.sqrt(np.mean(a * a))}


def entry(array, scalar, stat="std"):
    """A block's number: the array's only value (`scalar`), else its `stat` (STATS) over its finite entries;
    None before it exists, nan when nothing in it is finite."""
    if array is None:
        return None
    a = np.asarray(array, dtype=np.float64)
    if scalar:
        return float(a.reshape(-1)[0])
    finite = a[np.isfinite(a)]
    return float(STATS[stat](finite)) if finite.size else float("nan")


def _cell(x, width=CELL):
    return ("-" if x is None else "nan" if x != x else f"{x:.1e}").rjust(width)


def spread_text(numbers, signed=True):
    """The entries' text ('not computed yet' while none exists): listed, or the first and last few and min /
    median / max; `signed` False: none is negative (a std), each takes a character less."""
    if all(x is None for x in numbers):
        return NOT_COMPUTED
    cells = [_cell(x, CELL if signed else CELL - 1) for x in numbers]
    if len(numbers) <= LIST_MAX:
        return "\n".join(" ".join(cells[k:k + PER_LINE]) for k in range(0, len(cells), PER_LINE))
    head = " ".join(cells[:FIRST_FEW]) + " \u2026 " + " ".join(cells[-LAST_FEW:])
    known = np.array([x for x in numbers if x is not None], dtype=np.float64)
    known = known[np.isfinite(known)]
    if not known.size:
        return head
    low, mid, high = (_cell(float(f(known))).strip() for f in (np.min, np.median, np.max))
    return f"{head}\nmin {low}  median {mid}  max {high}"


def spread_room(count, signed=True):
    """(characters, lines) spread_text of `count` entries takes at its longest: the same at every step."""
    width = CELL if signed else CELL - 1
    if count <= LIST_MAX:
        per_line = min(count, PER_LINE)
        return max(len(NOT_COMPUTED), per_line * (width + 1) - 1), -(-count // PER_LINE)
    head = (FIRST_FEW + LAST_FEW) * (width + 1) + 1
    cell = "x" * CELL
    return max(len(NOT_COMPUTED), head, len(f"min {cell}  median {cell}  max {cell}")), 2
