"""Gradient checks: the analytic gradient against central finite differences.

Two questions, two functions:

- ``gradcheck(output)``: are the gradients of the leaves right? The whole
  graph is replayed with each sampled leaf entry nudged by +-h. When it
  fails, the per-node check runs too and names the node to blame.
- ``check_nodes(output)``: which node's backward is wrong? For every op node,
  its own VJP (with a random upstream probe u) against finite differences of
  its own forward on its recorded inputs: d/dx sum(u * op(x)).

Both work in float64 on copies (a float32 graph is checked in float64 and
left untouched), sample at most ``max_coords`` entries per input with a
seeded generator, and use a step h = eps * max(1, |x|) per entry. An entry
passes when the relative error |a - n| / max(|a|, |n|) is at most ``rtol``,
or the absolute error is within the floating-point noise of the finite
difference (plus ``atol``). At a kink (relu at 0, max with ties, abs at 0)
the two one-sided differences disagree; there any value between them is a
valid (sub)gradient and passes; such entries are counted as ``kinks``.
"""
import os
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import List, Optional

import numpy as np

from .backward import backward as _backward, input_gradients
from .errors import GraphscopeError
from .graph import require_graph
from .optable import shape_of
from .replay import downstream, replay
from .tensor import _forward_checked_values

_EPS64 = np.finfo(np.float64).eps
#: Noise allowance: this many float64 roundings of the values that were differenced.
_NOISE = 16.0
#: A forward difference within this relative error settles an entry (linear ops: exact but for rounding).
_ONE_SIDED = 1e-7
#: One-sided differences further apart than this (relatively) mark a kink.
_KINK = 1e-3


class GradcheckError(GraphscopeError, AssertionError):
    """A gradient check failed (raised by gradcheck(..., raise_on_failure=True))."""


# ---------------------------------------------------------------- results

@dataclass
class Entry:
    """One sampled entry: analytic and numerical derivative and their errors."""

    index: tuple
    analytic: float
    numerical: float
    abs_err: float
    rel_err: float
    #: why it passed: "rel" (relative error within rtol), "abs" (error within the finite
    #: difference's own rounding/truncation error: a near-zero derivative), "kink"
    #: (between the one-sided differences at a kink); or "fail"
    basis: str = "rel"

    @property
    def ok(self):
        return self.basis != "fail"

    def describe(self):
        where = "" if self.index == () else f"{list(self.index)} "
        return (f"entry {where}analytic {self.analytic:.6g}, numerical {self.numerical:.6g}, "
                f"relative error {self.rel_err:.2g}" + (" (at a kink)" if self.basis == "kink" else ""))


@dataclass
class InputCheck:
    """The check of one input of a node (per-node check) or of one leaf (gradcheck)."""

    name: str
    shape: tuple
    slot: Optional[int] = None
    checked: int = 0
    skipped: int = 0
    kinks: int = 0
    max_rel: float = 0.0
    max_abs: float = 0.0
    worst: List[Entry] = field(default_factory=list)
    note: str = ""
    ok: bool = True

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def status(self):
        """'FAIL', 'skip' (nothing could be checked) or 'ok'."""
        return "FAIL" if not self.ok else "skip" if not self.checked else "ok"

    def describe(self, entries=3):
        """One line, plus up to `entries` of the worst entries when it failed."""
        label = self.name if self.slot is None else f"input {self.slot} ({self.name} {self.shape})"
        if self.note and not self.checked:
            return f"{label}: {self.note}"
        text = (f"{label}: max relative error {self.max_rel:.2g} over {self.checked} of {self.size} entries"
                + (f", {self.kinks} at kinks" if self.kinks else "")
                + (f", {self.skipped} skipped (non-finite)" if self.skipped else ""))
        if self.note:
            text += f"; {self.note}"
        if not self.ok and self.worst and entries:
            text += "\n      worst " + "\n      ".join(e.describe() for e in self.worst[:entries])
        return text


