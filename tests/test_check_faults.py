"""The gradient check catches VJPs wrong only in the graph's dtype and VJPs that write into their arrays, says
plainly what a VJP that raised did, names what it sampled, and answers in JSON."""
import json
import textwrap

import numpy as np
import pytest

import graphscope as gs
from cli_run import graphscope
from graphscope.engine.graph import Graph
from graphscope.engine.graphcheck import check_graph, precision_text
from graphscope.engine.nonfinite import find_nonfinite


def _sin_by_differences(name):
    """A custom sin whose VJP differentiates numerically with h = 1e-9: right in float64, 0 in float32."""
    op = gs.custom_op(np.sin, name=name)

    @op.vjp
    def _(g, x, value):
        h = 1e-9
        return (g * (np.sin(x + h) - np.sin(x)) / h,)
    return op


@pytest.fixture
def fresh_ops():
    """Names of custom ops made by a test, removed after it."""
    names = []
    yield names
    for name in names:
        gs.unregister(name) if name in gs.OPS else None


def test_a_vjp_right_in_float64_but_wrong_in_float32_fails_and_says_so(fresh_ops):
    fresh_ops.append("sin_fd32")
    op = _sin_by_differences("sin_fd32")
    rng = np.random.default_rng(0)
    x32 = gs.param(rng.normal(size=(4, 3)).astype(np.float32), name="X")
    loss = (op(x32) * op(x32)).sum()
    rows = [r for r in gs.check_nodes(loss).rows if r.node.op == "sin_fd32"]
    assert rows and all(r.status == "FAIL" for r in rows)
    note = rows[0].inputs[0].note
    assert note.startswith("right in float64, wrong in float32: entry [") and " is 0 where float64 gives " in note
    assert rows[0].inputs[0].worst[0].dtype == "float32" and rows[0].inputs[0].worst[0].analytic == 0
    report = gs.gradcheck(loss)  # the leaf's gradient as the graph computes it, in float32, is wrong too
    assert not report.ok and "right in float64, wrong in float32" in report.summary()

    x64 = gs.param(rng.normal(size=(4, 3)), name="X")  # the same VJP in a float64 graph is right
    loss64 = (op(x64) * op(x64)).sum()
    assert gs.check_nodes(loss64).ok and gs.gradcheck(loss64).ok


def test_built_in_ops_in_float32_pass_the_float32_comparison():
    rng = np.random.default_rng(1)
    x = gs.tensor(rng.normal(size=(32, 20)).astype(np.float32), name="x")
    W = gs.param((rng.normal(size=(20, 50)) * 0.2).astype(np.float32), name="W")
    b = gs.param(np.zeros(50, np.float32), name="b")
    V = gs.param((rng.normal(size=(50, 10)) * 0.2).astype(np.float32), name="V")
    h = gs.tanh(gs.relu(x @ W + b) @ V)
    loss = gs.softmax_cross_entropy(h * 3, rng.integers(0, 10, size=32)) + 1e-3 * (W * W).sum()
    assert gs.check_nodes(loss).ok and gs.gradcheck(loss).ok


def test_built_in_ops_on_ill_conditioned_float32_inputs_pass_and_only_custom_vjps_are_run_again():
    """Built-ins are tested against PyTorch: a right VJP that cancels (tanh's 1 - t^2 where tanh saturates,
    sigmoid's s(1 - s) far from 0) must not fail for its float32 rounding."""
    x = gs.tensor(np.array([6.0, 6.5, 7.0, 5.5], dtype=np.float32), requires_grad=True, name="x")
    z = gs.tensor(np.array([1e-3, 2e-3, 0.5, 3.0], dtype=np.float32), requires_grad=True, name="z")
    loss = gs.tanh(x).sum() + gs.sigmoid(x * 2).sum() + gs.log(z).sum()
    assert gs.check_nodes(loss).ok and gs.gradcheck(loss).ok
    result = check_graph(loss.graph())
    assert not result.failed and result.precision == "in float64"


def test_a_right_custom_vjp_that_cancels_in_float32_passes(fresh_ops):
    fresh_ops.append("my_tanh")
    op = gs.custom_op(np.tanh, name="my_tanh")
    op.vjp(lambda g, x, value: (g * (1 - value * value),))
    x = gs.tensor(np.array([6.0, 6.5, 7.0, 5.5], dtype=np.float32), requires_grad=True, name="x")
    loss = op(x).sum()
    assert gs.check_nodes(loss).ok and gs.gradcheck(loss).ok
    assert precision_text(loss.graph()) == "in float64, and each custom op's VJP again in float32 against float64's result"


def _writer(name, vjp):
    """A custom op 2x with the VJP `vjp`."""
    op = gs.custom_op(lambda x: 2 * x, name=name)
    op.vjp(vjp)
    return op


def _mask_in_place(g, x, value):
    x[x > 0] = 1.0
    x[x <= 0] = 0
    return (2 * g * x,)


def _double_in_place(g, x, value):
    g *= 2
    return (g,)


