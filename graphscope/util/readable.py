"""Which files graphscope agrees to read: ordinary files of a sane size, checked before a single byte is read.

A device (/dev/zero), a pipe or a folder never ends or is not a file; a JSON file of gigabytes is not one
graphscope wrote (a search's or a history's file takes kilobytes) and reading it whole would exhaust memory.
"""
import os
import stat

from ..engine.errors import GraphscopeError

#: The largest JSON file read (search files, histories, checkpoints' checkpoint.json): 64 MiB.
MAX_JSON_BYTES = 64 * 2 ** 20
#: The largest saved graph read (a zip of JSON and arrays): 2 GiB.
MAX_GRAPH_BYTES = 2 * 2 ** 30


class UnreadableFile(GraphscopeError):
    """A file that is missing, not an ordinary file, or too large to be what it is said to be."""


def readable_problem(path, what, limit):
    """Why `path` is not read as a `what` ('search file', ...): not an ordinary file (a device, a pipe, a
    socket), or more than `limit` bytes; None when it may be read, or when it is missing or a folder (which the
    reader says in its own words)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    if stat.S_ISDIR(info.st_mode):
        return None
    if not stat.S_ISREG(info.st_mode):
        return f"is not an ordinary file (a device, a pipe or a socket), so not a {what}"
    if info.st_size > limit:
        return f"is {_size_text(info.st_size)}, more than a {what} can be ({_size_text(limit)} at most)"
    return None


def require_readable(path, what, limit, error=UnreadableFile):
    """Raise `error` ('PATH: why') when readable_problem finds one."""
    problem = readable_problem(path, what, limit)
    if problem:
        raise error(f"{path}: {problem}")


def _size_text(n):
    for unit, size in (("GB", 2 ** 30), ("MB", 2 ** 20), ("kB", 2 ** 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"
