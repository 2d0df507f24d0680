"""What the TUI says about gradient checks: the inspector's paragraphs for this node's check (c) and the whole
graph's (C), laid out for the pane's width, and check-all's short notification.

An input's worst entries stand as a table, one entry a line, its columns
lined up under their titles (as the inspector lists a matrix one row a
line); in a pane too narrow for the table each entry is cut only between
its figures, its lines indented under its first. Nothing wraps back to
column 0.
"""
from rich.text import Text

from ...engine.formatting import number_text, shape_text
from .. import colours
from .text_fit import cut_between, fits, hanging

#: The worst entries shown per failing input (as `graphscope check` shows them).
WORST_SHOWN = 3
#: The titles of the worst entries' columns.
ENTRY_TITLES = ("worst", "analytic", "numerical", "rel err")
#: What an input's lines are indented under its name.
INDENT = "  "
#: The gaps between the table's columns, widest first: the narrowest that fits the pane is used.
GAPS = (2, 1)
#: How an input's status is written.
STATUS_STYLE = {"FAIL": f"bold {colours.ERROR}", "ok": colours.RIGHT}


def node_check_text(check, width=None):
    """This node's check (a NodeCheck) as rich Text: its status (when it failed, where its VJP is defined), then per
    input its name and status, what was found and, when it failed, its worst entries."""
    text = Text()
    _heading(text, "gradient check: ", check.status_text, "green" if check.ok else "bold red", width)
    if not check.ok and check.vjp_text:  # where the VJP to look at is defined
        text.append(hanging(INDENT + f"its {check.vjp_text}", width, cut_words=True) + "\n")
    if check.detail:  # what the VJP raised, in its own operands' words (the status says only 'VJP raised ...')
        text.append(hanging(INDENT + check.detail.split("\n", 1)[0], width) + "\n")
    for inp in check.inputs:
        _input_head(text, inp, width)
        text.append(hanging(INDENT + inp.result_text(), width) + "\n")
        if not inp.ok and inp.worst:
            lines, titled = entry_lines(inp.worst[:WORST_SHOWN], width)
            if titled:
                text.append(lines.pop(0) + "\n", style=colours.MUTED)
            text.append("\n".join(lines) + "\n")
    return text


def _heading(text, lead, verdict, style, width):
    """'gradient check: FAIL': the bold lead, then the verdict in its colour, cut between words when long."""
    line = hanging(lead + verdict, width)
    text.append(line[:len(lead)], style="bold")
    text.append(line[len(lead):] + "\n", style=style)


def _input_head(text, inp, width):
    """'a (input 0, 4x4): FAIL', as the inspector's backward step names an input, its status in its colour."""
    name = inp.name if inp.slot is None else f"{inp.name} (input {inp.slot}, {shape_text(tuple(inp.shape))})"
    _heading(text, f"{name}: ", inp.status, STATUS_STYLE.get(inp.status, colours.MUTED), width)


def entry_cells(entry):
    """The texts of one entry's row: where, analytic, numerical, relative error."""
    where = "-" if entry.index == () else str(list(entry.index))
    rel = f"{entry.rel_err:.2g}" + (" (kink)" if entry.basis == "kink" else "")
    return where, number_text(entry.analytic), number_text(entry.numerical), rel


def entry_lines(entries, width=None, indent=INDENT):
    """The entries' lines and whether the first is the titles' line: a table (the titles, then one entry a line,
    the place left-aligned, the figures right-aligned under their titles) when it fits `width`; else each entry
    cut only between its figures, the lines after its first indented further."""
    cells = [entry_cells(e) for e in entries]
    # an entry of a VJP run in the graph's dtype is compared with float64's VJP, not with a finite difference
    titles = ("worst", entries[0].dtype, "float64", "rel err") if entries and entries[0].dtype else ENTRY_TITLES
    rows = [titles] + cells
    widths = [max(len(r[i]) for r in rows) for i in range(len(ENTRY_TITLES))]
    for gap in GAPS:
        lines = [indent + r[0].ljust(widths[0]) + "".join(" " * gap + c.rjust(w) for c, w in zip(r[1:], widths[1:]))
                 for r in rows]
        if fits(max(len(line) for line in lines), width):
            return [line.rstrip() for line in lines], True
    lines, under = [], indent + "  "
    for where, analytic, numerical, rel in cells:
        figures = [f"{titles[1]} {analytic}", f"{titles[2]} {numerical}", f"rel err {rel}"]
        entry = cut_between([f"{indent}{where} {figures[0]}"] + figures[1:], width, under)
        if not fits(len(entry[0]), width):  # the place on a line of its own, the figures under it
            entry = [indent + where] + cut_between([under + figures[0]] + figures[1:], width, under)
        lines += entry
    return lines, False


def check_all_lines(result):
    """What check-all found (a GraphCheck), in `graphscope check`'s words and counts: where the first NaN or infinity
    is made, the per-node check's counts and its first failing node, the whole-graph gradcheck's verdict."""
    lines = [f"{result.dtypes} graph, checked {result.precision}"] if result.dtypes else []
    bad = result.nodes.first_failure
    if result.origin is not None:
        lines.append(result.origin.describe().splitlines()[0] + " (! goes there)")
    nodes = result.nodes_summary().splitlines()[0]
    if bad is not None:  # the summary's 'first failing node:' is followed by its details: name it instead
        nodes = f"{nodes.rstrip(':')} {bad.node.name} ({bad.node.op})"
    lines.append(nodes)
    whole = result.whole_summary()
    if whole:
        lines.append(whole.splitlines()[0])
    sampled = result.sampled_text() if not result.failed else ""
    if sampled:  # a single wrong entry elsewhere would pass
        lines.append(f"{sampled}: a wrong entry outside them would pass (graphscope check --coords all)")
    return lines


def graph_check_text(result, width=None):
    """Check-all's report (a GraphCheck) as rich Text: its verdict, then what it found, each line cut between words
    and indented under the verdict."""
    text = Text()
    _heading(text, "check all (C): ", result.verdict, "bold red" if result.failed else "green", width)
    for line in check_all_lines(result):
        text.append(hanging(INDENT + line, width) + "\n")
    return text


def check_all_notice(result):
    """Check-all's notification, (title, message): its verdict and the per-node counts; the report stands in the
    inspector, where a notification hides nothing."""
    counts = result.nodes_summary().splitlines()[0].split(";")[0].split(" (")[0]
    return f"gradient check: {result.verdict}", f"{counts}; the report is in the inspector"


def error_words(check):
    """A node check's largest relative error as the inspector's report writes it ('0.98', '1.1e-10'); None when
    nothing was measured. The notification and predict mode's doubt say the same figure the same way."""
    figure = check.error_figure
    return None if figure is None else f"{float(figure):.2g}"
