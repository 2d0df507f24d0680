"""Atomic file writes: write a temporary file next to the target, then rename it into place.

A crash or an error while writing leaves the old file (or no file), never a
half-written one.
"""
import errno
import os
import tempfile
from contextlib import contextmanager

from ..engine.errors import GraphscopeError


class FileWriteError(GraphscopeError, OSError):
    """A file could not be written (missing folder, no permission, a directory in the way, ...)."""


class PathTypeError(GraphscopeError, TypeError):
    """Something that is not a file path was given where one is needed."""


def require_path(path, what="file"):
    """`path` as a str, or a PathTypeError naming what was given instead (None, a number, ...)."""
    if isinstance(path, bytes):
        return os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise PathTypeError(f"the {what}'s path must be a str or pathlib.Path, got {type(path).__name__} {path!r:.40}")
    path = os.fspath(path)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    if not path:
        raise PathTypeError(f"the {what}'s path is empty")
    return path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def nearest_existing(path):
    """`path` made absolute when it exists, else its nearest existing parent (where missing folders would be made)."""
    path = os.path.abspath(path)
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def folder_problem(folder):
    """Why no file can be made in the existing-or-not `folder` ("does not exist", "is a file, not a folder", "cannot
    be written: permission denied", ...), or None. Tried for real (a temporary file is made and removed): a
    permission bit says nothing for root or for /proc, a read-only mount or a full disk."""
    folder = os.path.abspath(folder)
    if not os.path.exists(folder):
        return "does not exist"
    if not os.path.isdir(folder):
        return "is a file, not a folder"
    try:
        fd, tmp = tempfile.mkstemp(prefix=".graphscope-probe.", suffix=".tmp", dir=folder)
    except OSError as exc:
        return cannot_create(exc)
    os.close(fd)
    _remove(tmp)
    return None


def cannot_create(exc):
    """Why the OSError `exc` kept a file from being made in an existing folder, in words."""
    reasons = {errno.EACCES: "permission denied", errno.EPERM: "permission denied",
               errno.EROFS: "it is on a read-only file system", errno.ENOSPC: "the disk is full",
               errno.EDQUOT: "the disk quota is used up",
               errno.ENOENT: "it takes no new files (a virtual file system such as /proc)"}
    return "cannot be written: " + reasons.get(exc.errno, exc.strerror or str(exc))


def write_problem(path, what="file"):
    """'cannot write WHAT PATH: ...' naming why `path` cannot be written (the same words atomic_write uses), or
    None when it can. Nothing is left behind: call it before long work whose result goes to `path`."""
    path = require_path(path, what)
    if os.path.isdir(path):
        return f"cannot write {what} {path}: it is a directory"
    folder = os.path.dirname(os.path.abspath(path))
    problem = folder_problem(folder)
    return None if problem is None else f"cannot write {what} {path}: the folder {folder} {problem}"


@contextmanager
def atomic_write(path, what="file", durable=True):
    """``with atomic_write(path) as f:`` a binary file object; on success it replaces `path` at once.

    A process that dies (Ctrl-C, kill, a crash) at any point leaves the old file or the new one. `durable`
    (the default) also flushes it to the disk before the rename (fsync), so an operating-system crash or a power
    cut cannot leave an empty file either; it costs a few milliseconds.
    """
    path = require_path(path, what)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        problem = "is a file, not a folder" if os.path.exists(folder) else "does not exist"
        raise FileWriteError(f"cannot write {what} {path}: the folder {folder} {problem}")
    if os.path.isdir(path):
        raise FileWriteError(f"cannot write {what} {path}: it is a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise FileWriteError(f"cannot write {what} {path}: the folder {folder} {cannot_create(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise FileWriteError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise


#: The ending of atomic_write's temporary files (``.NAME.<random>.tmp`` next to NAME).
TEMP_SUFFIX = ".tmp"


def _remove(tmp):
    try:
        os.remove(tmp)
    except OSError:
        pass
