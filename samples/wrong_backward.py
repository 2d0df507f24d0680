"""A 6-layer net with one hand-written backward that is wrong: find it with `graphscope check`.

The activation of block 4 is a custom op, swish(x) = x * sigmoid(x), whose
VJP forgets a term of the product rule: it returns g * s instead of
g * (s + x s (1 - s)). Everything else is built-in. The whole-graph gradient
check says the weights' gradients are wrong; the per-node check says where:

    graphscope check samples/wrong_backward.py     # exit code 1, names swish in block4
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
    return (g * s,)  # wrong: d swish/dx = s + x * s * (1 - s)


@swish.jacobian
def swish_jacobian(i, x, value):
    return gs.JacobianInfo("diagonal", "d swish(x)/dx = diag(s + x s (1 - s)), s = sigmoid(x)")


SIZES = [10, 16, 16, 16, 16, 16, 4]


def build(seed=0):
    rng = np.random.default_rng(seed)
    X = gs.tensor(rng.normal(size=(8, SIZES[0])), name="X")
    labels = rng.integers(0, SIZES[-1], size=8)
    h = X
    for k, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
        with gs.scope(f"block{k}"):
            W = gs.param(rng.normal(size=(n_in, n_out)) / np.sqrt(n_in), name=f"W{k}")
            b = gs.param(0.1 * rng.normal(size=n_out), name=f"b{k}")
            h = h @ W + b
            if k == 4:
                h = swish(h)
            elif k < len(SIZES) - 1:
                h = gs.tanh(h)
    loss = gs.softmax_cross_entropy(h, labels)
    loss.name = "loss"
    return loss


if __name__ == "__main__":
    from _cli import explore
    raise SystemExit(explore(__file__, __doc__, build))
