"""Observers of the engine: called for every recorded node and every backward step.

The lists are empty in normal use (one truthiness test per node). Anomaly
detection and other debugging tools append to them while active.

- ``FORWARD_HOOKS``: ``hook(node)`` after a node's value is set: when the
  node is recorded, and again each time replay recomputes it
  (``graph.run``, ``graph.step_forward``, the stepper's forward steps), so a
  hook sees the same node more than once. Internal replays that must not be
  watched (a gradient check's nudged evaluations) pass ``observed=False``.
- ``BACKWARD_HOOKS``: ``hook(node, upstream, contributions)`` after a node's
  VJP ran (in ``backward()`` and in the stepper's backward steps), with the
  tuple of per-input contributions (None where none).
"""
FORWARD_HOOKS = []
BACKWARD_HOOKS = []