@dataclass
class NodeCheck:
    """The per-node check of one op node: its VJP against its own forward."""

    node: object
    position: int
    status: str                 # "ok", "FAIL", "error", "skip"
    inputs: List[InputCheck] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self):
        return self.status in ("ok", "skip")

    @property
    def max_rel(self):
        return max((i.max_rel for i in self.inputs), default=0.0)

    @property
    def status_text(self):
        """'ok', 'ok (2 kinks)', 'FAIL', 'skip (leaf)', ..."""
        kinks = sum(i.kinks for i in self.inputs)
        note = self.note or (f"{kinks} kink{'s' if kinks > 1 else ''}" if kinks else "")
        return self.status + (f" ({note})" if note else "")

    @property
    def shapes(self):
        """'(4, 8), (8,) -> (4, 8)': input shapes and output shape."""
        ins = ", ".join(str(shape_of(i._value)) for i in self.node.inputs)
        return f"{ins} -> {shape_of(self.node._value)}"

    def describe(self):
        """Several lines: the node, op, shapes, scope and source, then each input's result."""
        n = self.node
        head = (f"{n.name} (op {n.op}) {self.shapes}, scope {n.scope or '(top level)'}, made at {n.source}: "
                f"{self.status}" + (f" ({self.note})" if self.note else ""))
        return "\n".join([head] + [f"    {i.describe()}" for i in self.inputs])


@dataclass
class NodeReport:
    """The per-node check of a whole graph, in topological order."""

    rows: List[NodeCheck]

    @property
    def ok(self):
        return all(r.ok for r in self.rows)

    def __bool__(self):
        return self.ok

    @property
    def failures(self):
        return [r for r in self.rows if not r.ok]

    @property
    def first_failure(self):
        """The first failing node in topological order (the one to look at first), or None."""
        bad = self.failures
        return bad[0] if bad else None

    def table(self, failures_only=False):
        """A readable table: one row per op node, inputs before outputs."""
        rows = self.failures if failures_only else self.rows
        header = ("#", "node", "op", "shapes", "scope", "max rel err", "checked", "status", "source")
        body = [(str(r.position), r.node.name, r.node.op, r.shapes, r.node.scope or "-",
                 "-" if not r.inputs else f"{r.max_rel:.1e}", str(sum(i.checked for i in r.inputs)),
                 r.status_text, short_source(r.node.source)) for r in rows]
        return format_table(header, body)

    def summary(self):
        """One line, or the first failure in full."""
        n_ops = len(self.rows)
        skipped = sum(r.status == "skip" for r in self.rows)
        first = self.first_failure
        if first is None:
            if not skipped:
                return f"all {n_ops} op nodes passed"
            return (f"{n_ops - skipped} of {n_ops} op nodes passed, {skipped} skipped "
                    f"(their values are not finite: see find_nonfinite)")
        return (f"{len(self.failures)} of {n_ops} op nodes failed; first failing node:\n  " +
                first.describe().replace("\n", "\n  "))

    def __str__(self):
        return self.table() + "\n\n" + self.summary()


