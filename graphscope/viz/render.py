"""Running Graphviz's `dot` program: one clear message when it is missing, fails or crashes; runs that can be stopped."""
import os
import re
import shutil
import signal
import subprocess
import sys
import threading


from ..engine.errors import GraphscopeError
from .reproducible import steady

#: Output formats `dot` renders for us (DOT text itself needs no program).
RENDERED = ("svg", "png", "pdf")

#: Graphviz's install command on each kind of system, by how it is recognised (see install_command).
INSTALL_COMMANDS = {"conda": "conda install -c conda-forge graphviz", "debian": "sudo apt-get install graphviz",
                    "fedora": "sudo dnf install graphviz", "macos": "brew install graphviz",
                    "windows": "winget install graphviz"}
#: Where to find Graphviz on a system not recognised.
DOWNLOAD_URL = "https://graphviz.org/download/"
#: What needs no `dot`, said after what does.
WITHOUT_DOT = "without it, .dot and .onnx files and the walk as text (graphscope demo --text) still work"


def system_kind(environ=None, platform=None, os_release="/etc/os-release"):
    """'conda' (in a conda environment), 'macos', 'windows', 'debian' (Debian, Ubuntu and their kin), 'fedora'
    (Fedora, RHEL and their kin), or None for a system not recognised."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if environ.get("CONDA_PREFIX"):
        return "conda"
    if platform == "darwin":
        return "macos"
    if platform.startswith("win"):
        return "windows"
    try:
        with open(os_release, encoding="utf-8", errors="replace") as f:
            fields = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    except OSError:
        fields = {}
    family = " ".join(fields.get(k, "").strip('"').lower() for k in ("ID", "ID_LIKE")).split()
    if any(name in family for name in ("debian", "ubuntu")):
        return "debian"
    if any(name in family for name in ("fedora", "rhel", "centos")):
        return "fedora"
    return None


def install_command(kind="this system"):
    """The command that installs Graphviz on `kind` (a system_kind; by default this system), or None for a
    system not recognised."""
    return INSTALL_COMMANDS.get(system_kind() if kind == "this system" else kind)


def install_advice(kind="this system"):
    """'install it with `COMMAND`' for `kind` (install_command), else 'install it from' the download page."""
    command = install_command(kind)
    return f"install it with `{command}`" if command else f"install it from {DOWNLOAD_URL}"


def missing_message(needs="SVG, PNG and PDF pictures", kind="this system"):
    """Two lines: what needs Graphviz's `dot` and how to install it here; what works without it."""
    return f"{needs} need Graphviz's `dot` program, which is not on the PATH: {install_advice(kind)}\n{WITHOUT_DOT}"


class GraphvizMissing(GraphscopeError, RuntimeError):
    """Graphviz's `dot` program is not installed (needed for SVG, PNG and PDF)."""


class RenderError(GraphscopeError, RuntimeError):
    """`dot` ran but failed."""


def dot_program(needs="SVG, PNG and PDF pictures"):
    """The path of `dot`, or raise GraphvizMissing saying that `needs` (what was asked for) needs it and how to
    install it (to fail before any work)."""
    path = shutil.which("dot")
    if path is None:
        raise GraphvizMissing(missing_message(needs))
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

