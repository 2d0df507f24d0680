"""The samples' one command line: ``python samples/NAME.py [--fast] [--plot PATH] [--dpi N] [--no-terminal-plot]``.

- ``--fast`` (or the environment variable GRAPHSCOPE_FAST=1): every sample
  takes it; a sample that trains or measures runs smaller (what CI runs), an
  instant one runs as it would anyway.
- ``--plot PATH``: a sample that draws figures writes them as PNG into the
  folder PATH (made if missing), each under its own name; given a file name
  ending in .png, .svg or .pdf it writes that format: the one figure to that
  file, or several next to it, each named after it and the figure
  (``--plot slides/vg.svg``: slides/vg_histograms.svg, slides/vg_stds.svg;
  the folder is made if missing). A sample that draws nothing says so in
  ``--help`` and refuses ``--plot`` in one line.
- ``--dpi N``: the PNGs' resolution (default 200: sharp on a projector).
- ``--no-terminal-plot``: skip the curves a sample draws in the terminal; a
  sample that draws none says so in ``--help`` and refuses it in one line.

Every bad ``--plot``, ``--dpi`` or ``--no-terminal-plot`` is refused in one line
(``NAME.py: --dpi 5: ...``), before the sample runs, with exit status 2.
The samples import this module by name (their own folder is on the path when
Python or graphscope runs them).
"""
import argparse
import importlib.util
import os
import shutil
import sys
import textwrap

import numpy as np

from graphscope.util.closedpipe import reader_may_leave_for_good
from graphscope.util.mplconfig import matplotlib_folder_problem
from graphscope.util.terminal import colour_allowed, safe_streams

#: The picture formats a figure may be written as (matplotlib writes each).
PICTURE_ENDINGS = (".png", ".svg", ".pdf")
#: The default resolution of a PNG figure, and the range --dpi takes.
DPI, DPI_RANGE = 200, (50, 1200)
INSTANT = "accepted like every sample's --fast; this sample is instant either way"
#: Why a sample that draws no curves in the terminal refuses --no-terminal-plot (a sample may say its own).
NO_TERMINAL_PLOT = "draws no curves in the terminal (it prints its findings as text)"


def start_up():
    """What a sample run as a script does first, as the graphscope command does: standard output and error never
    fail on a glyph their encoding cannot hold (written in ASCII instead), and a reader that leaves (``| head``)
    changes nothing: the sample runs to its end, with its own exit status."""
    safe_streams()
    reader_may_leave_for_good()


def parse_args(sample_file, doc, argv=None, fast=INSTANT, figures=(), terminal=False, add_options=None,
               known_only=False, dpi=True):
    """The sample's options, parsed: ``fast`` (bool), ``plot`` (a Plot, false when not given) and, with
    `terminal`, ``no_terminal_plot``.

    `sample_file` is the sample's ``__file__``, `doc` its docstring (shown by --help), `fast` what --fast does
    in it, `figures` the file names of the figures it draws, `terminal` whether it draws curves in the terminal
    (or, as a string, why it takes no --no-terminal-plot), `dpi` whether it takes --dpi (given figures);
    `add_options(parser)` adds its own options. With `known_only`, returns ``(args, the arguments left over)``.
    A bad --plot, --dpi or --no-terminal-plot ends the run in one line (no usage), with exit status 2.
    """
    prog = os.path.basename(sample_file)
    parser = argparse.ArgumentParser(prog=prog, description=doc.strip(), epilog=_figures_text(figures),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help=f"{fast} (also GRAPHSCOPE_FAST=1)")
    if figures:
        what = (f"write the figure into the folder PATH (as {figures[0]}) or to a file ending in .png, .svg or .pdf"
                if len(figures) == 1 else
                "write the figures as PNG into the folder PATH (made if missing), or next to a file name ending in "
                ".png, .svg or .pdf, in its format (--plot figs/x.svg writes figs/x_NAME.svg for each figure)")
        parser.add_argument("--plot", metavar="PATH", help=what)
        if dpi:
            parser.add_argument("--dpi", metavar="N",
                                help=f"with --plot: the PNG figures' dots per inch, a whole number from "
                                     f"{DPI_RANGE[0]} to {DPI_RANGE[1]} (default {DPI}: sharp on a projector)")
    else:
        parser.add_argument("--plot", metavar="PATH", help="not taken: this sample draws no figures")
    no_terminal = None if terminal is True else (terminal or NO_TERMINAL_PLOT)
    parser.add_argument("--no-terminal-plot", action="store_true",
                        help=f"not taken: this sample {no_terminal}" if no_terminal else
                        "skip the curves drawn in the terminal")
    if add_options:
        add_options(parser)
    args, rest = parser.parse_known_args(argv) if known_only else (parser.parse_args(argv), [])
    args.fast = args.fast or os.environ.get("GRAPHSCOPE_FAST") == "1"
    problem = option_problem(args, figures, prog, sample_file, no_terminal)
    if problem:
        parser.exit(2, f"{prog}: {problem}\n")
    args.plot = Plot(args.plot, figures, prog, getattr(args, "dpi", None) or DPI)
    return (args, rest) if known_only else args


