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

There is one backward walk, ``backward_steps``: ``backward()`` drains it,
the stepper's recording turns its steps into events, and the non-finite
search re-reads a finished pass with it. Every VJP runs through ``call_vjp``.
"""
from collections import deque

import numpy as np

from .errors import BackwardError, GraphscopeError, VJPError, describe_shapes
from .hooks import BACKWARD_HOOKS
from .optable import shape_of
from .vjp_faults import describe_roles, explain, read_only
from . import source as _source
from .staleness import CLOCK as _CLOCK, LATEST, leaf_uses, refuse_stale


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
    if root.op_def is not None:
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
                    if inp.op_def is not None:
                        inp.grad = None
    return [seen[i] for i in sorted(seen, reverse=True)]


def _gradient_order_and_first_leaf_use(root):
    """_gradient_order(root), and the lowest id of an op node on the way that uses a leaf requiring a gradient
    (None: none does), found in the same walk: when that node was recorded after the last change of any leaf,
    no value can be stale (staleness.refuse_stale is not needed). A second function rather than a flag, so the
    common walk (no leaf ever changed) pays nothing."""
    if root.op_def is not None:
        root.grad = None
    seen = {root.id: root}
    stack = [root]
    push = stack.append
    low = None
    while stack:
        node = stack.pop()
        for inp in node.inputs:
            if inp.requires_grad:
                if inp.op_def is None and (low is None or node.id < low):
                    low = node.id
                i = inp.id
                if i not in seen:
                    seen[i] = inp
                    push(inp)
                    if inp.op_def is not None:
                        inp.grad = None
    return [seen[i] for i in sorted(seen, reverse=True)], low


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
    problem = _not_real(g)
    if problem:
        raise BackwardError(f"backward(): the upstream gradient for {root.name} must be real numbers, got {problem}"
                            f"\n  at {_source.caller_location()}")
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


def backward(root, grad=None, order=None, uses=None):
    """Fill ``.grad`` of every node `root` depends on that needs one. See the module doc.

    numpy warns of nothing on the way: a gradient that is not finite is named, with the node that made it, by
    ``graph.find_nonfinite()`` or ``gs.detect_anomaly()``."""
    if not root.requires_grad:
        raise BackwardError(f"backward() on {root.name}: nothing it depends on requires a gradient "
                            f"(make parameters with gs.param(...) or tensor(..., requires_grad=True))"
                            f"\n  at {_source.caller_location()}")
    seed = seed_gradient(root, grad)
    if order is None:
        if _CLOCK[0]:  # a leaf changed since the process started: no value may predate its change
            order, low = _gradient_order_and_first_leaf_use(root)
            if low is not None and low < LATEST[0]:  # a leaf's user recorded before the last change
                refuse_stale(leaf_uses(order), root)
        else:
            order = _gradient_order(root)
    else:
        if _CLOCK[0]:
            refuse_stale(leaf_uses(order) if uses is None else uses, root)
        clear_gradients(order)
        order = order[::-1]
    accumulate(root, seed)
    with np.errstate(all="ignore"):  # a NaN or inf is named by find_nonfinite()/detect_anomaly(), not by numpy
        _drain(backward_steps(order))


_drain = deque(maxlen=0).extend


def clear_gradients(nodes):
    """Forget the op nodes' gradients (they are recomputed from scratch); leaves keep theirs (they accumulate)."""
    for node in nodes:
        if node.op_def is not None:
            node.grad = None


