"""graphscope check FILE: a readable table, the failing node named, exit code 1 on failure."""
import os
import re
import subprocess
import sys

import pytest

from graphscope.cli import main
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")
SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")


def run_check(capsys, *args):
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_wrong_backward_sample_fails_at_the_swish_node(capsys):
    path = os.path.join(SAMPLES, "wrong_backward.py")
    code, out, _ = run_check(capsys, path)
    assert code == 1
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("#"))
    assert header.split()[:4] == ["#", "node", "op", "shapes"]
    failing = [line for line in lines if " FAIL " in f" {line} " and line.split()[0].isdigit()]
    assert len(failing) == 1
    assert "swish" in failing[0] and "block4" in failing[0] and "wrong_backward.py:" in failing[0]
    assert "1 of 36 op nodes failed; first failing node:" in out
    assert "(op swish) (8, 16) -> (8, 16), scope block4, made at" in out
    assert "whole-graph gradcheck of loss" in out and "FAILED: wrong_backward.py" in out


def test_a_right_custom_op_passes(capsys):
    code, out, _ = run_check(capsys, os.path.join(SAMPLES, "custom_op.py"))
    assert code == 0
    assert "all 6 op nodes passed" in out
    assert "gradcheck of loss: 4 leaves passed" in out and out.rstrip().endswith("passed: custom_op.py")


def test_nan_sample_names_the_origin(capsys):
    code, out, _ = run_check(capsys, os.path.join(SAMPLES, "nan_origin.py"), "--nodes-only")
    assert code == 1
    assert "non-finite value: log_" in out and "(op log) made a non-finite value from finite inputs" in out
    assert "scope: naive_log_softmax" in out and "nan_origin.py:" in out
    assert "whole-graph gradcheck" not in out