def option_problem(args, figures, prog, sample_file=None, no_terminal=None):
    """What is wrong with the parsed --plot, --dpi and --no-terminal-plot, in one line (None when nothing is);
    --dpi becomes a number. `no_terminal` is why the sample takes no --no-terminal-plot (None: it takes it)."""
    if args.no_terminal_plot and no_terminal:
        return f"--no-terminal-plot: {prog} {no_terminal}; run it without --no-terminal-plot"
    if getattr(args, "dpi", None) is not None:
        args.dpi, problem = _dpi(args.dpi)
        if problem:
            return problem
        if args.plot is None:
            return (f"--dpi {args.dpi} goes with --plot PATH (it sets the PNG figures' resolution); add --plot or "
                    f"leave it out")
    return None if args.plot is None else plot_problem(args.plot, figures, prog, sample_file)


def _dpi(text):
    """--dpi's value, (a whole number within DPI_RANGE, None) or (None, why not in one line)."""
    low, high = DPI_RANGE
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        return None, f"--dpi {text}: give a whole number of dots per inch from {low} to {high}"
    return value, None


def _figures_text(figures):
    if not figures:
        return "Figures: none; this sample draws no figures, so it takes no --plot."
    return f"Figures (--plot PATH): {', '.join(figures)}."


def plot_problem(given, figures, prog, sample_file=None):
    """What is wrong with --plot `given` for a sample drawing `figures`, in one line; None when it can be written
    (the folder tried for real, each figure's file passed through graphscope's output guard)."""
    from graphscope.cli.outputs import PLOT, replace_problem
    from graphscope.util.atomic import folder_problem, nearest_existing
    where = f"--plot {given}"
    if not figures:
        return f"{where}: {prog} draws no figures (it prints its findings as text); run it without --plot"
    if not given.strip():
        return "--plot needs a folder or a file name, e.g. --plot figures/"
    if importlib.util.find_spec("matplotlib") is None:
        return f"{where}: the figures need matplotlib: pip install -e '.[plot]' (in graphscope's checkout)"
    mpl_problem = matplotlib_folder_problem(near=given)
    if mpl_problem:
        return f"{where}: {mpl_problem}"
    if _is_file_name(given):
        if not given.lower().endswith(PICTURE_ENDINGS):
            return f"{where}: give a folder, or a file ending in {', '.join(PICTURE_ENDINGS)}"
        target = os.path.dirname(given) or "."
    else:
        if os.path.exists(given) and not os.path.isdir(given):
            return f"{where}: is a file; give a folder to write the figures into"
        target = given
    # missing folders are made by the first figure written (Plot.write): a run that fails leaves no empty folder
    folder = nearest_existing(target)
    missing = os.path.abspath(target) != folder
    if not os.path.isdir(folder):
        return f"{where}: cannot make the folder {target}: {folder} is a file, not a folder"
    problem = folder_problem(folder)
    if problem:
        return f"{where}: " + (f"cannot make the folder {target}: {folder} {problem}" if missing else
                               f"the folder {folder} {problem}")
    plot = Plot(given, figures, prog)
    for figure in figures:  # the folder is settled above (it may not exist yet): what each file would replace
        problem = replace_problem("--plot", plot.path(figure), PLOT, [sample_file] if sample_file else [])
        if problem:
            return problem
    return None


