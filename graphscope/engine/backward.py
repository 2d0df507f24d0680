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

from .errors import BackwardError, GraphscopeError, VJPError, describe_shapes
from .hooks import BACKWARD_HOOKS
from .optable import shape_of
from . import source as _source


def topo_order(roots):
    """Every node the roots depend on, inputs before outputs (creation order: sorted by id)."""
    if not isinstance(roots, (list, tuple)):
        roots = (roots,)
    seen = {r.id: r for r in roots}
    stack = list(roots)
    push = stack.append
    while stack:
        for inp in stack.pop().inputs:
            i = inp.id
            if i not in seen:
                seen[i] = inp
                push(inp)
    return [seen[i] for i in sorted(seen)]


def _gradient_order(root):
    """The nodes backward must visit (those requiring a gradient), outputs first; their old grads cleared."""
    if root.fn is not None:
        root.grad = None
    seen = {root.id: root}
    stack = [root]
    push = stack.append
    while stack:
        for inp in stack.pop().inputs:
            if inp.requires_grad:
                i = inp.id
                if i not in seen:
                    seen[i] = inp
                    push(inp)
                    if inp.fn is not None:
                        inp.grad = None
    return [seen[i] for i in sorted(seen, reverse=True)]


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
            raise BackwardError(f"backward(): upstream gradient of shape {np.shape(g)} for scalar {root.name} "
                                f"(it must have one element)\n  at {_source.caller_location()}")
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
    seed = seed_gradient(root, grad)
    if order is None:
        order = _gradient_order(root)
    else:
        for node in order:
            if node.fn is not None:
                node.grad = None
        order = order[::-1]
    accumulate(root, seed)
    hooks = BACKWARD_HOOKS
    # run_vjp, inlined with a lane for the scalar path: this loop runs once per node
    for node in order:
        fn = node.fn
        if fn is None:
            continue
        g = node.grad
        if g is None:
            continue
        inputs = node.inputs
        if (g.__class__ is float and fn.scalar_vjp is not None and node._value.__class__ is float
                and not node.attrs and not hooks):
            # every input is a float here: no broadcasting to undo, no shapes to check
            if len(inputs) == 2:
                a, b = inputs
                ga, gb = fn.scalar_vjp(g, a._value, b._value, node._value)
                if a.requires_grad:
                    old = a.grad
                    a.grad = ga if old is None else old + ga
                if b.requires_grad:
                    old = b.grad
                    b.grad = gb if old is None else old + gb
                continue
            if len(inputs) == 1:
                a = inputs[0]
                if a.requires_grad:
                    ga = fn.scalar_vjp(g, a._value, node._value)[0]
                    old = a.grad
                    a.grad = ga if old is None else old + ga
                continue
        run_vjp(node, g)


def input_gradients(node, g, all_inputs=False):
    """The node's VJP: one contribution per input (None where an input needs none, unless all_inputs).

    When the op's VJP raises (a bug in a custom op's VJP, say), a VJPError
    names the op, the node, the shapes and the line of the VJP that failed.
    """
    fn = node.fn
    inputs = node.inputs
    vals = [i._value for i in inputs]
    try:
        if fn.wants_needs:
            needs = (True,) * len(inputs) if all_inputs else tuple(i.requires_grad for i in inputs)
            return fn.vjp(g, *vals, value=node._value, needs=needs, **node.attrs)
        if node.attrs:
            return fn.vjp(g, *vals, value=node._value, **node.attrs)
        return fn.vjp(g, *vals, value=node._value)
    except GraphscopeError:
        raise
    except Exception as exc:
        raise _vjp_failed(node, g, vals, exc) from None


def _vjp_failed(node, g, vals, exc):
    """A VJPError for `exc` raised by the VJP of `node` (a recorded node, or a check's stand-in for one)."""
    where = _source.user_code_lines(exc.__traceback__)
    name = getattr(node, "name", None)
    lines = [f"{node.fn.name}: the VJP raised {type(exc).__name__}: {exc}"]
    lines += [f"  at {line}" for line in where[-1:]]
    lines.append(f"  upstream: {describe_shapes([g])}; inputs: {describe_shapes(vals)}")
    if name is not None:
        lines.append(f"  node {name} made at {node.source}")
    return VJPError("\n".join(lines), exc)


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
        if g.dtype != v.dtype:  # a float32 input mixed with float64 gets a float32 gradient, as in PyTorch
            g = g.astype(v.dtype)
    old = node.grad
    node.grad = g if old is None else old + g


def _bad_vjp(via, node, g):
    op = via.fn.name if via is not None else "backward"
    return BackwardError(f"{op}: the VJP returned a gradient of shape {np.shape(g)} for input {node.name} "
                         f"of shape {shape_of(node._value)}"
                         + (f"\n  node {via.name} made at {via.source}" if via is not None else ""))
