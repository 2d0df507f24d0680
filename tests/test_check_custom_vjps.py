"""What the gradient checks say of a custom op's VJP that is wrong in a way a researcher meets: a gradient of the
wrong shape (gs.gradcheck returns a failing report), a VJP slightly wrong where the whole-graph error stays under
tolerance (the custom op's own check fails it), a wrong signature or count of gradients, a lower-precision dtype."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.custom import CustomOpError
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")


def summed_softplus():
    """softplus whose VJP sums its gradient: shape () for an input of shape (3, 3)."""
    @gs.custom_op
    def softplus(x):
        return np.log1p(np.exp(x))

    @softplus.vjp
    def softplus_vjp(g, x, value):
        return (np.sum(g / (1.0 + np.exp(-x))),)
    return softplus


def test_gradcheck_returns_a_failing_report_when_a_vjp_returns_the_wrong_shape(rng):
    softplus = summed_softplus()
    W = gs.param(rng.normal(size=(4, 3)), name="W")
    h = softplus(gs.tensor(rng.normal(size=(3, 4)), name="x") @ W)
    loss = gs.sum(h * h)
    report = gs.gradcheck(loss)                        # no exception: a report
    assert not report and not report.ok and report.leaves[0].status == "FAIL"
    assert repr(report) == f"<GradcheckReport of {loss.name} over 1 leaf: backward failed>"
    summary = report.summary()
    assert "backward could not run" in summary and f"for input {h.inputs[0].name} of shape (3, 3)" in summary
    assert "returned a gradient of shape ()" in summary and h.name in summary
    assert report.nodes.first_failure.node is h     # the per-node check blames the op
    assert report.leaves[0].problem == "backward failed" and f"stopped at {h.name}" in report.leaves[0].note
    with pytest.raises(gs.GradcheckError, match=r"softplus: the VJP returned a gradient of shape \(\)"):
        gs.gradcheck(loss, raise_on_failure=True)
    assert W.grad is None                              # the graph is left as it was


def wrong_cube():
    """x ** 3 whose VJP says 2 x^2."""
    @gs.custom_op
    def badcube(x):
        return x ** 3

    @badcube.vjp
    def badcube_vjp(g, x, value):
        return (2 * x ** 2 * g,)
    return badcube


def test_gradcheck_fails_a_custom_vjp_that_is_wrong_though_the_leaves_error_stays_under_rtol(rng):
    badcube = wrong_cube()
    W = gs.param(rng.normal(size=(4, 3)), name="W")
    h = gs.tensor(rng.normal(size=(5, 4)), name="x") @ W
    cubed = badcube(h * 1e-3)                          # little of the gradient flows through it
    loss = gs.sum(h * h) + gs.sum(cubed)
    report = gs.gradcheck(loss)
    assert all(leaf.ok for leaf in report.leaves) and report.max_rel < 1e-5   # the leaves alone would pass
    assert not report and not report.ok
    assert [r.node for r in report.custom.failures] == [cubed]
    assert repr(report).endswith("custom op badcube's VJP failed its own check>")
    summary = report.summary()
    assert summary.startswith(f"gradcheck of {loss.name}: the VJP of custom op badcube fails its own check")
    assert f"the per-node check blames: {cubed.name} (op badcube)" in summary and "badcube_vjp at " in summary
    with pytest.raises(gs.GradcheckError, match="custom op badcube fails its own check"):
        gs.gradcheck(loss, raise_on_failure=True)
    assert gs.gradcheck(loss, locate=False).ok         # locate=False: the leaves only


def test_gradcheck_of_a_graph_with_right_custom_vjps_passes(rng):
    softplus = gs.custom_op(lambda x: np.log1p(np.exp(x)), name="softplus_ok")
    softplus.vjp(lambda g, x, value: (g / (1.0 + np.exp(-x)),))
    loss = gs.sum(softplus(gs.param(rng.normal(size=(3, 4)), name="W")) ** 2)
    report = gs.gradcheck(loss)
    assert report and len(report.custom.rows) == 1 and report.custom.ok


def test_a_vjp_whose_signature_cannot_take_the_ops_inputs_is_refused_when_registered():
    @gs.custom_op
    def two(x, w):
        return x @ w

    with pytest.raises(CustomOpError) as caught:
        @two.vjp
        def _(g, x, value):
            return (g @ x.T,)
    message = str(caught.value)
    assert message.startswith("custom op two: its VJP _(g, x, value) cannot take what a VJP is given")
    assert "one argument per input of two(x, w)" in message and "write def _(g, x, w, value):" in message
    assert "test_check_custom_vjps.py:" in message       # where the VJP is defined
    with pytest.raises(CustomOpError, match=r"write def total_vjp\(g, x, value, axis=1\)"):
        gs.custom_op(lambda x, axis=1: x.sum(axis=axis), name="total", vjp=lambda g, x: (g,))
    two.vjp(lambda g, x, w, value: (g @ w.T, x.T @ g))   # the right signature (and *args, **attrs) are taken
    two.vjp(lambda g, *xs, **attrs: (None, None))


def test_a_vjp_returning_too_few_gradients_is_said_so_not_as_a_raise(rng):
    @gs.custom_op
    def two(x, w):
        return x @ w

    @two.vjp
    def _(g, x, w, value):
        return (g @ w.T,)

    a, w = gs.param(rng.normal(size=(4, 3)), name="a"), gs.param(rng.normal(size=(3, 2)), name="w")
    out = gs.sum(two(a, w) ** 2)
    with pytest.raises(gs.BackwardError, match="custom op two: the VJP returned 1 gradient for 2 inputs"):
        out.backward()
    row = gs.check_nodes(out).first_failure
    assert row.status_text == "error (VJP returned 1 gradient for 2 inputs)"
    assert "raised" not in str(row)


@pytest.mark.parametrize("low", [np.float32, np.float16])
def test_a_vjp_returning_less_precision_than_its_input_fails_as_a_wrong_dtype(rng, low):
    op = gs.custom_op(lambda x: x * 2.0, name=f"double_{np.dtype(low).name}")
    op.vjp(lambda g, x, value: ((2.0 * g).astype(low),))
    a = gs.param(rng.normal(size=(4, 3)), name="a")
    node = op(a)
    loss = gs.sum(node ** 2)
    row = gs.check_nodes(loss).first_failure
    assert row is not None and row.node is node and row.failure == "wrong dtype" and row.error_figure is None
    text = row.inputs[0].result_text()
    assert text.startswith(f"the VJP returned {np.dtype(low).name} for a float64 input, so every gradient through it "
                           f"is rounded to {np.dtype(low).name}")
    # float32's values are right to 1e-5: no entry is named; float16's rounding fails entries too: they are named
    assert ("worst entry" in str(row)) == (low is np.float16)
    assert not gs.gradcheck(loss)                      # the custom op's own check fails the whole-graph one too


def test_a_vjp_in_the_graphs_own_lower_dtype_is_no_wrong_dtype(rng):
    op = gs.custom_op(lambda x: x * 2.0, name="double32")
    op.vjp(lambda g, x, value: ((2.0 * g).astype(np.float32),))
    loss = gs.sum(op(gs.param(rng.normal(size=(4, 3)).astype(np.float32), name="a")) ** 2)
    assert gs.check_nodes(loss).ok
