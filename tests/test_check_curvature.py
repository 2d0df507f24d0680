"""Curvature is not a kink: a VJP slightly wrong where its function curves fast (1/x near 0) fails, a right one
passes with a measured error, and an entry excused at a real kink says what it excused (never an error of 0)."""
import re

import numpy as np
import pytest

import graphscope as gs
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")

WEIGHTS = np.array([1.0, -2.0, 0.5])


def _reciprocal(factor):
    op = gs.custom_op(lambda x: 1.0 / x, name="reciprocal")

    @op.vjp
    def _(g, x, value):
        return (-g / x ** 2 * factor,)
    return op


@pytest.mark.parametrize("scale", [1e-3, 1e-4, 1e-5])
def test_a_vjp_off_by_five_in_ten_thousand_fails_where_its_function_curves_fast(scale):
    op = _reciprocal(1.0005)
    loss = gs.sum(op(gs.param(scale * np.array([1.0, -1.0, 1.2]), name="W")) * WEIGHTS)
    row = gs.check_nodes(loss).rows[0]
    assert row.status == "FAIL" and row.inputs[0].kinks == 0
    assert float(row.error_figure) == pytest.approx(5e-4, rel=0.05)
    report = gs.gradcheck(loss, locate=False)
    assert not report.ok and report.leaves[0].kinks == 0


@pytest.mark.parametrize("scale", [1e-3, 1e-4, 1e-5])
def test_the_right_vjp_passes_there_with_a_measured_error(scale):
    op = _reciprocal(1.0)
    loss = gs.sum(op(gs.param(scale * np.array([1.0, -1.0, 1.2]), name="W")) * WEIGHTS)
    row = gs.check_nodes(loss).rows[0]
    assert row.status_text == "ok" and float(row.error_figure) <= 1e-5
    assert gs.gradcheck(loss).ok


def test_an_entry_excused_at_a_kink_shows_what_it_excused_and_no_error_figure():
    W = gs.param(np.zeros(3), name="W")
    loss = gs.sum(gs.relu(W) * np.array([1.0, 2.0, 3.0]))
    row = gs.check_nodes(loss).rows[0]
    assert row.status_text == "ok (3 kinks)" and row.error_figure is None   # nothing compared: no 0.0 shown
    assert re.search(r"relu\s+\(3,\) -> \(3,\)\s+-\s+-\s+3\s+ok \(3 kinks\)", gs.check_nodes(loss).table())
    text = row.describe()
    assert "3 of 3 entries checked, none by relative error, 3 at kinks" in text
    assert "at a kink: between the one-sided differences 0 and " in text
    leaf = gs.gradcheck(loss).leaves[0]
    assert leaf.ok and leaf.measured == 0 and gs.gradcheck(loss).table().splitlines()[1].split()[3] == "-"


def test_a_kink_just_beside_an_entry_is_stepped_past_and_the_entry_judged():
    W = gs.param(np.array([3e-7, -3e-7, 2.0]), name="W")   # relu's kink at 0 lies within the first step (1e-6)
    row = gs.check_nodes(gs.sum(gs.relu(W) * np.array([1.0, 2.0, 3.0]))).rows[0]
    assert row.status_text == "ok" and row.inputs[0].kinks == 0 and row.inputs[0].measured == 3
