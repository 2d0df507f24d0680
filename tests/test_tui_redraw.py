"""A step redraws only what it changes: the graph pane's still layer (frames, edges, arrowheads) is drawn once per
tile and reused, its boxes from cached pictures; the status line and a short inspector text never lay the screen out
again. What is drawn stays exactly what a fresh drawing gives."""
from collections import namedtuple

from graphscope.tui.widgets import graphview
from graphscope.tui.widgets.edge_tiles import EDGE_HOT, TILE_W, EdgeTiles
from graphscope.tui.widgets.graphview import GraphView
from graphscope.viz.layout import Layout
from tui_apps import sample_app

Edge = namedtuple("Edge", "src dst")


def test_the_still_layer_joins_crossings_and_runs_across_tiles_and_marks_arrowheads():
    routes = [(None, [(0, 1), (5, 1)]),                      # across
              (None, [(2, 0), (2, 3)]),                      # down, crossing it at (2, 1)
              (None, [(TILE_W - 4, 5), (TILE_W + 6, 5), (TILE_W + 6, 8)])]  # over a tile's edge, then a turn down
    tiles = EdgeTiles(Layout({}, routes=routes, width=2 * TILE_W, height=20))
    chars, _styles, _bits = tiles.window(0, 0, 2 * TILE_W, 10)
    rows = ["".join(row) for row in chars]
    assert rows[1][:6] == "──┼──▶" and rows[0][2] == "│" and rows[2][2] == "│" and rows[3][2] == "▶"
    assert rows[5][TILE_W - 4:TILE_W + 7] == "─" * 10 + "╮"
    assert [rows[r][TILE_W + 6] for r in (6, 7, 8)] == ["│", "│", "▶"]
    # a window straddling the tiles reads the same cells
    part, _, _ = tiles.window(TILE_W - 6, 4, 14, 3)
    assert "".join(part[1]) == "  " + "─" * 10 + "╮ "


def test_the_current_boxes_edges_are_restyled_hot_heavy_without_colour_and_the_tiles_stay_as_they_were():
    a, b, c = object(), object(), object()  # the items at the edges' ends
    routes = [(Edge(a, b), [(0, 0), (6, 0)]), (Edge(b, c), [(0, 2), (6, 2)])]
    tiles = EdgeTiles(Layout({}, routes=routes, width=8, height=3))
    chars, styles, bits = tiles.window(0, 0, 8, 3)
    tiles.heat(chars, styles, bits, a, 0, 0, heavy=True)
    assert "".join(chars[0]) == "━━━━━━▶ " and "".join(chars[2]) == "──────▶ "
    assert set(styles[0][:7]) == {EDGE_HOT} and EDGE_HOT not in styles[2]
    again, _, _ = tiles.window(0, 0, 8, 3)
    assert "".join(again[0]) == "──────▶ "  # heat changed the window's copy, not the tile


def cells(view):
    """Every cell of the pane as (character, style)."""
    h = view.scrollable_content_region.height
    return [[(ch, str(seg.style)) for seg in view.render_line(y) for ch in seg.text] for y in range(h)]


def fresh(view):
    """The pane drawn with nothing cached."""
    view._tiles = EdgeTiles(view.layout_)
    view._last_rows = None
    view._window = None
    graphview.box_picture.cache_clear()
    return cells(view)


async def test_a_pane_drawn_step_after_step_is_cell_for_cell_a_fresh_drawing():
    app = sample_app("batchnorm.py")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(GraphView)
        for keys in (["n"] * 5, ["end"], ["p"] * 4, ["shift+right", "down"], ["p"]):
            await pilot.press(*keys)
            await pilot.pause()
            assert cells(view) == fresh(view), keys


async def test_a_step_lays_out_neither_the_status_line_nor_a_short_inspector_text():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        status, body = app.screen.query_one("#status"), app.screen.query_one("#inspector-body")
        layouts = []
        for widget in (status, body):
            def counted(*regions, _refresh=widget.refresh, _widget=widget, **kwargs):
                if kwargs.get("layout"):
                    layouts.append(_widget.id)
                return _refresh(*regions, **kwargs)
            widget.refresh = counted
        before = (status.render_line(0).text, body.render_line(0).text)
        await pilot.press("n", "n", "n")
        await pilot.pause()
        assert layouts == []
        assert (status.render_line(0).text, body.render_line(0).text) != before  # both say the new step
        assert "step 3/9" in status.render_line(0).text


async def test_the_footer_composes_its_keys_again_only_when_what_they_show_changes(monkeypatch):
    from textual.widgets import Footer

    from graphscope.tui.widgets.footer import KeyFooter
    composed = []
    compose = Footer.recompose

    async def counted(self):
        composed.append(self.size.width)
        await compose(self)
    monkeypatch.setattr(Footer, "recompose", counted)
    app = sample_app("chain_rule.py")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        assert len(composed) == 1 and "step" in str(footer.query_one("FooterLabel").render())
        await pilot.resize_terminal(80, 24)  # a new width: the keys are composed again, compact
        await pilot.pause()
        await pilot.pause()
        assert len(composed) == 2 and composed[-1] == 80 and footer.compact


def test_the_tiles_kept_are_bounded_and_a_dropped_tile_is_drawn_again_alike(monkeypatch):
    from graphscope.tui.widgets import edge_tiles
    monkeypatch.setattr(edge_tiles, "MAX_TILES", 2)
    routes = [(None, [(0, 1), (5 * TILE_W, 1)])]  # one long edge across five tiles
    tiles = EdgeTiles(Layout({}, routes=routes, width=5 * TILE_W + 1, height=3))
    first, _, _ = tiles.window(0, 0, TILE_W, 3)
    for k in range(1, 5):
        tiles.window(k * TILE_W, 0, TILE_W, 3)
    assert len(tiles._tiles) == 2
    again, _, _ = tiles.window(0, 0, TILE_W, 3)
    assert again == first and "".join(again[1]) == "─" * TILE_W
