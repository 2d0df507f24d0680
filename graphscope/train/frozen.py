"""Weights that will not train: a weight matrix written as gs.tensor instead of gs.param.

The trainer steps the graph's gs.param leaves only; a 2-D gs.tensor that a matmul reads, other than the input
the trainer feeds and its labels, looks like a weight matrix yet stays as it was recorded. ``frozen_weights``
finds them and ``frozen_notes`` says so, one line each, before a run (graphscope train prints them).
"""


def frozen_weights(graph, fed=()):
    """The leaves of `graph` that look like weight matrices but are not parameters: gs.tensor leaves (role
    'input') of 2 axes, read by a matmul, that are none of the `fed` leaves (the input and the labels)."""
    fed_ids = {id(leaf) for leaf in fed if leaf is not None}
    found = {}  # by id: tensors compare elementwise
    for node in graph.nodes:
        if node.op_def is None or node.op != "matmul":
            continue
        for leaf in node.inputs:
            if (leaf.op_def is None and leaf.role == "input" and id(leaf) not in fed_ids
                    and len(getattr(leaf.value, "shape", ())) == 2):
                found.setdefault(id(leaf), leaf)
    return list(found.values())


def frozen_notes(trainer):
    """'note: W1 is a gs.tensor, not a gs.param: it is not trained (make it gs.param to train it)', one per weight
    of the trainer's graph that will not train."""
    roles = trainer.roles
    return [f"note: {leaf.name} is a gs.tensor, not a gs.param: it is not trained (make it gs.param to train it)"
            for leaf in frozen_weights(trainer.graph, (roles.input, roles.label_leaf))]
