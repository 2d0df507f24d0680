"""A custom op with a right VJP: swish(x) = x * sigmoid(x) between two layers. `graphscope check` passes.

Compare samples/wrong_backward.py, whose swish VJP forgets a term and is
caught by the per-node check.
"""
import numpy as np

import graphscope as gs


@gs.custom_op
def swish(x):
    """x * sigmoid(x), element-wise."""
    return x / (1.0 + np.exp(-x))


@swish.vjp
def swish_vjp(g, x, value):
    s = 1.0 / (1.0 + np.exp(-x))
    return (g * (s + x * s * (1.0 - s)),)


@swish.jacobian
def swish_jacobian(i, x, value):
    return gs.JacobianInfo("diagonal", "d swish(x)/dx = diag(s + x s (1 - s)), s = sigmoid(x)")


def build(seed=0):
    rng = np.random.default_rng(seed)
    X = gs.tensor(rng.normal(size=(16, 4)), name="X")
    labels = rng.integers(0, 3, size=16)
    with gs.scope("fc1"):
        W1 = gs.param(rng.normal(size=(4, 8)) * 0.5, name="W1")
        b1 = gs.param(np.zeros(8), name="b1")
        h = swish(X @ W1 + b1)
    with gs.scope("fc2"):
        W2 = gs.param(rng.normal(size=(8, 3)) * 0.5, name="W2")
        b2 = gs.param(np.zeros(3), name="b2")
        scores = h @ W2 + b2
    loss = gs.softmax_cross_entropy(scores, labels)
    loss.name = "loss"
    return loss


if __name__ == "__main__":
    from _cli import explore
    raise SystemExit(explore(__file__, __doc__, build))
