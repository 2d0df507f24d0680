"""Files: recorded graphs (``graph.save`` / ``gs.load_graph``); checkpoints and ONNX export live here too.

A layer above the engine: it reads the op table and builds nodes, and the
engine reaches it only lazily (``Graph.save``, ``gs.load_graph``).
"""
from .graphfile import FORMAT, VERSION, GraphFileError, load_graph, save_graph

__all__ = ["FORMAT", "VERSION", "GraphFileError", "load_graph", "save_graph"]
