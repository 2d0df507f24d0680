"""What the trainer feeds and reads in a recorded graph: the input leaf, the labels, the class scores.

- input: the leaf named ``x`` (or ``X``), else the graph's only leaf that is
  neither a parameter nor a constant;
- labels: the ``labels`` attribute of the classification loss (fed as
  ``(loss_node, "labels")``) and/or a leaf named ``y`` (``Y``);
- scores: the node named ``scores``, else the classification loss's input.

A graph that cannot be read this way gets a message naming what to name or pass.
"""
import numpy as np

from ..engine.errors import GraphscopeError
from ..engine.source import display_location

#: Ops whose ``labels`` attribute holds the class indices of the batch.
LABELLED_OPS = ("softmax_cross_entropy", "svm_loss")


class GraphRoles:
    """The nodes of a graph the trainer feeds (input, labels) and reads (loss, scores)."""

    def __init__(self, graph, x=None, y=None, scores=None):
        self.graph = graph
        self.loss = graph.output
        self.labelled = [n for n in graph.ops if n.op in LABELLED_OPS]
        self.label_leaf = _lookup(graph, y, "y") if y is not None else _named_leaf(graph, ("y", "Y"))
        self.input = _lookup(graph, x, "x") if x is not None else _find_input(graph, self.label_leaf)
        if not self.labelled and self.label_leaf is None:
            raise GraphscopeError(
                f"Trainer: cannot tell where the labels go in the graph of {self.loss.name}: it has no "
                f"classification loss (gs.softmax_cross_entropy or gs.svm_loss) and no leaf named 'y'; "
                f"end the graph in one of those losses, or name the labels leaf "
                f"gs.tensor(..., name='y') (or pass y=<that leaf>)")
        if len(self.labelled) > 1 and self.label_leaf is None:
            where = ", ".join(f"{n.name} ({display_location(n.source)})" for n in self.labelled)
            raise GraphscopeError(f"Trainer: the graph has {len(self.labelled)} classification losses ({where}); "
                                  f"the trainer feeds one batch of labels: keep one loss per graph")
        self.scores = _lookup(graph, scores, "scores") if scores is not None else self._find_scores()
        if self.scores is not None and (self.scores.ndim != 2 or self.scores.shape[0] != self.input.shape[0]):
            self.scores = None  # not one row of class scores per example: no accuracy
        if not any(n is self.input for n in graph.leaves):
            raise GraphscopeError(f"Trainer: the input {self.input.name} must be a leaf of the graph")
        self.recorded_shape = tuple(self.input.shape)  # before any batch is fed: what messages quote

    def _find_scores(self):
        for n in self.graph.nodes:
            if n.name == "scores":
                return n
        if len(self.labelled) == 1:
            return self.labelled[0].inputs[0]
        return None

    @property
    def classes(self):
        """Number of classes (the scores' last axis), or None without class scores."""
        return None if self.scores is None else int(self.scores.shape[-1])

    def feeds(self, xb, yb):
        """The feeds of graph.run for one batch."""
        out = {self.input: xb}
        for n in self.labelled:
            out[(n, "labels")] = yb
        if self.label_leaf is not None:
            out[self.label_leaf] = yb
        return out

    def set_batch(self, xb, yb):
        """Put a batch into the graph directly (what graph.run's feeds do, once they were checked)."""
        self.input._value = xb
        for n in self.labelled:
            n.attrs = {**n.attrs, "labels": yb}  # replaced, never mutated, as graph.run does
        if self.label_leaf is not None:
            self.label_leaf._value = yb

    def held(self):
        """What set_batch replaces (the input's value, the labels), for put_back when a batch fails."""
        return (self.input._value, [n.attrs for n in self.labelled],
                None if self.label_leaf is None else self.label_leaf._value)

    def put_back(self, held):
        """Undo set_batch: the leaves and the labels as held() found them."""
        x, attrs, y = held
        self.input._value = x
        for n, a in zip(self.labelled, attrs):
            n.attrs = a
        if self.label_leaf is not None:
            self.label_leaf._value = y

    def recorded_data(self):
        """The input and labels the graph was recorded with (a data set of its own)."""
        x = np.asarray(self.input.value)
        if self.labelled:
            y = np.asarray(self.labelled[0].attrs["labels"])
        else:
            y = np.asarray(self.label_leaf.value)
        return x, y

    def correct(self, yb):
        """How many rows of the current scores pick their label (None without class scores)."""
        if self.scores is None or yb.ndim != 1:
            return None
        return int(np.count_nonzero(self.scores.value.argmax(axis=1) == yb))


def _lookup(graph, key, what):
    try:
        return graph.node(key)
    except KeyError as exc:
        raise GraphscopeError(f"Trainer: {what}={key!r}: {exc.args[0]}") from None


def _named_leaf(graph, names):
    for n in graph.leaves:
        if n.name in names:
            return n
    return None


def _find_input(graph, label_leaf):
    named = _named_leaf(graph, ("x", "X"))
    if named is not None:
        return named
    free = [n for n in graph.leaves if n.role == "input" and n is not label_leaf]
    if len(free) == 1:
        return free[0]
    if not free:
        raise GraphscopeError("Trainer: the graph has no input leaf to feed the examples into: make the "
                              "features a leaf gs.tensor(x_batch, name='x') (not a parameter or a constant), "
                              "or pass x=<that leaf>")
    names = ", ".join(f"{n.name} {n.shape} ({display_location(n.source)})" for n in free[:6])
    raise GraphscopeError(f"Trainer: the graph has {len(free)} input leaves ({names}); name the one that "
                          f"takes the examples 'x' (gs.tensor(..., name='x')) or pass x=<that leaf>")
