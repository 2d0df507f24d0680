"""The tape's columns at a given width, and a value written to fit its cell.

At 200 columns the tape shows every column; narrower, it drops the columns
the inspector repeats (inputs, shape, op, status: the mark at the row's start
tells it, at every width and in any colours) and narrows the others, so the value and gradient columns stay readable at
80x24. Where the value and gradient columns are too narrow for 'mean=.. std=..'
they are compact: every array 'mean/std', the header saying so ('grad
mean/std'), so rows compare down the column. Otherwise a value too long for its
cell is written shorter in the same notation as everywhere else (formatting.summarize_value): a listed array as its
'mean=.. std=..' summary, then with fewer digits, then its mean alone (its
std alone when the mean is rounding noise next to it: 'mean≈0' alone would
read as a vanished gradient); a number with fewer digits. A cell never shows a number cut short.
"""
from dataclasses import dataclass, replace

import numpy as np

from ...engine.formatting import (MEAN_WORD, SHOWN_ENTRIES, STD_WORD, ZERO_MEAN, mean_is_noise, mean_std, number_text,
                                  summarize_value, summary_line)


@dataclass(frozen=True)
class Column:
    """One tape column: its title and width in characters; a `compact` number column writes every array as
    'mean/std' (COMPACT), its header saying so."""

    title: str
    width: int
    compact: bool = False

    @property
    def heading(self):
        """The column's header: its title, or for a compact number column 'value mean/std' ('val mean/std' when
        that does not fit), 'grad mean/std'."""
        if self.title == "mark":
            return ""
        if not self.compact:
            return self.title
        heading = f"{SHORT_TITLES.get(self.title, self.title)} {COMPACT}"
        return heading if len(heading) <= self.width else f"{NARROW_TITLES.get(self.title, self.title)} {COMPACT}"


#: Every column at its full width, in order: first a row's mark (MARKS), never dropped.
FULL = (Column("mark", 1), Column("#", 5), Column("node", 12), Column("op", 9), Column("status", 8),
        Column("value", 22), Column("gradient", 22), Column("shape", 7), Column("inputs", 16))
#: The two columns that get what room is left, and at most this wide.
NUMBERS = ("value", "gradient")
NUMBERS_MAX = 30
#: The width the numbers grow to before the names do: 'mean=-0.0428 std=0.372' whole.
NUMBERS_ROOMY = 24
#: The most the node and op columns grow to for their longest names ('softmax_cross_entropy').
NAMES_MAX = {"node": 24, "op": 22}
#: What goes first as the tape narrows, in this order: ("drop", title) or ("narrow", titles, width). The row
#: number goes last but one: at 80 columns the numbers need its room more (the node's name says which row it is).
#: The value column narrows before the gradient's, whose means are the longer numbers ('-0.00012/0.079').
NARROWING = (("drop", "inputs"), ("narrow", NUMBERS, 18), ("drop", "shape"), ("drop", "op"), ("drop", "status"),
             ("narrow", ("node",), 9), ("narrow", NUMBERS, 14), ("drop", "#"), ("narrow", ("value",), 12),
             ("narrow", ("gradient",), 12))
#: Number columns narrower than this (either of them) are compact: 'mean=-1e-05 std=1e-05', summarize_value's
#: words at their shortest, needs 21 characters; narrower, a cell would fall back to one statistic ('mean=0.004'
#: in one row, 'std=0.06' in the next) and rows could not be compared.
COMPACT_BELOW = 22
#: How a compact column writes an array, and says so in its header.
COMPACT = "mean/std"
SHORT_TITLES = {"gradient": "grad"}
NARROW_TITLES = {"value": "val", "gradient": "grad"}  # in a column too narrow for 'value mean/std'

#: The mark column's one character per row status: the state reads without colour (NO_COLOR, a monochrome
#: terminal) and with the status column dropped.
MARKS = {"current": "▶", "done": "✓", "pending": "·", "inactive": "-", "failed": "✗", "unreached": "?",
         "origin": "!"}
