"""Text laid out for a pane's width: cut only where a reader expects a cut (between words, between entries), the
lines after the first indented, never back at column 0."""
import re

from rich.cells import cell_len

#: The separator of a status line's parts ('backward · step 7/9 · h').
PART_SEP = " · "


def fits(columns, width):
    """True when `columns` characters fit on a line of `width` (None: any width)."""
    return width is None or columns <= width


def hanging(line, width, cut_words=False, indent=None):
    """`line` cut between words to `width` columns, the lines after the first indented under its text (`indent`
    spaces; by default its own indent and 2 more). An equation ('d(a+b)/da = I'), a bracketed formula
    ('diag(1[x > 0])') and a differential ('d relu(x)/dx') move to the next line whole when they fit there (an
    equation too long for a line is cut between its sides); only a piece longer than a line is cut inside, between
    its outermost words ('(Adam; update/weight n/a (weights 0))' before '(weights 0)'), never inside an index
    ('W[5, 15]'): a list goes on from where the line is, an aside in parentheses from the next line's start. `cut_words`: a word longer than a line (a file path) is cut too, rather than left for the pane to
    wrap. A line break in `line` is kept, each line cut on its own."""
    if "\n" in line:
        return "\n".join(hanging(part, width, cut_words, indent) for part in line.split("\n"))
    if fits(len(line), width):
        return line
    lead = len(line) - len(line.lstrip())
    indent = " " * (lead + 2 if indent is None else indent)
    lines, current = [], line[:lead]
    glued = pieces(line[lead:])
    for piece in [part for p in glued for part in ([p] if len(indent) + len(p) <= width else pieces(p, glue=False))]:
        words = [piece] if len(indent) + len(piece) <= width else outer_words(piece, width - len(indent))
        if len(words) > 1 and piece.startswith("(") and current.strip():  # an aside too long for a line: from its
            lines.append(current)                                             # own line's start, as one group
            current = indent
        for word, own_line in ((part, k > 0) for w in words
                               for k, part in enumerate(quotient_parts(w) if len(indent) + len(w) > width else [w])):
            if own_line or (current.strip() and len(current) + 1 + len(word) > width):
                lines.append(current)
                current = indent
            elif current.strip():
                current += " "
            while cut_words and len(current) + len(word) > width and width > len(current):
                room = width - len(current)
                lines.append(current + word[:room])
                current, word = indent, word[room:]
            current += word
    return "\n".join(lines + [current])


def quotient_parts(word):
    """A derivative too long for a line ('ddropout_15[18, 78]/drelu_14[18, 78]') cut before its outermost '/', the
    denominator going on a line of its own; any other word as it is."""
    depth = 0
    for i, ch in enumerate(word):
        if ch in OPENING:
            depth += 1
        elif ch in CLOSING:
            depth = max(0, depth - 1)
        elif ch == "/" and depth == 0 and 0 < i < len(word) - 1:
            return [word[:i], word[i:]]
    return [word]


#: An index ('W[5, 15]', 'scores[0, :]'): a line is never cut inside it.
INDEX = re.compile(r"(?<=[\w)\]])\[[-\d:,. …]*\]")


def outer_words(text, room):
    """`text` split at the spaces of its outermost bracket level that has any (never inside an index), a word still
    longer than `room` split again the same way, one level in."""
    locked = set()
    for found in INDEX.finditer(text):
        locked.update(range(found.start(), found.end()))
    depth, spaces = 0, {}
    for i, ch in enumerate(text):
        if ch in OPENING:
            depth += 1
        elif ch in CLOSING:
            depth = max(0, depth - 1)
        elif ch == " " and i not in locked:
            spaces.setdefault(depth, []).append(i)
    if not spaces:
        return [text]
    words, start = [], 0
    for i in spaces[min(spaces)] + [len(text)]:
        if i > start:
            word = text[start:i]
            words += outer_words(word, room) if len(word) > room else [word]
        start = i + 1
    return words


