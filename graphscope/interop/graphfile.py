"""Graph files: a recorded graph saved as JSON (structure) plus .npz (arrays), in one zip archive.

    graph.save("model.gsgraph")           # or gs.interop.save_graph(graph, path)
    graph = gs.load_graph("model.gsgraph")

The archive holds two members:

- ``graph.json``: ``{"format": "graphscope-graph", "version": 2, "outputs": [ids],
  "custom_ops": {name: {"module", "file"}}, "nodes": [...]}``, one entry per node in topological order, one
  a line: ``id``, ``name``, ``op`` (null for a leaf), ``role`` (input/param/const for leaves), ``inputs``
  (ids of earlier nodes), ``attrs`` (see ``attrcodec``), ``scope``, ``source``
  (``{"file", "line", "function"}`` or null), ``requires_grad``, ``shape``,
  ``dtype``, ``value`` and ``grad`` (references into the arrays, grad may be null);
- ``arrays.npz``: every array, read back with ``allow_pickle=False``. In version 2 arrays of one dtype and
  shape are packed into one member, ``g<k>.npy`` of shape ``(count, *shape)``, and a reference is
  ``[k, row]``; version 1 (still read; written by ``save_graph(..., version=1)``) has one member per
  array, ``a<k>.npy``, referenced as ``"a<k>"`` (see ``arraypack``).

Writing is atomic (a temporary file renamed into place). Reading validates
everything and reports the first problem in one message (GraphFileError):
not a graph file, truncated or damaged, a newer format version, malformed
JSON, an op this session does not define (UnknownOpError: import the module
defining the custom op first), a missing array or row, an array of the wrong shape or dtype, inputs that
do not exist or do not fit their op.

Loaded nodes keep their names, scopes, source locations, values and
gradients, and can be replayed (``graph.run``) and backpropagated. They get
fresh ids from the engine's counter, in file order, so they never collide
with nodes already in the session and inputs still come before outputs.
"""
import gc
import inspect
import io
import json
import os
import time
import zipfile
from contextlib import contextmanager

import numpy as np

from ..engine.errors import GraphscopeError
from ..engine.graph import Graph, require_graph
from ..engine.optable import OPS
from ..engine.compute import ForwardFailed, compute
from ..engine.source import display_location
from ..engine.tensor import new_leaf
from ..util.atomic import atomic_write, require_path
from .arraypack import MEMBER as ARRAYS_MEMBER, READERS, WRITERS
from .attrcodec import AttrError, decode, encode
from .safeio import ZIP_ERRORS, UnsafeFile, describe, parse_json, read_member

FORMAT = "graphscope-graph"
VERSION = 2
GRAPH_MEMBER = "graph.json"
_ROLES = ("input", "param", "const")
_FLOAT64 = np.dtype(np.float64)
_LINES_A_WRITE = 4096  # lines of graph.json (nodes) encoded, then written at once


class GraphFileError(GraphscopeError):
    """A graph file that cannot be written or read: the message says which file and what is wrong."""


class UnknownOpError(GraphFileError):
    """A graph file uses ops (custom ones) that are not defined in this session.

    ``ops`` lists their names; ``defined_in`` maps a name to the file that
    defined it when the graph was saved (where known), so a caller can say how
    to define them its own way (the command line names its --import option).
    """

    def __init__(self, path, ops, defined_in):
        self.path, self.ops, self.defined_in = path, list(ops), dict(defined_in)
        super().__init__(f"{path}: {self.uses()}: import the module defining {self.them()} before "
                         f"gs.load_graph (custom ops are defined with gs.custom_op"
                         + "".join(f"; {name} was defined in {where}" for name, where in self.defined_in.items())
                         + ")")

    def uses(self):
        """'the graph uses op swish, not defined in this session'."""
        return (f"the graph uses op{'s' if len(self.ops) > 1 else ''} {', '.join(self.ops)}, "
                f"not defined in this session")

    def them(self):
        return "them" if len(self.ops) > 1 else "it"


class SavedSource:
    """Where a loaded node was made, as saved: stands in for the code object a recorded node keeps."""

    __slots__ = ("co_filename", "co_name")

    def __init__(self, filename, function):
        self.co_filename = filename
        self.co_name = function


# ---------------------------------------------------------------- writing

