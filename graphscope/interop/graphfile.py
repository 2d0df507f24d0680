"""Graph files: a recorded graph saved as JSON (structure) plus .npz (arrays), in one zip archive.

    graph.save("model.gsgraph")           # or gs.interop.save_graph(graph, path)
    graph = gs.load_graph("model.gsgraph")

The archive holds two members:

- ``graph.json``: ``{"format": "graphscope-graph", "version": 2, "outputs": [ids],
  "custom_ops": {name: {"module", "file"}}, "paths": "relative", "outdated": [ids], "nodes": [...]}``, one
  entry per node in topological order, one a line: ``id``, ``name``, ``op`` (null for a leaf), ``role``
  (input/param/const for leaves), ``inputs`` (ids of earlier nodes), ``attrs`` (see ``attrcodec``), ``scope``,
  ``source`` (``{"file", "line", "function"}`` or null), ``requires_grad``, ``shape``,
  ``dtype``, ``value`` and ``grad`` (references into the arrays, grad may be null). With ``"paths":
  "relative"`` a relative ``file`` (of a source or a custom op) is relative to the graph file's folder (older
  files hold absolute paths); ``outdated`` (optional) lists the op nodes whose value was already out of date
  when saved (computed before a parameter changed; see ``savedvalues``);
- ``arrays.npz``: every array, read back with ``allow_pickle=False``. In version 2 arrays of one dtype and
  shape are packed into one member, ``g<k>.npy`` of shape ``(count, *shape)``, and a reference is
  ``[k, row]``; version 1 (still read; written by ``save_graph(..., version=1)``) has one member per
  array, ``a<k>.npy``, referenced as ``"a<k>"`` (see ``arraypack``).

Writing is atomic (a temporary file renamed into place), and never replaces a .py file or an existing file that
is not a graph file (``graphscope.util.replaceable``). ``gradients=False`` leaves every gradient out and
``sources=False`` every source location and the files defining custom ops (a file to hand out: no answers, no
paths of the author's machine); otherwise a source file in or near the graph file's folder is stored relative
to it. Reading validates everything and reports the first problem in one message (GraphFileError):
not a graph file, truncated or damaged, a newer format version, malformed
JSON, an op this session does not define (UnknownOpError: import the module
defining the custom op first), a missing array or row, an array of the wrong shape or dtype, inputs that
do not exist or do not fit their op. Each op node is recomputed from its saved inputs: a value that disagrees
with its op gets one SavedValuesWarning naming the first such node (the ops of this session differ from those
that wrote the file).

Loaded nodes keep their names, scopes, source locations, values and
gradients, and can be replayed (``graph.run``) and backpropagated. As for any
graph, ``backward()`` adds to the gradients leaves hold (PyTorch's rule), the
saved ones included: call ``graph.zero_grad()`` first, or load with
``gradients=False``. The stepper, the terminal UI and the pictures always walk
from zero gradients. Loaded nodes get
fresh ids from the engine's counter, in file order, so they never collide
with nodes already in the session and inputs still come before outputs.
"""
import difflib
import gc
import inspect
import io
import json
import os
import re
import time
import zipfile
from contextlib import contextmanager

import numpy as np

from ..engine.errors import GraphscopeError
from ..engine.graph import Graph, require_graph
from ..engine.optable import OPS
from ..engine.compute import ForwardFailed, attribute_problem, compute
from ..engine.source import SavedSource, display_location, display_path, name_problem
from ..engine.tensor import new_leaf
from ..util.atomic import atomic_write, require_path
from ..util.readable import MAX_GRAPH_BYTES, require_readable
from ..util.replaceable import GRAPH, require_replaceable
from .arraypack import MEMBER as ARRAYS_MEMBER, READERS, WRITERS
from .attrcodec import AttrError, decode, encode
from .savedvalues import Disagreements, difference, outdated
from .safeio import ZIP_ERRORS, UnsafeFile, describe, parse_json, read_member

FORMAT = "graphscope-graph"
VERSION = 2
GRAPH_MEMBER = "graph.json"
_ROLES = ("input", "param", "const")
_FLOAT64 = np.dtype(np.float64)
_LINES_A_WRITE = 4096  # lines of graph.json (nodes) encoded, then written at once
RELATIVE = "relative"  # the header's "paths": relative file names are relative to the graph file's folder


