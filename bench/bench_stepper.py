"""Stepper: recording and stepping through every step of a 10,624-node scalar graph.

The graph is a micrograd-style MLP 2-16-16-1 on Python floats, summed over
as many input points as it takes to reach 10,000 nodes (10,624; 21,216 steps:
one forward step per node, one backward step per node that needs a
gradient). Figures:

- record: ``Stepper(graph)``: replay every node (``engine.replay.recompute``)
  and run the backward pass once, keeping each event and each node's
  gradient timeline;
- walk forward: ``goto(k)`` for every step in order, reading at each step the
  event's node value, gradient and status, and for a backward step every
  edge's contribution, accumulated gradient and Jacobian description (what
  the TUI and the player show);
- walk back: the same with ``prev()`` from the last step to the first;
- random jumps: as many ``goto`` to random steps, with the same reads.

Baseline (same run, same graph): the engine replaying every node and
running ``backward()``, i.e. one forward + backward pass without the
stepper. Target: record + walk forward under 2 s.
"""
import random

import graphscope as gs

from .common import Table, fmt_seconds, heading, per_run, ratio, ratio_cell

NODES = 10_000
QUICK_NODES = 1_000
QUICK_SIZES = (2, 4, 4, 1)
TARGET_SECONDS = 2.0


def mlp_graph(target_nodes, sizes=(2, 16, 16, 1), seed=0):
    """A scalar MLP summed over input points until its graph has at least `target_nodes` nodes."""
    rng = random.Random(seed)
    layers = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        W = [[gs.param(rng.uniform(-1, 1)) for _ in range(fan_in)] for _ in range(fan_out)]
        b = [gs.param(0.0) for _ in range(fan_out)]
        layers.append((W, b))
    total = None
    graph = None
    while graph is None or len(graph) < target_nodes:
        h = [gs.tensor(rng.uniform(-1, 1)) for _ in range(sizes[0])]
        for depth, (W, b) in enumerate(layers):
            out = []
            for row, bias in zip(W, b):
                act = bias
                for w, x in zip(row, h):
                    act = act + w * x
                out.append(act.relu() if depth < len(layers) - 1 else act)
            h = out
        total = h[0] if total is None else total + h[0]
        graph = total.graph()
    return graph


def engine_pass(graph):
    """The baseline: replay every node and backpropagate, with the engine alone."""
    from graphscope.engine.replay import recompute
    for node in graph.nodes:
        recompute(node)
    graph.zero_grad()
    graph.backward()


def read_step(stepper, state, event):
    """What a viewer reads at one step."""
    node = event.node
    state.value(node)
    state.grad(node)
    state.status(node)
    for edge in event.edges:
        edge.contribution
        edge.accumulated
        edge.jacobian.describe()


def walk_forward(stepper):
    for k in range(len(stepper)):
        event = stepper.goto(k)
        read_step(stepper, stepper.state, event)


def walk_back(stepper):
    stepper.last()
    while True:
        read_step(stepper, stepper.state, stepper.event)
        if stepper.step == 0:
            break
        stepper.prev()


def random_jumps(stepper, steps):
    for k in steps:
        event = stepper.goto(k)
        read_step(stepper, stepper.state, event)


def check(graph, stepper):
    """The stepper's final gradients equal the engine's own backward() on the same graph."""
    mine = [stepper.final().grad(n) for n in graph.nodes]
    engine_pass(graph)
    for node, g in zip(graph.nodes, mine):
        if g != node.grad:
            raise SystemExit(f"stepper and engine disagree at {node.name}: {g} != {node.grad}")


def main(quick=False):
    """Run the benchmark and print its table; returns the figures as a dict."""
    heading("Stepper: record, then step through every step of a scalar graph")
    graph = mlp_graph(QUICK_NODES, QUICK_SIZES) if quick else mlp_graph(NODES)
    graph.zero_grad()
    stepper = gs.Stepper(graph)
    check(graph, stepper)
    n_steps = len(stepper)
    print(f"graph: {len(graph)} nodes, {n_steps} steps ({stepper.n_forward} forward + {stepper.n_backward} "
          f"backward){' (quick mode: figures are not meaningful)' if quick else ''}")
    print("check: the stepper's final gradients equal the engine's backward() on the same graph")
    print()
    repeat = 2 if quick else 3
    jumps = random.Random(1).choices(range(n_steps), k=n_steps)

    def record():
        graph.zero_grad()
        return gs.Stepper(graph)

    baseline = per_run(lambda: engine_pass(graph), repeat=repeat)
    t_record = per_run(record, repeat=repeat)
    stepper = record()
    t_forward = per_run(lambda: walk_forward(stepper), repeat=repeat)
    t_back = per_run(lambda: walk_back(stepper), repeat=repeat)
    t_jumps = per_run(lambda: random_jumps(stepper, jumps), repeat=repeat)
    total = t_record.median + t_forward.median

    table = Table(["what", "median", "per step", "vs engine pass"])
    table.add("engine: replay + backward (baseline)", fmt_seconds(baseline.median), "", "1.00x")
    for label, t in (("record (Stepper(graph))", t_record), ("walk forward through all steps", t_forward),
                     ("walk back through all steps", t_back), (f"{n_steps} random jumps", t_jumps)):
        table.add(label, fmt_seconds(t.median), fmt_seconds(t.median / n_steps),
                  ratio_cell(ratio(t.median, baseline.median)))
    table.print()
    print()
    verdict = "met" if total < TARGET_SECONDS else "MISSED"
    print(f"record + walk forward: {fmt_seconds(total)} (target < {TARGET_SECONDS:g} s: {verdict})")
    return {"nodes": len(graph), "steps": n_steps, "baseline": baseline.median, "record": t_record.median,
            "walk_forward": t_forward.median, "walk_back": t_back.median, "jumps": t_jumps.median,
            "total": total}


if __name__ == "__main__":
    main()