@dataclass
class GradcheckReport:
    """gradcheck's answer: per leaf, the analytic gradient against finite differences of the output."""

    output: object
    leaves: List[InputCheck]
    nodes: Optional[NodeReport] = None

    @property
    def ok(self):
        return all(leaf.ok for leaf in self.leaves)

    def __bool__(self):
        return self.ok

    @property
    def max_rel(self):
        return max((leaf.max_rel for leaf in self.leaves), default=0.0)

    def table(self):
        header = ("leaf", "shape", "checked", "max rel err", "max abs err", "status")
        body = [(leaf.name, str(leaf.shape), f"{leaf.checked}/{leaf.size}",
                 f"{leaf.max_rel:.1e}" if leaf.checked else "-", f"{leaf.max_abs:.1e}" if leaf.checked else "-",
                 leaf.status) for leaf in self.leaves]
        return format_table(header, body)

    def summary(self):
        if self.ok:
            checked = [leaf for leaf in self.leaves if leaf.status == "ok"]
            text = f"gradcheck of {self.output.name}: {_count(checked, 'leaf', 'leaves')} passed"
            if len(checked) < len(self.leaves):
                text += (f", {len(self.leaves) - len(checked)} skipped (no finite differences: "
                         f"the output is not finite around them)")
            return text
        lines = [f"gradcheck of {self.output.name}: the gradient of "
                 f"{', '.join(leaf.name for leaf in self.leaves if not leaf.ok)} is wrong"]
        lines += [f"  {leaf.describe(entries=1)}" for leaf in self.leaves if not leaf.ok]
        if self.nodes is not None:
            first = self.nodes.first_failure
            if first is not None:
                lines.append("  the per-node check blames: " + first.describe().replace("\n", "\n  "))
            else:
                lines.append("  every node's own VJP passed the per-node check: look at how the graph was built "
                             "(e.g. a value used after an in-place change)")
        return "\n".join(lines)

    def __str__(self):
        return self.table() + "\n\n" + self.summary()


# ---------------------------------------------------------------- helpers

def _count(items, one, many):
    return f"{len(items)} {one if len(items) == 1 else many}"


def format_table(header, rows):
    """Left-aligned columns separated by two spaces, the last column unpadded."""
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1] for r in [header] + rows]
    return "\n".join(line.rstrip() for line in lines)


def short_source(source):
    """'samples/x.py:12' relative to the working directory when the file is below it."""
    path, sep, line = source.rpartition(":")
    if not sep or not os.path.isabs(path):
        return source
    rel = os.path.relpath(path)
    return f"{rel}:{line}" if not rel.startswith("..") else source


def _to64(v):
    """A float64 copy of a raw value (Python floats stay floats; other dtypes are left alone)."""
    if v.__class__ is float:
        return v
    a = np.asarray(v)
    if a.dtype.kind == "f":
        return np.array(a, dtype=np.float64, order="C")  # C order: flat views below write through
    return a


def _sample(size, k, rng):
    """Up to k flat indices of an array of `size` entries, sorted; all of them when size <= k."""
    if size <= k:
        return np.arange(size)
    return np.sort(rng.choice(size, size=k, replace=False))


def _measure(diff, a, x0, eps, rtol, atol):
    """Judge one entry: `a` against finite differences built from ``diff(step) -> (change, noise)``.

    ``change`` is the probed output's change when the entry moves by `step`,
    ``noise`` the magnitude of what was subtracted (for the rounding allowance).
    A forward difference that agrees within rtol settles it in one evaluation;
    otherwise the central difference decides. A failing entry gets a second look: a central difference with step 2h
    estimates the truncation error (Richardson), and one-sided differences
    that disagree mark a kink, where anything between them passes.
    """
    h = eps * max(1.0, abs(x0))
    dp, noise_p = diff(h)
    fwd = dp / h
    err = abs(a - fwd)
    if err <= min(rtol, _ONE_SIDED) * max(abs(a), abs(fwd)):
        # the forward difference already agrees closely (as it does for an op linear in this input,
        # matmul included): one evaluation instead of two
        return Entry((), float(a), float(fwd), float(err), err / max(abs(a), abs(fwd), 1e-300), "rel")
    dm, noise_m = diff(-h)
    n = (dp - dm) / (2 * h)
    tol = atol + _NOISE * _EPS64 * (noise_p + noise_m) / h
    abs_err = abs(a - n)
    rel = abs_err / max(abs(a), abs(n), 1e-300) if abs_err else 0.0
    basis = "rel" if rel <= rtol else "abs" if abs_err <= tol else "fail"
    if basis == "fail" and np.isfinite(n):
        d2p, noise_2p = diff(2 * h)
        d2m, noise_2m = diff(-2 * h)
        tol += 2 * abs((d2p - d2m) / (4 * h) - n) + _NOISE * _EPS64 * (noise_2p + noise_2m) / (2 * h)
        bwd = -dm / h
        if abs_err <= tol:
            basis = "abs"
        elif abs(fwd - bwd) > _KINK * max(abs(fwd), abs(bwd)) + 2 * tol:
            slack = 1e-4 * max(abs(fwd), abs(bwd)) + 2 * tol
            if min(fwd, bwd) - slack <= a <= max(fwd, bwd) + slack:
                basis = "kink"
    return Entry((), float(a), float(n), float(abs_err), float(rel), basis)


