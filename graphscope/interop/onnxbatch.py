"""Which values carry the batch axis, for an ONNX model whose batch size is free (``dynamic_batch=True``).

The graph's inputs (its non-parameter leaves) must share their first axis,
the batch. A node carries the batch on its first axis when an input does and
its op treats each example on its own (element-wise ops, ``x @ W``, softmax
over the classes, batch norm, dropout, reductions that keep axis 0); a loss
or a reduction over axis 0 ends it. An op that fixes the recorded batch size
(a reshape to (128, 784), where ``x.reshape(-1, 784)`` of 784 numbers an
example keeps it free; an index, a concatenation, ``x.T @ x``) stops the
export with one message naming the node; so does a constant the size of the
batch that came from reading it (``y.shape[0] - 1``, ``len(y)``, ``for row in
x``: the guards of ``graphscope.engine.reads``). ``y.shape[0]`` used as it
is with tensors is a ``dim`` node, read from the input as the model runs.
"""
import numpy as np

from ..engine.errors import GraphscopeError
from ..engine.source import display_location

#: Ops that treat each example on its own: an input's batch axis is the output's.
ROWWISE = frozenset(("add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "tanh", "sigmoid",
                     "relu", "leaky_relu", "clip", "batch_norm", "dropout"))
#: Ops whose result sums or averages over the batch (the losses take their labels as a model input).
OVER_THE_BATCH = frozenset(("softmax_cross_entropy", "svm_loss", "l2"))
#: The symbolic name of the batch axis in the model's inputs and outputs.
BATCH_AXIS = "batch"


class DynamicBatchError(GraphscopeError):
    """A graph whose ops fix the batch size it was recorded with."""


def batch_carriers(graph):
    """The ids of the nodes whose first axis is the batch (the inputs' first axis), or a DynamicBatchError."""
    inputs = [n for n in graph.leaves if n.role == "input"]
    batched = [n for n in inputs if len(n.shape) >= 1]
    if not batched:
        raise DynamicBatchError("dynamic batch: the graph has no input with a batch axis (its inputs are the leaves "
                                "that are not parameters or constants)")
    sizes = {n.shape[0] for n in batched}
    if len(sizes) > 1:
        listed = ", ".join(f"{n.name} {tuple(n.shape)}" for n in batched)
        raise DynamicBatchError(f"dynamic batch: the inputs' first axes differ ({listed}); the batch axis is the "
                                f"first axis of every input")
    carriers = {n.id for n in batched}
    _refuse_frozen_batch(graph, carriers)  # read from an input's batch axis: said before the nodes it made
    for node in graph.ops:
        carried = [i for i in node.inputs if i.id in carriers]
        if not carried:
            continue
        problem = _problem(node, carried, carriers)
        if problem:
            raise DynamicBatchError(f"dynamic batch: node {node.name} (op {node.op}, made at "
                                    f"{display_location(node.source)}) {problem}; export with the recorded batch "
                                    f"size (without dynamic batch), or export a graph without it")
        if _keeps_batch(node):
            carriers.add(node.id)
    _refuse_frozen_batch(graph, carriers)
    return carriers


def _refuse_frozen_batch(graph, carriers):
    for guard in graph.guards:
        problem = _frozen_batch(guard, carriers)
        if problem:
            raise DynamicBatchError(f"dynamic batch: {problem}; export with the recorded batch size (without "
                                    f"dynamic batch), or export a graph without it")


def _frozen_batch(guard, carriers):
    """Why a guard of a number read from a tensor fixes the batch size (its first axis, as a plain number), or
    None."""
    attrs = guard.attrs
    if guard.op != "unchanged" or attrs.get("kind") not in ("size", "rows") or attrs.get("axis") != 0:
        return None
    if not guard.inputs or guard.inputs[0].id not in carriers:
        return None
    if attrs["kind"] == "rows":
        return (f"{attrs['read']} at {attrs['at']} recorded one step per row of the batch "
                f"({attrs['recorded']} rows)")
    return (f"{attrs['read']} was read as {attrs['recorded']} at {attrs['at']} and went into the graph as a "
            f"plain number (a constant the size of the batch); a size used as it is with tensors "
            f"(gs.sum(y) / y.shape[0]) exports")


def _problem(node, carried, carriers):
    """Why `node` (one of whose inputs carries the batch) fixes the batch size, or None."""
    ndim = len(node.shape)
    op, attrs = node.op, node.attrs
    if op in ROWWISE:
        if any(len(i.shape) != ndim for i in carried):
            return "broadcasts the batch axis into another axis"
        fixed = [i for i in node.inputs if i.id not in carriers and len(i.shape) == ndim and ndim and i.shape[0] > 1]
        if fixed:
            return f"combines it with {fixed[0].name} {tuple(fixed[0].shape)}, whose first axis is the recorded batch"
        return None
    if op == "matmul":
        first, second = node.inputs
        if first.id not in carriers or second.id in carriers or len(first.shape) < 2:
            return "multiplies along the batch axis (only x @ W, x of shape (batch, ...), keeps examples apart)"
        return None
    if op in ("softmax", "log_softmax"):
        return "normalizes over the batch axis" if int(attrs.get("axis", -1)) % ndim == 0 else None
    if op in ("sum", "mean", "max", "min", "dim"):  # dim: x.shape[k] read as the model runs
        return None
    if op in ("softmax_cross_entropy", "svm_loss"):
        return None if len(node.inputs[0].shape) == 2 else "takes a single example's scores"
    if op == "l2":
        return None
    if op == "reshape":  # x.reshape(x.shape[0], -1), h.reshape(n, -1) with n = x.shape[0], x.reshape(-1, 18)
        kept = (0, 0) in tuple(map(tuple, attrs.get("kept", ())))
        sized = any(tuple(s)[0::2] == (0, 0) and node.inputs[s[1]].id in carriers for s in attrs.get("sized", ()))
        if kept or sized or batch_inferred(node):
            return None
        if tuple(attrs.get("shape", ()))[:1] == (-1,):
            return (f"infers its first axis ({node.shape[0]}) from {carried[0].shape[0]} examples of "
                    f"{tuple(carried[0].shape[1:])}, not one row an example (x.reshape(-1, "
                    f"{int(np.prod(carried[0].shape[1:], dtype=np.int64))}) would keep the batch)")
        return "fixes the batch size it was recorded with"
    if op == "transpose":
        axes = attrs.get("axes")
        first = (ndim - 1) if axes is None else int(axes[0]) % ndim
        return None if first == 0 else "moves the batch axis"
    return "fixes the batch size it was recorded with"


def batch_inferred(node):
    """True for a reshape whose -1 is the batch axis: ``x.reshape(-1, 18)`` of an x of 18 numbers an example
    (the other entries fixed, the examples' sizes unchanged), so the first axis is x's, whatever its size."""
    shape = tuple(node.attrs.get("shape", ()))
    x = node.inputs[0]
    return (len(shape) >= 1 and shape[0] == -1 and len(x.shape) >= 1 and all(d > 0 for d in node.shape[1:])
            and int(np.prod(x.shape[1:], dtype=np.int64)) == int(np.prod(node.shape[1:], dtype=np.int64)))


def _keeps_batch(node):
    """True when `node`'s first axis is still the batch (reductions over axis 0 and the losses end it)."""
    if node.op in OVER_THE_BATCH or not node.shape:
        return False
    if node.op in ("sum", "mean", "max", "min"):
        axis = node.attrs.get("axis")
        if axis is None:
            return False
        axes = [int(a) % len(node.inputs[0].shape) for a in np.atleast_1d(axis)]
        return 0 not in axes
    return True
