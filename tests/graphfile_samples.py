"""Graphs for the graph-file tests (one of every kind of value a file holds), and a comparison of two graphs.

``mixed_graph()``: scalars (0-d float64 as Python floats, a 0-d float32), n-d float64 and float32 arrays, integer
and boolean attribute arrays, slices, scopes, two outputs, gradients. ``graphfiles/v1.gsgraph`` was written from
it by the version-1 writer (one .npy member per array; keep the lines of mixed_graph where they are)."""
import os
import re

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


def same_attr(a, b):
    """Attribute equality that compares arrays by dtype and content and NaN equal to NaN."""
    if isinstance(a, np.ndarray) or isinstance(a, np.generic):
        return type(a) is type(b) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same_attr(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_attr(a[k], b[k]) for k in a)
    if isinstance(a, float) and a != a:
        return isinstance(b, float) and b != b
    return type(a) is type(b) and a == b


def assert_same_graph(g1, g2, same_session=True):
    """Node by node: names, ops, roles, scopes, sources, edges, values and gradients (type, dtype, content), attrs.

    Graphs built in different sessions (a file written long ago against a graph built now) differ in the ids
    inside automatic names ('mul_8') and in the folder of the source files: `same_session=False` compares names
    without that id and sources by file name and line.
    """
    assert len(g1) == len(g2)
    for a, b in zip(g1.nodes, g2.nodes):
        assert (_name(a, same_session), a.op, a.role, a.scope, _source(a, same_session), a.requires_grad) == \
               (_name(b, same_session), b.op, b.role, b.scope, _source(b, same_session), b.requires_grad)
        assert [g1.position(i) for i in a.inputs] == [g2.position(i) for i in b.inputs]
        assert type(a.value) is type(b.value) and a.dtype == b.dtype
        np.testing.assert_array_equal(a.value, b.value)
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            assert type(a.grad) is type(b.grad)
            np.testing.assert_array_equal(a.grad, b.grad)
        assert a.attrs.keys() == b.attrs.keys()
        assert all(same_attr(a.attrs[k], b.attrs[k]) for k in a.attrs), (a.name, a.attrs, b.attrs)


def _name(node, same_session):
    return node.name if same_session else re.sub(r"_\d+$", "", node.name)


def _source(node, same_session):
    if same_session or node._code is None:
        return node.source
    return f"{os.path.basename(node._code.co_filename)}:{node._line}"
