"""Where does the NaN come from? A naive log-softmax whose softmax underflows to 0.

log(softmax(s)) is -inf where a score is far below the row's maximum, and
the loss built on it is NaN/inf. `graphscope check samples/nan_origin.py`
names the node that made the first non-finite value (the log, not the nodes
that carry it on to the loss); gs.log_softmax computes the same thing stably.
"""
import numpy as np

import graphscope as gs


def build():
    scores = gs.param(np.array([[2.0, 1.0, 0.5], [900.0, -5.0, 3.0]]), name="scores")
    labels = np.array([0, 1])
    with gs.scope("naive_log_softmax"):
        probs = gs.softmax(scores)
        logp = gs.log(probs)
    picked = logp[np.arange(2), labels]
    loss = -gs.mean(picked)
    loss.name = "loss"
    return loss


if __name__ == "__main__":
    from _cli import explore
    raise SystemExit(explore(__file__, __doc__, build))
