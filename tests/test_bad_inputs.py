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
import zipfile

import numpy as np
import pytest

import graphscope as gs
from graphscope.cli import main
from graphscope.interop import GraphFileError, load_graph

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
CHAIN_RULE = os.path.join(SAMPLES, "chain_rule.py")
TWO_LAYER = os.path.join(SAMPLES, "two_layer.py")
CUSTOM = os.path.join(SAMPLES, "custom_op.py")


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


def huge_npy_header(path):
    parts = members(path)
    doc = json.loads(parts["graph.json"])
    key = node(doc, "x")["value"]
    arrays = npz_parts(parts["arrays.npz"])
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10 ** 7, 10 ** 7)})
    arrays[key + ".npy"] = header.getvalue() + b"\0" * 48
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
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.zeros(3))
    arrays[loss["value"] + ".npy"] = buf.getvalue()
    loss["shape"], loss["grad"] = [3], None
    parts["arrays.npz"] = npz_bytes(arrays)


def garbage_npz(path):
    parts = members(path)
    parts["arrays.npz"] = b"\x93NUMPY garbage that numpy would offer to unpickle"
    write_members(path, parts)


def npz_member_not_npy(doc, parts):
    arrays = npz_parts(parts["arrays.npz"])
    key = node(doc, "x")["value"]
    arrays[key] = arrays.pop(key + ".npy")
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
    patch = patch_member_header("a0.npy", 8, 10, 9)
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
    "Deflate64 inside arrays.npz": (npz_member_deflate64, r"a0\.npy is compressed with Deflate64"),
    "NaN as a shape": (edit_json(lambda d, parts: node(d, "x").update(shape=[2, "NaN"])),
                       r"\('x'\): shape must be a list of integers"),
    "Deflate64 member": (patch_member_header("graph.json", 8, 10, 9),
                         r"graph\.json is compressed with Deflate64, which graphscope cannot read"),
    "bzip2 member": (patch_member_header("arrays.npz", 8, 10, 12), r"arrays\.npz is compressed with bzip2"),
    "encrypted member": (patch_member_header("graph.json", 6, 8, 1), r"graph\.json is encrypted"),
    "impossible declared size": (zip_bomb_declaration, r"graph\.json declares 4294967294 bytes, more than"),
    "huge .npy shape": (huge_npy_header, r"array 'a\d+': a\d+\.npy declares shape \(10000000, 10000000\) of "
                                         r"float64 \(800000000000000 bytes\), but the member holds 48 bytes"),
    "very deep JSON": (deep_json(100_000), r"graph\.json is nested too deeply|nests lists and objects more"),
    "deep JSON": (deep_json(200), r"graph\.json nests lists and objects more than 64 deep"),
    "integer with 5000 digits": (long_integer, r"graph\.json holds an integer with 5000 digits"),
    "damaged arrays.npz": (garbage_npz, r"arrays\.npz is damaged \(not an \.npz archive\)$"),
    "array stored without .npy": (edit_json(npz_member_not_npy), r"'x'\): array 'a\d+' is not stored as an \.npy"),
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
                                  r"m\.onnx: not a graphscope graph file"),
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
    "unknown command": (lambda t: ["frobnicate"], USAGE, r"invalid choice: 'frobnicate'"),
    "unknown top option": (lambda t: ["--bogus"], USAGE, r"unrecognized arguments: --bogus"),
    # check
    "check: no file": (lambda t: ["check"], USAGE, r"the following arguments are required: file"),
    "check: missing file": (lambda t: ["check", str(t / "none.py")], ERROR, r"none\.py: no such file"),
    "check: missing graph": (lambda t: ["check", str(t / "none.gsgraph")], ERROR, r"none\.gsgraph: no such file"),
    "check: a folder": (lambda t: ["check", str(t)], ERROR, r"is a directory, not a graph file"),
    "check: not a graph": (lambda t: ["check", a_file(t)], ERROR, r"a_file: not a graphscope graph file"),
    "check: --eps nan": (lambda t: ["check", CHAIN_RULE, "--eps", "nan"], USAGE,
                         r"argument --eps: must be a finite number greater than 0, got nan"),
    "check: --eps inf": (lambda t: ["check", CHAIN_RULE, "--eps", "inf"], USAGE, r"argument --eps: .* got inf"),
    "check: --eps -1e-6": (lambda t: ["check", CHAIN_RULE, "--eps=-1e-6"], USAGE, r"argument --eps: .* got -1e-6"),
    "check: --eps -1": (lambda t: ["check", CHAIN_RULE, "--eps", "-1"], USAGE, r"argument --eps: .* got -1"),
    "check: --eps 0": (lambda t: ["check", CHAIN_RULE, "--eps", "0"], USAGE, r"argument --eps: .* got 0"),
    "check: --eps word": (lambda t: ["check", CHAIN_RULE, "--eps", "tiny"], USAGE, r"expected a number, got 'tiny'"),
    "check: --rtol nan": (lambda t: ["check", CHAIN_RULE, "--rtol", "nan"], USAGE, r"argument --rtol: .* got nan"),
    "check: --rtol -inf": (lambda t: ["check", CHAIN_RULE, "--rtol=-inf"], USAGE, r"argument --rtol: .* got -inf"),
    "check: --coords 0": (lambda t: ["check", CHAIN_RULE, "--coords", "0"], USAGE, r"must be 1 or more, got 0"),
    "check: --coords 2.5": (lambda t: ["check", CHAIN_RULE, "--coords", "2.5"], USAGE, r"expected a whole number"),
    "check: --seed x": (lambda t: ["check", CHAIN_RULE, "--seed", "x"], USAGE, r"argument --seed: invalid int"),
    "check: mistyped option": (lambda t: ["check", CHAIN_RULE, "--epss", "1"], USAGE,
                               r"^usage: graphscope check.*unrecognized arguments: --epss 1"),
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
                            r"user\.py:4: def build\(:\n  SyntaxError"),
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
                               r"cannot write .*g\.svg: the folder .*nope does not exist"),
    "export: folder is a file": (lambda t: ["export", CHAIN_RULE, "-o", os.path.join(a_file(t), "g.dot")], ERROR,
                                 r"the folder .*a_file is a file, not a folder"),
    "export: unwritable place": (lambda t: ["export", CHAIN_RULE, "-o", "/proc/graphscope-test.dot"], ERROR,
                                 r"cannot write .*/proc/graphscope-test\.dot"),
    "export: onnx to a missing folder": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "nope" / "m.onnx")], ERROR,
                                         r"cannot write ONNX model .*m\.onnx: the folder .*nope does not exist"),
    "export: onnx with a custom op": (lambda t: ["export", CUSTOM, "-o", str(t / "m.onnx")], ERROR,
                                      r"op swish \(node swish_\d+, made at .*custom_op\.py:\d+\) has no ONNX"),
    "export: onnx with --step": (lambda t: ["export", CHAIN_RULE, "-o", str(t / "m.onnx"), "--step", "1"], ERROR,
                                 r"--step picks a step of a picture"),
    "export: frames onto a file": (lambda t: ["export", CHAIN_RULE, "--frames", a_file(t)], ERROR,
                                   r"cannot write frames into .*a_file: it is a file, not a folder"),
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
                                r"^usage: graphscope export.*unrecognized arguments: --stepp 3"),
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