def backward_steps(order, accumulate_grads=True, totals=False):
    """The backward walk: one step per node of `order` (outputs first) that holds an upstream gradient.

    Yields ``(node, upstream, contributions, after)``: the node's gradient,
    its VJP's contribution to each input (``()`` for a leaf; only inputs that
    require a gradient receive theirs) and, with ``totals=True``, each
    input's gradient right after its own contribution was added (None where
    none; an input used twice, as in ``x * x``, shows both stages), else None.
    With ``accumulate_grads`` (what ``backward()`` and the stepper's
    recording do) the contributions are added to the inputs' gradients, after
    the backward observers saw them, before the step is yielded. Without it
    nothing changes: each node's upstream is the gradient it already holds
    (the non-finite origin search re-reads a finished backward pass this way).
    """
    hooks = BACKWARD_HOOKS
    for node in order:
        g = node.grad
        if g is None:
            continue
        fn = node.op_def
        if fn is None:
            yield node, g, (), None
            continue
        inputs = node.inputs
        if (accumulate_grads and not totals and g.__class__ is float and fn.scalar_vjp is not None
                and node._value.__class__ is float and not node.attrs and not hooks):
            # the scalar path's lane: every input is a float here, no broadcasting to undo, no shapes to check
            if len(inputs) == 2:
                a, b = inputs
                grads = fn.scalar_vjp(g, a._value, b._value, node._value)
                if a.requires_grad:
                    old = a.grad
                    a.grad = grads[0] if old is None else old + grads[0]
                if b.requires_grad:
                    old = b.grad
                    b.grad = grads[1] if old is None else old + grads[1]
                yield node, g, grads, None
                continue
            if len(inputs) == 1:
                a = inputs[0]
                grads = fn.scalar_vjp(g, a._value, node._value)
                if a.requires_grad:
                    old = a.grad
                    a.grad = grads[0] if old is None else old + grads[0]
                yield node, g, grads, None
                continue
        try:
            grads = input_gradients(node, g)
            # every contribution is checked before any is added: a step whose VJP fails changes nothing
            fitted = [fitted_gradient(inp, gi, node) if gi is not None and inp.requires_grad else None
                      for inp, gi in zip(inputs, grads)] if accumulate_grads else None
        except BackwardError as exc:
            if exc.node is None:
                exc.node = node
            fn = vjp_function(node.op_def) if exc.location is None else None
            if fn is not None:
                exc.location = f"{fn.__code__.co_filename}:{fn.__code__.co_firstlineno}"
                exc.detail = f"in {fn.__name__}"
            raise
        after = [None] * len(inputs) if totals else None
        if accumulate_grads:
            if hooks:
                for hook in hooks:
                    hook(node, g, grads)
            for slot, (inp, gi) in enumerate(zip(inputs, fitted)):
                if gi is not None:
                    old = inp.grad
                    inp.grad = gi if old is None else old + gi
                    if totals:
                        after[slot] = inp.grad
        yield node, g, grads, after


def call_vjp(op, g, vals, value, attrs, node=None, needs=None):
    """``op.vjp`` on raw values: one contribution per input, the one way every caller runs a VJP.

    On Python floats (and no attributes) the op's ``scalar_vjp`` answers when it has one, so an
    op's ``vjp`` never needs a branch for floats of its own.

    A VJP may give a zero-argument function instead of a contribution that costs real work
    (matmul's ``G @ B^T``); it is called here only for the inputs ``needs`` marks (all of them
    when ``needs`` is None), and the others get None, so nobody pays for a gradient nobody reads.

    When the VJP raises (a bug in a custom op's VJP, say), a VJPError names
    the op, the shapes, the line of the VJP that failed and, given one, the node.
    """
    roles = None
    if op.handle is not None:  # a custom op's VJP gets read-only views: it cannot change the recorded arrays
        g, value, vals = read_only(g), read_only(value), [read_only(v) for v in vals]
        roles = describe_roles(g, vals, value)
    try:
        if attrs:
            grads = op.vjp(g, *vals, value=value, **attrs)
        elif (op.scalar_vjp is not None and g.__class__ is float and value.__class__ is float
                and all([v.__class__ is float for v in vals])):
            return op.scalar_vjp(g, *vals, value)
        else:
            grads = op.vjp(g, *vals, value=value)
        if roles is not None:  # a gradient that is one of the read-only views (`return (g,)`) becomes an array of its own
            return tuple([np.array(gi) if gi.__class__ is np.ndarray and not gi.flags.writeable else gi
                          for gi in _made_as_needed(grads, needs)])
        return _made_as_needed(grads, needs)
    except GraphscopeError:
        raise
    except Exception as exc:
        location, detail = (_source.user_code_frames(exc.__traceback__) or [(None, "")])[-1]
        found = explain(exc, exc.__traceback__, roles or {}) if roles is not None else None
        line = "" if location is None else f", line {location.rsplit(':', 1)[-1]}"
        if found is not None and found[0]:  # a write into a read-only array
            short = f"VJP {found[0]}{line}"
            lines = [f"{op.name}: the VJP {found[0]}: {found[1]}"]
        elif found is not None:  # numpy's shape error, told in the VJP's own operands
            short = f"VJP raised {type(exc).__name__}{line}"
            lines = [f"{op.name}: the VJP raised {type(exc).__name__}: {found[1]}", f"  (numpy: {exc})"]
        else:
            short = f"VJP raised {type(exc).__name__}{line}"
            lines = [f"{op.name}: the VJP raised {type(exc).__name__}: {exc}"]
        if location is not None:
            lines.append(f"  at {_source.display_location(location)} {detail}")
        lines.append(f"  upstream: {describe_shapes([g])}; inputs: {describe_shapes(vals)}")
        if node is not None:
            lines.append(f"  node {node.name} made at {_source.display_location(node.source)}")
        error = VJPError("\n".join(lines), exc, location, detail)
        error.short = short
        error.node = node
        raise error from None


