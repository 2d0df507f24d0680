"""graphscope check FILE: the failing node named, exit code 1 on failure (told apart from a crash, which also
exits 1: a failed check names the node and prints no traceback). The exact wording is in tests/golden/."""
import os
import re
import shlex

import pytest

from cli_run import clean_failure, graphscope, in_process
from graphscope.cli import main
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")
SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")


def run_check(capsys, *args):
    return in_process(main, capsys, "check", *args)


def rows(out):
    """The per-node table's rows as {node name: row words}."""
    return {line.split()[1]: line.split() for line in out.splitlines() if line[:1].isdigit()}


def failed_check(code, out, err, node_prefix):
    """A check that failed (exit 1) at a node named `node_prefix`_N, said in words: not a crash."""
    assert code == 1, err
    assert clean_failure(out) and clean_failure(err), err
    return [name for name, row in rows(out).items() if name.startswith(node_prefix) and "FAIL" in row]


def test_wrong_backward_sample_fails_at_the_swish_node(capsys):
    path = os.path.join(SAMPLES, "wrong_backward.py")
    code, out, err = run_check(capsys, path)
    assert failed_check(code, out, err, "swish_")
    table = rows(out)
    assert [name for name, row in table.items() if "FAIL" in row] == [n for n in table if n.startswith("swish_")]
    assert all("ok" in row for name, row in table.items() if not name.startswith("swish_"))
    swish = next(row for name, row in table.items() if name.startswith("swish_"))
    assert "block4" in swish and any(word.startswith("samples/wrong_backward.py:") for word in swish)


def test_a_right_custom_op_passes(capsys):
    code, out, err = run_check(capsys, os.path.join(SAMPLES, "custom_op.py"))
    assert code == 0, err
    assert rows(out) and all("ok" in row for row in rows(out).values())


def test_nan_sample_names_the_origin(capsys):
    code, out, err = run_check(capsys, os.path.join(SAMPLES, "nan_origin.py"), "--nodes-only")
    assert code == 1 and clean_failure(out + err)
    origin = re.search(r"non-finite value: (log_\d+) \(op log\)", out).group(1)
    table = rows(out)
    assert all("ok" in row for name, row in table.items() if name.startswith("softmax_")) and "skip" in table[origin]
    assert "whole-graph gradcheck" not in out       # --nodes-only


@pytest.mark.parametrize("sample, pattern, phase", [
    ("nan_origin.py", r"non-finite value: (log_\d+) \(op log\)", "forward"),
    ("wrong_backward.py", r"first failing node:\n  (swish_\d+) \(op swish\)", "backward")])
def test_the_node_to_look_at_is_named_with_the_export_command_that_draws_it(tmp_path, sample, pattern, phase):
    path = os.path.join(SAMPLES, sample)
    checked = graphscope("check", path, "--nodes-only", "--failures-only", cwd=tmp_path).expect(1)
    assert clean_failure(checked.err) and "find_nonfinite" not in checked.out
    name = re.search(pattern, checked.out).group(1)
    look = re.search(r"to look at it: (graphscope export .*)", checked.out).group(1)
    command = shlex.split(look)
    assert command[command.index("--node") + 1] == name
    assert ("--phase" in command) == (phase == "backward")
    assert ("--check" in command) == (phase == "backward")  # a wrong VJP: the picture marks it
    exported = graphscope(*command[1:], cwd=tmp_path).expect(0)
    drawn = tmp_path / command[command.index("-o") + 1]
    assert drawn.exists() and name in drawn.read_text()
    if phase == "backward":
        svg = drawn.read_text()
        assert f"--check: {name} (swish) is marked: its VJP fails its check" in exported.err
        assert "VJP check failed here:" in svg and re.search(r"its gradient for add_\d+ \(input(?: |\xa0|&#160;)0\):", svg) \
            and re.search(r"max relative error 0\.\d+ over", svg)


def test_export_check_on_a_graph_whose_vjps_all_pass_marks_nothing(tmp_path):
    out = tmp_path / "two_layer.svg"
    exported = graphscope("export", os.path.join(SAMPLES, "two_layer.py"), "--check", "-o", str(out),
                          cwd=tmp_path).expect(0)
    assert "every op node's VJP passed its check; nothing is marked" in exported.err
    assert "VJP check failed" not in out.read_text()


def test_nodes_skipped_for_non_finite_values_point_at_the_origin(capsys):
    code, out, err = run_check(capsys, os.path.join(SAMPLES, "nan_origin.py"), "--nodes-only")
    assert code == 1 and clean_failure(out + err)
    origin = re.search(r"non-finite value: (log_\d+)", out).group(1)
    skipped = [name for name, row in rows(out).items() if "skip" in row]
    assert origin in skipped and len(skipped) == 4
    assert re.search(rf"4 skipped \(.*{origin}", out) and "find_nonfinite" not in out


def test_the_export_command_for_a_saved_graph_keeps_its_imports(capsys, tmp_path, monkeypatch):
    import graphscope as gs
    from graphscope.engine.custom import unregister
    from graphscope.engine.source import display_path
    from graphscope.userfile import build_output
    monkeypatch.chdir(tmp_path)
    sample = os.path.join(SAMPLES, "wrong_backward.py")
    gs.Graph(build_output(sample)).save("model.gsgraph")
    unregister("swish")
    code, out, err = run_check(capsys, "model.gsgraph", "--import", sample, "--nodes-only", "--failures-only")
    (swish,) = failed_check(code, out, err, "swish_")
    command = shlex.split(re.search(r"to look at it: (graphscope export .*)", out).group(1))
    assert command[command.index("--import") + 1] == display_path(sample)
    assert command[command.index("--node") + 1] == swish
    unregister("swish")
    assert main(command[1:]) == 0
    assert (tmp_path / command[command.index("-o") + 1]).exists()


