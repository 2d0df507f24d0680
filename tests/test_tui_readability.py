"""The TUI read at 80x24 and 120x40: status lines cut between whole parts, wrapped lines that keep their indent,
panes sized from their content, predict mode's words, and the long-run loss curve."""
from tui_apps import sample_app, screen_lines, settle
from graphscope.tui.widgets.text_fit import PART_SEP, fit_parts


def test_fit_parts_leaves_out_whole_parts_and_never_ends_in_a_separator():
    parts = ["forward", "step 8/60", "matmul_9", "block2", "samples/wrong_backward.py:44", "predict mode"]
    line = fit_parts(parts, 60)
    assert line == "forward · step 8/60 · matmul_9 · block2 · predict mode"
    assert fit_parts(parts, 3) == "fo…"
    for width in range(1, 90):
        line = fit_parts(parts, width)
        assert len(line) <= width and not line.endswith("·")
        assert all(p in parts for p in line.split(PART_SEP)) or line.endswith("…")


async def test_the_status_line_at_80_columns_keeps_whole_parts_and_says_predict_mode():
    app = sample_app("wrong_backward.py")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in "nnnnnnnn":
            await pilot.press(key)
        await pilot.press("t")
        await settle(pilot)
        line = screen_lines(app)[0].strip()
        assert not line.endswith("·"), line
        shown = line.split(PART_SEP)
        assert "predict mode" in shown and "step 8/60" in shown, line
        assert all(part in app.session.status_parts() + ["predict mode"] for part in shown), line
