"""The TUI in front of a class, at 80x24 and at 160x45: notifications never hide the inspector, the graph pane
shows the graph (fitted when it fits, following the step when it does not), formulas wrap between their parts,
the tape's number columns say which statistic they show, and the layer screen's texts are never cut."""
from graphscope.tui.widgets.text_fit import hanging
import re

from tui_apps import inspector_lines, sample_app, screen_lines, settle

SMALL, LARGE = (80, 24), (160, 45)


# ---------------------------------------------------------------- formulas wrap between their parts
def test_a_bracketed_formula_moves_to_the_next_line_whole():
    line = "  local dh/dadd_5: 20x20 diagonal: d relu(x)/dx = diag(1[x > 0])"
    for width in range(20, len(line)):
        lines = hanging(line, width).splitlines()
        assert all(len(x) <= width for x in lines), (width, lines)
        assert any("diag(1[x > 0])" in x for x in lines), (width, lines)
        assert any("d relu(x)/dx" in x for x in lines), (width, lines)
        assert " ".join(x.strip() for x in lines) == line.strip()


def test_a_formula_longer_than_a_line_is_still_cut_between_its_words():
    lines = hanging("  local: diag(1[a very long formula that does not fit on any line])", 24).splitlines()
    assert all(len(x) <= 24 for x in lines) and len(lines) > 2


async def test_the_inspector_at_160x45_keeps_the_relu_formula_on_one_line():
    app = sample_app("two_layer.py")
    async with app.run_test(size=LARGE) as pilot:
        app.session.goto(16)  # backward at h = relu(add_5)
        app.screen.show_step()
        await settle(pilot)
        lines = inspector_lines(app)
        assert any("diag(1[x > 0])" in line for line in lines), lines


# ---------------------------------------------------------------- the layer screen at 80x24
def trained_fc_net_app():
    """samples/fc_net.py with biases that are not zero and an Adam update phase (every ratio has a value)."""
    import numpy as np

    import graphscope as gs
    from graphscope.tui import GraphscopeApp
    from graphscope.userfile import load_graph_file
    from tui_apps import SAMPLES
    import os
    path = os.path.join(SAMPLES, "fc_net.py")
    graph = load_graph_file(path)
    for p in graph.params:
        if p.name.endswith(".b"):
            p.value = np.full(np.shape(p.value), 0.1)
    graph.run({})
    app = GraphscopeApp(graph, "samples/fc_net.py", path, optimizer=gs.optim.Adam(graph.params, lr=1e-3))
    app.cursor_blink = False
    return app


async def test_the_layer_screen_at_80x24_cuts_no_text():
    from graphscope.tui.screens.layers import LayerScreen
    app = trained_fc_net_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, LayerScreen)
        await settle(pilot)
        text = " ".join(" ".join(screen_lines(app)).split())
        assert "~1e-03 is healthy" in text
        for p in app.screen.stats[0].params:  # fc1's weight and bias: every figure, up to the verdict
            assert re.search(rf"{re.escape(p.name)} [\dx]+: .*update/weight {p.update_ratio:.2e} \({p.verdict}\)",
                             text), (p.name, text)


# ---------------------------------------------------------------- notifications never hide the inspector
def toast_regions(app):
    from textual.widgets._toast import Toast, ToastRack
    return [t.region for t in app.screen.get_child_by_type(ToastRack).query(Toast)]


async def test_a_wrong_guess_at_80x24_leaves_the_inspectors_numbers_in_sight_and_reads_the_verdict_there():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        app.session.goto(4)  # the end of forward; next: backward at f = q z, asking df/dz (= q = 3)
        await pilot.press("t", "n")
        await settle(pilot)
        app.screen.query_one("#dialog-input").value = "5"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause(0.2)
        inspector = app.screen.query_one("#inspector")
        (toast,) = toast_regions(app)
        assert not toast.overlaps(inspector.region) and not toast.overlaps(app.screen.query_one("#tape").region)
        rows = screen_lines(app)[inspector.region.y:inspector.region.bottom]
        seen = [row[inspector.content_region.x:inspector.content_region.right] for row in rows]
        said = " ".join(" ".join(seen).split())
        assert "predict mode: not quite: it is 3, you said 5 (off by 2)" in said
        assert "upstream df/df = 1" in said
        await pilot.press("p")  # the verdict belongs to its step
        await settle(pilot)
        assert "not quite" not in " ".join(inspector_lines(app))


async def test_the_export_notification_at_80x24_stands_over_the_graph(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = sample_app("two_layer.py")
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        app.session.goto(16)
        app.screen.show_step()
        await pilot.press("s")
        await settle(pilot)
        await pilot.pause(0.2)
        (toast,) = toast_regions(app)
        graph = app.screen.query_one("#graph").region
        assert graph.contains_region(toast), (toast, graph)
        assert list(tmp_path.glob("*.svg"))
