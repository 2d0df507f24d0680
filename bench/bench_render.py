"""Rendering: a 2,265-node graph to SVG, against Graphviz alone on the same graph with plain labels.

The graph is the scalar MLP of ``bench_stepper`` grown past 2,000 nodes
(2,265: whole input points are added until it has at least 2,000), with
no scopes, so nothing collapses or folds: every node is drawn as a card
(HTML-like table label) and every edge carries its label. Figures:

- DOT text: building graphscope's DOT source (this process);
- to_svg: ``gs.viz.to_svg(graph, step=-1)`` end to end: recording the
  stepper, the DOT source and Graphviz's ``dot -Tsvg`` (a child process);
- frames: one more step drawn from the same Picture (layout settings and
  label widths reused).

Baseline (same run): ``dot -Tsvg`` on the same nodes and edges with plain
text labels and Graphviz's default settings, i.e. what Graphviz costs
before graphscope adds anything. Time is CPU time of this process plus its
children (``dot``), or wall time with ``--clock wall``. Target: to_svg under
5 s.
"""
import os
import subprocess
import time

import graphscope as gs
from graphscope.viz import Picture
from graphscope.viz.render import dot_program

from .bench_stepper import QUICK_SIZES, mlp_graph
from .common import Table, clock_name, fmt_seconds, heading, ratio, ratio_cell

NODES = 2_000
QUICK_NODES = 300
TARGET_SECONDS = 5.0


def _now():
    """The benchmark clock including child processes (dot runs in one)."""
    if clock_name() == "wall":
        return time.perf_counter()
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(fn, repeat):
    """Median seconds of `repeat` calls of fn() (after one untimed call), and fn's last result."""
    result = fn()
    runs = []
    for _ in range(repeat):
        t0 = _now()
        result = fn()
        runs.append(_now() - t0)
    runs.sort()
    return runs[len(runs) // 2], result


def plain_dot(graph):
    """The same nodes and edges with plain text labels and Graphviz's defaults."""
    lines = ["digraph plain {", "  rankdir=LR;"]
    lines += [f'  n{n.id} [label="{n.name}"];' for n in graph.nodes]
    lines += [f"  n{i.id} -> n{n.id};" for n in graph.nodes for i in n.inputs]
    lines.append("}")
    return "\n".join(lines) + "\n"


def run_dot(source):
    return subprocess.run([dot_program(), "-Tsvg"], input=source.encode(), capture_output=True, check=True).stdout


def main(quick=False):
    """Run the benchmark and print its table; returns the figures as a dict."""
    heading("Rendering a large graph to SVG")
    dot_program()
    graph = mlp_graph(QUICK_NODES, QUICK_SIZES) if quick else mlp_graph(NODES)
    n_edges = sum(len(n.inputs) for n in graph.nodes)
    print(f"graph: {len(graph)} nodes, {n_edges} edges, no scopes (every node drawn); "
          f"clock: {clock_name()} time including the dot child process"
          f"{' (quick mode: figures are not meaningful)' if quick else ''}")
    print()
    repeat = 1 if quick else 3

    def svg_end_to_end():
        graph.zero_grad()
        return gs.viz.to_svg(graph, step=-1)

    t_plain, _ = timed(lambda: run_dot(plain_dot(graph)), repeat)
    t_svg, svg = timed(svg_end_to_end, repeat)
    drawn = svg.count('class="node"')
    if "<svg" not in svg or drawn != len(graph):
        raise SystemExit(f"to_svg drew {drawn} nodes, expected {len(graph)}")
    graph.zero_grad()
    picture = Picture(gs.Stepper(graph))
    state = picture.state(-1)
    t_text, source = timed(lambda: picture.dot(state), repeat)
    t_frame, _ = timed(lambda: picture.svg(picture.state(len(picture.stepper) // 2)), repeat)

    table = Table(["what", "median", "vs plain dot"])
    table.add("Graphviz alone, plain labels (baseline)", fmt_seconds(t_plain), "1.00x")
    table.add("DOT text (graphscope)", fmt_seconds(t_text), ratio_cell(ratio(t_text, t_plain)))
    table.add("to_svg end to end", fmt_seconds(t_svg), ratio_cell(ratio(t_svg, t_plain)))
    table.add("one more step from the same Picture", fmt_seconds(t_frame), ratio_cell(ratio(t_frame, t_plain)))
    table.print()
    print()
    print(f"SVG: {len(svg) / 1e6:.1f} MB, DOT: {len(source) / 1e6:.1f} MB")
    verdict = "met" if t_svg < TARGET_SECONDS else "MISSED"
    print(f"to_svg of {len(graph)} nodes: {fmt_seconds(t_svg)} (target < {TARGET_SECONDS:g} s: {verdict})")
    return {"nodes": len(graph), "plain": t_plain, "dot_text": t_text, "svg": t_svg, "frame": t_frame}


if __name__ == "__main__":
    main()
