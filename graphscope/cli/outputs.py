"""The one guard every output option passes (-o, --history, --plot, --save, ...): what a command may replace.

A command never writes over its own input, never over a .py file (source someone wrote), and never over an
existing file that is not its own kind of output (a history does not replace notes.txt or a picture); an empty
file, or one of its own kind, it replaces. The kinds and the test are the library's (``graphscope.util.replaceable``,
which ``graph.save`` and ``graph.to_onnx`` ask too); a command's input may be a ``FILE.py:NAME`` target.
"""
import os
import shlex

# the kinds commands name:
from ..util.replaceable import DRAWING, GRAPH, HISTORY, ONNX_MODEL, PLOT, SEARCH, Kind  # noqa: F401
from ..util import replaceable


def replace_problem(option, path, kind, inputs=()):
    """Why `option` `path` must not be written by a command making a `kind` from `inputs` (its own input, a .py
    file, an existing file of another kind), in one line; None when it may."""
    from ..userfile import split_target
    files = [split_target(str(given))[0] for given in inputs if given]
    stem = os.path.splitext(os.path.basename(str(path)))[0] or "model"
    problem = replaceable.ending_problem(
        path, kind, lambda other: f"graphscope export writes {other.a} (-o {shlex.quote(str(path))}); or give "
                                  f"{kind.a} name: {option} {shlex.quote(stem + kind.ending)}") or \
        replaceable.replace_problem(path, kind, files, example=f"{option} {kind.example}")
    return None if problem is None else f"{option} {path}: {problem}"
