"""Graph files: saving and loading a 133,000-node scalar MLP, packed (format 2) against format 1 and numpy alone.

Two graphs, each differentiated first so that every value and gradient is saved:

- **scalar MLP**: the stepper benchmark's micrograd-style MLP 2-16-16-1 on
  Python floats, summed over input points until it has 133,000 nodes
  (266,000 arrays: a value per node, a gradient per node that has one);
- **array MLP**: a 784-512-256-10 ReLU net on a float32 batch of 128 with a
  softmax loss (a few dozen nodes, 1.9 MB of arrays).

Each is saved and loaded in four ways, in the same run:

- **format 2** (``graph.save``, ``gs.load_graph``): arrays packed by dtype and
  shape, ``[group, row]`` references; structure, validation and all;
- **format 1** (``graph.save(path, version=1)``): one ``.npy`` member per
  array, as graphscope wrote graph files before packing (still loaded);
- **numpy, one member per array** (baseline): ``np.savez`` of the same
  values and gradients, one member each, and ``np.load`` of every member;
- **numpy, packed** (baseline): ``np.savez`` of the same arrays stacked by
  dtype and shape, and ``np.load`` of them: the bytes alone, no structure;
- **json alone** (baseline): ``json.dumps`` and ``json.loads`` of the format-2
  file's ``graph.json``: the structure alone, no arrays, no validation, no nodes.

Loaded graphs are checked against the saved one (every value and gradient)
before anything is timed. Figures: median seconds (of 3 runs on the scalar
graph, where format 1 and numpy one member per array run once: they take
half a minute; of 9 runs on the array graph), microseconds per node, file size. Target: format 2 saves and loads the
133,000-node scalar graph in under 3 s each.
"""
import json
import os
import shutil
import tempfile
import zipfile

import numpy as np

import graphscope as gs

from .bench_stepper import mlp_graph
from .common import Table, fmt_seconds, heading, per_run, ratio, ratio_cell

SCALAR_NODES = 133_000
QUICK_SCALAR_NODES = 2_000
ARRAY_SIZES = (784, 512, 256, 10)
QUICK_ARRAY_SIZES = (64, 32, 16, 10)
BATCH, QUICK_BATCH = 128, 8
#: Seconds format 2 may take to save, and to load, the 133,000-node scalar graph.
TARGET_SECONDS = 3.0


# ---------------------------------------------------------------- the graphs

def scalar_mlp(nodes):
    graph = mlp_graph(nodes)
    graph.backward()
    return graph


def array_mlp(sizes, batch, seed=0):
    """A ReLU MLP on a float32 batch with a softmax loss, differentiated."""
    rng = np.random.default_rng(seed)
    h = gs.tensor(rng.normal(size=(batch, sizes[0])).astype(np.float32), name="x")
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        W = gs.param((rng.normal(size=(fan_in, fan_out)) * np.sqrt(2 / fan_in)).astype(np.float32), name=f"W{i}")
        b = gs.param(np.zeros(fan_out, np.float32), name=f"b{i}")
        h = h @ W + b
        if i < len(sizes) - 2:
            h = gs.relu(h)
    loss = gs.softmax_cross_entropy(h, rng.integers(0, sizes[-1], size=batch))
    loss.backward()
    return loss.graph()


def saved_arrays(graph):
    """Every value and gradient a graph file holds, in node order (attribute arrays are a few at most)."""
    arrays = []
    for n in graph.nodes:
        arrays.append(np.asarray(n.value))
        if n.grad is not None:
            arrays.append(np.asarray(n.grad))
    return arrays


# ---------------------------------------------------------------- the four ways

def numpy_each(arrays, path):
    np.savez(path, **{f"a{i}": a for i, a in enumerate(arrays)})


def numpy_each_load(path):
    with np.load(path, allow_pickle=False) as npz:
        return [npz[k] for k in npz.files]


def numpy_packed(arrays, path):
    groups = {}
    for a in arrays:
        groups.setdefault((a.dtype, a.shape), []).append(a)
    np.savez(path, **{f"g{k}": np.stack(rows) for k, rows in enumerate(groups.values())})


def numpy_packed_load(path):
    with np.load(path, allow_pickle=False) as npz:
        return [npz[k] for k in npz.files]


def check_loaded(graph, loaded, what):
    """Refuse to time a load that does not give back the saved values and gradients."""
    if len(loaded.nodes) != len(graph.nodes):
        raise RuntimeError(f"{what}: loaded {len(loaded.nodes)} nodes, saved {len(graph.nodes)}")
    for a, b in zip(graph.nodes, loaded.nodes):
        same = (type(a.value) is type(b.value) and np.array_equal(a.value, b.value)
                and (a.grad is None) == (b.grad is None) and (a.grad is None or np.array_equal(a.grad, b.grad)))
        if not same:
            raise RuntimeError(f"{what}: node {a.name} did not come back as it was saved; timing it would "
                               f"measure something else than a round trip")