class GraphFileError(GraphscopeError):
    """A graph file that cannot be written or read: the message says which file and what is wrong."""


class UnknownOpError(GraphFileError):
    """A graph file uses ops (custom ones) that are not defined in this session.

    ``ops`` lists their names; ``defined_in`` maps a name to the file that
    defined it when the graph was saved (where known), so a caller can say how
    to define them its own way (the command line names its --import option).
    """

    def __init__(self, path, ops, defined_in, described=None):
        self.path, self.ops, self.defined_in = path, list(ops), dict(defined_in)
        #: {name: how the file names where it was defined}: 's1_mm_ok.py (next to the graph file)'
        self.described = {name: (described or {}).get(name, where) for name, where in self.defined_in.items()}
        #: the files defining the ops that also save a graph when they run (the script that built the graph):
        #: importing one runs all of it
        self.saving = sorted({where for where in self.defined_in.values() if saves_when_run(where)})
        super().__init__(f"{path}: {self.uses()}: import the module defining {self.them()} before "
                         f"gs.load_graph (custom ops are defined with gs.custom_op"
                         + "".join(f"; {name} was defined in {where}" for name, where in self.described.items())
                         + ")" + self.own_module_advice())

    def own_module_advice(self, importing="importing it", then="import that"):
        """'; ops.py also saves a graph when run ...': when importing a defining file would run a whole script."""
        if not self.saving:
            return ""
        files = ", ".join(display_path(f) for f in self.saving)
        return (f"; {files} also save{'s' if len(self.saving) == 1 else ''} a graph when run, and {importing} "
                f"runs all of it: put {', '.join(self.ops)} in a module of {'their' if len(self.ops) > 1 else 'its'} "
                f"own (myops.py) and {then}")

    def uses(self):
        """'the graph uses op swish, not defined in this session'."""
        return (f"the graph uses op{'s' if len(self.ops) > 1 else ''} {', '.join(self.ops)}, "
                f"not defined in this session")

    def them(self):
        return "them" if len(self.ops) > 1 else "it"


#: What a Python file that saves a graph (or exports one) when it runs has in it.
_SAVING_CALLS = re.compile(r"\.save\(|\bsave_graph\(|\.to_onnx\(")


def saves_when_run(file):
    """True when the Python file `file` calls graph.save, save_graph or to_onnx (read as text, never run)."""
    try:
        with open(file, encoding="utf-8", errors="replace") as f:
            return _SAVING_CALLS.search(f.read(1 << 20)) is not None
    except OSError:
        return False


# ---------------------------------------------------------------- writing

def save_graph(graph, path, version=VERSION, gradients=True, sources=True):
    """Write a Graph (or the graph ending at a tensor) to `path` atomically; return the path.

    ``gradients=False`` leaves the gradients out (a file for students holds no answers; stepping it computes
    them). ``sources=False`` leaves out where each node was made and the files defining custom ops;
    otherwise a file in or near the graph file's folder is stored relative to it, never as an absolute path
    there. `version` 1 writes the layout of graphscope releases before packing (one array a member), for
    readers that only know it; it is slower to write and read for graphs of many nodes.
    """
    graph = require_graph(graph)
    if not _is_int(version) or version not in WRITERS:
        raise GraphFileError(f"cannot write graph-file format version {version!r}: "
                             f"choose one of {', '.join(map(str, WRITERS))}")
    for name, flag in (("gradients", gradients), ("sources", sources)):
        if not isinstance(flag, bool):
            raise GraphFileError(f"save_graph: {name} must be True or False, got {flag!r}")
    require_replaceable(require_path(path, "graph file"), GRAPH, 'graph.save("lecture.gsgraph")', GraphFileError)
    store = WRITERS[version]()
    where = _PathsFrom(require_path(path, "graph file")) if sources else None
    head = {"format": FORMAT, "version": version, "outputs": [n.id for n in graph.outputs],
            "custom_ops": _custom_ops(graph, where), "paths": RELATIVE}
    stale = outdated(graph.nodes)
    if stale:
        head["outdated"] = stale
    if graph.guards:  # written after the nodes they read (graph.program); readers before guards ignore them
        head["guards"] = [n.id for n in graph.guards]
    now = time.localtime()[:6]
    with _collector_paused(), atomic_write(path, "graph file") as f:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as z:
            with z.open(zipfile.ZipInfo(GRAPH_MEMBER, now), "w", force_zip64=True) as member:
                _write_json(member, head, (_encode_node(n, store, gradients, where) for n in graph.program))
            with z.open(zipfile.ZipInfo(ARRAYS_MEMBER, now), "w", force_zip64=True) as member:
                store.write(member)
    return os.fspath(path)