def bound_vjp(node, needs, vjp=None):
    """``g -> contributions``: what ``call_vjp(op, g, <inputs' values now>, <node's value now>, <node's attrs
    now>, node, needs)`` returns, with what call_vjp settles at every call settled once, for callers that run
    the same node's VJP thousands of times (the trainer's plan). An error is raised as it comes: such a
    caller falls back to the general walk, whose call_vjp words the message. `vjp` (a built-in op's only):
    what to call instead of ``op.vjp``, with its arguments (the plan's, handing the op what its forward saved)."""
    op, inputs = node.op_def, node.inputs
    if op.handle is not None or (op.scalar_vjp is not None and node._value.__class__ is float):
        # a custom op's VJP always runs through call_vjp, which gives it read-only arrays
        return lambda g: call_vjp(op, g, [i._value for i in inputs], node._value, node.attrs, node, needs)
    vjp = vjp or op.vjp
    if len(inputs) == 1:
        (a,) = inputs

        def raw(g):
            return vjp(g, a._value, value=node._value, **node.attrs)
    elif len(inputs) == 2:
        a, b = inputs

        def raw(g):
            return vjp(g, a._value, b._value, value=node._value, **node.attrs)
    else:
        def raw(g):
            return vjp(g, *[i._value for i in inputs], value=node._value, **node.attrs)

    def contributions(g):
        return _made_as_needed(raw(g), needs)
    return contributions


def _made_as_needed(grads, needs):
    """A VJP's contributions with each deferred product (a zero-argument function) made for an input that
    `needs` marks (every input when None) and None for the others."""
    for gi in grads:
        if callable(gi):
            return tuple([(gi() if needs is None or needs[k] else None) if callable(gi) else gi
                          for k, gi in enumerate(grads)])
    return grads


def input_gradients(node, g, needs=None):
    """The recorded node's VJP: one contribution per input (see ``call_vjp``); by default the inputs
    that require a gradient."""
    inputs = node.inputs
    if needs is None:
        needs = [i.requires_grad for i in inputs]
    return call_vjp(node.op_def, g, [i._value for i in inputs], node._value, node.attrs, node, needs)


def _not_real(g):
    """None when g is real numbers (a float, an int, a real array); else what it is instead."""
    if g.__class__ is float:
        return None
    try:
        kind = np.asarray(g).dtype.kind
    except Exception:  # a ragged list, an object numpy cannot take
        kind = "O"
    if kind in "fiub":
        return None
    if kind == "c":
        return f"complex values ({np.asarray(g).dtype}): graphscope's gradients are real"
    return f"{type(g).__name__} {g!r}"[:120] if kind in "OUS" and np.ndim(g) == 0 else f"an array of dtype {np.asarray(g).dtype}"


def accumulate(node, g, via=None):
    """node.grad += g, with g brought to node's value type (float for the scalar path)."""
    g = fitted_gradient(node, g, via)
    old = node.grad
    node.grad = g if old is None else old + g


def fitted_gradient(node, g, via=None):
    """`g` as a gradient of `node` (its shape, its value's type and dtype); a BackwardError naming `via` (the node
    whose VJP returned it) and that VJP's function when it is not one."""
    v = node._value
    if g.__class__ is not float and (g.__class__ is not np.ndarray or g.dtype.kind not in "fiub"):
        problem = _not_real(g)
        if problem:
            op = via.op_def.name if via is not None else "backward"
            raise _vjp_result_error(f"{op}: the VJP returned {problem} as the gradient of input {node.name}", via)
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
    return g


def _bad_vjp(via, node, g):
    op = via.op_def.name if via is not None else "backward"
    return _vjp_result_error(f"{op}: the VJP returned a gradient of shape {np.shape(g)} for input {node.name} "
                             f"of shape {shape_of(node._value)}", via)


def _vjp_result_error(summary, via):
    """The BackwardError of a VJP that returned something that is not a gradient: the user's VJP function (a
    custom op's) and the node."""
    error = BackwardError(summary)
    if via is None:
        return error
    lines = [summary]
    fn = vjp_function(via.op_def)
    if fn is not None:
        code = fn.__code__
        error.location = f"{code.co_filename}:{code.co_firstlineno}"
        error.detail = f"in {fn.__name__} (the VJP that returned it)"
        lines.append(f"  at {_source.display_location(error.location)} {error.detail}")
    lines.append(f"  node {via.name} made at {_source.display_location(via.source)}")
    error.args = ("\n".join(lines),)
    error.node = via
    return error


def vjp_source(op):
    """(name, 'file:line') of the function that computes `op`'s VJP: a custom op's VJP function, a built-in op's
    ``vjp`` method; None when it cannot be found (a callable without code, an op without a vjp)."""
    fn = getattr(getattr(op, "handle", None), "_vjp", None) or getattr(type(op), "vjp", None)
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    return fn.__qualname__, f"{code.co_filename}:{code.co_firstlineno}"


def vjp_function(op):
    """The user's function behind a custom op's VJP (None for a built-in op, whose VJP is graphscope's)."""
    handle = getattr(op, "handle", None)
    fn = getattr(handle, "_vjp", None)
    return fn if getattr(fn, "__code__", None) is not None and not _source.is_internal(fn.__code__.co_filename) \
        else None
