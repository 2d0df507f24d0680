"""Scalar path: micrograd's own demo workload, graphscope versus micrograd 0.1.0.

The workload is micrograd's demo.ipynb: an MLP 2-16-16-1 (ReLU, linear
output) on 100 two-dimensional "moons" points with labels -1/+1, the
max-margin loss ``mean_i (1 + -y_i * score_i).relu()`` plus the L2
regularization ``1e-4 * sum(p*p for p in params)``; one step is forward,
zero_grad, backward and an SGD update with the demo's learning rate
``1.0 - 0.9 * k / 100``. Both engines run the same Python code shape on
Python floats: every input, weight and intermediate value is a node
(graphscope records each one with its op, name, scope and source line).

graphscope starts from a copy of micrograd's initial weights, and the
benchmark checks that both compute the same loss and gradients before it
times anything. It reports seconds per step with Python's garbage collector
on (as users run it) and off, the share of time spent in the collector, the
number of nodes per step and the objects the collector tracks per node.

Targets: graphscope (GC on) <= 0.25x micrograd (GC on), and graphscope no
slower than micrograd with the collector off (both GC on and GC off).
"""
import gc
import random
import sys
from dataclasses import dataclass, field

import numpy as np

import graphscope as gs

from .common import (GCClock, Table, fmt_seconds, gc_mode, heading, per_run, ratio, ratio_cell, recording_note,
                     tracked_objects)

SEED = 1337
ALPHA = 1e-4
TARGET_VS_GC_ON = 0.25
TARGET_VS_GC_OFF = 1.0
#: Relative loss difference above which the two engines are not computing the same thing.
LOSS_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Config:
    """Sizes and repetitions of one run of the benchmark."""

    points: int = 100
    hidden: int = 16
    steps_per_run: int = 2
    repeat: int = 5

    @property
    def sizes(self):
        return [2, self.hidden, self.hidden, 1]


FULL = Config()
QUICK = Config(points=10, hidden=4, steps_per_run=1, repeat=2)


# ---------------------------------------------------------------- data and weights

def make_moons(n, noise=0.1, seed=SEED):
    """Two interleaving half circles (as sklearn.datasets.make_moons), labels -1/+1, shuffled.

    Returns (X, y) as lists of Python floats: rows [x0, x1] and labels.
    """
    rng = np.random.default_rng(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    t_outer = np.linspace(0.0, np.pi, n_outer)
    t_inner = np.linspace(0.0, np.pi, n_inner)
    outer = np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1)
    inner = np.stack([1.0 - np.cos(t_inner), 0.5 - np.sin(t_inner)], axis=1)
    X = np.concatenate([outer, inner]) + rng.normal(scale=noise, size=(n, 2))
    y = np.concatenate([-np.ones(n_outer), np.ones(n_inner)])
    order = rng.permutation(n)
    return X[order].tolist(), y[order].tolist()


def random_weights(sizes, seed=SEED):
    """Weights drawn as micrograd.nn draws them: w ~ U(-1, 1), b = 0.

    Returns one list per layer of (w list, b) per neuron.
    """
    rnd = random.Random(seed)
    return [[([rnd.uniform(-1, 1) for _ in range(nin)], 0.0) for _ in range(nout)]
            for nin, nout in zip(sizes[:-1], sizes[1:])]


# ---------------------------------------------------------------- the two engines

def load_micrograd():
    """micrograd's (Value, MLP), or None when micrograd is not installed."""
    try:
        from micrograd.engine import Value
        from micrograd.nn import MLP
    except ImportError:
        return None
    return Value, MLP


def micrograd_model(MLP, sizes):
    """micrograd's MLP with its own random init (seeded as the demo seeds it)."""
    random.seed(SEED)
    return MLP(sizes[0], sizes[1:])


def micrograd_weights(model):
    """The weights of a micrograd MLP in the layout of ``random_weights``."""
    return [[([w.data for w in n.w], n.b.data) for n in layer.neurons] for layer in model.layers]


class GsNeuron:
    """micrograd's Neuron written with graphscope ops."""

    def __init__(self, w, b, nonlin):
        self.w = [gs.param(v) for v in w]
        self.b = gs.param(b)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class GsLayer:
    def __init__(self, neurons, nonlin):
        self.neurons = [GsNeuron(w, b, nonlin) for w, b in neurons]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class GsMLP:
    """micrograd's MLP written with graphscope ops (ReLU layers, linear output)."""

    def __init__(self, weights):
        last = len(weights) - 1
        self.layers = [GsLayer(layer, nonlin=i != last) for i, layer in enumerate(weights)]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


