"""Text laid out for a pane's width: cut only where a reader expects a cut (between words, between entries), the
lines after the first indented, never back at column 0."""
import textwrap


def fits(columns, width):
    """True when `columns` characters fit on a line of `width` (None: any width)."""
    return width is None or columns <= width


def hanging(line, width, cut_words=False):
    """`line` cut between words to `width` columns, the lines after the first indented under its text;
    `cut_words`: a word longer than a line (a file path) is cut too, rather than left for the pane to wrap."""
    if fits(len(line), width):
        return line
    indent = " " * (len(line) - len(line.lstrip()) + 2)
    return "\n".join(textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=cut_words,
                                   break_on_hyphens=False))


def cut_between(parts, room, indent="", sep=", "):
    """`parts` joined by `sep` into lines of at most `room` characters where it can be, cut only between two parts
    (a line cut there ends with the separator's mark, ','), the lines after the first starting with `indent`."""
    mark = sep.rstrip()
    lines, line = [], parts[0]
    for part in parts[1:]:
        if room is None or len(line) + len(sep) + len(part) + len(mark) <= room:
            line += sep + part
        else:
            lines.append(line + mark)
            line = indent + part
    return lines + [line]


def wrapped(row, room):
    """A one-line list cut between its entries into lines of at most `room` characters where it can be, the
    lines after the first indented past its opening brackets (as numpy wraps a long row)."""
    depth = len(row) - len(row.lstrip("["))
    return cut_between(row.split(", "), room, " " * depth)
