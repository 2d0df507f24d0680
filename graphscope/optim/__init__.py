"""gs.optim: the lecture's update rules under PyTorch's names, and learning-rate schedules.

    opt = gs.optim.Adam(net.parameters(), lr=1e-3)
    loss.backward(); opt.step(); opt.zero_grad()

PyTorch's spellings are the same classes: ``RMSprop`` is ``RMSProp``, ``Adagrad`` is ``AdaGrad``.
PyTorch's ``SGD(momentum=0.9)`` and ``SGD(momentum=0.9, nesterov=True)`` are the lecture's
``Momentum`` and ``Nesterov`` here (SGD says so when given them).
"""
from . import schedules
from .optimizer import Optimizer
from ..engine.words import suggesting_getattr
from .rules import RULES, SGD, AdaGrad, Adagrad, Adam, Momentum, Nesterov, RMSProp, RMSprop, make
from .schedules import exponential, inverse_time, parse_schedule, step_decay

__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "Adagrad", "RMSprop", "make",
           "RULES", "schedules", "exponential", "inverse_time", "step_decay", "parse_schedule"]

# gs.optim.Adamm: did you mean 'Adam'? gs.optim.ExponentialLR: write gs.optim.exponential(lr0, k) with k = -ln(gamma)
__getattr__ = suggesting_getattr(globals(), __name__, torch_names=schedules.TORCH_NAMES)