@dataclass
class Engine:
    """One engine's demo loop: ``loss()`` builds the graph, ``step()`` is one training step."""

    name: str
    model: object
    make_input: object  # float -> leaf node
    data: object  # node -> float
    set_data: object  # (param, float) -> None
    grad: object  # param -> float
    zero_grad: object  # model -> None
    children: object  # node -> its input nodes
    X: list
    y: list
    k: int = field(default=0)

    def loss(self):
        """The demo's loss: max-margin data loss plus L2 regularization (and the accuracy)."""
        inputs = [[self.make_input(a) for a in row] for row in self.X]
        scores = [self.model(x) for x in inputs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in self.model.parameters())
        total = data_loss + reg_loss
        accuracy = [(yi > 0) == (self.data(si) > 0) for yi, si in zip(self.y, scores)]
        return total, sum(accuracy) / len(accuracy)

    def step(self):
        """Forward, zero_grad, backward, SGD update; returns the loss before the update."""
        total, _ = self.loss()
        self.zero_grad(self.model)
        total.backward()
        lr = 1.0 - 0.9 * (self.k % 100) / 100
        for p in self.model.parameters():
            self.set_data(p, self.data(p) - lr * self.grad(p))
        self.k += 1
        return self.data(total)

    def run(self, steps):
        for _ in range(steps):
            self.step()


def micrograd_engine(Value, MLP, sizes, X, y):
    model = micrograd_model(MLP, sizes)

    def set_data(p, v):
        p.data = v

    return Engine("micrograd", model, Value, lambda n: n.data, set_data, lambda p: p.grad,
                  lambda m: m.zero_grad(), lambda n: n._prev, X, y)


def graphscope_engine(weights, X, y):
    def set_value(p, v):
        p.value = v

    def zero_grad(model):
        for p in model.parameters():
            p.zero_grad()

    return Engine("graphscope", GsMLP(weights), gs.tensor, lambda n: n.value, set_value, lambda p: p.grad,
                  zero_grad, lambda n: n.inputs, X, y)


# ---------------------------------------------------------------- measurements

