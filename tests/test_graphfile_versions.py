"""Graph-file format versions: version 2 packs arrays by dtype and shape; version-1 files still load.

``graphfiles/v1.gsgraph`` was written by graphscope's version-1 writer before
packing existed; ``save_graph(..., version=1)`` still writes that layout.
"""
import gc
import io
import json
import os
import zipfile

import numpy as np
import pytest

import graphscope as gs
from graphscope.interop import VERSION, GraphFileError, load_graph, save_graph
from graphfile_samples import assert_same_graph, mixed_graph

V1_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "graphfiles", "v1.gsgraph")


def contents(path):
    """(graph.json as a dict, {arrays.npz member key: array})."""
    with zipfile.ZipFile(path) as z:
        doc = json.loads(z.read("graph.json"))
        with np.load(io.BytesIO(z.read("arrays.npz"))) as npz:
            return doc, {k: npz[k] for k in npz.files}


def arrays_in(attrs):
    """The numpy arrays among attribute values, inside tuples and lists too (a getitem's index)."""
    for v in attrs.values() if isinstance(attrs, dict) else attrs:
        if isinstance(v, np.ndarray):
            yield v
        elif isinstance(v, (tuple, list, dict)):
            yield from arrays_in(v)


def scalar_chain(terms):
    """sum_i w_i * x_i on Python floats, differentiated: about 4 scalar nodes a term."""
    acc = gs.param(0.5, name="b")
    for i in range(terms):
        acc = acc + gs.param(i / terms, name="w") * gs.tensor(1.0 - i / terms, name="x")
    out = gs.tanh(acc)
    out.backward()
    return gs.Graph(out)


# ---------------------------------------------------------------- files of the version-1 layout

def test_a_file_written_by_the_version_1_writer_still_loads():
    expected = mixed_graph()
    loaded = load_graph(V1_FILE)
    with zipfile.ZipFile(V1_FILE) as z:
        assert json.loads(z.read("graph.json"))["version"] == 1
    assert_same_graph(expected, loaded, same_session=False)
    assert [n.name for n in loaded.outputs] == ["scalar_loss", "class_loss"]
    assert type(loaded["w0"].value) is float and loaded["w0"].scope == "neuron"
    assert type(loaded["half"].value) is np.ndarray and loaded["half"].value.dtype == np.float32


def test_a_loaded_version_1_graph_replays_and_backpropagates_like_a_fresh_one():
    fresh, loaded = mixed_graph(), load_graph(V1_FILE)
    for g in (fresh, loaded):
        g.zero_grad()
        g.run({"x0": 0.75, "X": np.full((5, 4), 0.5, dtype=np.float32)})
        g.backward()  # from the first output, the scalar loss
    for name in ("w0", "b", "grid"):
        np.testing.assert_array_equal(loaded[name].grad, fresh[name].grad)
    assert loaded.outputs[0].value == fresh.outputs[0].value
    assert loaded.outputs[1].value == fresh.outputs[1].value and loaded.outputs[1].value.dtype == np.float32


def test_save_with_version_1_writes_the_layout_of_the_old_writer(tmp_path):
    """Same members and references as the file the old code wrote: one a<k>.npy per array, in node order."""
    path = tmp_path / "again.gsgraph"
    assert mixed_graph().save(path, version=1) == os.fspath(path)
    old_doc, old_arrays = contents(V1_FILE)
    new_doc, new_arrays = contents(path)
    assert new_doc["version"] == old_doc["version"] == 1
    assert sorted(new_arrays, key=lambda k: int(k[1:])) == [f"a{k}" for k in range(len(new_arrays))]
    # the file was written when where's mask was an attribute; it is now a constant input (one node more), so
    # the nodes are compared up to that where
    fields = ("op", "role", "attrs", "scope", "requires_grad", "shape", "dtype", "value", "grad")
    first_where = next(k for k, n in enumerate(old_doc["nodes"]) if n["op"] == "where")
    assert old_doc["nodes"][first_where]["attrs"].keys() == {"cond"}
    for old, new in zip(old_doc["nodes"][:first_where], new_doc["nodes"][:first_where], strict=True):
        assert {k: new[k] for k in fields} == {k: old[k] for k in fields}
        for key in (old["value"], old["grad"]):
            if key is not None:
                assert new_arrays[key].dtype == old_arrays[key].dtype
                np.testing.assert_array_equal(new_arrays[key], old_arrays[key])
    mask, where = new_doc["nodes"][first_where:first_where + 2]
    assert (mask["role"], where["op"], where["attrs"]) == ("const", "where", {})
    np.testing.assert_array_equal(new_arrays[mask["value"]],
                                  old_arrays[old_doc["nodes"][first_where]["attrs"]["cond"]["array"]])
    assert len(new_doc["nodes"]) == len(old_doc["nodes"]) + 1
    assert_same_graph(load_graph(path), load_graph(V1_FILE), same_session=False)


# ---------------------------------------------------------------- the packed layout (version 2)

