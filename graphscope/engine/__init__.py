"""The recording autograd engine: tensors, the op table, backward, the graph.

Depends on numpy (and networkx for ``Graph.to_networkx``) only. The op
functions (``tanh``, ``sum``, ``matmul``, ...) are made from the op table by
``op_functions``: an op registered later appears here (and in ``__all__``) too.
"""
from . import ops  # noqa: F401  (registers the built-in ops)
from . import op_functions as _op_functions
from .backward import backward, topo_order
from .custom import CustomOp, custom_op
from .forward_warnings import NonFiniteWarning
from .errors import (ArgumentError, BackwardError, ForwardError, GraphscopeError, InputError, NotFoundError,
                     OutOfMemoryError, PositionError, ShapeError, StaleBranchError, StaleNumberError,
                     StaleNumberWarning)
from .gradcheck import GradcheckError, GradcheckReport, NodeReport, check_node, check_nodes, gradcheck
from .graph import Graph
from .jacobian import Jacobian, describe_jacobian
from .nonfinite import AnomalyError, NonFinite, detect_anomaly
from .ops.reduce import ValuesIndices, argmax, argmin
from .optable import OPS, JacobianInfo, Op, get_op, register, unregister
from .record import apply, constant, param, tensor
from .source import scope
from .tensor import Tensor

__all__ = [
    "Tensor", "tensor", "param", "constant", "apply", "scope", "Graph", "backward", "topo_order",
    "OPS", "Op", "JacobianInfo", "register", "unregister", "get_op", "Jacobian", "describe_jacobian",
    "GraphscopeError", "ShapeError", "InputError", "BackwardError", "ArgumentError", "NotFoundError",
    "PositionError", "ForwardError", "OutOfMemoryError", "StaleBranchError", "StaleNumberError", "StaleNumberWarning",
    "gradcheck", "check_nodes", "check_node", "GradcheckReport", "NodeReport", "GradcheckError",
    "detect_anomaly", "AnomalyError", "NonFinite", "NonFiniteWarning", "custom_op", "CustomOp",
    "argmax", "argmin", "ValuesIndices",
]


_op_functions.export_to(globals(), __all__)  # gs.tanh, ... and any op registered later