def test_a_vjp_writing_into_its_input_is_named_and_the_recorded_value_stays(fresh_ops):
    fresh_ops.append("mask_writer")
    op = _writer("mask_writer", _mask_in_place)
    W = gs.param(np.array([[1.0, -2.0], [0.5, 3.0]]), name="W")
    h = W * 1.5
    before = h.value.copy()
    loss = op(h).sum()
    with pytest.raises(gs.BackwardError) as info:
        loss.backward()
    assert "the VJP writes into its input x: work on a copy (x = x.copy())" in str(info.value)
    assert np.array_equal(h.value, before)  # the recorded value is not the mask
    row = next(r for r in gs.check_nodes(loss).rows if r.node.op == "mask_writer")
    assert row.status == "error" and row.note == f"VJP writes into its input x, line {_line_of('x[x > 0] = 1.0')}"
    assert np.array_equal(h.value, before)


def test_a_vjp_writing_into_its_upstream_gradient_is_named_not_reported_as_a_wrong_factor(fresh_ops):
    fresh_ops.append("g_doubler")
    upstreams = []

    def double_in_place(g, x, value):
        upstreams.append(g)  # the array backward handed over: it must still hold the upstream gradient after
        return _double_in_place(g, x, value)
    op = _writer("g_doubler", double_in_place)
    x = gs.param(np.array([0.5, -1.0, 2.0]), name="x")
    y = op(x)
    loss = (y * y).sum()
    row = next(r for r in gs.check_nodes(loss).rows if r.node is y)
    assert row.status == "error" and row.note.startswith("VJP writes into its upstream gradient g, line ")
    assert "g = g.copy()" in row.detail and "numerical" not in row.describe()
    upstreams.clear()
    with pytest.raises(gs.BackwardError):
        loss.backward()
    assert len(upstreams) == 1 and np.array_equal(upstreams[0], 2 * y.value)  # d sum(y*y)/dy, never doubled in place


def test_a_vjp_with_a_missing_transpose_gets_a_short_status_and_the_operands_shapes(fresh_ops):
    fresh_ops.append("mm_no_t")
    op = gs.custom_op(lambda a, b: a @ b, name="mm_no_t")
    op.vjp(lambda g, a, b, value: (g @ b, a.T @ g))
    rng = np.random.default_rng(0)
    loss = op(gs.param(rng.normal(size=(5, 3)), name="A"), gs.param(rng.normal(size=(3, 5)), name="B")).sum()
    report = gs.check_nodes(loss)
    row = report.rows[0]
    assert row.status_text == f"error (VJP raised ValueError, line {_line_of('lambda g, a, b, value')})"
    assert "g (5, 5) @ b (3, 5)" in row.detail and "a transpose (.T) missing?" in row.detail
    assert max(len(line) for line in report.table().splitlines()) < 160
    assert "g (5, 5) @ b (3, 5)" in report.summary()  # the whole message below the table


def _line_of(text):
    with open(__file__) as f:
        return next(k for k, line in enumerate(f, 1) if text in line and "_line_of" not in line)


def test_a_nan_names_its_first_entry_and_the_inputs_there():
    x = gs.param(np.array([1.0, 2.0, -0.5, 3.0]), name="x")
    with np.errstate(all="ignore"):
        loss = gs.log(x).sum()
    origin = find_nonfinite(Graph(loss).nodes)
    assert "nan in 1 of 4 entries, the first at [2] (where x = -0.5)" in origin.describe()
    with np.errstate(all="ignore"):
        summary = gs.gradcheck(loss).summary()
    assert "smaller eps" not in summary and "is nan before any entry is nudged" in summary


def test_a_leaf_check_names_the_nodes_its_gradient_comes_from(fresh_ops):
    from graphscope.engine.leafcheck import check_leaf
    fresh_ops.append("mm_bad")
    op = gs.custom_op(lambda a, b: a @ b, name="mm_bad")
    op.vjp(lambda g, a, b, value: (g @ b.T, 2 * a.T @ g))  # B's gradient is twice what it should be
    rng = np.random.default_rng(0)
    A, B = gs.param(rng.normal(size=(4, 3)), name="A"), gs.param(rng.normal(size=(3, 2)), name="B")
    y = op(A, B)
    graph = Graph(y.sum())
    text = check_leaf(B, graph).status_text
    assert text == f"a leaf has no VJP of its own: its gradient comes from {y.name} (FAIL, input B)"
    assert check_leaf(A, graph).status_text == f"a leaf has no VJP of its own: its gradient comes from {y.name} (ok)"
    whole = gs.gradcheck(graph, locate=False)
    assert "the whole-graph gradcheck (C) says FAIL" in check_leaf(B, graph, whole=whole).status_text


SAMPLED = """
import numpy as np
import graphscope as gs

@gs.custom_op
def scale(b):
    return 3 * b

@scale.vjp
def _(g, b, value):
    out = 3 * g
    out[17, 5] = 0.0
    return (out,)

def build():
    B = gs.param(np.random.default_rng(0).normal(size=(40, 8)), name="B")
    return (scale(B) * scale(B)).sum()
"""


