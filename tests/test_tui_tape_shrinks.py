"""The tape keeps its highlighted row in sight when it gets shorter: the terminal shrinks, or the graph takes rows."""
from graphscope.tui.widgets.tape import Tape
from tui_apps import sample_app, settle


def shown_rows(tape):
    """The row numbers the tape shows under its header."""
    top = tape.scroll_offset.y
    return range(top, top + tape.scrollable_content_region.height - 1)


async def at_row_36_at_the_bottom(app, pilot):
    await settle(pilot)
    for _ in range(36):
        await pilot.press("n")
    await settle(pilot)
    tape = app.screen.query_one(Tape)
    assert tape.cursor_row == 36 and 36 in shown_rows(tape)
    return tape


async def test_the_current_row_stays_when_the_terminal_shrinks():
    app = sample_app("batchnorm.py")
    async with app.run_test(size=(200, 55)) as pilot:
        tape = await at_row_36_at_the_bottom(app, pilot)
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        await pilot.pause(0.1)
        assert 36 in shown_rows(tape), list(shown_rows(tape))
        assert "▶ 36" in tape.render_line(36 - tape.scroll_offset.y + 1).text


async def test_the_current_row_stays_when_the_graph_takes_rows():
    app = sample_app("batchnorm.py")
    async with app.run_test(size=(200, 55)) as pilot:
        tape = await at_row_36_at_the_bottom(app, pilot)
        before = tape.size.height
        await pilot.press("o")  # a scope unfolds: the graph grows, the tape gets shorter
        await settle(pilot)
        await pilot.pause(0.1)
        assert tape.size.height < before
        assert 36 in shown_rows(tape), list(shown_rows(tape))


def test_a_wide_tape_gives_the_names_room_before_wider_numbers():
    from graphscope.tui.widgets.tape_layout import layout
    columns = {c.title: c.width for c in layout(130, True, {"node": 13, "op": 21})}
    assert columns["node"] >= 13 and columns["op"] >= 21  # 'batch_norm_23', 'softmax_cross_entropy' whole
    assert columns["value"] >= 22 and columns["gradient"] >= 22  # 'mean=-0.0428 std=0.372' whole


def test_a_constant_array_reads_all_1_not_a_division():
    import numpy as np

    from graphscope.tui.widgets.tape_layout import compact_value
    assert compact_value(np.ones(5), 14) == "all 1"
    assert compact_value(np.zeros((3, 4)), 14) == "all 0"
    assert compact_value(np.full(3, 0.5), 14) == "all 0.5"
    assert "/" in compact_value(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]), 14)  # others stay mean/std
