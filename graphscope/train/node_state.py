"""The state that batch-norm and dropout nodes carry from pass to pass, and the two ways it is put back.

Ops with a ``refresh`` hook change their node's attributes before each pass: dropout draws a fresh mask (a new
attribute dict), batch norm folds the batch into its running averages (in place). Those running-average arrays
have one owner: a gs.nn.BatchNorm1d module and every node it recorded hold the same arrays (the module computes
with them at test time and its state_dict reads them). So whatever puts state back (a checkpoint, a rewind, the
search's fresh start for each trial, a batch that failed) writes into those arrays, never replaces them.

Two ways, for two kinds of saved state: ``restore_node_attrs`` puts back a whole attribute dict copied earlier (a
rewind, the sanity checks, the search's fresh start), whatever shape the arrays have now, and ``merge_node_attrs``
lays the attributes a checkpoint file holds over the live ones; ``PassState`` puts back what one pass changed when it
fails, cheaply enough to hold before every batch (the attribute dict as it was, and a copy of the running averages
alone).
"""
import numpy as np

#: Arrays of stateful nodes that a pass changes in place and a layer object shares (BatchNorm1d's running averages).
OWNED_ARRAYS = {"batch_norm": ("running_mean", "running_var")}


def stateful_nodes(graph):
    """Op nodes whose attributes change from pass to pass (ops with a ``refresh`` hook: dropout's mask
    and draw count, batch norm's running averages): part of a run's state."""
    return [n for n in graph.ops if n.op_def.refresh is not None]


def restore_node_attrs(node, saved):
    """Give a stateful node exactly the attributes `saved` (a whole dict copied earlier): a key `saved` lacks goes.

    An eval pass since the copy leaves ``computed_training=False`` on a batch-norm or dropout node; kept, it would
    make backward and the Jacobian use the eval-mode function on the training-mode value put back. Arrays are
    written into the node's own arrays where their shapes agree (see ``_in_place``).
    """
    node.attrs = _in_place(node, saved)


def merge_node_attrs(node, saved):
    """Lay the attributes `saved` over the node's live ones (a key `saved` lacks stays): what a checkpoint file
    holds, which keeps only the attributes it can write (numbers, strings, arrays). Arrays as ``restore_node_attrs``.
    """
    node.attrs = {**node.attrs, **_in_place(node, saved)}


def _in_place(node, saved):
    """`saved` with its arrays written into the node's own arrays (in place) where their shapes agree, and a copy
    of `saved`'s taking the place of the others (a dropout mask of another batch size).

    A new array on the node would leave the BatchNorm1d module that shares it with stale averages.
    """
    restored = {}
    for k, v in saved.items():
        now = node.attrs.get(k)
        if isinstance(v, np.ndarray) and isinstance(now, np.ndarray) and now.shape == v.shape and now is not v:
            np.copyto(now, v, casting="unsafe")
            restored[k] = now
        else:
            restored[k] = v.copy() if isinstance(v, np.ndarray) else v
    return restored


class PassState:
    """The stateful nodes' attributes before a pass, to put back when the pass fails: a batch that failed half-way
    leaves no trace in the running averages or the dropout draw count (a pass after it would count it twice).

    ``held()`` costs a copy of each running average (a few numbers per feature); nothing without stateful nodes.
    """

    def __init__(self, graph):
        self.nodes = stateful_nodes(graph)

    def held(self):
        return [(n, n.attrs, [(a, a.copy()) for a in _owned(n)]) for n in self.nodes]

    def put_back(self, held):
        for node, attrs, arrays in held:
            node.attrs = attrs
            for now, before in arrays:
                np.copyto(now, before)


def _owned(node):
    return [a for a in (node.attrs.get(k) for k in OWNED_ARRAYS.get(node.op, ())) if isinstance(a, np.ndarray)]


def node_label(node):
    """'bn1's batch_norm_7': a node named with the layer (module scope) that made it, when it has one."""
    return f"{node.scope}'s {node.name}" if getattr(node, "scope", None) else node.name


def array_text(a):
    """'float64 of shape (16,)' (or the type's name for anything else)."""
    return f"{a.dtype} of shape {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
