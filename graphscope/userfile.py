"""Load what a user hands the CLI: a graph file (an ordinary Python file defining build()) or a saved graph."""
import importlib.util
import os
import sys
import traceback

from .engine.errors import GraphscopeError


class UserFileError(GraphscopeError):
    """A user's file is missing, does not define what a command needs, or failed to run."""


def load_module(path):
    """Run the file at `path` as a fresh module and return it."""
    if not os.path.exists(path):
        raise UserFileError(f"{path}: no such file")
    if not path.endswith(".py"):
        raise UserFileError(f"{path}: expected a Python file (.py) that defines build()")
    name = "graphscope_user_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, os.path.abspath(path))
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except GraphscopeError as exc:
        raise UserFileError(f"{path}: {exc}") from None
    except Exception as exc:  # the user's own code failed: show their traceback, not ours
        raise UserFileError(f"{path} failed while loading:\n{_user_traceback(exc, path)}") from None
    finally:
        if sys.path and sys.path[0] == folder:
            sys.path.pop(0)
    return module


def require(module, path, attr, what):
    """module.attr, or a message naming what to add to the file."""
    if not hasattr(module, attr):
        raise UserFileError(f"{path} does not define {attr}(): add {what}")
    return getattr(module, attr)


def build_output(path):
    """Load the file and call its build(); return the tensor whose graph is explored."""
    module = load_module(path)
    build = require(module, path, "build", "a function build() that returns the output tensor (usually the loss)")
    try:
        out = build()
    except GraphscopeError as exc:
        raise UserFileError(f"{path}: build() failed: {exc}") from None
    except Exception as exc:
        raise UserFileError(f"{path}: build() failed:\n{_user_traceback(exc, path)}") from None
    if not hasattr(out, "_value"):
        raise UserFileError(f"{path}: build() returned {type(out).__name__}; it must return a graphscope tensor "
                            f"(the output whose graph is explored)")
    return out


def load_graph_file(path, imports=()):
    """The Graph a command works on: a .py file's build() output, or a graph saved with ``graph.save``.

    `imports` are Python files run first, to define the custom ops a saved graph uses.
    """
    from .engine.graph import Graph
    for module in imports:
        load_module(module)
    if path.endswith(".py"):
        return Graph(build_output(path))
    from .interop.graphfile import load_graph
    return load_graph(path)


def _user_traceback(exc, path):
    """The traceback lines from the user's file only, then the error."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) == os.path.abspath(path)]
    lines = [f"  {os.path.basename(f.filename)}:{f.lineno} in {f.name}: {f.line}" for f in frames]
    return "\n".join(lines + [f"  {type(exc).__name__}: {exc}"])
