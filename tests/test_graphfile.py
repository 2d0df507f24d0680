"""Graph files: round trips keep everything, malformed files give one clear error, writes are atomic."""
import io
import json
import os
import re
import zipfile

import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.custom import unregister
from graphscope.interop import VERSION, GraphFileError, load_graph, save_graph
from graphscope.util.atomic import FileWriteError
from graphfile_samples import assert_same_graph
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")


def two_layer(rng, dtype=np.float64):
    X = gs.tensor(rng.normal(size=(4, 3)).astype(dtype), name="X")
    W1 = gs.param(rng.normal(size=(3, 5)).astype(dtype), name="W1")
    W2 = gs.param(rng.normal(size=(5, 2)).astype(dtype), name="W2")
    with gs.scope("fc1"):
        h = gs.tanh(X @ W1)
    with gs.scope("fc2"):
        scores = h @ W2
    loss = gs.softmax_cross_entropy(scores, np.array([0, 1, 1, 0])) + 0.01 * gs.l2(W1)
    loss.name = "loss"
    return loss


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_keeps_names_scopes_sources_values_and_gradients(rng, tmp_path, dtype):
    loss = two_layer(rng, dtype)
    loss.backward()
    graph = loss.graph()
    path = tmp_path / "model.gsgraph"
    assert graph.save(path) == os.fspath(path)
    loaded = gs.load_graph(path)
    assert_same_graph(graph, loaded)
    assert loaded.output.name == "loss" and loaded["W1"].role == "param"
    assert loaded["matmul_" + str(graph.nodes[3].id)].scope == "fc1"   # automatic names kept as they were
    assert "test_graphfile.py:" in loaded["W1"].source


def test_a_loaded_graph_replays_and_backpropagates_like_the_original(rng, tmp_path):
    loss = two_layer(rng)
    graph = loss.graph()
    graph.save(tmp_path / "g.gsgraph")
    loaded = load_graph(tmp_path / "g.gsgraph")
    X_new = rng.normal(size=(6, 3))
    labels = np.array([1, 0, 1, 1, 0, 0])
    for g in (graph, loaded):
        loss_node = next(n for n in g if n.op == "softmax_cross_entropy")
        g.zero_grad()
        g.run({"X": X_new, (loss_node, "labels"): labels})
        g.backward()
    assert loaded.output.value == graph.output.value
    for name in ("W1", "W2"):
        np.testing.assert_array_equal(loaded[name].grad, graph[name].grad)


def test_loaded_ids_are_fresh_and_in_file_order(rng, tmp_path):
    loss = two_layer(rng)
    graph = loss.graph()
    graph.save(tmp_path / "g.gsgraph")
    newest_before = gs.tensor(0.0).id
    loaded = load_graph(tmp_path / "g.gsgraph")
    ids = [n.id for n in loaded]
    assert min(ids) > newest_before and ids == sorted(ids)
    assert all(i.id < n.id for n in loaded for i in n.inputs)
    assert not {n.id for n in graph} & set(ids)


def every_kind_of_attribute(rng):
    """Nodes whose attributes cover every type the op table uses, plus a custom op's odd ones."""
    @gs.custom_op
    def tagged(x, **attrs):
        return x * 1.0

    tagged.vjp(lambda g, x, value, **attrs: (g,))
    x = gs.param(rng.normal(size=(4, 5)), name="x")
    labels = np.array([0, 4, 2, 1])
    mask = x.value > 0
    parts = [
        x[1:3, None, ...], x[np.array([0, 2]), 1:], x[mask], x[..., 0], x[np.arange(4), labels], x[::-2, 3],
        gs.where(mask, x, x * 2.0), gs.clip(x, None, 0.5), gs.abs(x) ** 2.5, gs.sum(x, axis=(0, 1), keepdims=True),
        gs.transpose(x, (1, 0)), gs.reshape(x, (5, 4)), gs.softmax(x, axis=0),
        gs.softmax_cross_entropy(x, labels), gs.svm_loss(x, labels),
        tagged(x, nan=float("nan"), inf=float("-inf"), big=2 ** 70, np_int=np.int64(3), np_float=np.float32(0.5),
               flag=np.bool_(True), text="é", nothing=None, items=[1, (2, slice(None, 3))],
               table={"k": np.array([1.5, 2.5], dtype=np.float32)}, plain=True),
    ]
    total = parts[0].sum()
    for p in parts[1:]:
        total = total + p.sum()
    return total


