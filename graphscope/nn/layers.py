"""The lecture's layers: Linear, the four activations, batch norm and dropout.

Each is a Module whose ops are recorded in its scope; batch norm and dropout
are single ops of the op table (``batch_norm``, ``dropout``) whose training
flag the module's ``train()`` / ``eval()`` (or ``set_training`` on a recorded
graph) switches.
"""
import collections

import numpy as np

from ..engine import GraphscopeError, OPS, apply, leaky_relu, relu, sigmoid, tanh
from ..engine.errors import out_of_memory
from ..engine.ops.nn import draw_mask, switch_mode, update_running_stats
from . import init as _init
from .module import Module

#: How many recorded nodes a batch-norm or dropout module remembers, to switch their mode.
_REMEMBERED = 32
_MODAL_OPS = ("batch_norm", "dropout")


def set_training(graph, flag):
    """Set training mode (True) or test mode (False) on every batch-norm and dropout node of a recorded graph.

    ``graph``: a Graph, an output tensor, or an iterable of nodes. Returns how
    many nodes were switched. What the trainer calls to validate on the same
    graph in test mode. Values are not recomputed: a node's gradient stays that
    of the mode its value was computed in until it is computed again
    (``graph.run``, stepping), which then uses the new mode.
    """
    if hasattr(graph, "nodes"):
        nodes = graph.nodes
    elif hasattr(graph, "_value"):
        nodes = graph.graph().nodes
    else:
        nodes = list(graph)
    count = 0
    for node in nodes:
        if node.op_def is not None and node.op_def.name in _MODAL_OPS:
            node.attrs = switch_mode(node.attrs, flag)
            count += 1
    return count


def _float_dtype(dtype, who):
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype not in (np.float64, np.float32):
        raise GraphscopeError(f"{who}: dtype must be float64 or float32, got {dtype!r}")
    return dtype


def _bias_value(bias):
    """Linear's ``bias`` as the biases' constant, or None for no bias (False or None)."""
    if bias is None or bias is False:
        return None
    if bias is True:
        return 0.0
    if not isinstance(bias, (int, float, np.integer, np.floating)) or not np.isfinite(bias):
        raise GraphscopeError(f"Linear: bias must be the biases' starting value (a finite number, e.g. 0 or 0.01), "
                              f"or False for no bias; got {bias!r}")
    return float(bias)


class Linear(Module):
    """scores = x @ W + b, W of shape (in_features, out_features).

    ``init``: a name ('xavier', 'glorot', 'he', 'normal', 'zeros'), 'normal(std=0.1)'
    or a function f(shape, rng); ``bias``: the biases' constant value (0, or 0.01
    for ReLU units; True means 0), or False / None for no bias, as before batch
    norm, whose beta is the bias; ``rng``: a seed or numpy Generator;
    ``dtype``: the parameters' dtype (float64 or float32).
    """

    prefix = "fc"
    named_by_default = True
    torch_state_names = {"weight": "W.T", "bias": "b"}   # PyTorch's state_dict keys (torch_state)
    torch_names = {
        "weight": lambda fc: (f"graphscope's is W, of shape (in_features, out_features) = {fc.W.shape}: PyTorch's "
                              f"weight is its transpose, (out, in) = {fc.W.shape[::-1]} (W.value.T)"),
        "bias": lambda fc: ("graphscope's is b, None here (made with bias=False)" if fc.b is None else
                            f"graphscope's is b, of shape (out_features,) = {fc.b.shape}"),
    }

    def __init__(self, in_features, out_features, init="xavier", bias=0.0, rng=None, dtype="float64", name=None):
        super().__init__(name or None)
        for what, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
                raise GraphscopeError(f"Linear: {what} must be a positive whole number, got {n!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        try:
            weights = np.asarray(_init.get(init)((self.in_features, self.out_features), rng=_init.as_rng(rng)),
                                 dtype=np.float64)
        except MemoryError:
            raise out_of_memory(f"Linear({self.in_features}, {self.out_features}): its weight W",
                                (self.in_features, self.out_features)) from None
        dtype = _float_dtype(dtype, "Linear")
        self.W = self.add_param("W", weights.astype(dtype))
        bias = _bias_value(bias)
        self.b = None if bias is None else self.add_param("b", _init.constant((self.out_features,), value=bias).astype(dtype))

    def forward(self, x):
        out = x @ self.W
        return out if self.b is None else out + self.b

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, bias={self.b is not None}"


class _Activation(Module):
    fn = None
    named_by_default = True

    def __init__(self, name=None):
        super().__init__(name or None)

    def forward(self, x):
        return type(self).fn(x)


class Sigmoid(_Activation):
    """1 / (1 + e^-x): saturates, not zero-centred."""

    prefix = "sigmoid"
    fn = staticmethod(sigmoid)


class Tanh(_Activation):
    """tanh(x): zero-centred, still saturates."""

    prefix = "tanh"
    fn = staticmethod(tanh)


class ReLU(_Activation):
    """max(0, x): no saturation for x > 0; a unit that is never active is dead."""

    prefix = "relu"
    fn = staticmethod(relu)


class LeakyReLU(Module):
    """x if x > 0 else alpha x; ``learnable=True`` makes alpha a parameter ('<name>.alpha')."""

    prefix = "lrelu"
    named_by_default = True
    torch_names = {"negative_slope": "graphscope's is alpha (the slope for x < 0)"}

    def __init__(self, alpha=0.01, learnable=False, name=None):
        super().__init__(name or None)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)) \
                or not np.isfinite(alpha):
            raise GraphscopeError(f"LeakyReLU: alpha (the slope for x < 0) must be a finite number, got {alpha!r}")
        self.alpha = self.add_param("alpha", float(alpha)) if learnable else float(alpha)

    def forward(self, x):
        return leaky_relu(x, self.alpha)

    def extra_repr(self):
        learnable = not isinstance(self.alpha, float)
        return f"alpha={self.alpha.value if learnable else self.alpha}, learnable={learnable}"


