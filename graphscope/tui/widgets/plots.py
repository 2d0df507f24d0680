"""Terminal plots (textual-plotext): a histogram of a layer's values and the training curves.

Each redraws the same way: ``plt.clear_data()``, plot, then ``refresh()``.
They draw numbers handed to them (gs.layer_stats' histograms, the trainer's
history); they compute nothing.
"""
import math

from rich.cells import cell_len
from textual_plotext import PlotextPlot

from .. import colours
from ...viz.curves import loss_ticks
from ...viz.ticks import nice_ticks, round_step, tick_label, whole_ticks


class HistogramPlot(PlotextPlot):
    """One histogram (a monitor ``Summary``): bars over its bins, its range on the x axis."""

    title = ""  # what the plot shows now

    def __init__(self, colour=colours.VALUE, **kwargs):
        """`colour`: the bars', a histogram of values in the values' colour, of gradients in the gradients'."""
        super().__init__(**kwargs)
        self.colour = colour

    shown = None  # (title, summary) drawn, drawn again when a new width has room for more or fewer ticks

    def show(self, title, summary):
        self.shown, self.ticks_for = (title, summary), self.most_ticks()
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        if summary is None or not any(summary.histogram.counts):
            title = f"{title}: not computed yet" if summary is None else f"{title}: no finite values"
            plt.title(title)
        else:
            edges, counts = summary.histogram.edges, summary.histogram.counts
            centers = [(float(a) + float(b)) / 2 for a, b in zip(edges[:-1], edges[1:])]
            if len(set(centers)) == 1:  # every value equal: one bar
                centers, counts = [centers[0]], [int(sum(counts))]
            counts = [int(c) for c in counts]
            colour = colours.rgb(self.colour)
            if len(centers) == 1:
                plt.bar(centers, counts, width=1.0, reset_ticks=False, color=colour)
            for lo, hi, count in zip(edges[:-1], edges[1:], counts) if len(centers) > 1 else ():
                if count:  # each bar a solid rectangle over its bin (plotext's bar draws an empty bin as a bar of
                    # blanks whose bottom row notches its neighbours' bottom corners)
                    plt.rectangle([float(lo), float(hi)], [0, count], marker="sd", color=colour, fill=True)
            if len(centers) > 1:  # the axis runs over the bins' edges: a ReLU's from 0
                ticks, labels = value_ticks(edges, self.most_ticks())
                plt.xlim(float(edges[0]), float(edges[-1]))
                plt.xticks(ticks, labels)
            else:
                plt.xticks(centers, [f"{centers[0]:.2g}"])
            plt.yticks(*count_ticks(max(counts)))
        self.title = title
        self.refresh()

    def on_resize(self):
        if self.shown is not None and self.most_ticks() != self.ticks_for:
            self.show(*self.shown)

    def most_ticks(self):
        """How many value ticks the plot's width has room for: one per TICK_ROOM columns, 3 to MOST_TICKS."""
        return max(3, min(MOST_TICKS, (self.size.width or DEFAULT_WIDTH) // TICK_ROOM))


#: A histogram's value axis: at most this many ticks, one per this many columns of the plot.
MOST_TICKS = 6
TICK_ROOM = 10


def accuracy_ticks(lo, hi, most=5):
    """Round ticks for an accuracy axis over lo..hi: multiples of a round step (nice_ticks), widened to take in the
    round numbers just outside when fewer than two fall within (one accuracy: around it)."""
    if hi - lo < 0.01:
        lo, hi = max(0.0, lo - 0.05), min(1.0, hi + 0.05)
    ticks = nice_ticks(lo, hi, most)
    if ticks == [lo, hi]:  # no round numbers within: the round steps around them
        step = round_step(hi - lo, most)
        ticks = [round(math.floor(lo / step) * step, 12), round(math.ceil(hi / step) * step, 12)]
    return ticks


def value_ticks(edges, most=5):
    """(ticks, labels) of a histogram's value axis over its bins' edges: round numbers (1, 2 or 5 times a power of
    ten, as a plotting library picks them: nice_ticks) within that range, at most `most` of them, e.g. 0 where a
    ReLU's values start; the range's ends when it holds fewer than two round numbers."""
    ticks = nice_ticks(float(edges[0]), float(edges[-1]), most)
    return ticks, [tick_label(t) for t in ticks]


def count_ticks(top, n=4):
    """(ticks, labels) of a histogram's count axis: whole round numbers (steps of 1, 2 or 5 times a power of ten)
    from 0 up to `top`, at most n + 1 of them."""
    step = max(1, round(round_step(top, n + 1)))
    ticks = list(range(0, top + 1, step))
    return ticks, [str(t) for t in ticks]


#: Each curve's plotext marker and the legend's sample of it: in colour every curve is a braille line ('━━' in its
#: colour); with 16 colours or none (palette) the accuracies are marked '+' and 'x', so the curves tell apart.
CURVE_MARKS = {"loss": ("braille", "⣀⣀"), "train acc": ("+", "++"), "val acc": ("x", "xx")}
COLOUR_SAMPLE = "━━"


#: A braille character is 2 dots wide; the axes' labels and frame take about this many of the plot's columns.
BRAILLE_COLUMNS = 2
AXES_COLUMNS = 12
#: A curve plot this many rows high or fewer leaves out the x axis' title (its ticks count the iterations).
SHORT_PLOT = 16
#: The width assumed before the plot is laid out.
DEFAULT_WIDTH = 80
#: More than this many points per dot column are drawn as their means, one per column (else a noisy loss per
#: iteration fills the plot area solid).
POINTS_PER_COLUMN = 2


def column_means(points, columns):
    """((x, y) points to draw, how many points each stands for): `points` as they are when there are at most
    POINTS_PER_COLUMN per one of `columns`, else the means of runs of `per` consecutive points (x the mean of their
    iterations), about one per column. The points themselves are left as they are."""
    if len(points) <= POINTS_PER_COLUMN * columns:
        return list(points), 1
    per = math.ceil(len(points) / columns)
    runs = [points[k:k + per] for k in range(0, len(points), per)]
    return [(sum(x for x, _ in run) / len(run), sum(y for _, y in run) / len(run)) for run in runs], per


def legend_markup(*labels, width=None):
    """The curves' legend as Textual markup, for a line above the plot (plotext's own would cover the curves):
    (label, colour) or (label, colour, sample) tuples, '━━ loss  ━━ train acc' ('⣀⣀ loss  ++ train acc'); an entry
    that does not fit on the line in `width` columns (None: any width) starts the next line, whole."""
    lines, room = [], None
    for label, color, *sample in labels:
        mark = sample[0] if sample else COLOUR_SAMPLE
        entry, columns = f"[{color}]{mark}[/] {label}", cell_len(f"{mark} {label}")
        if lines and (width is None or room + LEGEND_GAP + columns <= width):
            lines[-1] += " " * LEGEND_GAP + entry
            room += LEGEND_GAP + columns
        else:
            lines.append(entry)
            room = columns
    return "\n".join(lines)


#: The spaces between two entries of the legend.
LEGEND_GAP = 2


class CurvePlot(PlotextPlot):
    """Training curves: the loss per iteration (left axis), and per epoch the train and validation accuracy (right
    axis).

    The curves carry no plotext legend or title (they would cover the first iterations, and take a row from a
    short terminal): ``legend`` lists what is drawn, (label, colour) pairs, for legend_markup, the loss's label
    saying when its axis is a log scale, and when a long run's losses (many more than the plot has dot columns)
    are drawn as their means per column (column_means: 'mean of 12 iterations per column'). The loss axis is chosen as `graphscope train` chooses it
    (viz.curves.loss_ticks: a log scale when the loss spans more than a factor of LOG_SPAN); its labels are short
    (3 significant digits: 1e+36, never a 37-digit number), and the iterations are counted in whole numbers.
    """

    legend = ()
    log = False  # the loss axis is a log scale

    def pixel_columns(self):
        """The braille dot columns the plot area has (its width less the axes' labels)."""
        return BRAILLE_COLUMNS * max(1, (self.size.width or DEFAULT_WIDTH) - AXES_COLUMNS)

    def show(self, losses, train_acc=(), val_acc=(), iterations_per_epoch=None, distinct=False):
        """Draw the curves; `distinct`: each its own marker (CURVE_MARKS), for a terminal without colours."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        finite = [(i + 1, v) for i, v in enumerate(losses) if math.isfinite(v)]
        self.legend, self.log = (), False
        if not finite:
            plt.title("loss: no step taken yet")
            self.refresh()
            return
        values = [v for _, v in finite]
        self.log, loss_axis = loss_ticks(values)
        shown, per = column_means(finite, self.pixel_columns())
        # a log axis drawn as log10 of the values on a linear one: plotext's own log scale takes the log of the
        # values again at every redraw (a resize), and a second log of a loss below 10 is a math domain error
        drawn = [math.log10(v) for _, v in shown] if self.log else [v for _, v in shown]
        marks = {k: v if distinct else ("braille", COLOUR_SAMPLE) for k, v in CURVE_MARKS.items()}
        plt.plot([i for i, _ in shown], drawn, color=colours.rgb(colours.LOSS_CURVE), marker=marks["loss"][0])
        what = f"mean of {per} iterations per column; " if per > 1 else ""
        legend = [(f"loss ({what}left{', log scale' if self.log else ''})", colours.LOSS_CURVE, marks["loss"][1])]
        per = iterations_per_epoch or 1
        accuracies = [a for accs in (train_acc, val_acc) for a in accs if a is not None]
        if accuracies:  # round ticks (0.6, 0.7, ... or 0.55, 0.6, ...) over the accuracies' range
            ticks = accuracy_ticks(min(accuracies), max(accuracies))
            plt.yticks(ticks, [tick_label(t) for t in ticks], yside="right")
            plt.ylim(min(ticks + accuracies), max(ticks + accuracies), yside="right")
        for accs, label, color in ((train_acc, "train acc", colours.TRAIN_ACC_CURVE),
                                   (val_acc, "val acc", colours.VAL_ACC_CURVE)):
            points = [((k + 1) * per, a) for k, a in enumerate(accs) if a is not None]
            if points:
                plt.plot([x for x, _ in points], [y for _, y in points], color=colours.rgb(color), yside="right",
                         marker=marks[label][0])
                legend.append((label, color, marks[label][1]))
        if len(legend) > 1:
            legend[-1] = (legend[-1][0] + " (right, per epoch)", *legend[-1][1:])
        at = [math.log10(t) for t in loss_axis] if self.log else list(loss_axis)
        plt.yticks(at, [tick_label(t) for t in loss_axis])
        low, high = min(at + drawn), max(at + drawn)
        if low < high:  # every tick inside the frame, none drawn on its border
            plt.ylim(low, high)
        last = finite[-1][0]
        ticks = whole_ticks(last)
        plt.xticks(ticks, [str(t) for t in ticks])
        if last == 1:  # one point: the axis around it, never 0.5 .. 1.5
            plt.xlim(0, 2)
        if (self.size.height or SHORT_PLOT) > SHORT_PLOT:  # a short plot keeps its row for the curve
            plt.xlabel("iteration")
        self.legend = tuple(legend)
        self.refresh()


