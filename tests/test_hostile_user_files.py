"""User files and data that try the command line's front door: sys.exit in a user's code, prints that would spoil
check --json, devices read as graph files, control characters in names, one-hot labels, absurd epochs, MNIST
headers without pixels. Each gets one message naming what is wrong (exit status 2), never a silent exit."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from cli_run import graphscope, in_process
import graphscope as gs
from graphscope.cli import main

GRAPH = """\
import graphscope as gs


def build():
    x = gs.tensor([1.0, 2.0], requires_grad=True, name="x")
    return (x * 3).sum()
"""

TRAINING = """\
import numpy as np
import graphscope as gs

X = np.random.default_rng(0).standard_normal((30, 2))
Y = np.arange(30) % 3


def build():
    x = gs.tensor(X[:8], name="x")
    return gs.softmax_cross_entropy(gs.nn.MLP([2, 8, 3], rng=0)(x), Y[:8])


def data():
    {data}
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def one_error_line(err, command, *words):
    """stderr is one line `graphscope COMMAND: ...` holding every word."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"graphscope {command}: "), err
    assert all(w in lines[0] for w in words), err


# ---------------------------------------------------------------- sys.exit in a user's code

EXITS = {  # file text, the line that exits, what the message says about when
    "exit_at_import.py": ("import sys\nsys.exit(0)\ndef build(): pass\n", 2, "while graphscope loads the file"),
    "exit_in_build.py": ("import sys\ndef build():\n    sys.exit(3)\n", 3, "in build()"),
    "systemexit_text.py": ("def build():\n    raise SystemExit('bye')\n", 2, "in build()"),
}


@pytest.mark.parametrize("name", sorted(EXITS))
@pytest.mark.parametrize("command", ["check", "export", "demo"])
def test_sys_exit_in_a_graph_file_is_an_error_naming_its_line(capsys, tmp_path, name, command):
    text, line, when = EXITS[name]
    path = write(tmp_path, name, text)
    extra = ["-o", str(tmp_path / "o.svg")] if command == "export" else []
    code, out, err = in_process(main, capsys, command, path, *extra)
    assert code == 2
    one_error_line(err, command, f"{name}:{line}", "SystemExit", when)
    assert "bye" not in out and not os.path.exists(tmp_path / "o.svg")


def test_check_json_of_a_file_that_exits_is_one_json_error(capsys, tmp_path):
    path = write(tmp_path, "exit_at_import.py", EXITS["exit_at_import.py"][0])
    code, out, err = in_process(main, capsys, "check", "--json", path)
    data = json.loads(out)
    assert code == 2 and data["exit_status"] == 2 and data["passed"] is False
    assert "exit_at_import.py:2" in data["error"] and "sys.exit(0)" in data["error"]


def test_an_import_that_exits_stops_export_of_a_saved_graph(capsys, tmp_path):
    x = gs.tensor([1.0, 2.0], requires_grad=True, name="x")
    (x * 3).sum().graph().save(str(tmp_path / "g.gsgraph"))
    ops = write(tmp_path, "ops.py", "import sys\nsys.exit(0)\n")
    code, out, err = in_process(main, capsys, "export", str(tmp_path / "g.gsgraph"), "--import", ops,
                                "-o", str(tmp_path / "o.svg"))
    assert code == 2 and not os.path.exists(tmp_path / "o.svg")
    one_error_line(err, "export", "ops.py:2")


@pytest.mark.parametrize("where", ["data", "settings"])
def test_sys_exit_in_data_or_settings_stops_train(capsys, tmp_path, where):
    text = TRAINING.format(data="return X, Y, None, None")
    text += "\n\ndef settings():\n    return {}\n"
    text = text.replace(f"def {where}():\n", f"def {where}():\n    import sys; sys.exit(0)\n")
    path = write(tmp_path, "exits.py", text)
    code, out, err = in_process(main, capsys, "train", path, "--epochs", "1", "--no-progress")
    assert code == 2 and out == ""
    one_error_line(err, "train", "exits.py:", f"in {where}()")


def test_the_tui_loader_turns_sys_exit_in_data_into_its_error(tmp_path):
    from graphscope.tui.training import load_data
    path = write(tmp_path, "exits.py", TRAINING.format(data="import sys; sys.exit(0)"))
    with pytest.raises(gs.GraphscopeError, match=r"exits\.py:14.*in data\(\)"):
        load_data(path)


VJP_EXIT = """\
import sys
import numpy as np
import graphscope as gs


@gs.custom_op
def twice(x):
    return 2 * x


@twice.vjp
def twice_vjp(g, x, value):
    sys.exit(0)


def build():
    return twice(gs.tensor(np.ones(3), requires_grad=True, name="x")).sum()