def _is_file_name(given):
    """A path with a file ending (figure.png, a.txt) names a file; anything else (figs, figs/, ./out) a folder."""
    if os.path.isdir(given) or given.endswith(("/", os.sep)):
        return False
    return bool(os.path.splitext(os.path.basename(given))[1])


class Plot:
    """Where --plot puts each figure, and at what resolution: into the folder given, under the figure's own name
    (PNG); to the one file given; or, for several figures and a file name, next to it in its format, named after
    it and the figure. False when --plot was not given."""

    def __init__(self, given, figures, prog="sample", dpi=DPI):
        self.given, self.figures = given, tuple(figures)
        self.prog, self.dpi = prog, dpi

    def __bool__(self):
        return self.given is not None

    def path(self, figure):
        """Where `figure` (one of the sample's figure names) is written."""
        if figure not in self.figures:
            raise ValueError(f"{figure} is not one of this sample's figures: {', '.join(self.figures)}")
        if not _is_file_name(self.given):
            return os.path.join(self.given, figure)
        if len(self.figures) == 1:
            return self.given
        stem, ending = os.path.splitext(self.given)
        return f"{stem}_{os.path.splitext(figure)[0]}{ending}"

    def write(self, figure, draw):
        """``draw(path, dpi)`` writes `figure` and this says where; a failure (a full disk, a folder gone) ends
        the run in one line."""
        from graphscope import GraphscopeError
        path = self.path(figure)
        try:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        except OSError as exc:
            raise SystemExit(f"{self.prog}: cannot make the folder {os.path.dirname(path)} ({exc.strerror})") from None
        try:
            draw(path, self.dpi)
        except GraphscopeError as exc:
            raise SystemExit(f"{self.prog}: {exc}") from None
        print(f"wrote {path}")
        return path

    def curves(self, figure, series, title, xlabel="epoch", ylabel="", logy=False):
        """Write ``{label: values}`` as line plots, one line per label, as `figure`."""
        from graphscope.viz.figures import save_curves
        return self.write(figure, lambda path, dpi: save_curves(series, path, title, xlabel=xlabel, ylabel=ylabel,
                                                                logy=logy, dpi=dpi))


def terminal_plot(series, title, xlabel="epoch", ylabel="", logy=False, args=None):
    """Draw ``{label: values}`` as lines in the terminal (graphscope.viz.textplot: a marker per curve, the legend
    under the plot, whole-number x ticks), skipped with --no-terminal-plot; non-finite values are left out,
    colour codes only on a terminal that shows them (not piped, no NO_COLOR, TERM not dumb)."""
    if args is not None and getattr(args, "no_terminal_plot", False):
        return
    from graphscope.viz.textplot import text_curves
    print(text_curves(series, title, xlabel=xlabel, ylabel=ylabel, logy=logy, color=colour_allowed(sys.stdout)))


def say(text):
    """Print `text` wrapped to the terminal's width (80 columns in a pipe), each line's continuation indented
    two spaces past the line's own indent, so no line is cut mid-word by the terminal."""
    width = max(40, shutil.get_terminal_size((80, 24)).columns - 1)
    print("\n".join(textwrap.fill(line, width, subsequent_indent=" " * (len(line) - len(line.lstrip(" ")) + 2),
                                   break_on_hyphens=False) for line in text.split("\n")))


def print_findings(findings, refuted="REFUTED"):
    """Print each (text, holds?) as '  confirmed: text' (or `refuted`), wrapped to the terminal's width (80
    columns in a pipe); True when every one holds."""
    width = max(40, shutil.get_terminal_size((80, 24)).columns - 1)
    for text, holds in findings:
        verdict = f"  {'confirmed' if holds else refuted:>9}: "
        print(textwrap.fill(text, width, initial_indent=verdict, subsequent_indent=" " * len(verdict)))
    return all(holds for _, holds in findings)


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


def _run_as_a_script():
    """True in `python samples/NAME.py`; False when a graphscope command or a test loads a sample (their streams
    are theirs)."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None) or ""
    return sys.stdout is sys.__stdout__ and \
        os.path.dirname(os.path.abspath(main_file)) == os.path.dirname(os.path.abspath(__file__))


if _run_as_a_script():
    start_up()
