"""The optional op hook ``refresh(attrs, *xs) -> dict | None``: graph.run calls it, nothing else does."""
import numpy as np

import graphscope as gs
from optable_guard import op_table_guard  # noqa: F401  (fixture)


def make_counting_op():
    """An op that adds its attribute `count`; refresh increments it and records what it was given."""
    calls = []

    @gs.register
    class Counted(gs.Op):
        name = "counted_for_refresh_test"

        def forward(self, x, count=0):
            return x + count

        def vjp(self, g, x, value, count=0):
            return (g,)

        def refresh(self, attrs, x):
            calls.append(np.array(x))
            return {**attrs, "count": attrs["count"] + 1}

    return gs.OPS["counted_for_refresh_test"], calls


def test_run_refreshes_before_recomputing_and_nothing_else_does(op_table_guard):
    op, calls = make_counting_op()
    x = gs.tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    out = gs.apply(op, x * 2.0, count=0)
    loss = gs.sum(out)
    graph = loss.graph()
    graph.step_forward(graph.position(out))
    gs.check_nodes(loss)
    gs.gradcheck(loss)
    assert calls == [] and out.attrs["count"] == 0

    graph.run({x: np.array([3.0, 4.0])})
    assert out.attrs["count"] == 1
    np.testing.assert_array_equal(calls[0], [6.0, 8.0])        # the input's new value, computed first
    np.testing.assert_array_equal(out.value, [7.0, 9.0])       # recomputed with the refreshed attributes
    graph.run(affected_only=True)
    assert out.attrs["count"] == 1                             # not affected by an empty feed: not refreshed
    graph.run()
    assert out.attrs["count"] == 2 and loss.value == 6.0 + 8.0 + 2 * 2


def test_refresh_returning_none_keeps_the_attributes():
    x = gs.tensor(np.ones((3, 2)), name="x")
    out = gs.nn.Dropout(0.5, rng=0).eval()(x)
    attrs = out.attrs
    out.graph().run()
    assert out.attrs is attrs
