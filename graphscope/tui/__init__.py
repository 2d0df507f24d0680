"""The Textual terminal UI: step through a graph's forward and backward passes node by node.

    from graphscope.tui import GraphscopeApp
    GraphscopeApp(graph, origin="two_layer.py").run()
"""
from .app import GraphscopeApp, run_app
from .session import Session
from .training import TrainingOptions

__all__ = ["GraphscopeApp", "Session", "TrainingOptions", "run_app"]
