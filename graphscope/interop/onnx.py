"""ONNX export: a recorded (and possibly trained) graph as an ONNX model that Netron shows and onnxruntime runs.

    graph.to_onnx("model.onnx")          # or gs.interop.to_onnx(graph_or_tensor, path)
    graphscope export FILE -o model.onnx

- The graph's non-parameter leaves (role ``input``) become the model's inputs
  under their node names (a leaf named ``x`` is the input ``x``); parameters
  and constants become initializers holding their current values.
- Every op node becomes the ONNX nodes its row in ``onnxmap.ONNX_OPS`` emits,
  named ``scope/name`` (the helper nodes a row adds get ``scope/name/part``);
  its output keeps the node's name. The graph's outputs are the model's
  outputs.
- The element type follows each node's dtype (float64 graphs export as
  DOUBLE); an input of another float type is cast first, as numpy promotes.
- Shapes are the recorded ones. Losses export as their value, with their labels
  fixed as initializers. With ``dynamic_batch=True`` (``--dynamic-batch``) the
  inputs' first axis is the symbolic ``batch`` instead, in the outputs that carry
  it too, and a loss's labels become a model input of shape (batch,) named
  ``labels`` (see ``onnxbatch`` for the ops that keep examples apart).
- Batch norm and dropout export in test mode, as after ``net.eval()``: batch
  norm normalizes with its running averages, dropout passes its input on. A
  graph whose batch-norm or dropout nodes are in training mode is exported all
  the same, with an ``OnnxExportWarning`` saying so (its training-mode outputs
  differ from the model's); the model's doc string says it too.
- A Python ``if`` (``while``, ``max(x, 0.0)``) decided by a tensor while the
  graph was recorded stays decided: the model computes the recorded branch for
  every input, where ``graph.run`` would refuse (StaleBranchError). So do the
  plain numbers Python read from tensors (``len(x)``, ``int(t)``; a free batch
  size refuses those read from the batch axis). An ``OnnxExportWarning`` and
  the doc string say so. ``x.shape[k]`` used as it is with tensors exports as
  Shape -> Gather -> Cast.

An op without a mapping (a custom op) stops the export with one message
naming the op and the node that uses it. Needs the ``onnx`` package
(``pip install -e '.[onnx]'``); the file is written atomically.
"""
import sys
import warnings

import numpy as np

from ..engine.errors import GraphscopeError
from ..engine.graph import Graph, require_graph
from ..engine.source import display_location, is_internal
from ..engine.words import plural
from ..util.atomic import atomic_write, require_path
from ..util.replaceable import ONNX_MODEL, require_replaceable
from .onnxbatch import BATCH_AXIS, batch_carriers
from .onnxmap import ONNX_OPS, Unsupported

#: The ONNX operator set the exporter writes (ReduceMean/ReduceMax take their axes as an input from 18 on).
OPSET = 18
#: IR version written: one that onnxruntime 1.17 and later load.
IR_VERSION = 9
PRODUCER = "graphscope"


class OnnxExportError(GraphscopeError):
    """A graph that cannot be exported to ONNX: the message names the op and the node."""


class OnnxExportWarning(UserWarning):
    """The exported model computes something else than the graph does now (batch norm or dropout in training
    mode, exported in test mode)."""


#: Ops that export in test mode whatever their recorded mode: op -> (what it is, what it does at test time,
#: what it does in training mode).
TEST_MODE_OPS = {"batch_norm": ("batch norm", "batch norm uses its running averages", "batch statistics"),
                 "dropout": ("dropout", "dropout passes its input on", "random dropout masks")}


def _onnx():
    try:
        import onnx
    except ImportError:
        raise OnnxExportError("ONNX export needs the onnx package: pip install onnx onnxruntime "
                              "(or pip install -e '.[onnx]' in graphscope's checkout)") from None
    return onnx


