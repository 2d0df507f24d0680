"""How each op of the op table becomes ONNX nodes: one row per op name, in one place.

A row is a function ``emit(b, node, *inputs, **attrs) -> output name`` that
adds ONNX nodes through the builder `b` (see ``graphscope.interop.onnx``):
`inputs` are the ONNX names of the node's inputs, already cast to the
node's element type, and `attrs` are the node's recorded attributes. An op
that has no ONNX form is listed as ``Unsupported(reason)``, so the exporter
names it and the node using it. ``tests/test_onnx.py`` walks the op table:
an op with neither fails it.

Losses export as their value (labels are fixed, stored as initializers, or
with a free batch size a model input of shape (batch,)); batch norm and
dropout export in test mode (running averages; dropout is the identity).
"""
from dataclasses import dataclass

import numpy as np

from .onnxbatch import batch_inferred


@dataclass(frozen=True)
class Unsupported:
    """An op with no ONNX mapping, and why."""

    reason: str


def _same(onnx_op):
    """A row for an op that is one ONNX op with the same inputs."""
    def emit(b, node, *inputs):
        return b.op(onnx_op, list(inputs), node)
    return emit


def _pow(b, node, x, exponent):
    return b.op("Pow", [x, b.const(node, "exponent", np.asarray(exponent, dtype=node.dtype))], node)


def _leaky_relu(b, node, x, alpha):
    positive = b.op("Greater", [x, b.const(node, "zero", np.zeros((), node.dtype))], node, "positive")
    return b.op("Where", [positive, x, b.op("Mul", [alpha, x], node, "scaled")], node)


def _clip(b, node, x, lo, hi):
    bounds = [("" if v is None else b.const(node, what, np.asarray(v, dtype=node.dtype)))
              for v, what in ((lo, "lo"), (hi, "hi"))]
    while bounds and bounds[-1] == "":
        bounds.pop()
    return b.op("Clip", [x] + bounds, node)


def _where(b, node, cond, a, c):
    return b.op("Where", [b.cast(cond, node.inputs[0], bool, node), a, c], node)


def _compare(onnx_op, negate=False):
    """A comparison: both inputs in numpy's common type, then the ONNX comparison (Not of it for !=)."""
    def emit(b, node, *xs):
        common = np.result_type(*(i.dtype for i in node.inputs))
        xs = [b.cast(x, i, common, node) for x, i in zip(xs, node.inputs)]
        if negate:
            return b.op("Not", [b.op(onnx_op, xs, node, "same")], node)
        return b.op(onnx_op, xs, node)
    return emit


def _logical(onnx_op):
    """Logic on masks: numbers are cast to booleans first (nonzero is true), as numpy does."""
    def emit(b, node, *xs):
        return b.op(onnx_op, [b.cast(x, i, bool, node) for x, i in zip(xs, node.inputs)], node)
    return emit


def _isfinite(b, node, x):
    nan, inf = b.op("IsNaN", [x], node, "nan"), b.op("IsInf", [x], node, "inf")
    return b.op("Not", [b.op("Or", [nan, inf], node, "not_finite")], node)


def _reduce(onnx_op):
    def emit(b, node, x, axis=None, keepdims=False):
        axes = None if axis is None else (axis,) if np.ndim(axis) == 0 else tuple(axis)
        if b.ndim(node.inputs[0]) == 0 or axes == ():  # numpy reduces nothing; ONNX would reduce everything
            return b.op("Identity", [x], node)
        inputs = [x]
        if axes is not None:
            inputs.append(b.const(node, "axes", np.asarray(axes, dtype=np.int64).reshape(-1)))
        return b.op(onnx_op, inputs, node, keepdims=int(bool(keepdims)))
    return emit


def _along_axis(onnx_op):
    def emit(b, node, x, axis=-1):
        return b.op(onnx_op, [x], node, axis=int(axis))
    return emit


def _batch_of(b, node, scores, labels):
    """Scores as (N, C) (a single example gets N = 1) and the name of the labels as int64 (N, 1): an initializer
    holding the recorded labels, or when the scores carry a free batch size a model input of shape (batch,)."""
    if b.carries(node.inputs[0]):
        given = b.batch_input(node, "labels", np.int64)
        return scores, b.op("Unsqueeze", [given, b.const(node, "class_axis", np.array([1], np.int64))], node,
                            "labels_column")
    labels = np.asarray(labels, dtype=np.int64).reshape(-1, 1)
    if b.ndim(node.inputs[0]) == 1:
        scores = b.op("Unsqueeze", [scores, b.const(node, "batch_axis", np.array([0], np.int64))], node, "batch")
    return scores, b.const(node, "labels", labels)


