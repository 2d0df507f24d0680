"""gs.optim: the lecture's update rules under PyTorch's names, and learning-rate schedules.

    opt = gs.optim.Adam(net.parameters(), lr=1e-3)
    loss.backward(); opt.step(); opt.zero_grad()
"""
from . import schedules
from .optimizer import Optimizer
from .rules import RULES, SGD, AdaGrad, Adam, Momentum, Nesterov, RMSProp, make
from .schedules import exponential, inverse_time, parse_schedule, step_decay

__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "make", "RULES",
           "schedules", "exponential", "inverse_time", "step_decay", "parse_schedule"]
