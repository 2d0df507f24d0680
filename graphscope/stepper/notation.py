"""How a step's values are written: one rule for what is written out, shared by the captions, cards and edges of
the pictures, the step-player and the step texts (demo, inspector).

- ``written_out(v)``: whether a value is small enough to write out entry by
  entry: at most ``formatting.SHOWN_ENTRIES`` entries, or a matrix of at
  most ``WRITTEN_ENTRIES`` entries in rows of at most ``WRITTEN_COLUMNS``
  (a 5x3 or 3x5 weight fits a card as short rows). Everything else is summarized ('mean=0.12 std=0.5').
- ``value_lines(v)`` / ``value_line(v)``: the value as lines (a written-out
  matrix one row a line, its columns lined up) or as one line.
- ``drawn(text)``: a text as pictures and the step-player draw it. A mean
  that is rounding noise next to the spread (formatting's 'mean≈0') is
  written 'mean=0' there: in a picture's small text '≈' shrinks into '=',
  so the same tensor read as 'mean≈0' in one place and 'mean=0' in another.
- ``call_words(node)``: 'q = add(x, y)'; an indexing node as what it reads,
  'getitem_8 = x[1]'.
"""
import re

import numpy as np

from ..engine.formatting import (MEAN_WORD, NOT_COMPUTED, SHOWN_ENTRIES, ZERO_MEAN, describe_call, listed_lines,
                                 summary_line, value_lines as _listed_or_summary)

#: A matrix larger than SHOWN_ENTRIES is still written out when it has at most this many entries, in rows of at
#: most WRITTEN_COLUMNS.
WRITTEN_ENTRIES = 16
WRITTEN_COLUMNS = 5
#: A summary's mean that is rounding noise (formatting's 'mean≈0'), and how pictures write it.
NOISE_MEAN = f"{MEAN_WORD}{ZERO_MEAN}"
DRAWN_NOISE_MEAN = f"{MEAN_WORD}=0"


def written_out(v):
    """True when `v` is written entry by entry (a number, at most SHOWN_ENTRIES entries, or a matrix of at most
    WRITTEN_ENTRIES entries in rows of at most WRITTEN_COLUMNS); False when it is summarized."""
    if v is None:
        return False
    shape = np.shape(v)
    size = int(np.prod(shape)) if shape else 1
    if size <= SHOWN_ENTRIES:
        return True
    return len(shape) == 2 and size <= WRITTEN_ENTRIES and shape[1] <= WRITTEN_COLUMNS


def drawn(text):
    """`text` as a picture or the step-player writes it: a summary's rounding-noise mean as 'mean=0'."""
    return text.replace(NOISE_MEAN, DRAWN_NOISE_MEAN)


def value_lines(v):
    """`v` as lines: a written-out matrix one row a line (columns lined up), anything else one line."""
    if v is None:
        return [NOT_COMPUTED]
    if v.__class__ is float or np.size(v) <= SHOWN_ENTRIES:
        return _listed_or_summary(v)
    if written_out(v):
        return listed_lines(v)
    return [summary_line(v)]


def value_line(v):
    """`v` in one line: its entries when written out ('[[1, 2], [3, 4]]'), else its summary."""
    lines = value_lines(v)
    if len(lines) == 1:
        return lines[0]
    return re.sub(" +", " ", " ".join(line.strip() for line in lines))  # the columns' padding dropped


def index_text(index):
    """'1', ':, 0', '1:3', '...': an index as Python writes it inside brackets."""
    if isinstance(index, tuple):
        return ", ".join(index_text(i) for i in index)
    if isinstance(index, slice):
        parts = ["" if p is None else str(p) for p in (index.start, index.stop)]
        text = ":".join(parts)
        return text + (f":{index.step}" if index.step is not None else "")
    if index is Ellipsis:
        return "..."
    if index is None:
        return "None"
    if isinstance(index, (list, np.ndarray)):
        return value_line(np.asarray(index)) if np.size(index) <= SHOWN_ENTRIES else f"<{np.size(index)} indices>"
    return str(index)


def indexing(node):
    """'x[1]' for an indexing node (getitem), None for any other."""
    if node.op_def is None or node.op_def.name != "getitem" or "index" not in node.attrs:
        return None
    return f"{node.inputs[0].name}[{index_text(node.attrs['index'])}]"


def call_words(node):
    """'q = add(x, y)'; 'getitem_8 = x[1]' for an indexing node; the name alone for a leaf."""
    read = indexing(node)
    return describe_call(node) if read is None else f"{node.name} = {read}"