def _softmax_cross_entropy(b, node, scores, labels):
    scores, labels = _batch_of(b, node, scores, labels)
    log_p = b.op("LogSoftmax", [scores], node, "log_p", axis=1)
    picked = b.op("GatherElements", [log_p, labels], node, "picked", axis=1)
    return b.op("Neg", [b.op("ReduceMean", [picked], node, "mean", keepdims=0)], node)


def _svm_loss(b, node, scores, labels):
    """sum over the wrong classes of max(0, s_j - s_y + 1), averaged over the examples (any batch size)."""
    scores, labels = _batch_of(b, node, scores, labels)
    classes = node.inputs[0].shape[-1]
    correct = b.op("GatherElements", [scores, labels], node, "correct", axis=1)
    one = b.const(node, "one", np.ones((), node.dtype))
    margins = b.op("Relu", [b.op("Add", [b.op("Sub", [scores, correct], node, "diff"), one], node, "shifted")],
                   node, "margins")
    is_label = b.op("Equal", [labels, b.const(node, "classes", np.arange(classes, dtype=np.int64))], node, "is_label")
    others = b.op("Cast", [b.op("Not", [is_label], node, "is_other")], node, "other_classes",
                  to=b.element_type(node.dtype))
    kept = b.op("Mul", [margins, others], node, "kept")
    per_example = b.op("ReduceSum", [kept, b.const(node, "class_axis", np.array([1], np.int64))], node,
                       "per_example", keepdims=0)
    return b.op("ReduceMean", [per_example], node, keepdims=0)


def _l2(b, node, w):
    if b.ndim(node.inputs[0]) == 0:
        return b.op("Mul", [w, w], node)
    return b.op("ReduceSumSquare", [w], node, keepdims=0)


def _reshape(b, node, x, *sources, shape, kept=(), sized=()):
    if sized:  # an entry read from another tensor's shape: the new shape is computed as the model runs
        return _reshape_to_sizes(b, node, (x, *sources), kept, sized)
    if batch_inferred(node):  # x.reshape(-1, 18): the first axis inferred, as the batch size of the run
        return b.op("Reshape", [x, b.const(node, "shape", np.asarray([-1, *node.shape[1:]], dtype=np.int64))], node,
                    allowzero=0)
    shape = list(node.shape)  # the recorded result: no -1 to infer, and a 0 means an empty axis
    same_place = [position for position, axis in kept if position == axis]
    if same_place and all(shape):  # an entry read from x's own shape at its own place: ONNX's 0 copies it
        for position in same_place:
            shape[position] = 0
        return b.op("Reshape", [x, b.const(node, "shape", np.asarray(shape, dtype=np.int64))], node, allowzero=0)
    return b.op("Reshape", [x, b.const(node, "shape", np.asarray(shape, dtype=np.int64).reshape(-1))], node,
                allowzero=1)


def _reshape_to_sizes(b, node, inputs, kept, sized):
    """Reshape to the recorded result's shape, with the entries read from shapes (x's own, `kept`, and other
    inputs', `sized`) taken from those inputs as the model runs: Shape -> Gather, joined by Concat."""
    read = {position: (0, axis) for position, axis in kept}
    read.update({position: (source, axis) for position, source, axis in sized})
    parts = []
    for position, extent in enumerate(node.shape):
        if position in read:
            source, axis = read[position]
            shape = b.op("Shape", [inputs[source]], node, f"shape{position}")
            parts.append(b.op("Gather", [shape, b.const(node, f"axis{position}", np.array([int(axis)], np.int64))],
                              node, f"size{position}", axis=0))
        else:
            parts.append(b.const(node, f"extent{position}", np.array([int(extent)], np.int64)))
    shape = b.op("Concat", parts, node, "shape", axis=0)
    return b.op("Reshape", [inputs[0], shape], node, allowzero=1)


def _transpose(b, node, x, axes=None):
    ndim = b.ndim(node.inputs[0])
    if ndim == 0:
        return b.op("Identity", [x], node)
    perm = list(reversed(range(ndim))) if axes is None else [int(a) % ndim for a in axes]
    return b.op("Transpose", [x], node, perm=perm)


