"""A trainer's whole state in memory, to go back to: the sanity checks put it back after each check, the TUI's
training screen goes back to the end of the last whole epoch after a divergence.

It holds what a checkpoint holds (parameters, optimizer state, the shuffling RNG, the epoch count, the batch-norm
and dropout nodes' attributes: running averages, mask draw count) plus the regularization strength, the graph as
it stood (every node's value, gradient and attributes: the batch it last ran on, its labels, its dropout masks, so
that the values fit the masks and a graph saved afterwards loads) and the history's length: putting it back cuts
the history to what it was (in place: whoever holds the History sees it), its per-epoch layer records
(``History.layers``) included.
"""
import numpy as np

from .node_state import restore_node_attrs, stateful_nodes
from ..engine.staleness import put_back, stamps
from .history import PER_EPOCH
from .optimizer_state import copied_state

#: The history's lists that grow as training goes on: putting a state back cuts each to its length then.
GROWING = ("loss",) + PER_EPOCH + ("layers",)


class TrainerState:
    """``TrainerState(trainer)`` copies the trainer's state now; ``restore()`` puts it back (as often as wanted)."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.values = [np.array(p.value, copy=True) for p in trainer.params]  # an optimizer step writes in place
        self.grads = [None if p.grad is None else np.array(p.grad, copy=True) for p in trainer.params]
        self.nodes = [(n, {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in n.attrs.items()})
                      for n in stateful_nodes(trainer.graph)]
        # The other nodes' values, gradients and attribute dicts: a pass gives them new ones, never writes into them.
        params = {id(p) for p in trainer.params}
        stateful = {id(n) for n, _ in self.nodes}
        self.graph = [(n, n._value, n.grad, None if id(n) in stateful else n.attrs)
                      for n in trainer.graph.nodes if id(n) not in params]
        self.dates = stamps(trainer.graph.nodes)  # the values put back are as current as they were (engine.staleness)
        self.scaled_by = getattr(trainer, "_scaled_by", None)  # the factor of the gradients held (plain SGD)
        self.opt = copied_state(trainer.optimizer)
        self.rng = trainer.rng.bit_generator.state
        self.epoch, self.reg = trainer.epoch, trainer.reg
        h = trainer.history
        self.history = h
        self.lengths = {key: len(getattr(h, key)) for key in GROWING}
        self.stopped = h.stopped

    @property
    def iterations(self):
        """The iterations trained when the state was taken."""
        return self.lengths["loss"]

    def restore(self):
        t = self.trainer
        for p, v, g in zip(t.params, self.values, self.grads):
            if isinstance(p.value, np.ndarray):
                np.copyto(p.value, v)
            else:
                p.value = float(v)
            p.grad = None if g is None else g.copy()
        for node, value, grad, attrs in self.graph:
            node._value, node.grad = value, grad
            if attrs is not None:
                node.attrs = attrs
        for node, attrs in self.nodes:
            restore_node_attrs(node, attrs)  # in place: a BatchNorm1d module holds the same running-average arrays
        put_back(self.dates)
        if hasattr(t, "_scaled_by"):
            t._scaled_by = self.scaled_by  # the gradients put back are scaled as they were then
        t.optimizer.load_state_dict(copied_state(self.opt))
        t.rng.bit_generator.state = self.rng
        t.epoch, t.reg = self.epoch, self.reg
        t.history = self.history
        for key, n in self.lengths.items():
            del getattr(self.history, key)[n:]
        self.history.stopped = self.stopped
