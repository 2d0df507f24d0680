"""Running Graphviz's `dot` program: found up front, one clear message when it is missing."""
import re
import shutil
import subprocess

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


class GraphvizMissing(GraphscopeError, RuntimeError):
    """Graphviz's `dot` program is not installed (needed for SVG, PNG and PDF)."""


class RenderError(GraphscopeError, RuntimeError):
    """`dot` ran but failed."""


def dot_program():
    """The path of `dot`, or raise GraphvizMissing saying how to install it."""
    path = shutil.which("dot")
    if path is None:
        raise GraphvizMissing(f"Graphviz's `dot` program was not found, so SVG, PNG and PDF cannot be drawn; "
                              f"{INSTALL_HINT}")
    return path


def have_dot():
    """True when Graphviz's `dot` program is on the PATH."""
    return shutil.which("dot") is not None


def render(source, fmt, dpi=None, timeout=300):
    """Run `dot -T<fmt>` on DOT text; returns the output bytes."""
    if fmt not in RENDERED:
        raise RenderError(f"cannot render {fmt!r}; formats: {', '.join(RENDERED)}")
    cmd = [dot_program(), f"-T{fmt}"]
    if dpi and fmt == "png":
        cmd.append(f"-Gdpi={int(dpi)}")
    try:
        proc = subprocess.run(cmd, input=source.encode("utf-8"), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RenderError(f"dot took more than {timeout} s; draw fewer nodes (--depth N, --collapse SCOPE)") from None
    except OSError as exc:
        raise RenderError(f"could not run dot: {exc}") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"dot failed (exit {proc.returncode}): {message}")
    return proc.stdout


_SVG_END = re.compile(rb"</svg>\s*")


def render_svgs(sources, timeout=600):
    """Several DOT graphs through one `dot -Tsvg` run (much faster than one run each); returns str SVGs."""
    if not sources:
        return []
    out = render("".join(sources), "svg", timeout=timeout)
    docs = []
    start = 0
    for m in _SVG_END.finditer(out):
        docs.append(out[start:m.end()].decode("utf-8"))
        start = m.end()
    if len(docs) != len(sources):
        raise RenderError(f"dot returned {len(docs)} pictures for {len(sources)} graphs")
    return docs
