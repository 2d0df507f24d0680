"""When no learning rate can help: what the layer diagnosis (graphscope.train.health) finds in a model at its
initial parameters that stops the weights from learning at any rate.

Dead units pass no gradient back, a vanished gradient is ~0 by the time it reaches the first layers, and units
whose weights are all alike get the same gradient for ever: a larger learning rate multiplies a zero (or
moves every unit alike). The overfit sanity check and a search that learned nothing lead their advice with these
findings, and then suggest no larger rate.
"""
import numpy as np

from .health import diagnose
from .monitor import LAYER_SAMPLE, evenly_spaced, layer_stats

#: The kinds of health.Finding that no learning rate cures.
BLOCKING = ("dead", "no gradient", "vanishing", "symmetric")
#: The line that leads the findings.
NO_RATE_HELPS = "no learning rate can help: at the initial parameters the layer diagnosis finds"


def blocking_findings(trainer, x, y, batch=None):
    """The BLOCKING findings of health.diagnose for the trainer's graph at its current parameters, in diagnose's
    order: activations and dead or saturated fractions on up to monitor.LAYER_SAMPLE evenly spaced rows of (x, y)
    (eval mode), gradients from one pass on `batch` ((x, y) rows; default the first batch_size rows). The
    parameters are not changed; their gradients are left from that pass."""
    xb, yb = batch if batch is not None else (x[:trainer.batch_size], y[:trainer.batch_size])
    trainer.optimizer.zero_grad()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a non-finite pass is not blocking
        trainer.graph.run(trainer.roles.feeds(xb, yb))
        trainer.graph.backward()
        for leaf in (trainer.roles.input, trainer.roles.label_leaf):
            if leaf is not None:
                leaf.grad = None
        sample = trainer.sample_activations(sample=evenly_spaced(x, y, LAYER_SAMPLE))
        stats = layer_stats(trainer.graph, activations=sample)
        return [f for f in diagnose(stats) if f.kind in BLOCKING]


def blocked_lines(findings):
    """NO_RATE_HELPS and one line per finding (without indentation); [] when there are none."""
    return [NO_RATE_HELPS] + [f.text for f in findings] if findings else []
