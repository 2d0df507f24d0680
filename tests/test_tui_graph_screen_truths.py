"""The graph screen's numbers and layout as a reader checks them: finite arrays never read std=inf, small
arrays are listed where they fit, names keep their distinguishing suffix, the current node stays whole and
uncovered, predict mode works the formula out, the layer screen says why a ratio is missing."""
import os
import re

import numpy as np

from graphscope.engine.formatting import summarize_value, summary_line
from graphscope.tui.screens.help import HelpScreen
from graphscope.tui.screens.layers import NO_UPDATE_YET, LayerScreen, _param_line
from graphscope.tui.session import Session
from graphscope.tui.widgets.check_texts import error_words
from graphscope.tui.widgets.graphview import shortened
from graphscope.tui.widgets.inspector import inspector_text, room_lines
from graphscope.tui.widgets.tape_layout import Column, compact_value, cut_name, fitted_value, layout
from graphscope.tui.widgets.text_fit import hanging
from graphscope.userfile import load_graph_file

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")


def session_of(name):
    return Session(load_graph_file(os.path.join(SAMPLES, name)))


# ---------------------------------------------------------------- 1: finite arrays, finite statistics
def test_a_float32_array_of_huge_finite_entries_has_a_finite_std_in_every_summary():
    a = np.linspace(-2.477e18, 1.83e18, 400).astype(np.float32)
    with np.errstate(over="ignore"):
        assert np.isfinite(a).all() and not np.isfinite(np.float32(a.std()))  # float32's own std overflows
    std = float(np.std(a.astype(np.float64)))
    for text in (summarize_value(a), summary_line(a), fitted_value(a, 12), compact_value(a, 14)):
        assert "inf" not in text
    shown = float(re.search(r"std=(\S+)", summary_line(a)).group(1))
    assert abs(shown - std) <= 0.01 * std
    assert float(compact_value(a, 20).split("/")[1]) == float(f"{std:.3g}")


# ---------------------------------------------------------------- 2: the current box whole in a narrow pane
def test_a_box_wider_than_the_pane_shows_its_name_shortened_not_cut():
    text = "softmax_cross_entropy_11 softmax_cross_entropy"
    assert shortened(text, 36) == "softmax_cross_entropy_11 softmax_cr…"
    assert shortened(text, 16) == "softmax_cro…_11"[:15] or shortened(text, 16).endswith("_11")
    assert len(shortened(text, 16)) <= 16 and "…" in shortened(text, 16)