def count_nodes(root, children):
    """Number of distinct nodes `root` depends on (itself included), found iteratively."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for c in children(stack.pop()):
            if id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
    return len(seen)


def graph_footprint(engine):
    """(nodes per step, GC-tracked objects per node, loss node) of one forward+backward, graph kept alive."""
    with gc_mode(False):
        before = tracked_objects()
        total, _ = engine.loss()
        total.backward()
        after = tracked_objects()
        nodes = count_nodes(total, engine.children)
    return nodes, (after - before) / nodes, total


def check_same_computation(mg, gsm):
    """Loss at the shared initial weights, gradients, and loss after one SGD step: both engines.

    Returns a dict of the differences; raises RuntimeError when they are not the same computation.
    """
    loss_mg, _ = mg.loss()
    loss_gs, _ = gsm.loss()
    mg.zero_grad(mg.model)
    gsm.zero_grad(gsm.model)
    loss_mg.backward()
    loss_gs.backward()
    grad_diff = max(abs(mg.grad(a) - gsm.grad(b)) for a, b in zip(mg.model.parameters(), gsm.model.parameters()))
    first = (mg.data(loss_mg), gsm.data(loss_gs))
    del loss_mg, loss_gs
    mg.step()
    gsm.step()
    second = (mg.data(mg.loss()[0]), gsm.data(gsm.loss()[0]))
    result = {
        "loss_micrograd": first[0], "loss_graphscope": first[1],
        "loss_diff": abs(first[0] - first[1]),
        "max_grad_diff": grad_diff,
        "loss_after_step_diff": abs(second[0] - second[1]),
    }
    scale = max(abs(first[0]), 1e-300)
    result["same"] = (result["loss_diff"] <= LOSS_TOLERANCE * scale
                      and result["loss_after_step_diff"] <= LOSS_TOLERANCE * max(abs(second[0]), 1e-300)
                      and grad_diff <= LOSS_TOLERANCE * max(1.0, scale))
    return result


def time_engine(engine, gc_on, config):
    """Seconds per step (Timing), the share of the time spent in garbage collection, collections.

    With the collector on, runs follow each other as in a training loop (a step
    pays for collecting what earlier steps left). With it off, an untimed
    ``gc.collect()`` before each run keeps the heap from growing without bound
    (micrograd leaves every step's graph behind as cyclic garbage).
    """
    with gc_mode(gc_on):
        engine.step()  # warm-up
        with GCClock() as clock:
            timing = per_run(lambda: engine.run(config.steps_per_run), repeat=config.repeat, warmup=0,
                             setup=None if gc_on else lambda: clock.uncounted(gc.collect))
    steps = config.steps_per_run
    per_step = type(timing)(tuple(r / steps for r in timing.runs))
    total = sum(timing.runs)
    return per_step, (clock.seconds / total if total > 0 else 0.0), clock.collections


# ---------------------------------------------------------------- report

def main(quick=False):
    """Run the benchmark and print its figures; returns them as a dict."""
    config = QUICK if quick else FULL
    heading("Scalar path: micrograd's demo step (graphscope vs micrograd 0.1.0)")
    X, y = make_moons(config.points)
    sizes = config.sizes
    n_params = sum((nin + 1) * nout for nin, nout in zip(sizes[:-1], sizes[1:]))
    print(f"workload: MLP {'-'.join(map(str, sizes))} ({n_params} parameters) on {config.points} moons points,")
    print(f"          max-margin loss + {ALPHA:g} * L2; one step = forward + zero_grad + backward + SGD update")
    print(f"timing:   median of {config.repeat} runs of {config.steps_per_run} consecutive step(s) "
          f"after one warm-up step;\n          GC off: an untimed gc.collect() between runs")
    if quick:
        print("quick mode: tiny sizes, the figures are not meaningful")
    print()

    results = {"config": config, "engines": {}}
    engines = []
    mg_api = load_micrograd()
    if mg_api is None:
        print("micrograd is not installed: its columns are skipped (pip install micrograd==0.1.0); "
              "graphscope uses micrograd's init scheme with the same seed.")
        print()
        weights = random_weights(sizes)
        check = None
    else:
        Value, MLP = mg_api
        mg = micrograd_engine(Value, MLP, sizes, X, y)
        weights = micrograd_weights(mg.model)
        gsm = graphscope_engine(weights, X, y)
        check = check_same_computation(mg, gsm)
        results["check"] = check
        print("same computation check (graphscope starts from a copy of micrograd's initial weights):")
        print(f"  loss at initial weights: micrograd {check['loss_micrograd']:.17g}, "
              f"graphscope {check['loss_graphscope']:.17g}, |difference| {check['loss_diff']:.3g}")
        print(f"  max |gradient difference| over {n_params} parameters: {check['max_grad_diff']:.3g}")
        print(f"  |loss difference| after one SGD step: {check['loss_after_step_diff']:.3g}")
        print(f"  -> {'same computation' if check['same'] else 'MISMATCH: the engines compute different things'}")
        print()
        if not check["same"]:
            raise RuntimeError("graphscope and micrograd disagree on the loss or gradients; "
                               "timing them would compare different computations")
        engines.append(micrograd_engine(Value, MLP, sizes, X, y))
    engines.append(graphscope_engine(weights, X, y))

    table = Table(["engine", "GC", "s/step (median)", "best", "in GC", "collections/step",
                   "nodes/step", "tracked objects/node"])
    for engine in engines:
        nodes, per_node, loss_node = graph_footprint(engine)
        if engine.name == "graphscope":
            note = recording_note(loss_node)
            results["recording"] = note
            print(note)
            print()
        del loss_node
        for gc_on in (True, False):
            timing, gc_share, collections = time_engine(engine, gc_on, config)
            key = f"{engine.name} gc {'on' if gc_on else 'off'}"
            results["engines"][key] = {"seconds": timing.median, "best": timing.best, "gc_share": gc_share,
                                       "nodes": nodes, "tracked_per_node": per_node}
            steps = config.steps_per_run * config.repeat
            table.add(engine.name, "on" if gc_on else "off", fmt_seconds(timing.median), fmt_seconds(timing.best),
                      f"{100 * gc_share:.0f}%", f"{collections / steps:.1f}", f"{nodes:,}", f"{per_node:.2f}")
            del timing
        gc.collect()
    table.print()
    print()

    def sec(key):
        entry = results["engines"].get(key)
        return None if entry is None else entry["seconds"]

    def best(key):
        entry = results["engines"].get(key)
        return None if entry is None else entry["best"]

    ratios = [
        ("graphscope / micrograd, both GC on", "graphscope gc on", "micrograd gc on", TARGET_VS_GC_ON),
        ("graphscope GC on / micrograd GC off", "graphscope gc on", "micrograd gc off", TARGET_VS_GC_OFF),
        ("graphscope / micrograd, both GC off", "graphscope gc off", "micrograd gc off", TARGET_VS_GC_OFF),
    ]
    rt = Table(["ratio of seconds per step", "of medians", "of best runs"])
    results["ratios"] = {}
    results["ratios_best"] = {}
    for label, a, b, target in ratios:
        r = ratio(sec(a), sec(b))
        r_best = ratio(best(a), best(b))
        results["ratios"][label] = r
        results["ratios_best"][label] = r_best
        if r is None:
            rt.add(label, "n/a (micrograd not installed)", "n/a")
        else:
            rt.add(label, ratio_cell(r, target), ratio_cell(r_best, target))
    rt.print()
    sys.stdout.flush()
    return results


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])
