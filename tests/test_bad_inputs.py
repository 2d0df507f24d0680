"""A corpus of bad inputs at the front doors: graph files, and every command, option and output path of the CLI.

Each case asserts the one clear message (what is wrong and where: the file and
the field, the option, the line) and, for the CLI, the exit status (2 when the
command cannot do its work; 1 is kept for a problem ``check`` finds in a graph)
and that no traceback is printed.
"""
import io
import json
import os
import re
import struct
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest

import graphscope as gs
from graphscope.cli import main
from graphscope.interop import GraphFileError, load_graph

from optable_guard import op_table_guard  # noqa: F401  (fixture: custom ops defined here are removed after)

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
CHAIN_RULE = os.path.join(SAMPLES, "chain_rule.py")
TWO_LAYER = os.path.join(SAMPLES, "two_layer.py")
CUSTOM = os.path.join(SAMPLES, "custom_op.py")
SPIRAL = os.path.join(SAMPLES, "train_spiral.py")


# ---------------------------------------------------------------- building bad graph files

def small_graph():
    """x (2, 3) -> reshape (3, 2) -> tanh -> sum: the loss."""
    x = gs.tensor(np.arange(6.0).reshape(2, 3) / 6, name="x", requires_grad=True)
    r = gs.reshape(x, 3, 2)
    r.name = "r"
    loss = gs.sum(gs.tanh(r))
    loss.name = "loss"
    loss.backward()
    return gs.Graph(loss)


def members(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def write_members(path, parts, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def npz_parts(blob):
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return {name: z.read(name) for name in z.namelist()}


def npz_bytes(parts):
    buf = io.BytesIO()
    write_members(buf, parts)
    return buf.getvalue()


def edit_json(edit):
    def damage(path):
        parts = members(path)
        doc = json.loads(parts["graph.json"])
        edit(doc, parts)
        parts["graph.json"] = json.dumps(doc).encode()
        write_members(path, parts)
    return damage


def node(doc, name):
    return next(n for n in doc["nodes"] if n["name"] == name)


def patch_member_header(member, field_local, field_central, value):
    """Set a 2-byte field of member's local and central zip headers (method at 8/10, flags at 6/8)."""
    def damage(path):
        data = bytearray(path.read_bytes())
        with zipfile.ZipFile(path) as z:
            local = z.getinfo(member).header_offset
        struct.pack_into("<H", data, local + field_local, value)
        start = 0
        while (start := data.find(b"PK\x01\x02", start)) >= 0:
            name_length = struct.unpack_from("<H", data, start + 28)[0]
            if bytes(data[start + 46:start + 46 + name_length]) == member.encode():
                struct.pack_into("<H", data, start + field_central, value)
            start += 4
        path.write_bytes(bytes(data))
    return damage


def group_member(doc, name):
    """The arrays.npz member holding node `name`'s value: 'g3.npy' for the reference [3, row]."""
    return f"g{node(doc, name)['value'][0]}.npy"


def npy_bytes(array):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array)
    return buf.getvalue()


def huge_npy_header(path):
    parts = members(path)
    doc = json.loads(parts["graph.json"])
    arrays = npz_parts(parts["arrays.npz"])
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10 ** 7, 10 ** 7)})
    arrays[group_member(doc, "x")] = header.getvalue() + b"\0" * 48
    parts["arrays.npz"] = npz_bytes(arrays)
    write_members(path, parts)


def deep_json(depth):
    def damage(path):
        parts = members(path)
        parts["graph.json"] = (b'{"format": "graphscope-graph", "version": 1, "outputs": [], "nodes": '
                               + b"[" * depth + b"]" * depth + b"}")
        write_members(path, parts)
    return damage


def long_integer(path):
    parts = members(path)
    text = parts["graph.json"].decode()
    doc = json.loads(text)
    parts["graph.json"] = text.replace(f'"id": {doc["nodes"][0]["id"]},', '"id": ' + "9" * 5000 + ",", 1).encode()
    write_members(path, parts)


