"""A writable folder for matplotlib's settings and font cache, found before matplotlib is imported.

matplotlib keeps them in ~/.config/matplotlib and ~/.cache/matplotlib (MPLCONFIGDIR overrides both). When those
cannot be written (a read-only home), it warns in two lines and makes a temporary folder; when the temporary
folder cannot be written either, its import fails with a long traceback. ``matplotlib_folder_problem`` settles
it first: MPLCONFIGDIR is pointed at a private folder of ours (in the temporary folder, else next to the picture
being written, removed at exit), or the one line saying what to do is returned.
"""
import atexit
import os
import shutil
import stat
import sys
import tempfile

from .atomic import nearest_existing

#: Our private folder's name in the temporary folder (one per user), and the prefix of one beside an output.
PRIVATE_NAME, BESIDE_PREFIX = "graphscope-matplotlib-{uid}", ".graphscope-matplotlib-"


def matplotlib_folder_problem(near=None):
    """None when matplotlib will find a writable settings folder (MPLCONFIGDIR is set, matplotlib is already
    imported, its default folders are writable, or MPLCONFIGDIR has just been pointed at a private folder in the
    temporary folder or, failing that, beside the path `near`); else one line saying what to do."""
    if os.environ.get("MPLCONFIGDIR") or "matplotlib" in sys.modules:
        return None
    if all(_can_write(folder) for folder in _default_folders()):
        return None
    folder = _private_folder() or (near is not None and _folder_beside(near))
    if folder:
        os.environ["MPLCONFIGDIR"] = folder
        return None
    return ("matplotlib needs a writable folder for its settings and font cache, and neither "
            "~/.config/matplotlib nor a temporary folder can be written: set MPLCONFIGDIR to a writable folder")


def _default_folders():
    """The settings and cache folders matplotlib uses by default (on Linux: XDG's, else ~/.matplotlib)."""
    home = os.path.expanduser("~")
    if sys.platform.startswith(("linux", "freebsd")):
        return [os.path.join(os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"), "matplotlib"),
                os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"), "matplotlib")]
    return [os.path.join(home, ".matplotlib")]


def _can_write(folder):
    """True when `folder` is a writable folder, or can be made (its nearest existing parent is writable)."""
    folder = nearest_existing(folder)
    return os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)


def _private_folder():
    """Our folder in the temporary folder, made if needed and kept between runs (the font cache lasts): only ours
    (owned by this user, mode 0700, not a link); None when there is no writable temporary folder."""
    try:
        folder = os.path.join(tempfile.gettempdir(), PRIVATE_NAME.format(uid=_uid()))
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError:  # FileNotFoundError from gettempdir: no temporary folder is writable
        return None
    ours = stat.S_ISDIR(info.st_mode) and info.st_mode & 0o077 == 0 and info.st_uid == _uid()
    return folder if ours and os.access(folder, os.W_OK | os.X_OK) else None


def _folder_beside(near):
    """A temporary folder in the nearest existing folder of `near` (a picture's path), removed at exit; None when
    that cannot be made. Never makes `near`'s own folder, so a failing run leaves no empty folder behind."""
    folder = nearest_existing(near)
    if not os.path.isdir(folder):  # a file of that name: its folder
        folder = os.path.dirname(folder)
    try:
        made = tempfile.mkdtemp(prefix=BESIDE_PREFIX, dir=folder)
    except OSError:
        return None
    atexit.register(shutil.rmtree, made, True)
    return made


def _uid():
    return os.getuid() if hasattr(os, "getuid") else 0