@pytest.mark.parametrize("version", [VERSION, 1])
def test_every_kind_of_value_round_trips_in_either_layout(tmp_path, version):
    """0-d float64 (Python floats), 0-d float32, n-d float32 and float64 values and gradients, attribute arrays."""
    graph = mixed_graph()
    path = tmp_path / "mixed.gsgraph"
    save_graph(graph, path, version=version)
    loaded = load_graph(path)
    assert_same_graph(graph, loaded)
    assert contents(path)[0]["version"] == version


def test_arrays_of_one_dtype_and_shape_share_one_member(tmp_path):
    graph = mixed_graph()
    graph.save(tmp_path / "mixed.gsgraph")
    doc, arrays = contents(tmp_path / "mixed.gsgraph")
    assert doc["version"] == VERSION == 2
    kinds = {}
    for n in graph.nodes:
        for v in [n.value] + ([] if n.grad is None else [n.grad]) + list(arrays_in(n.attrs)):
            v = np.asarray(v)
            kinds[v.dtype, v.shape] = kinds.get((v.dtype, v.shape), 0) + 1
    assert sorted(arrays) == sorted(f"g{k}" for k in range(len(kinds)))
    for key, stack in arrays.items():
        assert kinds[stack.dtype, stack.shape[1:]] == len(stack)
    for entry, node in zip(doc["nodes"], graph.nodes):
        group, row = entry["value"]
        np.testing.assert_array_equal(arrays[f"g{group}"][row], node.value)
        if node.grad is not None:
            group, row = entry["grad"]
            np.testing.assert_array_equal(arrays[f"g{group}"][row], node.grad)


def test_a_scalar_graph_is_one_member_of_floats(tmp_path):
    graph = scalar_chain(500)
    graph.save(tmp_path / "chain.gsgraph")
    doc, arrays = contents(tmp_path / "chain.gsgraph")
    with_grad = sum(n.grad is not None for n in graph.nodes)
    assert list(arrays) == ["g0"] and arrays["g0"].shape == (len(graph.nodes) + with_grad,)
    loaded = load_graph(tmp_path / "chain.gsgraph")
    assert_same_graph(graph, loaded)
    assert all(type(n.value) is float for n in loaded.nodes)


def test_views_and_empty_arrays_round_trip(tmp_path):
    """Values that are views in another order (a transpose, a strided slice) and an array with no elements."""
    a = gs.param(np.arange(12.0).reshape(3, 4), name="a")
    empty = gs.param(np.zeros((0, 3)), name="empty")
    t, strided = gs.transpose(a), a[:, ::2]
    loss = gs.sum(t) + gs.sum(empty) + gs.sum(strided * 2.0)
    loss.backward()
    graph = loss.graph()
    assert not t.value.flags["C_CONTIGUOUS"] and not strided.value.flags["C_CONTIGUOUS"]
    graph.save(tmp_path / "views.gsgraph")
    loaded = load_graph(tmp_path / "views.gsgraph")
    assert_same_graph(graph, loaded)
    assert loaded["empty"].value.shape == (0, 3) and loaded["empty"].grad.shape == (0, 3)


def test_loaded_arrays_share_no_memory(tmp_path):
    """Rows of one packed member come back as separate arrays, even when a file names one row twice."""
    a = gs.param(np.ones(3), name="a")
    b = gs.param(np.ones(3), name="b")
    (a * b).sum().graph().save(tmp_path / "g.gsgraph")
    loaded = load_graph(tmp_path / "g.gsgraph")
    loaded["a"].value[0] = 5.0
    assert loaded["b"].value[0] == 1.0 and not np.shares_memory(loaded["a"].value, loaded["b"].value)
    doc, arrays = contents(tmp_path / "g.gsgraph")
    doc["nodes"][1]["value"] = doc["nodes"][0]["value"]     # b's value: the row holding a's
    with zipfile.ZipFile(tmp_path / "twice.gsgraph", "w") as z:
        z.writestr("graph.json", json.dumps(doc))
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        z.writestr("arrays.npz", buf.getvalue())
    twice = load_graph(tmp_path / "twice.gsgraph")
    np.testing.assert_array_equal(twice["a"].value, twice["b"].value)
    assert not np.shares_memory(twice["a"].value, twice["b"].value)


@pytest.mark.parametrize("version", [3, 0, "2", True, None])
def test_an_unknown_version_to_write_is_refused(tmp_path, version):
    with pytest.raises(GraphFileError, match=rf"cannot write graph-file format version {version!r}: choose one "
                                             r"of 1, 2$"):
        scalar_chain(2).save(tmp_path / "g.gsgraph", version=version)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_it_was(tmp_path, enabled):
    graph = scalar_chain(20)
    (tmp_path / "bad.gsgraph").write_bytes(b"PK\x03\x04 not really")
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        graph.save(tmp_path / "g.gsgraph")
        assert gc.isenabled() == enabled
        load_graph(tmp_path / "g.gsgraph")
        assert gc.isenabled() == enabled
        with pytest.raises(GraphFileError):
            load_graph(tmp_path / "bad.gsgraph")
        assert gc.isenabled() == enabled
    finally:
        (gc.enable if was else gc.disable)()
