"""The one guard every output option passes (-o, --history, --plot, --save, ...): what a command may replace.

A command never writes over its own input, never over a .py file (source someone wrote), and never over an
existing file that is not its own kind of output (a history does not replace notes.txt or a picture); an empty
file, or one of its own kind, it replaces. Kinds are told apart by their first bytes.
"""
import os
from dataclasses import dataclass

#: How many bytes of an existing file are read to tell its kind.
SNIFF_BYTES = 4096


@dataclass(frozen=True)
class Kind:
    """An output kind: its name in messages, an example file name, and the first-bytes tests that recognize it."""

    what: str
    example: str
    tests: tuple

    def recognizes(self, head):
        return any(test(head) for test in self.tests)


def _starts(*prefixes):
    return lambda head: head.lstrip().lower().startswith(tuple(p.lower() for p in prefixes))


def _json_with(key):
    """A JSON object whose first key is `key` (graphscope writes its marker key first)."""
    return lambda head: head.lstrip().startswith(b"{") and head.lstrip()[1:].lstrip().startswith(key)


PNG, JPEG, PDF = _starts(b"\x89PNG"), _starts(b"\xff\xd8\xff"), _starts(b"%PDF")
SVG = _starts(b"<?xml", b"<svg", b"<!--")
POSTSCRIPT, GIF, WEBP = _starts(b"%!PS"), _starts(b"GIF8"), _starts(b"RIFF")
TIFF = _starts(b"II*\x00", b"MM\x00*")
DOT = _starts(b"digraph", b"graph", b"strict", b"//", b"/*")
HTML = _starts(b"<!doctype html", b"<html")
ONNX = _starts(b"\x08")   # an ONNX model's first field: ir_version
ZIP = _starts(b"PK\x03\x04")

PICTURE_TESTS = (PNG, JPEG, PDF, SVG, POSTSCRIPT, GIF, WEBP, TIFF)
SEARCH = Kind("search file", "search.json", (_json_with(b'"graphscope": "search"'),))
HISTORY = Kind("training history", "history.json", (_json_with(b'"loss":'),))
PLOT = Kind("picture", "curves.png", PICTURE_TESTS)
DRAWING = Kind("picture, DOT file, step-player or ONNX model", "graph.svg", PICTURE_TESTS + (DOT, HTML, ONNX))
GRAPH = Kind("graph file", "lecture.gsgraph", (ZIP,))


def replace_problem(option, path, kind, inputs=()):
    """Why `option` `path` must not be written by a command making a `kind` from `inputs` (its own input, a .py
    file, an existing file of another kind), in one line; None when it may."""
    full = os.path.abspath(os.path.expanduser(path))
    for given in inputs:
        if given and _same_file(full, given):
            return f"{option} {path}: is the input file itself ({given}); give another name, e.g. {kind.example}"
    if full.endswith(".py"):
        return (f"{option} {path}: a .py file is source you write (a sample defining build()), never an output: "
                f"give a {kind.what} name, e.g. {option} {kind.example}")
    if not os.path.isfile(full):
        return None
    try:
        with open(full, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return None   # cannot be read: writing it says why
    if not head.strip() or kind.recognizes(head):
        return None
    return (f"{option} {path}: exists and is not a {kind.what}; it is left as it is: give another name, or "
            f"remove it first")


def _same_file(full, given):
    from ..userfile import split_target
    given = os.path.abspath(split_target(str(given))[0])
    if full == given:
        return True
    try:
        return os.path.samefile(full, given)
    except OSError:
        return False
