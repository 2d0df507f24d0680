"""graphscope: see backpropagation happen, node by node.

    import graphscope as gs
    x = gs.tensor(-2.0, requires_grad=True, name="x")
    ...
"""
from .engine import *  # noqa: F401,F403
from .engine import __all__ as _engine_all
from . import stepper, viz  # noqa: E402
from .stepper import Stepper  # noqa: E402

__version__ = "0.1.0"
__all__ = list(_engine_all) + ["__version__", "Stepper", "stepper", "viz"]

viz.notebook.install()  # Graph and Stepper show themselves inline in Jupyter