def _write_json(out, head, nodes):
    """The document as JSON with one node a line (readable with `unzip -p FILE graph.json`).

    Written a few thousand lines at a time: a node's JSON object lives only until its line is out, so saving
    a big graph never holds the whole document (measured by ``python -m bench memory``).
    """
    encode = json.JSONEncoder(allow_nan=False).encode  # one encoder for every node (json.dumps makes one a call)
    out.write((encode(head)[:-1] + ',\n "nodes": [\n').encode("utf-8"))
    lines = []
    for k, node in enumerate(nodes):
        lines.append(("  " if k == 0 else ",\n  ") + encode(node))
        if len(lines) == _LINES_A_WRITE:
            out.write("".join(lines).encode("utf-8"))
            lines.clear()
    out.write(("".join(lines) + "\n ]\n}\n").encode("utf-8"))


class _PathsFrom:
    """A source file's name as a graph file stores it: relative to the graph file's folder when the two share a
    folder below the file system's root (``s1_mm_ok.py``, ``../solutions/ops.py``), else absolute."""

    def __init__(self, graph_file):
        self.folder = os.path.dirname(os.path.abspath(os.fspath(graph_file)))
        self.cache = {}

    def __call__(self, filename):
        stored = self.cache.get(filename)
        if stored is None:
            stored = self.cache[filename] = self._stored(filename)
        return stored

    def _stored(self, filename):
        if filename.startswith("<"):  # '<stdin>', '<ipython-input-3>': not a file
            return filename
        full = os.path.abspath(filename)
        try:
            shared = os.path.commonpath([full, self.folder])
        except ValueError:  # another drive (Windows)
            return full
        if os.path.dirname(shared) == shared:  # only the root in common: a relative path says nothing less
            return full
        return os.path.relpath(full, self.folder)


def _custom_ops(graph, where):
    """{op name: where its forward is defined} for the custom ops in the graph (a hint for loading; with
    `where` None, the op names only)."""
    found = {}
    for n in graph.nodes:
        handle = getattr(n.op_def, "handle", None)
        if handle is not None and n.op_def.name not in found:
            if where is None:
                found[n.op_def.name] = {"module": None, "file": None}
                continue
            try:
                file = inspect.getsourcefile(handle._forward)
            except TypeError:
                file = None
            found[n.op_def.name] = {"module": getattr(handle._forward, "__module__", None),
                                    "file": None if file is None else where(file)}
    return found


def _encode_node(n, store, gradients=True, where=None):
    try:
        attrs = {k: encode(v, store) for k, v in n.attrs.items()} if n.attrs else {}
    except AttrError as exc:
        raise GraphFileError(f"cannot save node {n.name} (op {n.op}, made at {display_location(n.source)}): "
                             f"attribute: {exc}") from None
    code = n._code
    source = None if code is None or where is None else {"file": where(code.co_filename), "line": int(n._line),
                                                         "function": getattr(code, "co_name", "")}
    value = n._value
    if value.__class__ is float:  # the scalar lane's values: no numpy on the way out
        shape, dtype = [], "float64"
    else:
        value = np.asarray(value)
        shape, dtype = list(value.shape), str(value.dtype)
    return {"id": n.id, "name": n.name, "op": n.op, "role": n.role, "inputs": [i.id for i in n.inputs],
            "attrs": attrs, "scope": n.scope, "source": source, "requires_grad": bool(n.requires_grad),
            "shape": shape, "dtype": dtype,
            "value": store.put(value), "grad": None if n.grad is None or not gradients else store.put(n.grad)}


def _graph_save(graph, path, version=VERSION, gradients=True, sources=True):
    """Write the graph (structure, values, gradients) to one file atomically; read it back with ``gs.load_graph``.

    ``gradients=False`` leaves the gradients out: a file to hand to students holds no answers (stepping it,
    or ``backward()``, computes them). ``sources=False`` leaves out where each node was made and which file
    defines each custom op; otherwise files in or near the graph file's folder are stored relative to it.
    ``version=1`` writes the older layout (one array a member) for graphscope releases that only read it.
    """
    return save_graph(graph, path, version, gradients, sources)


