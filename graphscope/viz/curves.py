"""Training curves: loss per iteration and accuracy per epoch, in the terminal (plotext) or as a picture
(matplotlib, the optional ``plot`` extra). Takes any object with a History's lists (``loss``,
``train_acc``, ``val_acc``, ``lr``), so it does not depend on the trainer."""
import io
import math
import os

from ..engine.errors import GraphscopeError
from .figures import DPI, matplotlib_ready, whole_number_axis
from .textplot import COLORS, legend
from .ticks import log_ticks, nice_ticks, tick_label, whole_ticks

#: How many y-axis labels the terminal curve gets.
Y_TICKS = 5
#: A loss spanning more than this factor (a run blowing up) is drawn on a log axis.
LOG_SPAN = 1e3
#: What the loss per iteration (braille dots) and its mean per epoch are drawn with, as the legend shows them.
CURVE_MARKERS = ("⣿", "•")
#: Up to this many epochs, each accuracy is marked with a dot (more would draw a thick line).
MARKED_EPOCHS = 60
#: Formats matplotlib writes that are not pictures to look at (raw pixels) or need LaTeX (pgf).
NOT_PICTURES = ("pgf", "raw", "rgba")


def terminal_curve(history, width=72, height=16, color=False):
    """The loss per iteration (and its mean per epoch) as text, drawn by plotext, its legend under the plot
    (never over the curve's start); '' with fewer than 2 points.

    `color=False` leaves out the terminal colour codes (for pipes and files).
    """
    import plotext as plt
    if len(history.loss) < 2:  # one point is no curve
        return ""
    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    plt.plot(list(range(1, len(history.loss) + 1)), list(history.loss), marker="braille", color=COLORS[0])
    labels = ["loss per iteration"]
    means = history.epoch_loss() if hasattr(history, "epoch_loss") else []
    per = history.settings.get("iterations_per_epoch") if hasattr(history, "settings") else None
    if means and per and len(means) > 1:
        plt.plot([min(len(history.loss), (e + 1) * per) for e in range(len(means))], means, marker="dot",
                 color=COLORS[1])
        labels.append("mean per epoch")
    log = _y_axis(plt, [v for v in history.loss if math.isfinite(v)] + list(means))
    ticks = whole_ticks(len(history.loss))
    plt.xticks(ticks, [str(t) for t in ticks])
    plt.xlabel("iteration")
    plt.title("training loss (log scale: it spans more than a factor of 1000)" if log else "training loss")
    text = plt.build()
    plt.clear_figure()
    text = (text if color else plt.uncolorize(text)).rstrip("\n")
    return text + "\n" + legend(labels, width, color, markers=CURVE_MARKERS) + "\n"


def log_scale(values):
    """True when the finite, positive `values` (a loss) span more than LOG_SPAN: a run that blew up, drawn on a
    log axis so that its start is not flattened to a line at the bottom (every training curve decides so)."""
    finite = [v for v in values if math.isfinite(v)]
    return bool(finite) and min(finite) > 0 and max(finite) / min(finite) > LOG_SPAN


def _y_axis(plt, values):
    """Readable y labels (loss_ticks); a log axis when the loss spans more than LOG_SPAN (a run that blew up), so
    its start is not flattened to a line at the bottom."""
    if not values:
        return False
    log, ticks = loss_ticks(values)
    if log:
        plt.yscale("log")
        plt.ylabel("loss (log scale)")
    plt.yticks(ticks, [tick_label(t) for t in ticks])
    return log


def loss_ticks(values, most=Y_TICKS):
    """(log, ticks) of a loss axis over the finite `values`: powers of 10 on a log axis when they span more than
    LOG_SPAN (log_scale), else round steps (viz.ticks); label them with viz.ticks.tick_label."""
    lo, hi = min(values), max(values)
    log = log_scale(values)
    return log, log_ticks(lo, hi, most) if log else nice_ticks(lo, hi, most)


def _panel(ax, title, xlabel, ylabel):
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(color="0.85")  # opaque colours only: PostScript has no transparency
    whole_number_axis(ax.xaxis)


