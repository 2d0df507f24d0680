"""Figures for experiments that compare runs: several named curves in one plot, per-layer histograms, and
paths drawn over a 2-D loss surface, as pictures (matplotlib, the optional ``plot`` extra) written atomically
in the format their file name ends in (.png, .svg, .pdf), PNGs at DPI dots per inch (sharp on a projector).
The same curves as text: textplot.text_curves. Plain numbers in, so nothing here depends on the trainer."""
import os

import numpy as np

from ..engine.errors import GraphscopeError

#: The formats a figure is written in, named by its file's ending.
FORMATS = ("png", "svg", "pdf")
#: Dots per inch of a PNG: a 7-inch-wide figure is 1400 pixels, sharp on a 1920-pixel projector.
DPI = 200
#: One marker per curve (every few points), so that curves differ in a grey print as well as in colour.
CURVE_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: Marks per curve at most (a marker on each of 500 iterations would hide the line).
MARKS_PER_CURVE = 12


def figure_format(path):
    """The format `path` is written in (its ending), or a GraphscopeError naming the ones written."""
    fmt = os.path.splitext(str(path))[1].lower().lstrip(".")
    if fmt not in FORMATS:
        raise GraphscopeError(f"cannot write {path}: a figure is written as " + ", ".join(f".{f}" for f in FORMATS))
    return fmt


def matplotlib_ready(path, what="cannot write"):
    """Before matplotlib is imported to write `path`: a writable folder for its settings (util.mplconfig), or a
    GraphscopeError in one line starting with `what` and `path`."""
    from ..util.mplconfig import matplotlib_folder_problem
    problem = matplotlib_folder_problem(near=path)
    if problem:
        raise GraphscopeError(f"{what} {path}: {problem}")


def new_figure(path, figsize):
    """An empty matplotlib Figure (constrained layout) for `path`, refusing an ending it cannot write."""
    figure_format(path)
    matplotlib_ready(path)
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise GraphscopeError(f"cannot write {path}: the plot needs matplotlib: "
                              f"pip install -e '.[plot]' (in graphscope's checkout)") from None
    return Figure(figsize=figsize, layout="constrained")


def write_figure(fig, path, dpi=DPI):
    """Write `fig` to `path` in the format its ending names (PNG at `dpi`), atomically; returns `path`."""
    import io
    from ..util.atomic import atomic_write
    buf = io.BytesIO()
    fig.savefig(buf, format=figure_format(path), dpi=dpi, bbox_inches="tight")
    with atomic_write(path, "plot") as f:
        f.write(buf.getvalue())
    return path


