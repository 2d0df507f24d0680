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


def save_training_plot(history, path, dpi=DPI):
    """Write loss (left) and accuracies (right) as a picture (.png, .svg, .pdf, .jpg, ...: see plot_formats; a
    raster one at `dpi`), atomically; a loss spanning more than LOG_SPAN is drawn on a log axis, both x axes count
    in whole numbers."""
    matplotlib_ready(path)
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise GraphscopeError(f"cannot write {path}: the plot needs matplotlib: "
                              f"pip install -e '.[plot]' (in graphscope's checkout)") from None
    from ..util.atomic import atomic_write
    problem = plot_format_problem(path, "cannot write")
    if problem:
        raise GraphscopeError(problem)
    fmt = os.path.splitext(str(path))[1].lower().lstrip(".")
    fig = Figure(figsize=(10, 4))
    left, right = fig.subplots(1, 2)
    left.plot(range(1, len(history.loss) + 1), history.loss, lw=0.8, label="loss per iteration")
    if log_scale(history.loss):
        left.set_yscale("log")
    left.set_xlabel("iteration")
    left.set_ylabel("loss")
    left.set_title("loss")
    left.grid(color="0.85")
    epochs = range(1, len(history.lr) + 1)
    for key, label in (("train_acc", "train"), ("val_acc", "validation")):
        values = getattr(history, key, [])
        if any(v is not None for v in values):
            right.plot(epochs, [float("nan") if v is None else v for v in values], marker="o", ms=3, label=label)
    whole_number_axis(left.xaxis)
    whole_number_axis(right.xaxis)
    right.set_xlabel("epoch")
    right.set_ylabel("accuracy")
    right.set_title("accuracy")
    right.grid(color="0.85")  # opaque colours only: PostScript has no transparency
    if right.has_data():
        right.legend(framealpha=1)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi)
    with atomic_write(path, "plot") as f:
        f.write(buf.getvalue())
    return path