@pytest.mark.parametrize("version", [VERSION, 1])
def test_every_attribute_type_round_trips(rng, tmp_path, version):
    total = every_kind_of_attribute(rng)
    total.backward()
    graph = total.graph()
    save_graph(total, tmp_path / "attrs.gsgraph", version=version)  # a tensor is accepted as well as a Graph
    loaded = load_graph(tmp_path / "attrs.gsgraph")
    assert_same_graph(graph, loaded)
    index = next(n for n in loaded if n.op == "getitem").attrs["index"]
    assert index[0] == slice(1, 3) and index[1] is None and index[2] is Ellipsis
    x_new = rng.normal(size=(4, 5))
    for g in (graph, loaded):
        g.zero_grad()
        g.run({"x": x_new})
        g.backward()
    assert loaded.output.value == graph.output.value
    np.testing.assert_array_equal(loaded["x"].grad, graph["x"].grad)


def test_a_custom_op_must_be_defined_before_loading(rng, tmp_path):
    def define():
        @gs.custom_op
        def swish(x):
            return x / (1.0 + np.exp(-x))

        @swish.vjp
        def _(g, x, value):
            s = 1.0 / (1.0 + np.exp(-x))
            return (g * (s + x * s * (1 - s)),)
        return swish

    swish = define()
    x = gs.param(rng.normal(size=(3,)), name="x")
    loss = gs.sum(swish(x))
    loss.graph().save(tmp_path / "custom.gsgraph")
    unregister("swish")
    with pytest.raises(GraphFileError, match=r"uses op swish, not defined in this session: import the module "
                                             r"defining it before gs.load_graph \(custom ops are defined with "
                                             r"gs.custom_op; swish was defined in ") as refused:
        load_graph(tmp_path / "custom.gsgraph")
    # The file is named absolutely, or relative to the graph file when the two share a folder below the root
    # (a checkout under /tmp, beside pytest's temporary folders): either way it is this file.
    named = re.search(r"swish was defined in (.+?\.py)( \((relative to|in) the graph file's folder\))?\)(;|$)",
                      str(refused.value))
    assert named and os.path.samefile(os.path.join(tmp_path, named.group(1)), __file__), str(refused.value)
    assert bool(named.group(2)) == (not os.path.isabs(named.group(1)))
    define()
    loaded = load_graph(tmp_path / "custom.gsgraph")
    loaded.backward()
    assert loaded.nodes[1].op == "swish" and loaded.nodes[1].op_def is gs.OPS["swish"]
    assert gs.check_nodes(loaded).ok


# ---------------------------------------------------------------- malformed files

def saved(rng, tmp_path, version=VERSION):
    loss = two_layer(rng)
    loss.backward()
    path = tmp_path / "g.gsgraph"
    loss.graph().save(path, version=version)
    return path


def parts_of(path):
    with zipfile.ZipFile(path) as z:
        doc = json.loads(z.read("graph.json"))
        with np.load(io.BytesIO(z.read("arrays.npz"))) as npz:
            arrays = {k: npz[k] for k in npz.files}
    return doc, arrays


def write_parts(path, doc=None, arrays=None, raw_json=None, raw_npz=None):
    """A zip with graph.json and arrays.npz (either may be left out by passing neither form)."""
    with zipfile.ZipFile(path, "w") as z:
        if doc is not None or raw_json is not None:
            z.writestr("graph.json", raw_json if raw_json is not None else json.dumps(doc))
        if arrays is not None or raw_npz is not None:
            if raw_npz is None:
                buf = io.BytesIO()
                np.savez(buf, **arrays)
                raw_npz = buf.getvalue()
            z.writestr("arrays.npz", raw_npz)