"""


@pytest.mark.parametrize("json_out", [False, True])
def test_sys_exit_in_a_custom_vjp_is_an_error_naming_its_line(capsys, tmp_path, json_out):
    path = write(tmp_path, "vjp_exit.py", VJP_EXIT)
    code, out, err = in_process(main, capsys, "check", path, *(["--json"] if json_out else []))
    assert code == 2
    one_error_line(err, "check", "vjp_exit.py:13", "sys.exit(0)")
    if json_out:
        assert "vjp_exit.py:13" in json.loads(out)["error"]


# ---------------------------------------------------------------- check --json stays JSON

def test_check_json_sends_the_files_prints_to_stderr(capsys, tmp_path):
    path = write(tmp_path, "chatty.py", GRAPH.replace("def build():\n", "print('at import')\n\n\ndef build():\n"
                                                                     "    print('in build', 42)\n"))
    code, out, err = in_process(main, capsys, "check", "--json", path)
    assert code == 0 and json.loads(out)["passed"] is True
    assert "at import" in err and "in build 42" in err


# ---------------------------------------------------------------- the library refuses devices

def test_load_graph_refuses_a_device_instead_of_reading_it_without_end():
    code = ("import graphscope as gs\ntry:\n    gs.load_graph('/dev/zero')\nexcept gs.GraphscopeError as e:\n"
            "    print(type(e).__name__, e)\n")
    def limit_memory():  # without the refusal, the child reads /dev/zero until it runs out of this
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (2 * 2 ** 30, 2 * 2 ** 30))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          preexec_fn=limit_memory)
    assert proc.stdout.startswith("GraphFileError /dev/zero: is not an ordinary file"), proc.stdout + proc.stderr


# ---------------------------------------------------------------- control characters in names and titles

CONTROL = """\
import graphscope as gs


def build():
    a = gs.tensor([1.0, 2.0], requires_grad=True, name="x\\x00y")
    b = gs.tensor([3.0, 4.0], requires_grad=True, name="esc\\x1b[31mred")
    c = a * b
    c.name = "tab\\there"
    return c.sum()