class _Modal(Module):
    """A layer whose recorded nodes switch with train()/eval()."""

    named_by_default = True

    def __init__(self, name):
        super().__init__(name)
        self._recorded = collections.deque(maxlen=_REMEMBERED)

    def _record(self, *inputs, **attrs):
        node = apply(OPS[self.op_name], *inputs, **attrs)
        self._recorded.append(node)
        return node

    def _set_recorded_mode(self, mode):
        set_training(self._recorded, mode)


class BatchNorm1d(_Modal):
    """Normalize each feature of a (N, D) batch, then scale by gamma and shift by beta (both learned).

    Training: the batch's own mean and variance (the coupled VJP), and the
    running averages move towards them once per pass (when recorded, and each
    ``graph.run``). Test time (``eval()``): the running averages.
    ``momentum`` is PyTorch's (0.1; cs231n's 0.9 written the other way round).
    """

    prefix = "bn"
    op_name = "batch_norm"
    torch_state_names = {"weight": "gamma", "bias": "beta", "running_mean": "running_mean",
                         "running_var": "running_var"}
    torch_names = {"weight": "graphscope's is gamma (the learned scale), of shape (num_features,)",
                   "bias": "graphscope's is beta (the learned shift), of shape (num_features,)"}

    def __init__(self, num_features, eps=1e-5, momentum=0.1, dtype="float64", name=None):
        super().__init__(name or None)
        if not isinstance(num_features, (int, np.integer)) or isinstance(num_features, bool) or num_features < 1:
            raise GraphscopeError(f"BatchNorm1d: num_features must be a positive whole number, got {num_features!r}")
        if not 0.0 <= momentum <= 1.0 or not eps > 0:
            raise GraphscopeError(f"BatchNorm1d: momentum must be in [0, 1] and eps positive, got momentum={momentum!r}, "
                                  f"eps={eps!r}")
        self.num_features = int(num_features)
        self.eps, self.momentum = float(eps), float(momentum)
        dtype = _float_dtype(dtype, "BatchNorm1d")
        self.gamma = self.add_param("gamma", np.ones(self.num_features, dtype))
        self.beta = self.add_param("beta", np.zeros(self.num_features, dtype))
        self.running_mean = self._buffers["running_mean"] = np.zeros(self.num_features, dtype)
        self.running_var = self._buffers["running_var"] = np.ones(self.num_features, dtype)

    def forward(self, x):
        attrs = {"training": self.training, "eps": self.eps, "momentum": self.momentum,
                 "running_mean": self.running_mean, "running_var": self.running_var}
        node = self._record(x, self.gamma, self.beta, **attrs)  # checks the shapes first
        if self.training:
            update_running_stats(attrs, np.asarray(node.inputs[0].value))
        return node

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps:g}, momentum={self.momentum:g}"


class Dropout(_Modal):
    """Inverted dropout: keep each unit with probability 1 - p and scale by 1 / (1 - p); off at test time.

    The mask is recorded with the node (a step shows which units were
    dropped); ``graph.run`` draws a fresh one. ``rng``: a seed or Generator
    for the masks.
    """

    prefix = "drop"
    op_name = "dropout"

    def __init__(self, p=0.5, rng=None, name=None):
        super().__init__(name or None)
        if not isinstance(p, (int, float, np.floating)) or not 0.0 <= p < 1.0:
            raise GraphscopeError(f"Dropout: p (the probability of dropping a unit) must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.seed = int(_init.as_rng(rng).integers(2 ** 62))
        self._draws = 0

    def forward(self, x):
        self._draws += 1   # each recording gets its own stream of masks: draws k << 32, k << 32 + 1, ...
        shape = np.shape(x.value if hasattr(x, "value") else x)
        mask = draw_mask(shape, self.p, self.seed, self._draws << 32)
        return self._record(x, p=self.p, training=self.training, mask=mask, seed=self.seed,
                            draw=self._draws << 32)

    def extra_repr(self):
        return f"p={self.p:g}"
