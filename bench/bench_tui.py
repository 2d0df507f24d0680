"""Terminal UI: first paint and one step's redraw on a 10,624-node graph, measured with Pilot.

The graph is the stepper benchmark's scalar MLP (10,624 nodes, 21,216
steps). Figures (``App.run_test`` at 120x40 cells, headless):

- first paint (wall time): from creating the app (the stepper records the
  pass, the tape and inspector are built) until the first frame is drawn;
  target under 1.0 s. A graph of more than 2,000 nodes is laid out in a
  thread meanwhile ("graph view drawn": when its boxes and edges appear);
- step redraw: pressing ``n`` (and ``end`` then ``p`` for backward steps)
  until the screen has redrawn: status line, the visible window of the
  graph, the tape's visible rows and the inspector; process CPU time, so
  the frame timer's idle wait inside Pilot is left out; target under 30 ms.

Baseline (same run, same graph): ``gs.Stepper(graph)``, the recording the
app starts with.
"""
import asyncio
import statistics
import time

import graphscope as gs

from .bench_stepper import QUICK_NODES, QUICK_SIZES, mlp_graph
from .common import Table, fmt_seconds, heading, ratio, ratio_cell

NODES = 10_000
SIZE = (120, 40)
FIRST_PAINT_TARGET = 1.0
STEP_TARGET = 0.030


async def measure(graph, steps):
    """(first paint seconds, [forward step seconds], [backward step seconds]) for one app on `graph`."""
    from graphscope.tui import GraphscopeApp
    t0 = time.perf_counter()
    app = GraphscopeApp(graph, "bench")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first = time.perf_counter() - t0
        view = app.screen.query_one("#graph")
        while view.layout_ is None:
            await pilot.pause(0.01)
        await pilot.pause()
        drawn = time.perf_counter() - t0
        forward = await _steps(pilot, "n", steps)
        await pilot.press("end")
        await pilot.pause()
        backward = await _steps(pilot, "p", steps)
        layout = app.screen.query_one("#graph").layout_.engine
    return first, drawn, forward, backward, layout


async def _steps(pilot, key, steps):
    """CPU seconds per step: the app's work for a key press and the redraw, not Pilot's idle waits."""
    times = []
    for _ in range(steps):
        t = time.process_time()
        await pilot.press(key)
        await pilot.pause()
        times.append(time.process_time() - t)
    return times


def main(quick=False):
    """Run the benchmark and print its table; returns the figures as a dict."""
    heading("Terminal UI: first paint and step redraw (Pilot, headless)")
    graph = mlp_graph(QUICK_NODES, QUICK_SIZES) if quick else mlp_graph(NODES)
    steps = 5 if quick else 40
    t = time.perf_counter()
    stepper = gs.Stepper(graph)
    record = time.perf_counter() - t
    print(f"graph: {len(graph)} nodes, {len(stepper)} steps{' (quick mode: figures are not meaningful)' if quick else ''}")
    first, drawn, forward, backward, layout = asyncio.run(measure(graph, steps))
    print(f"graph view laid out by: {layout}")
    print()
    fwd, bwd = statistics.median(forward), statistics.median(backward)
    table = Table(["what", "time", "vs recording", "target"])
    table.add("gs.Stepper(graph) (baseline)", fmt_seconds(record), "1.00x", "")
    table.add("first paint (record + draw)", fmt_seconds(first), ratio_cell(ratio(first, record)),
              f"< {FIRST_PAINT_TARGET:g} s: {'met' if first < FIRST_PAINT_TARGET else 'MISSED'}")
    table.add("graph view drawn (laid out in a thread)", fmt_seconds(drawn), ratio_cell(ratio(drawn, record)), "")
    for label, value in ((f"forward step redraw (median of {steps})", fwd),
                         (f"backward step redraw (median of {steps})", bwd)):
        table.add(label, fmt_seconds(value), ratio_cell(ratio(value, record)),
                  f"< {STEP_TARGET * 1000:g} ms: {'met' if value < STEP_TARGET else 'MISSED'}")
    table.print()
    return {"nodes": len(graph), "record": record, "first_paint": first, "graph_drawn": drawn, "forward_step": fwd, "backward_step": bwd,
            "layout": layout}
