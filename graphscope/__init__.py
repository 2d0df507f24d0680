"""graphscope: see backpropagation happen, node by node.

    import graphscope as gs
    x = gs.tensor(-2.0, requires_grad=True, name="x")
    ...
"""
from .engine import *  # noqa: F401,F403
from .engine import __all__ as _engine_all
from .engine import op_functions as _op_functions
from . import interop, stepper, viz
from .interop import load_graph
from .stepper import Stepper
from .version import __version__

__all__ = list(_engine_all) + ["__version__", "load_graph", "Stepper", "interop", "stepper", "viz"]


_op_functions.export_to(globals(), __all__)  # gs.tanh, ... and any op registered later

interop.install()       # Graph.save writes a graph file
viz.notebook.install()  # Graph and Stepper show themselves inline in Jupyter