def node_named(doc, prefix):
    return next(n for n in doc["nodes"] if n["name"].startswith(prefix))


def add_array(doc, arrays, array):
    """Keep `array` in the file on its own; its reference (a new group of one row; in version 1 a new key)."""
    if doc["version"] == 1:
        arrays[f"a{len(arrays)}"] = array
        return f"a{len(arrays) - 1}"
    arrays[f"g{len(arrays)}"] = np.asarray(array)[None]
    return [len(arrays) - 1, 0]


def no_such_array(doc):
    return "a999" if doc["version"] == 1 else [999, 0]


def _edit_doc(edit):
    def apply(path):
        doc, arrays = parts_of(path)
        edit(doc, arrays)
        write_parts(path, doc, arrays)
    return apply


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _pickled_array(doc, arrays):
    node_named(doc, "X")["value"] = add_array(doc, arrays, np.array([{"evil": 1}, None], dtype=object))


def _later_input(doc, arrays):
    node_named(doc, "matmul")["inputs"][0] = doc["nodes"][-1]["id"]


MALFORMED = {
    "not a zip": (lambda p: p.write_text("hello, I am not a graph"), r"not a graphscope graph file, or truncated"),
    "truncated": (_truncate, r"not a graphscope graph file, or truncated/damaged"),
    "no graph.json": (lambda p: write_parts(p, arrays=parts_of(p)[1]), r"no graph.json inside"),
    "no arrays.npz": (lambda p: write_parts(p, doc=parts_of(p)[0]), r"no arrays.npz inside"),
    "invalid JSON": (lambda p: write_parts(p, arrays=parts_of(p)[1], raw_json="{nodes: [}"),
                     r"graph.json is not valid JSON"),
    "wrong format": (_edit_doc(lambda d, a: d.update(format="something-else")), r"lacks \"format\""),
    "newer version": (_edit_doc(lambda d, a: d.update(version=99)),
                      rf"format version 99, newer than this graphscope reads \(version {VERSION}\): upgrade"),
    "bad version": (_edit_doc(lambda d, a: d.update(version="1")), r"invalid format version '1'"),
    "nodes not a list": (_edit_doc(lambda d, a: d.update(nodes={})), r"needs a list \"nodes\""),
    "damaged npz": (lambda p: write_parts(p, doc=parts_of(p)[0], raw_npz=b"PK\x03\x04garbage"),
                    r"arrays.npz is damaged"),
    "unknown op": (_edit_doc(lambda d, a: node_named(d, "tanh").update(op="frobnicate")),
                   r"uses op frobnicate, not defined in this session: import the module defining it before "
                   r"gs.load_graph"),
    "wrong shape": (_edit_doc(lambda d, a: node_named(d, "W1").update(shape=[5, 3])),
                    r"'W1'\): its value has shape \(3, 5\) but the node's shape is \(5, 3\)"),
    "wrong dtype": (_edit_doc(lambda d, a: node_named(d, "W1").update(dtype="float32")),
                    r"its value has dtype float64 but the node's dtype is float32"),
    "input defined later": (_edit_doc(_later_input), r"is not the id of a node earlier in the file"),
    "duplicate id": (_edit_doc(lambda d, a: d["nodes"][1].update(id=d["nodes"][0]["id"])), r"id \d+ is used twice"),
    "missing field": (_edit_doc(lambda d, a: node_named(d, "tanh").pop("value")), r"the field 'value' is missing"),
    "unknown attribute type": (_edit_doc(lambda d, a: node_named(d, "softmax").update(
        attrs={"labels": {"pickle": "x"}})), r"unknown attribute type 'pickle'"),
    "inputs that do not fit": (_edit_doc(lambda d, a: node_named(d, "matmul").update(
        inputs=[node_named(d, "W1")["id"]] * 2)), r"its saved inputs do not fit op matmul: inner dimensions differ"),
    "leaf with inputs": (_edit_doc(lambda d, a: node_named(d, "W2").update(inputs=[d["nodes"][0]["id"]])),
                         r"a leaf \(op null\) cannot have inputs"),
    "bad output": (_edit_doc(lambda d, a: d.update(outputs=[12345])), r"output 12345 is not the id of a node"),
    "bad role": (_edit_doc(lambda d, a: node_named(d, "X").update(role="wizard")), r"role must be one of"),
    "bad source": (_edit_doc(lambda d, a: node_named(d, "X").update(source="here")), r"source must be"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_file_gives_one_clear_error(rng, tmp_path, case):
    path = saved(rng, tmp_path)
    damage, message = MALFORMED[case]
    damage(path)
    with pytest.raises(GraphFileError, match=message) as err:
        load_graph(path)
    assert str(err.value).startswith(str(path))
    assert "Traceback" not in str(err.value)


def _edit_node(prefix, field, make):
    """Point a node's value or grad at a new array `make(doc, arrays)` returns (or at any reference)."""
    return _edit_doc(lambda d, a: node_named(d, prefix).update({field: make(d, a)}))


#: Bad arrays, in both layouts: version 2 (packed groups) and version 1 (one member each).
BAD_ARRAYS = {
    "missing array": (_edit_node("W1", "value", lambda d, a: no_such_array(d)),
                      r"node id \d+ \('W1'\): array (group 999 \(g999\.npy\)|'a999') is missing from arrays.npz$"),
    "integer value": (_edit_node("X", "value", lambda d, a: add_array(d, a, np.zeros((4, 3), int))),
                      r"\('X'\): its value has dtype int64; values and gradients are float arrays"),
    "wrong gradient shape": (_edit_node("W1", "grad", lambda d, a: add_array(d, a, np.zeros(2))),
                             r"\('W1'\): its gradient has shape \(2,\) but its value has shape \(3, 5\)"),
    "pickled objects": (_edit_doc(_pickled_array), r"\('X'\): .*holds Python objects; .* never unpickled"),
    "reference of the wrong kind": (_edit_node("W2", "value", lambda d, a: 7),
                                    r"\('W2'\): an array reference must be (\[group, row\], two integers|a key "
                                    r"string such as 'a7'); got 7$"),
}


@pytest.mark.parametrize("version", [2, 1])
@pytest.mark.parametrize("case", sorted(BAD_ARRAYS))
def test_a_bad_array_gives_one_clear_error_in_either_layout(rng, tmp_path, case, version):
    path = saved(rng, tmp_path, version)
    damage, message = BAD_ARRAYS[case]
    damage(path)
    with pytest.raises(GraphFileError, match=message) as err:
        load_graph(path)
    assert str(err.value).startswith(f"{path}: node id ")


def _group_of(prefix, doc):
    return node_named(doc, prefix)["value"][0]


#: Version 2 only: references into the packed groups.
BAD_REFERENCES = {
    "row past the group's end": (_edit_node("W1", "grad", lambda d, a: [_group_of("W1", d), 40]),
                                 r"\('W1'\): array \[(\d+), 40\]: group \1 \(g\1\.npy\) holds 2 arrays, so it "
                                 r"has no row 40$"),
    "negative row": (_edit_node("W1", "grad", lambda d, a: [_group_of("W1", d), -1]),
                     r"\('W1'\): array \[\d+, -1\]: group \d+ \(g\d+\.npy\) holds 2 arrays, so it has no row -1$"),
    "negative group": (_edit_node("W1", "grad", lambda d, a: [-1, 0]), r"array group -1 \(g-1\.npy\) is missing"),
    "booleans": (_edit_node("X", "value", lambda d, a: [False, True]),
                 r"\('X'\): an array reference must be \[group, row\], two integers; got \[False, True\]"),
    "three numbers": (_edit_node("X", "value", lambda d, a: [0, 0, 0]), r"must be \[group, row\], two integers"),
    "a version-1 key": (_edit_node("X", "value", lambda d, a: "a0"), r"must be \[group, row\], two integers; got 'a0'"),
    "a group of one number": (_edit_node("X", "value", lambda d, a: (a.update(g9=np.float64(1.0)), [9, 0])[1]),
                              r"\('X'\): array group 9 \(g9\.npy\) is a single number, not a stack of arrays"),
    "a group stored without .npy": (lambda p: _rename_npz_member(p, "g0.npy", "g0"),
                                    r"array group 0 is not stored as an \.npy member of arrays\.npz"),
}


def _rename_npz_member(path, old, new):
    with zipfile.ZipFile(path) as z:
        doc, blob = z.read("graph.json"), z.read("arrays.npz")
    with zipfile.ZipFile(io.BytesIO(blob)) as inner:
        members = {new if name == old else name: inner.read(name) for name in inner.namelist()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as inner:
        for name, data in members.items():
            inner.writestr(name, data)
    write_parts(path, raw_json=doc, raw_npz=buf.getvalue())


@pytest.mark.parametrize("case", sorted(BAD_REFERENCES))
def test_a_bad_reference_into_the_packed_arrays_gives_one_clear_error(rng, tmp_path, case):
    path = saved(rng, tmp_path)
    damage, message = BAD_REFERENCES[case]
    damage(path)
    with pytest.raises(GraphFileError, match=message) as err:
        load_graph(path)
    assert str(err.value).startswith(f"{path}: node id ")


def test_a_bad_node_is_named_by_its_id_and_name_as_in_the_file(rng, tmp_path):
    path = saved(rng, tmp_path)
    doc, _ = parts_of(path)
    k, matmul = next((k, n) for k, n in enumerate(doc["nodes"]) if n["name"].startswith("matmul"))
    assert matmul["id"] != k  # ids are the engine's, not places in the list
    _edit_doc(lambda d, a: d["nodes"][k].update(inputs=[12345]))(path)
    with pytest.raises(GraphFileError) as err:
        load_graph(path)
    assert f": node id {matmul['id']} ({matmul['name']!r}): input 12345 is not the id" in str(err.value)
    assert f"node {k} " not in str(err.value)


def test_a_node_whose_id_cannot_name_it_is_named_by_its_place(rng, tmp_path):
    path = saved(rng, tmp_path)
    doc, _ = parts_of(path)
    first, second = doc["nodes"][0], doc["nodes"][1]
    _edit_doc(lambda d, a: d["nodes"][1].update(id=first["id"]))(path)
    with pytest.raises(GraphFileError, match=rf": nodes\[1\] \({second['name']!r}\): id {first['id']} is used twice"):
        load_graph(path)
    _edit_doc(lambda d, a: d["nodes"][1].update(id="seven"))(path)
    with pytest.raises(GraphFileError, match=rf": nodes\[1\] \({second['name']!r}\): id must be an integer"):
        load_graph(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(GraphFileError, match="no such file"):
        load_graph(tmp_path / "nope.gsgraph")
    with pytest.raises(GraphFileError, match="is a directory"):
        load_graph(tmp_path)


# ---------------------------------------------------------------- atomic writes

def test_a_failed_write_leaves_the_old_file_and_no_temporary(rng, tmp_path, monkeypatch):
    path = saved(rng, tmp_path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        two_layer(rng).graph().save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["g.gsgraph"]


def test_write_errors_are_clear(rng, tmp_path):
    loss = two_layer(rng)
    with pytest.raises(FileWriteError, match="the folder .*missing.* does not exist"):
        loss.graph().save(tmp_path / "missing" / "g.gsgraph")
    with pytest.raises(FileWriteError, match="it is a directory"):
        loss.graph().save(tmp_path)


def test_an_attribute_that_cannot_be_saved_names_the_node(rng, tmp_path):
    @gs.custom_op
    def holder(x, thing):
        return x * 1.0

    out = holder(gs.tensor(np.ones(2)), thing=object())
    with pytest.raises(GraphFileError, match=r"cannot save node holder_\d+ \(op holder, made at .*test_graphfile.py"
                                             r":\d+\): attribute: values of type object cannot be saved"):
        out.graph().save(tmp_path / "x.gsgraph")
    assert os.listdir(tmp_path) == []
