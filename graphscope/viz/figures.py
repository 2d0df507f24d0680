"""Figures for experiments that compare runs: several named curves in one plot, per-layer histograms, and
paths drawn over a 2-D loss surface. In the terminal (plotext) or as a picture (matplotlib, the optional
``plot`` extra), written atomically. Plain numbers in, so nothing here depends on the trainer."""
import numpy as np

from ..engine.errors import GraphscopeError


def _figure(path, figsize):
    if not str(path).lower().endswith((".png", ".svg", ".pdf")):
        raise GraphscopeError(f"cannot write {path}: the plot is written as .png, .svg or .pdf")
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise GraphscopeError(f"cannot write {path}: the plot needs matplotlib: "
                              f"pip install 'graphscope[plot]'") from None
    return Figure(figsize=figsize, dpi=100, layout="constrained")


def _save(fig, path):
    import io
    from ..util.atomic import atomic_write
    fmt = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else "png"
    if fmt not in ("png", "svg", "pdf"):
        raise GraphscopeError(f"cannot write {path}: the plot is written as .png, .svg or .pdf")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, bbox_inches="tight")
    with atomic_write(path, "plot") as f:
        f.write(buf.getvalue())
    return path


def save_curves(curves, path, title="", xlabel="iteration", ylabel="loss", logy=False):
    """`curves` maps a label to a list of numbers (one per x = 1, 2, ...): all drawn in one plot."""
    fig = _figure(path, (7, 4.5))
    ax = fig.subplots()
    for label, ys in curves.items():
        ax.plot(range(1, len(ys) + 1), ys, lw=1.2, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def terminal_curves(curves, title="", xlabel="iteration", width=72, height=18, color=False):
    """The same curves as text, drawn by plotext."""
    import plotext as plt
    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    for label, ys in curves.items():
        plt.plot(list(range(1, len(ys) + 1)), [float(y) for y in ys], label=label, marker="braille")
    plt.title(title)
    plt.xlabel(xlabel)
    text = plt.build()
    plt.clear_figure()
    return text if color else plt.uncolorize(text)


def save_histograms(rows, path, title=""):
    """`rows` maps a row label to a list of (panel title, Histogram with ``counts`` and ``edges``).

    One row of small histograms per label (e.g. one init), one panel per layer, on one x range per row
    (so a spread that shrinks from layer to layer is seen shrinking).
    """
    n_rows = len(rows)
    n_cols = max(len(panels) for panels in rows.values())
    fig = _figure(path, (1.6 * n_cols + 1, 1.5 * n_rows + 0.8))
    axes = np.atleast_2d(fig.subplots(n_rows, n_cols, squeeze=False))
    for r, (label, panels) in enumerate(rows.items()):
        finite = [e for _, h in panels for e in np.asarray(h.edges)[[0, -1]] if np.isfinite(e)]
        for c in range(n_cols):
            ax = axes[r, c]
            if c >= len(panels):
                ax.set_axis_off()
                continue
            name, hist = panels[c]
            edges = np.asarray(hist.edges)
            ax.bar(edges[:-1], hist.counts, width=np.diff(edges), align="edge", color="#4c6ef5")
            ax.set_yticks([])
            if finite:
                ax.set_xlim(min(finite), max(finite))
            ax.tick_params(labelsize=6)
            if r == 0:
                ax.set_title(name, fontsize=8)
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def save_surface_paths(loss, paths, path, bounds, title=""):
    """Contours of ``loss(x, y)`` (vectorized over grids) within ``bounds`` = (x0, x1, y0, y1), and each
    named path (a list of (x, y) points) drawn over them."""
    fig = _figure(path, (7, 5))
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
    return _save(fig, path)


def save_scatter(panels, path, xlabel, ylabel, value):
    """`panels` maps a title to points (x, y, value, kind): one log-log panel each, points coloured by
    value (the same colour scale in every panel), kinds drawn with their own marker."""
    fig = _figure(path, (5 * len(panels), 4))
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
    return _save(fig, path)