def _collect(result, entries, worst=3):
    """Fill an InputCheck from its entries."""
    good = [e for e in entries if np.isfinite(e.numerical)]
    result.skipped += len(entries) - len(good)
    result.checked += len(good)
    result.kinks += sum(e.basis == "kink" for e in good)
    if good:
        # near-zero derivatives (within noise) and kinks pass without a meaningful relative error
        telling = [e for e in good if e.basis in ("rel", "fail")]
        result.max_rel = max([result.max_rel] + [e.rel_err for e in telling])
        result.max_abs = max([result.max_abs] + [e.abs_err for e in telling])
        result.ok = result.ok and all(e.ok for e in good)
        bad = sorted((e for e in good if not e.ok), key=lambda e: -e.rel_err)
        result.worst = (bad or sorted(telling, key=lambda e: -e.rel_err))[:worst]
    elif entries:
        result.note = result.note or "every sampled entry gave a non-finite finite difference"
    return result


def _flat_index(shape, c):
    return tuple(int(i) for i in np.unravel_index(int(c), shape)) if shape else ()


# ---------------------------------------------------------------- per node

def check_node(node, upstream=None, max_coords=20, eps=1e-6, rtol=1e-5, atol=0.0, seed=0, position=0):
    """Check one op node's VJP against finite differences of its own forward on its recorded inputs.

    ``upstream``: the gradient to pull back (default: a seeded random probe
    shaped like the node's value). Returns a NodeCheck.
    """
    with np.errstate(all="ignore"):  # nudged inputs may leave an op's domain: such entries are skipped
        return _check_node(node, upstream, max_coords, eps, rtol, atol, seed, position)


def _check_node(node, upstream, max_coords, eps, rtol, atol, seed, position):
    fn = node.fn
    if fn is None:
        return NodeCheck(node, position, "skip", note="leaf")
    rng = np.random.default_rng([seed, position])
    xs = [_to64(i._value) for i in node.inputs]
    attrs = node.attrs
    try:
        out0 = _forward_checked_values(fn, node, xs, attrs)
    except GraphscopeError as exc:
        return NodeCheck(node, position, "error", note=f"forward failed: {exc}")
    if out0.__class__ is not float:
        out0 = np.array(out0)  # a copy: reshape, transpose, slicing give views of the inputs nudged below
    if not np.all(np.isfinite(out0)):
        return NodeCheck(node, position, "skip", note="its value is not finite")
    if upstream is None:
        u = float(rng.standard_normal()) if out0.__class__ is float else rng.standard_normal(np.shape(out0))
    else:
        u = _to64(upstream.value if hasattr(upstream, "_value") else upstream)
        if u.__class__ is not float and out0.__class__ is float:
            u = float(np.asarray(u).reshape(()))
    shim = SimpleNamespace(fn=fn, attrs=attrs, _value=out0,
                           inputs=[SimpleNamespace(_value=x, requires_grad=True) for x in xs])
    try:
        grads = input_gradients(shim, u, all_inputs=True)
    except Exception as exc:  # the op's own VJP raised: that is the finding
        return NodeCheck(node, position, "error", note=f"VJP raised {type(exc).__name__}: {exc}")
    if len(grads) != len(xs):
        return NodeCheck(node, position, "error", note=f"VJP returned {len(grads)} gradients for {len(xs)} inputs")
    diff = fn.differentiable
    row = NodeCheck(node, position, "ok")
    for i, (x, inp) in enumerate(zip(xs, node.inputs)):
        result = InputCheck(inp.name, shape_of(x), slot=i)
        if diff is not None and i < len(diff) and not diff[i]:
            result.note = "not differentiable (declared by the op)"
        elif np.asarray(x).dtype.kind != "f":
            result.note = f"not a float input ({np.asarray(x).dtype})"
        else:
            _check_input(fn, node, xs, i, grads[i], u, out0, result, max_coords, eps, rtol, atol, rng)
        row.inputs.append(result)
    if not all(r.ok for r in row.inputs):
        row.status = "FAIL"
    return row


