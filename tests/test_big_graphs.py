"""Very large graphs stay usable: the TUI's layout and its index stay small, quitting never waits for a layout,
and export refuses (or explains a crash of dot) before a picture too large for Graphviz, saying what to draw."""
import os
import random
import stat
import sys
import time

import pytest

import graphscope as gs
from graphscope import viz
from graphscope.cli import main
from graphscope.engine.graph import Graph
from graphscope.tui import GraphscopeApp
from graphscope.tui.widgets import graphview
from graphscope.tui.widgets.graphview import GraphView, label
from graphscope.tui.widgets.spatial import LayoutIndex
from graphscope.viz import layout as layout_module
from graphscope.viz import limits
from graphscope.viz.layout import DOT, LAYERS, Box, Layout, layout
from graphscope.viz.view import View
from tests.cli_run import clean_failure, in_process

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")


def chain(ops, name="x"):
    """x, then `ops` times h = h * 0.5: 2 * ops + 1 nodes, a constant leaf for every op."""
    h = gs.tensor(0.5, name=name, requires_grad=True)
    for _ in range(ops):
        h = h * 0.5
    return h


def fake_dot(folder, body):
    """A `dot` on PATH that runs the shell `body` (the real one is never reached)."""
    path = folder / "dot"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(folder)


# ---------------------------------------------------------------- layout and its index

def test_layers_put_a_leaf_beside_its_first_use_so_no_edge_crosses_the_graph():
    view = View(Graph(chain(300)))
    lay = layout(view, {item.key: label(item) for item in view.items}, engine=LAYERS)
    column = {x: k for k, x in enumerate(sorted({box.x for box in lay.boxes.values()}))}
    for e in view.edges:
        src, dst = lay.boxes[e.src.key], lay.boxes[e.dst.key]
        assert column[dst.x] == column[src.x] + 1, (e.src.key, e.dst.key)
    assert lay.height <= 2 * (layout_module.BOX_H + layout_module.ROW_GAP)  # two rows, not a column of 301 leaves


def test_the_index_stores_each_segment_at_most_twice_and_finds_exactly_what_crosses_a_window():
    rng = random.Random(0)
    boxes = {f"n{i}": Box(rng.randrange(0, 20000), rng.randrange(0, 3000), rng.randrange(5, 20)) for i in range(300)}
    routes = []
    for _ in range(400):  # long horizontal and vertical runs, as a layered layout of a huge graph has
        x1, y1, x2, y2 = (rng.randrange(0, 20000), rng.randrange(0, 3000), rng.randrange(0, 20000),
                          rng.randrange(0, 3000))
        routes.append((None, [(x1, y1), (x2, y1), (x2, y2)]))
    index = LayoutIndex(Layout(boxes, routes=routes))
    stored = sum(len(v) for v in index.rows.buckets.values()) + sum(len(v) for v in index.cols.buckets.values())
    assert stored <= 2 * 2 * len(routes)
    for _ in range(50):
        x0, y0, w, h = rng.randrange(0, 20000), rng.randrange(0, 3000), 120, 35
        found = list(index.segments_in(x0, y0, w, h))
        assert len(found) == len(set(found))
        expected = {(n, x1, y1, x2, y2) for n, (_, pts) in enumerate(routes)
                    for (x1, y1), (x2, y2) in zip(pts, pts[1:])
                    if min(x1, x2) < x0 + w and max(x1, x2) >= x0 and min(y1, y2) < y0 + h and max(y1, y2) >= y0}
        assert set(found) == expected
        shown = {k for k, b in boxes.items() if b.x < x0 + w and b.right > x0 and b.y < y0 + h and b.y + b.h > y0}
        assert shown <= set(index.boxes_in(x0, y0, w, h))


def test_dot_lays_out_only_views_small_in_items_and_in_edges(monkeypatch):
    monkeypatch.setattr(layout_module, "have_dot", lambda: True)
    view = View(Graph(chain(20)))                       # 41 items, 40 edges
    assert layout_module.engine_for(view) == DOT
    monkeypatch.setattr(layout_module, "DOT_MAX_EDGES", 39)
    assert layout_module.engine_for(view) == LAYERS
    monkeypatch.setattr(layout_module, "DOT_MAX_EDGES", 800)
    monkeypatch.setattr(layout_module, "DOT_MAX", 40)
    assert layout_module.engine_for(view) == LAYERS


# ---------------------------------------------------------------- the TUI

async def wait_for(pilot, condition, seconds=20):
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        await pilot.pause(0.05)


async def test_the_graph_view_lays_a_view_above_the_limits_out_by_layers(monkeypatch):
    monkeypatch.setattr(layout_module, "DOT_MAX", 10)
    monkeypatch.setattr(graphview, "BACKGROUND_NODES", 10)  # in the background, as a huge graph is
    app = GraphscopeApp(Graph(chain(30)), "a chain")
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.screen.query_one(GraphView)
        await wait_for(pilot, lambda: not view.laying_out)
        assert view.layout_.engine == LAYERS
        text = "\n".join(view.render_line(y).text for y in range(10))
        assert "x" in text and "mul" in text


