"""Replay: the recorded graph as a program, re-run node by node on new leaf values.

No Python-level model code runs again: each node's op is applied to its
inputs' current values. Data-dependent Python control flow (an ``if`` on a
value while building) is baked into the graph as it was recorded and does
not replay differently.
"""
from .tensor import _forward_checked_values


def recompute(node):
    """Compute one node's value again from its inputs' current values (leaves are left as they are)."""
    fn = node.fn
    if fn is None:
        return node._value
    node._value = _forward_checked_values(fn, node, [i._value for i in node.inputs], node.attrs)
    return node._value