def _graphscope(*args, cwd):
    """The command run as a user runs it: a fresh process (automatic node names count from the same start)."""
    return subprocess.run([sys.executable, "-m", "graphscope", *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("sample, pattern, phase", [
    ("nan_origin.py", r"non-finite value: (log_\d+) \(op log\)", "forward"),
    ("wrong_backward.py", r"first failing node:\n  (swish_\d+) \(op swish\)", "backward")])
def test_the_node_to_look_at_is_named_with_the_export_command_that_draws_it(tmp_path, sample, pattern, phase):
    import re
    import shlex
    path = os.path.join(SAMPLES, sample)
    checked = _graphscope("check", path, "--nodes-only", "--failures-only", cwd=tmp_path)
    assert checked.returncode == 1 and "find_nonfinite" not in checked.stdout
    name = re.search(pattern, checked.stdout).group(1)
    look = f"graphscope export {path} --node {name}" + (" --phase backward" if phase == "backward" else "") \
        + f" -o {name}.svg"
    assert f"\n  to look at it: {look}\n" in checked.stdout
    drawn = _graphscope(*shlex.split(look)[1:], cwd=tmp_path)
    assert drawn.returncode == 0 and (tmp_path / f"{name}.svg").exists()
    assert f"{phase} · at {name} = " in drawn.stdout


def test_nodes_skipped_for_non_finite_values_point_at_the_origin(capsys):
    code, out, _ = run_check(capsys, os.path.join(SAMPLES, "nan_origin.py"), "--nodes-only")
    assert code == 1
    assert re.search(r"1 of 5 op nodes passed, 4 skipped \(their values are not finite: the first non-finite value "
                     r"is made at log_\d+, named above\)", out)
    assert "find_nonfinite" not in out


def test_the_export_command_for_a_saved_graph_keeps_its_imports(capsys, tmp_path, monkeypatch):
    import shlex
    import graphscope as gs
    from graphscope.engine.custom import unregister
    from graphscope.engine.source import display_path
    from graphscope.userfile import build_output
    monkeypatch.chdir(tmp_path)
    sample = os.path.join(SAMPLES, "wrong_backward.py")
    gs.Graph(build_output(sample)).save("model.gsgraph")
    unregister("swish")
    code, out, _ = run_check(capsys, "model.gsgraph", "--import", sample, "--nodes-only", "--failures-only")
    assert code == 1
    swish = re.search(r"first failing node:\n  (swish_\d+) \(op swish\)", out).group(1)
    look = (f"graphscope export model.gsgraph --import {display_path(sample)} --node {swish} --phase backward "
            f"-o {swish}.svg")
    assert f"\n  to look at it: {look}\n" in out
    unregister("swish")
    assert main(shlex.split(look)[1:]) == 0 and (tmp_path / f"{swish}.svg").exists()


def test_a_saved_graph_file_can_be_checked(capsys, tmp_path):
    import graphscope as gs
    from graphscope.userfile import build_output
    path = tmp_path / "model.gsgraph"
    gs.Graph(build_output(os.path.join(SAMPLES, "wrong_backward.py"))).save(path)
    code, out, _ = run_check(capsys, str(path), "--failures-only", "--nodes-only", "--coords", "5")
    assert code == 1
    rows = [line for line in out.splitlines() if line[:1].isdigit()]
    assert len(rows) == 1 and "swish" in rows[0]
    assert "at most 5 entries per input" in out


def test_a_saved_graph_with_a_custom_op_needs_its_definition(capsys, tmp_path):
    import graphscope as gs
    from graphscope.engine.custom import unregister
    from graphscope.engine.source import display_path
    from graphscope.userfile import build_output
    sample = os.path.join(SAMPLES, "custom_op.py")
    path = tmp_path / "custom.gsgraph"
    gs.Graph(build_output(sample)).save(path)
    unregister("swish")
    code, _, err = run_check(capsys, str(path), "--nodes-only")
    assert code == 2 and f"--nodes-only --import {display_path(sample)}\n" in err
    code, out, _ = run_check(capsys, str(path), "--nodes-only", "--import", sample)
    assert code == 0 and "all 6 op nodes passed" in out


def test_a_missing_file_and_bad_options(capsys, tmp_path):
    code, _, err = run_check(capsys, str(tmp_path / "none.py"))
    assert code == 2 and "graphscope check:" in err and "no such file" in err
    code, _, err = run_check(capsys, str(tmp_path / "none.gsgraph"))
    assert code == 2 and "no such file" in err
    with pytest.raises(SystemExit) as exit_:
        main(["check", os.path.join(SAMPLES, "custom_op.py"), "--coords", "0"])
    assert exit_.value.code == 2
    assert "argument --coords: the number of entries must be 1 or more, got 0" in capsys.readouterr().err


def test_a_vjp_that_raises_fails_its_node_and_stops_the_whole_graph_check(capsys, tmp_path):
    sample = tmp_path / "buggy.py"
    sample.write_text("import numpy as np\nimport graphscope as gs\n\n\n@gs.custom_op\ndef cube(x):\n"
                      "    return x ** 3\n\n\n@cube.vjp\ndef _(g, x, value):\n    return (3 * x ** 2 * gg,)\n\n\n"
                      "def build():\n    return gs.sum(cube(gs.param(np.ones(3), name='x')))\n")
    code, out, err = run_check(capsys, str(sample))
    assert code == 1 and err == ""
    row = next(line for line in out.splitlines() if line.startswith("1 "))
    assert "cube" in row and "error (VJP raised NameError: name 'gg' is not defined)" in row
    assert "FAIL: backward could not run: cube: the VJP raised NameError" in out
    assert "buggy.py:12 in _: return (3 * x ** 2 * gg,)" in out and "Traceback" not in out


def test_the_console_script_exit_code():
    result = subprocess.run([sys.executable, "-m", "graphscope", "check", os.path.join(SAMPLES, "wrong_backward.py"),
                             "--nodes-only", "--failures-only"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "swish" in result.stdout and result.stderr == ""
