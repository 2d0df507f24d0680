"""The trainer's plan steps for ops that accept ``out=``: each writes into arrays of its own, the same batch after batch.

An op that declares ``accepts_out`` (graphscope.engine.optable) writes its value
or a gradient into the array it is given, with the numbers it would have made
in a new one. ``forward_into(node)`` and ``vjp_into(node, needs)`` are the
plan's steps for such a node: the first pass (and any pass whose inputs'
shapes or dtypes differ from the last one's: the short last batch) runs as
usual and keeps the arrays it made (not a view, nor the upstream gradient
passed on); from then on the node's value, and each contribution its VJP
makes, goes into the array kept for it. No fresh
arrays of a layer's size per batch (a 784 x 512 weight's gradient is 1.6 MB),
nothing for the allocator to hand back and take again.

An array is written into again only when nothing but the step (and the node's
own value slot, about to be overwritten) holds it. A value or a gradient that
a user, a callback, the layer statistics, the optimizer's last step, a
checkpoint or a copy of the last pass still holds, or a view of it (a view
holds its base), is a reference to it: the step leaves that array to them and
makes a new one, which it reuses from then on. The count is Python's own
reference count, so it sees every holder in the process; it is read in the
thread that trains, and the graph is the trainer's alone while fit() runs (the
TUI reads it between batches, from the trainer's thread).
"""
import sys

import numpy as np

from ..engine.backward import _made_as_needed
from ..engine.values import normalize

_refcount = sys.getrefcount
_ND = np.ndarray


def _references_of_a_kept_array():
    """What ``_refcount`` reads, inside a step, for an array only the step keeps (its cell, the call's argument)."""
    kept = np.empty(0)

    def count():
        return _refcount(kept)
    return count()


_ALONE = _references_of_a_kept_array()


def forward_into(node, forward=None):
    """A function recomputing `node`'s value into an array kept for it (`node`: one or two inputs, an op whose
    forward accepts ``out=``); None for any other number of inputs. `forward`: what to call instead of the op's
    (the same function with a save: graphscope.train.saves)."""
    op, inputs = node.op_def, node.inputs
    forward = forward or op.forward
    buf = sig = None  # the array kept, and the inputs' (shapes, dtypes) it was made for

    def learn(value, *values):
        """After a pass without `out`: keep `value` to write the next ones into, when it is an array of its own."""
        nonlocal buf, sig
        if _own(value) and value.ndim and all(v.__class__ is _ND for v in values):
            buf, sig = value, _signature(values)
        else:
            buf = sig = None

    if len(inputs) == 1:
        (a,) = inputs

        def run():
            nonlocal buf
            av = a._value
            if buf is not None and av.__class__ is _ND and (av.shape, av.dtype) == sig:
                if _refcount(buf) > _ALONE + (node._value is buf):
                    buf = np.empty(buf.shape, buf.dtype)  # the last one is held: left to its holder
                node._value = forward(av, out=buf, **node.attrs)
                return
            learn(_set(node, forward(av, **node.attrs)), av)
    elif len(inputs) == 2:
        a, b = inputs

        def run():
            nonlocal buf
            av, bv = a._value, b._value
            if (buf is not None and av.__class__ is _ND and bv.__class__ is _ND
                    and (av.shape, av.dtype, bv.shape, bv.dtype) == sig):
                if _refcount(buf) > _ALONE + (node._value is buf):
                    buf = np.empty(buf.shape, buf.dtype)
                node._value = forward(av, bv, out=buf, **node.attrs)
                return
            learn(_set(node, forward(av, bv, **node.attrs)), av, bv)
    else:
        return None
    return run


def vjp_into(node, needs, vjp=None):
    """``g -> contributions``, as ``bound_vjp(node, needs)`` gives them, each written into an array kept for its
    input (`node`: one or two inputs, an op whose VJP accepts ``out=``); a contribution the VJP passes on as it
    is (add's upstream gradient) is left so. None for any other number of inputs. `vjp`: what to call instead
    of the op's (the same function with a save)."""
    op, inputs = node.op_def, node.inputs
    vjp = vjp or op.vjp
    first = second = sig = None  # the arrays kept per input (None: none), and the (shapes, dtypes) they fit
    learned = False

    def learn(grads, g, *values):
        nonlocal first, second, sig, learned
        if g.__class__ is _ND and all(v.__class__ is _ND for v in values):
            made = [gi if gi is not g and _own(gi) else None for gi in grads]
            first, second = made + [None] * (2 - len(made))
            sig, learned = _signature((g, *values)), True
        else:
            first = second = sig = None
            learned = False

    if len(inputs) == 1:
        (a,) = inputs

        def contributions(g):
            nonlocal first
            av = a._value
            if (learned and g.__class__ is _ND and av.__class__ is _ND
                    and (g.shape, g.dtype, av.shape, av.dtype) == sig):
                if first is not None and _refcount(first) > _ALONE:
                    first = np.empty(first.shape, first.dtype)
                return _made_as_needed(vjp(g, av, value=node._value, out=(first,), **node.attrs), needs)
            grads = _made_as_needed(vjp(g, av, value=node._value, **node.attrs), needs)
            learn(grads, g, av)
            return grads
    elif len(inputs) == 2:
        a, b = inputs

        def contributions(g):
            nonlocal first, second
            av, bv = a._value, b._value
            if (learned and g.__class__ is _ND and av.__class__ is _ND and bv.__class__ is _ND
                    and (g.shape, g.dtype, av.shape, av.dtype, bv.shape, bv.dtype) == sig):
                if first is not None and _refcount(first) > _ALONE:
                    first = np.empty(first.shape, first.dtype)
                if second is not None and _refcount(second) > _ALONE:
                    second = np.empty(second.shape, second.dtype)
                return _made_as_needed(vjp(g, av, bv, value=node._value, out=(first, second), **node.attrs), needs)
            grads = _made_as_needed(vjp(g, av, bv, value=node._value, **node.attrs), needs)
            learn(grads, g, av, bv)
            return grads
    else:
        return None
    return contributions


def _own(a):
    """Whether `a` is an array of its own, to write into once nobody holds it (never a view: writing into one would
    change the array it views)."""
    return a.__class__ is _ND and a.base is None and a.flags.writeable


def _signature(values):
    """The shapes and dtypes of some arrays, as the steps compare them."""
    sig = ()
    for v in values:
        sig += (v.shape, v.dtype)
    return sig


def _set(node, raw):
    """Give `node` the value `raw` as graph.run would (normalized), and return it."""
    value = node._value = normalize(raw)
    return value