def test_a_saved_graph_file_can_be_checked(capsys, tmp_path):
    import graphscope as gs
    from graphscope.userfile import build_output
    path = tmp_path / "model.gsgraph"
    gs.Graph(build_output(os.path.join(SAMPLES, "wrong_backward.py"))).save(path)
    code, out, err = run_check(capsys, str(path), "--failures-only", "--nodes-only", "--coords", "5")
    assert failed_check(code, out, err, "swish_")
    assert list(rows(out)) == failed_check(code, out, err, "swish_")        # --failures-only
    assert all(int(row[-3]) <= 5 for row in rows(out).values())            # checked: at most 5 per input


def test_a_saved_graph_with_a_custom_op_needs_its_definition(capsys, tmp_path):
    import graphscope as gs
    from graphscope.engine.custom import unregister
    from graphscope.engine.source import display_path
    from graphscope.userfile import build_output
    sample = os.path.join(SAMPLES, "custom_op.py")
    path = tmp_path / "custom.gsgraph"
    gs.Graph(build_output(sample)).save(path)
    unregister("swish")
    code, out, err = run_check(capsys, str(path), "--nodes-only")
    assert code == 2 and clean_failure(err) and not rows(out)
    assert "swish" in err and f"--import {display_path(sample)}" in err      # names the op and the fix
    code, out, err = run_check(capsys, str(path), "--nodes-only", "--import", sample)
    assert code == 0, err
    assert len(rows(out)) == 6 and all("ok" in row for row in rows(out).values())


def test_a_missing_file_and_bad_options(capsys, tmp_path):
    for missing in (tmp_path / "none.py", tmp_path / "none.gsgraph"):
        code, out, err = run_check(capsys, str(missing))
        assert code == 2 and out == "" and clean_failure(err) and str(missing) in err
    with pytest.raises(SystemExit) as exit_:
        main(["check", os.path.join(SAMPLES, "custom_op.py"), "--coords", "0"])
    assert exit_.value.code == 2
    assert "argument --coords: the number of entries must be 1 or more, got 0" in capsys.readouterr().err


def custom_op_file(tmp_path, name, op, forward, vjp_returns):
    """A graph file: sum(op(x)) of a custom op with that forward expression and that VJP return line (line 12)."""
    sample = tmp_path / name
    sample.write_text(f"import numpy as np\nimport graphscope as gs\n\n\n@gs.custom_op\ndef {op}(x):\n"
                      f"    return {forward}\n\n\n@{op}.vjp\ndef _(g, x, value):\n    return {vjp_returns}\n\n\n"
                      f"def build():\n    return gs.sum({op}(gs.param(np.ones(3), name='x')))\n")
    return str(sample)


def test_a_vjp_that_raises_fails_its_node_and_stops_the_whole_graph_check(capsys, tmp_path):
    sample = custom_op_file(tmp_path, "buggy.py", "cube", "x ** 3", "(3 * x ** 2 * gg,)")
    code, out, err = run_check(capsys, sample)
    assert code == 1 and err == "" and clean_failure(out)
    (row,) = [" ".join(row) for name, row in rows(out).items() if name.startswith("cube")]
    assert "NameError" in row
    assert " - 0 " in f" {row} " and "e+00" not in row  # nothing was compared: no error figure in the table
    assert "buggy.py:12" in out and "gg" in out                  # the user's line that raised


def test_the_console_script_exit_code():
    ran = graphscope("check", os.path.join(SAMPLES, "wrong_backward.py"), "--nodes-only", "--failures-only")
    ran.expect(1)
    assert ran.err == "" and [name.startswith("swish_") for name in rows(ran.out)] == [True]


def test_a_file_that_cannot_be_imported_is_told_apart_from_a_failed_check(tmp_path):
    """A broken import exits 2 naming the line, with no table; a failed check exits 1 naming its node on stdout."""
    broken = tmp_path / "broken.py"
    broken.write_text("import no_such_module_here\n\n\ndef build():\n    return None\n")
    ran = graphscope("check", broken, cwd=tmp_path).expect(2)
    assert ran.out == "" and not rows(ran.out) and clean_failure(ran.err)
    assert "no_such_module_here" in ran.err and "broken.py:1" in ran.err
    failed = graphscope("check", os.path.join(SAMPLES, "wrong_backward.py"), "--nodes-only", cwd=tmp_path).expect(1)
    assert failed_check(failed.code, failed.out, failed.err, "swish_") and failed.err == ""


def test_a_vjp_of_the_wrong_shape_fails_its_node_with_what_failed_as_its_figure(capsys, tmp_path):
    sample = custom_op_file(tmp_path, "shape.py", "sq", "x * x", "(np.sum(2 * x * g),)")
    code, out, err = run_check(capsys, sample)
    assert code == 1 and clean_failure(out)
    (row,) = [row for name, row in rows(out).items() if name.startswith("sq")]
    assert "FAIL" in row and "shape" in out
    assert row[7:10] == ["wrong", "shape", "0"], row  # max rel err, checked: nothing was compared: what failed
