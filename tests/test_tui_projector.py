"""The TUI in front of a class, at 80x24 and at 160x45: notifications never hide the inspector, the graph pane
shows the graph (fitted when it fits, following the step when it does not), formulas wrap between their parts,
the tape's number columns say which statistic they show, and the layer screen's texts are never cut."""
from graphscope.tui.widgets.text_fit import hanging
import re

import pytest

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
        relu_input = app.session.node.inputs[0].name  # the formula in the graph's names
        assert any(f"diag(1[{relu_input} > 0])" in line for line in lines), lines


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
            said = p.verdict or "(vector): not judged"  # a bias's ratio is shown with why it is not judged
            assert re.search(rf"{re.escape(p.name)} [\dx]+: .*update/weight {p.update_ratio:.2e} {re.escape(said)}",
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


# ---------------------------------------------------------------- the graph pane shows the graph
SCROLLBAR_GLYPHS = set("▏▎▍▌▋▊▉█▁▂▃▄▅▆▇")


def pane_lines(app):
    """The graph pane as drawn: one text line per row."""
    view = app.screen.query_one("#graph")
    return [view.render_line(y).text for y in range(view.scrollable_content_region.height)]


def whole_in_view(app, k):
    """True when the box of the graph's k-th node is drawn whole: its label between its two side borders."""
    view = app.screen.query_one("#graph")
    node = app.session.graph.nodes[k]
    box, text = view.box_of(node), view.labels[view.session.view.item_of[node].key]
    x0, y0 = view.origin
    w, h = view.scrollable_content_region.size
    return 0 <= box.x - x0 and box.right - x0 <= w and 0 <= box.y - y0 and box.y + box.h - y0 <= h \
        and text in pane_lines(app)[box.y - y0 + 1]


async def at_step(app, pilot, step):
    app.session.goto(step)
    app.screen.show_step()
    await settle(pilot)
    await settle(pilot)


async def test_at_160x45_the_graph_uses_the_pane_and_the_tape_lists_every_node():
    app = sample_app("two_layer.py")
    async with app.run_test(size=LARGE) as pilot:
        await at_step(app, pilot, 16)  # backward at h
        view = app.screen.query_one("#graph")
        assert view.layout_.height <= view.scrollable_content_region.height  # its rows fit: all shown
        lines = pane_lines(app)
        drawn = [k for k, line in enumerate(lines) if line.strip()]
        above, below = drawn[0], len(lines) - 1 - drawn[-1]
        assert abs(above - below) <= 1, (above, below)  # centred, not hung from the top
        for k in (5, 0, 1, 3, 4, 6):  # h, X, W1, the first matmul and add, W2
            assert whole_in_view(app, k), (k, "\n".join(lines))
        tape = app.screen.query_one("#tape")
        rows = [tape.render_line(y).text.split() for y in range(1, tape.scrollable_content_region.height)]
        names = [r[2] for r in rows if r]  # after the mark and the row number; a long name is cut: 'softma…_11'
        assert len(names) == len(tape.nodes) == len(app.session.graph.nodes)
        assert all(n.name.startswith(shown.partition("…")[0]) and n.name.endswith(shown.partition("…")[2])
                   for shown, n in zip(names, tape.nodes))  # the forward walk's order


async def test_at_80x24_the_graph_keeps_the_current_node_and_its_neighbour_whole_with_no_stray_glyphs():
    app = sample_app("two_layer.py")
    async with app.run_test(size=SMALL) as pilot:
        nodes = app.session.graph.nodes
        # h and matmul_9, whose gradient it takes (its upstream's source); add_5 and h; scores
        for step, shown in ((16, (5, 8)), (17, (4, 5)), (12, (9,))):
            await at_step(app, pilot, step)
            assert app.session.node is nodes[shown[0]]
            for k in shown:
                assert whole_in_view(app, k), (step, k, "\n".join(pane_lines(app)))
            graph = app.screen.query_one("#graph").region
            for row in screen_lines(app)[graph.y:graph.bottom]:
                assert not SCROLLBAR_GLYPHS & set(row[graph.x:graph.right]), row


async def test_a_graph_smaller_than_the_pane_is_drawn_in_its_middle():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SMALL) as pilot:
        await at_step(app, pilot, 2)
        lines = pane_lines(app)
        rows = [k for k, line in enumerate(lines) if line.strip()]
        cols = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
        ends = [len(line.rstrip()) for line in lines if line.strip()]
        assert abs(rows[0] - (len(lines) - 1 - rows[-1])) <= 1
        assert abs(min(cols) - (len(lines[0]) - max(ends))) <= 2
        view = app.screen.query_one("#graph")
        box = view.box_of(app.session.graph.nodes[3])  # q
        x0, y0 = view.origin
        await pilot.click("#graph", offset=(box.x + 2 - x0, box.mid_y - y0))  # a click finds the drawn box
        await settle(pilot)
        assert app.session.node is app.session.graph.nodes[3]


# ---------------------------------------------------------------- the tape's number columns at 80 columns
NUMBER = r"(?:-?\d[\d.]*(?:e[-+]\d+)?)"


async def test_at_80x24_each_tape_number_column_says_what_it_shows_and_shows_it_in_every_row():
    import numpy as np
    app = sample_app("two_layer.py")
    async with app.run_test(size=SMALL) as pilot:
        await at_step(app, pilot, 16)  # the teacher's step: add_5, h, W2, b2 have gradients
        tape = app.screen.query_one("#tape")
        header = tape.render_line(0).text
        assert re.search(r"\bval(ue)? mean/std", header) and "grad mean/std" in header
        start = header.index("grad mean/std")
        state = app.session.state
        tape.scroll_to(y=0, animate=False, immediate=True)
        await settle(pilot)
        seen = 0
        for y in range(1, tape.scrollable_content_region.height):
            row = tape.render_line(y).text
            node = tape.nodes[y - 1 + tape.scroll_offset.y]
            cell = row[start:].split()[0] if row[start:].split() else ""
            if state.grad_status(node) not in ("complete", "partial") or np.size(state.grad(node)) == 1:
                continue
            g = np.asarray(state.grad(node))
            if cell.startswith("["):  # a small array whose entries fit the cell is listed, entry by entry
                from graphscope.engine.formatting import SHOWN_ENTRIES, summarize_value
                assert g.size <= SHOWN_ENTRIES and row[start:].startswith(summarize_value(g)), (node.name, row)
                continue
            m = re.fullmatch(rf"(≈0|{NUMBER})/({NUMBER})", cell)
            assert m, (node.name, cell)  # the same statistics in every row ...
            assert float(m.group(2)) == pytest.approx(g.std(), rel=0.05)  # ... the header says which (2 digits)
            if m.group(1) != "≈0":
                assert float(m.group(1)) == pytest.approx(g.mean(), rel=0.05)
            seen += 1
        assert seen >= 2
