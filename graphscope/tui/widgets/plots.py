"""Terminal plots (textual-plotext): a histogram of a layer's values and the training curves.

Each redraws the same way: ``plt.clear_data()``, plot, then ``refresh()``.
They draw numbers handed to them (gs.layer_stats' histograms, the trainer's
history); they compute nothing.
"""
import math

from textual_plotext import PlotextPlot

from ...viz.curves import loss_ticks
from ...viz.ticks import round_step, tick_label, whole_ticks


class HistogramPlot(PlotextPlot):
    """One histogram (a monitor ``Summary``): bars over its bins, its range on the x axis."""

    title = ""  # what the plot shows now

    def show(self, title, summary):
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
            plt.bar(centers, counts, width=1.0, reset_ticks=False, color="blue")
            if len(centers) > 1:  # the axis runs over the bins' edges: a ReLU's from 0
                ticks, labels = edge_ticks(edges)
                plt.xlim(ticks[0], ticks[-1])
                plt.xticks(ticks, labels)
            else:
                plt.xticks(centers, [f"{centers[0]:.2g}"])
            plt.yticks(*count_ticks(max(counts)))
        self.title = title
        self.refresh()


def edge_ticks(edges):
    """(ticks, labels) of a histogram's value axis: its first, middle and last bin edge (where the values start,
    e.g. 0 for a ReLU's, not the first bin's middle)."""
    ticks = [float(edges[0]), float(edges[len(edges) // 2]), float(edges[-1])]
    return ticks, [f"{t + 0.0:.2g}" for t in ticks]


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


def legend_markup(*labels):
    """The curves' legend as Textual markup, for a line above the plot (plotext's own would cover the curves):
    (label, colour) or (label, colour, sample) tuples, '━━ loss  ━━ train acc' ('⣀⣀ loss  ++ train acc')."""
    return "  ".join(f"[{color}]{sample[0] if sample else COLOUR_SAMPLE}[/] {label}"
                     for label, color, *sample in labels)


class CurvePlot(PlotextPlot):
    """Training curves: the loss per iteration (left axis), and per epoch the train and validation accuracy (right
    axis).

    The curves carry no plotext legend or title (they would cover the first iterations, and take a row from a
    short terminal): ``legend`` lists what is drawn, (label, colour) pairs, for legend_markup, the loss's label
    saying when its axis is a log scale. The loss axis is chosen as `graphscope train` chooses it
    (viz.curves.loss_ticks: a log scale when the loss spans more than a factor of LOG_SPAN); its labels are short
    (3 significant digits: 1e+36, never a 37-digit number), and the iterations are counted in whole numbers.
    """

    legend = ()
    log = False  # the loss axis is a log scale

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
        # a log axis drawn as log10 of the values on a linear one: plotext's own log scale takes the log of the
        # values again at every redraw (a resize), and a second log of a loss below 10 is a math domain error
        drawn = [math.log10(v) for v in values] if self.log else values
        marks = {k: v if distinct else ("braille", COLOUR_SAMPLE) for k, v in CURVE_MARKS.items()}
        plt.plot([i for i, _ in finite], drawn, color="blue", marker=marks["loss"][0])
        legend = [(f"loss (left{', log scale' if self.log else ''})", "blue", marks["loss"][1])]
        per = iterations_per_epoch or 1
        for accs, label, color in ((train_acc, "train acc", "green"), (val_acc, "val acc", "red")):
            points = [((k + 1) * per, a) for k, a in enumerate(accs) if a is not None]
            if points:
                plt.plot([x for x, _ in points], [y for _, y in points], color=color, yside="right",
                         marker=marks[label][0])
                legend.append((label, color, marks[label][1]))
        if len(legend) > 1:
            legend[-1] = (legend[-1][0] + " (right, per epoch)", *legend[-1][1:])
        plt.yticks([math.log10(t) for t in loss_axis] if self.log else loss_axis, [tick_label(t) for t in loss_axis])
        last = finite[-1][0]
        ticks = whole_ticks(last)
        plt.xticks(ticks, [str(t) for t in ticks])
        if last == 1:  # one point: the axis around it, never 0.5 .. 1.5
            plt.xlim(0, 2)
        plt.xlabel("iteration")
        self.legend = tuple(legend)
        self.refresh()


