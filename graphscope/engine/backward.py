"""Reverse-mode differentiation over the recorded graph: iterative, no recursion limit.

Semantics of repeated calls (as in PyTorch, minus the freeing):

- every intermediate node's ``.grad`` is recomputed from scratch by each
  ``backward()``; calling it twice gives the same intermediate gradients;
- a leaf that requires a gradient (a parameter or an input with
  ``requires_grad=True``) *accumulates*: each ``backward()`` adds to its
  ``.grad`` until ``zero_grad()`` (or ``graph.zero_grad()``) clears it;
- nodes the output does not depend on, and nodes that need no gradient,
  keep ``grad = None`` ("not computed"), never a zero that looks computed.

The graph is never freed, so backward can run any number of times.
"""
import numpy as np

from .errors import BackwardError
from .hooks import BACKWARD_HOOKS
from .optable import shape_of
from . import source as _source


def topo_order(roots):
    """Every node the roots depend on, inputs before outputs (creation order: sorted by id)."""
    if not isinstance(roots, (list, tuple)):
        roots = (roots,)
    seen = set(roots)
    stack = list(roots)
    push = stack.append
    add = seen.add
    while stack:
        for inp in stack.pop().inputs:
            if inp not in seen:
                add(inp)
                push(inp)
    return sorted(seen, key=_node_id)


def _node_id(node):
    return node.id


def seed_gradient(root, grad):
    """The upstream gradient to start from: 1 for a one-element output, else the user's."""
    v = root._value
    if grad is None:
        if v.__class__ is float:
            return 1.0
        if v.size != 1:
            raise BackwardError(
                f"backward() on {root.name} (shape {v.shape}) needs an upstream gradient of that shape: "
                f"call .backward(grad) or reduce it to a scalar first (e.g. .sum())\n"
                f"  at {_source.caller_location()}")
        return np.ones_like(v)
    g = grad._value if hasattr(grad, "_value") else grad
    if v.__class__ is float:
        if np.size(g) != 1:
            raise BackwardError(f"backward(): upstream gradient of shape {np.shape(g)} for scalar {root.name}")
        return float(np.asarray(g).reshape(()))
    g = np.asarray(g, dtype=v.dtype)
    if g.shape != v.shape:
        raise BackwardError(f"backward(): upstream gradient has shape {g.shape} but {root.name} has shape {v.shape}"
                            f"\n  at {_source.caller_location()}")
    return g


def backward(root, grad=None, order=None):
    """Fill ``.grad`` of every node `root` depends on that needs one. See the module doc."""
    if not root.requires_grad:
        raise BackwardError(f"backward() on {root.name}: nothing it depends on requires a gradient "
                            f"(make parameters with gs.param(...) or tensor(..., requires_grad=True))"
                            f"\n  at {_source.caller_location()}")
    if order is None:
        order = topo_order(root)
    seed = seed_gradient(root, grad)
    for node in order:
        if node.fn is not None:
            node.grad = None
    accumulate(root, seed)
    hooks = BACKWARD_HOOKS
    # run_vjp, inlined for the scalar path's sake: this loop runs once per node
    for node in reversed(order):
        fn = node.fn
        if fn is None:
            continue
        g = node.grad
        if g is None:
            continue
        inputs = node.inputs
        if fn.wants_needs:
            grads = input_gradients(node, g)
        elif len(inputs) == 2:
            grads = fn.vjp(g, inputs[0]._value, inputs[1]._value, value=node._value, **node.attrs)
        else:
            grads = fn.vjp(g, *[i._value for i in inputs], value=node._value, **node.attrs)
        if hooks:
            for hook in hooks:
                hook(node, g, grads)
        for inp, gi in zip(inputs, grads):
            if gi is None or not inp.requires_grad:
                continue
            if gi.__class__ is float and inp._value.__class__ is float:
                old = inp.grad
                inp.grad = gi if old is None else old + gi
            else:
                accumulate(inp, gi, node)


def input_gradients(node, g, all_inputs=False):
    """The node's VJP: one contribution per input (None where an input needs none, unless all_inputs)."""
    fn = node.fn
    inputs = node.inputs
    vals = [i._value for i in inputs]
    if fn.wants_needs:
        needs = (True,) * len(inputs) if all_inputs else tuple(i.requires_grad for i in inputs)
        return fn.vjp(g, *vals, value=node._value, needs=needs, **node.attrs)
    return fn.vjp(g, *vals, value=node._value, **node.attrs)


def run_vjp(node, g):
    """Apply the local rule at one node: add (dnode/dinput)^T g to each input's gradient."""
    grads = input_gradients(node, g)
    if BACKWARD_HOOKS:
        for hook in BACKWARD_HOOKS:
            hook(node, g, grads)
    for inp, gi in zip(node.inputs, grads):
        if gi is not None and inp.requires_grad:
            accumulate(inp, gi, node)


def accumulate(node, g, via=None):
    """node.grad += g, with g brought to node's value type (float for the scalar path)."""
    v = node._value
    if v.__class__ is float:
        if g.__class__ is not float:
            if np.size(g) != 1:
                raise _bad_vjp(via, node, g)
            g = float(np.asarray(g).reshape(()))
    else:
        if g.__class__ is not np.ndarray:
            g = np.asarray(g, dtype=v.dtype)
        if g.shape != v.shape:
            raise _bad_vjp(via, node, g)
    old = node.grad
    node.grad = g if old is None else old + g


def _bad_vjp(via, node, g):
    op = via.fn.name if via is not None else "backward"
    return BackwardError(f"{op}: the VJP returned a gradient of shape {np.shape(g)} for input {node.name} "
                         f"of shape {shape_of(node._value)}"
                         + (f"\n  node {via.name} made at {via.source}" if via is not None else ""))