def _lr_panel(ax, rates):
    """The learning rate of each epoch, as steps (it holds for the whole epoch); a log axis when it falls by more
    than 10x; the title says when it never changed."""
    rates = [float(r) for r in rates]
    if rates:
        ax.step(range(1, len(rates) + 1), rates, where="post", color="C2", lw=1.2,
                marker="o" if len(rates) == 1 else None)
        positive = [r for r in rates if r > 0 and math.isfinite(r)]
        if positive and max(positive) / min(positive) > 10:
            ax.set_yscale("log")
    constant = bool(rates) and max(rates) == min(rates)
    _panel(ax, f"learning rate (constant: {rates[0]:.3g})" if constant else "learning rate (its schedule)",
           "epoch", "learning rate")


def plot_formats():
    """The file name endings save_training_plot writes (those matplotlib writes as pictures), or () without
    matplotlib."""
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        return ()
    return tuple(f for f in FigureCanvasBase.get_supported_filetypes() if f not in NOT_PICTURES)


def plot_format_problem(path, option="--plot"):
    """Why save_training_plot cannot write `path` (no matplotlib, no writable folder for its settings, an ending
    it does not write), or None."""
    try:
        matplotlib_ready(path, option)
    except GraphscopeError as exc:
        return str(exc)
    formats = plot_formats()
    if not formats:
        return (f"{option} {path}: the plot needs matplotlib: pip install -e '.[plot]' "
                f"(in graphscope's checkout)")
    ending = os.path.splitext(str(path))[1].lower().lstrip(".")
    if ending not in formats:
        what = f"ends in .{ending}" if ending else "has no ending"
        return f"{option} {path}: {what}; the plot is written as " + ", ".join(f".{f}" for f in formats)
    return None


def save_training_plot(history, path, dpi=DPI, resumed_after=None):
    """Write loss (left), accuracies (middle) and the learning rate of each epoch (right: its schedule) as a
    picture (.png, .svg, .pdf, .jpg, ...: see plot_formats; a raster one at `dpi`), atomically; a loss spanning
    more than LOG_SPAN is drawn on a log axis, the x axes count in whole numbers. `resumed_after`: the epoch a
    resumed run went on from, marked on every panel."""
    matplotlib_ready(path)
    problem = plot_format_problem(path, "cannot write")
    if problem:
        raise GraphscopeError(problem)
    from ..util.atomic import atomic_write
    fmt = os.path.splitext(str(path))[1].lower().lstrip(".")
    fig = training_figure(history, resumed_after)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi)
    with atomic_write(path, "plot") as f:
        f.write(buf.getvalue())
    return path


def training_figure(history, resumed_after=None):
    """The matplotlib Figure save_training_plot writes: loss, accuracy and learning-rate panels, in that order."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    fig = Figure(figsize=(13, 4))
    left, middle, right = fig.subplots(1, 3, gridspec_kw={"width_ratios": (4, 4, 3)})
    left.plot(range(1, len(history.loss) + 1), history.loss, lw=0.8, label="loss per iteration")
    if log_scale(history.loss):
        left.set_yscale("log")
    _panel(left, "loss", "iteration", "loss")
    epochs = range(1, len(history.lr) + 1)
    for key, label in (("train_acc", "train"), ("val_acc", "validation")):
        values = getattr(history, key, [])
        if any(v is not None for v in values):
            middle.plot(epochs, [float("nan") if v is None else v for v in values], label=label,
                        marker="o" if len(epochs) <= MARKED_EPOCHS else None, ms=3)
    _panel(middle, "accuracy", "epoch", "accuracy")
    _lr_panel(right, history.lr)
    if resumed_after:
        per = history.settings.get("iterations_per_epoch") if hasattr(history, "settings") else None
        marks = [(middle, resumed_after + 0.5), (right, resumed_after + 0.5)]
        if per:
            marks.append((left, resumed_after * per + 0.5))
        for ax, x in marks:
            ax.axvline(x, color="0.35", ls="--", lw=1,
                       label=f"resumed after epoch {resumed_after}" if ax is middle else None)
    if middle.get_legend_handles_labels()[0]:
        middle.legend(framealpha=1, fontsize="small")
    fig.tight_layout()
    return fig