class Builder:
    """Collects ONNX nodes, initializers and unique value names while the graph is walked."""

    def __init__(self, onnx, graph, dynamic_batch=False):
        self.onnx, self.helper = onnx, onnx.helper
        self.dynamic_batch = dynamic_batch
        self.carriers = batch_carriers(graph) if dynamic_batch else set()
        self.nodes, self.initializers, self.used, self.extra_inputs = [], [], set(), []
        self.suffixes = {}
        self.value_names = {}
        self.origins = {}
        for n in sorted(graph.nodes, key=lambda n: n.op_def is not None):  # leaves claim their names first
            self.value_names[n.id] = self.unique(n.name)

    def unique(self, name):
        name = name or "value"
        # the next suffix to try per name: 1,000 nodes named 'x' must not try 1 + 2 + ... + 1,000 candidates
        k = self.suffixes.get(name, 1)
        candidate = name if k == 1 else f"{name}_{k}"
        while candidate in self.used:
            k += 1
            candidate = f"{name}_{k}"
        self.suffixes[name] = k
        self.used.add(candidate)
        return candidate

    @staticmethod
    def ndim(node):
        return len(node.shape)

    def carries(self, node):
        """True when `node`'s first axis is the free batch axis (only with dynamic_batch)."""
        return node.id in self.carriers

    def batch_input(self, node, what, dtype):
        """A model input of shape (batch,) for what the row fixed before (a loss's labels); its name."""
        name = self.unique(what)
        self.extra_inputs.append(self.helper.make_tensor_value_info(name, self.element_type(dtype), [BATCH_AXIS]))
        return name

    @staticmethod
    def node_name(node, part=None):
        base = f"{node.scope}/{node.name}" if node.scope else node.name
        return base if part is None else f"{base}/{part}"

    def made_at(self, node):
        """'graphscope op tanh, made at model.py:12' (Netron shows it with the node), computed once per node."""
        if node.id not in self.origins:
            self.origins[node.id] = f"graphscope op {node.op}, made at {display_location(node.source)}"
        return self.origins[node.id]

    def const(self, node, what, array):
        """An initializer for a fixed array a row needs (an exponent, labels, axes, ...); its name."""
        name = self.unique(f"{node.name}.{what}")
        self.initializers.append(self.onnx.numpy_helper.from_array(np.array(array, order="C"), name))
        return name

    def op(self, onnx_op, inputs, node, part=None, **attrs):
        """Add one ONNX node; without `part` it makes the node's own output (its name), else a helper value."""
        output = self.value_names[node.id] if part is None else self.unique(f"{node.name}/{part}")
        self.nodes.append(self.helper.make_node(onnx_op, inputs, [output], name=self.node_name(node, part),
                                                doc_string=self.made_at(node), **attrs))
        return output

    def cast(self, name, source, target_dtype, node):
        """`name` cast to the node's element type when its dtype differs (numpy's promotion)."""
        if np.dtype(source.dtype) == np.dtype(target_dtype):
            return name
        return self.op("Cast", [name], node, f"cast_{name}", to=self.element_type(target_dtype))

    def element_type(self, dtype):
        return self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))

    def value_info(self, node, name=None):
        shape = list(node.shape)
        if self.carries(node):
            shape[0] = BATCH_AXIS
        return self.helper.make_tensor_value_info(name or self.value_names[node.id], self.element_type(node.dtype),
                                                  shape)


def export_problem(graph):
    """Why `graph` cannot be exported (the first op without a mapping, and where it is used), or None."""
    for n in graph.ops:
        row = ONNX_OPS.get(n.op)
        if row is None or isinstance(row, Unsupported):
            why = (row.reason if row is not None else
                   "it is a custom op (gs.custom_op), which has no ONNX form" if getattr(n.op_def, "handle", None)
                   else "it has no entry in graphscope.interop.onnxmap.ONNX_OPS")
            return (f"cannot export to ONNX: op {n.op} (node {n.name}, made at {display_location(n.source)}) "
                    f"has no ONNX mapping: {why}")
    return None


