"""Files: recorded graphs (``graph.save`` / ``gs.load_graph``), ONNX export (``graph.to_onnx``); checkpoints too.

A layer above the engine: it reads the op table and builds nodes. The engine
never imports it: ``import graphscope`` adds ``Graph.save`` and ``Graph.to_onnx`` (``install``) and
exports ``gs.load_graph`` from here.
"""
from . import graphfile, onnx as _onnx
from .graphfile import FORMAT, VERSION, GraphFileError, UnknownOpError, load_graph, save_graph
from .onnx import OnnxExportError, OnnxExportWarning, to_onnx
from .savedvalues import SavedValuesWarning

__all__ = ["FORMAT", "VERSION", "GraphFileError", "UnknownOpError", "OnnxExportError", "OnnxExportWarning", "install", "load_graph",
           "save_graph", "to_onnx", "SavedValuesWarning"]


def install():
    """Give Graph its ``save`` and ``to_onnx`` methods (the engine never imports this layer)."""
    graphfile.install()
    _onnx.install()
