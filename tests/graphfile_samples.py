"""Graphs for the graph-file tests: one of every kind of value a file holds.

``mixed_graph()`` has scalar nodes (0-d float64 values held as Python floats, a
0-d float32), n-d float64 and float32 arrays, integer and boolean attribute
arrays, slices, scopes, two outputs and gradients. ``tests/graphfiles/v1.gsgraph``
was written from it by graphscope's version-1 writer (one .npy member per
array), so the tests can check that files written before packing still load.
"""
import numpy as np

import graphscope as gs


def mixed_graph():
    """Two outputs: a scalar neuron's loss (float64) and a small float32 classifier's loss, both differentiated."""
    rng = np.random.default_rng(7)
    with gs.scope("neuron"):
        w = [gs.param(float(v), name=f"w{i}") for i, v in enumerate(rng.normal(size=3))]
        x = [gs.tensor(float(v), name=f"x{i}") for i, v in enumerate(rng.normal(size=3))]
        b = gs.param(0.25, name="b")
        act = b
        for wi, xi in zip(w, x):
            act = act + wi * xi
        neuron = gs.tanh(act).relu() * 2.0
    grid = gs.param(rng.normal(size=(2, 3, 4)), name="grid")
    picked = gs.reshape(grid, (6, 4))[np.array([0, 2, 5]), 1:]
    masked = gs.where(picked.value > 0, picked, picked * 0.5)
    scalar_loss = neuron + gs.sum(masked, axis=(0, 1)) + gs.sum(gs.tanh(grid)[..., ::2])
    scalar_loss.name = "scalar_loss"
    with gs.scope("classifier"):
        X = gs.tensor(rng.normal(size=(5, 4)).astype(np.float32), name="X")
        W = gs.param(rng.normal(size=(4, 3)).astype(np.float32), name="W")
        scores = X @ W
        scores.name = "scores"
    half = gs.tensor(np.float32(0.5), name="half")
    class_loss = gs.softmax_cross_entropy(scores, np.array([0, 2, 1, 1, 0])) * half
    class_loss.name = "class_loss"
    scalar_loss.backward()
    class_loss.backward()
    return gs.Graph([scalar_loss, class_loss])