#: A lone operator between two terms: a line is never cut beside it ('(softmax(s) - onehot(y)) / N' stays whole).
OPERATORS = ("/", "×", "*")
#: Brackets a line is never cut inside (when the bracketed text fits on a line).
OPENING, CLOSING = "([{", ")]}"


def pieces(text, glue=True):
    """`text`'s words, a bracketed group's words kept together ('diag(1[x > 0])'), a lone 'd' with what it
    differentiates ('d relu(x)/dx') and, with `glue`, an equation's two sides with their '=' ('d(a+b)/da = I'); always, the
    terms on either side of a lone operator ('(p - y) / N') and a question's '= ?'."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text + " "):
        if ch in OPENING:
            depth += 1
        elif ch in CLOSING:
            depth = max(0, depth - 1)
        elif ch == " " and depth == 0:
            if i > start:
                out.append(text[start:i])
            start = i + 1
    joined, equation, operator = [], False, False
    for word in out:
        if joined and (equation or operator or joined[-1] == "d" or (glue and word == "=") or word in OPERATORS
                       or (word == "?" and joined[-1] == "=")):
            joined[-1] += " " + word
        else:
            joined.append(word)
        equation, operator = glue and word == "=", word in OPERATORS
    return joined


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


def fit_parts(parts, width, sep=PART_SEP):
    """`parts` joined by `sep` on one line of at most `width` columns: a part that does not fit is left out whole (a
    later, shorter one may still fit), so the line never ends in a separator or half a part; when not even the first
    fits, it alone, cut with '…'. None: every part."""
    parts = [p for p in parts if p]
    if width is None:
        return sep.join(parts)
    kept = []
    for part in parts:
        if cell_len(sep.join(kept + [part])) <= width:
            kept.append(part)
    if kept or not parts:
        return sep.join(kept)
    return parts[0][:max(0, width - 1)] + "…" if width > 0 else ""


def cut_parts(parts, width, most, indent="  ", sep=PART_SEP):
    """`parts` on at most `most` lines of `width` columns, cut between two parts (cut_between: a line that goes on
    ends with the separator's mark); the parts past the last line are left out whole, and that line then ends with
    its last part, never a separator."""
    lines = cut_between(parts, width, indent, sep)
    if len(lines) <= most:
        return lines
    mark = sep.rstrip()
    return lines[:most - 1] + [lines[most - 1][:-len(mark)].rstrip()]


#: What a notification cut short ends with: the rest stands in the inspector.
MORE = "(more in the inspector)"
#: Where a sentence (or a clause) ends: a cut after one reads as whole.
SENTENCE_END = re.compile(r"[.;:!?)](?=\s|$)")


def wrapped_rows(text, width):
    """The lines `text` takes wrapped between words to `width` columns (each of its lines on its own)."""
    import textwrap
    return sum(max(1, len(textwrap.wrap(line, width, break_long_words=True))) for line in text.split("\n"))


def inside_brackets(text, at):
    """True when position `at` of `text` is inside an index or a list ('W[5, 15]'): no cut there."""
    depth = 0
    for ch in text[:at]:
        depth += 1 if ch == "[" else -1 if ch == "]" and depth else 0
    return depth > 0


def cut_to_rows(text, width, rows, more=MORE):
    """`text` as a box `width` columns wide and `rows` lines high shows it whole: as it is when it fits, else cut
    after its last sentence (or clause) end that leaves room for `more` (else after its last whole word that does),
    `more` said after it, so it never ends mid-sentence without saying where the rest is."""
    if width is None or rows is None or wrapped_rows(text, width) <= rows:
        return text
    ends = [m.end() for m in SENTENCE_END.finditer(text)]
    words = [m.start() for m in re.finditer(r"\s+", text) if not inside_brackets(text, m.start())]
    for cuts in (ends, words):
        for at in reversed(cuts):
            head = text[:at].rstrip()
            candidate = f"{head} {more}" if cuts is ends else f"{head}… {more}"
            if head and wrapped_rows(candidate, width) <= rows:
                return candidate
    return more
