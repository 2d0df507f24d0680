"""Observers of the engine: called for every recorded node and every backward step.

The lists are empty in normal use (one truthiness test per node). Anomaly
detection and other debugging tools append to them while active.

- ``FORWARD_HOOKS``: ``hook(node)`` after a node is recorded (its value is set).
- ``BACKWARD_HOOKS``: ``hook(node, upstream, contributions)`` after a node's
  VJP ran, with the tuple of per-input contributions (None where none).
"""
FORWARD_HOOKS = []
BACKWARD_HOOKS = []