def save_graph(graph, path, version=VERSION):
    """Write a Graph (or the graph ending at a tensor) to `path` atomically; return the path.

    `version` 1 writes the layout of graphscope releases before packing (one array a member), for
    readers that only know it; it is slower to write and read for graphs of many nodes.
    """
    graph = require_graph(graph)
    if not _is_int(version) or version not in WRITERS:
        raise GraphFileError(f"cannot write graph-file format version {version!r}: "
                             f"choose one of {', '.join(map(str, WRITERS))}")
    store = WRITERS[version]()
    head = {"format": FORMAT, "version": version, "outputs": [n.id for n in graph.outputs],
            "custom_ops": _custom_ops(graph)}
    if graph.guards:  # written after the nodes they read (graph.program); readers before guards ignore them
        head["guards"] = [n.id for n in graph.guards]
    now = time.localtime()[:6]
    with _collector_paused(), atomic_write(path, "graph file") as f:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as z:
            with z.open(zipfile.ZipInfo(GRAPH_MEMBER, now), "w", force_zip64=True) as member:
                _write_json(member, head, (_encode_node(n, store) for n in graph.program))
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


def _custom_ops(graph):
    """{op name: where its forward is defined} for the custom ops in the graph (a hint for loading)."""
    found = {}
    for n in graph.nodes:
        handle = getattr(n.op_def, "handle", None)
        if handle is not None and n.op_def.name not in found:
            try:
                where = inspect.getsourcefile(handle._forward)
            except TypeError:
                where = None
            found[n.op_def.name] = {"module": getattr(handle._forward, "__module__", None), "file": where}
    return found


def _encode_node(n, store):
    try:
        attrs = {k: encode(v, store) for k, v in n.attrs.items()} if n.attrs else {}
    except AttrError as exc:
        raise GraphFileError(f"cannot save node {n.name} (op {n.op}, made at {display_location(n.source)}): "
                             f"attribute: {exc}") from None
    code = n._code
    source = None if code is None else {"file": code.co_filename, "line": int(n._line),
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
            "value": store.put(value), "grad": None if n.grad is None else store.put(n.grad)}


def _graph_save(graph, path, version=VERSION):
    """Write the graph (structure, values, gradients) to one file atomically; read it back with ``gs.load_graph``.

    ``version=1`` writes the older layout (one array a member) for graphscope releases that only read it.
    """
    return save_graph(graph, path, version)


def install():
    """Give Graph its ``save`` method (called by ``import graphscope``; the engine never imports this layer)."""
    Graph.save = _graph_save


# ---------------------------------------------------------------- reading

def load_graph(path):
    """Read a graph file written by save_graph; a Graph whose nodes are ready to replay and backpropagate."""
    path = require_path(path, "graph file")
    with _collector_paused():
        doc, npz, npz_size = _open(path)
        with npz:
            return _Reader(path, doc, npz, npz_size).build()


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

    def __init__(self, path, doc, npz, npz_size):
        self.path = path
        self.doc = doc
        self.array = READERS[doc["version"]](npz, npz_size)  # a reference in the file -> its array
        self.by_id = {}

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
        with np.errstate(all="ignore"):  # recomputing saved nodes (_check_consistent) warns of nothing
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
            defined_in = {name: hints[name]["file"] for name in missing
                          if isinstance(hints.get(name), dict) and isinstance(hints[name].get("file"), str)}
            raise UnknownOpError(self.path, missing, defined_in)

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
            raise AttrError(f"name must be a string, got {name!r}")
        inputs = self._inputs(entry["inputs"], op)
        value = self._value(entry)
        grad = self._grad(entry, value)
        attrs = entry["attrs"]
        if not isinstance(attrs, dict):
            raise AttrError(f"attrs must be a JSON object, got {type(attrs).__name__}")
        attrs = {key: decode(v, self.array) for key, v in attrs.items()}
        role = entry.get("role")
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
            _check_consistent(OPS[op], inputs, attrs, value)
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
        return SavedSource(source["file"], str(source.get("function", ""))), source["line"]


def _check_consistent(op, inputs, attrs, value):
    """The op must accept the saved inputs and attributes and give a value of the saved shape.

    A file that contradicts itself (a reshape whose shape cannot hold its input, a scalar loss saved as a
    vector) is refused on load rather than at the first replay. The saved value is kept as it is.
    """
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
