"""Gradient checks: whole-graph gradcheck and the per-node check that names the node with a wrong VJP."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.source import display_location
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# the wrong VJPs a hand-written backward typically has, for swish(x) = x sigmoid(x)
WRONG_VJPS = {
    "missing term": lambda g, x, s: g * s,
    "factor 2": lambda g, x, s: 2 * g * (s + x * s * (1 - s)),
    "sign flipped where x < 0": lambda g, x, s: np.where(x < 0, -1, 1) * g * (s + x * s * (1 - s)),
    "ignores the upstream": lambda g, x, s: (s + x * s * (1 - s)) * np.ones_like(g),
}


def define_swish(wrong=None):
    """swish with the right VJP, or with one of WRONG_VJPS."""
    @gs.custom_op
    def swish(x):
        return x * _sigmoid(x)

    @swish.vjp
    def _(g, x, value):
        s = _sigmoid(x)
        return ((s + x * s * (1 - s)) * g if wrong is None else WRONG_VJPS[wrong](g, x, s),)

    return swish


def deep_net(rng, swish, bad_block, blocks=6, width=12):
    """A 6-block MLP with L2 terms: > 50 nodes; block `bad_block` uses swish, the others tanh."""
    X = gs.tensor(rng.normal(size=(6, width)), name="X")
    labels = rng.integers(0, width, size=6)
    h = X
    weights = []
    for k in range(1, blocks + 1):
        with gs.scope(f"block{k}"):
            W = gs.param(rng.normal(size=(width, width)) / np.sqrt(width), name=f"W{k}")
            b = gs.param(0.1 * rng.normal(size=width), name=f"b{k}")
            h = h @ W + b
            h = swish(h) if k == bad_block else gs.tanh(h)
            if k == bad_block:
                bad = h
        weights.append(W)
    loss = gs.softmax_cross_entropy(h, labels)
    for W in weights:
        loss = loss + 1e-3 * gs.l2(W)
    return loss, bad


def every_builtin_op(rng):
    """One graph that uses every built-in op (inputs kept away from kinks and from log/sqrt's edge)."""
    a = gs.param(rng.normal(size=(3, 4)), name="a")
    b = gs.param(rng.normal(size=(4,)), name="b")
    p = gs.param(rng.uniform(0.5, 2.0, size=(3, 4)), name="p")
    alpha = gs.param(0.1, name="alpha")
    labels = np.array([0, 3, 1])
    t = []
    t.append(a + b - a * b / p)
    t.append((p ** 1.5) + (-a))
    t.append(gs.exp(a) + gs.log(p) + gs.sqrt(p) + gs.abs(a))
    t.append(gs.tanh(a) + gs.sigmoid(a) + gs.relu(a) + gs.leaky_relu(a, alpha))
    t.append(gs.clip(a, -0.5, 0.5) + gs.where(a.value > 0, a, p))
    t.append(gs.softmax(a) + gs.log_softmax(a, axis=0))
    t.append(gs.reshape(a, (4, 3)).T + gs.transpose(p, (0, 1)))
    t.append(gs.concat([a, p], axis=0)[1:4] + gs.stack([a, p], axis=1)[:, 0])
    scores = a @ gs.reshape(p, (4, 3)) @ gs.reshape(a, (3, 4))
    losses = (gs.softmax_cross_entropy(scores, labels) + gs.svm_loss(scores, labels) + gs.l2(a)
              + gs.sum(a, axis=1).mean() + gs.max(a, axis=0).sum() + gs.min(a, axis=1).sum()
              + scores[np.arange(3), labels].sum())
    total = losses
    for k, term in enumerate(t):
        total = total + gs.mean(term) * float(k + 1)
    return total


BUILTIN_OPS = {"add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu",
               "leaky_relu", "clip", "where", "softmax", "log_softmax", "reshape", "transpose", "concat", "stack",
               "getitem", "matmul", "softmax_cross_entropy", "svm_loss", "l2", "sum", "mean", "max", "min"}


# ---------------------------------------------------------------- per-node check

def test_every_builtin_op_passes_the_per_node_check(rng):
    report = gs.check_nodes(every_builtin_op(rng))
    assert BUILTIN_OPS <= {row.node.op for row in report.rows}
    assert report.ok, report.summary()
    assert all(row.status == "ok" for row in report.rows)
    assert max(row.max_rel for row in report.rows) < 1e-5


@pytest.mark.parametrize("wrong", sorted(WRONG_VJPS))
@pytest.mark.parametrize("bad_block", [1, 4, 6])
def test_a_wrong_vjp_is_caught_at_exactly_its_node(rng, wrong, bad_block):
    loss, bad = deep_net(rng, define_swish(wrong), bad_block)
    graph = loss.graph()
    assert len(graph) >= 50
    report = gs.check_nodes(graph)
    assert [row.node for row in report.failures] == [bad]
    first = report.first_failure
    assert first.node is bad and first.status == "FAIL"
    text = report.summary()
    assert f"{bad.name} (op swish) (6, 12) -> (6, 12), scope block{bad_block}" in text
    assert "test_check.py:" in text and display_location(bad.source) in text


def test_the_right_vjp_passes_in_the_same_graph(rng):
    loss, _ = deep_net(rng, define_swish(), 3)
    assert gs.check_nodes(loss).ok


def test_report_table_is_in_topological_order_and_marks_the_failure(rng):
    loss, bad = deep_net(rng, define_swish("factor 2"), 2)
    graph = loss.graph()
    report = gs.check_nodes(graph)
    assert [row.node for row in report.rows] == graph.ops
    lines = report.table().splitlines()
    assert lines[0].split() == ["#", "node", "op", "shapes", "scope", "max", "rel", "err", "checked", "status",
                                "source"]
    failing = [line for line in lines if "FAIL" in line]
    assert len(failing) == 1 and bad.name in failing[0] and "block2" in failing[0]
    assert report.table(failures_only=True).count("\n") == 1
    assert not report and not report.ok


def test_relative_error_is_the_issue_formula(rng):
    # a VJP exactly twice the truth: |2d - d| / max(|2d|, |d|) = 1/2 at every entry
    swish = define_swish("factor 2")
    y = swish(gs.param(rng.normal(size=(5,)) + 2.0))
    row = gs.check_node(y)
    assert row.status == "FAIL"
    assert row.max_rel == pytest.approx(0.5, rel=1e-6)
    assert all(e.rel_err == pytest.approx(0.5, rel=1e-6) for e in row.inputs[0].worst)


def test_kinks_pass_and_are_counted(rng):
    x = gs.param(rng.normal(size=(4, 5)), name="x")
    at_zero = gs.relu(x * 0.0)                        # relu at exactly 0: one-sided slopes 0 and 1
    clipped = gs.clip(x * 0.0 + 0.5, -0.5, 0.5)      # clip exactly at its upper bound
    ties = gs.max(gs.concat([x, x], axis=0), axis=0)  # every max is a tie (the split 1/2 is the central slope)
    zero = gs.abs(x * 0.0)                            # abs at exactly 0 (sign 0 is the central slope)
    report = gs.check_nodes(at_zero.sum() + clipped.sum() + ties.sum() + zero.sum())
    assert report.ok, report.summary()
    kinks = {row.node.id: sum(i.kinks for i in row.inputs) for row in report.rows}
    assert kinks[at_zero.id] == 20
    assert kinks[clipped.id] == 20
    assert "ok (20 kinks)" in report.table()


def test_large_inputs_are_sampled_with_a_seed(rng):
    X = gs.tensor(rng.normal(size=(8, 300)))
    W = gs.param(rng.normal(size=(300, 200)) * 0.05)
    out = X @ W
    first = gs.check_node(out, max_coords=20, seed=3)
    again = gs.check_node(out, max_coords=20, seed=3)
    other = gs.check_node(out, max_coords=20, seed=4)
    assert first.status == "ok"
    assert [i.checked for i in first.inputs] == [20, 20]
    assert [e.index for e in first.inputs[1].worst] == [e.index for e in again.inputs[1].worst]
    assert [e.index for e in first.inputs[1].worst] != [e.index for e in other.inputs[1].worst]
    small = gs.check_node(gs.tanh(gs.param(np.ones(7))), max_coords=20)
    assert small.inputs[0].checked == 7


def test_float32_graph_is_checked_in_float64_and_left_untouched(rng):
    W = gs.param(rng.normal(size=(6, 4)).astype(np.float32))
    X = gs.tensor(rng.normal(size=(5, 6)).astype(np.float32))
    loss = gs.softmax_cross_entropy(gs.tanh(X @ W), np.array([0, 1, 2, 3, 0]))
    loss.backward()
    graph = loss.graph()
    before = [(n._value, n.grad) for n in graph]
    copies = [(np.array(v), None if g is None else np.array(g)) for v, g in before]
    report = gs.check_nodes(graph)
    assert report.ok, report.summary()      # in float32, steps of 1e-6 would drown in rounding
    whole = gs.gradcheck(graph)
    assert whole.ok
    for n, (v, g), (vc, gc) in zip(graph, before, copies):
        assert n._value is v and n.grad is g
        np.testing.assert_array_equal(np.asarray(n._value), vc)
        if g is not None:
            np.testing.assert_array_equal(np.asarray(n.grad), gc)
    assert W.dtype == np.float32 and loss.dtype == np.float32


def test_vjp_of_the_wrong_shape_raising_or_missing():
    @gs.custom_op
    def flat(x):
        return 2 * x

    x = gs.param(np.ones((2, 3)))
    flat.vjp(lambda g, x, value: (np.ravel(2 * g),))
    row = gs.check_node(flat(x))
    assert row.status == "FAIL" and "shape (6,) for an input of shape (2, 3)" in row.inputs[0].note

    def boom(g, x, value):
        raise RuntimeError("forgot to save s")
    flat.vjp(boom)
    row = gs.check_node(flat(x))
    assert row.status == "error" and not row.ok and "VJP raised RuntimeError, line" in row.note
    assert "RuntimeError: forgot to save s" in row.detail

    flat.vjp(lambda g, x, value: (None,))
    row = gs.check_node(flat(x))
    assert row.status == "FAIL" and "gave no gradient" in row.inputs[0].note


def test_check_node_with_a_given_upstream():
    @gs.custom_op
    def ident(x):
        return x + 0.0

    ident.vjp(lambda g, x, value: (np.ones_like(x),))    # right only when the upstream is all ones
    y = ident(gs.param(np.arange(4.0)))
    assert gs.check_node(y, upstream=np.ones(4)).status == "ok"
    assert gs.check_node(y).status == "FAIL"


def test_leaves_and_nonfinite_nodes_are_skipped():
    x = gs.param(np.array([0.0, 1.0]))
    with np.errstate(divide="ignore"):
        y = gs.log(x)
    assert gs.check_node(x).status == "skip"
    row = gs.check_node(y)
    assert row.status == "skip" and row.ok and "not finite" in row.note


# ---------------------------------------------------------------- whole graph

def test_gradcheck_passes_on_a_correct_graph(rng):
    loss = every_builtin_op(rng)
    report = gs.gradcheck(loss)
    assert report.ok and bool(report)
    assert {leaf.name for leaf in report.leaves} == {"a", "b", "p", "alpha"}
    assert report.max_rel < 1e-5
    assert report.nodes is None                     # the per-node check only runs on failure


def test_gradcheck_fails_and_names_the_node(rng):
    loss, bad = deep_net(rng, define_swish("missing term"), 3)
    report = gs.gradcheck(loss)
    assert not report.ok
    failed = {leaf.name for leaf in report.leaves if not leaf.ok}
    assert failed == {"W1", "b1", "W2", "b2", "W3", "b3"}       # upstream of the bad node only
    assert report.nodes.first_failure.node is bad
    assert bad.name in report.summary() and "per-node check blames" in report.summary()
    with pytest.raises(gs.GradcheckError, match=bad.name):
        gs.gradcheck(loss, raise_on_failure=True)


def test_gradcheck_leaves_the_graph_as_it_was(rng):
    loss, _ = deep_net(rng, define_swish(), 2)
    graph = loss.graph()
    X = graph["X"]
    graph.backward()
    state = [(n._value, n.grad, n.requires_grad) for n in graph]
    gs.gradcheck(graph, wrt=["W1", X])               # X does not require a gradient: checked anyway
    assert [(n._value, n.grad, n.requires_grad) for n in graph] == state
    assert not X.requires_grad and X.grad is None


def test_gradcheck_wrt_and_errors(rng):
    x = gs.tensor(rng.normal(size=(3,)), name="x")
    y = gs.param(rng.normal(size=(3,)), name="y")
    out = gs.sum(x * y)
    report = gs.gradcheck(out, wrt="x")
    assert [leaf.name for leaf in report.leaves] == ["x"] and report.ok
    with pytest.raises(gs.GraphscopeError, match="wrt must be leaves; mul_"):
        gs.gradcheck(out, wrt=out.inputs[0])
    with pytest.raises(gs.GraphscopeError, match="no node named 'nope'"):
        gs.gradcheck(out, wrt="nope")
    with pytest.raises(gs.GraphscopeError, match="no leaf of .* requires a gradient"):
        gs.gradcheck(gs.sum(x * 2.0))


def test_gradcheck_of_a_non_scalar_output_uses_a_probe(rng):
    W = gs.param(rng.normal(size=(3, 2)))
    out = gs.tanh(gs.tensor(rng.normal(size=(4, 3))) @ W)
    assert gs.gradcheck(out).ok
    assert gs.gradcheck(out, upstream=np.ones((4, 2))).ok


def test_gradcheck_on_a_scalar_graph():
    x = gs.param(-2.0, name="x")
    y = gs.param(5.0, name="y")
    z = gs.param(-4.0, name="z")
    report = gs.gradcheck((x + y) * z)
    assert report.ok
    assert [leaf.checked for leaf in report.leaves] == [1, 1, 1]
