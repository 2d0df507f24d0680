"""What the gradient checks say of a custom op's VJP that is wrong in a way a researcher meets: a gradient of the
wrong shape (gs.gradcheck returns a failing report), a VJP slightly wrong where the whole-graph error stays under
tolerance (the custom op's own check fails it), a wrong signature or count of gradients, a lower-precision dtype."""
import numpy as np
import pytest

import graphscope as gs
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