async def test_q_quits_at_once_while_dot_lays_the_graph_out_and_dot_is_killed(monkeypatch, tmp_path):
    pid_file = tmp_path / "dot.pid"
    monkeypatch.setenv("PATH", fake_dot(tmp_path, f"echo $$ > {pid_file}; exec sleep 60") + os.pathsep
                       + os.environ["PATH"])
    monkeypatch.setattr(graphview, "BACKGROUND_NODES", 5)
    app = GraphscopeApp(Graph(chain(10)), "a chain")           # 21 items: dot's, in the background
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: pid_file.exists() and pid_file.read_text().strip())
        view = app.screen.query_one(GraphView)
        assert view.laying_out
        assert "laying out the graph" in view.render_line(0).text
        start = time.monotonic()
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, 3)
    assert time.monotonic() - start < 3
    pid = int(pid_file.read_text())
    end = time.monotonic() + 5
    while _alive(pid):
        assert time.monotonic() < end, "dot was left running"
        time.sleep(0.05)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return ") Z " not in fh.read()  # a zombie is dead
    except OSError:
        return True


async def test_ctrl_c_quits():
    app = GraphscopeApp(Graph(chain(3)), "a chain")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: not app.is_running, 5)


# ---------------------------------------------------------------- export

def test_a_picture_larger_than_dot_draws_is_refused_before_dot_runs(monkeypatch, tmp_path):
    big = chain(limits.PICTURE_MAX_ITEMS // 2 + 1)           # 3,003 boxes: the real limit, built in a blink
    monkeypatch.setenv("PATH", fake_dot(tmp_path, "echo dot must not run >&2; exit 3") + os.pathsep
                       + os.environ["PATH"])
    with pytest.raises(limits.TooBig) as err:
        viz.export(big, str(tmp_path / "big.svg"))
    message = str(err.value)
    assert "3,003 boxes and 3,002 edges" in message and "3,000 boxes" in message
    assert "around=K" in message and "depth=N" in message and ".dot" in message
    assert not (tmp_path / "big.svg").exists()


def test_export_says_the_size_and_what_to_draw_instead_exit_2(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(limits, "PICTURE_MAX_ITEMS", 5)
    out = tmp_path / "two.svg"
    code, _, err = in_process(main, capsys, "export", os.path.join(SAMPLES, "two_layer.py"), "-o", out)
    assert code == 2 and clean_failure(err) and not out.exists()
    assert "-o " + str(out) in err and "11 boxes and 10 edges" in err and "at most 5 boxes" in err
    assert "--node loss --phase backward --around 2 -o loss.svg" in err
    assert "graphscope tui" in err and "-o " + str(tmp_path / "two.dot") in err


def test_the_player_refuses_more_steps_than_it_draws_naming_the_limit(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(limits, "PLAYER_MAX_STEPS", 15)
    out = tmp_path / "steps.html"
    code, _, err = in_process(main, capsys, "export", os.path.join(SAMPLES, "two_layer.py"), "-o", out)
    assert code == 2 and clean_failure(err) and not out.exists()
    assert "21 steps of 11 boxes is 231 boxes" in err and "at most 15 steps" in err
    assert "--around 2" in err and "graphscope tui" in err
    monkeypatch.setattr(limits, "PLAYER_MAX_STEPS", 1000)
    monkeypatch.setattr(limits, "PLAYER_MAX_BOXES", 200)
    code, _, err = in_process(main, capsys, "export", os.path.join(SAMPLES, "two_layer.py"), "--frames",
                              tmp_path / "frames")
    assert code == 2 and "30,000" not in err and "200 boxes in all" in err and not (tmp_path / "frames").exists()


def test_a_crash_of_dot_is_named_by_its_signal_with_the_same_advice(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PATH", fake_dot(tmp_path, "cat > /dev/null; echo 'out of memory' >&2; kill -SEGV $$")
                       + os.pathsep + os.environ["PATH"])
    out = tmp_path / "two.svg"
    code, _, err = in_process(main, capsys, "export", os.path.join(SAMPLES, "two_layer.py"), "-o", out)
    assert code == 2 and clean_failure(err) and not out.exists()
    first = err.splitlines()[0]
    assert "dot crashed: killed by SIGSEGV (segmentation fault)" in first and "11 boxes and 10 edges" in first
    assert first.index("crashed") < first.index("out of memory")
    assert "--around 2" in err and "two.dot" in err
    with pytest.raises(viz.RenderError) as caught:             # the library: the same, in its own words
        viz.to_svg(chain(2))
    assert "SIGSEGV" in str(caught.value) and "around=K" in str(caught.value)


def test_the_player_reports_its_progress_as_its_pictures_are_drawn():
    heard = []
    stepper = gs.Stepper(chain(12))
    steps = len(stepper)                                      # 25 forward + 13 backward
    html = viz.to_html(stepper, progress=lambda done, total: heard.append((done, total)))
    assert html.count("<svg") >= steps
    batch = viz.picture.STEP_BATCH
    assert heard == [(min(k, steps), steps) for k in range(batch, steps + batch, batch)]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_signal_names():
    from graphscope.viz.render import signal_name
    assert signal_name(9).startswith("SIGKILL") and signal_name(999) == "signal 999"


async def test_s_on_a_view_too_large_to_draw_says_what_to_do_and_writes_nothing(monkeypatch, tmp_path):
    from graphscope.tui.screens.dialogs import MessageDialog
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(limits, "PICTURE_MAX_ITEMS", 5)
    app = GraphscopeApp(Graph(chain(10)), "a chain", file=str(tmp_path / "chain.py"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageDialog))
        text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "21 boxes and 20 edges" in text and "graphscope export chain.py --node x --around 2" in text
    assert os.listdir(tmp_path) == []
