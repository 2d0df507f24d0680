"""Per-layer statistics of a recorded graph: the lecture's "collect statistics at each layer".

``layer_stats(graph)`` after forward and backward gives, for each module scope
(``gs.scope("fc1")`` or a ``gs.nn`` module; in a graph without scopes, each
implicit layer: the ops up to a ReLU, tanh or sigmoid, see ``layer_groups``), the scope's activation and the
gradient that reached it: mean, std, histogram, and the fraction of dead ReLUs
or saturated tanh / sigmoid units. Given the parameters' values from before an
optimizer step (``snapshot_params(graph)``), it adds each parameter's
update/weight ratio, which the lecture wants near 1e-3 (judged for weight
matrices that are not ~0: a bias or a zero-initialized weight is made of the
very steps it would be compared with). Every statistic says how many examples
it was measured on; ``activations=`` (a ``Sample``) measures the activations
and the dead or saturated fractions on other examples than the last pass
(``Trainer.layer_stats`` uses a fixed sample of the training data).
"""
from dataclasses import dataclass, field

import numpy as np

from ..engine.errors import InputError, NotFoundError, ShapeError
from ..engine.formatting import ZERO_MEAN, mean_text, number_text, pretty_as_str, shape_text, stat_text
from ..engine.graph import require_graph
from ..engine.update_ratio import UNJUDGED, UPDATE_RATIO_TARGET, first_adaptive_step, judge, measure_step

TANH_SATURATED = 0.99
SIGMOID_SATURATED = (0.01, 0.99)
HISTOGRAM_BINS = 20
#: Training examples (evenly spaced, fixed for a run) that Trainer.layer_stats measures activations and dead
#: units on: a batch's few dozen make the dead fraction depend on which batch came last.
LAYER_SAMPLE = 500


#: What the table says of layers found without scopes.
IMPLICIT_NOTE = ("(no gs.scope in this graph: each layer runs from the ops reading its parameters up to its ReLU, "
                 "tanh or sigmoid; record layers inside gs.scope(\"fc1\") or gs.nn modules to name them)")


@dataclass
class Histogram:
    """``counts[i]`` values lie in ``[edges[i], edges[i + 1])`` (the last bin is closed), as numpy.histogram."""

    counts: np.ndarray
    edges: np.ndarray

    def __repr__(self):
        return (f"Histogram({len(self.counts)} bins over [{number_text(self.edges[0])}, "
                f"{number_text(self.edges[-1])}], {int(np.sum(self.counts))} values)")


@dataclass
class Summary:
    """Mean, std, range and histogram of the finite entries of an array; ``nonfinite`` counts the others."""

    mean: float
    std: float
    min: float
    max: float
    histogram: Histogram
    nonfinite: int = 0
    #: the entries' dtype: how coarse their rounding is (a mean that is rounding noise reads as '≈0')
    dtype: str = "float64"

    def __str__(self):
        """'mean=0.12 std=0.5 min=-1 max=2 (float64)': the summary in the words the tables use."""
        m = self.mean_text
        return (f"mean{m if m.startswith(ZERO_MEAN) else '=' + m} std={stat_text(self.std)} "
                f"min={stat_text(self.min)} max={stat_text(self.max)} ({self.dtype})")

    def __repr__(self):
        return f"Summary({self}, {len(self.histogram.counts)}-bin histogram)"

    _repr_pretty_ = pretty_as_str

    @property
    def mean_text(self):
        """The mean as every view writes a summary's: '≈0' when it is rounding noise next to the std; '(2
        non-finite)' after it when some entries are not finite (the mean and std are the finite entries')."""
        text = mean_text(self.mean, self.std, self.dtype)
        return f"{text} ({self.nonfinite} non-finite)" if self.nonfinite else text

    @classmethod
    def of(cls, values, bins=HISTOGRAM_BINS):
        a = np.asarray(values).ravel()
        if not np.issubdtype(a.dtype, np.floating):
            a = a.astype(np.float64)
        finite_mask = np.isfinite(a)
        finite = a if finite_mask.all() else a[finite_mask]
        nonfinite = a.size - finite.size
        if finite.size == 0:
            nan = float("nan")
            return cls(nan, nan, nan, nan, Histogram(np.zeros(bins, np.int64), np.full(bins + 1, nan)), nonfinite,
                       str(a.dtype))
        low, high = float(finite.min()), float(finite.max())
        with np.errstate(over="ignore", invalid="ignore"):  # entries near the float range: an inf std, said so
            mean, std = float(finite.mean(dtype=np.float64)), float(finite.std(dtype=np.float64))
        return cls(mean, std, low, high, _histogram(finite, low, high, bins), nonfinite, str(a.dtype))


