"""Where the TUI writes its files (s's step pictures, the palette's Screenshot): GRAPHSCOPE_OUT's folder, else
the current one; when that folder takes no files (a read-only mount), the temporary folder, saying why."""
import os
import tempfile

from ..util.atomic import folder_problem

#: The environment variable naming the folder the TUI writes into.
OUT_VARIABLE = "GRAPHSCOPE_OUT"


def out_folder(environ=None):
    """(folder, note): the folder to write into and, when it is not the one asked for, why ('the folder /x cannot
    be written: it is on a read-only file system; written to /tmp instead (GRAPHSCOPE_OUT=FOLDER picks one)');
    note is None when the wanted folder takes files."""
    environ = os.environ if environ is None else environ
    wanted = os.path.abspath(os.path.expanduser(environ.get(OUT_VARIABLE) or os.getcwd()))
    problem = folder_problem(wanted)
    if problem is None:
        return wanted, None
    fallback = tempfile.gettempdir()
    return fallback, (f"the folder {wanted} {problem}; written to {fallback} instead "
                      f"({OUT_VARIABLE}=FOLDER picks where)")
