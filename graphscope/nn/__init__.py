"""gs.nn: layers, initialization and modes, recorded like any other ops.

    net = gs.nn.MLP([2, 100, 3], batchnorm=True, dropout=0.5, rng=0)
    loss = gs.softmax_cross_entropy(net(x), y)   # ops recorded in scopes fc1, bn1, relu1, drop1, fc2
    net.eval()                                   # running averages, dropout off (the recorded nodes too)

Your own network subclasses ``gs.nn.Module`` as in PyTorch: ``super().__init__()``, layers assigned to
attributes (children named after them: fc1.W, ...), ``gs.param`` attributes, ``gs.nn.ModuleList``; see
``help(gs.nn.Module)``.
"""
from ..engine.words import suggesting_getattr
from . import init
from .torch_names import NN as _TORCH_NAMES
from .layers import BatchNorm1d, Dropout, LeakyReLU, Linear, ReLU, Sigmoid, Tanh, set_training
from .mlp import MLP
from .module import Module, ModuleList, Sequential

__all__ = ["Module", "ModuleList", "Sequential", "Linear", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "BatchNorm1d",
           "Dropout", "MLP", "init", "set_training"]

# gs.nn.Dropot: did you mean 'Dropout'? gs.nn.CrossEntropyLoss: write gs.softmax_cross_entropy(scores, labels)
__getattr__ = suggesting_getattr(globals(), __name__, torch_names=_TORCH_NAMES)