"""


@pytest.mark.parametrize("suffix", ["dot", "svg"])
def test_control_characters_in_names_are_written_out_in_pictures(capsys, tmp_path, suffix):
    path = write(tmp_path, "control.py", CONTROL)
    target = tmp_path / f"n.{suffix}"
    code, out, err = in_process(main, capsys, "export", path, "-o", target, "--title", "T" * 20000)
    assert code == 0, err
    text = target.read_text()
    assert "x\\x00y" in text and "esc\\x1b[31mred" in text and "tab\\there" in text
    assert "\x00" not in text and "\x1b" not in text
    if suffix == "svg":
        assert "T" * 199 + "\u2026" in text and "T" * 201 not in text


def test_check_and_demo_write_out_control_characters_of_names(capsys, tmp_path):
    path = write(tmp_path, "control.py", CONTROL)
    for command in ("check", "demo"):
        code, out, err = in_process(main, capsys, command, path)
        assert code == 0, err
        assert "\x1b" not in out and "\x00" not in out and "esc\\x1b[31mred" in out and "x\\x00y" in out


def test_an_error_naming_a_control_character_writes_it_out(capsys, tmp_path):
    path = write(tmp_path, "control.py", CONTROL)
    code, out, err = in_process(main, capsys, "export", path, "--node", "x\x1b", "-o", tmp_path / "o.svg")
    assert code == 2 and "\x1b" not in err and "x\\x1b" in err


def test_check_tables_line_up_when_a_name_holds_a_control_character(capsys, tmp_path):
    path = write(tmp_path, "control.py", CONTROL)
    code, out, err = in_process(main, capsys, "check", path)
    assert code == 0, err
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("leaf "))
    rows = lines[header:header + 3]  # the header and the two leaves' rows
    assert {row.index("shape" if i == 0 else "(2,)") for i, row in enumerate(rows)} == {rows[0].index("shape")}


@pytest.mark.parametrize("suffix", ["svg", "gsgraph", "onnx"])
def test_what_export_wrote_writes_out_control_characters(capsys, tmp_path, suffix):
    path = write(tmp_path, "control.py", CONTROL.replace("return c.sum()", 's = c.sum()\n    s.name = "esc\\x1bout"\n    return s'))
    step = ["--step", "2"] if suffix == "svg" else []  # the svg's line names the step's node, the others the output
    code, out, err = in_process(main, capsys, "export", path, *step, "-o", tmp_path / f"o.{suffix}")
    assert code == 0, err
    assert out.startswith("wrote") and "\x1b" not in out and "esc\\x1b" in out


LONG_NAMES = {  # the code giving a name that is too long, the words of the message
    "gs.tensor": ("gs.tensor([1.0], name='n' * 20000)", "gs.tensor: a name of 20,000 characters"),
    "setter": ("t = gs.tensor([1.0]); t.name = 'n' * 501", ".name: a name of 501 characters"),
    "scope": ("gs.scope('s' * 600)", "gs.scope: a name of 600 characters"),
}


@pytest.mark.parametrize("kind", sorted(LONG_NAMES))
def test_a_name_too_long_for_a_picture_is_refused_where_it_is_given(kind):
    code, words = LONG_NAMES[kind]
    with pytest.raises(gs.GraphscopeError) as info:
        exec(code, {"gs": gs})
    assert words in str(info.value) and "at most 500 characters" in str(info.value)


def test_a_name_of_the_longest_length_is_drawn(tmp_path):
    x = gs.tensor([1.0, 2.0], requires_grad=True, name="n" * 500)
    loss = (x * x).sum()
    gs.viz.export(loss, tmp_path / "long.svg", step="final")
    assert "n" * 500 in (tmp_path / "long.svg").read_text()


def test_a_graph_file_with_a_name_too_long_is_refused_naming_the_file(tmp_path):
    x = gs.tensor([1.0, 2.0], requires_grad=True, name="x")
    (x * 2).sum().graph().save(tmp_path / "g.gsgraph")
    import zipfile
    with zipfile.ZipFile(tmp_path / "g.gsgraph") as z:
        members = {n: z.read(n) for n in z.namelist()}
    graph_member = next(n for n in members if n.endswith(".json") and b'"name": "x"' in members[n])
    members[graph_member] = members[graph_member].replace(b'"name": "x"', b'"name": "' + b"x" * 600 + b'"')
    with zipfile.ZipFile(tmp_path / "bad.gsgraph", "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    with pytest.raises(gs.GraphscopeError) as info:
        gs.load_graph(tmp_path / "bad.gsgraph")
    assert "bad.gsgraph" in str(info.value) and "a name of 600 characters" in str(info.value)


# ---------------------------------------------------------------- bad files and data

def test_a_binary_py_file_is_named_as_not_python(capsys, tmp_path):
    path = tmp_path / "binary.py"
    path.write_bytes(bytes(range(256)) * 4)
    code, out, err = in_process(main, capsys, "check", path)
    assert code == 2 and "None" not in err and "binary.py: not Python source text" in err


@pytest.mark.parametrize("value, dtype", [("X.astype(complex)", "complex128"), ("X.astype(object)", "object"),
                                          ("X.astype(str)", "<U")])
def test_data_of_a_wrong_dtype_is_named_by_its_dtype(capsys, tmp_path, value, dtype):
    path = write(tmp_path, "dtypes.py", TRAINING.format(data=f"return {value}, Y, None, None"))
    code, out, err = in_process(main, capsys, "train", path, "--epochs", "1")
    assert code == 2
    one_error_line(err, "train", f"x_train of dtype {dtype}")
    assert "of type ndarray" not in err


@pytest.mark.parametrize("which", ["y_train", "y_val"])
def test_one_hot_labels_are_refused_before_training_naming_argmax(capsys, tmp_path, which):
    data = "return X, np.eye(3)[Y], None, None" if which == "y_train" else "return X, Y, X, np.eye(3)[Y]"
    path = write(tmp_path, "onehot.py", TRAINING.format(data=data))
    code, out, err = in_process(main, capsys, "train", path, "--epochs", "1", "--no-progress")
    assert code == 2 and out == ""  # refused before the header
    one_error_line(err, "train", f"{which} of shape (30, 3)", "softmax_cross_entropy", f"{which}.argmax(1)")


def test_train_epochs_share_search_cap(capsys, tmp_path):
    from graphscope.train.search_result import MAX_EPOCHS
    path = write(tmp_path, "fine.py", TRAINING.format(data="return X, Y, None, None"))
    # a fresh process with a time limit: without the cap, the run would go on for ages
    ran = graphscope("train", path, "--epochs", "99999999999", "--no-progress", timeout=120)
    assert ran.code == 2 and ran.out == ""
    one_error_line(ran.err, "train", f"--epochs must be a whole number from 1 to {MAX_EPOCHS:,}")
    text = TRAINING.format(data="return X, Y, None, None") + f"\n\ndef settings():\n    return {{'epochs': {10 ** 9}}}\n"
    ran = graphscope("train", write(tmp_path, "many.py", text), "--no-progress", timeout=120)
    assert ran.code == 2 and f"from 1 to {MAX_EPOCHS:,}" in ran.err


def _idx(path, dims, data=b""):
    path.write_bytes(bytes([0, 0, 8, len(dims)]) + np.asarray(dims, ">u4").tobytes() + data)


def test_mnist_images_without_pixels_are_refused_naming_the_file(tmp_path):
    _idx(tmp_path / "train-images-idx3-ubyte", (10, 0, 0))
    _idx(tmp_path / "train-labels-idx1-ubyte", (10,), bytes(10))
    _idx(tmp_path / "t10k-images-idx3-ubyte", (2, 28, 28), bytes(2 * 784))
    _idx(tmp_path / "t10k-labels-idx1-ubyte", (2,), bytes(2))
    with pytest.raises(gs.data.DataError, match=r"train-images-idx3-ubyte: .*10 x 0 x 0.*without a pixel"):
        gs.data.load_mnist(tmp_path)
