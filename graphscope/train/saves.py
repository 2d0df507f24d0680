"""The trainer's plan steps for ops that save work for their VJP (``saves``: softmax cross-entropy, batch norm).

An op that declares ``saves`` (graphscope.engine.optable) takes ``saved=``, a
dict its forward fills and its VJP reads (the softmax loss's log-probabilities,
batch norm's xhat and 1/sigma), instead of computing them a second time.
``Saves(node)`` is one node's: its ``forward`` and ``vjp`` stand in for the
op's in the node's plan steps, and hand the op what the forward of this pass
left, with the same numbers bit for bit.

A save is handed to the VJP only when it is this pass's: ``forget()`` drops it
when a pass begins (and when it fails), and it is used only while the node
still holds the very value that forward made (``made(value)``), so a node
computed again elsewhere since (``graph.run``, the stepper, a gradient check,
the general path after a failed batch) gets its VJP computed from its inputs.
"""


class Saves:
    """What one node's forward left for its VJP in the plan's current pass (nothing when it is not this pass's)."""

    __slots__ = ("node", "op", "saved", "value")

    def __init__(self, node):
        self.node, self.op = node, node.op_def
        self.saved = self.value = None

    def forget(self):
        """Drop the save (a pass begins, or one failed)."""
        self.saved = self.value = None

    def forward(self, *xs, **attrs):
        """The op's forward, keeping what it saves; ``made`` then ties it to the node's value."""
        saved = {}
        self.saved, self.value = None, None
        raw = self.op.forward(*xs, saved=saved, **attrs)
        self.saved = saved
        return raw

    def made(self):
        """After the node's step set its value: the save belongs to that value."""
        self.value = self.node._value if self.saved is not None else None

    def vjp(self, g, *xs, value, **attrs):
        """The op's VJP, given the save when it was made with the value the node holds now."""
        saved = self.saved
        if saved is None or value is not self.value or self.node._value is not value:
            saved = None
        return self.op.vjp(g, *xs, value=value, saved=saved, **attrs)


def saving_step(run, saves):
    """The node's forward step `run` (whose forward is ``saves.forward``), tying the save to the value it sets."""
    def step():
        saves.forget()
        run()
        saves.made()
    return step
