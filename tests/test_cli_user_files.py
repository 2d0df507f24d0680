"""A user's file that cannot be used: every command says what is wrong in one message and exits 1, no traceback."""
import os
import subprocess
import sys

import pytest

from graphscope.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEURON = os.path.join(ROOT, "samples", "neuron.py")

#: file name -> (its text, what the message must say)
BAD_FILES = {
    "nobuild.py": ("x = 1\n", "nobuild.py does not define build(): add a function build() that returns"),
    "raises.py": ("def build():\n    raise ValueError('no data here')\n",
                  "raises.py: build() failed:\n  raises.py:2 in build: raise ValueError('no data here')\n"
                  "  ValueError: no data here"),
    "number.py": ("def build():\n    return 42\n", "number.py: build() returned int; it must return a graphscope tensor"),
    "pair.py": ("import graphscope as gs\n\ndef build():\n    return [gs.tensor(1.0)]\n",
                "pair.py: build() returned list"),
    "broken_import.py": ("import a_module_that_is_not_there\n",
                         "broken_import.py failed while loading:\n  broken_import.py:1 in <module>"),
    "syntax.py": ("def build(:\n    pass\n", "syntax.py failed while loading:\n  syntax.py:1: def build(:\n"
                                             "  SyntaxError:"),
    "needs_args.py": ("def build(batch, seed):\n    pass\n",
                      "needs_args.py: build() needs batch, seed, but graphscope calls it with no arguments"),
    "not_a_function.py": ("build = 3\n", "not_a_function.py: build is int, not a function"),
    "shapes.py": ("import numpy as np\nimport graphscope as gs\n\ndef build():\n"
                  "    return gs.tensor(np.ones((2, 3))) @ gs.tensor(np.ones((2, 3)))\n",
                  "shapes.py: build() failed: matmul: inner dimensions differ"),
}
COMMANDS = {"demo": [], "check": [], "export": ["-o", "{tmp}/out.svg"]}


def run(capsys, command, *args):
    code = main([command, *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_graph_file_gets_one_message(capsys, tmp_path, command, name):
    text, message = BAD_FILES[name]
    path = tmp_path / name
    path.write_text(text)
    extra = [a.format(tmp=tmp_path) for a in COMMANDS[command]]
    code, out, err = run(capsys, command, str(path), *extra)
    assert code == 2
    assert err.startswith(f"graphscope {command}: ") and message in err, err
    assert "Traceback" not in err and "site-packages" not in err and "graphscope/" not in err
    assert sorted(set(os.listdir(tmp_path)) - {"__pycache__"}) == [name]  # nothing written


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_missing_file_or_a_folder(capsys, tmp_path, command):
    extra = [a.format(tmp=tmp_path) for a in COMMANDS[command]]
    code, _, err = run(capsys, command, str(tmp_path / "nowhere.py"), *extra)
    assert code == 2 and err == f"graphscope {command}: {tmp_path / 'nowhere.py'}: no such file\n"
    folder = tmp_path / "folder.py"
    folder.mkdir()
    code, _, err = run(capsys, command, str(folder), *extra)
    assert code == 2 and f"{folder}: is a folder, not a Python file" in err


def test_export_output_that_cannot_be_written(capsys, tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    code, _, err = run(capsys, "export", NEURON, "-o", str(a_file / "out.svg"))
    assert code == 2 and f"the folder {a_file} is a file, not a folder" in err
    code, _, err = run(capsys, "export", NEURON, "-o", str(tmp_path / "missing" / "out.svg"))
    assert code == 2 and "does not exist" in err
    code, _, err = run(capsys, "export", NEURON, "--frames", str(a_file))
    assert code == 2 and f"cannot write frames into {a_file}: it is a file, not a folder" in err
    assert sorted(os.listdir(tmp_path)) == ["a_file"]


@pytest.mark.parametrize("args, message", [
    (["--step", "x"], "argument --step: invalid int value: 'x'"),
    (["--phase", "sideways"], "argument --phase: invalid choice: 'sideways'"),
    (["--depth", "-1"], "argument --depth: depth must be 0 or more, got -1"),
])
def test_malformed_options_are_usage_errors(tmp_path, args, message):
    result = subprocess.run([sys.executable, "-m", "graphscope", "export", NEURON, "-o", str(tmp_path / "x.svg"),
                             *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("usage: graphscope export")