def _check_input(fn, node, xs, i, ga, u, out0, result, max_coords, eps, rtol, atol, rng):
    """Finite differences of sum(u * op(xs)) in input i, at up to max_coords entries."""
    x = xs[i]
    shape = shape_of(x)
    if ga is None:
        ga = np.zeros(shape)
        result.note = "the VJP gave no gradient (None): compared as zero"
    ga = np.asarray(ga, dtype=np.float64)
    if ga.shape != shape and not (ga.size == 1 and shape == ()):
        result.ok = False
        result.note = f"the VJP returned shape {ga.shape} for an input of shape {shape}"
        return
    ga = ga.reshape(shape)
    scalar = x.__class__ is float
    work = list(xs)
    flat = None if scalar else x.reshape(-1)  # a view of the private float64 copy, nudged in place
    u_abs = np.abs(u)
    out0_abs = np.abs(out0)
    attrs = node.attrs
    entries = []
    for c in _sample(1 if scalar else x.size, max_coords, rng):
        x0 = x if scalar else float(flat[c])

        def diff(step):
            if scalar:
                work[i] = x0 + step
            else:
                flat[c] = x0 + step
            out = np.asarray(_forward_checked_values(fn, node, work, attrs))
            d = out - out0
            return float(np.sum(u * d)), float(np.sum(u_abs * (np.abs(out) + out0_abs) * (d != 0)))

        a = float(ga) if scalar else float(ga.reshape(-1)[c])
        entry = _measure(diff, a, x0, eps, rtol, atol)
        if scalar:
            work[i] = x0
        else:
            flat[c] = x0
        entry.index = _flat_index(shape, c)
        entries.append(entry)
    _collect(result, entries)


def check_nodes(output, max_coords=20, eps=1e-6, rtol=1e-5, atol=0.0, seed=0):
    """The per-node check of every op node of a graph (or the graph ending at `output`): a NodeReport.

    Each node's VJP is checked against finite differences of its own forward
    on its recorded inputs, with a seeded random upstream probe, so a wrong
    backward is caught at exactly the node that has it. Rows come in
    topological order; ``report.first_failure`` is the node to look at.
    """
    graph = require_graph(output)
    rows = [check_node(n, None, max_coords, eps, rtol, atol, seed, position=k)
            for k, n in enumerate(graph.nodes) if n.fn is not None]
    return NodeReport(rows)


# ---------------------------------------------------------------- whole graph

def gradcheck(output, wrt=None, eps=1e-6, rtol=1e-5, atol=0.0, max_coords=20, seed=0, upstream=None,
              locate=True, raise_on_failure=False):
    """Check the analytic gradients of leaves against central differences of the output.

    ``output``: a tensor or Graph (a non-scalar output is reduced with a
    seeded random probe, or with ``upstream``). ``wrt``: leaves (tensors,
    names or ids); default every leaf that requires a gradient. The graph is
    replayed in float64 for every nudged entry and left exactly as it was
    (values, gradients). With ``locate`` (default) a failure also runs
    ``check_nodes`` to name the node whose VJP is wrong. Returns a
    GradcheckReport (true when every leaf passed); ``raise_on_failure``
    raises GradcheckError with the report's summary instead.
    """
    graph = require_graph(output)
    root = graph.output
    leaves = _resolve_wrt(graph, wrt)
    rng = np.random.default_rng([seed, 1 << 20])
    saved = [(n, n._value, n.grad, n.requires_grad) for n in graph.nodes]
    try:
        with np.errstate(all="ignore"):  # nudged inputs may leave an op's domain: such entries are skipped
            results = _check_leaves(graph, root, leaves, upstream, max_coords, eps, rtol, atol, rng)
    finally:
        for n, value, grad, rg in saved:
            n._value = value
            n.grad = grad
            n.requires_grad = rg
    report = GradcheckReport(root, results)
    if not report.ok and locate:
        report.nodes = check_nodes(graph, max_coords, eps, rtol, atol, seed)
    if not report.ok and raise_on_failure:
        raise GradcheckError(report.summary())
    return report


