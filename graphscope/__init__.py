"""graphscope: see backpropagation happen, node by node.

    import graphscope as gs
    x = gs.tensor(-2.0, requires_grad=True, name="x")
    ...
"""
from .engine import *  # noqa: F401,F403
from .engine import __all__ as _engine_all
from .engine import op_functions as _op_functions
from .engine import words as _words
from . import interop, stepper, viz
from . import nn
from . import optim
from .interop import load_graph
from .stepper import Stepper
from .version import __version__
from . import train
from .train import data, layer_stats, LayerStats, snapshot_params

__all__ = list(_engine_all) + ["__version__", "load_graph", "Stepper", "interop", "stepper", "viz"]
__all__ += ["train", "data", "layer_stats", "LayerStats", "snapshot_params"]


_op_functions.export_to(globals(), __all__)  # gs.tanh, ... and any op registered later

# gs.layerstats: did you mean 'layer_stats'? gs.no_grad: what graphscope does instead
__getattr__ = _words.suggesting_getattr(globals(), __name__, torch_names=nn.torch_names.GS)

interop.install()       # Graph.save writes a graph file
viz.notebook.install()  # Graph and Stepper show themselves inline in Jupyter
from .train import Trainer, TrainingDiverged, History  # noqa: E402
