"""Where the analytic and the numerical gradient are both 0, a gradient check cannot tell a right VJP from a
wrong one: the reports say so (node, leaf, summary, one wording) and `graphscope check` does not call it a pass."""
import numpy as np
import pytest

import graphscope as gs
from cli_run import in_process
from graphscope.cli import main
from graphscope.engine.gradcheck_report import unjudged_text
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")

WRONG_CUBE = '''
import numpy as np
import graphscope as gs

@gs.custom_op
def cube(x):
    return x ** 3

@cube.vjp
def cube_vjp(g, x, value):
    return (g * 2 * x ** 2,)     # wrong: 3 x^2

def build():
    x = gs.tensor(np.linspace(-1, 1, 4), requires_grad=True, name="x")
    W = gs.param(np.full((4, 3), {w}), name="W")
    return gs.sum(cube(x @ W))
'''


def define_wrong_cube():
    @gs.custom_op
    def cube(x):
        return x ** 3

    @cube.vjp
    def _(g, x, value):
        return (g * 2 * x ** 2,)  # wrong: 3 x^2
    return cube


def cube_loss(W):
    cube = define_wrong_cube()
    x = gs.tensor(np.linspace(-1, 1, 4), requires_grad=True, name="x")
    W = gs.param(W, name="W")
    h = cube(x @ W)   # with W constant, x @ W = 0: the cube's gradient 3 (xW)^2 vanishes, and so would 2 (xW)^2
    return gs.sum(h), h


def test_a_wrong_vjp_where_every_gradient_is_zero_is_not_judged_at_its_node():
    loss, h = cube_loss(np.full((4, 3), 0.5))
    report = gs.check_nodes(loss)
    assert report.ok and not report.conclusive            # nothing failed, but the check could not tell
    assert [r.node for r in report.unjudged] == [h]
    row = report.unjudged[0]
    assert row.status_text == "not judged (all ~0)" and row.inputs[0].status == "not judged"  # (xW)^2 ~ 1e-32
    summary = report.summary()
    assert summary.startswith(f"2 of 3 op nodes passed, 1 not judged (all ~0): {h.name}")
    assert unjudged_text([h.name]) in summary and "a wrong VJP would pass as well" in summary
    assert "not judged" in report.table().splitlines()[2]


def test_the_same_wrong_vjp_fails_where_the_gradient_is_not_zero(rng):
    loss, h = cube_loss(rng.normal(size=(4, 3)))
    report = gs.check_nodes(loss)
    assert not report.ok and report.first_failure.node is h and report.conclusive


def test_gradcheck_names_the_leaves_whose_gradients_are_all_zero_with_the_same_words():
    loss, _ = cube_loss(np.full((4, 3), 0.5))
    report = gs.gradcheck(loss)
    assert report.ok and not report.conclusive
    assert [leaf.name for leaf in report.unjudged] == ["x", "W"]
    assert [leaf.status for leaf in report.leaves] == ["not judged", "not judged"]
    assert unjudged_text(["x", "W"], "a wrong gradient") in report.summary()
    assert "0 leaves passed, 2 not judged (all ~0): x, W" in report.summary()


def test_one_input_all_zero_marks_only_that_input():
    x = gs.tensor(np.zeros((2, 3)), name="x")          # d(x @ W)/dW = x: all 0; d/dx = W: not
    W = gs.param(np.arange(6.0).reshape(3, 2) - 2.5, name="W")
    report = gs.check_nodes(gs.sum(x @ W))
    matmul = report.rows[0]
    assert [i.name for i in matmul.unjudged] == ["W"] and matmul.inputs[0].status == "ok"
    assert matmul.status_text == "ok; W not judged (all 0)"


def test_gradients_that_are_merely_small_are_judged(rng):
    W = gs.param(rng.normal(size=(3, 2)) * 1e-3, name="W")
    loss = gs.sum(gs.tanh(gs.tensor(rng.normal(size=(4, 3)), name="x") @ W))
    assert gs.check_nodes(loss).conclusive and gs.gradcheck(loss).conclusive


def test_check_command_warns_and_exits_3_when_it_could_not_judge(tmp_path, capsys):
    path = tmp_path / "cube_zero.py"
    path.write_text(WRONG_CUBE.format(w=0.5))
    code, out, err = in_process(main, capsys, "check", path)
    assert code == 3, err
    assert "not judged (all ~0)" in out and out.count("warning: at ") == 2     # the node, then the leaves
    assert out.strip().splitlines()[-1].startswith("passed, but 1 op node and 2 leaves could not be judged")
    path.write_text(WRONG_CUBE.format(w="np.arange(12.0).reshape(4, 3) / 10"))
    code, out, err = in_process(main, capsys, "check", path)
    assert code == 1 and "FAILED" in out


def test_check_help_documents_exit_status_3(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "3 when nothing failed but some node or leaf could not be judged" in text


def test_nodes_never_checked_because_their_values_are_not_finite_leave_the_report_inconclusive(rng):
    x = gs.param(rng.normal(size=(3, 3)), name="x")
    with pytest.warns(gs.NonFiniteWarning):
        bad = gs.log(x @ x.T - 100.0)                   # NaN from here on: these nodes are skipped
    loss = gs.sum(bad) + gs.sum(gs.tanh(x))
    report = gs.check_nodes(loss)
    skipped = [r.node.name for r in report.rows if r.status == "skip"]
    assert bad.name in skipped and loss.name in skipped
    assert report.ok and not report.conclusive and not report          # nothing failed, but not all was checked
    assert [r.node.name for r in report.unjudged] == skipped == [r.node.name for r in report.not_finite]
    assert repr(report) == f"<NodeReport of {len(report.rows)} op nodes: {len(skipped)} not judged (values not finite)>"
    assert f"{len(skipped)} skipped (their values are not finite" in report.summary()
    assert "so not judged" in report.summary()
    fine = gs.sum(gs.tanh(x))
    assert gs.check_nodes(fine) and gs.check_nodes(fine).conclusive


def test_a_report_where_nothing_could_be_compared_is_false_and_one_with_gradients_zero_both_ways_true(rng):
    loss, _ = cube_loss(np.full((4, 3), 0.5))
    nodes, leaves = gs.check_nodes(loss), gs.gradcheck(loss)
    assert nodes and leaves and not nodes.conclusive and not leaves.conclusive   # compared: 0 both ways
    x = gs.param(rng.normal(size=3), name="x")
    with pytest.warns(gs.NonFiniteWarning):
        nan = gs.sum(x * 2.0) + gs.log(gs.tensor(-1.0, name="c"))  # x's gradient is 2, the output NaN
    report = gs.gradcheck(nan)                               # the output is NaN: no difference can be taken
    assert report.ok and not report and [leaf.name for leaf in report.unjudged] == ["x"]
