"""Several named curves drawn as text (plotext) that stay readable in an 80-column terminal and in a pipe:
each curve has its own marker character (so the curves differ without colour codes), the legend sits under
the plot (never over a curve), the x axis counts 1, 2, ... in whole numbers, the y labels are short."""
import math
import shutil
from collections import Counter

from .ticks import log_ticks, nice_ticks, whole_ticks

#: One marker per curve, distinct in shape; a seventh curve starts the list again.
MARKERS = ("•", "x", "o", "+", "*", "#")
#: The colour of each marker's curve on a terminal (plotext's names).
COLORS = ("blue", "red", "green", "orange", "magenta", "cyan")
#: The plot's size in characters; it narrows in a narrower terminal, down to MIN_WIDTH.
WIDTH, HEIGHT, MIN_WIDTH = 72, 18, 40
#: Spaces between two legend entries.
GAP = 3


def text_curves(series, title="", xlabel="iteration", ylabel="", logy=False, width=None, height=HEIGHT,
                color=False):
    """``{label: values}`` (value i at x = i + 1) as a text plot with its legend below it: one string.

    Non-finite values are left out (a run that blew up keeps its finite start); `logy` draws the y axis on a
    log scale (non-positive values left out too). `width` defaults to WIDTH, narrower in a narrower terminal.
    `color=False` leaves out the terminal colour codes (for pipes and files); the markers tell the curves
    apart either way, and the legend says which curve lies mostly under another.
    """
    import plotext as plt
    width = width or max(MIN_WIDTH, min(WIDTH, shutil.get_terminal_size((80, 24)).columns - 1))
    curves = [_points(values, logy) for values in series.values()]
    ys = [y for _, values in curves for y in values]
    n = max((len(v) for v in series.values()), default=1)
    frame = _Frame(plt, width, height, n, ys, logy, title, xlabel, ylabel)
    if not ys:
        return frame.draw([]) + "\n" + legend(list(series), width, color, ["(no finite values)"] * len(series))
    text = frame.draw(curves, color)
    plain = plt.uncolorize(text)
    notes = [_hidden_note(i, curves, frame, plain) for i in range(len(curves))]
    return text + "\n" + legend(list(series), width, color, notes)


class _Frame:
    """The axes every drawing of one plot shares (size, limits, ticks, titles), so that a curve drawn alone
    lands on the same characters as in the whole plot."""

    def __init__(self, plt, width, height, n, ys, logy, title, xlabel, ylabel):
        self.plt, self.width, self.height, self.n = plt, width, height, n
        self.title, self.xlabel = title, xlabel
        self.ylabel = ylabel + (" (log scale)" if logy and ylabel else "")
        self.xticks = whole_ticks(n)
        self.ylim, self.yticks, self.ylabels = None, [], []
        if ys:
            lo, hi = min(ys), max(ys)
            ticks = log_ticks(10 ** lo, 10 ** hi) if logy else nice_ticks(lo, hi)
            self.yticks = [math.log10(t) for t in ticks] if logy else ticks
            self.ylabels = [_short(t) for t in ticks]
            pad = (hi - lo) * 0.02 or 0.5
            self.ylim = (min(lo, *self.yticks) - pad, max(hi, *self.yticks) + pad)

    def draw(self, curves, color=False, only=None):
        """The plot with `curves` ((xs, ys) each, in marker order), or just curve `only`; '' lines trimmed."""
        plt = self.plt
        plt.clear_figure()
        plt.plotsize(self.width, self.height)
        plt.theme("clear")
        for i, (xs, ys) in enumerate(curves):
            if xs and only in (None, i):
                plt.plot(xs, ys, marker=MARKERS[i % len(MARKERS)], color=COLORS[i % len(COLORS)])
        plt.xlim(1, max(self.n, 2))
        plt.xticks(self.xticks, [str(t) for t in self.xticks])
        if self.ylim:
            plt.ylim(*self.ylim)
            plt.yticks(self.yticks, self.ylabels)
        plt.title(self.title)
        plt.xlabel(self.xlabel)
        if self.ylabel:
            plt.ylabel(self.ylabel)
        text = plt.build()
        plt.clear_figure()
        return (text if color else plt.uncolorize(text)).rstrip("\n")


def _hidden_note(i, curves, frame, plain):
    """'(mostly under +)' when most of curve i's characters are covered by a later curve, '(no finite values)'
    for a curve with nothing to draw, else ''."""
    if not curves[i][0]:
        return "(no finite values)"
    marker = MARKERS[i % len(MARKERS)]
    alone = _cells(frame.draw(curves, only=i), marker)
    drawn = _box(plain)
    covered = [drawn[r][c] for r, c in alone if drawn[r][c] != marker]
    if alone and len(covered) > len(alone) / 2:
        return f"(mostly under {Counter(covered).most_common(1)[0][0]})"
    return ""


def _box(text):
    """The plot area of a text plot: its rows inside the frame, each cut to the frame's columns."""
    lines = text.splitlines()
    top = next(r for r, line in enumerate(lines) if "┌" in line)
    bottom = next(r for r, line in enumerate(lines) if "└" in line)
    left, right = lines[top].index("┌"), lines[top].index("┐")
    return [line[left + 1:right].ljust(right - left - 1) for line in lines[top + 1:bottom]]


def _cells(text, marker):
    """(row, column) of each `marker` in the plot area of `text`."""
    return [(r, c) for r, row in enumerate(_box(text)) for c, ch in enumerate(row) if ch == marker]


def legend(labels, width, color=False, notes=None, markers=MARKERS):
    """The legend under the plot: each label after its curve's marker (and its note), as many to a line as fit
    in `width`."""
    import plotext as plt
    notes = notes or [""] * len(labels)
    lines, line, used = [], "  ", 2
    for i, (label, note) in enumerate(zip(labels, notes)):
        marker = markers[i % len(markers)]
        shown = plt.colorize(marker, COLORS[i % len(COLORS)]) if color else marker
        text = f"{label} {note}" if note else label
        entry_width = len(marker) + 1 + len(text)
        if used > 2 and used + GAP + entry_width > width:
            lines.append(line)
            line, used = "  ", 2
        if used > 2:
            line, used = line + " " * GAP, used + GAP
        line, used = line + f"{shown} {text}", used + entry_width
    lines.append(line)
    return "\n".join(lines)


def _points(values, logy):
    """(xs, ys) of the finite values (and positive ones on a log axis, as their log10), x counting from 1."""
    keep = [(x, float(v)) for x, v in enumerate(values, start=1)
            if v is not None and math.isfinite(float(v)) and (not logy or float(v) > 0)]
    return [x for x, _ in keep], [math.log10(v) if logy else v for _, v in keep]


def _short(value):
    """A y label of a few characters: 0.5, 12, 1e-06, 3.2e+04."""
    return "0" if value == 0 else f"{value:.3g}"
