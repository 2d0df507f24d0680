"""Running Graphviz's `dot` program through the graphviz package: one clear message when it is missing."""
import re
import shutil

import graphviz

from ..engine.errors import GraphscopeError

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
    """`graph` (a graphviz.Digraph, or DOT text) drawn by `dot` as 'svg', 'png' or 'pdf' bytes."""
    if fmt not in RENDERED:
        raise RenderError(f"cannot render {fmt!r}; formats: {', '.join(RENDERED)}")
    if isinstance(graph, str):
        graph = graphviz.Source(graph)
    elif dpi and fmt == "png":
        graph = graph.copy()
        graph.attr(dpi=str(int(dpi)))
    return _run(graph.pipe, format=fmt, engine="dot", quiet=True)


_SVG_END = re.compile(rb"</svg>\s*")


def render_svgs(graphs):
    """Several graphs (Digraphs or DOT texts) through one `dot -Tsvg` run (much faster than one run each);
    returns str SVGs."""
    if not graphs:
        return []
    data = "".join(g if isinstance(g, str) else g.source for g in graphs).encode("utf-8")
    out = _run(graphviz.pipe, "dot", "svg", data, quiet=True)
    docs = []
    start = 0
    for m in _SVG_END.finditer(out):
        docs.append(out[start:m.end()].decode("utf-8"))
        start = m.end()
    if len(docs) != len(graphs):
        raise RenderError(f"dot returned {len(docs)} pictures for {len(graphs)} graphs")
    return docs


def _run(pipe, *args, **kwargs):
    """Call a graphviz pipe, turning its errors into GraphvizMissing / RenderError."""
    try:
        return pipe(*args, **kwargs)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing(MISSING) from None
    except graphviz.CalledProcessError as exc:
        message = (exc.stderr or b"").decode("utf-8", "replace").strip()
        raise RenderError(f"dot failed (exit {exc.returncode}): {message}") from None
    except OSError as exc:
        raise RenderError(f"could not run dot: {exc}") from None
