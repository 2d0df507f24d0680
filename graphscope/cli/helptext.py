"""The --help layout every command shares: descriptions and examples keep their lines as written, and a line
wider than the terminal is wrapped instead of running past it.

An example line (``  graphscope CMD ...   what it does``) too wide for one line becomes the command, continued
with `` \\`` where it is itself too wide, then what it does on the next lines, indented under it; any other line
wraps under its own indent (and under the text of a list item such as ``  .html  the step-player ...``).
"""
import argparse
import re
import textwrap

#: An example: its indent, the command typed, then (after two or more spaces) what it does.
EXAMPLE = re.compile(r"^(?P<indent>\s*)(?P<command>(graphscope|python) \S.*?)(?:\s{2,}(?P<says>\S.*))?$")
#: A list item: its indent and the label whose text the wrapped lines stand under.
ITEM = re.compile(r"^(?P<lead>\s*\S+\s{2,})\S")
#: How far a command's continuation lines and an example's explanation stand in from the command.
STEP_IN = 4


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """RawDescriptionHelpFormatter, with every description and epilog line kept within the width."""

    def _fill_text(self, text, width, indent):
        width += len(indent)
        out = []
        grouped = blocks([indent + line for line in text.splitlines()])
        for i, block in enumerate(grouped):
            if all(len(line) <= width for line in block):
                out += block   # as written
            elif EXAMPLE.match(block[0]):
                run = [b[0] for b in _example_run(grouped, i)]
                out += aligned_examples(run, width)[run.index(block[0])]
            else:  # one paragraph or list item, reflowed as a whole
                out += fit_line(block[0] + "".join(" " + line.strip() for line in block[1:]), width)
        return "\n".join(out)


def _example_run(grouped, i):
    """The blocks of the run of consecutive examples that holds block `i`."""
    start = i
    while start > 0 and EXAMPLE.match(grouped[start - 1][0]):
        start -= 1
    end = i
    while end + 1 < len(grouped) and EXAMPLE.match(grouped[end + 1][0]):
        end += 1
    return grouped[start:end + 1]


def aligned_examples(run, width):
    """Each example line of `run` as its lines: what it does aligned in one column for every example where that
    column fits, the others as the command then what it does under it (fit_line)."""
    parts = [EXAMPLE.match(line) for line in run]
    column = max(len(m["indent"] + m["command"]) + 2 for m in parts)
    if all(column + len(m["says"] or "") <= width for m in parts):
        return [[(m["indent"] + m["command"]).ljust(column) + m["says"] if m["says"] else
                 m["indent"] + m["command"]] for m in parts]
    return [_two_part(m, width) for m in parts]   # one layout for the whole run: each command above what it does


def _two_part(example, width):
    """An example as its command (continued with ' \\', an option kept with its value) and what it does under it."""
    inner = example["indent"] + " " * STEP_IN
    chunks = []
    for word in example["command"].split():
        if chunks and not word.startswith("-") and chunks[-1].startswith("-"):
            chunks[-1] += " " + word   # an option and its values stay on one line
        else:
            chunks.append(word)
    lines = [example["indent"] + chunks[0]]
    for chunk in chunks[1:]:
        if len(lines[-1]) + 1 + len(chunk) <= width - 2:
            lines[-1] += " " + chunk
        else:
            lines[-1] += " \\"
            lines.append(inner + chunk)
    if example["says"]:
        lines += textwrap.wrap(example["says"], width, initial_indent=inner, subsequent_indent=inner,
                               break_long_words=False, break_on_hyphens=False)
    return lines


def blocks(lines):
    """`lines` grouped into paragraphs: a paragraph or a list item with the lines that continue it (indented as
    its text); an example, a blank line and each line of a list of steps stand alone."""
    grouped = []
    for line in lines:
        last = grouped[-1] if grouped else None
        if last and last[0].strip() and line.strip() and not _starts_block(line) and not EXAMPLE.match(last[0]) \
                and _indent(line) == _text_column(last[0]):
            last.append(line)
        else:
            grouped.append([line])
    return grouped


def _starts_block(line):
    return bool(EXAMPLE.match(line) or re.match(r"^\s*(\d+\.|-|\*)\s", line) or
                (ITEM.match(line) and _indent(line) < len(ITEM.match(line)["lead"]) - 2))


def _indent(line):
    return len(line) - len(line.lstrip())


def _text_column(line):
    """Where the text of `line` starts: after a list item's label or number, else at its indent."""
    item = ITEM.match(line) or re.match(r"^(?P<lead>\s*(\d+\.|-|\*)\s+)", line)
    return len(item["lead"]) if item else _indent(line)


def fit_line(line, width):
    """`line` as lines of at most `width` characters (a word longer than that stays whole)."""
    if len(line) <= width:
        return [line]
    example = EXAMPLE.match(line)
    if example:
        return _two_part(example, width)
    item = ITEM.match(line)
    lead = len(item["lead"]) if item and len(item["lead"]) < width // 2 else len(line) - len(line.lstrip())
    if lead >= width // 2:  # a line standing far right (an example's second line of explanation): under examples
        lead = 2 + STEP_IN
    return textwrap.wrap(line.strip(), width, initial_indent=" " * lead if lead == 2 + STEP_IN else
                         line[:len(line) - len(line.lstrip())], subsequent_indent=" " * lead,
                         break_long_words=False, break_on_hyphens=False)
