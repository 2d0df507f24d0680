"""MLP: the lecture's fully connected network as one Sequential."""
from ..engine import GraphscopeError
from . import init as _init
from .layers import BatchNorm1d, Dropout, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from .module import Sequential

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "leaky_relu": LeakyReLU}


class MLP(Sequential):
    """Fully connected layers of the given sizes: fc1, [bn1], relu1, [drop1], fc2, ..., fcL (scores).

    ``sizes``: [inputs, hidden..., classes]. Batch norm goes between each hidden
    layer's affine map and its activation (as the lecture places it), dropout
    after the activation. ``init`` defaults to He for ReLU-like activations and
    Xavier otherwise; ``bias`` is the biases' constant (False: no biases); ``rng``
    seeds weights and dropout masks; ``dtype`` is the parameters' (float64 or float32).
    A Linear followed by batch norm has no bias: the normalization subtracts
    it again (its gradient is always 0), and batch norm's beta is the bias.
    """

    prefix = "mlp"

    def __init__(self, sizes, activation="relu", batchnorm=False, dropout=0.0, init=None, bias=0.0, rng=None,
                 dtype="float64", name=None):
        sizes = list(sizes)
        if len(sizes) < 2 or any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in sizes):
            raise GraphscopeError(f"MLP: sizes must list at least two positive layer sizes "
                                  f"[inputs, ..., outputs], got {sizes!r}")
        given = activation
        activation = given.strip().lower().replace("-", "_") if isinstance(given, str) else given
        if activation not in ACTIVATIONS:
            from ..engine.words import did_you_mean
            raise GraphscopeError(f"MLP: unknown activation {given!r}; use one of {', '.join(ACTIVATIONS)} (any case)"
                                  f"{did_you_mean(str(activation), list(ACTIVATIONS))}")
        if init is None:
            init = "he" if activation in ("relu", "leaky_relu") else "xavier"
        rng = _init.as_rng(rng)
        layers = []
        for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            last = k == len(sizes) - 2
            layers.append(Linear(n_in, n_out, init=init, bias=bias if last or not batchnorm else False, rng=rng,
                                 dtype=dtype))
            if last:
                break
            if batchnorm:
                layers.append(BatchNorm1d(n_out, dtype=dtype))
            layers.append(ACTIVATIONS[activation]())
            if dropout:
                layers.append(Dropout(dropout, rng=rng))
        super().__init__(*layers, name=name)
        self.sizes = sizes
        self.activation = activation

    def extra_repr(self):
        return f"{self.sizes}, activation={self.activation!r}"
