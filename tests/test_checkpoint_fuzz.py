"""Fuzzing the checkpoint loader: random and mutated checkpoint.json, mutated and malicious arrays files.

Every outcome must be a clean load or one CheckpointError (a GraphscopeError):
never another exception, a hang (each example has a deadline) or a memory
blow-up. The arrays file is guarded by its SHA-256 in checkpoint.json, so the
mutated arrays are given a matching digest: the loader must not trust them either.
"""
import hashlib
import io
import json
import shutil
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import graphscope as gs
from graphscope.train import CheckpointError
from graphscope.train.checkpoint import META

from train_helpers import SGD, spiral, two_layer

fuzz = settings(max_examples=40, deadline=3000, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def make_trainer(x, y, epochs=1, **kw):
    loss = two_layer(x, y, hidden=8, seed=1)
    return gs.Trainer(loss, SGD(loss.graph().params, 0.1), batch_size=16, epochs=epochs, seed=3, progress=False,
                      **kw)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A good checkpoint folder, its meta document and arrays bytes, and the data to build trainers from."""
    x, y = spiral(n_per_class=10)
    folder = tmp_path_factory.mktemp("ck") / "good"
    make_trainer(x, y, checkpoint=folder).fit(x, y)
    meta = json.loads((folder / META).read_text())
    arrays = (folder / meta["arrays"]).read_bytes()
    return folder, meta, arrays, (x, y)


def write(folder, meta_bytes=None, arrays=None, name=None):
    folder.mkdir(exist_ok=True)
    if arrays is not None:
        (folder / name).write_bytes(arrays)
    (folder / META).write_bytes(meta_bytes)
    return folder


def outcome(folder, data):
    """Load `folder` into a fresh trainer: the meta, or the CheckpointError; anything else fails the test."""
    x, y = data
    try:
        return make_trainer(x, y).load_checkpoint(folder)
    except CheckpointError as exc:
        text = str(exc)
        assert text.startswith("checkpoint ") and "Traceback" not in text and len(text) < 2000, text
        return exc


def with_arrays(meta, arrays):
    """meta naming `arrays` with a matching digest (as a forger would write it)."""
    digest = hashlib.sha256(arrays).hexdigest()
    return dict(meta, arrays=f"arrays-{digest[:16]}.npz", sha256=digest)


@fuzz
@given(st.binary(max_size=400))
def test_random_bytes_as_checkpoint_json(saved, tmp_path_factory, blob):
    folder = write(tmp_path_factory.mktemp("f") / "ck", blob)
    assert isinstance(outcome(folder, saved[3]), CheckpointError)


json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
                           | st.text(max_size=8), lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


@fuzz
@given(st.data())
def test_mutated_checkpoint_json(saved, tmp_path_factory, data):
    good, meta, arrays, xy = saved
    doc = json.loads(json.dumps(meta))
    for _ in range(data.draw(st.integers(1, 3))):
        path = [doc]
        target = doc
        while isinstance(target, (dict, list)) and target and data.draw(st.booleans()):
            key = data.draw(st.sampled_from(sorted(target) if isinstance(target, dict) else range(len(target))))
            path.append(key)
            target = target[key]
        parent = path[-2] if len(path) > 1 else None
        if parent is None:
            key = data.draw(st.sampled_from(sorted(doc)))
            doc[key] = data.draw(json_values)
        else:
            container = doc
            for k in path[1:-1]:
                container = container[k]
            container[path[-1]] = data.draw(json_values)
    folder = write(tmp_path_factory.mktemp("f") / "ck", json.dumps(doc).encode(), arrays, meta["arrays"])
    outcome(folder, xy)


@fuzz
@given(st.data())
def test_mutated_arrays_with_a_matching_digest(saved, tmp_path_factory, data):
    good, meta, arrays, xy = saved
    blob = bytearray(arrays)
    for _ in range(data.draw(st.integers(1, 8))):
        blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        blob = blob[:data.draw(st.integers(0, len(blob)))]
    blob = bytes(blob)
    doc = with_arrays(meta, blob)
    folder = write(tmp_path_factory.mktemp("f") / "ck", json.dumps(doc).encode(), blob, doc["arrays"])
    outcome(folder, xy)


def npz(parts):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def npy_declaring(shape):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buf.getvalue() + b"\0" * 16


MALICIOUS = {
    "a huge declared shape": (lambda: npz({"param/0.npy": npy_declaring((10**6, 10**6))}),
                              r"declares shape \(1000000, 1000000\).*holds 16 bytes"),
    "pickled objects": (lambda: npz({"param/0.npy": (lambda b: (np.save(b, np.array([{}], dtype=object),
                                                                        allow_pickle=True), b.getvalue())[1])(
                                                                            io.BytesIO())}),
                        r"holds Python objects"),
    "a member that is not an array": (lambda: npz({"notes.txt": b"hello"}), r"notes\.txt is not an \.npy array"),
    "not a zip": (lambda: b"PK\x03\x04 garbage", r"not a readable \.npz archive \(File is not a zip file\)"),
}


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_malicious_arrays_are_refused_before_numpy_allocates(saved, tmp_path, case):
    good, meta, _, xy = saved
    make, message = MALICIOUS[case]
    blob = make()
    doc = with_arrays(meta, blob)
    folder = write(tmp_path / "ck", json.dumps(doc).encode(), blob, doc["arrays"])
    with pytest.raises(CheckpointError, match=message):
        make_trainer(*xy).load_checkpoint(folder)


@pytest.mark.parametrize("case", ["deep", "long integer", "truncated", "empty", "huge"])
def test_damaged_checkpoint_json(saved, tmp_path, case):
    good, meta, arrays, xy = saved
    folder = tmp_path / "ck"
    shutil.copytree(good, folder)
    text = (folder / META).read_bytes()
    data, message = {
        "deep": (b"[" * 5000 + b"]" * 5000, r"nested too deeply|more than 64 deep"),
        "long integer": (text.replace(b'"epoch":1', b'"epoch":1' + b"0" * 4000), r"an integer with 4001 digits"),
        "truncated": (text[:len(text) // 2], r"is not valid JSON"),
        "empty": (b"", r"is not valid JSON"),
        "huge": (None, r"more than a checkpoint's settings and history ever take"),
    }[case]
    if data is None:
        with open(folder / META, "wb") as f:
            f.truncate(65 * 1024 * 1024)  # sparse: nothing is written or read
    else:
        (folder / META).write_bytes(data)
    with pytest.raises(CheckpointError, match=message):
        make_trainer(*xy).load_checkpoint(folder)
    assert outcome(good, xy)["epoch"] == 1  # the good one still loads


@pytest.mark.parametrize("key, value, words", [("epoch", "1", "a whole number"), ("epoch", True, "a whole number"),
                                               ("params", {}, "a list"), ("history", None, "a mapping")])
def test_a_field_of_the_wrong_kind_is_named_in_words(saved, tmp_path, key, value, words):
    good, meta, arrays, xy = saved
    folder = write(tmp_path / "ck", json.dumps(dict(meta, **{key: value})).encode(), arrays, meta["arrays"])
    with pytest.raises(CheckpointError, match=f"'{key}' is missing or not {words}$"):
        make_trainer(*xy).load_checkpoint(folder)
