"""Honest verdicts from the gradient checks and `graphscope check`, and clean errors for what they cannot use.

A check that compared nothing is not a pass; a gradient that is not finite is never 'ok'; settings that could
never give a verdict are refused up front; a failing node names its VJP's line; reports print readably; a reader
that closes the pipe does not change the exit status; a user's file is named one way everywhere.
"""
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import graphscope as gs
from cli_run import clean_failure, in_process
from graphscope.cli import main
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")

#: A custom op defined only at whole numbers (every nudge gives NaN) whose VJP is wrong (3x for 2x).
ONLY_AT_WHOLE_NUMBERS = """import numpy as np
import graphscope as gs


@gs.custom_op
def sq(x):
    return np.where(x == np.round(x), x * x, np.nan)


@sq.vjp
def sq_vjp(g, x, value):
    return (g * 3 * x,)
"""

#: A custom op whose VJP is off by a factor 1.5 (its definition starts at line 10, with its decorator), used four
#: times in a row by model.py.
WRONG_VJP = """import numpy as np
import graphscope as gs


@gs.custom_op
def sq(x):
    return x * x


@sq.vjp
def sq_vjp(g, x, value):
    return (g * 3 * x,)
"""
VJP_DEF_LINE = 10

MODEL = """import numpy as np
import graphscope as gs
from myops import sq


def build():
    x = gs.param(np.linspace(0.9, 1.1, 6), name="x")
    h = x
    for _ in range({n}):
        h = sq(h)
    return gs.sum(h)
"""


def run_check(capsys, *args):
    """(exit status, stdout, stderr) of `graphscope check ARGS`, usage errors included."""
    try:
        return in_process(main, capsys, "check", *args)
    except SystemExit as exc:  # argparse's usage error
        out, err = capsys.readouterr()
        return exc.code, out, err