def measure(graph, folder, slow_repeat, repeat):
    """{way: (save Timing, load Timing, file bytes)} for one graph."""
    arrays = saved_arrays(graph)
    results = {}

    def graphscope_way(label, version, runs):
        path = os.path.join(folder, f"v{version}.gsgraph")
        graph.save(path, version=version)
        check_loaded(graph, gs.load_graph(path), label)
        save = per_run(lambda: graph.save(path, version=version), repeat=runs, warmup=0)
        load = per_run(lambda: gs.load_graph(path), repeat=runs, warmup=0)
        results[label] = (save, load, os.path.getsize(path))

    def numpy_way(label, write, read, runs):
        path = os.path.join(folder, label.split(",")[-1].strip().replace(" ", "_") + ".npz")
        save = per_run(lambda: write(arrays, path), repeat=runs, warmup=0)
        load = per_run(lambda: read(path), repeat=runs, warmup=0)
        results[label] = (save, load, os.path.getsize(path))

    graphscope_way("graphscope, format 2 (packed)", 2, repeat)
    graphscope_way("graphscope, format 1 (one array a member)", 1, slow_repeat)
    numpy_way("numpy alone, one member per array", numpy_each, numpy_each_load, slow_repeat)
    numpy_way("numpy alone, packed by dtype and shape", numpy_packed, numpy_packed_load, repeat)
    with zipfile.ZipFile(os.path.join(folder, "v2.gsgraph")) as z:
        text = z.read("graph.json").decode("utf-8")
    doc = json.loads(text)
    results["json alone, graph.json's structure"] = (per_run(lambda: json.dumps(doc), repeat=repeat, warmup=0),
                                                      per_run(lambda: json.loads(text), repeat=repeat, warmup=0),
                                                      len(text.encode("utf-8")))
    return results, len(arrays)


# ---------------------------------------------------------------- report

def report(title, graph, results, n_arrays):
    n = len(graph.nodes)
    print(f"{title}: {n:,} nodes, {n_arrays:,} arrays (values and gradients)")
    table = Table(["way", "save", "load", "save/node", "load/node", "file"])
    for label, (save, load, size) in results.items():
        table.add(label, fmt_seconds(save.median), fmt_seconds(load.median), f"{save.median / n * 1e6:.1f} us",
                  f"{load.median / n * 1e6:.1f} us", f"{size / 1e6:.1f} MB")
    table.print()
    new, old, each, packed, structure = (results[k] for k in results)
    ratios = Table(["format 2 against", "save", "load"])
    for label, other in (("format 1", old), ("numpy, one member per array", each), ("numpy, packed", packed),
                         ("json alone", structure)):
        ratios.add(label, ratio_cell(ratio(new[0].median, other[0].median)),
                   ratio_cell(ratio(new[1].median, other[1].median)))
    ratios.print()
    print()
    return {"nodes": n, "arrays": n_arrays,
            "ways": {label: {"save": s.median, "load": l.median, "bytes": size}
                     for label, (s, l, size) in results.items()}}


def main(quick=False):
    """Run the benchmark and print its tables; returns the figures as a dict."""
    heading("Graph files: save and load, packed (format 2) against format 1 and numpy alone")
    repeat, slow_repeat = (2, 1) if quick else (3, 1)
    if quick:
        print("quick mode: tiny sizes, the figures are not meaningful")
    print("check: every loaded graph gives back each saved value and gradient before it is timed")
    print()
    folder = tempfile.mkdtemp(prefix="bench-graphfile-")
    figures = {}
    try:
        scalar = scalar_mlp(QUICK_SCALAR_NODES if quick else SCALAR_NODES)
        results, n_arrays = measure(scalar, folder, slow_repeat, repeat)
        figures["scalar"] = report("scalar MLP 2-16-16-1 on Python floats", scalar, results, n_arrays)
        del scalar, results
        sizes, batch = (QUICK_ARRAY_SIZES, QUICK_BATCH) if quick else (ARRAY_SIZES, BATCH)
        arrays = array_mlp(sizes, batch)
        results, n_arrays = measure(arrays, folder, 3 * repeat, 3 * repeat)  # milliseconds each: more runs
        figures["array"] = report(f"array MLP {'-'.join(map(str, sizes))}, float32, batch {batch}", arrays,
                                  results, n_arrays)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    packed = figures["scalar"]["ways"]["graphscope, format 2 (packed)"]
    met = None if quick else packed["save"] < TARGET_SECONDS and packed["load"] < TARGET_SECONDS
    verdict = "not judged at quick sizes" if met is None else "met" if met else "MISSED"
    print(f"target: format 2 saves and loads the {SCALAR_NODES:,}-node scalar graph in under {TARGET_SECONDS:g} s "
          f"each: save {fmt_seconds(packed['save'])}, load {fmt_seconds(packed['load'])} ({verdict})")
    figures["target_met"] = met
    return figures


if __name__ == "__main__":
    import sys
    main(quick="--quick" in sys.argv[1:])
