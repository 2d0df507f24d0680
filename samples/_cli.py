"""The samples' one command line: ``python samples/NAME.py [--fast] [--plot PATH] [--no-terminal-plot]``.

- ``--fast`` (or the environment variable GRAPHSCOPE_FAST=1): every sample
  takes it; a sample that trains or measures runs smaller (what CI runs), an
  instant one runs as it would anyway.
- ``--plot PATH``: a sample that draws figures writes them as PNG into the
  folder PATH (made if missing), each under its own name; one that draws a
  single figure also takes a file name ending in .png, .svg or .pdf. A sample
  that draws nothing says so in ``--help`` and refuses ``--plot`` in one line.
- ``--no-terminal-plot``: skip the curves a sample draws in the terminal.

Every bad ``--plot`` is refused before the sample runs (exit status 2).
The samples import this module by name (their own folder is on the path when
Python or graphscope runs them).
"""
import argparse
import importlib.util
import os
import sys

import numpy as np

#: The picture formats a single figure may be written as (matplotlib writes each).
PICTURE_ENDINGS = (".png", ".svg", ".pdf")
INSTANT = "accepted like every sample's --fast; this sample is instant either way"


def parse_args(sample_file, doc, argv=None, fast=INSTANT, figures=(), terminal=False, add_options=None,
               known_only=False):
    """The sample's options, parsed: ``fast`` (bool), ``plot`` (a Plot, false when not given) and, with
    `terminal`, ``no_terminal_plot``.

    `sample_file` is the sample's ``__file__``, `doc` its docstring (shown by --help), `fast` what --fast does
    in it, `figures` the file names of the figures it draws, `terminal` whether it draws curves in the terminal;
    `add_options(parser)` adds its own options. With `known_only`, returns ``(args, the arguments left over)``.
    """
    prog = os.path.basename(sample_file)
    parser = argparse.ArgumentParser(prog=prog, description=doc.strip(), epilog=_figures_text(figures),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help=f"{fast} (also GRAPHSCOPE_FAST=1)")
    if figures:
        what = (f"write the figure into the folder PATH (as {figures[0]}) or to a file ending in .png, .svg or .pdf"
                if len(figures) == 1 else "write the figures into the folder PATH (made if missing)")
        parser.add_argument("--plot", metavar="PATH", help=what)
    else:
        parser.add_argument("--plot", metavar="PATH", help="not taken: this sample draws no figures")
    if terminal:
        parser.add_argument("--no-terminal-plot", action="store_true", help="skip the curves drawn in the terminal")
    if add_options:
        add_options(parser)
    args, rest = parser.parse_known_args(argv) if known_only else (parser.parse_args(argv), [])
    args.fast = args.fast or os.environ.get("GRAPHSCOPE_FAST") == "1"
    problem = None if args.plot is None else plot_problem(args.plot, figures, prog)
    if problem:
        parser.error(problem)
    args.plot = Plot(args.plot, figures, prog)
    return (args, rest) if known_only else args


def _figures_text(figures):
    if not figures:
        return "Figures: none; this sample draws no figures, so it takes no --plot."
    return f"Figures (--plot PATH): {', '.join(figures)}."


def plot_problem(given, figures, prog):
    """What is wrong with --plot `given` for a sample drawing `figures`, in one line; None when it can be written."""
    where = f"--plot {given}"
    if not figures:
        return f"{where}: {prog} draws no figures (it prints its findings as text); run it without --plot"
    if importlib.util.find_spec("matplotlib") is None:
        return f"{where}: the figures need matplotlib: pip install 'graphscope[plot]'"
    if _is_file_name(given):
        if len(figures) > 1:
            return (f"{where}: {prog} draws {len(figures)} figures ({', '.join(figures)}); give a folder to "
                    f"write them into, e.g. --plot figures")
        if not given.lower().endswith(PICTURE_ENDINGS):
            return f"{where}: give a folder, or a file ending in {', '.join(PICTURE_ENDINGS)}"
        folder = os.path.dirname(given) or "."
        if not os.path.isdir(folder):
            return f"{where}: there is no folder {folder}"
    else:
        if os.path.exists(given) and not os.path.isdir(given):
            return f"{where}: is a file; give a folder to write the figures into"
        try:
            os.makedirs(given, exist_ok=True)
        except OSError as exc:
            return f"{where}: cannot make the folder ({exc.strerror})"
        folder = given
    if not os.access(folder, os.W_OK):
        return f"{where}: the folder {folder} is not writable"
    return None


