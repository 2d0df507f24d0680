"""A text table that fits a terminal's width: a column too wide for its share wraps within its cells (at
spaces), so no line is longer than the width and none is cut mid-word by the terminal. The samples import
this module by name (their own folder is on the path when Python or graphscope runs them)."""
import math
import shutil
import textwrap

#: Columns are two spaces apart; a wrapping column is never narrower than MIN_COLUMN.
GAP, MIN_COLUMN = 2, 12
#: Below this width the table is printed as one block per row ("column: text" lines) instead.
MIN_TABLE_WIDTH = 50


def terminal_width(fallback=80):
    """The terminal's width in columns (COLUMNS when set; `fallback` in a pipe)."""
    return shutil.get_terminal_size((fallback, 24)).columns


def fitted_table(header, rows, width=None):
    """`header` and `rows` (tuples of strings) as lines no longer than `width` (default: the terminal's).

    When every column fits as it is, the columns are padded to line up; otherwise the wide columns share
    the room left by the narrow ones (in proportion to the square root of their widths, so a long column
    gets more room without starving the others), wrap within their cells, and a blank line separates the
    rows. Below MIN_TABLE_WIDTH, or when the wide columns cannot each have MIN_COLUMN, each row is a block of
    "header: text" lines.
    """
    width = width or terminal_width()
    rows = [tuple(str(c) for c in row) for row in rows]
    natural = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    if sum(natural) + GAP * (len(header) - 1) <= width:
        return _lines(header, rows, natural, spaced=False)
    room = width - GAP * (len(header) - 1)
    widths = _shares(natural, room)
    if width < MIN_TABLE_WIDTH or sum(widths) > room:  # (too many wide columns for MIN_COLUMN each)
        return _blocks(header, rows, width)
    return _lines(header, rows, widths, spaced=True)


def _shares(natural, room):
    """Column widths summing to at most `room`: a column narrower than its share keeps its width; the others
    split what is left in proportion to the square roots of their widths."""
    widths = list(natural)
    wide = set(range(len(natural)))
    while wide:
        left = room - sum(widths[i] for i in range(len(widths)) if i not in wide)
        weight = sum(math.sqrt(natural[i]) for i in wide)
        share = {i: max(MIN_COLUMN, int(left * math.sqrt(natural[i]) / weight)) for i in wide}
        fits = {i for i in wide if natural[i] <= share[i]}
        if not fits:
            for i in wide:
                widths[i] = share[i]
            break
        wide -= fits
    return widths


def _lines(header, rows, widths, spaced):
    """The table with its cells wrapped to `widths`, a rule under the header, blank lines between rows when
    `spaced`."""
    out = []
    for k, row in enumerate([header, *rows]):
        cells = [textwrap.wrap(c, w, break_on_hyphens=False) or [""] for c, w in zip(row, widths)]
        for j in range(max(len(c) for c in cells)):
            parts = [(c[j] if j < len(c) else "").ljust(w) for c, w in zip(cells, widths)]
            out.append((" " * GAP).join(parts).rstrip())
        if k == 0:
            out.append((" " * GAP).join("-" * w for w in widths))
        elif spaced and k < len(rows):
            out.append("")
    return "\n".join(out)


def _blocks(header, rows, width):
    """One block per row, a "header: text" paragraph per cell, wrapped to `width`; blank lines between."""
    blocks = []
    for row in rows:
        blocks.append("\n".join(textwrap.fill(f"{h}: {c}", width, subsequent_indent="  ", break_on_hyphens=False)
                                for h, c in zip(header, row)))
    return "\n\n".join(blocks)
