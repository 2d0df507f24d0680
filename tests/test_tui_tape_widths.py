"""The tape at narrow widths: its columns fit, and no value or gradient cell is a bare '…'."""
import os
import sys

import numpy as np
import pytest

from graphscope.engine.formatting import summarize_value
from graphscope.optim import make
from graphscope.tui import GraphscopeApp
from graphscope.tui.widgets.tape import Tape
from graphscope.tui.widgets.tape_layout import FULL, NUMBERS, compact_value, fitted_value, layout, line_width
from graphscope.userfile import load_graph_file

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def two_layer_app():
    path = os.path.join(SAMPLES, "two_layer.py")
    graph = load_graph_file(path)
    app = GraphscopeApp(graph, "samples/two_layer.py", path, optimizer=make("adam", graph.params, 0.01))
    app.cursor_blink = False
    return app


def number_cells(tape):
    """(value, gradient) texts of every row as drawn, cut at the column boundaries of the tape's layout."""
    starts, x = {}, 0
    for c in tape.columns:
        starts[c.title] = (x, x + c.width)
        x += c.width + 1
    rows = []
    for y in range(1, min(len(tape.nodes) + 1, tape.scrollable_content_region.height)):
        line = tape.render_line(y).text
        rows.append(tuple(line[slice(*starts[t])].strip() for t in NUMBERS))
    return rows


@pytest.mark.parametrize("size", [(80, 24), (120, 35)])
async def test_after_the_backward_pass_every_value_and_gradient_cell_reads(size):
    app = two_layer_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press("b")
        await pilot.pause()
        tape = app.screen.query_one(Tape)
        assert line_width(tape.columns) <= tape.scrollable_content_region.width  # nothing off to the right
        rows = number_cells(tape)
        assert len(rows) >= 5
        for value, grad in rows:
            assert value and grad and not value.endswith("…") and not grad.endswith("…"), rows
        assert any(grad.startswith("mean") or "/" in grad for _, grad in rows)  # gradients are shown, not dropped
        state, column = app.session.state, next(c for c in tape.columns if c.title == "value")
        for node, (value, _) in zip(tape.nodes, rows):
            full = summarize_value(state.value(node))
            if column.compact:  # every array as 'mean/std', the header says so
                assert value == compact_value(state.value(node), column.width)
            else:
                assert value == full or len(full) > column.width  # shortened only when the whole text does not fit


def test_the_full_layout_is_kept_when_it_fits_and_narrower_tapes_keep_node_value_and_gradient():
    assert layout(line_width(FULL)) == FULL
    for width in (38, 40, 60, 72, 90):
        titles = [c.title for c in layout(width)]
        assert {"node", "value", "gradient"} <= set(titles) and line_width(layout(width)) <= width
    assert [c.title for c in layout(72)] == ["mark", "#", "node", "status", "value", "gradient"]
    assert all(layout(width)[0].title == "mark" for width in (30, 38, 80, 200))  # the row's state at every width
    wide = {c.title: c.width for c in layout(200)}
    assert wide["value"] == wide["gradient"] > 22  # the room left over goes to the numbers, then the inputs
    assert line_width(layout(200)) == 200 and wide["inputs"] > 16


def test_a_value_too_long_for_its_cell_is_written_shorter_in_the_same_notation():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(30, 4)) * 1e-5
    assert fitted_value(a, 40) == summarize_value(a)
    assert fitted_value(a, 14) == f"mean={a.mean():.3g}"
    assert fitted_value(a, 22) == f"mean={a.mean():.1g} std={a.std():.1g}"
    small = np.array([0.1164, -0.1683, 0.0521, 0.25])
    assert fitted_value(small, 30) == "[0.116, -0.168, 0.0521, 0.25]"
    assert fitted_value(small, 22) == "mean=0.0625 std=0.151"
    assert fitted_value(1.23456789e-5, 7) == "1.2e-05"
    bad = np.array([1.0, np.nan, 3.0] * 5)
    assert fitted_value(bad, 22) == "mean=2 (5 non-finite)" and fitted_value(bad, 13) == "5 non-finite"
    for width in range(6, 30):
        text = fitted_value(a, width)
        assert len(text) <= width and text != "…"


def test_a_gradient_whose_mean_is_rounding_noise_keeps_its_spread_in_a_narrow_cell():
    """W2's gradient at 80 columns: 'mean≈0' alone would read as a vanished gradient; its std says how large."""
    rng = np.random.default_rng(1)
    g = rng.normal(size=(5, 3)) * 0.059
    g -= g.mean()  # a softmax gradient's columns sum to 0: the mean is rounding noise
    assert fitted_value(g, 22).startswith("mean≈0 std=")
    assert fitted_value(g, 13) == f"std={g.std():.3g}"
    for width in range(8, 13):  # the tape's number columns are 12 wide at their narrowest
        text = fitted_value(g, width)
        assert "mean" not in text and len(text) <= width


async def test_reset_lays_the_columns_out_again_for_the_graph_it_reads():
    from types import SimpleNamespace
    path = os.path.join(SAMPLES, "chain_rule.py")  # scalars only: no compact column
    graph = load_graph_file(path)
    app = GraphscopeApp(graph, "samples/chain_rule.py", path)
    app.cursor_blink = False
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tape = app.screen.query_one(Tape)
        width = tape.text_width(tape.size.width)
        assert tape.columns == layout(width, False) != layout(width, True)
        session = tape.session
        from graphscope.stepper import Stepper
        arrays = load_graph_file(os.path.join(SAMPLES, "two_layer.py"))
        tape.session = SimpleNamespace(graph=arrays, stepper=Stepper(arrays))  # arrays
        tape.reset()
        assert tape.arrays and tape.columns == layout(width, True)
        tape.session = session
        tape.reset()
        assert tape.columns == layout(width, False)


async def test_a_column_of_space_stands_between_the_rows_and_the_scrollbar_at_80_columns():
    app = two_layer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tape = app.screen.query_one(Tape)
        assert tape.show_vertical_scrollbar  # the tape scrolls: its scrollbar stands at its right edge
        w = tape.scrollable_content_region.width
        await pilot.press("end")
        longest = 0
        for _ in range(tape.session.stepper.n_backward):  # every backward step: gradients in the rightmost column
            await pilot.pause()
            rows = [tape.render_line(y).text for y in range(tape.scrollable_content_region.height)]
            assert all(len(row) == w and row[-1] == " " for row in rows), rows
            longest = max(longest, *(len(row.rstrip()) for row in rows))
            await pilot.press("p")
        assert longest == w - 1  # the text runs up to that one space


def test_a_narrow_compact_cell_keeps_two_digits_of_a_small_mean_in_e_notation():
    g = np.random.default_rng(1).normal(-0.000117, 0.0794, size=(4, 5))
    g += -0.000117 - g.mean()  # exactly that mean
    text = compact_value(g, 13)
    assert text == f"-1.2e-4/{g.std():.2g}" and len(text) <= 13
    assert compact_value(g, 14) == f"-0.00012/{g.std():.2g}"  # fixed notation while it fits
