"""Terminal plots (textual-plotext): a histogram of a layer's values and the training curves.

Each redraws the same way: ``plt.clear_data()``, plot, then ``refresh()``.
They draw numbers handed to them (gs.layer_stats' histograms, the trainer's
history); they compute nothing.
"""
import math

from textual_plotext import PlotextPlot


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
            plt.bar(centers, [int(c) for c in counts], width=1.0, reset_ticks=False, color="blue")
            plt.xticks([centers[0], centers[len(centers) // 2], centers[-1]],
                       [f"{centers[0]:.2g}", f"{centers[len(centers) // 2]:.2g}", f"{centers[-1]:.2g}"])
        self.title = title
        self.refresh()


class CurvePlot(PlotextPlot):
    """Training curves: the loss per iteration, and per epoch the train and validation accuracy."""

    def show(self, losses, train_acc=(), val_acc=(), iterations_per_epoch=None):
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        finite = [(i + 1, v) for i, v in enumerate(losses) if math.isfinite(v)]
        if not finite:
            plt.title("loss: no step taken yet")
            self.refresh()
            return
        plt.title("loss per iteration")
        plt.plot([i for i, _ in finite], [v for _, v in finite], label="loss", color="blue", marker="braille")
        per = iterations_per_epoch or 1
        for accs, label, color in ((train_acc, "train acc", "green"), (val_acc, "val acc", "red")):
            points = [((k + 1) * per, a) for k, a in enumerate(accs) if a is not None]
            if points:
                plt.plot([x for x, _ in points], [y for _, y in points], label=label, color=color,
                         yside="right", marker="braille")
        plt.xlabel("iteration")
        self.refresh()
