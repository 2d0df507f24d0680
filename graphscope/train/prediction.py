"""Predictions on new examples from a trained graph: the class scores, in eval mode, without disturbing it.

    scores = trainer.predict(x_new)                   # after fit
    scores = gs.train.predict(loss, x_new)            # a graph loaded with gs.train.checkpoint.load_weights

The training graph ends at the loss, whose labels hold the batch it was recorded (or last trained) on, so
``graph.run({x: x_new})`` refuses another number of examples. Prediction runs the part of the graph that ends
at the class scores (the node named ``scores``, else the classification loss's input), batch norm on its running
averages and dropout off, in chunks of `batch_size` rows; afterwards every node holds what it held before
(values, gradients, training or eval mode), so training, ``layer_stats`` and a later export see the graph as it was.
"""
import numpy as np

from ..engine.errors import GraphscopeError
from ..engine.graph import Graph
from ..engine.values import is_tensor
from ..engine.staleness import put_back, stamps
from .feeds import LABELLED_OPS, _find_input, _lookup, _named_leaf
from .settings import VAL_CHUNK


def predict(model, x, batch_size=VAL_CHUNK, *, scores=None, x_node=None):
    """The class scores (N, C) of the examples `x` (N rows shaped as the graph's input rows) by the graph of
    `model` (the loss tensor, or its Graph), in eval mode. `scores` and `x_node` name (or are) the scores node
    and the input leaf when the graph does not say (see graphscope.train.feeds)."""
    graph = _graph_of(model)
    scores_node = _scores_node(graph, scores)
    label_leaf = _named_leaf(graph, ("y", "Y"))
    input_leaf = _lookup(graph, x_node, "x") if x_node is not None else _find_input(graph, label_leaf)
    batch_size = _batch_size(batch_size)
    x = _examples(x, input_leaf)
    part = Graph(scores_node)
    if input_leaf not in part:
        raise GraphscopeError(f"predict: the scores {scores_node.name} do not depend on the input {input_leaf.name}; "
                              f"pass x_node=<the input leaf> or scores=<the node of the class scores>")
    kept = [(n, n._value, n.grad, n.attrs) for n in graph.nodes]  # a pass replaces them, it never writes into them
    dates = stamps(graph.nodes)  # the values put back are as current as they were (engine.staleness)
    try:
        _set_eval_mode(part)
        rows = []
        for i in range(0, len(x), batch_size):
            part.run({input_leaf: x[i:i + batch_size]})
            rows.append(np.array(scores_node.value, copy=True))
        return np.concatenate(rows) if len(rows) > 1 else rows[0]
    finally:
        for n, value, grad, attrs in kept:
            n._value, n.grad, n.attrs = value, grad, attrs
        put_back(dates)


def _graph_of(model):
    if isinstance(model, Graph):
        return model
    if is_tensor(model):
        return model.graph()
    raise GraphscopeError(f"predict: model must be the loss tensor (what build() returns) or its graph, got "
                          f"{type(model).__name__}" + (": pass the tensor it made, net(x), or the loss"
                                                       if callable(model) else ""))


def _scores_node(graph, scores):
    """The node of the class scores: `scores` when given, else the node named 'scores', else the input of the
    graph's classification loss, else the graph's output when it is not a loss."""
    if scores is not None:
        return _lookup(graph, scores, "scores")
    for n in graph.nodes:
        if n.name == "scores":
            return n
    losses = [n for n in graph.ops if n.op in LABELLED_OPS]
    if len(losses) == 1:
        return losses[0].inputs[0]
    out = graph.output
    if not losses and out.ndim == 2:
        return out
    raise GraphscopeError(f"predict: cannot tell which node holds the class scores in the graph of {out.name}: "
                          f"name it (scores.name = 'scores') or pass scores=<that node>")


def _batch_size(batch_size):
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise GraphscopeError(f"predict: batch_size must be an integer >= 1, got {batch_size!r}")
    return int(batch_size)


def _examples(x, input_leaf):
    """`x` as an array of the input's dtype, one row per example shaped as the input's rows."""
    want = tuple(input_leaf.shape[1:])
    dtype = input_leaf.value.dtype if input_leaf.value.dtype.kind == "f" else np.float32
    try:
        x = np.ascontiguousarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise GraphscopeError(f"predict: x must be an array of numbers ({type(x).__name__}: {exc})") from None
    if x.ndim == len(want) and x.shape == want:
        x = x[None]  # one example
    if x.shape[1:] != want or not len(x):
        raise GraphscopeError(f"predict: x has shape {x.shape}, but the input {input_leaf.name} takes rows of shape "
                              f"{want} (it holds {tuple(input_leaf.shape)}): pass (N,) + {want}")
    return x


def _set_eval_mode(graph):
    """Batch norm on its running averages, dropout off (the nodes' attribute dicts are replaced, not changed)."""
    try:
        from ..nn import set_training
    except ImportError:  # no gs.nn: no batch norm or dropout nodes
        return
    set_training(graph, False)
