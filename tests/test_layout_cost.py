"""Views whose edges cross many ranks get dot's cheaper layout settings: a value used at every step of a long
chain took dot minutes with the careful ones."""
import graphscope as gs
from graphscope.viz import layout, theme
from graphscope.viz.export import to_dot
from graphscope.viz.layout_cost import LARGE_SPAN, costly_layout, rank_span
from graphscope.viz.view import View


def chain(steps):
    """s = s * 1.0001 + a, `steps` times: `a` feeds every step."""
    a = gs.tensor(1.0, requires_grad=True, name="a")
    s = a
    for _ in range(steps):
        s = s * 1.0001 + a
    return View(s.graph())


def test_rank_span_counts_the_ranks_each_edge_crosses():
    x = gs.tensor(2.0, name="x")
    y = gs.tensor(3.0, name="y")
    view = View((gs.tanh(x * y) + x).graph())
    # mul at rank 1, tanh 2, add 3; x and y just before mul (0): x -> add crosses 3, the other four edges 1 each
    assert rank_span(view) == 7


def test_a_value_used_at_every_step_of_a_long_chain_gets_the_cheaper_settings():
    short, long = chain(10), chain(60)
    assert not costly_layout(short) and rank_span(long) > LARGE_SPAN and costly_layout(long)
    long_dot, short_dot = str(to_dot(long.graph)), str(to_dot(short.graph))
    assert all(f" {k}={v}" in long_dot for k, v in theme.CHEAP_LAYOUT.items()) and "nslimit" not in short_dot
    def widths(view):
        return {item.key: 8 for item in view.items}
    assert "nslimit=0.2;" in layout.dot_source(long, widths(long))
    assert "nslimit" not in layout.dot_source(short, widths(short))
