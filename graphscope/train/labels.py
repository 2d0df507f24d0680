"""Class labels that are not whole numbers, named by the first one.

Labels of a float dtype are taken as class labels when every one is a whole number (2.0 is class 2); one that is
not (2.5, nan) is no class at all: the message names it, ``y_train[3] = 2.5``, rather than the dtype that holds it.
"""
import numpy as np

from ..engine.errors import GraphscopeError


def first_not_whole(y):
    """(index text, value) of the first label of `y` that is not a whole number, or None when all are (or `y` holds
    no numbers: the trainer's own checks name that)."""
    y = np.asarray(y)
    if y.dtype.kind not in "fc" or not y.size:
        return None
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(y) | (y != np.round(y))
    if not bad.any():
        return None
    i = np.unravel_index(int(np.argmax(bad)), y.shape)
    return ", ".join(str(int(k)) for k in i), y[i].item()


def require_whole_labels(y, what, name="y"):
    """Raise a GraphscopeError naming the first class label of `y` that is not a whole number: '`what`: class labels
    must be whole numbers: y_train[3] = 2.5 (4 of 1437 labels are not)'."""
    found = first_not_whole(y)
    if found is None:
        return
    at, value = found
    y = np.asarray(y)
    with np.errstate(invalid="ignore"):
        count = int((~np.isfinite(y) | (y != np.round(y))).sum())
    raise GraphscopeError(f"{what}: class labels must be whole numbers: {name}[{at}] = {value:g} ({count} of {y.size} "
                          f"labels {'is' if count == 1 else 'are'} not)")


def label_shape_problem(y, graph, name="y_train", source="from data()"):
    """Why labels `y` do not fit the classification loss of `graph` (softmax_cross_entropy, svm_loss): one class
    index per example, as the labels build() recorded; None when they fit or the graph has no such loss.

    One-hot rows (N, classes) are the usual mistake: the message says to take their argmax (and pass that
    `source`: 'from data()' for a training file's labels, '' for labels given to fit)."""
    from .feeds import LABELLED_OPS
    from ..engine.source import display_location
    labelled = [n for n in graph.ops if n.op in LABELLED_OPS]
    if len(labelled) != 1 or "labels" not in labelled[0].attrs:
        return None
    node = labelled[0]
    recorded = np.asarray(node.attrs["labels"])
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[1:] == recorded.shape[1:]:
        return None
    want = (y.shape[0],) + recorded.shape[1:]
    where = display_location(node.source)
    text = (f"{name} of shape {y.shape}, but {node.name} ({node.op}{f', {where}' if where else ''}) takes one "
            f"class index per example: shape {want} (the loss was recorded with labels of shape {recorded.shape})")
    scores = node.inputs[0].shape
    if y.ndim == recorded.ndim + 1 and scores and y.shape[-1] == scores[-1]:
        text += f"; one-hot rows? {'return' if source else 'pass'} {name}.argmax(1){' ' + source if source else ''} " \
                f"(the class of each row)"
    return text
