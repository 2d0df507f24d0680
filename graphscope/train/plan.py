"""The recorded graph flattened for training: one forward list and one backward list, fixed before the first batch.

The trainer runs the same graph thousands of times, so it settles once what
the general walkers (``graph.run``, ``graph.backward``) decide at every call:
which nodes to recompute, which nodes need a gradient (those a parameter
depends on; the input's gradient is never computed), and which inputs of
each node get one (the ``needs`` with which ``call_vjp`` skips a product, such
as matmul's gradient for the input batch). Each step then calls the op
table's own ``forward`` and, through the engine's ``call_vjp``, its VJP: the
ops stay defined once, in the op table.

The ops that declare ``accepts_out`` (matmul, add, relu; softmax cross-entropy's
VJP) are handed an array to write into, the same one batch after batch
(graphscope.train.reuse): their value, and each gradient their VJP makes. The
arrays are the ones the node's first pass made (made again whenever its
inputs' shapes or dtypes change: the short last batch), and never one that
anybody but the graph's slot about to be overwritten still holds.

The ops that declare ``saves`` (softmax cross-entropy, batch norm) are handed a
dict their forward leaves work in for the VJP of the same pass (the loss's
log-probabilities: its VJP is then one exp; graphscope.train.saves), dropped
when a pass begins, fails or ends, and used only while the node holds the value
that forward made.

``backward(scale)`` starts the pass from `scale` instead of 1; the built-in
ops' VJPs are linear in the upstream gradient, so every gradient comes out
`scale` times the loss's: with plain SGD's -lr the parameters' gradients are
the steps (``unscale`` puts the loss's own gradients back). ``linear`` says
whether that holds: a custom op's VJP may not be linear (a clipping op).

Ops with a ``refresh(attrs, *inputs)`` hook (dropout's fresh mask, batch
norm's running averages) are refreshed before each pass, as ``graph.run``
does. Anything unusual falls back to the general path, which says what went
wrong in its usual words: an op that raises, or observers installed
(``detect_anomaly`` and other hooks see every node through ``graph.run``).
"""
import numpy as np

from ..engine.backward import accumulate, bound_vjp, seed_gradient
from ..engine.hooks import BACKWARD_HOOKS, FORWARD_HOOKS
from ..engine.staleness import CLOCK
from ..engine.values import normalize
from .reuse import forward_into, vjp_into
from .saves import Saves, saving_step


