"""Files: recorded graphs (``graph.save`` / ``gs.load_graph``); checkpoints and ONNX export live here too.

A layer above the engine: it reads the op table and builds nodes. The engine
never imports it: ``import graphscope`` adds ``Graph.save`` (``install``) and
exports ``gs.load_graph`` from here.
"""
from .graphfile import FORMAT, VERSION, GraphFileError, UnknownOpError, install, load_graph, save_graph

__all__ = ["FORMAT", "VERSION", "GraphFileError", "UnknownOpError", "install", "load_graph", "save_graph"]
