"""The recording autograd engine: tensors, the op table, backward, the graph.

Depends on numpy (and networkx for ``Graph.to_networkx``) only.
"""
from . import ops  # noqa: F401  (registers the built-in ops)
from .anomaly import AnomalyError, NonFinite, detect_anomaly
from .backward import backward, topo_order
from .check import GradcheckError, GradcheckReport, NodeReport, check_node, check_nodes, gradcheck
from .custom import CustomOp, custom_op
from .errors import BackwardError, GraphscopeError, InputError, ShapeError
from .functional import (abs, clip, concat, exp, getitem, l2, leaky_relu, log, log_softmax, matmul, max, mean,
                         relu, reshape, sigmoid, softmax, softmax_cross_entropy, sqrt, stack, sum, svm_loss, tanh,
                         transpose, where)
from .graph import Graph
from .jacobian import Jacobian, describe_jacobian
from .optable import OPS, JacobianInfo, Op, get_op, register
from .source import scope
from .tensor import Tensor, apply, constant, param, tensor

__all__ = [
    "Tensor", "tensor", "param", "constant", "apply", "scope", "Graph", "backward", "topo_order",
    "OPS", "Op", "JacobianInfo", "register", "get_op", "Jacobian", "describe_jacobian",
    "GraphscopeError", "ShapeError", "InputError", "BackwardError",
    "gradcheck", "check_nodes", "check_node", "GradcheckReport", "NodeReport", "GradcheckError",
    "detect_anomaly", "AnomalyError", "NonFinite", "custom_op", "CustomOp",
    "abs", "clip", "concat", "exp", "getitem", "l2", "leaky_relu", "log", "log_softmax", "matmul", "max", "mean",
    "relu", "reshape", "sigmoid", "softmax", "softmax_cross_entropy", "sqrt", "stack", "sum", "svm_loss", "tanh",
    "transpose", "where",
]