def _check_leaves(graph, root, leaves, upstream, max_coords, eps, rtol, atol, rng):
    """The gradcheck proper, on the graph cast to float64 (the caller restores it)."""
    for n in graph.leaves:
        n._value = _to64(n._value)
    replay(graph.nodes, observed=False)
    _set_requires_grad(graph.nodes, leaves)
    if upstream is not None:
        u = _to64(upstream.value if hasattr(upstream, "_value") else upstream)
    elif root._value.__class__ is float or np.size(root._value) == 1:
        u = None
    else:
        u = rng.standard_normal(np.shape(root._value))
    for n in graph.nodes:
        n.grad = None
    _backward(root, u, order=graph.nodes)
    probe = 1.0 if u is None else u
    return [_check_leaf(graph, root, leaf, probe, max_coords, eps, rtol, atol, rng) for leaf in leaves]


def _resolve_wrt(graph, wrt):
    if wrt is None:
        leaves = [n for n in graph.leaves if n.requires_grad]
        if not leaves:
            raise GraphscopeError(f"gradcheck: no leaf of {graph.output.name} requires a gradient "
                                  f"(make parameters with gs.param, or pass wrt=[...])")
        return leaves
    keys = wrt if isinstance(wrt, (list, tuple)) else [wrt]
    leaves = []
    for key in keys:
        try:
            node = graph.node(key)
        except KeyError as exc:
            raise GraphscopeError(f"gradcheck: {exc.args[0]}") from None
        if node.fn is not None:
            raise GraphscopeError(f"gradcheck: wrt must be leaves; {node.name} is computed by op {node.op}")
        leaves.append(node)
    return leaves


def _set_requires_grad(nodes, leaves):
    """Make the chosen leaves (and what depends on them) require a gradient, for the check only."""
    for leaf in leaves:
        leaf.requires_grad = True
    for n in nodes:
        if n.fn is not None and not n.requires_grad:
            n.requires_grad = any(i.requires_grad for i in n.inputs)


def _check_leaf(graph, root, leaf, probe, max_coords, eps, rtol, atol, rng):
    """Nudge sampled entries of one leaf, replay what depends on it, difference the output."""
    result = InputCheck(leaf.name, leaf.shape)
    ga = np.zeros(leaf.shape) if leaf.grad is None else np.asarray(leaf.grad, dtype=np.float64)
    affected = downstream(graph.nodes, [leaf])
    x = leaf._value
    scalar = x.__class__ is float
    work = x if scalar else x.copy()
    flat = None if scalar else work.reshape(-1)

    def loss():
        replay(affected, observed=False)
        return float(np.sum(probe * root._value))

    if not scalar:
        leaf._value = work
    base = loss()
    entries = []
    for c in _sample(1 if scalar else x.size, max_coords, rng):
        x0 = x if scalar else float(flat[c])

        def diff(step):
            if scalar:
                leaf._value = x0 + step
            else:
                flat[c] = x0 + step
            value = loss()
            return value - base, abs(value) + abs(base)

        a = float(ga) if scalar else float(ga.reshape(-1)[c])
        entry = _measure(diff, a, x0, eps, rtol, atol)
        if not scalar:
            flat[c] = x0
        entry.index = _flat_index(leaf.shape, c)
        entries.append(entry)
    leaf._value = x
    replay(affected, observed=False)
    return _collect(result, entries)