def zip_bomb_declaration(path):
    """graph.json deflated, its declared size raised far beyond what deflate can give."""
    parts = members(path)
    write_members(path, parts, zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    start = data.find(b"PK\x01\x02")
    while start >= 0:
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if bytes(data[start + 46:start + 46 + name_length]) == b"graph.json":
            struct.pack_into("<I", data, start + 24, 2 ** 32 - 2)
        start = data.find(b"PK\x01\x02", start + 4)
    path.write_bytes(bytes(data))


def reshape_cannot_hold(doc, parts):
    node(doc, "r")["attrs"] = {"shape": {"tuple": [4, 2]}}


def loss_saved_as_vector(doc, parts):
    arrays = npz_parts(parts["arrays.npz"])
    loss = node(doc, "loss")
    arrays[f"g{len(arrays)}.npy"] = npy_bytes(np.zeros((1, 3)))  # a group of its own, of one row
    loss["value"], loss["shape"], loss["grad"] = [len(arrays) - 1, 0], [3], None
    parts["arrays.npz"] = npz_bytes(arrays)


def garbage_npz(path):
    parts = members(path)
    parts["arrays.npz"] = b"\x93NUMPY garbage that numpy would offer to unpickle"
    write_members(path, parts)


def npz_member_not_npy(doc, parts):
    arrays = npz_parts(parts["arrays.npz"])
    member = group_member(doc, "x")
    arrays[member[:-len(".npy")]] = arrays.pop(member)
    parts["arrays.npz"] = npz_bytes(arrays)


def wrong_attr_kind(doc, parts):
    node(doc, "r")["attrs"] = {"shape": "tall"}


def deep_attribute(doc, parts):
    value = 1
    for _ in range(40):
        value = {"tuple": [value]}
    node(doc, "r")["attrs"] = {"shape": value}


def replace_member(name, data):
    def damage(path):
        parts = members(path)
        parts[name] = data
        write_members(path, parts)
    return damage


def single_npy(path):
    buf = io.BytesIO()
    np.save(buf, np.zeros(3))
    replace_member("arrays.npz", buf.getvalue())(path)


def npz_member_deflate64(path):
    parts = members(path)
    inner = io.BytesIO(parts["arrays.npz"])
    patch = patch_member_header("g0.npy", 8, 10, 9)
    tmp = path.with_suffix(".npz")
    tmp.write_bytes(inner.getvalue())
    patch(tmp)
    parts["arrays.npz"] = tmp.read_bytes()
    tmp.unlink()
    write_members(path, parts)


BAD_GRAPH_FILES = {
    "empty file": (lambda p: p.write_bytes(b""), r"not a graphscope graph file, or truncated/damaged"),
    "empty zip": (lambda p: write_members(p, {}), r"not a graphscope graph file \(no graph\.json inside\)"),
    "graph.json not UTF-8": (replace_member("graph.json", b"\xff\xfe{}"), r"graph\.json is not valid JSON"),
    "graph.json a list": (replace_member("graph.json", b"[1, 2]"), r"lacks \"format\": \"graphscope-graph\""),
    "no nodes, no outputs": (edit_json(lambda d, parts: d.update(nodes=[], outputs=[])),
                             r"the file names no output node"),
    "arrays.npz a single array": (single_npy, r"arrays\.npz is damaged \(not an \.npz archive\)"),
    "Deflate64 inside arrays.npz": (npz_member_deflate64, r"g0\.npy is compressed with Deflate64"),
    "NaN as a shape": (edit_json(lambda d, parts: node(d, "x").update(shape=[2, "NaN"])),
                       r"\('x'\): shape must be a list of integers"),
    "Deflate64 member": (patch_member_header("graph.json", 8, 10, 9),
                         r"graph\.json is compressed with Deflate64, which graphscope cannot read"),
    "bzip2 member": (patch_member_header("arrays.npz", 8, 10, 12), r"arrays\.npz is compressed with bzip2"),
    "encrypted member": (patch_member_header("graph.json", 6, 8, 1), r"graph\.json is encrypted"),
    "impossible declared size": (zip_bomb_declaration, r"graph\.json declares 4294967294 bytes, more than"),
    "huge .npy shape": (huge_npy_header, r"array group (\d+): g\1\.npy declares shape \(10000000, 10000000\) of "
                                         r"float64 \(800000000000000 bytes\), but the member holds 48 bytes"),
    "very deep JSON": (deep_json(100_000), r"graph\.json is nested too deeply|nests lists and objects more"),
    "deep JSON": (deep_json(200), r"graph\.json nests lists and objects more than 64 deep"),
    "integer with 5000 digits": (long_integer, r"graph\.json holds an integer with 5000 digits"),
    "damaged arrays.npz": (garbage_npz, r"arrays\.npz is damaged \(not an \.npz archive\)$"),
    "array stored without .npy": (edit_json(npz_member_not_npy),
                                  r"'x'\): array group \d+ is not stored as an \.npy"),
    "reshape that cannot hold its input": (edit_json(reshape_cannot_hold),
                                           r"\('r'\): its saved inputs do not fit op reshape: "),
    "scalar loss saved as a vector": (edit_json(loss_saved_as_vector),
                                      r"\('loss'\): its saved value has shape \(3,\), but op sum of its saved "
                                      r"inputs gives shape \(\): the file contradicts itself"),
    "attribute of the wrong kind": (edit_json(wrong_attr_kind), r"\('r'\): .*op reshape"),
    "attribute nested deep": (edit_json(deep_attribute), r"nests lists and objects more than 64 deep"),
}


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "g.gsgraph"
    small_graph().save(path)
    return path


@pytest.mark.parametrize("case", sorted(BAD_GRAPH_FILES))
def test_bad_graph_file(saved, case):
    damage, message = BAD_GRAPH_FILES[case]
    damage(saved)
    with pytest.raises(GraphFileError, match=message) as err:
        load_graph(saved)
    text = str(err.value)
    assert text.startswith(f"{saved}: ") and "pickle" not in text.replace("never unpickled", "")
    assert len(text) < 400


@pytest.mark.parametrize("case", ["Deflate64 member", "huge .npy shape", "reshape that cannot hold its input"])
def test_bad_graph_file_on_the_command_line(saved, capsys, case):
    BAD_GRAPH_FILES[case][0](saved)
    for command in (["check"], ["export", "-o", str(saved.parent / "g.svg")], ["export", "-o", str(saved) + ".onnx"]):
        code, err = run_cli(capsys, command[0], str(saved), *command[1:])
        assert code == 2 and err.startswith(f"graphscope {command[0]}: {saved}: ") and "Traceback" not in err


def test_an_intact_file_still_loads(saved):
    graph = load_graph(saved)
    assert [n.name for n in graph.nodes][:2] == ["x", "r"]


def test_long_digit_runs_in_names_are_not_numbers(tmp_path):
    name = "run_" + "7" * 200
    x = gs.tensor(np.ones(2), name=name)
    path = tmp_path / "digits.gsgraph"
    gs.Graph(gs.sum(x)).save(path)
    assert load_graph(path).nodes[0].name == name


# ---------------------------------------------------------------- the library's file calls

def _graph():
    return gs.Graph(gs.tanh(gs.tensor(np.ones(2), name="x")))


LIBRARY_CASES = {
    "load_graph(None)": (lambda t: gs.load_graph(None), r"graph file's path must be a str or pathlib\.Path, got NoneType"),
    "load_graph(3)": (lambda t: gs.load_graph(3), r"got int 3"),
    "load_graph('')": (lambda t: gs.load_graph(""), r"the graph file's path is empty"),
    "load_graph(folder)": (lambda t: gs.load_graph(t), r"is a directory, not a graph file"),
    "load_graph(missing)": (lambda t: gs.load_graph(t / "none.gsgraph"), r"none\.gsgraph: no such file"),
    "load_graph(an ONNX model)": (lambda t: gs.load_graph(_graph().to_onnx(t / "m.onnx")),
                                  r"m\.onnx: an ONNX model; graphscope writes ONNX .* but does not read it"),
    "save(None)": (lambda t: _graph().save(None), r"graph file's path must be a str"),
    "save(folder)": (lambda t: _graph().save(t), r"cannot write graph file .*: it is a directory"),
    "save(missing folder)": (lambda t: _graph().save(t / "no" / "g.gsgraph"), r"the folder .*no does not exist"),
    "to_onnx(None)": (lambda t: _graph().to_onnx(None), r"ONNX model's path must be a str"),
    "to_onnx(folder)": (lambda t: _graph().to_onnx(t), r"cannot write ONNX model .*: it is a directory"),
    "to_onnx(under a file)": (lambda t: _graph().to_onnx(os.path.join(a_file(t), "m.onnx")),
                              r"the folder .*a_file is a file, not a folder"),
    "to_onnx(not a graph)": (lambda t: gs.interop.to_onnx("x", t / "m.onnx"), r"expected a graphscope Graph or tensor"),
}


@pytest.mark.parametrize("case", sorted(LIBRARY_CASES))
def test_bad_library_file_call(tmp_path, case):
    call, message = LIBRARY_CASES[case]
    with pytest.raises(gs.GraphscopeError, match=message):
        call(tmp_path)
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


# ---------------------------------------------------------------- no lost work

def test_an_interrupted_graph_save_keeps_the_previous_file(saved, monkeypatch):
    before = saved.read_bytes()

    def crash(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        gs.Graph(gs.exp(gs.tensor(np.ones(4), name="other"))).save(saved)
    monkeypatch.undo()
    assert saved.read_bytes() == before and os.listdir(saved.parent) == [saved.name]
    assert load_graph(saved).output.name == "loss"


# ---------------------------------------------------------------- the command line

def run_cli(capsys, *argv):
    """(exit status, stderr) of `graphscope ARGV` run in this process; usage errors exit through SystemExit."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def recursive_sample(tmp_path):
    path = tmp_path / "recursive.py"
    path.write_text("import graphscope as gs\n\n\ndef build():\n    x = gs.tensor(1.0, name='x')\n"
                    "    return build()\n")
    return str(path)


def sample_with(tmp_path, body, name="user.py"):
    path = tmp_path / name
    path.write_text("import numpy as np\nimport graphscope as gs\n\n" + body)
    return str(path)


def training_file(tmp_path, data_body):
    """A training file: a tiny softmax classifier on 20 examples of 2 features, 3 classes; data() runs `data_body`."""
    return sample_with(tmp_path, "def build():\n"
                       "    x = gs.tensor(np.zeros((20, 2)), name='x')\n"
                       "    w = gs.param(np.zeros((2, 3)), name='W')\n"
                       "    return gs.softmax_cross_entropy(x @ w, np.zeros(20, int))\n\n"
                       "def data():\n"
                       "    x, y = np.ones((20, 2)), np.arange(20) % 3\n"
                       f"    {data_body}\n")


def a_file(tmp_path):
    path = tmp_path / "a_file"
    path.write_text("x")
    return str(path)


USAGE = 2  # argparse's usage errors: the command's usage line, then the message
ERROR = 2  # the command could not do its work: one message, prefixed with the command

# (argv builder given tmp_path, exit status, message regex)
CLI_CASES = {
    # the front door itself
    "no command": (lambda t: [], USAGE, r""),  # the help, on stdout
    "unknown command": (lambda t: ["frobnicate"], USAGE, r"unknown command 'frobnicate'; the commands: demo, tui"),
    "mistyped command": (lambda t: ["chekc", "x.py"], USAGE, r"unknown command 'chekc'.*did you mean 'check'\?"),
    "unknown top option": (lambda t: ["--bogus"], USAGE, r"unrecognized arguments: --bogus"),
    # check
    "check: no file": (lambda t: ["check"], USAGE, r"the following arguments are required: file"),
    "check: missing file": (lambda t: ["check", str(t / "none.py")], ERROR, r"none\.py: no such file"),
    "check: missing graph": (lambda t: ["check", str(t / "none.gsgraph")], ERROR, r"none\.gsgraph: no such file"),
    "check: a folder": (lambda t: ["check", str(t)], ERROR, r"is a directory, not a graph file"),
    "check: not a graph": (lambda t: ["check", a_file(t)], ERROR, r"a_file: not a graphscope graph file"),
    "check: --eps nan": (lambda t: ["check", CHAIN_RULE, "--eps", "nan"], USAGE,
                         r"argument --eps: must be a finite number from 1e-10 to 0.1 \(finite differences need a small positive step.*got nan"),
    "check: --eps inf": (lambda t: ["check", CHAIN_RULE, "--eps", "inf"], USAGE, r"argument --eps: .* got inf"),
    "check: --eps -1e-6": (lambda t: ["check", CHAIN_RULE, "--eps=-1e-6"], USAGE, r"argument --eps: .* got -1e-6"),
    "check: --eps -1": (lambda t: ["check", CHAIN_RULE, "--eps", "-1"], USAGE, r"argument --eps: .* got -1"),
    "check: --eps 0": (lambda t: ["check", CHAIN_RULE, "--eps", "0"], USAGE, r"argument --eps: .* got 0"),
    "check: --eps word": (lambda t: ["check", CHAIN_RULE, "--eps", "tiny"], USAGE, r"expected a number, got 'tiny'"),
    "check: --rtol nan": (lambda t: ["check", CHAIN_RULE, "--rtol", "nan"], USAGE, r"argument --rtol: .* got nan"),
    "check: --rtol -inf": (lambda t: ["check", CHAIN_RULE, "--rtol=-inf"], USAGE, r"argument --rtol: .* got -inf"),
    "check: --coords 0": (lambda t: ["check", CHAIN_RULE, "--coords", "0"], USAGE, r"must be 1 or more, got 0"),
    "check: --coords 2.5": (lambda t: ["check", CHAIN_RULE, "--coords", "2.5"], USAGE, r"expected a whole number"),
    "check: --seed x": (lambda t: ["check", CHAIN_RULE, "--seed", "x"], USAGE, r"argument --seed: expected a whole number, got 'x'"),
    "check: mistyped option": (lambda t: ["check", CHAIN_RULE, "--epss", "1"], USAGE,
                               r"^usage: graphscope check.*unrecognized arguments: --epss 1; did you mean '--eps'"),
    "check: --import missing": (lambda t: ["check", CHAIN_RULE, "--import", str(t / "ops.py")], ERROR,
                                r"ops\.py: no such file"),
    "check: recursive build": (lambda t: ["check", recursive_sample(t)], ERROR,
                               r"recursive\.py:6 in build: return build\(\)\n  RecursionError: this line calls "
                               r"itself without end"),
    "check: no build": (lambda t: ["check", sample_with(t, "x = 1\n")], ERROR, r"user\.py does not define build"),
    "check: build returns a number": (lambda t: ["check", sample_with(t, "def build():\n    return 3\n")], ERROR,
                                      r"build\(\) returned int; it must return a graphscope tensor"),
    "check: build raises": (lambda t: ["check", sample_with(t, "def build():\n    return 1 / 0\n")], ERROR,
                            r"user\.py:5 in build: return 1 / 0\n  ZeroDivisionError"),
    "check: syntax error": (lambda t: ["check", sample_with(t, "def build(:\n")], ERROR,
                            r"user\.py:4:11: def build\(:\n {26}\^\n  SyntaxError"),
    "check: shape error in build": (lambda t: ["check", sample_with(
        t, "def build():\n    return gs.tensor(np.ones(3)) @ gs.tensor(np.ones(4))\n")], ERROR,
        r"matmul: inner dimensions differ"),
    "check: not a .py": (lambda t: ["check", a_file(t) + ".txt"], ERROR, r"no such file"),
    # export: output paths
    "export: nothing to write": (lambda t: ["export", CHAIN_RULE], ERROR, r"nothing to write: give -o OUT"),
    "export: -o a folder": (lambda t: ["export", CHAIN_RULE, "-o", str(t)], ERROR,
                            r"-o .*: is a folder; give a file name"),
    "export: unknown extension": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "g.jpeg")], ERROR,
                                  r"g\.jpeg: unknown output format '\.jpeg'; use one of .*\.onnx"),
    "export: no extension": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "graph")], ERROR,
                             r"unknown output format '\(no extension\)'"),
    "export: missing folder": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "nope" / "g.svg")], ERROR,
                               r"-o .*g\.svg: the folder .*nope does not exist"),
    "export: folder is a file": (lambda t: ["export", CHAIN_RULE, "-o", os.path.join(a_file(t), "g.dot")], ERROR,
                                 r"the folder .*a_file is a file, not a folder"),
    "export: unwritable place": (lambda t: ["export", CHAIN_RULE, "-o", "/proc/graphscope-test.dot"], ERROR,
                                 r"-o /proc/graphscope-test\.dot: the folder /proc cannot be written: it takes no new files"),
    "export: onnx to a missing folder": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "nope" / "m.onnx")], ERROR,
                                         r"-o .*m\.onnx: the folder .*nope does not exist"),
    "export: onnx with a custom op": (lambda t: ["export", CUSTOM, "-o", str(t / "m.onnx")], ERROR,
                                      r"op swish \(node swish_\d+, made at .*custom_op\.py:\d+\) has no ONNX"),
    "export: onnx with --step": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "m.onnx"), "--step", "1"], ERROR,
                                 r"--step picks a step of a picture"),
    "export: frames onto a file": (lambda t: ["export", CHAIN_RULE, "--frames", a_file(t)], ERROR,
                                   r"--frames .*a_file: is a file, not a folder"),
    # export: options
    "export: --fold -5": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "g.dot"), "--fold", "-5"], USAGE,
                          r"argument --fold: the fold length must be 0 or more, got -5"),
    "export: --fold x": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "g.dot"), "--fold", "x"], USAGE,
                         r"argument --fold: expected a whole number, got 'x'"),
    "export: --depth -1": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "g.dot"), "--depth", "-1"], USAGE,
                           r"depth must be 0 or more, got -1"),
    "export: --step x": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "g.dot"), "--step", "x"], USAGE,
                         r"argument --step: invalid int value: 'x'"),
    "export: --step 999": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "g.dot"), "--step", "999"], ERROR,
                           r"step 999 is out of range: this graph has \d+ steps"),
    "export: --node nope": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "g.dot"), "--node", "nope"], ERROR,
                            r"no node named 'nope'"),
    "export: --phase alone": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "g.dot"), "--phase", "backward"], ERROR,
                              r"--phase goes with --node NAME"),
    "export: --phase sideways": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "g.dot"), "--phase", "up"], USAGE,
                                 r"argument --phase: invalid choice: 'up'"),
    "export: --rankdir XY": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "g.dot"), "--rankdir", "XY"], USAGE,
                             r"argument --rankdir: invalid choice: 'XY'"),
    "export: --step with --node": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "g.dot"), "--step", "1", "--node", "x"],
                                   USAGE, r"not allowed with argument"),
    "export: mistyped option": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "g.dot"), "--stepp", "3"], USAGE,
                                r"^usage: graphscope export.*unrecognized arguments: --stepp 3; did you mean '--step'"),
    "export: missing file": (lambda t: ["export", str(t / "none.py"), "-o", str(t / "g.dot")], ERROR,
                             r"none\.py: no such file"),
    "export: recursive build": (lambda t: ["export", recursive_sample(t), "-o", str(t / "g.dot")], ERROR,
                                r"recursive\.py:6 in build.*RecursionError: this line calls itself"),
    # demo
    "demo: --save a folder": (lambda t: ["demo", "--save", str(t)], ERROR, r"--save .*: is a folder"),
    "demo: --save missing folder": (lambda t: ["demo", "--save", str(t / "no" / "g.gsgraph")], ERROR,
                                    r"does not exist"),
    "demo: missing file": (lambda t: ["demo", str(t / "none.py")], ERROR, r"none\.py: no such file"),
    "demo: mistyped option": (lambda t: ["demo", "--saev", "x"], USAGE,
                              r"^usage: graphscope demo.*unrecognized arguments: --saev"),
    "demo: recursive build": (lambda t: ["demo", recursive_sample(t)], ERROR, r"RecursionError: this line calls"),
    # train: options
    "train: --lr 0": (lambda t: ["train", SPIRAL, "--lr", "0"], ERROR, r"graphscope train: --lr must be a finite "
                                                                         r"number greater than 0, got 0"),
    "train: --lr nan": (lambda t: ["train", SPIRAL, "--lr", "nan"], ERROR, r"--lr must be a finite number greater than 0, got nan"),
    "train: --lr x": (lambda t: ["train", SPIRAL, "--lr", "x"], USAGE, r"argument --lr: invalid float value: 'x'"),
    "train: --epochs -1": (lambda t: ["train", SPIRAL, "--epochs", "-1"], ERROR, r"--epochs must be at least 1, got -1"),
    "train: --batch-size 0": (lambda t: ["train", SPIRAL, "--batch-size", "0"], ERROR,
                              r"--batch-size must be at least 1, got 0"),
    "train: --reg -1": (lambda t: ["train", SPIRAL, "--reg", "-1"], ERROR, r"--reg must be a number >= 0, got -1"),
    "train: --optimizer bogus": (lambda t: ["train", SPIRAL, "--optimizer", "bogus"], ERROR,
                                 r"--optimizer bogus: unknown optimizer 'bogus'; known: sgd"),
    "train: --schedule bogus": (lambda t: ["train", SPIRAL, "--schedule", "bogus"], ERROR,
                                r"--schedule bogus: not one of the schedule forms: exp:K"),
    "train: --dtype int8": (lambda t: ["train", SPIRAL, "--dtype", "int8"], USAGE,
                            r"argument --dtype: invalid choice: 'int8'"),
    "train: --resume missing": (lambda t: ["train", SPIRAL, "--resume", str(t / "ck")], ERROR,
                                r"checkpoint .*ck: no such folder"),
    "train: --resume not a checkpoint": (lambda t: ["train", SPIRAL, "--resume", str(t)], ERROR,
                                         r"no checkpoint\.json in it"),
    "train: --checkpoint onto a file": (lambda t: ["train", SPIRAL, "--epochs", "1", "--no-progress",
                                                   "--checkpoint", a_file(t)], ERROR,
                                        r"checkpoint .*a_file: is a file, not a folder"),
    "train: --plot .bmp": (lambda t: ["train", SPIRAL, "--epochs", "1", "--no-progress", "--plot",
                                      str(t / "p.bmp")], ERROR, r"p\.bmp: ends in \.bmp; the plot is written as \.eps, "),
    "train: --history in a missing folder": (lambda t: ["train", SPIRAL, "--epochs", "1", "--no-progress",
                                                        "--history", str(t / "no" / "h.json")], ERROR,
                                             r"--history .*h\.json: the folder .*no does not exist"),
    # train: what the training file's data() returns
    "train: no data()": (lambda t: ["train", CHAIN_RULE], ERROR, r"chain_rule\.py does not define data\(\)"),
    "train: data() returns 2 things": (lambda t: ["train", training_file(t, "return x, y")], ERROR,
                                       r"data\(\) returned a 2-tuple; it must return \(x_train, y_train, x_val, y_val\)"),
    "train: data() lengths differ": (lambda t: ["train", training_file(t, "return x, y[:-2], None, None"),
                                                "--no-progress"], ERROR, r"20 examples but 18 labels"),
    "train: data() labels out of range": (lambda t: ["train", training_file(t, "return x, y + 7, None, None"),
                                                     "--no-progress"], ERROR,
                                          r"user\.py's data\(\): training data: y_train\[0\] is 7, but the scores have 3 "
                                          r"classes, so a label must lie in 0\.\.2"),
    "train: data() raises": (lambda t: ["train", training_file(t, "return 1 / 0")], ERROR,
                             r"user\.py:\d+ in data: return 1 / 0\n  ZeroDivisionError"),
    "train: data() returns strings": (lambda t: ["train", training_file(t, "return 'a', 'b', None, None"),
                                                 "--no-progress"], ERROR, r"data\(\)|examples|labels"),
    # search and tui
    "search: --trials 0": (lambda t: ["search", SPIRAL, "--trials", "0"], ERROR, r"--trials must be a whole number from 1 to 1,000, got 0"),
    "search: --trials x": (lambda t: ["search", SPIRAL, "--trials", "x"], USAGE, r"argument --trials: invalid int"),
    "search: --lr-range 1 0": (lambda t: ["search", SPIRAL, "--lr-range", "1", "0"], ERROR,
                               r"--lr-range 1 0: needs 0 < LOW <= HIGH"),
    "search: --lr-range nan 1": (lambda t: ["search", SPIRAL, "--lr-range", "nan", "1"], ERROR,
                                 r"--lr-range nan 1: needs 0 < LOW <= HIGH"),
    "search: --fine-trials -1": (lambda t: ["search", SPIRAL, "--fine-trials", "-1"], ERROR,
                                 r"--fine-trials must be a whole number from 0 to 1,000, got -1"),
    "search: --method best": (lambda t: ["search", SPIRAL, "--method", "best"], USAGE,
                              r"argument --method: invalid choice: 'best'"),
    "tui: missing file": (lambda t: ["tui", str(t / "none.py")], ERROR, r"none\.py: no such file"),
    "tui: --port 0": (lambda t: ["tui", CHAIN_RULE, "--serve", "--port", "0"], ERROR, r"--port 0: a port is 1\.\.65535"),
    "tui: --port 99999": (lambda t: ["tui", CHAIN_RULE, "--serve", "--port", "99999"], ERROR, r"a port is 1\.\.65535"),
    "tui: unknown option": (lambda t: ["tui", CHAIN_RULE, "--bogus"], USAGE, r"unrecognized arguments: --bogus"),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_bad_command_line(tmp_path, capsys, monkeypatch, case):
    build_argv, status, message = CLI_CASES[case]
    monkeypatch.chdir(tmp_path)
    before = set(os.listdir(tmp_path))
    code, err = run_cli(capsys, *build_argv(tmp_path))
    assert code == status, err
    assert "Traceback" not in err
    assert len(err) < 1500, err
    if message:
        assert re.search(message, err, re.S), err
        assert err.startswith(("graphscope ", "usage: graphscope")), err  # the command's message or usage
    created = set(os.listdir(tmp_path)) - before - {"a_file", "a_file.txt", "recursive.py", "user.py"}
    assert not created, f"a failed command left {created}"


def test_usage_errors_and_found_problems_print_no_traceback_in_a_real_process(tmp_path):
    """The same front door as a user meets it: a separate process, its exit status and its stderr."""
    for argv, status in ((["check", CHAIN_RULE, "--eps", "nan"], USAGE),
                         (["check", recursive_sample(tmp_path)], ERROR),
                         (["export", CHAIN_RULE, "-o", str(tmp_path)], ERROR)):
        result = subprocess.run([sys.executable, "-m", "graphscope", *argv], capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == status and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.count("\n") <= 8, result.stderr


def test_a_failed_frames_run_leaves_no_folder(tmp_path, capsys, monkeypatch):
    viz_export = sys.modules["graphscope.viz.export"]

    def fail(*args, **kwargs):
        raise gs.GraphscopeError("disk full")

    monkeypatch.setattr(viz_export, "write_atomic", fail)
    code, err = run_cli(capsys, "export", CHAIN_RULE, "--frames", str(tmp_path / "frames"))
    assert code == 2 and "disk full" in err
    assert not (tmp_path / "frames").exists()


# ---------------------------------------------------------------- the library: ops, tensors, backward, custom ops

def _x(requires_grad=True):
    return gs.tensor(np.ones(3), name="x", requires_grad=requires_grad)


def _loss():
    return gs.sum(gs.tanh(_x()))


def _no_return_op():
    @gs.custom_op(name="forgetful")
    def forgetful(a):
        a * 2  # no return
    return forgetful


def _complex_vjp_op():
    @gs.custom_op(name="twisted")
    def twisted(a):
        return a * 2

    @twisted.vjp
    def _(g, a, value):
        return (g * 1j,)
    return twisted


def _string_vjp_op():
    @gs.custom_op(name="wordy")
    def wordy(a):
        return a * 2

    @wordy.vjp
    def _(g, a, value):
        return ("gradient",)
    return wordy


def _backward_through(make_op):
    loss = gs.sum(make_op()(gs.tensor(np.ones(2), name="a", requires_grad=True)))
    loss.backward()


def _spiral_trainer(**kw):
    from train_helpers import SGD, spiral, two_layer
    x, y = spiral(n_per_class=8)
    loss = two_layer(x, y, hidden=4, seed=1)
    settings = dict(batch_size=8, epochs=1, progress=False)
    settings.update(kw)
    return gs.Trainer(loss, SGD(loss.graph().params, 0.1), **settings), x, y


def _fit(x_of=lambda x: x, y_of=lambda y: y, **kw):
    trainer, x, y = _spiral_trainer(**kw)
    return trainer.fit(x_of(x), y_of(y))


def _w():
    return gs.param(np.ones(3), name="w")


def _mnist_folder(t, images=None, labels=None):
    """An MNIST folder whose training images and labels are given bytes (valid tiny files otherwise)."""
    def idx(type_byte, shape, payload):
        return bytes([0, 0, type_byte, len(shape)]) + b"".join(struct.pack(">I", n) for n in shape) + payload
    files = {"train-images-idx3-ubyte": images if images is not None else idx(8, (2, 28, 28), bytes(2 * 784)),
             "train-labels-idx1-ubyte": labels if labels is not None else idx(8, (2,), bytes([1, 2])),
             "t10k-images-idx3-ubyte": idx(8, (1, 28, 28), bytes(784)),
             "t10k-labels-idx1-ubyte": idx(8, (1,), bytes([3]))}
    for name, data in files.items():
        (t / name).write_bytes(data)
    return t


def _cifar_folder(t, test_batch):
    for i in range(1, 6):
        (t / f"data_batch_{i}.bin").write_bytes(bytes(3073))
    (t / "test_batch.bin").write_bytes(test_batch)
    return t


# (call given tmp_path, the GraphscopeError subclass expected (or GraphscopeError), message regex)
API_CASES = {
    # tensors and values
    "tensor(10**400)": (lambda t: gs.tensor(10 ** 400), gs.InputError,
                        r"tensor: the integer 100000000000\.\.\. \(401 digits\) is too large for a float64"),
    "tensor(None)": (lambda t: gs.tensor(None), gs.InputError, r"tensor: expected numbers, got an array of dtype object"),
    "tensor('abc')": (lambda t: gs.tensor("abc"), gs.InputError, r"tensor: expected numbers, got an array of dtype <U3"),
    "tensor(ragged)": (lambda t: gs.tensor([[1, 2], [3]]), gs.InputError, r"tensor: cannot make a tensor from list"),
    "tensor(complex)": (lambda t: gs.tensor(np.ones(2) * 1j), gs.InputError, r"dtype complex128"),
    "param('w')": (lambda t: gs.param("w"), gs.InputError, r"expected numbers, got an array of dtype <U1"),
    "tensor + 'a'": (lambda t: _x() + "a", gs.InputError, r"expected numbers"),
    # ops
    "where(string mask)": (lambda t: gs.where(np.array(["yes", "no", ""]), _x(), _x()), gs.InputError,
                           r"where: the condition must be booleans \(or numbers\), got an array of dtype <U3"),
    "where(mask of the wrong shape)": (lambda t: gs.where(np.ones(4, bool), _x(), _x()), gs.ShapeError,
                                       r"where: condition \(4,\) and inputs \(3,\), \(3,\) do not broadcast"),
    "mean(empty)": (lambda t: gs.mean(gs.tensor(np.zeros(0))), gs.ShapeError,
                    r"mean: the mean of no numbers is undefined: the input of shape \(0,\)"),
    "mean(empty axis)": (lambda t: gs.mean(gs.tensor(np.zeros((2, 0))), axis=1), gs.ShapeError,
                         r"no entries along axis 1"),
    "max(empty)": (lambda t: gs.max(gs.tensor(np.zeros(0))), gs.ShapeError, r"max: zero-size array"),
    "sum(axis=5)": (lambda t: gs.sum(_x(), axis=5), gs.ShapeError, r"sum: axis 5 is out of range for a 1-d input"),
    "reshape(4, 2) of 3": (lambda t: gs.reshape(_x(), 4, 2), gs.ShapeError, r"reshape: cannot reshape array of size 3"),
    "matmul(3) @ (4)": (lambda t: _x() @ gs.tensor(np.ones(4)), gs.ShapeError, r"matmul: inner dimensions differ"),
    "getitem of a 0-d": (lambda t: gs.tensor(1.0)[0], gs.ShapeError, r"getitem: a 0-d tensor cannot be indexed"),
    "cross-entropy(empty batch)": (lambda t: gs.softmax_cross_entropy(gs.tensor(np.zeros((0, 3))), np.zeros(0, int)),
                                   gs.ShapeError, r"softmax_cross_entropy: scores of shape \(0, 3\) hold no scores"),
    "svm_loss(empty batch)": (lambda t: gs.svm_loss(gs.tensor(np.zeros((0, 3))), np.zeros(0, int)), gs.ShapeError,
                              r"svm_loss: scores of shape \(0, 3\) hold no scores"),
    "cross-entropy(label 7 of 3)": (lambda t: gs.softmax_cross_entropy(gs.tensor(np.zeros((1, 3))), [7]),
                                    gs.ShapeError, r"labels must lie in \[0, 2\] for 3 classes, got 7\.\.7"),
    "cross-entropy(labels too many)": (lambda t: gs.softmax_cross_entropy(gs.tensor(np.zeros((2, 3))), [0, 1, 2]),
                                       gs.ShapeError, r"labels have shape \(3,\) but scores \(2, 3\) need"),
    # backward
    "backward('x')": (lambda t: _loss().backward("x"), gs.BackwardError,
                      r"backward\(\): the upstream gradient for sum_\d+ must be real numbers, got str 'x'"),
    "backward(strings)": (lambda t: gs.tanh(_x()).backward(["a", "b", "c"]), gs.BackwardError,
                          r"must be real numbers, got an array of dtype <U1"),
    "backward(complex)": (lambda t: gs.tanh(_x()).backward(np.ones(3) * 1j), gs.BackwardError,
                          r"must be real numbers, got complex values \(complex128\): graphscope's gradients are real"),
    "backward of a vector": (lambda t: gs.tanh(_x()).backward(), gs.BackwardError,
                             r"needs an upstream gradient of that shape"),
    "backward(wrong shape)": (lambda t: gs.tanh(_x()).backward(np.ones(4)), gs.BackwardError,
                              r"upstream gradient has shape \(4,\) but tanh_\d+ has shape \(3,\)"),
    # custom ops
    "custom_op(3)": (lambda t: gs.custom_op(3), gs.InputError, r"custom_op: forward must be a function, got int"),
    "custom op forgets return": (lambda t: _no_return_op()(gs.tensor(np.ones(2))), gs.InputError,
                                 r"forgetful: its forward returned None \(a missing `return`\?\) at .*test_bad_inputs"),
    "custom VJP returns complex": (lambda t: _backward_through(_complex_vjp_op), gs.BackwardError,
                                   r"twisted: the VJP returned complex values .* as the gradient of input a"),
    "custom VJP returns a string": (lambda t: _backward_through(_string_vjp_op), gs.BackwardError,
                                    r"wordy: the VJP returned str 'gradient' as the gradient of input a"),
    "unregister('nope')": (lambda t: gs.unregister("nope"), gs.NotFoundError, r"unknown op 'nope'; known ops: abs"),
    "get_op('nope')": (lambda t: gs.get_op("nope"), gs.NotFoundError, r"unknown op 'nope'; known ops: abs, add"),
    # scopes, graphs, lookups
    "scope('a/b')": (lambda t: gs.scope("a/b"), gs.ArgumentError,
                     r"gs\.scope: a scope name must be a non-empty string without '/', got 'a/b'"),
    "scope('')": (lambda t: gs.scope(""), gs.ArgumentError, r"got ''"),
    "scope(3)": (lambda t: gs.scope(3), gs.ArgumentError, r"got 3"),
    "Graph('x')": (lambda t: gs.Graph("x"), gs.InputError, r"Graph\(output\): expected a graphscope tensor"),
    "graph['nope']": (lambda t: _graph()["nope"], gs.NotFoundError, r"no node named 'nope' in this graph"),
    "graph[999]": (lambda t: _graph()[999], gs.NotFoundError, r"no node with id 999 in this graph"),
    "step_forward(999)": (lambda t: _graph().step_forward(999), gs.PositionError,
                          r"step_forward\(999\): the graph has 2 nodes \(positions 0\.\.1\)"),
    "step_forward('x')": (lambda t: _graph().step_forward("x"), gs.GraphscopeError,
                          r"step_forward\(k\): k is a position 0\.\.1, got str"),
    "describe_jacobian(node, 5)": (lambda t: gs.describe_jacobian(_loss(), 5), gs.PositionError,
                                   r"describe_jacobian\(sum_\d+, 5\): the input index must be 0\.\.0: sum_\d+ \(sum\) "
                                   r"has 1 input"),
    "describe_jacobian(node, -1)": (lambda t: gs.describe_jacobian(_loss(), -1), gs.PositionError,
                                    r"the input index must be 0\.\.0"),
    "describe_jacobian(leaf, 0)": (lambda t: gs.describe_jacobian(_x(), 0), gs.GraphscopeError,
                                   r"x is a leaf: it has no inputs"),
    # gradient checks must never pass on settings that cannot decide
    "check_nodes(eps=nan)": (lambda t: gs.check_nodes(_loss(), eps=float("nan")), gs.ArgumentError,
                             r"check_nodes: eps must be a finite number from 1e-10 to 0.1 .*got nan"),
    "check_nodes(eps=inf)": (lambda t: gs.check_nodes(_loss(), eps=float("inf")), gs.ArgumentError, r"got inf"),
    "check_nodes(eps=0)": (lambda t: gs.check_nodes(_loss(), eps=0), gs.ArgumentError, r"got 0"),
    "check_nodes(eps=-1e-6)": (lambda t: gs.check_nodes(_loss(), eps=-1e-6), gs.ArgumentError, r"got -1e-06"),
    "check_nodes(rtol=nan)": (lambda t: gs.check_nodes(_loss(), rtol=float("nan")), gs.ArgumentError,
                              r"rtol must be a finite number from 0 to below 1 .*got nan"),
    "check_nodes(max_coords=0)": (lambda t: gs.check_nodes(_loss(), max_coords=0), gs.ArgumentError,
                                  r"max_coords must be a whole number of at least 1, got 0"),
    "check_node(eps='a')": (lambda t: gs.check_node(_loss(), eps="a"), gs.ArgumentError, r"check_node: eps .* got 'a'"),
    "gradcheck(eps=nan)": (lambda t: gs.gradcheck(_loss(), eps=float("nan")), gs.ArgumentError,
                           r"gradcheck: eps must be a finite number from 1e-10 to 0.1 .*got nan"),
    "gradcheck(eps=-inf)": (lambda t: gs.gradcheck(_loss(), eps=float("-inf")), gs.ArgumentError, r"got -inf"),
    "gradcheck(atol=-1)": (lambda t: gs.gradcheck(_loss(), atol=-1), gs.ArgumentError,
                           r"atol must be a finite number 0 or more, got -1"),
    "gradcheck(a function)": (lambda t: gs.gradcheck(lambda a: a, eps=1e-6), gs.GraphscopeError,
                              r"expected a graphscope Graph or tensor, got function"),
    # gs.nn
    "Linear(0, 3)": (lambda t: gs.nn.Linear(0, 3), gs.GraphscopeError,
                     r"Linear: in_features must be a positive whole number, got 0"),
    "Linear(2.5, 3)": (lambda t: gs.nn.Linear(2.5, 3), gs.GraphscopeError, r"in_features .* got 2\.5"),
    "Linear(2, -3)": (lambda t: gs.nn.Linear(2, -3), gs.GraphscopeError, r"out_features .* got -3"),
    "Linear(init='bogus')": (lambda t: gs.nn.Linear(2, 3, init="bogus"), gs.GraphscopeError,
                             r"unknown initializer 'bogus': use one of zeros, normal, xavier"),
    "Linear(dtype='int8')": (lambda t: gs.nn.Linear(2, 3, dtype="int8"), gs.GraphscopeError,
                             r"Linear: dtype must be float64 or float32"),
    "Linear(4, 3) on 5 features": (lambda t: gs.nn.Linear(4, 3)(gs.tensor(np.ones((2, 5)))), gs.ShapeError,
                                   r"matmul: inner dimensions differ: \(2, 5\) @ \(4, 3\)"),
    "Dropout(-0.1)": (lambda t: gs.nn.Dropout(-0.1), gs.GraphscopeError,
                      r"Dropout: p \(the probability of dropping a unit\) must be in \[0, 1\), got -0\.1"),
    "Dropout(1.0)": (lambda t: gs.nn.Dropout(1.0), gs.GraphscopeError, r"must be in \[0, 1\), got 1\.0"),
    "Dropout(nan)": (lambda t: gs.nn.Dropout(float("nan")), gs.GraphscopeError, r"got nan"),
    "BatchNorm1d(0)": (lambda t: gs.nn.BatchNorm1d(0), gs.GraphscopeError,
                       r"BatchNorm1d: num_features must be a positive whole number, got 0"),
    "BatchNorm1d(momentum=2)": (lambda t: gs.nn.BatchNorm1d(4, momentum=2), gs.GraphscopeError,
                                r"momentum must be in \[0, 1\]"),
    "BatchNorm1d(4) on 5 features": (lambda t: gs.nn.BatchNorm1d(4)(gs.tensor(np.ones((2, 5)))), gs.ShapeError,
                                     r"batch_norm: gamma must have shape \(5,\) for 5 features, got \(4,\)"),
    "LeakyReLU(nan)": (lambda t: gs.nn.LeakyReLU(float("nan")), gs.GraphscopeError,
                       r"LeakyReLU: alpha \(the slope for x < 0\) must be a finite number, got nan"),
    "MLP([3])": (lambda t: gs.nn.MLP([3]), gs.GraphscopeError, r"MLP: sizes must list at least two"),
    "MLP(activation='bogus')": (lambda t: gs.nn.MLP([3, 4, 2], activation="bogus"), gs.GraphscopeError,
                                r"MLP: unknown activation 'bogus'; use one of relu, tanh"),
    "Sequential(3)": (lambda t: gs.nn.Sequential(3), gs.GraphscopeError, r"Sequential takes gs\.nn modules, got int"),
    "Sequential['nope']": (lambda t: gs.nn.Sequential(gs.nn.Linear(2, 2))["nope"], gs.NotFoundError,
                           r"no layer named 'nope'; layers: fc1"),
    "Sequential[5]": (lambda t: gs.nn.Sequential(gs.nn.Linear(2, 2))[5], gs.PositionError,
                      r"Sequential\[5\]: there are 1 layers \(0\.\.0\)"),
    # gs.optim
    "SGD(lr=0)": (lambda t: gs.optim.SGD([_w()], 0), gs.GraphscopeError,
                  r"SGD: the learning rate must be a positive number, got 0"),
    "SGD(lr=-1)": (lambda t: gs.optim.SGD([_w()], -1), gs.GraphscopeError, r"got -1"),
    "SGD(lr=nan)": (lambda t: gs.optim.SGD([_w()], float("nan")), gs.GraphscopeError, r"got nan"),
    "SGD(lr='a')": (lambda t: gs.optim.SGD([_w()], "a"), gs.GraphscopeError, r"got 'a'"),
    "SGD(no params)": (lambda t: gs.optim.SGD([], 0.1), gs.GraphscopeError, r"the optimizer got no parameters"),
    "SGD(3)": (lambda t: gs.optim.SGD(3, 0.1), gs.GraphscopeError,
               r"the optimizer's params must be a list of gs\.param leaves, a module or a graph, got int"),
    "SGD(not a leaf)": (lambda t: gs.optim.SGD([gs.tanh(_w())], 0.1), gs.GraphscopeError,
                        r"optimizer: tanh_\d+ is not a leaf that requires a gradient \(use gs\.param\)"),
    "SGD(a constant)": (lambda t: gs.optim.SGD([_x(requires_grad=False)], 0.1), gs.GraphscopeError,
                        r"optimizer: x is not a leaf that requires a gradient"),
    "SGD(names)": (lambda t: gs.optim.SGD(["w"], 0.1), gs.GraphscopeError, r"optimizer: str is not a leaf"),
    "SGD(the same param twice)": (lambda t: (lambda w: gs.optim.SGD([w, w], 0.1))(_w()), gs.GraphscopeError,
                                  r"optimizer: parameter w is listed twice"),
    "Adam(betas=(1, 0.999))": (lambda t: gs.optim.Adam([_w()], 0.1, betas=(1.0, 0.999)), gs.GraphscopeError,
                               r"Adam: beta1 must be in \[0, 1\), got 1\.0"),
    "Adam(betas=(0.9, -0.5))": (lambda t: gs.optim.Adam([_w()], 0.1, betas=(0.9, -0.5)), gs.GraphscopeError,
                                r"Adam: beta2 must be in \[0, 1\), got -0\.5"),
    "Adam(three betas)": (lambda t: gs.optim.Adam([_w()], 0.1, betas=(0.9, 0.99, 0.1)), gs.GraphscopeError,
                          r"Adam: betas must be a pair \(beta1, beta2\)"),
    "Adam(eps=0)": (lambda t: gs.optim.Adam([_w()], 0.1, eps=0), gs.GraphscopeError,
                    r"Adam: eps must be a positive number, got 0"),
    "Momentum(momentum=1.5)": (lambda t: gs.optim.Momentum([_w()], 0.1, momentum=1.5), gs.GraphscopeError,
                               r"Momentum: momentum must be in \[0, 1\), got 1\.5"),
    "RMSProp(alpha=2)": (lambda t: gs.optim.RMSProp([_w()], 0.1, alpha=2), gs.GraphscopeError,
                         r"RMSProp: alpha must be in \[0, 1\), got 2"),
    "make('bogus')": (lambda t: gs.optim.make("bogus", [_w()], 0.1), gs.GraphscopeError,
                      r"unknown optimizer 'bogus'; known: sgd, momentum"),
    "make('sgd', bogus=1)": (lambda t: gs.optim.make("sgd", [_w()], 0.1, bogus=1), gs.GraphscopeError,
                             r"^SGD\(\) takes no keyword 'bogus' \(SGD takes params, lr"),
    "parse_schedule('bogus')": (lambda t: gs.optim.parse_schedule("bogus", 0.1), gs.GraphscopeError,
                                r"^not one of the schedule forms: exp:K \(lr = lr0"),
    "exponential(k=nan)": (lambda t: gs.optim.exponential(0.1, float("nan")), gs.GraphscopeError,
                           r"exponential: k must be a non-negative number, got nan"),
    # gs.Trainer
    "Trainer(batch_size=0)": (lambda t: _spiral_trainer(batch_size=0), gs.GraphscopeError,
                              r"Trainer: batch_size must be an integer >= 1, got 0"),
    "Trainer(batch_size=2.5)": (lambda t: _spiral_trainer(batch_size=2.5), gs.GraphscopeError, r"got 2\.5"),
    "Trainer(reg=nan)": (lambda t: _spiral_trainer(reg=float("nan")), gs.GraphscopeError,
                         r"Trainer: reg must be a number >= 0, got nan"),
    "Trainer(dtype='int32')": (lambda t: _spiral_trainer(dtype="int32"), gs.GraphscopeError,
                               r"Trainer: dtype must be 'float32' or 'float64', got 'int32'"),
    "Trainer(schedule=3)": (lambda t: _spiral_trainer(schedule=3), gs.GraphscopeError,
                            r"Trainer: schedule must be a function epoch -> learning rate"),
    "Trainer(callbacks=[3])": (lambda t: _spiral_trainer(callbacks=[3]), gs.GraphscopeError,
                               r"Trainer: callbacks must be functions of an event"),
    "Trainer(checkpoint=3)": (lambda t: _spiral_trainer(checkpoint=3), gs.GraphscopeError,
                              r"the checkpoint folder's path must be a str or pathlib\.Path, got int"),
    "Trainer('loss')": (lambda t: gs.Trainer("loss", gs.optim.SGD([_w()], 0.1)), gs.GraphscopeError,
                        r"Trainer\(loss, \.\.\.\): loss must be the recorded loss tensor, got str"),
    "Trainer(a vector loss)": (lambda t: gs.Trainer(gs.tanh(_x()), gs.optim.SGD([_x()], 0.1)), gs.GraphscopeError,
                               r"Trainer: the loss tanh_\d+ has shape \(3,\); it must be one number"),
    "Trainer(optimizer='sgd')": (lambda t: gs.Trainer(_loss(), "sgd"), gs.GraphscopeError,
                                 r"Trainer: the optimizer str has no params; pass a gs\.optim optimizer"),
    "fit: labels out of range": (lambda t: _fit(y_of=lambda y: y + 5), gs.GraphscopeError,
                                 r"fit: training data: y_train\[0\] is 5, but the scores have 3 classes"),
    "fit: float labels": (lambda t: _fit(y_of=lambda y: y + 0.5), gs.GraphscopeError,
                          r"fit: training data: class labels must be whole numbers: y_train\[0\] = 0.5 \(24 of 24 labels are not\)"),
    "fit: x and y lengths differ": (lambda t: _fit(y_of=lambda y: y[:-3]), gs.GraphscopeError,
                                    r"fit: training data: 24 examples but 21 labels"),
    "fit: wrong feature count": (lambda t: _fit(x_of=lambda x: np.ones((24, 5))), gs.GraphscopeError,
                                 r"fit: training data: examples of shape \(5,\) but the input x takes rows of shape "
                                 r"\(2,\)"),
    "fit: no examples": (lambda t: _fit(x_of=lambda x: x[:0], y_of=lambda y: y[:0]), gs.GraphscopeError,
                         r"fit: training data: no examples"),
    "fit: strings": (lambda t: _fit(x_of=lambda x: np.full(x.shape, "a")), gs.GraphscopeError,
                     r"fit: training data: the examples must be numbers"),
    "fit: no labels": (lambda t: _fit(y_of=lambda y: None), gs.GraphscopeError,
                       r"fit: training data: give both the examples and their labels"),
    # checkpoints and data folders
    "load_checkpoint(None)": (lambda t: _spiral_trainer()[0].load_checkpoint(None), gs.GraphscopeError,
                              r"the checkpoint folder's path must be a str or pathlib\.Path, got NoneType"),
    "load_checkpoint(missing)": (lambda t: _spiral_trainer()[0].load_checkpoint(t / "ck"), gs.GraphscopeError,
                                 r"checkpoint .*ck: no such folder"),
    "load_checkpoint(empty folder)": (lambda t: _spiral_trainer()[0].load_checkpoint(t), gs.GraphscopeError,
                                      r"no checkpoint\.json in it"),
    "save_checkpoint(onto a file)": (lambda t: _spiral_trainer()[0].save_checkpoint(a_file(t)), gs.GraphscopeError,
                                     r"checkpoint .*a_file: is a file, not a folder"),
    "load_mnist(None)": (lambda t: gs.data.load_mnist(None), gs.GraphscopeError,
                         r"the MNIST folder's path must be a str or pathlib\.Path, got NoneType"),
    "load_mnist(missing)": (lambda t: gs.data.load_mnist(t / "mnist"), gs.data.DataError,
                            r"MNIST: .*mnist does not exist; name the folder holding train-images-idx3-ubyte"),
    "load_mnist(empty folder)": (lambda t: gs.data.load_mnist(t), gs.data.DataError, r"train-images-idx3-ubyte"),
    "load_mnist(not IDX)": (lambda t: gs.data.load_mnist(_mnist_folder(t, images=b"hello world")),
                            gs.data.DataError, r"train-images-idx3-ubyte: not an IDX file"),
    "load_mnist(truncated images)": (lambda t: gs.data.load_mnist(_mnist_folder(
        t, images=bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 28, 28) + bytes(100))), gs.data.DataError,
        r"train-images-idx3-ubyte: its header announces 2 x 28 x 28 values .* but the file holds 100"),
    "load_mnist(huge declared shape)": (lambda t: gs.data.load_mnist(_mnist_folder(
        t, images=bytes([0, 0, 8, 3]) + struct.pack(">III", 2 ** 31, 2 ** 16, 2 ** 16))), gs.data.DataError,
        r"its header announces 2147483648 x 65536 x 65536 values"),
    "load_mnist(label 12)": (lambda t: gs.data.load_mnist(_mnist_folder(
        t, labels=bytes([0, 0, 8, 1]) + struct.pack(">I", 2) + bytes([1, 12]))), gs.data.DataError,
        r"train-labels-idx1-ubyte: label 12 is outside 0\.\.9"),
    "load_cifar10(a file)": (lambda t: gs.data.load_cifar10(a_file(t)), gs.data.DataError,
                             r"CIFAR-10: .*a_file is a file, not a folder"),
    "load_cifar10(truncated batch)": (lambda t: gs.data.load_cifar10(_cifar_folder(t, bytes(3000))),
                                      gs.data.DataError, r"test_batch\.bin: 3000 bytes is not a whole number of "
                                                         r"3073-byte CIFAR-10 records"),
    "load_cifar10(label 200)": (lambda t: gs.data.load_cifar10(_cifar_folder(t, bytes([200]) + bytes(3072))),
                                gs.data.DataError, r"test_batch\.bin: label 200 is outside 0\.\.9"),
    "spiral(0)": (lambda t: gs.data.spiral(0), gs.data.DataError, r"n_per_class must be an integer >= 1, got 0"),
    "train_val_split(fraction 1.5)": (lambda t: gs.data.train_val_split(np.ones((4, 2)), np.zeros(4, int), 1.5),
                                      gs.data.DataError, r"val_fraction must be between 0 and 1 \(exclusive\)"),
    "standardize(empty)": (lambda t: gs.data.standardize(np.ones((0, 2))), gs.data.DataError,
                           r"standardize: x_train is empty"),
}


@pytest.mark.parametrize("case", sorted(API_CASES))
def test_bad_library_input(tmp_path, op_table_guard, case):
    """One GraphscopeError (of the kind named, also the built-in type where one fits) with one clear message."""
    call, kind, message = API_CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning may leak on the way
        with pytest.raises(kind, match=message) as info:
            call(tmp_path)
    assert isinstance(info.value, gs.GraphscopeError)
    assert len(str(info.value)) < 800 and "Traceback" not in str(info.value)


def test_errors_are_also_the_builtin_type_where_one_fits():
    assert issubclass(gs.NotFoundError, KeyError) and issubclass(gs.PositionError, IndexError)
    assert issubclass(gs.ArgumentError, ValueError) and issubclass(gs.InputError, TypeError)
    with pytest.raises(KeyError):
        _graph()["nope"]
    assert str(gs.NotFoundError("no node named 'x'")) == "no node named 'x'"  # not KeyError's quoted repr