def scratch(tmp_path, monkeypatch, ops, n=4):
    """scratch/myops.py (the ops) and scratch/model.py (n uses of sq), with the current folder at tmp_path."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    (folder / "myops.py").write_text(ops)
    (folder / "model.py").write_text(MODEL.format(n=n))
    monkeypatch.chdir(tmp_path)
    sys.modules.pop("myops", None)  # each test's own scratch/myops.py
    return "scratch/model.py"


def define(text):
    """The names a module text defines, run here (its custom ops join the op table)."""
    space = {}
    exec(compile(text, "myops.py", "exec"), space)
    return space


# ---------------------------------------------------------------- 0 entries compared is not a pass

def test_a_node_checked_at_no_entry_is_not_judged(capsys, tmp_path, monkeypatch):
    sq = define(ONLY_AT_WHOLE_NUMBERS)["sq"]
    row = gs.check_node(sq(gs.param(np.array([1.0, 2.0, 3.0]), name="x")))
    assert row.status == "ok" and row.unjudged and row.judged_nothing
    assert row.status_text == "not judged (no finite differences)" and row.error_figure is None
    path = scratch(tmp_path, monkeypatch, ONLY_AT_WHOLE_NUMBERS, n=1)
    (tmp_path / "scratch" / "model.py").write_text(MODEL.format(n=1).replace("np.linspace(0.9, 1.1, 6)", "[1.0, 2.0]"))
    code, out, err = run_check(capsys, path, "--nodes-only")
    assert code == 3, out + err
    (row,) = [line for line in out.splitlines() if re.match(r"\d+ +sq_", line)]
    assert "not judged (no finite differences)" in row and " ok " not in row
    assert "1 not judged (no finite differences): sq_" in out and "no entry could be compared" in out
    assert "could not be judged (no finite difference could be taken)" in out


def test_leaves_checked_at_no_entry_are_not_judged_by_gradcheck(capsys):
    sq = define(ONLY_AT_WHOLE_NUMBERS)["sq"]
    x = gs.param(np.array([1.0, 2.0]), name="x")
    report = gs.gradcheck(gs.sum(sq(x)))
    (leaf,) = report.leaves
    assert leaf.status == "not judged" and leaf.checked == 0 and not report.conclusive
    assert "1 not judged (no finite differences): x" in report.summary()
    assert "not judged (no finite differences)" in report.table()


@pytest.mark.parametrize("eps", ["1e200", "1e308", "0.5", "1e-300"])
def test_a_step_no_finite_difference_can_use_is_refused(capsys, eps):
    sample = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples", "chain_rule.py")
    code, out, err = run_check(capsys, sample, "--eps", eps)
    assert code == 2 and out == ""
    assert f"argument --eps: must be a finite number from 1e-10 to 0.1" in err and f"got {eps}" in err
    x = gs.param(np.ones(2), name="x")
    with pytest.raises(gs.ArgumentError, match=r"check_nodes: eps must be .* from 1e-10 to 0.1"):
        gs.check_nodes(gs.sum(x * x), eps=float(eps))


# ---------------------------------------------------------------- settings validated up front

@pytest.mark.parametrize("option, value, message", [
    ("--seed", "-1", r"argument --seed: must be a whole number 0 or more .*got -1"),
    ("--seed", "1.5", r"argument --seed: expected a whole number, got '1.5'"),
    ("--rtol", "3", r"argument --rtol: must be a finite number from 0 to below 1 .*got 3"),
])
def test_bad_check_options_are_one_usage_line(capsys, option, value, message):
    code, out, err = run_check(capsys, "never_read.py", option, value)
    assert code == 2 and out == "" and clean_failure(err)
    assert re.search(message, err) and len([line for line in err.splitlines() if "error:" in line]) == 1


def _tanh():
    x = gs.param(np.array([0.1, 0.2, 0.3]), name="x")
    return gs.tanh(x)


@pytest.mark.parametrize("call, message", [
    (lambda: gs.check_node(_tanh(), seed=-1), r"check_node: seed must be a whole number 0 or more"),
    (lambda: gs.check_nodes(_tanh(), seed=-1), r"check_nodes: seed must be a whole number 0 or more"),
    (lambda: gs.gradcheck(gs.sum(_tanh()), seed=-1), r"gradcheck: seed must be a whole number 0 or more"),
    (lambda: gs.check_nodes(_tanh(), seed=1.5), r"seed must be a whole number .*got 1.5"),
    (lambda: gs.check_nodes(_tanh(), seed=None), r"seed must be a whole number .*got None"),
    (lambda: gs.check_node(_tanh(), position=-2), r"check_node: position must be a whole number 0 or more"),
    (lambda: gs.check_node(_tanh(), upstream=np.ones(5)), r"check_node: upstream must have the shape .*\(3,\)"),
    (lambda: gs.check_node(_tanh(), upstream="a"), r"check_node: upstream must be real numbers shaped \(3,\)"),
    (lambda: gs.gradcheck(_tanh(), upstream=np.full(3, np.nan)), r"gradcheck: upstream must be finite"),
    (lambda: gs.check_node(3), r"check_node: expected a graphscope tensor .*got int"),
    (lambda: gs.gradcheck(gs.sum(_tanh()), rtol=2.0), r"gradcheck: rtol must be .* below 1"),
])
def test_bad_library_settings_are_one_argument_error(call, message):
    with pytest.raises(gs.ArgumentError, match=message) as info:
        call()
    assert len(str(info.value).splitlines()) == 1


# ---------------------------------------------------------------- a closed stdout keeps the verdict

@pytest.mark.parametrize("read_first", [False, True])
def test_a_reader_that_leaves_early_does_not_turn_a_failure_into_a_pass(tmp_path, monkeypatch, read_first):
    """`check ... | head -0` (the reader gone before anything is written) and `| head -1` with every line written as
    it is printed (the reader gone in the middle): the exit status is still the failure's, with no traceback."""
    path = scratch(tmp_path, monkeypatch, WRONG_VJP)
    env = dict(os.environ, PYTHONUNBUFFERED="1" if read_first else "")
    proc = subprocess.Popen([sys.executable, "-m", "graphscope", "check", path, "--nodes-only"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first = proc.stdout.readline() if read_first else b"graphscope check scratch/model.py"
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1, err
    assert first.startswith(b"graphscope check scratch/model.py") and err == ""


# ---------------------------------------------------------------- where the wrong VJP is

def test_a_failing_node_names_the_line_of_its_vjp(capsys, tmp_path, monkeypatch):
    path = scratch(tmp_path, monkeypatch, WRONG_VJP)
    code, out, err = run_check(capsys, path, "--nodes-only")
    assert code == 1, err
    assert f"its VJP sq_vjp at scratch/myops.py:{VJP_DEF_LINE}" in out
    row = gs.check_nodes(define(WRONG_VJP)["sq"](gs.param(np.array([0.5, 1.0])))).first_failure
    assert row.vjp_text == f"VJP sq_vjp at myops.py:{VJP_DEF_LINE}" and row.vjp_text in row.describe()


def test_a_failing_built_in_op_names_the_line_of_its_vjp():
    from graphscope.engine.backward import vjp_source
    name, where = vjp_source(gs.get_op("tanh"))
    path, line = where.rsplit(":", 1)
    assert name.endswith(".vjp") and path.endswith(os.path.join("graphscope", "engine", "ops", "elementwise.py"))
    with open(path, encoding="utf-8") as fh:
        assert fh.read().splitlines()[int(line) - 1].lstrip().startswith(("def vjp", "@"))


# ---------------------------------------------------------------- readable reports

def test_reports_print_as_text_and_repr_in_one_line():
    sq = define(WRONG_VJP)["sq"]
    x = gs.param(np.linspace(0.5, 1.5, 12).reshape(4, 3), name="x")
    out = sq(x)
    row = gs.check_node(out)
    assert str(row) == row.describe() and "input 0" in str(row)
    assert str(row.inputs[0]) == row.inputs[0].describe()
    for report in (row, row.inputs[0], gs.check_nodes(gs.sum(out)), gs.gradcheck(gs.sum(out))):
        text = repr(report)
        assert "\n" not in text and len(text) < 160 and "Entry(" not in text and "tensor(" not in text, text
    assert repr(row) == f"<NodeCheck {out.name} (op sq): FAIL, max rel err {row.error_figure}>"


def test_every_failing_node_gets_its_detail_up_to_five(capsys, tmp_path, monkeypatch):
    path = scratch(tmp_path, monkeypatch, WRONG_VJP, n=7)
    code, out, err = run_check(capsys, path, "--nodes-only", "--failures-only")
    assert code == 1, err
    detailed = re.findall(r"^  (sq_\d+) \(op sq\)", out, re.M)
    failing = [line.split()[1] for line in out.splitlines() if re.match(r"\d+ +sq_", line)]
    assert len(failing) == 7 and detailed == failing[:5]
    assert "and 2 more failing nodes" in out


def test_a_row_that_failed_never_shows_a_passing_error():
    @gs.custom_op
    def mymm(a, b):
        return a @ b

    @mymm.vjp
    def _(g, a, b, value):
        return g @ b.T, (a.T @ g)[:2]          # b's gradient has the wrong shape; a's is right

    a = gs.param(np.ones((4, 3)), name="a")
    b = gs.param(np.ones((3, 2)), name="b")
    row = gs.check_node(mymm(a, b))
    assert row.status == "FAIL" and row.error_figure is None and row.failure == "wrong shape"
    (line,) = [line for line in gs.check_nodes(row.node).table().splitlines() if "mymm" in line]
    assert "wrong shape" in line and "e-" not in line


# ---------------------------------------------------------------- gradients that are not finite

def test_a_gradient_that_is_not_finite_is_never_ok_and_numpy_stays_quiet():
    x = gs.param(np.array([0.0, 1.0]), name="x")
    loss = gs.sum(gs.sqrt(x))              # d sqrt(x)/dx = inf at 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # a numpy RuntimeWarning would be an exception here
        report = gs.gradcheck(loss)
        nodes = gs.check_nodes(loss)
        loss.backward()
        origin = loss.graph().find_nonfinite()
    (leaf,) = report.leaves
    assert not report.ok and leaf.status == "FAIL" and leaf.max_abs == np.inf
    assert "not finite" in leaf.describe()
    (row,) = [line for line in report.table().splitlines() if line.startswith("x ")]
    assert " ok" not in row and "FAIL" in row
    assert not nodes.ok and nodes.first_failure.node.op == "sqrt" and nodes.first_failure.error_figure == "inf"
    assert origin is not None and origin.node.op == "sqrt"


# ---------------------------------------------------------------- one spelling of the user's file

def test_the_user_file_is_named_as_given_everywhere(capsys, tmp_path, monkeypatch):
    path = scratch(tmp_path, monkeypatch, WRONG_VJP, n=1)
    code, out, err = run_check(capsys, "./" + path, "--nodes-only")
    assert code == 1
    assert out.startswith("graphscope check scratch/model.py:") and out.rstrip().endswith("FAILED: scratch/model.py")
    (tmp_path / "scratch" / "syn.py").write_text("import numpy as np\n\ndef build(:\n    pass\n")
    code, out, err = run_check(capsys, "scratch/syn.py")
    assert code == 2 and out == ""
    assert "scratch/syn.py:3:11: def build(:\n" in err and "SyntaxError: invalid syntax" in err
    caret = err.splitlines()[2]
    assert caret.strip() == "^" and caret.index("^") == err.splitlines()[1].index("(:") + 1


def test_saturated_ops_whose_derivatives_round_away_pass_and_a_wrong_vjp_there_still_fails(op_table_guard):
    """tanh at 10 and a softmax whose wrong class leads by far have derivatives (1e-9 .. 1e-13) that no finite difference can
    resolve: every output rounds back to itself. That is no evidence against the VJP; a large wrong one still fails."""
    rng = np.random.default_rng(0)
    x = gs.tensor(10.0 + rng.random((8, 6)), name="x", requires_grad=True)
    scores = gs.tensor(np.array([[40.0, 0.0, -5.0], [0.0, 35.0, 1.0]]), name="s", requires_grad=True)
    loss = gs.sum(gs.tanh(x) * rng.standard_normal((8, 6))) + gs.softmax_cross_entropy(scores, np.array([2, 2]))
    report = gs.check_nodes(loss, max_coords=50)
    assert report.ok, report

    wrong = gs.custom_op(lambda v: np.tanh(v), name="tanh_wrong")
    wrong.vjp(lambda g, v, value: (g * 1e-3,))  # far larger than the true 1 - tanh^2 ~ 1e-9
    assert not gs.check_nodes(gs.sum(wrong(x)), max_coords=50).ok