def _in_training_mode(graph):
    """The batch norm and dropout nodes recorded in training mode, and the TEST_MODE_OPS rows they use."""
    training = [n for n in graph.ops if n.op in TEST_MODE_OPS and n.attrs.get("training")]
    present = [TEST_MODE_OPS[op] for op in TEST_MODE_OPS if any(n.op == op for n in training)]
    return training, present


def _layer_list(nodes):
    return ", ".join(n.scope or n.name for n in nodes[:6]) + (", ..." if len(nodes) > 6 else "")


def test_mode_note(graph):
    """What export does to batch norm and dropout nodes in training mode (one sentence for a Python user), or None."""
    training, present = _in_training_mode(graph)
    if not training:
        return None
    return (f"{' and '.join(kind for kind, _, _ in present)} in training mode ({_layer_list(training)}) "
            f"export{'s' if len(training) == 1 else ''} in test mode, as after net.eval() "
            f"({'; '.join(does for _, does, _ in present)}): the model's outputs differ from the graph's in training "
            f"mode; call net.eval() (or gs.nn.set_training(graph, False)) before exporting to compare them")


def file_test_mode_note(graph, path, source):
    """The same for the command line: what the file at `path` holds and how it differs from the pass `source`
    records (no Python advice), or None."""
    training, present = _in_training_mode(graph)
    if not training:
        return None
    return (f"{path} holds the model in test mode ({'; '.join(does for _, does, _ in present)}: "
            f"{_layer_list(training)}), as it is used for predictions; its outputs differ from the training-mode "
            f"pass {source} records ({' and '.join(train for _, _, train in present)})")


def fixed_batch_note(graph, dynamic_batch, option="dynamic_batch=True",
                     held="the batch the graph holds now (after Trainer.fit: its last batch)"):
    """'the model takes batches of exactly 16 examples (x: 16x2); ...' for an export with the recorded batch size,
    or None (a free batch size, inputs without a batch of examples, or a graph that fixes its batch size anyway)."""
    if dynamic_batch:
        return None
    inputs = [n for n in graph.leaves if n.role == "input"]
    if not inputs or any(len(n.shape) < 2 for n in inputs):
        return None
    try:
        batch_carriers(graph)
    except GraphscopeError:
        return None
    size = inputs[0].shape[0]
    shapes = ", ".join(f"{n.name}: {'x'.join(str(d) for d in n.shape)}" for n in inputs)
    return (f"the model takes batches of exactly {size} example{'s' if size != 1 else ''} ({shapes}), "
            f"{held}; export with {option} to take any batch size")


def shipping_note(graph, dynamic_batch, path="model.onnx"):
    """What makes a model whose output is a loss with the recorded labels built in unfit to ship (and its input
    batch fixed at the size the graph holds, after Trainer.fit the last batch's, when it is), in one sentence with
    the call that ships the class scores for any batch size; None for any other model."""
    out = graph.output
    labels = None if dynamic_batch or out.op_def is None or not out.inputs else out.attrs.get("labels")
    if not isinstance(labels, np.ndarray):
        return None  # a model of its scores: the doc string says when its batch is fixed
    scores = next((n for n in graph.nodes if n.name == "scores" and n is not out), out.inputs[0])
    try:
        batch_carriers(Graph(scores))
        free = True
    except GraphscopeError:
        free = False
    parts = [f"outputs the loss {out.name}, its {labels.size} label{'s' if labels.size != 1 else ''} built in, not "
             f"the class scores"]
    if free and fixed_batch_note(graph, dynamic_batch):
        inputs = [n for n in graph.leaves if n.role == "input"]
        parts.insert(0, f"takes batches of exactly {plural(inputs[0].shape[0], 'example')} ("
                        + ", ".join(f"{n.name}: {'x'.join(map(str, n.shape))}" for n in inputs)
                        + ", the batch the graph holds now: after Trainer.fit, its last batch)")
    return (f"the model {' and '.join(parts)}; to ship the class scores{' for any batch size' if free else ''}: "
            f"gs.interop.to_onnx({_node_text(graph, scores)}, {str(path)!r}{', dynamic_batch=True' if free else ''})")