class Plan:
    """forward(): every op node recomputed in order; backward(): the VJPs that reach a parameter."""

    def __init__(self, graph, fed=(), reuse=True):
        """`fed`: the leaves the batches go into; they never get a gradient, whatever requires_grad says.
        `reuse`: hand the ops that accept ``out=`` arrays reused batch after batch (False: new arrays each time)."""
        self.graph = graph
        self.loss = graph.output
        ops = [n for n in graph.program if n.op_def is not None]
        #: the op nodes forward() recomputes
        self.computed = ops
        #: each saving node's Saves (ops that declare ``saves``: the forward leaves work for the VJP), by node id
        self.saves = {id(n): Saves(n) for n in ops if n.op_def.saves and n.op_def.handle is None} if reuse else {}
        self.forward_steps = [self._forward_step(n, reuse) for n in ops]  # guards included
        self.backward_steps = []
        skip = {id(leaf) for leaf in fed if leaf is not None}
        for n in reversed(graph.ops):
            if not n.requires_grad:
                continue
            needs = tuple(bool(i.requires_grad) and id(i) not in skip for i in n.inputs)
            targets = tuple((k, i) for k, (i, need) in enumerate(zip(n.inputs, needs)) if need)
            saves = self.saves.get(id(n))
            vjp = None if saves is None else saves.vjp
            into = (reuse and _writes_into(n.op_def, "vjp")  # (call_vjp's scalar lane answers a float's VJP)
                    and (n._value.__class__ is np.ndarray or n.op_def.scalar_vjp is None) and vjp_into(n, needs, vjp))
            self.backward_steps.append((n, into or bound_vjp(n, needs, vjp), targets, needs))
        self.grad_nodes = [step[0] for step in self.backward_steps]
        #: whether every VJP of the pass is one of graphscope's own ops', linear in its upstream gradient (tested
        #: against PyTorch), so that ``backward(scale)`` scales every gradient; a user's op (gs.custom_op, or a class
        #: registered from outside graphscope) may not be (a clipping op)
        self.linear = all(_graphscopes_own(n.op_def) for n in self.grad_nodes)
        seen = {}
        for step in self.backward_steps:
            for _, i in step[2]:
                if i.op_def is None:
                    seen[id(i)] = i
        self.grad_leaves = list(seen.values())  # leaves accumulate: put back as they were if a walk fails
        self._seed = None  # the loss's upstream gradient, made once per scale (read-only: nothing may change it)
        self._seed_scale = None

    def _forward_step(self, node, reuse):
        """The function recomputing `node` in a pass: into an array of its own when its op takes ``out=``, handing
        its op a dict to save work in for the VJP when it declares ``saves``."""
        saves = self.saves.get(id(node))
        forward = None if saves is None else saves.forward
        step = (reuse and _writes_into(node.op_def, "forward") and forward_into(node, forward)) or \
            _recompute(node, forward)
        return step if saves is None else saving_step(step, saves)

    def forget_saves(self):
        """Drop what the last pass's forwards saved for their VJPs (their arrays go with them)."""
        for saves in self.saves.values():
            saves.forget()

    @staticmethod
    def usable():
        """False while observers are installed: they must see every node through the general path."""
        return not FORWARD_HOOKS and not BACKWARD_HOOKS

    def forward(self):
        """Recompute every op node from the current leaf values; False when an op raised (use graph.run)."""
        try:
            for recompute in self.forward_steps:
                recompute()
        except Exception:
            self.forget_saves()  # the general path computes the batch again, its VJPs from their inputs
            return False
        clock = CLOCK[0]  # every value is as current as the parameters (graphscope.engine.staleness)
        for node in self.computed:
            node._computed = clock
        return True

    def backward(self, scale=1.0):
        """Gradients of the loss for every node that leads to a parameter; False when a VJP raised (the
        leaves' gradients are then as they were before).

        With `scale` c, every gradient computed is c times the loss's: the pass starts from c instead of
        1, and VJPs are linear in the upstream gradient (``unscale`` divides them back).
        """
        for n in self.grad_nodes:
            n.grad = None
        loss = self.loss
        loss.grad = self._seed_for(loss._value, scale)
        leaves = self.grad_leaves
        before = [leaf.grad for leaf in leaves]
        try:
            for node, contributions, targets, _ in self.backward_steps:
                g = node.grad
                if g is None:
                    continue
                grads = contributions(g)
                for k, inp in targets:
                    gi = grads[k]
                    if gi is not None:
                        v = inp._value
                        if (inp.grad is None and gi.__class__ is np.ndarray and v.__class__ is np.ndarray
                                and gi.dtype == v.dtype and gi.shape == v.shape):
                            inp.grad = gi  # what accumulate() would do, without its checks
                        else:
                            accumulate(inp, gi, node)
        except Exception:
            for leaf, grad in zip(leaves, before):  # the general path then adds each contribution once
                leaf.grad = grad
            return False
        finally:
            self.forget_saves()  # used once: the next pass saves its own
        return True

    def _seed_for(self, v, scale):
        """The loss's upstream gradient, `scale` shaped like the loss, made once per scale (read-only)."""
        seed = self._seed
        if seed is None or self._seed_scale != scale or seed.__class__ is not v.__class__ or (
                seed.__class__ is np.ndarray and (seed.dtype != v.dtype or seed.shape != v.shape)):
            seed = seed_gradient(self.loss, None)
            if seed.__class__ is np.ndarray:
                seed = np.full_like(seed, scale)
                seed.flags.writeable = False
            else:
                seed = float(seed * scale)
            self._seed, self._seed_scale = seed, scale
        return seed

    def forget_gradients(self):
        """Clear the gradients a backward pass left (nodes and parameters)."""
        for n in self.grad_nodes + self.grad_leaves:
            n.grad = None

    def unscale(self, scale, keep=()):
        """Divide by `scale` the gradients a ``backward(scale)`` left, back to the loss's own gradients.

        An array shared between nodes (an add passes its upstream gradient on as it is) is divided once. An
        array of the pass's own (owning its data, writeable, no other gradient a view of it: a parameter's
        matmul gradient) is divided in place, so no second copy of the parameters' size is made; any other
        (the read-only seed, a view, an array in `keep`: an optimizer's last steps) gets a new array.
        """
        inverse = 1.0 / scale
        nodes = self.grad_nodes + self.grad_leaves
        viewed = {id(n.grad.base) for n in nodes if n.grad.__class__ is np.ndarray and n.grad.base is not None}
        viewed.update(id(a) for a in keep)
        divided = {}
        for n in nodes:
            g = n.grad
            if g is None:
                continue
            key = id(g)
            if key not in divided:
                if g.__class__ is float:
                    divided[key] = g * inverse
                elif g.flags.owndata and g.flags.writeable and key not in viewed:
                    divided[key] = np.multiply(g, inverse, out=g)
                else:
                    divided[key] = np.multiply(g, inverse, dtype=g.dtype)
            n.grad = divided[key]

def _writes_into(op, method):
    """Whether `op`'s `method` ("forward" or "vjp") takes ``out=`` (a custom op's never does: it gets its own
    arrays, read-only views of the recorded ones)."""
    return op.handle is None and method in op.accepts_out


def _graphscopes_own(op):
    """Whether `op` is one of graphscope's built-in ops (not gs.custom_op's, nor a class registered elsewhere)."""
    return op.handle is None and type(op).__module__.startswith("graphscope.")


def _recompute(node, forward=None):
    """A function recomputing `node`'s value from its inputs' current values, as graph.run does (refresh first);
    `forward`: what to call instead of the op's (the same function with a save)."""
    op, inputs = node.op_def, node.inputs
    forward, refresh = forward or op.forward, op.refresh
    if refresh is not None:  # a fresh dropout mask, batch norm's running averages
        def run():
            values = [i._value for i in inputs]
            attrs = refresh(node.attrs, *values)
            if attrs is not None:
                node.attrs = attrs
            node._value = normalize(forward(*values, **node.attrs))
    elif len(inputs) == 1:
        (a,) = inputs

        def run():
            node._value = normalize(forward(a._value, **node.attrs))
    elif len(inputs) == 2:
        a, b = inputs

        def run():
            node._value = normalize(forward(a._value, b._value, **node.attrs))
    else:
        def run():
            node._value = normalize(forward(*[i._value for i in inputs], **node.attrs))
    return run