async def test_the_current_box_and_the_notification_never_overlap_at_80x24():
    from graphscope.tui import GraphscopeApp
    from graphscope.tui.widgets.graphview import GraphView
    from textual.widgets._toast import Toast
    path = os.path.join(SAMPLES, "wrong_backward.py")
    app = GraphscopeApp(load_graph_file(path), "wrong_backward.py", path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("C")
        for _ in range(20):
            await pilot.pause()
            if list(app.screen.query(Toast)):
                break
        graph = app.screen.query_one(GraphView)
        box = graph.box_of(app.session.node)
        top = graph.region.y + box.y - graph.origin[1]
        toasts = list(app.screen.query(Toast))
        assert toasts
        for toast in toasts:
            r = toast.region
            assert r.bottom <= top or r.y >= top + box.h, (r, top)


# ---------------------------------------------------------------- 3: small matrices listed where they fit
def test_a_5x3_matrix_is_listed_when_its_rows_fit_and_summarised_when_not():
    w = np.arange(15, dtype=np.float64).reshape(5, 3) / 7
    assert room_lines(w, 60) is not None and len(room_lines(w, 60)) == 5
    assert room_lines(w, 12) is None
    assert room_lines(np.zeros((40, 3)), 200) is None  # too many rows


def test_the_inspector_lists_w2_at_160_columns():
    s = session_of("two_layer.py")
    s.goto_node(s.find_node("W2"))
    w2 = np.asarray(s.state.value(s.node))
    assert w2.size > 12
    text = inspector_text(s, 60).plain
    assert "mean=" not in text.split("\n\n")[1]
    assert f"{w2[0, 0]:.3g}" in text and f"{w2[-1, -1]:.3g}" in text


# ---------------------------------------------------------------- 4: the tape's names and small vectors
def test_tape_names_are_cut_in_the_middle_keeping_their_suffix():
    assert cut_name("softmax_cross_entropy_11", 10) == "softma…_11"
    assert cut_name("batch_norm_12", 10).endswith("_12")
    assert cut_name("matmul_9", 10) == "matmul_9"
    assert cut_name("matmul_9", 7).endswith("_9")
    node = next(c for c in layout(39) if c.title == "node")
    assert node.width >= len("matmul_10")  # two-digit numbered names stand whole at 80 columns


def test_a_small_vector_is_listed_in_a_compact_column_when_it_fits():
    assert compact_value(np.array([2.0, -3.0]), 20) == "[2, -3]"
    assert compact_value(np.array([-0.197, -0.393]), 20) == "[-0.197, -0.393]"
    assert "/" in compact_value(np.array([-0.197, -0.393]), 12)  # too narrow: mean/std
    assert Column("value", 20, compact=True).heading == "value mean/std"


# ---------------------------------------------------------------- 5: predict mode works it out
def test_the_loss_verdict_substitutes_the_numbers_and_names_the_missing_division():
    s = session_of("two_layer.py")
    q = s.question(11)
    n = int(re.search(r"N = (\d+)", q.prompt).group(1))
    assert f"/ {n} =" in q.worked
    verdict = s.judge(q, repr(q.truth * n))
    assert f"did not divide by N = {n}" in verdict.text()
    assert q.worked in verdict.text()
    assert s.judge(q, repr(-q.truth)).slip == "the sign is the other way round"
    p = float(re.search(r"softmax\(scores\[\d+, :\]\)\[\d+\] = (\S+);", q.worked).group(1))
    onehot = int(re.search(r"\(\S+ - (\d)\)", q.worked).group(1))
    assert abs((p - onehot) / n - q.truth) <= 1e-5


def test_a_formula_is_never_broken_beside_an_operator():
    lines = hanging("  dL/ds = (softmax(s) - onehot(y)) / N (a 1 x N*C row)", 36).split("\n")
    assert not any(line.rstrip().endswith("/") for line in lines)
    assert any("onehot(y)) / N" in line for line in lines)


# ---------------------------------------------------------------- 6 and 7
def test_the_layer_screen_says_why_a_ratio_is_missing_and_that_up_down_pick_a_scope():
    s = session_of("two_layer.py")
    screen = LayerScreen(s)
    param = screen.stats[0].params[0]
    assert param.update_ratio is None and NO_UPDATE_YET in _param_line(param)
    assert NO_UPDATE_YET in screen._status()
    shown = {b.key for b in LayerScreen.BINDINGS if b.show}
    assert {"up", "down"} <= shown


def test_the_check_figure_reads_the_same_in_the_notification_and_the_inspector():
    class Check:
        error_figure = "9.8e-01"
    assert error_words(Check()) == "0.98"
    assert "closes" in HelpScreen.CLOSE_WORDS


async def test_a_current_box_wider_than_the_pane_is_drawn_whole_with_its_name_shortened():
    import graphscope as gs
    from graphscope.engine.graph import Graph
    from graphscope.tui import GraphscopeApp
    from graphscope.tui.widgets.graphview import GraphView
    rng = np.random.default_rng(0)
    scores = gs.tensor(rng.normal(size=(4, 3)), name="scores")
    loss = gs.softmax_cross_entropy(scores, rng.integers(0, 3, size=4))
    loss.name = "softmax_cross_entropy_with_a_long_name_11"
    app = GraphscopeApp(Graph(loss), "a long name")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f")
        await pilot.pause()
        graph = app.screen.query_one(GraphView)
        assert graph.box_of(app.session.node).w > graph.scrollable_content_region.width
        rows = [graph.render_line(y).text for y in range(graph.scrollable_content_region.height)]
        middle = next(row for row in rows if "┃" in row)
        inside = middle[middle.index("┃") + 1:middle.rindex("┃")]
        assert middle.count("┃") == 2 and "…" in inside and "_11" in inside
        assert any(row.strip().startswith("┏") and row.rstrip().endswith("┓") for row in rows)
