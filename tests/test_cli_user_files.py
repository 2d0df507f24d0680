"""A user's file that cannot be used: every command says what is wrong in one message and exits 1, no traceback."""
import os

import pytest

from cli_run import clean_failure, graphscope
from graphscope.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHAIN_RULE = os.path.join(ROOT, "samples", "chain_rule.py")

#: file name -> (its text, what the message must name: the file, and where or what went wrong)
BAD_FILES = {
    "nobuild.py": ("x = 1\n", ("nobuild.py", "build()")),
    "raises.py": ("def build():\n    raise ValueError('no data here')\n",
                  ("raises.py:2", "raise ValueError('no data here')", "ValueError: no data here")),
    "number.py": ("def build():\n    return 42\n", ("number.py", "build()", "int")),
    "pair.py": ("import graphscope as gs\n\ndef build():\n    return [gs.tensor(1.0)]\n", ("pair.py", "list")),
    "broken_import.py": ("import a_module_that_is_not_there\n", ("broken_import.py:1", "a_module_that_is_not_there")),
    "syntax.py": ("def build(:\n    pass\n", ("syntax.py:1", "def build(:", "SyntaxError")),
    "needs_args.py": ("def build(batch, seed):\n    pass\n", ("needs_args.py", "batch, seed")),
    "not_a_function.py": ("build = 3\n", ("not_a_function.py", "int")),
    "shapes.py": ("import numpy as np\nimport graphscope as gs\n\ndef build():\n"
                  "    return gs.tensor(np.ones((2, 3))) @ gs.tensor(np.ones((2, 3)))\n",
                  ("shapes.py", "matmul", "(2, 3)")),
}
COMMANDS = {"demo": [], "check": [], "export": ["-o", "{tmp}/out.svg"]}


def run(capsys, command, *args):
    code = main([command, *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_graph_file_gets_one_message(capsys, tmp_path, command, name):
    text, named = BAD_FILES[name]
    path = tmp_path / name
    path.write_text(text)
    extra = [a.format(tmp=tmp_path) for a in COMMANDS[command]]
    code, out, err = run(capsys, command, str(path), *extra)
    assert code == 2
    assert err.startswith(f"graphscope {command}: ") and all(word in err for word in named), err
    assert "Traceback" not in err and "site-packages" not in err and "graphscope/" not in err
    assert sorted(set(os.listdir(tmp_path)) - {"__pycache__"}) == [name]  # nothing written


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_missing_file_or_a_folder(capsys, tmp_path, command):
    extra = [a.format(tmp=tmp_path) for a in COMMANDS[command]]
    code, _, err = run(capsys, command, str(tmp_path / "nowhere.py"), *extra)
    assert code == 2 and err.startswith(f"graphscope {command}: ") and str(tmp_path / "nowhere.py") in err
    assert err.count("\n") == 1 and clean_failure(err)
    folder = tmp_path / "folder.py"
    folder.mkdir()
    code, _, err = run(capsys, command, str(folder), *extra)
    assert code == 2 and str(folder) in err and "folder" in err and clean_failure(err)


def test_export_output_that_cannot_be_written(capsys, tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    code, _, err = run(capsys, "export", CHAIN_RULE, "-o", str(a_file / "out.svg"))
    assert code == 2 and str(a_file) in err and clean_failure(err)
    code, _, err = run(capsys, "export", CHAIN_RULE, "-o", str(tmp_path / "missing" / "out.svg"))
    assert code == 2 and str(tmp_path / "missing") in err and clean_failure(err)
    code, _, err = run(capsys, "export", CHAIN_RULE, "--frames", str(a_file))
    assert code == 2 and str(a_file) in err and clean_failure(err)
    assert sorted(os.listdir(tmp_path)) == ["a_file"]


@pytest.mark.parametrize("args", [["--step", "x"], ["--phase", "sideways"], ["--depth", "-1"]])
def test_malformed_options_are_usage_errors(tmp_path, args):
    ran = graphscope("export", CHAIN_RULE, "-o", tmp_path / "x.svg", *args).expect(2)
    option, value = args
    assert option in ran.err and value in ran.err and clean_failure(ran.err)
    assert ran.err.startswith("usage: graphscope export") and not (tmp_path / "x.svg").exists()
