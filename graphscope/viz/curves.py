"""Training curves: loss per iteration and accuracy per epoch, in the terminal (plotext) or as a picture
(matplotlib, the optional ``plot`` extra). Takes any object with a History's lists (``loss``,
``train_acc``, ``val_acc``, ``lr``), so it does not depend on the trainer."""
import io

from ..engine.errors import GraphscopeError


def terminal_curve(history, width=72, height=16, color=False):
    """The loss per iteration (and its mean per epoch) as text, drawn by plotext; '' with nothing to draw.

    `color=False` leaves out the terminal colour codes (for pipes and files).
    """
    import plotext as plt
    if not history.loss:
        return ""
    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    plt.plot(list(range(1, len(history.loss) + 1)), list(history.loss), label="loss per iteration",
             marker="braille")
    means = history.epoch_loss() if hasattr(history, "epoch_loss") else []
    per = history.settings.get("iterations_per_epoch") if hasattr(history, "settings") else None
    if means and per and len(means) > 1:
        plt.plot([min(len(history.loss), (e + 1) * per) for e in range(len(means))], means,
                 label="mean per epoch", marker="dot")
    plt.xlabel("iteration")
    plt.title("training loss")
    text = plt.build()
    plt.clear_figure()
    return text if color else plt.uncolorize(text)


def save_training_plot(history, path):
    """Write loss (left) and accuracies (right) as a PNG/SVG/PDF picture, atomically."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise GraphscopeError(f"cannot write {path}: the plot needs matplotlib: "
                              f"pip install -e '.[plot]' (in graphscope's checkout)") from None
    from ..util.atomic import atomic_write
    fig = Figure(figsize=(10, 4), dpi=100)
    left, right = fig.subplots(1, 2)
    left.plot(range(1, len(history.loss) + 1), history.loss, lw=0.8, label="loss per iteration")
    left.set_xlabel("iteration")
    left.set_ylabel("loss")
    left.set_title("loss")
    left.grid(alpha=0.3)
    epochs = range(1, len(history.lr) + 1)
    for key, label in (("train_acc", "train"), ("val_acc", "validation")):
        values = getattr(history, key, [])
        if any(v is not None for v in values):
            right.plot(epochs, [float("nan") if v is None else v for v in values], marker="o", ms=3, label=label)
    from matplotlib.ticker import MaxNLocator
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_xlabel("epoch")
    right.set_ylabel("accuracy")
    right.set_title("accuracy")
    right.grid(alpha=0.3)
    if right.has_data():
        right.legend()
    fig.tight_layout()
    fmt = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else "png"
    if fmt not in ("png", "svg", "pdf"):
        raise GraphscopeError(f"cannot write {path}: the plot is written as .png, .svg or .pdf")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    with atomic_write(path, "plot") as f:
        f.write(buf.getvalue())
    return path
