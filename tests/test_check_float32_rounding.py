"""A custom VJP run again in float32 is judged against what float32 rounding of the op's own values allows: the
textbook sigmoid VJP at saturation (what PyTorch computes too) passes; a VJP whose step rounds away still fails."""
import numpy as np
import pytest

import graphscope as gs
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")


def _textbook_sigmoid():
    @gs.custom_op
    def textbook_sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))

    @textbook_sigmoid.vjp
    def _(g, x, value):
        return (g * value * (1.0 - value),)
    return textbook_sigmoid


def _saturated_loss(op):
    W = gs.param(np.linspace(14.0, 20.0, 6).reshape(2, 3), name="W", dtype=np.float32)
    return gs.sum(op(W) * np.array([1.0, -2.0, 0.5], dtype=np.float32))


def test_the_textbook_sigmoid_vjp_at_saturation_passes_in_float32():
    loss = _saturated_loss(_textbook_sigmoid())
    nodes = gs.check_nodes(loss)
    assert nodes.ok, str(nodes)
    report = gs.gradcheck(loss)
    assert report.ok, str(report)


def test_its_float32_gradient_is_pytorchs(torch):
    loss = _saturated_loss(_textbook_sigmoid())
    loss.backward()
    t = torch.tensor(np.linspace(14.0, 20.0, 6).reshape(2, 3), dtype=torch.float32, requires_grad=True)
    (torch.sigmoid(t) * torch.tensor([1.0, -2.0, 0.5])).sum().backward()
    assert np.array_equal(loss.graph()["W"].grad, t.grad.numpy())  # the same rounding: the check must not fail it


def test_a_vjp_whose_step_rounds_away_in_float32_still_fails_there():
    op = gs.custom_op(np.exp, name="exp_by_steps")

    @op.vjp
    def _(g, x, value):
        return (g * (np.exp(x + 1e-6) - value) / 1e-6,)  # x + 1e-6 rounds to x in float32 (for |x| > 8)
    W = gs.param(np.linspace(8.5, 10.0, 6), name="W", dtype=np.float32)
    row = gs.check_nodes(gs.sum(op(W))).rows[0]
    assert row.status == "FAIL" and "right in float64, wrong in float32" in row.describe()