def install():
    """Give Graph its ``save`` method (called by ``import graphscope``; the engine never imports this layer)."""
    Graph.save = _graph_save


# ---------------------------------------------------------------- reading

def load_graph(path, gradients=True):
    """Read a graph file written by save_graph; a Graph whose nodes are ready to replay and backpropagate.

    Nodes hold their saved values and gradients. ``backward()`` on the loaded graph adds to the gradients its
    leaves hold, the saved ones included (PyTorch's rule for leaves): call ``graph.zero_grad()`` first, or load
    with ``gradients=False``. Each op node is recomputed from its saved inputs; when a saved value disagrees,
    one SavedValuesWarning names the first such node: the ops of this session differ from those that wrote
    the file.
    """
    path = require_path(path, "graph file")
    if not isinstance(gradients, bool):
        raise GraphFileError(f"load_graph: gradients must be True or False, got {gradients!r}")
    require_readable(path, "graph file", MAX_GRAPH_BYTES, GraphFileError)  # /dev/zero would be read without end
    with _collector_paused():
        doc, npz, npz_size = _open(path)
        with npz:
            reader = _Reader(path, doc, npz, npz_size, gradients)
            graph = reader.build()
    reader.disagreements.warn(path)
    return graph


@contextmanager
def _collector_paused():
    """Python's garbage collector off for the block (and back as it was after).

    Saving and loading make a few containers per node (JSON objects, lists, nodes), none in a reference
    cycle, and the collector would walk them all again and again as they pile up: about a third of the
    time for a 100,000-node graph.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _open(path):
    """The parsed graph.json and the open arrays.npz of a graph file, or a GraphFileError."""
    if not os.path.exists(path):
        raise GraphFileError(f"{path}: no such file")
    if os.path.isdir(path):
        raise GraphFileError(f"{path}: is a directory, not a graph file")
    size = os.path.getsize(path)
    if _looks_like_onnx(path):
        raise GraphFileError(f"{path}: an ONNX model; graphscope writes ONNX (graph.to_onnx, graphscope export "
                             f"FILE -o model.onnx) but does not read it: it reads graph files saved with graph.save "
                             f"(such as model.gsgraph) and Python files that define build()")
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            for member in (GRAPH_MEMBER, ARRAYS_MEMBER):
                if member not in names:
                    raise GraphFileError(f"{path}: not a graphscope graph file (no {member} inside)")
            raw = read_member(z, GRAPH_MEMBER, size)
            blob = read_member(z, ARRAYS_MEMBER, size)
    except UnsafeFile as exc:
        raise GraphFileError(f"{path}: {exc}") from None
    except zipfile.BadZipFile as exc:
        raise GraphFileError(f"{path}: not a graphscope graph file, or truncated/damaged "
                             f"(a graph file is a zip archive: {describe(exc)})") from None
    except ZIP_ERRORS as exc:
        raise GraphFileError(f"{path}: damaged or truncated graph file ({describe(exc)})") from None
    try:
        doc = parse_json(raw, GRAPH_MEMBER)
    except UnsafeFile as exc:
        raise GraphFileError(f"{path}: {exc}") from None
    _check_header(path, doc)
    if not blob.startswith(b"PK"):
        raise GraphFileError(f"{path}: {ARRAYS_MEMBER} is damaged (not an .npz archive)")
    try:
        npz = np.load(io.BytesIO(blob), allow_pickle=False)
    except ZIP_ERRORS as exc:
        raise GraphFileError(f"{path}: {ARRAYS_MEMBER} is damaged ({describe(exc)})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise GraphFileError(f"{path}: {ARRAYS_MEMBER} is a single array, not an .npz archive")
    return doc, npz, len(blob)


def _looks_like_onnx(path):
    """True for a file that is not a zip archive and is named .onnx or starts as an ONNX model does.

    An ONNX file is a protobuf ModelProto: field 1 (ir_version, a varint: byte 0x08), then usually field 2
    (producer_name, byte 0x12) or, without a producer, field 8 (opset_import, byte 0x42) or 7 (graph, 0x3a).
    """
    if zipfile.is_zipfile(path):
        return False
    if path.lower().endswith(".onnx"):
        return True
    with open(path, "rb") as f:
        head = f.read(3)
    return len(head) == 3 and head[0] == 0x08 and head[1] < 0x80 and head[2] in (0x12, 0x1a, 0x22, 0x2a, 0x3a, 0x42)


def _check_header(path, doc):
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise GraphFileError(f"{path}: not a graphscope graph file ({GRAPH_MEMBER} lacks "
                             f"\"format\": \"{FORMAT}\")")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise GraphFileError(f"{path}: invalid format version {version!r}")
    if version > VERSION:
        raise GraphFileError(f"{path}: written in graph-file format version {version}, newer than this "
                             f"graphscope reads (version {VERSION}): upgrade graphscope")
    for key, kind in (("nodes", list), ("outputs", list)):
        if not isinstance(doc.get(key), kind):
            raise GraphFileError(f"{path}: {GRAPH_MEMBER} needs a list \"{key}\"")


class _Reader:
    """Validates the nodes of one file and builds them, in file order."""

    def __init__(self, path, doc, npz, npz_size, gradients=True):
        self.path = path
        self.doc = doc
        self.array = READERS[doc["version"]](npz, npz_size)  # a reference in the file -> its array
        self.by_id = {}
        self.gradients = gradients
        self.folder = os.path.dirname(os.path.abspath(path)) if doc.get("paths") == RELATIVE else None
        stale = doc.get("outdated")
        self.outdated = set(stale) if isinstance(stale, list) and all(_is_int(i) for i in stale) else set()
        self.disagreements = Disagreements()
        self.files = {}  # a file name as stored -> as a path here (_file)

    def fail(self, text, entry=None, k=None):
        where = "" if k is None else self.who(entry, k) + ": "
        return GraphFileError(f"{self.path}: {where}{text}")

    def who(self, entry, k):
        """A node as the file names it: 'node id 7 ('W1')'; 'nodes[3]' (its place in the list, from 0) when its
        id cannot tell it apart."""
        entry = entry if isinstance(entry, dict) else {}
        nid, name = entry.get("id"), entry.get("name")
        text = f"node id {nid}" if _is_int(nid) and nid not in self.by_id else f"nodes[{k}]"
        return text + (f" ({name!r})" if isinstance(name, str) else "")

    def build(self):
        entries = self.doc["nodes"]
        self._check_ops(entries)
        with np.errstate(all="ignore"):  # recomputing saved nodes (_recomputed) warns of nothing
            for k, entry in enumerate(entries):
                try:
                    node = self._node(k, entry)
                except AttrError as exc:
                    raise self.fail(str(exc), entry, k) from None
                self.by_id[entry["id"]] = node
        outputs = []
        for oid in self.doc["outputs"]:
            if not _is_int(oid) or oid not in self.by_id:
                raise self.fail(f"output {oid!r} is not the id of a node in the file")
            outputs.append(self.by_id[oid])
        if not outputs:
            raise self.fail("the file names no output node")
        return Graph(outputs, guards=self._guards())

    def _guards(self):
        """The guard nodes the file lists (the truths that steered Python when the graph was recorded)."""
        ids = self.doc.get("guards", [])
        if not isinstance(ids, list) or not all(_is_int(g) and g in self.by_id for g in ids):
            raise self.fail(f"\"guards\" must list ids of nodes in the file, got {str(ids)[:80]}")
        guards = [self.by_id[g] for g in ids]
        for g in guards:
            if g.op_def is None or not g.op_def.boolean or "decided" not in g.attrs:
                raise self.fail(f"guard {g.name} is not a decided comparison (op {g.op})")
        return guards

    def _check_ops(self, entries):
        """Every op must be defined in this session; list all that are not, at once."""
        missing = sorted({e["op"] for e in entries if isinstance(e, dict) and isinstance(e.get("op"), str)
                          and e["op"] not in OPS})
        if missing:
            hints = self.doc.get("custom_ops")
            hints = hints if isinstance(hints, dict) else {}
            stored = {name: hints[name]["file"] for name in missing
                      if isinstance(hints.get(name), dict) and isinstance(hints[name].get("file"), str)}
            for name in missing:  # no custom op of that name was saved: a misspelt built-in (an edited file)?
                near = [] if name in hints else difflib.get_close_matches(
                    name, [n for n, op in OPS.items() if op.handle is None], n=1, cutoff=0.8)
                if near:
                    raise self.fail(f"the graph uses op {name!r}, which is neither one of graphscope's ops nor a "
                                    f"custom op the file names; did you mean {near[0]!r}? (was the file edited "
                                    f"by hand?)")
            raise UnknownOpError(self.path, missing, {name: self._file(f) for name, f in stored.items()},
                                 {name: self._described(f) for name, f in stored.items()})

    def _file(self, stored):
        """A file name as the file stores it, as a path here: a relative one is relative to the graph file (each
        name worked out once: every node of a big graph names the same few files)."""
        path = self.files.get(stored)
        if path is None:
            path = stored
            if self.folder is not None and not os.path.isabs(stored) and not stored.startswith("<"):
                path = os.path.normpath(os.path.join(self.folder, stored))
            self.files[stored] = path
        return path

    def _described(self, stored):
        """'s1_mm_ok.py (next to the graph file)': a stored file name in words, no path of this machine added."""
        if self.folder is None or os.path.isabs(stored) or stored.startswith("<"):
            return stored
        if os.path.dirname(stored) == "":
            return f"{stored} (next to the graph file)"
        if stored.startswith(os.pardir):
            return f"{stored} (relative to the graph file's folder)"
        return f"{stored} (in the graph file's folder)"

    def _node(self, k, entry):
        if not isinstance(entry, dict):
            raise AttrError(f"expected a JSON object, got {type(entry).__name__}")
        for key in ("id", "name", "op", "inputs", "attrs", "value", "shape", "dtype"):
            if key not in entry:
                raise AttrError(f"the field {key!r} is missing")
        nid, name, op = entry["id"], entry["name"], entry["op"]
        if not _is_int(nid):
            raise AttrError(f"id must be an integer, got {nid!r}")
        if nid in self.by_id:
            raise AttrError(f"id {nid} is used twice")
        if not isinstance(name, str):
            raise AttrError(f"name must be a string, got {name!r:.60}")
        if name_problem(name):
            raise AttrError(name_problem(name))
        inputs = self._inputs(entry["inputs"], op)
        value = self._value(entry)
        grad = self._grad(entry, value) if self.gradients else None
        attrs = entry["attrs"]
        if not isinstance(attrs, dict):
            raise AttrError(f"attrs must be a JSON object, got {type(attrs).__name__}")
        attrs = {key: decode(v, self.array) for key, v in attrs.items()}
        role = entry.get("role")
        gap = None  # how far the saved value is from its op of the saved inputs (None: they agree)
        if op is None:
            if role not in _ROLES:
                raise AttrError(f"a leaf's role must be one of {', '.join(_ROLES)}, got {role!r}")
            if attrs:
                raise AttrError("a leaf has no attributes")
        else:
            if not isinstance(op, str):
                raise AttrError(f"op must be a string or null, got {op!r}")
            if op in OPS and OPS[op].upgrade is not None:  # a node saved before the op's inputs changed
                inputs, attrs = OPS[op].upgrade(inputs, attrs)
            recomputed = _recomputed(OPS[op], inputs, attrs, value)
            gap = None if nid in self.outdated else difference(value, recomputed)
        scope = entry.get("scope")
        if scope is not None and not isinstance(scope, str):
            raise AttrError(f"scope must be a string or null, got {scope!r}")
        t = new_leaf(value, bool(entry.get("requires_grad", False)), name, role, None)
        t.grad = grad
        if op is not None:
            t.op_def = OPS[op]
            t.inputs = inputs
            t.role = None
            if attrs:
                t.attrs = attrs
        t.scope = scope
        t._code, t._line = self._source(entry.get("source"))
        if gap is not None:
            self.disagreements.add(t, value, recomputed, gap)
        return t

    def _inputs(self, ids, op):
        if not isinstance(ids, list):
            raise AttrError(f"inputs must be a list of ids, got {type(ids).__name__}")
        if op is None and ids:
            raise AttrError("a leaf (op null) cannot have inputs")
        if op is not None and not ids:
            raise AttrError(f"op {op} has no inputs")
        nodes = []
        for i in ids:
            if not _is_int(i) or i not in self.by_id:
                raise AttrError(f"input {i!r} is not the id of a node earlier in the file "
                                f"(inputs must come before the nodes that use them)")
            nodes.append(self.by_id[i])
        return tuple(nodes)

    def _value(self, entry):
        value = self._float_array(entry["value"], "value", masks=True)
        shape, dtype = entry["shape"], entry["dtype"]
        if not isinstance(shape, list) or not all(_is_int(s) for s in shape):
            raise AttrError(f"shape must be a list of integers, got {shape!r}")
        if list(value.shape) != shape:
            raise AttrError(f"its value has shape {value.shape} but the node's shape is {tuple(shape)}")
        if _dtype_name(value.dtype) != dtype:
            raise AttrError(f"its value has dtype {value.dtype} but the node's dtype is {dtype}")
        return _raw(value)

    def _grad(self, entry, value):
        key = entry.get("grad")
        if key is None:
            return None
        grad = self._float_array(key, "gradient")
        shape = () if value.__class__ is float else value.shape
        if grad.shape != shape:
            raise AttrError(f"its gradient has shape {grad.shape} but its value has shape {shape}")
        return _raw(grad)

    def _float_array(self, key, what, masks=False):
        """A float array (a boolean one too with masks=True: a comparison's value)."""
        a = self.array(key)
        if a.dtype.kind != "f" and not (masks and a.dtype.kind == "b"):
            raise AttrError(f"its {what} has dtype {a.dtype}; values and gradients are float arrays (a "
                            f"comparison's value a boolean mask)")
        return a

    def _source(self, source):
        if source is None:
            return None, 0
        if (not isinstance(source, dict) or not isinstance(source.get("file"), str)
                or not _is_int(source.get("line"))):
            raise AttrError(f"source must be {{\"file\": str, \"line\": int}} or null, got {source!r}")
        return SavedSource(self._file(source["file"]), str(source.get("function", ""))), source["line"]


def _recomputed(op, inputs, attrs, value):
    """The op of the saved inputs and attributes: it must accept them and give a value of the saved shape.

    A file that contradicts itself (a reshape whose shape cannot hold its input, a scalar loss saved as a
    vector) is refused on load rather than at the first replay. The saved value is kept as it is; the caller
    compares it with the value returned.
    """
    unknown = attribute_problem(op, len(inputs), attrs)
    if unknown:
        raise AttrError(unknown)
    vals = [i._value for i in inputs]
    scalar_lane = op.scalar_forward is not None and all([v.__class__ is float for v in vals])
    if not scalar_lane:  # on Python floats an op is checked as recording checks it: by computing it
        try:
            problem = op.input_problem(*vals, **attrs)
        except Exception as exc:  # an attribute of the wrong kind can trip the check itself
            problem = f"{type(exc).__name__}: {describe(exc)}"
        if problem:
            raise AttrError(f"its saved inputs do not fit op {op.name}: {problem}")
    try:
        expected = compute(op, vals, attrs)
    except (ForwardFailed, GraphscopeError) as exc:
        raise AttrError(f"its saved inputs do not fit op {op.name}: {exc}") from None
    except MemoryError:
        raise AttrError(f"op {op.name} of its saved inputs would need more memory than there is") from None
    except Exception as exc:  # a custom op's forward, or a built-in given attributes of the wrong kind
        raise AttrError(f"op {op.name} fails on its saved inputs and attributes "
                        f"({type(exc).__name__}: {describe(exc)})") from None
    if (expected.__class__ is not float or value.__class__ is not float) and np.shape(expected) != np.shape(value):
        raise AttrError(f"its saved value has shape {np.shape(value)}, but op {op.name} of its saved inputs "
                        f"gives shape {np.shape(expected)}: the file contradicts itself")
    return expected


_DTYPE_NAMES = {}


def _dtype_name(dtype):
    """str(dtype), remembered (numpy takes microseconds to spell a dtype; a big graph asks per node)."""
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype)
    return name


def _is_int(x):
    return x.__class__ is int  # JSON gives exact ints; bool, a subclass of int, is not one


def _raw(a):
    """The engine's form of a value: a Python float for 0-d float64, otherwise the array."""
    if a.ndim == 0 and a.dtype is _FLOAT64:
        return float(a)
    return a
