"""Atomic file writes: write a temporary file next to the target, then rename it into place.

A crash or an error while writing leaves the old file (or no file), never a
half-written one.
"""
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


@contextmanager
def atomic_write(path, what="file"):
    """``with atomic_write(path) as f:`` a binary file object; on success it replaces `path` at once."""
    path = require_path(path, what)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        problem = "is a file, not a folder" if os.path.exists(folder) else "does not exist"
        raise FileWriteError(f"cannot write {what} {path}: the folder {folder} {problem}")
    if os.path.isdir(path):
        raise FileWriteError(f"cannot write {what} {path}: it is a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise FileWriteError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise FileWriteError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp):
    try:
        os.remove(tmp)
    except OSError:
        pass