def _is_file_name(given):
    """A path with a file ending (figure.png, a.txt) names a file; anything else (figs, figs/, ./out) a folder."""
    if os.path.isdir(given) or given.endswith(("/", os.sep)):
        return False
    return bool(os.path.splitext(os.path.basename(given))[1])


class Plot:
    """Where --plot puts each figure: into the folder given, under the figure's own name, or the one file given.
    False when --plot was not given."""

    def __init__(self, given, figures, prog="sample"):
        self.given, self.figures = given, tuple(figures)
        self.prog = prog

    def __bool__(self):
        return self.given is not None

    def path(self, figure):
        """Where `figure` (one of the sample's figure names) is written."""
        if figure not in self.figures:
            raise ValueError(f"{figure} is not one of this sample's figures: {', '.join(self.figures)}")
        return self.given if _is_file_name(self.given) else os.path.join(self.given, figure)

    def write(self, figure, draw):
        """``draw(path)`` writes `figure` and this says where; a failure (a full disk, a folder gone) ends the run
        in one line."""
        from graphscope import GraphscopeError
        path = self.path(figure)
        try:
            draw(path)
        except GraphscopeError as exc:
            raise SystemExit(f"{self.prog}: {exc}") from None
        print(f"wrote {path}")
        return path

    def curves(self, figure, series, title, xlabel="epoch", ylabel="", logy=False):
        """Write ``{label: values}`` as line plots, one line per label, as `figure`."""
        from graphscope.viz.figures import save_curves
        return self.write(figure, lambda path: save_curves(series, path, title, xlabel=xlabel, ylabel=ylabel,
                                                           logy=logy))


def terminal_plot(series, title, xlabel="epoch", ylabel="", logy=False, args=None):
    """Draw ``{label: values}`` as lines in the terminal with plotext (skipped with --no-terminal-plot);
    non-finite values are left out, colour codes only on a terminal."""
    if args is not None and getattr(args, "no_terminal_plot", False):
        return
    import plotext as plt
    plt.clear_figure()
    plt.plotsize(72, 18)
    plt.theme("clear")
    for label, values in series.items():
        values = np.asarray(values, dtype=float)
        keep = np.isfinite(values)
        xs = np.arange(1, len(values) + 1)[keep]
        plt.plot(list(xs), list(values[keep]), label=label)
    if logy:
        plt.yscale("log")
    plt.title(title)
    plt.xlabel(xlabel)
    plt.ylabel(ylabel)
    text = plt.build()
    plt.clear_figure()
    print(text if sys.stdout.isatty() else plt.uncolorize(text))  # no colour codes in a pipe or a file


def explore(sample_file, doc, build, argv=None):
    """What ``python samples/NAME.py`` does for a sample made to be explored by graphscope's commands: record its
    graph, say what it holds, and name the commands that step through it, draw it and check it."""
    parse_args(sample_file, doc, argv)
    with np.errstate(all="ignore"):  # a sample may make inf or NaN on purpose: `graphscope check` tells where
        out = build()
    name = os.path.basename(sample_file)
    path = os.path.join("samples", name)
    value = f"{out.item():.6g}" if np.size(out.value) == 1 else f"shape {np.shape(out.value)}"
    finite = "" if np.all(np.isfinite(out.value)) else " (not finite: `graphscope check` names the node that made it)"
    print(f"{name} records a graph of {len(out.graph())} nodes; its output {out.name} = {value}{finite}. "
          f"Explore it with:")
    for command in (f"graphscope tui {path}", f"graphscope demo {path}",
                    f"graphscope export {path} -o {name[:-3]}.svg", f"graphscope check {path}"):
        print(f"    {command}")
    return 0