def _histogram(a, low, high, bins):
    """numpy.histogram's counts over [low, high] (its uniform-bin case), without its chunked search.

    Computed as ((a - low) / (high - low)) * bins in float64, which stays in [0, bins] whatever the range: a
    span of subnormal numbers (1e-45 in float32, 1e-310 in float64), whose reciprocal overflows, or one as
    wide as the float range, whose difference overflows (then both ends are halved first).
    """
    if high <= low:  # every entry the same: numpy's bins around it (+-0.5), its middle one holding them all
        counts = np.zeros(bins, np.int64)
        counts[bins // 2] = np.size(a)   # (numpy itself fails when 0.5 is below the value's resolution, > 1e16)
        return Histogram(counts, np.linspace(low - 0.5, low + 0.5, bins + 1))
    a = np.asarray(a, dtype=np.float64)
    span = high - low
    if np.isfinite(span):
        position = (a - low) / span
    else:  # high - low overflows: halve everything (exact in binary) so the difference fits
        position = (a * 0.5 - low * 0.5) / (high * 0.5 - low * 0.5)
    index = (np.clip(position, 0.0, 1.0) * bins).astype(np.intp)
    np.minimum(index, bins - 1, out=index)
    t = np.linspace(0.0, 1.0, bins + 1)
    edges = low * (1.0 - t) + high * t  # never overflows, unlike low + k * (high - low) / bins
    edges[0], edges[-1] = low, high
    return Histogram(np.bincount(index, minlength=bins), edges)


@dataclass
class ParamStats:
    """One parameter: its size, its gradient's, and (given the values before a step) the step's."""

    name: str
    shape: tuple
    norm: float
    grad_norm: float = None
    update_norm: float = None
    #: ||value - before|| / ||before||; None without ``params_before`` or when ||before|| is 0 (zero-initialized)
    update_ratio: float = None
    #: the root mean square of the entries before the step (None without one): tells a ~0 weight
    before_rms: float = None
    #: a weight matrix (2+ axes) whose units (columns: one per output) all hold the same weights, as zero or
    #: constant init leaves them: they compute the same and get the same gradient (None: not a weight matrix)
    symmetric: bool = None
    #: the step measured was an adaptive rule's first (Adam, RMSProp, AdaGrad): its size by design, ~lr/|w|
    first_step: bool = False

    def __repr__(self):
        grad = "" if self.grad_norm is None else f" |grad|={stat_text(self.grad_norm)}"
        ratio = "" if self.update_ratio is None else f" update/weight={self.ratio_text()}"
        return f"ParamStats({self.name} {shape_text(tuple(self.shape))}: |w|={stat_text(self.norm)}{grad}{ratio})"

    @property
    def judgement(self):
        """graphscope.engine.update_ratio.judge of this ratio: a verdict, a key of UNJUDGED, or None."""
        return judge(self.update_ratio, self.shape, self.before_rms, self.update_norm, self.first_step)

    @property
    def unjudged(self):
        """Why the ratio gets no verdict (a key of UNJUDGED: 'no step', 'vector', '|w|≈0'), or None when it gets one."""
        j = self.judgement
        return j if j in UNJUDGED else None

    @property
    def verdict(self):
        """'ok', 'low' (learning rate too small?) or 'high' (too large?) against the lecture's ~1e-3; 'nan' or
        'inf' for a ratio that is not finite; None without a ratio or where it means nothing (``unjudged``)."""
        j = self.judgement
        return None if j in UNJUDGED else j

    def ratio_text(self, digits=2):
        """The ratio with its verdict, as every view writes it: '9.16e-18 low', '4.38e-01 (vector)' (not judged:
        UNJUDGED says why), 'nan' (never 'nan ok'), '-' without a ratio."""
        r = self.update_ratio
        if r is None:
            return "-"
        if not np.isfinite(r):
            return self.verdict
        why = self.unjudged
        return f"{r:.{digits}e} " + (f"({why})" if why else self.verdict)


@dataclass
class LayerStats:
    """Statistics of one module scope.

    ``activation`` summarizes the output of the scope's last op node;
    ``gradient`` the gradient of the loss with respect to it (None before
    backward). ``fraction`` is the share of dead ReLU units (units zero on
    every example of the batch) or of saturated tanh (|a| > 0.99) or sigmoid
    (a < 0.01 or a > 0.99) entries, as ``fraction_kind`` says ("dead" or
    "saturated"); None when the last op is no such activation.
    """

    scope: str
    node: str
    op: str
    shape: tuple
    activation: Summary
    gradient: Summary = None
    fraction: float = None
    fraction_kind: str = None
    params: list = field(default_factory=list)
    #: examples (rows of the leading axis) the activation and fraction were measured on, and the gradient
    #: (None for a value without a batch axis)
    examples: int = None
    gradient_examples: int = None

    def __str__(self):
        """The layer's rows of ``gs.layer_stats``' table (its output, then its parameters)."""
        return LayerStatsList([self]).table()

    def __repr__(self):
        g = self.gradient
        grad = "gradient not computed" if g is None else f"gradient {g.mean_text} ± {stat_text(g.std)}"
        return (f"<LayerStats {self.scope}: {self.node} ({self.op}) {shape_text(tuple(self.shape))}, activation "
                f"{self.activation.mean_text} ± {stat_text(self.activation.std)}, {grad}; print it for the table>")

    _repr_pretty_ = pretty_as_str

    @property
    def weight(self):
        """The scope's first weight matrix (2+ axes), else its first parameter, else None."""
        return next((p for p in self.params if len(p.shape) >= 2), self.params[0] if self.params else None)


@dataclass
class Sample:
    """Activations measured on other examples than the graph's last pass: ``values`` maps a node id to its value
    there, ``what`` says which examples ('500 training examples, eval mode')."""

    values: dict
    examples: int
    what: str


class LayerStatsList(list):
    """The ``LayerStats`` of a graph, in the order their scopes first appear; ``table()`` renders them."""

    #: True when the gradients were there but no step was known (no params_before, no optimizer): the table
    #: then says how to get the update/weight column.
    step_unknown = False
    #: the ParamStats of parameters outside any layer (read by no op of one, e.g. only by the loss)
    loose = ()
    #: True when the graph has no scopes and its layers were found by layer_groups (each up to its nonlinearity)
    implicit = False
    #: which examples the activations and fractions, and the gradients, were measured on (a line each)
    measured_on = ""
    #: {scope: its parameters' 'name shape' texts} for scopes where two layers recorded (two unnamed models
    #: with an fc1 each, combined in one graph): their rows mix the layers, and the table says so
    merged = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            for s in self:
                if s.scope == key:
                    return s
            raise NotFoundError(f"no module scope {key!r}; scopes: {', '.join(s.scope for s in self) or 'none'}")
        return super().__getitem__(key)

    def __repr__(self):
        scopes = ", ".join(s.scope for s in self[:6]) + (", ..." if len(self) > 6 else "")
        return f"<LayerStatsList of {len(self)} scope{'' if len(self) == 1 else 's'} ({scopes}); print it for the table>"

    _repr_pretty_ = pretty_as_str

    def table(self):
        """A plain-text table: one row per scope, then one row per parameter."""
        if not self:
            text = ("no layers in this graph: no op reads a parameter (gs.param); a layer is the ops from those "
                    "reading its parameters up to a ReLU, tanh or sigmoid, or a gs.scope(...) block")
        else:
            rows = [("layer" if self.implicit else "scope", "output", "shape", "act mean", "act std", "dead/sat", "grad mean", "grad std")]
            for s in self:
                g = s.gradient
                output = s.node if s.node.startswith(f"{s.op}_") else f"{s.node} ({s.op})"
                rows.append((s.scope, output, _shape_text(s.shape), s.activation.mean_text,
                             stat_text(s.activation.std), _fraction_text(s), g.mean_text if g else "not computed",
                             stat_text(g.std) if g else "-"))
            text = _render(rows)
            if self.implicit:
                text += "\n" + IMPLICIT_NOTE
        for scope, held in self.merged.items():
            text += (f"\nwarning: scope {scope} mixes the ops of several layers ({', '.join(held)}): two models "
                     f"whose layers share names, or one gs.scope name used twice; give the models different names "
                     f"(gs.nn.MLP(..., name='head')) so that each layer gets a row of its own")
        params = [p for s in self for p in s.params] + list(self.loose)
        if params:
            updated = any(p.update_norm is not None for p in params)
            prows = [("parameter", "shape", "|w|", "|grad|") + (("|update|", "update/weight") if updated else ())]
            for p in params:
                row = (p.name, _shape_text(p.shape), stat_text(p.norm), stat_text(p.grad_norm))
                if updated:
                    row += (stat_text(p.update_norm), p.ratio_text())
                prows.append(row)
            text += "\n\n" + _render(prows)
            if updated:
                text += f"\n(update/weight: the lecture's rule of thumb is about {UPDATE_RATIO_TARGET:.0e} per step)"
                for mark in dict.fromkeys(p.unjudged for p in params if p.unjudged):
                    text += f"\n({mark}: not judged: {UNJUDGED[mark]})"
            elif self.step_unknown:
                text += ("\n(no update/weight column: no optimizer step given; use gs.layer_stats(trainer), "
                         "optimizer=opt, or params_before=gs.snapshot_params(graph) taken before opt.step())")
        if self.measured_on:
            text += "\n" + self.measured_on
        return text

    __str__ = table


def snapshot_params(graph):
    """{parameter node: a copy of its value}: take it before ``optimizer.step()``, pass it to ``layer_stats``."""
    return {p: np.array(p.value, copy=True) for p in require_graph(graph).params}


def layer_stats(graph, params_before=None, bins=HISTOGRAM_BINS, optimizer=None, activations=None):
    """Per-scope statistics of a recorded graph (or its output tensor, or a gs.Trainer): a ``LayerStatsList``.

    They describe the graph's last pass: after ``Trainer.fit`` the last training batch (fit puts the graph
    back after each validation pass), after ``trainer.evaluate(x, y)`` that evaluation (no gradients). Given a
    Trainer (and nothing else), they are ``trainer.layer_stats()``: activations and dead or saturated fractions
    on a fixed sample of its training data. ``activations`` (a ``Sample``) replaces the activations measured.

    A scope's activation is the output of its last op node in topological
    order (for a ``with gs.scope("layer1"): h = gs.tanh(x @ W)`` block, h).
    Nodes outside any scope (such as the loss) are left out; a graph without any scope gets implicit layers,
    each up to its ReLU, tanh or sigmoid (``layer_groups``: 'layer of W1'). A scope's
    parameters are the ``gs.param`` leaves fed directly into its ops (a
    shared one goes to the first scope using it), or else made in it.
    ``params_before`` maps parameters (nodes, names or ids) to their values
    before an update; each parameter found there gets its ratio. Given an
    ``optimizer`` (the gs.optim interface: ``last_update(p)``), or a Trainer
    (its optimizer), the parameters it stepped get the ratio of its last step.
    """
    if hasattr(graph, "optimizer") and hasattr(graph, "graph") and not hasattr(graph, "_value"):
        if params_before is None and optimizer is None and activations is None and hasattr(graph, "layer_stats"):
            return graph.layer_stats(bins=bins)
        optimizer = graph.optimizer if optimizer is None else optimizer
        graph = graph.graph
    graph = require_graph(graph)
    before = _resolve_before(graph, params_before)
    if optimizer is not None:
        for p, value in last_step_before(graph, optimizer).items():
            before.setdefault(p, value)
    groups = layer_groups(graph)
    last = groups.outputs
    first = optimizer is not None and first_adaptive_step(optimizer, steps_taken=getattr(optimizer, "t", None))
    owner = {}  # param id -> (scope, param)
    for node in graph.nodes:
        if node.id not in groups.member:
            continue
        for i in node.inputs:
            if _is_param(i) and i.id not in owner:
                owner[i.id] = (groups.member[node.id], i)
    for p in graph.params:
        if p.id not in owner and p.scope in last and not groups.implicit:
            owner[p.id] = (p.scope, p)
    params = {}
    for scope, p in owner.values():
        params.setdefault(scope, []).append(p)
    out = LayerStatsList()
    out.implicit = groups.implicit
    measured = activations.values if activations is not None else {}
    for scope, node in last.items():
        value = np.asarray(measured.get(node.id, node.value))
        fraction, kind = _dead_or_saturated(node.op, value)
        out.append(LayerStats(
            scope=scope, node=node.name, op=node.op, shape=value.shape,
            activation=Summary.of(value, bins),
            gradient=None if node.grad is None else Summary.of(node.grad, bins),
            fraction=fraction, fraction_kind=kind,
            params=[_param_stats(p, before.get(p.id), first) for p in params.get(scope, [])],
            examples=_examples(value), gradient_examples=None if node.grad is None else _examples(node.grad)))
    out.merged = merged_scopes(params)
    out.loose = [_param_stats(p, before.get(p.id), first) for p in graph.params if p.id not in owner]
    out.step_unknown = not before and any(p.grad is not None for p in graph.params)
    out.measured_on = _measured_on(out, activations)
    return out


def evenly_spaced(x, y, k):
    """(x, y) at up to k evenly spaced rows: a sample fixed for the data, drawn without any RNG (the examples
    Trainer.layer_stats measures activations on)."""
    if len(x) <= k:
        return x, y
    idx = np.linspace(0, len(x) - 1, k).round().astype(np.intp)
    return x[idx], y[idx]


def merged_scopes(params):
    """{scope: ['fc1.W 2x32', 'fc1.W 16x16']} for the scopes (of {scope: parameters}) that hold two parameters
    of one name: several layers recorded there."""
    merged = {}
    for scope, ps in params.items():
        names = [p.name for p in ps]
        if len(set(names)) < len(names):
            merged[scope] = [f"{p.name} {_shape_text(p.shape)}" for p in ps if names.count(p.name) > 1]
    return merged


def scope_outputs(graph):
    """{scope (or implicit layer): its last op node in topological order}: the node whose value is its
    activation (see layer_groups)."""
    return layer_groups(graph).outputs


#: The ops that end a layer of a graph recorded without any scope: its nonlinearity.
NONLINEARITIES = ("relu", "leaky_relu", "tanh", "sigmoid")


@dataclass
class LayerGroups:
    """How a graph's op nodes form layers: ``outputs`` {name: the layer's last op node}, ``member`` {op node id:
    its layer's name}; ``implicit`` when the graph has no scope and the layers were found by ``layer_groups``."""

    outputs: dict
    member: dict
    implicit: bool = False


def layer_groups(graph):
    """The layers of a recorded graph: its module scopes (gs.scope, gs.nn modules) when it has any (a
    nonlinearity recorded outside a layer's scope right after its output, ``gs.relu(self.fc1(x))``, is that
    layer's activation, see ``_activation_of``); otherwise
    implicit layers, as a graph written like the README's example (``gs.relu(X @ W1 + b1) @ W2 + b2``) has them:
    each runs up to and including a nonlinearity (NONLINEARITIES), and the last one up to the last op that reads
    a parameter no earlier layer read (the class scores); the ops after it (the loss) belong to none. An implicit
    layer is named after the first parameter its ops read, a weight matrix first: 'layer of W1' (else after its
    output node)."""
    ops = [n for n in require_graph(graph).nodes if n.op_def is not None]
    if any(n.scope is not None for n in ops):
        outputs, member = {}, {}
        for node in ops:
            scope = _activation_of(node, outputs) or node.scope
            if scope is not None:
                outputs[scope] = node
                member[node.id] = scope
        return LayerGroups(outputs, member)
    segments, current, read = [], [], set()
    for node in ops:
        current.append(node)
        if node.op in NONLINEARITIES:
            segments.append(current)
            read |= {i.id for n in current for i in n.inputs if _is_param(i)}
            current = []
    reads_new = [k for k, n in enumerate(current) if any(_is_param(i) and i.id not in read for i in n.inputs)]
    if reads_new:
        segments.append(current[:reads_new[-1] + 1])
    outputs, member = {}, {}
    for segment in segments:
        name = _implicit_name(segment, outputs)
        outputs[name] = segment[-1]
        member.update((n.id, name) for n in segment)
    return LayerGroups(outputs, member, implicit=True)


def _is_param(node):
    return node.op_def is None and node.role == "param"


def _activation_of(node, outputs):
    """The layer (scope) whose activation `node` is, when it is a nonlinearity recorded outside that layer's scope
    right after its output, as ``self.fc2(gs.relu(self.fc1(x)))`` records one (outside any scope, or in the
    module around fc1): fc1's row shows the ReLU and its dead units, as ``gs.nn.ReLU()`` would. Else None."""
    if node.op not in NONLINEARITIES or not node.inputs:
        return None
    for scope, last in outputs.items():
        if last is node.inputs[0] and scope != node.scope and (
                node.scope is None or scope.startswith(node.scope + "/")):
            return scope
    return None


def _implicit_name(segment, taken):
    """'layer of W1': after the segment's first weight matrix (else first parameter) read, else its output node;
    made unique among `taken` with the output node's name."""
    params = [i for n in segment for i in n.inputs if _is_param(i)]
    first = next((p for p in params if np.ndim(p.value) >= 2), params[0] if params else None)
    name = f"layer of {first.name}" if first is not None else segment[-1].name
    return name if name not in taken else f"{name} ({segment[-1].name})"


def _examples(value):
    """The examples a batch value holds (its leading axis), or None for a value without one."""
    shape = np.shape(value)
    return int(shape[0]) if len(shape) >= 2 else None


def _measured_on(stats, sample):
    """The line saying which examples the statistics describe ('' when no scope has a batch axis)."""
    counts = {s.examples for s in stats} - {None}
    grads = {s.gradient_examples for s in stats} - {None}
    if not counts:
        return ""
    rows = "/".join(str(n) for n in sorted(counts))
    if sample is not None:
        line = f"(activations and dead/saturated fractions: {sample.what}"
        if grads:
            line += f"; gradients: the last pass, {_count(grads)}"
        return line + ")"
    return f"(measured on the graph's last pass: {rows} examples" + (
        "" if not grads or grads == counts else f"; gradients on {_count(grads)}") + ")"


def _count(counts):
    return "/".join(str(n) for n in sorted(counts)) + (" example" if counts == {1} else " examples")


def last_step_before(graph, optimizer):
    """{param id: its value before `optimizer`'s last step} for the graph's parameters that step changed."""
    if not hasattr(optimizer, "last_update"):
        raise InputError(f"layer_stats: optimizer must have last_update(param) (a gs.optim optimizer), got "
                         f"{type(optimizer).__name__}")
    stepped = {id(p) for p in getattr(optimizer, "params", ())}
    out = {}
    for p in graph.params:
        if id(p) in stepped:
            delta = optimizer.last_update(p)
            if delta is not None:
                out[p.id] = np.asarray(p.value, dtype=np.float64) - np.asarray(delta, dtype=np.float64)
    return out


def _dead_or_saturated(op, a):
    """(fraction, 'dead' or 'saturated'), (None, None) for other ops; the fraction is nan when some entry is not
    finite (after divergence no unit is healthy or dead: the numbers mean nothing)."""
    if a.size == 0 or op not in ("relu", "tanh", "sigmoid"):
        return None, None
    if not np.isfinite(a).all():
        return float("nan"), "dead" if op == "relu" else "saturated"
    if op == "relu":
        units = (a <= 0).all(axis=0) if a.ndim >= 2 else (a <= 0)
        return float(units.mean()), "dead"
    if op == "tanh":
        return float((np.abs(a) > TANH_SATURATED).mean()), "saturated"
    if op == "sigmoid":
        low, high = SIGMOID_SATURATED
        return float(((a < low) | (a > high)).mean()), "saturated"
    return None, None


def _param_stats(p, before, first_step=False):
    value = np.asarray(p.value)
    stats = ParamStats(p.name, value.shape, _norm(value), None if p.grad is None else _norm(p.grad),
                       symmetric=_identical_units(value), first_step=bool(first_step and before is not None))
    if before is not None:
        before = np.asarray(before, dtype=np.float64)
        step = measure_step(before, value - before)
        stats.update_norm, stats.update_ratio, stats.before_rms = step.step_norm, step.ratio, step.before_rms
    return stats


def _identical_units(w, rtol=1e-5):
    """True when every column (unit) of a weight matrix equals the first, up to rounding; None for a vector,
    a matrix of one column, or one that is not finite."""
    if w.ndim != 2 or w.shape[1] < 2 or not np.isfinite(w).all():
        return None
    spread = float(np.max(np.abs(w - w[:, :1])))
    return spread <= rtol * float(np.max(np.abs(w)))


def _norm(a):
    """The Frobenius norm, summed in float64: float32 squares overflow for entries beyond about 2e19."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64).ravel()))


def _resolve_before(graph, params_before):
    """{param id: value before} from a mapping keyed by parameter nodes, names or ids."""
    if params_before is None:
        return {}
    if not hasattr(params_before, "items"):
        raise InputError(f"layer_stats: params_before must map parameters (nodes, names or ids) to their values "
                        f"before the update, such as snapshot_params(graph); got {type(params_before).__name__}")
    resolved = {}
    for key, value in params_before.items():
        try:
            node = graph.node(key)
        except KeyError as e:
            raise InputError(f"layer_stats: params_before names {getattr(key, 'name', key)!r}, which is not a "
                           f"node of this graph ({e.args[0]})") from None
        if np.shape(value) != np.shape(node.value):
            raise ShapeError(f"layer_stats: params_before[{node.name!r}] has shape {np.shape(value)}, but "
                             f"{node.name} has shape {np.shape(node.value)}")
        resolved[node.id] = value
    return resolved


def _shape_text(shape):
    return "x".join(map(str, shape)) or "scalar"




def _fraction_text(s):
    if s.fraction is None:
        return "-"
    return f"{s.fraction:.0%} {s.fraction_kind}" if np.isfinite(s.fraction) else "nan"


def _render(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