def whole_number_axis(axis):
    """Ticks at whole numbers only (epochs, iterations, layers: never 2.5), as many as the axis has room for, and
    from 10,000 on written short ('35k'), so that the labels of a long run never run into each other."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator
    axis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True, min_n_ticks=2))
    axis.set_major_formatter(FuncFormatter(lambda value, position: count_label(value, axis.get_view_interval()[1])))


def count_label(value, largest):
    """A count as the label of an axis reaching `largest`: '800', '9500'; in thousands ('5k', '35k') on an axis
    reaching 10,000, in millions ('0.5M') on one reaching 1,000,000."""
    for size, scale, suffix in ((1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(largest) >= size:
            return "0" if value == 0 else f"{value / scale:.3g}{suffix}"
    return f"{value:.0f}"


def save_curves(curves, path, title="", xlabel="iteration", ylabel="loss", logy=False, dpi=DPI):
    """`curves` maps a label to a list of numbers (one per x = 1, 2, ...): all drawn in one plot, each with its
    own colour and marker, the x axis in whole numbers."""
    fig = new_figure(path, (7, 4.5))
    ax = fig.subplots()
    for i, (label, ys) in enumerate(curves.items()):
        ax.plot(range(1, len(ys) + 1), ys, lw=1.2, label=label, marker=CURVE_MARKERS[i % len(CURVE_MARKERS)],
                ms=4, markevery=max(1, len(ys) // MARKS_PER_CURVE))
    if logy:
        ax.set_yscale("log")
    whole_number_axis(ax.xaxis)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    return write_figure(fig, path, dpi)


#: A histogram narrower than this share of its row's x range is drawn as a marked spike: its bars would be
#: thinner than a pixel, and the panel would read as empty.
SPIKE_SHARE = 0.02
HIST_COLOR, SPIKE_COLOR = "#4c6ef5", "#e8590c"
#: The y axis reaches this many times the tallest bar, leaving the top for the panel's note.
HEADROOM = 1.35


def save_histograms(rows, path, title="", dpi=DPI):
    """`rows` maps a row label to a list of (panel title, summary): a Histogram (``counts``, ``edges``) or
    anything with a ``histogram`` and a ``std`` (gs.layer_stats' summaries, whose std each panel shows).

    One row of small histograms per label (e.g. one init), one panel per layer, on one x range per row
    (so a spread that shrinks from layer to layer is seen shrinking). Values all within a sliver of that
    range are drawn as a marked spike and their range written out, never as an empty panel.
    """
    n_rows = len(rows)
    n_cols = max(len(panels) for panels in rows.values())
    fig = new_figure(path, (1.9 * n_cols + 1, 1.8 * n_rows + 0.8))
    axes = np.atleast_2d(fig.subplots(n_rows, n_cols, squeeze=False))
    for r, (label, panels) in enumerate(rows.items()):
        hists = [getattr(summary, "histogram", summary) for _, summary in panels]
        finite = [e for h in hists for e in np.asarray(h.edges)[[0, -1]] if np.isfinite(e)]
        span = (min(finite), max(finite)) if finite else None
        for c in range(n_cols):
            ax = axes[r, c]
            if c >= len(panels):
                ax.set_axis_off()
                continue
            name, summary = panels[c]
            _histogram_panel(ax, hists[c], span, getattr(summary, "std", None))
            if r == 0:
                ax.set_title(name, fontsize=10)
            if c == 0:
                ax.set_ylabel(label, fontsize=10)
    if title:
        fig.suptitle(title, fontsize=12)
    return write_figure(fig, path, dpi)


def _histogram_panel(ax, hist, span, std):
    """One histogram on the row's x range `span`: bars, or a marked spike when they would be too thin to see;
    its std (when known) written in a corner."""
    from matplotlib.ticker import MaxNLocator
    edges, counts = np.asarray(hist.edges, dtype=float), np.asarray(hist.counts)
    ax.set_yticks([])
    ax.tick_params(labelsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(3))
    notes = [f"std {std:.2g}"] if std is not None and np.isfinite(std) else []
    if not np.isfinite(edges).all():
        notes = ["no finite values"]
    else:
        full = span[1] - span[0] if span else 0.0
        if full > 0:
            ax.set_xlim(*span)
        low, high = edges[0], edges[-1]
        ax.set_ylim(0, HEADROOM * max(counts.max(), 1))  # room for the note above the bars
        if full > 0 and high - low < SPIKE_SHARE * full:
            ax.bar((low + high) / 2, counts.sum(), width=SPIKE_SHARE * full, color=SPIKE_COLOR)
            ax.set_ylim(0, HEADROOM * counts.sum())
            notes.append(f"all within \u00b1{max(-low, high):.1e}" if low <= 0 <= high
                         else f"all in [{low:.2g}, {high:.2g}]")
        else:
            ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=HIST_COLOR)
    if notes:
        ax.text(0.03, 0.97, "\n".join(notes), transform=ax.transAxes, va="top", ha="left", fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})


def save_surface_paths(loss, paths, path, bounds, title="", dpi=DPI):
    """Contours of ``loss(x, y)`` (vectorized over grids) within ``bounds`` = (x0, x1, y0, y1), and each
    named path (a list of (x, y) points) drawn over them."""
    fig = new_figure(path, (7, 5))
    ax = fig.subplots()
    x0, x1, y0, y1 = bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    ax.contour(gx, gy, loss(gx, gy), levels=np.geomspace(0.01, float(loss(gx, gy).max()), 25), colors="#adb5bd",
               linewidths=0.6)
    for label, points in paths.items():
        p = np.asarray(points)
        ax.plot(p[:, 0], p[:, 1], marker=".", ms=3, lw=1, label=label)
    ax.plot([0], [0], "k*", ms=10)
    ax.set(title=title, xlabel="w1", ylabel="w2", xlim=(x0, x1), ylim=(y0, y1))
    ax.legend(fontsize=8)
    return write_figure(fig, path, dpi)


def save_scatter(panels, path, xlabel, ylabel, value, dpi=DPI):
    """`panels` maps a title to points (x, y, value, kind): one log-log panel each, points coloured by
    value (the same colour scale in every panel), kinds drawn with their own marker."""
    fig = new_figure(path, (5 * len(panels), 4))
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    values = [p[2] for points in panels.values() for p in points]
    lo, hi = (min(values), max(values)) if values else (0, 1)
    markers = {}
    for ax, (title, points) in zip(axes, panels.items()):
        for kind in dict.fromkeys(p[3] for p in points):
            mine = [p for p in points if p[3] == kind]
            shown = ax.scatter([p[0] for p in mine], [p[1] for p in mine], c=[p[2] for p in mine], vmin=lo,
                               vmax=hi, cmap="viridis", marker=markers.setdefault(kind, "os^D"[len(markers) % 4]),
                               label=kind, edgecolors="k", linewidths=0.4)
        ax.set(xscale="log", yscale="log", title=title, xlabel=xlabel, ylabel=ylabel)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    if values:
        fig.colorbar(shown, ax=list(axes), label=value)
    return write_figure(fig, path, dpi)