#: The key to the marks, for the help screen and the README.
MARKS_KEY = ("▶ this step, ✓ done, · pending, - needs no gradient, ✗ its VJP failed (or c/C found its gradient "
             "wrong), ! made the first NaN or infinity, ? not reached")


def line_width(columns):
    """The characters a row of `columns` takes (a space between two columns)."""
    return sum(c.width for c in columns) + len(columns) - 1


def _grow(columns, titles, most, spare):
    """Widen the `titles` columns (those present) towards `most` characters from `spare`, shared out evenly (the
    first getting the odd one); returns what is left of `spare`."""
    present = [t for t in titles if any(c.title == t for c in columns)]
    for k, title in enumerate(present):
        i = next(i for i, c in enumerate(columns) if c.title == title)
        share = -(-spare // (len(present) - k))
        extra = max(0, min(most - columns[i].width, share))
        columns[i] = replace(columns[i], width=columns[i].width + extra)
        spare -= extra
    return spare


def layout(width, arrays=True, wanted=None):
    """The columns for a tape `width` characters wide: FULL narrowed step by step (NARROWING) until they fit,
    the room left over given to the value and gradient columns (up to NUMBERS_ROOMY), then to the node and op
    columns up to `wanted`'s widths ({title: the longest text}, at most NAMES_MAX), then to the numbers again (up
    to NUMBERS_MAX), then to the inputs. The narrowest layout may still be wider. Without `arrays` (a graph of
    scalars) no column is compact: every cell is a number."""
    columns = list(FULL)
    for change in NARROWING:
        if line_width(columns) <= width:
            break
        if change[0] == "drop":
            columns = [c for c in columns if c.title != change[1]]
        else:
            columns = [replace(c, width=change[2]) if c.title in change[1] else c for c in columns]
    spare = width - line_width(columns)
    spare = _grow(columns, NUMBERS[::-1], NUMBERS_ROOMY, spare)  # an odd column to the gradient's longer means
    for title, most in NAMES_MAX.items():  # then the names, as long as the longest (at most NAMES_MAX)
        if wanted and title in wanted:
            spare = _grow(columns, (title,), min(most, wanted[title]), spare)
    spare = _grow(columns, NUMBERS, NUMBERS_MAX, spare)
    if spare > 0 and columns[-1].title == "inputs":  # the rest to the inputs' names
        columns[-1] = replace(columns[-1], width=columns[-1].width + spare)
    if arrays and any(c.width < COMPACT_BELOW for c in columns if c.title in NUMBERS):
        columns = [replace(c, compact=True) if c.title in NUMBERS else c for c in columns]
    return tuple(columns)


def cell_value(v, column):
    """`v` (a value or gradient) as `column` writes it: fitted_value, or in a compact column compact_value."""
    return compact_value(v, column.width) if column.compact else fitted_value(v, column.width)


def compact_value(v, width):
    """`v` in at most `width` characters, every larger array the same way: 'mean/std' ('0.0044/0.032', '≈0/0.059'
    when the mean is rounding noise next to the spread); a single number as itself (it is its own mean), a small
    array whose entries fit the cell as its entries ('[-0.197, -0.393]'); an array with non-finite entries as
    fitted_value says it ('2 non-finite')."""
    a = np.asarray(v)
    finite = a[np.isfinite(a)] if a.dtype.kind in "fc" else a
    if a.size == 1 or a.dtype.kind not in "iuf" or finite.size != a.size:  # a mask: '15/30 true'
        return fitted_value(v, width)
    listed = summarize_value(a)
    if a.size <= SHOWN_ENTRIES and len(listed) <= width:  # a small array that fits: its entries, not a summary
        return listed
    mean, std = mean_std(a)
    if np.all(a == a.flat[0]):  # every entry the same: 'all 1', never '1/0', which reads as a division
        for digits in (3, 2, 1):
            text = f"all {number_text(a.flat[0], digits)}"
            if len(text) <= width:
                return text
    noise = mean != 0 and mean_is_noise(mean, std, a.dtype)  # an exact 0 is written 0
    # two digits in e-notation ('-1.2e-4/0.079') before one digit ('-0.0001/0.08', 15% off)
    for digits, number in ((3, number_text), (2, number_text), (2, short_number), (1, number_text),
                           (1, short_number)):
        text = f"{ZERO_MEAN if noise else number(mean, digits)}/{number(std, digits)}"
        if len(text) <= width:
            return text
    return cut(text, width)


def short_number(x, digits):
    """number_text, or the same digits in e-notation without the exponent's padding when that is shorter:
    '-1.2e-4' for -0.00012."""
    fixed = number_text(x, digits)
    mantissa, _, exponent = f"{float(x) + 0.0:.{digits - 1}e}".partition("e")
    short = f"{mantissa}e{int(exponent)}"
    return short if len(short) < len(fixed) else fixed


def fitted_value(v, width):
    """`v` (a value or gradient) in at most `width` characters: summarize_value's text when it fits, else the
    first shorter form of it that does (see the module's docstring)."""
    text = summarize_value(v)
    if len(text) <= width:
        return text
    for short in _shorter_forms(v):
        if len(short) <= width:
            return short
    return cut(text, width)


def _shorter_forms(v):
    """Ever shorter texts of `v`, in summarize_value's notation."""
    a = np.asarray(v)
    if a.size == 1:
        x = a.reshape(())[()]
        if a.dtype.kind == "f":
            yield from (number_text(x, digits) for digits in (3, 2, 1))
        return
    if a.dtype.kind == "b":
        yield summary_line(a)
        yield summary_line(a).replace(" true", "")
        return
    finite = a[np.isfinite(a)]
    bad = a.size - finite.size
    yield summary_line(a)
    if not finite.size:
        yield f"{bad} non-finite"
        return
    mean, std = mean_std(finite)
    noise = mean_is_noise(mean, std, a.dtype)
    for digits in (2, 1):
        m = ZERO_MEAN if noise else "=" + number_text(mean, digits)
        summary = f"{MEAN_WORD}{m} {STD_WORD}={number_text(std, digits)}"
        yield summary + (f" ({bad} non-finite)" if bad else "")
    if bad:
        yield f"{MEAN_WORD}{ZERO_MEAN if noise else '=' + number_text(mean, 2)} ({bad} non-finite)"
        yield f"{bad} non-finite"
        return
    if noise:  # 'mean≈0' alone would read as a vanishing gradient: the spread is the figure that says how large
        yield from (f"{STD_WORD}={number_text(std, digits)}" for digits in (3, 2, 1))
        return
    for digits in (3, 2, 1):
        yield f"{MEAN_WORD}={number_text(mean, digits)}"


def cut_name(name, width):
    """A node's `name` in `width` characters: whole when it fits, else its head, '…' and its numbered suffix, the
    part that tells it from its neighbours ('softmax_cross_entropy_11' in 9 -> 'softm…_11', 'batch_norm_12' in 8
    -> 'batc…_12'); a name without a short numbered suffix keeps its head and its end ('activations' in 7 ->
    'act…ons')."""
    if len(name) <= width:
        return name
    if width < 2:
        return name[:width]
    head, sep, tail = name.rpartition("_")
    suffix = sep + tail if head and len(tail) <= max(1, width // 2 - 1) else ""
    if not suffix:  # no short numbered suffix: the name's end is still what differs most often
        keep = width - 1
        return name[:keep - keep // 2] + "…" + name[len(name) - keep // 2:] if keep // 2 else name[:keep] + "…"
    return name[:width - 1 - len(suffix)] + "…" + suffix


def cut(text, width):
    """`text` in `width` characters: whole words, '…' where the rest is left out (a number is never cut short
    unless it is the first word)."""
    if len(text) <= width:
        return text
    head = text[:width - 1]
    if " " in head and text[width - 1] != " ":
        head = head[:head.rfind(" ") + 1]
    return head.rstrip() + "…" if head.strip() else text[:width - 1] + "…"
