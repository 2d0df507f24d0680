"""Memory per scalar node: peak bytes (tracemalloc) of recording plus backward, and what stepping, saving and loading add.

The workload is a big scalar graph: a neuron-like sum ``sum_i w_i * x_i`` over
Python-float leaves, then ``tanh``, recorded node by node (each node holds its
op, inputs, name, scope and source line) and differentiated. Each phase is
measured as the peak of tracemalloc's traced memory above what was held
before the phase began, divided by the graph's node count:

- record + backward: the graph and its gradients (target: under 400 bytes a node);
- stepping: a Stepper built on the graph and walked from the first event to the last;
- saving: ``graph.save`` to a graph file in a temporary folder;
- loading: ``gs.load_graph`` of that file (the loaded graph included);
- terminal layout: what the TUI's graph view builds for it: the view, its
  layout (by topological layers at this size) and the index a window looks
  up (target: under 3,000 bytes a node; the edge index once stored an entry
  for every 32 columns an edge crossed: 140 million entries, more than 10 GB,
  on a 40,001-node chain).

tracemalloc counts Python allocations (numpy's included); it slows the run,
so only bytes are reported here, never seconds.
"""
import os
import tempfile
import tracemalloc

import graphscope as gs
from graphscope.stepper import Stepper

from .common import Table, heading

#: Bytes a scalar node may take for recording plus backward, and for the TUI's layout of it.
TARGET_BYTES_PER_NODE = 400
TARGET_LAYOUT_BYTES_PER_NODE = 3000


def scalar_graph(terms):
    """tanh(sum_i w_i * x_i + b): about 3 nodes per term (x, w, their product; the running sum)."""
    acc = gs.param(0.1, name="b")
    for i in range(terms):
        x = gs.tensor(((i % 11) - 5) / 5.0, name="x")
        w = gs.param(((i % 7) - 3) / 30.0, name="w")
        acc = acc + w * x
    return gs.tanh(acc)


def peak_during(fn):
    """(result, peak bytes traced while fn ran, above what was traced when it began)."""
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    result = fn()
    return result, tracemalloc.get_traced_memory()[1] - before


def measure(terms):
    """{phase: bytes per node} and the node count, for a scalar graph of about 4 * terms nodes."""
    tracemalloc.start()
    try:
        def record_and_backward():
            out = scalar_graph(terms)
            out.backward()
            return out
        out, recorded = peak_during(record_and_backward)
        graph = gs.Graph(out)
        n = len(graph.nodes)

        def step_through():
            stepper = Stepper(graph)
            stepper.goto(len(stepper.events) - 1)
            return stepper
        _, stepping = peak_during(step_through)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "big.gsgraph")
            _, saving = peak_during(lambda: graph.save(path))
            _, loading = peak_during(lambda: gs.load_graph(path))
        _, laying_out = peak_during(lambda: terminal_layout(graph))
    finally:
        tracemalloc.stop()
    return n, {"record + backward": recorded / n, "stepping": stepping / n, "saving": saving / n,
               "loading": loading / n, "terminal layout": laying_out / n}


def terminal_layout(graph):
    """What the TUI's graph view builds: the view, its layout and the index of its boxes and edges."""
    from graphscope.tui.widgets.graphview import label
    from graphscope.tui.widgets.spatial import LayoutIndex
    from graphscope.viz.layout import layout
    from graphscope.viz.view import View
    view = View(graph)
    lay = layout(view, {item.key: label(item) for item in view.items})
    return view, lay, LayoutIndex(lay)


def main(quick=False):
    heading("memory per scalar node (tracemalloc peak above the start of each phase)")
    terms = 5_000 if quick else 25_000
    n, per_node = measure(terms)
    table = Table(["phase", "bytes per node", "target"])
    for phase, b in per_node.items():
        target = {"record + backward": f"< {TARGET_BYTES_PER_NODE}",
                  "terminal layout": f"< {TARGET_LAYOUT_BYTES_PER_NODE:,}"}.get(phase, "-")
        table.add(phase, f"{b:,.0f}", target)
    table.print()
    print(f"{n:,} nodes; record + backward {'within' if per_node['record + backward'] < TARGET_BYTES_PER_NODE else 'OVER'}"
          f" the target")
    return per_node


if __name__ == "__main__":
    main()
