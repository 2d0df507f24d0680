"""Where a node was made: the user's source line and the module scope.

The source line is captured cheaply when a node is created (a code object and
a line number, no strings, no frame references) and formatted only when shown.
"""
import functools
import linecache
import os
import re
import sys
import traceback
from contextlib import contextmanager

from .errors import ArgumentError

import numpy

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
#: numpy's own files: np.sum(t) calls t.sum from there, and the user's line is the one that called numpy.
_NUMPY_DIR = os.path.dirname(os.path.abspath(numpy.__file__)) + os.sep
#: Whose code a file is: anyone's (USER, falsy), numpy's or graphscope's (both "internal"). Cached per file name.
USER, NUMPY, GRAPHSCOPE = 0, 1, 2
_internal_cache = {}
_getframe = sys._getframe


def code_owner(filename):
    """USER, NUMPY or GRAPHSCOPE: whose code the file `filename` is."""
    owner = _internal_cache.get(filename)
    if owner is None:
        path = os.path.abspath(filename)
        owner = GRAPHSCOPE if path.startswith(_PACKAGE_DIR) else NUMPY if path.startswith(_NUMPY_DIR) else USER
        _internal_cache[filename] = owner
    return owner


def is_internal(filename):
    """True for files inside the graphscope package or numpy (skipped when finding the user's line)."""
    return code_owner(filename) != USER


def reader_frame(depth):
    """The frame of the code that reads a tensor's values, `depth` frames up from the caller, seen through numpy
    (``np.mean(t)`` is read by the line that called numpy); None when it is graphscope's own code, whose reads of
    its own tensors are never tracked."""
    f = _getframe(depth + 1)
    cache = _internal_cache
    while f is not None:
        owner = cache.get(f.f_code.co_filename)
        if owner is None:
            owner = code_owner(f.f_code.co_filename)
        if owner != NUMPY:
            return f if owner == USER else None
        f = f.f_back
    return None


def user_frame(depth=2):
    """The first frame outside graphscope, starting `depth` frames up; None if there is none."""
    try:
        f = _getframe(depth)
    except ValueError:
        return None
    cache = _internal_cache
    while f is not None:
        fn = f.f_code.co_filename
        hit = cache.get(fn)
        if hit is None:
            hit = is_internal(fn)
        if not hit:
            return f
        f = f.f_back
    return None


class SavedSource:
    """Where a node was made, kept without its code object (a loaded graph file, a pickled tensor): stands in for
    the code object a recorded node keeps (its file name and function name)."""

    __slots__ = ("co_filename", "co_name")

    def __init__(self, filename, function):
        self.co_filename = filename
        self.co_name = function

    def __reduce__(self):
        return SavedSource, (self.co_filename, self.co_name)


def saved_source(code):
    """`code` as something pickle can keep: a SavedSource (None stays None)."""
    return code if code is None or code.__class__ is SavedSource else SavedSource(code.co_filename, code.co_name)


def format_location(code, line):
    """'file.py:12' for a captured code object and line ('<unknown>' when absent)."""
    if code is None:
        return "<unknown>"
    return f"{code.co_filename}:{line}"


