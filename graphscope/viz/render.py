"""Running Graphviz's `dot` program: one clear message when it is missing, fails or crashes; runs that can be stopped."""
import re
import shutil
import signal
import subprocess
import threading


from ..engine.errors import GraphscopeError
from .reproducible import steady

#: Output formats `dot` renders for us (DOT text itself needs no program).
RENDERED = ("svg", "png", "pdf")

INSTALL_HINT = ("install Graphviz and make sure `dot` is on your PATH:\n"
                "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
                "  Fedora:         sudo dnf install graphviz\n"
                "  macOS:          brew install graphviz\n"
                "  conda:          conda install -c conda-forge graphviz\n"
                "  Windows:        winget install graphviz\n"
                "(.dot output works without it: open it later with any Graphviz viewer)")
MISSING = f"Graphviz's `dot` program was not found, so SVG, PNG and PDF cannot be drawn; {INSTALL_HINT}"


class GraphvizMissing(GraphscopeError, RuntimeError):
    """Graphviz's `dot` program is not installed (needed for SVG, PNG and PDF)."""


class RenderError(GraphscopeError, RuntimeError):
    """`dot` ran but failed."""


def dot_program():
    """The path of `dot`, or raise GraphvizMissing saying how to install it (to fail before any work)."""
    path = shutil.which("dot")
    if path is None:
        raise GraphvizMissing(MISSING)
    return path


def have_dot():
    """True when Graphviz's `dot` program is on the PATH."""
    return shutil.which("dot") is not None


def render(graph, fmt, dpi=None):
    """`graph` (a graphviz.Digraph, or DOT text) drawn by `dot` as 'svg', 'png' or 'pdf' bytes, the same bytes
    every time (reproducible.steady)."""
    if fmt not in RENDERED:
        raise RenderError(f"cannot render {fmt!r}; formats: {', '.join(RENDERED)}")
    if not isinstance(graph, str) and dpi and fmt == "png":
        graph = graph.copy()
        graph.attr(dpi=str(int(dpi)))
    return steady(run_dot(_source(graph), fmt), fmt)


def _source(graph):
    return graph if isinstance(graph, str) else graph.source


_SVG_END = re.compile(rb"</svg>\s*")


def render_svgs(graphs):
    """Several graphs (Digraphs or DOT texts) through one `dot -Tsvg` run (much faster than one run each);
    returns str SVGs."""
    if not graphs:
        return []
    out = steady(run_dot("".join(map(_source, graphs)), "svg"), "svg")
    docs = []
    start = 0
    for m in _SVG_END.finditer(out):
        docs.append(out[start:m.end()].decode("utf-8"))
        start = m.end()
    if len(docs) != len(graphs):
        raise RenderError(f"dot returned {len(docs)} pictures for {len(graphs)} graphs")
    return docs


class DotCrashed(RenderError):
    """`dot` was killed by a signal (a segmentation fault, most often on a graph too large for it)."""

    def __init__(self, message, signal_name):
        super().__init__(message)
        self.signal_name = signal_name


class Cancelled(GraphscopeError):
    """The run of `dot` was cancelled (its DotJob's cancel()): nobody wants its result any more."""


class DotJob:
    """A handle on runs of `dot` that another thread may stop: cancel() kills the program now running (and
    makes later runs raise Cancelled at once), so quitting never waits for a layout."""

    def __init__(self):
        self._lock = threading.Lock()
        self._process = None
        self.cancelled = False

    def cancel(self):
        with self._lock:
            self.cancelled = True
            if self._process is not None and self._process.poll() is None:
                self._process.kill()

    def _started(self, process):
        with self._lock:
            self._process = process
            if self.cancelled:
                process.kill()


def signal_name(number):
    """'SIGSEGV (segmentation fault)' for signal `number` ('signal 99' for one this system does not name)."""
    try:
        sig = signal.Signals(number)
    except ValueError:
        return f"signal {number}"
    description = signal.strsignal(sig)
    return f"{sig.name} ({description.lower()})" if description else sig.name


def run_dot(source, fmt, job=None):
    """`dot -T<fmt>` on DOT text `source`: its output bytes. Raises GraphvizMissing, RenderError (dot said what
    is wrong), DotCrashed (dot was killed by a signal) or Cancelled (`job` was cancelled)."""
    if job is not None and job.cancelled:
        raise Cancelled("dot was not run: cancelled")
    try:
        process = subprocess.Popen([dot_program(), f"-T{fmt}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
    except OSError as exc:
        raise RenderError(f"could not run dot: {exc}") from None
    if job is not None:
        job._started(process)
    try:
        out, err = process.communicate(source.encode("utf-8"))
    except BaseException:  # Ctrl-C or an error here: dot must not live on
        process.kill()
        process.wait()
        raise
    if job is not None and job.cancelled:
        raise Cancelled("dot was stopped: cancelled")
    if process.returncode < 0:
        said = err.decode("utf-8", "replace").strip()
        name = signal_name(-process.returncode)
        raise DotCrashed(f"dot crashed: killed by {name}" + (f"; it printed: {said.splitlines()[-1]}" if said else ""),
                         name.split(" ", 1)[0])
    if process.returncode:
        message = err.decode("utf-8", "replace").strip()
        raise RenderError(f"dot failed (exit {process.returncode}): {message}")
    return out

