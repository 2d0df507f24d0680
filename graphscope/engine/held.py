"""Gradients held while something else uses the graph's ``.grad`` slots (a walk, a search), then put back."""
from contextlib import contextmanager


class Held:
    """What ``gradients_held`` yields: set ``keep`` to leave the gradients the block computed."""

    keep = False


@contextmanager
def gradients_held(nodes):
    """Every node's ``.grad`` as it is, put back when the block ends (also when it raises), unless the block sets
    ``keep`` on what this yields."""
    grads = [n.grad for n in nodes]
    held = Held()
    try:
        yield held
    finally:
        if not held.keep:
            for node, g in zip(nodes, grads):
                node.grad = g