def _ipython_shell():
    """The running IPython shell, or None (IPython is never imported here: only looked up if a user loaded it)."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    try:
        return get() if get is not None else None
    except Exception:   # a half-initialised IPython: no cells to name
        return None


def notebook_cell(filename):
    """IPython's number of the cell compiled to `filename`, or None for any other file.

    Terminal IPython compiles cell 11 to '<ipython-input-11-9ae360a2c2c6>', ipykernel (Jupyter) to
    '/tmp/ipykernel_123/2841612385.py'; both shells keep the map from file name to cell number.
    """
    shell = _ipython_shell()
    if shell is None:
        return None
    cells = getattr(getattr(shell, "compile", None), "_filename_map", None)
    return cells.get(filename) if isinstance(cells, dict) else None


def _cell_text(path, line):
    """'Cell In[11], line 1' (as IPython's own tracebacks say) for a notebook cell's file, else None."""
    n = notebook_cell(path)
    return None if n is None else f"Cell In[{n}], line {line}"


def warning_file(filename):
    """The file name a warning about a line of `filename` is shown with: 'Cell In[11]' for an IPython or Jupyter
    cell (the warning reads 'Cell In[11]:1: NonFiniteWarning: ...', its line of code below), else `filename`."""
    n = notebook_cell(filename)
    if n is None:
        return filename
    shown = f"Cell In[{n}]"
    lines = linecache.getlines(filename)
    if lines:   # the warning shows the cell's line under it, as for a file
        linecache.cache[shown] = (sum(map(len, lines)), None, lines, shown)
    return shown


_IPYTHON_INPUT = re.compile(r"^<ipython-input-\d+-")


def cell_site(depth=2):
    """Where the IPython cell being run makes something: ((cell, line), execution count), or None outside IPython.

    The cell is named by its text (terminal IPython's file name without its number; ipykernel's file name is a
    hash of the text already), so running the same cell again gives the same place and a new execution count.
    """
    shell = _ipython_shell()
    if shell is None:
        return None
    cells = getattr(getattr(shell, "compile", None), "_filename_map", None)
    if not isinstance(cells, dict):
        return None
    try:
        f = _getframe(depth)
    except ValueError:
        return None
    outer = None
    while f is not None:   # the outermost frame in a cell: the line of the cell being run
        if f.f_code.co_filename in cells:
            outer = f
        f = f.f_back
    if outer is None:
        return None
    where = (_IPYTHON_INPUT.sub("<ipython-input-", outer.f_code.co_filename), outer.f_lineno)
    return where, getattr(shell, "execution_count", None)


def display_path(path):
    """`path` relative to the current directory when the file is below it; otherwise as it is."""
    if not os.path.isabs(path):
        return path
    return _relative_below(path, os.getcwd())


@functools.lru_cache(maxsize=1024)
def _relative_below(path, cwd):
    """display_path's answer for an absolute `path` seen from `cwd` (a picture asks once per node)."""
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive (Windows)
        return path
    return path if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel


def display_location(location):
    """'samples/x.py:12' for '/home/me/samples/x.py:12' when below the current directory (see display_path);
    'Cell In[11], line 1' for a line of an IPython or Jupyter cell, as IPython's own tracebacks name it.

    What every view (pictures, the step-player, the stepper's words, tables)
    and every message shows of a node's ``source`` or the user's line, so a
    message names a file as the table beside it does. ``node.source``
    itself keeps the absolute path: it means the same file wherever it is read.
    """
    path, sep, line = location.rpartition(":")
    if not sep or not line.isdigit():
        return location
    return _cell_text(path, line) or f"{display_path(path)}:{line}"


def shared_location(location):
    """What files meant for others show of a node's ``source``: never an absolute path.

    'samples/x.py:12' below the current directory, otherwise 'x.py:12' (relative to the file's own folder), so
    an exported picture or player carries nothing of the author's machine.
    """
    path, sep, line = location.rpartition(":")
    if not sep or not line.isdigit():
        return location
    cell = _cell_text(path, line)
    if cell:
        return cell
    shown = display_path(path)
    return f"{os.path.basename(shown) if os.path.isabs(shown) else shown}:{line}"


def user_code_lines(tb):
    """'file.py:12 in f: code' for each frame of traceback `tb` in the user's code (not graphscope's, not numpy's)."""
    return [f"{display_location(location)} {detail}" for location, detail in user_code_frames(tb)]


def user_code_frames(tb):
    """('file.py:12', 'in f: code') for each frame of traceback `tb` in the user's code."""
    return [(f"{frame.filename}:{frame.lineno}", f"in {frame.name}: {frame.line}")
            for frame in traceback.extract_tb(tb)
            if not (is_internal(frame.filename) or _in_numpy(frame.filename))]


def _in_numpy(filename):
    return f"{os.sep}numpy{os.sep}" in filename


def caller_location():
    """The user's 'file:line' for an error raised from inside graphscope (as display_location shows it)."""
    f = user_frame(2)
    return "<unknown>" if f is None else display_location(f"{f.f_code.co_filename}:{f.f_lineno}")


class _ScopeStack:
    __slots__ = ("current", "stack")

    def __init__(self):
        self.current = None
        self.stack = []


SCOPES = _ScopeStack()


#: The longest name a node or scope may have: a name is a label in a box (Graphviz refuses a label over 16 KB).
NAME_CHARS = 500


def name_problem(value):
    """What is wrong with `value` (a string) as a node's or scope's name, or None."""
    if len(value) > NAME_CHARS:
        return (f"a name of {len(value):,} characters ({value[:20]!r}...) is too long; a name is a label in a box, "
                f"at most {NAME_CHARS} characters")
    return None


def scope(name):
    """Record every node made inside the block under module scope `name` (nests as 'a/b').

    The name is checked here, when ``gs.scope(...)`` is called, not when the block is entered.
    """
    if not isinstance(name, str) or not name or "/" in name:
        raise ArgumentError(f"gs.scope: a scope name must be a non-empty string without '/', got {name!r:.60}")
    problem = name_problem(name)
    if problem:
        raise ArgumentError(f"gs.scope: {problem}")
    return _entered(name)


@contextmanager
def _entered(name):
    SCOPES.stack.append(SCOPES.current)
    SCOPES.current = name if SCOPES.current is None else f"{SCOPES.current}/{name}"
    try:
        yield SCOPES.current
    finally:
        SCOPES.current = SCOPES.stack.pop()
