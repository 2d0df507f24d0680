"""What a write may replace: never a .py file (source someone wrote), never an existing file of another kind.

Every writer asks the same question (the commands' output options, ``graph.save``, ``graph.to_onnx``): an empty
file, or one of the writer's own kind, it replaces; a notes.txt, a picture, a module of ops it leaves alone. Kinds
are told apart by their first bytes.
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
    ending: str = ""   # the file-name ending that says a file is of this kind ('.gsgraph'), if one does
    call: str = ""     # the library call that writes this kind ('graph.save')

    @property
    def a(self):
        """'a graph file', 'an ONNX model': the kind with its article."""
        return f"{'an' if self.what[0] in 'aeiouAEIOU' else 'a'} {self.what}"

    def recognizes(self, head):
        return any(test(head) for test in self.tests)


def _starts(*prefixes):
    return lambda head: head.lstrip().lower().startswith(tuple(p.lower() for p in prefixes))


def _json_with(key):
    """A JSON object whose first key is `key` (graphscope writes its marker key first)."""
    return lambda head: head.lstrip().startswith(b"{") and head.lstrip()[1:].lstrip().startswith(key)


def _zip_opening_with(member):
    """A zip archive whose first member is `member` (a graph file opens with graph.json; a .docx or an .npz
    archive does not)."""
    def test(head):
        if not head.startswith(b"PK\x03\x04") or len(head) < 30:
            return False
        length = int.from_bytes(head[26:28], "little")
        return head[30:30 + length] == member
    return test


PNG, JPEG, PDF = _starts(b"\x89PNG"), _starts(b"\xff\xd8\xff"), _starts(b"%PDF")
SVG = _starts(b"<?xml", b"<svg", b"<!--")
POSTSCRIPT, GIF, WEBP = _starts(b"%!PS"), _starts(b"GIF8"), _starts(b"RIFF")
TIFF = _starts(b"II*\x00", b"MM\x00*")
DOT = _starts(b"digraph", b"graph", b"strict", b"//", b"/*")
HTML = _starts(b"<!doctype html", b"<html")
ONNX = _starts(b"\x08")   # an ONNX model's first field: ir_version
GRAPH_ZIP = _zip_opening_with(b"graph.json")

PICTURE_TESTS = (PNG, JPEG, PDF, SVG, POSTSCRIPT, GIF, WEBP, TIFF)
SEARCH = Kind("search file", "search.json", (_json_with(b'"graphscope": "search"'),))
HISTORY = Kind("training history", "history.json", (_json_with(b'"loss":'),))
PLOT = Kind("picture", "curves.png", PICTURE_TESTS)
DRAWING = Kind("picture, DOT file, step-player or ONNX model", "graph.svg", PICTURE_TESTS + (DOT, HTML, ONNX))
GRAPH = Kind("graph file", "lecture.gsgraph", (GRAPH_ZIP,), ".gsgraph", "graph.save")
ONNX_MODEL = Kind("ONNX model", "model.onnx", (ONNX,), ".onnx", "graph.to_onnx")
#: The kinds a file name's ending names: a graph file named .onnx would make onnxruntime fail on it, and the other way.
BY_ENDING = {k.ending: k for k in (GRAPH, ONNX_MODEL)}


def named_kind(path, kind):
    """The other kind `path`'s ending names ('new.onnx' for a graph file: ONNX_MODEL), or None."""
    other = BY_ENDING.get(os.path.splitext(os.fspath(path))[1].lower())
    return other if other is not None and other != kind and kind.ending else None


def ending_problem(path, kind, instead):
    """'a name ending in .onnx is for an ONNX model, and this writes a graph file: INSTEAD' when `path`'s ending
    names another kind than `kind` (`instead(other kind)`: how to write that one, or name this one), else None."""
    other = named_kind(path, kind)
    if other is None:
        return None
    return f"a name ending in {other.ending} is for {other.a}, and this writes {kind.a}: {instead(other)}"


def replace_problem(path, kind, inputs=(), example=None):
    """Why `path` must not be written with a `kind` (it is one of `inputs`, a .py file, an existing file of
    another kind), in words to put after the path; None when it may. `example` is how the advice spells a good
    name (default: the kind's example file name)."""
    example = kind.example if example is None else example
    full = os.path.abspath(os.path.expanduser(path))
    for given in inputs:
        if given and same_file(full, given):
            return f"is the input file itself ({given}); give another name, e.g. {example}"
    if full.endswith(".py"):
        return (f"a .py file is source you write (a sample defining build()), never an output: give "
                f"{kind.a} name, e.g. {example}")
    if not os.path.isfile(full):
        return None
    try:
        with open(full, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return None   # cannot be read: writing it says why
    if not head.strip() or kind.recognizes(head):
        return None
    return f"exists and is not {kind.a}; it is left as it is: give another name, or remove it first"


def same_file(full, given):
    """True when the paths `full` and `given` name one file (the same path, or a link to it)."""
    given = os.path.abspath(os.path.expanduser(str(given)))
    if full == given:
        return True
    try:
        return os.path.samefile(full, given)
    except OSError:
        return False


def require_replaceable(path, kind, example, error):
    """Raise `error` ('cannot write graph file notes.txt: exists and is not a graph file; ...') when `path` must
    not be written with a `kind`; what a library writer (``graph.save``, ``graph.to_onnx``) calls first."""
    name = os.path.basename(os.fspath(path))
    stem = os.path.splitext(name)[0] or "model"
    problem = ending_problem(path, kind, lambda other: f'{other.call}("{name}") writes {other.a}; or give {kind.a} '
                                                       f'name: {kind.call}("{stem}{kind.ending}")') or \
        replace_problem(path, kind, example=example)
    if problem:
        raise error(f"cannot write {kind.what} {path}: {problem}")