def _getitem(b, node, x, *parts, index, slots=()):
    """Any numpy index (slices, integers, arrays, masks, None): a Gather of fixed flat positions."""
    if parts:
        raise ValueError("its index holds a recorded tensor (a mask such as x[x > 0], or labels), whose positions "
                         "are computed while the graph runs; ONNX export takes fixed indices (use gs.where for "
                         "a mask)")
    shape = tuple(node.inputs[0].shape)
    positions = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64).reshape(shape)[index]
    flat = b.op("Reshape", [x, b.const(node, "flat", np.array([-1], np.int64))], node, "flat")
    return b.op("Gather", [flat, b.const(node, "positions", np.asarray(positions, dtype=np.int64))], node, axis=0)


def _concat(b, node, *xs, axis=0):
    return b.op("Concat", list(xs), node, axis=int(axis))


def _stack(b, node, *xs, axis=0):
    axes = b.const(node, "axis", np.array([int(axis)], np.int64))
    parts = [b.op("Unsqueeze", [x, axes], node, f"part{k}") for k, x in enumerate(xs)]
    return b.op("Concat", parts, node, axis=int(axis) % (b.ndim(node.inputs[0]) + 1))


def _batch_norm(b, node, x, gamma, beta, eps=1e-5, running_mean=None, running_var=None, **mode):
    """Batch norm at test time: BatchNormalization with the running averages as initializers."""
    dtype = np.dtype(node.inputs[0].dtype)
    mean = b.const(node, "running_mean", np.asarray(running_mean, dtype=dtype))
    var = b.const(node, "running_var", np.asarray(running_var, dtype=dtype))
    return b.op("BatchNormalization", [x, gamma, beta, mean, var], node, epsilon=float(eps))


def _dim(b, node, x, axis):
    """x.shape[axis] read from the input as the model runs: Shape -> Gather -> Cast (a free batch size too)."""
    shape = b.op("Shape", [x], node, "shape")
    size = b.op("Gather", [shape, b.const(node, "axis", np.asarray(int(axis), np.int64))], node, "size", axis=0)
    return b.op("Cast", [size], node, to=b.element_type(node.dtype))


def _first_input(b, node, x, *rest, **attrs):
    return b.op("Identity", [x], node)


#: Op name -> emit function, or Unsupported(reason).
ONNX_OPS = {
    "add": _same("Add"), "sub": _same("Sub"), "mul": _same("Mul"), "div": _same("Div"),
    "pow": _pow, "neg": _same("Neg"), "exp": _same("Exp"), "log": _same("Log"), "sqrt": _same("Sqrt"),
    "abs": _same("Abs"), "tanh": _same("Tanh"), "sigmoid": _same("Sigmoid"), "relu": _same("Relu"),
    "leaky_relu": _leaky_relu, "clip": _clip, "where": _where,
    "matmul": _same("MatMul"),
    "sum": _reduce("ReduceSum"), "mean": _reduce("ReduceMean"), "max": _reduce("ReduceMax"), "min": _reduce("ReduceMin"),
    "softmax": _along_axis("Softmax"), "log_softmax": _along_axis("LogSoftmax"),
    "softmax_cross_entropy": _softmax_cross_entropy, "svm_loss": _svm_loss, "l2": _l2,
    "reshape": _reshape, "transpose": _transpose, "getitem": _getitem, "concat": _concat, "stack": _stack,
    # batch norm and dropout export in eval mode (running averages; dropout passes its input through)
    "batch_norm": _batch_norm, "dropout": _first_input,
    "equal": _compare("Equal"), "not_equal": _compare("Equal", negate=True), "less": _compare("Less"),
    "less_equal": _compare("LessOrEqual"), "greater": _compare("Greater"),
    "greater_equal": _compare("GreaterOrEqual"), "isnan": _same("IsNaN"), "isfinite": _isfinite,
    "logical_and": _logical("And"), "logical_or": _logical("Or"), "logical_not": _logical("Not"),
    "dim": _dim,
    "unchanged": Unsupported("a guard of a number read from a tensor while the graph was recorded, never a node "
                             "of the computation"),
    "any": Unsupported("a boolean reduction; export (mask * 1.0).max(axis) > 0 instead"),
    "all": Unsupported("a boolean reduction; export (mask * 1.0).mean(axis) == 1 instead"),
}