def _node_text(graph, node):
    """How the user reaches `node`: graph['name'] when the name finds it, else a description."""
    try:
        if graph.node(node.name) is node:
            return f"graph[{node.name!r}]"
    except GraphscopeError:
        pass
    return f"<the scores tensor, {node.name}>"


def to_model(graph, dynamic_batch=False, path="model.onnx"):
    """The graph (or the graph ending at a tensor) as an ``onnx.ModelProto``, checked by onnx's checker.

    ``dynamic_batch=True``: the inputs' first axis (and the outputs' that carry it) is the symbolic 'batch', and
    a loss's labels are a model input. Batch norm and dropout export in test mode; a graph with either in
    training mode gets an ``OnnxExportWarning``.
    """
    graph = require_graph(_not_a_module(graph))
    problem = export_problem(graph)
    if problem:
        raise OnnxExportError(problem)
    onnx = _onnx()
    try:
        b = Builder(onnx, graph, dynamic_batch=bool(dynamic_batch))
    except GraphscopeError as exc:
        raise OnnxExportError(f"cannot export to ONNX: {exc}") from None
    inputs = []
    for n in graph.leaves:
        if n.role == "input":
            inputs.append(b.value_info(n))
        else:
            b.initializers.append(onnx.numpy_helper.from_array(np.asarray(n._value), b.value_names[n.id]))
    for n in graph.ops:
        names = [b.value_names[i.id] if n.op_def.boolean or i.dtype == bool else b.cast(b.value_names[i.id], i, n.dtype, n)
                 for i in n.inputs]  # masks stay boolean; a boolean op casts its inputs itself (onnxmap)
        try:
            ONNX_OPS[n.op](b, n, *names, **_exported_attrs(n.attrs))
        except (TypeError, ValueError, IndexError) as exc:
            raise OnnxExportError(f"cannot export node {n.name} (op {n.op}, made at {display_location(n.source)}) "
                                  f"to ONNX: {exc}") from None
    outputs = []
    for out in graph.outputs:
        if out.op_def is None:  # a leaf as output: ONNX wants a node making it
            name = b.unique(f"{out.name}_output")
            b.nodes.append(onnx.helper.make_node("Identity", [b.value_names[out.id]], [name], name=name))
            outputs.append(b.value_info(out, name))
        else:
            outputs.append(b.value_info(out))
    body = onnx.helper.make_graph(b.nodes, "graphscope", inputs + b.extra_inputs, outputs, b.initializers)
    model = onnx.helper.make_model(body, producer_name=PRODUCER, opset_imports=[onnx.helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    notes = ["batch norm and dropout are exported in test mode (running averages; no dropout)"] \
        if any(n.op in TEST_MODE_OPS for n in graph.ops) else []
    batch = fixed_batch_note(graph, dynamic_batch)
    if batch:
        notes.append(batch)
    branches = branch_note(graph)
    if branches:
        notes.append(branches)
    model.doc_string = "; ".join(notes)
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:  # onnx's ValidationError / InferenceError: a mapping row emitted something wrong
        raise OnnxExportError(f"the exported model fails onnx's checker (a bug in graphscope's ONNX mapping; "
                              f"please report it): {' '.join(str(exc).split())[:300]}") from None
    for note in (test_mode_note(graph), branches, shipping_note(graph, dynamic_batch, path)):
        if note:
            warnings.warn(OnnxExportWarning(f"ONNX export: {note}"), stacklevel=_user_stacklevel())
    return model


def _not_a_module(obj):
    """`obj`, unless it is a layer or model object (gs.nn.MLP, ...), which holds no graph: then an OnnxExportError
    saying to export what it computes."""
    if callable(obj) and (hasattr(obj, "parameters") or hasattr(obj, "params")) and not hasattr(obj, "nodes"):
        name = type(obj).__name__
        raise OnnxExportError(f"to_onnx takes a graphscope Graph or tensor, got the {name} object itself, which holds "
                              f"no graph: export what it computes, e.g. scores = net(gs.tensor(x_batch, name='x')); "
                              f"gs.interop.to_onnx(scores, 'model.onnx', dynamic_batch=True)")
    return obj


def _exported_attrs(attrs):
    """An op's attributes for its ONNX row: without ``decided`` (the answer of a Python `if`, no op input)."""
    return {k: v for k, v in attrs.items() if k != "decided"} if "decided" in attrs else attrs


def branch_note(graph):
    """What an exported model cannot do: re-decide the Python `if`s (and `while`s, max(x, 0.0)) that were
    decided while the graph was recorded, nor recompute the numbers Python read from tensors (``len(x)``,
    ``int(t)``: the guards of ``graphscope.engine.reads``); None when there were none."""
    decided = [n for n in graph.nodes if "decided" in n.attrs] + list(graph.guards)
    numbers = [n for n in decided if n.op == "unchanged"]
    truths = [n for n in decided if n.op != "unchanged"]
    notes = []
    if truths:
        where = ", ".join(sorted({display_location(n.source) for n in truths})[:3])
        notes.append(f"the model keeps the Python branch taken when the graph was recorded ({len(truths)} "
                     f"{'truth' if len(truths) == 1 else 'truths'} of tensors steered Python, at {where}); unlike "
                     f"graph.run, it does not refuse inputs that would take another branch (gs.where replays a "
                     f"choice)")
    if numbers:
        reads = ", ".join(f"{n.attrs['read']} at {n.attrs['at']}" for n in numbers[:3])
        notes.append(f"the model keeps the plain numbers Python read from tensors when the graph was recorded "
                     f"({reads}); unlike graph.run, it does not refuse inputs that change them")
    return "; ".join(notes) or None


def _user_stacklevel():
    """The ``stacklevel`` that makes a warning raised by our caller name the user's line (the first frame outside
    graphscope), as the other messages do."""
    f, level = sys._getframe(1), 1   # level 1: the function calling warnings.warn
    while f is not None and is_internal(f.f_code.co_filename):
        f, level = f.f_back, level + 1
    return level if f is not None else 1


def to_onnx(graph, path, dynamic_batch=False):
    """Write the graph as an ONNX model to `path` (atomically); return the path.

    ``dynamic_batch=True`` leaves the batch size free (the inputs' first axis; see ``to_model``).
    """
    path = require_path(path, "ONNX model")
    require_replaceable(path, ONNX_MODEL, 'graph.to_onnx("model.onnx")', OnnxExportError)
    return write_model(to_model(graph, dynamic_batch=dynamic_batch, path=path), path)


def write_model(model, path):
    """Write an ``onnx.ModelProto`` to `path` atomically; return the path."""
    path = require_path(path, "ONNX model")
    data = model.SerializeToString()
    with atomic_write(path, "ONNX model") as f:
        f.write(data)
    return path


def _graph_to_onnx(graph, path, dynamic_batch=False):
    """Write this graph as an ONNX model (inputs: the non-parameter leaves by name; parameters: initializers).

    ``dynamic_batch=True``: the batch size (the inputs' first axis) is free. Batch norm and dropout export in
    test mode (an OnnxExportWarning says so when they are in training mode).
    """
    return to_onnx(graph, path, dynamic_batch=dynamic_batch)


def install():
    """Give Graph its ``to_onnx`` method."""
    from ..engine.graph import Graph
    Graph.to_onnx = _graph_to_onnx
