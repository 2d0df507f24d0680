"""The layer screen's statistics table spreads over a wide terminal and keeps its tight columns at 80."""
from textual.widgets import DataTable

from tui_apps import sample_app, settle


async def table_at(size):
    app = sample_app("batchnorm.py")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.pause(0.1)
        table = app.screen.query_one(DataTable)
        return table.virtual_size.width, table.size.width, table.cell_padding


async def test_a_wide_layer_table_spreads_out():
    used, width, _ = await table_at((200, 55))
    assert used >= 0.8 * width and used <= width, (used, width)
    used, width, padding = await table_at((80, 24))
    assert padding == 1