def test_check_says_what_it_sampled_and_coords_all_checks_every_entry(tmp_path):
    path = tmp_path / "one_wrong.py"
    path.write_text(SAMPLED)
    out = graphscope("check", path).expect(0).out
    assert out.splitlines()[-1].startswith(
        "passed (sampled 20 of 320 entries of B; --coords all checks every entry): ")
    out = graphscope("check", path, "--coords", "all").expect(1).out
    assert "every entry per input" in out and "[17, 5]" in out and out.splitlines()[-1].startswith("FAILED: ")


def test_check_json_is_one_object_for_an_autograder(tmp_path):
    path = tmp_path / "f32.py"
    path.write_text(textwrap.dedent("""
        import numpy as np
        import graphscope as gs

        @gs.custom_op
        def mysin(x):
            return np.sin(x)

        @mysin.vjp
        def _(g, x, value):
            h = 1e-9
            return (g * (np.sin(x + h) - np.sin(x)) / h,)

        def build():
            X = gs.param(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32), name="X")
            return (mysin(X) * mysin(X)).sum()
        """))
    ran = graphscope("check", path, "--json").expect(1)
    data = json.loads(ran.out)
    assert data["dtype"] == "float32" and data["verdict"] == "FAILED" and data["exit_status"] == 1
    assert set(data["exit_statuses"]) == {"0", "1", "2", "3"}
    node = next(n for n in data["nodes"] if n["op"] == "mysin")
    assert node["status"] == "FAIL" and node["source"].endswith("f32.py:16")
    inp = node["inputs"][0]
    assert inp["name"] == "X" and inp["checked"] == 12 and inp["total"] == 12 and inp["problem"] == "wrong in float32"
    worst = inp["worst"][0]
    assert worst["analytic"] == 0 and worst["float64"] != 0 and len(worst["index"]) == 2
    assert [leaf["name"] for leaf in data["leaves"]] == ["X"] and data["leaves"][0]["status"] == "FAIL"
    header = graphscope("check", path).expect(1).out.splitlines()[0]
    assert header.endswith(", float32")


def test_a_custom_vjp_passing_its_upstream_on_gives_a_gradient_of_its_own(fresh_ops):
    fresh_ops.append("pass_on")
    op = gs.custom_op(lambda x: x + 0.0, name="pass_on")
    op.vjp(lambda g, x, value: (g,))
    x = gs.param(np.array([1.0, 2.0]), name="x")
    y = op(x)
    (y * y).sum().backward()
    assert x.grad.flags.writeable and x.grad is not y.grad  # neither read-only nor shared with y's gradient
    x.grad *= 0.5  # what an optimizer may do in place
    assert np.array_equal(y.grad, [2.0, 4.0])


def test_check_json_of_a_file_that_cannot_be_loaded_is_still_one_object(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import graphscope as gs\ndef build(:\n")
    ran = graphscope("check", path, "--json").expect(2)
    data = json.loads(ran.out)
    assert data["verdict"] == "error" and data["exit_status"] == 2 and "SyntaxError" in data["error"]
    assert "SyntaxError" in ran.err  # the message on stderr as without --json


def test_a_leaf_check_calls_the_leaf_wrong_when_an_op_further_on_fails_and_keeps_its_checks(fresh_ops):
    from graphscope.engine.leafcheck import check_leaf
    fresh_ops.append("double_bad")
    op = gs.custom_op(lambda a: 2 * a, name="double_bad")
    op.vjp(lambda g, a, value: (3 * g,))  # should be 2 * g
    W = gs.param(np.array([[1.0, -2.0], [0.5, 3.0]]), name="W")
    x = gs.tensor(np.array([[0.3, -0.7]]), name="x")
    h = x @ W
    bad = op(h)
    graph = Graph(gs.tanh(bad).sum())
    known = {}
    result = check_leaf(W, graph, known=known)
    assert result.status == "FAIL" and f"further on, its gradient passes through {bad.name} (FAIL)" in result.note
    assert f"its gradient comes from {h.name} (ok)" in result.note
    assert bad in known and not known[bad].ok  # the caller's (empty) dict keeps the checks made
    limited = check_leaf(W, graph, known={}, limit=1)
    assert limited.status == "ok" and f"3 op nodes further on ({bad.name}, " in limited.note and "not checked yet" in limited.note


def test_a_wrong_gradient_for_another_input_further_on_does_not_fail_the_leaf(fresh_ops):
    from graphscope.engine.leafcheck import check_leaf
    fresh_ops.append("times_bad_y")
    times = gs.custom_op(lambda x, y: x * y, name="times_bad_y")
    times.vjp(lambda g, x, y, value: (g * y, 7.0 * g * x))  # right for x, wrong for y
    a = gs.param(np.array([1.0, 2.0]), name="a")
    b = gs.param(np.array([3.0, -1.0]), name="b")
    t = a * 2.0
    graph = Graph(gs.sum(times(t, b)))
    assert check_leaf(a, graph).status == "ok" and gs.gradcheck(graph, wrt=[a]).ok
    assert check_leaf(b, graph).status == "FAIL"
