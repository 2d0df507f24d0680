"""Gradient checks: the analytic gradient against central finite differences.

Two questions, two functions:

- ``gradcheck(output)``: are the gradients of the leaves right? The whole
  graph is replayed with each sampled leaf entry nudged by +-h. When it
  fails, the per-node check runs too and names the node to blame.
- ``check_nodes(output)``: which node's backward is wrong? For every op node,
  its own VJP (with a random upstream probe u) against finite differences of
  its own forward on its recorded inputs: d/dx sum(u * op(x)).

Both work in float64 on copies (a float32 graph is checked in float64 and
left untouched; each custom op's VJP is run again in the graph's dtype and
must give float64's gradient within NATIVE_RTOL of its scale), sample at most ``max_coords`` entries per input with a
seeded generator, and use a step h = eps * max(1, |x|) per entry. An entry
passes when the relative error |a - n| / max(|a|, |n|) is at most ``rtol``,
or the absolute error is within the finite difference's own rounding and
truncation error (plus ``atol``): a derivative that is zero up to noise. At
a kink (relu at exactly 0, x on a clip bound) the two one-sided differences
disagree; there any value between them is a valid (sub)gradient and passes;
such entries are counted as ``kinks``. Entries whose nudged forward is not
finite (an input nudged out of an op's domain) are skipped and counted.

Ops that draw random numbers in their forward (a dropout mask drawn anew on
every call) cannot be checked this way: keep their randomness in an
attribute (a fixed mask) while checking.
"""
import math

import numpy as np

from .backward import backward as _backward, call_vjp
from .checksettings import require_settings, require_upstream, setting_problem
from .errors import ArgumentError, BackwardError, GraphscopeError, VJPError
from .gradcheck_report import (ALL_ZERO, NOTHING_TO_CHECK, VALUE_NOT_FINITE, WRONG_DTYPE, Entry, GradcheckError,
                               GradcheckReport, InputCheck, NodeCheck, NodeReport)
from .graph import require_graph
from .nonfinite import is_finite, nonfinite_summary
from .optable import shape_of
from .precision import low_precision, rounding_tolerance
from .replay import compute_for_node, downstream, replay
from .words import plural
from .staleness import put_back, stamps

_EPS64 = np.finfo(np.float64).eps
#: Noise allowance: this many float64 roundings of the values that were differenced.
_NOISE = 16.0
#: A forward difference within this relative error settles an entry (linear ops: exact but for rounding).
_ONE_SIDED = 1e-7
#: One-sided differences further apart than this (relatively) mark a kink.
_KINK = 1e-3
#: How many times a failing entry's step is cut by 10 to tell curvature and kinks from a wrong gradient.
_REFINEMENTS = 3
#: A gradient reaching a leaf's consumers below this fraction of the largest gradient in the graph has vanished:
#: that, not the input values, is why the leaf's gradient is 0 where checked.
_VANISHED = 1e-6
#: A gradient that shrinks by more than this at one node dies there (a ReLU that is off, a product with 0, a local
#: derivative that is 0 at these input values) rather than vanishing gradually over many layers.
_ABRUPT = 1e-3


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
    A forward difference that agrees to 1e-7 settles it in one evaluation;
    otherwise the central difference decides. A failing entry gets a second
    look (``_second_look``) at a tenth of the step: curvature that the first
    step could not resolve, a kink near the entry, or a kink at it.
    """
    h = eps * max(1.0, abs(x0))
    if not math.isfinite(a):  # a gradient that is not finite is never right, whatever the difference says
        (dp, _), (dm, _) = diff(h), diff(-h)
        return Entry((), float(a), float((dp - dm) / (2 * h)), math.inf, math.inf, "fail")
    dp, noise_p = diff(h)
    fwd = dp / h
    err = abs(a - fwd)
    if err <= min(rtol, _ONE_SIDED) * max(abs(a), abs(fwd)):
        # the forward difference already agrees closely (as it does for an op linear in this input,
        # matmul included): one evaluation instead of two
        return Entry((), float(a), float(fwd), float(err), err / max(abs(a), abs(fwd), 1e-300), "rel",
                     zero=a == 0 and fwd == 0)
    dm, noise_m = diff(-h)
    n = (dp - dm) / (2 * h)
    tol = atol + _NOISE * _EPS64 * (noise_p + noise_m) / h
    if _verdict(a, n, tol, rtol) != "fail" or not np.isfinite(n):
        return _entry(a, n, tol, rtol)
    return _second_look(diff, a, h, (dp, dm, tol), rtol, atol)


def _verdict(a, n, tol, rtol):
    """'rel' (within rtol), 'abs' (within the difference's own error `tol`) or 'fail'."""
    abs_err = abs(a - n)
    if abs_err <= rtol * max(abs(a), abs(n)):
        return "rel"
    return "abs" if abs_err <= tol else "fail"


def _entry(a, n, tol, rtol, basis=None, **extra):
    """The Entry of `a` against the finite difference `n` whose own error is at most `tol`."""
    abs_err = abs(a - n)
    rel = abs_err / max(abs(a), abs(n), 1e-300) if abs_err else 0.0
    basis = basis or _verdict(a, n, tol, rtol)
    # both vanish (up to the difference's own rounding and truncation error): nothing was compared
    zero = basis != "fail" and max(abs(a), abs(n)) <= tol
    return Entry((), float(a), float(n), float(abs_err), float(rel), basis, zero=bool(zero), **extra)


def _second_look(diff, a, h, first, rtol, atol):
    """Judge a failing entry again with differences at steps of h/10, h/100, ... (at most _REFINEMENTS of them).

    Truncation error shrinks with the square of the step and rounding grows with its inverse: the step is cut
    while the error bound of the central difference shrinks (the bound is estimated from how far successive
    differences are apart, Richardson's way), and the difference with the smallest bound decides. One-sided
    differences that stay apart as the step shrinks mark a kink, where anything between them passes; one-sided
    differences that converge show curvature, never a kink (the VJP of 1/x near x = 1e-3, at a step of 1e-6, is
    judged, not excused).
    """
    dp, dm, tol = first
    n, slopes, step, best = (dp - dm) / (2 * h), (dp / h, -dm / h), h, None
    for _ in range(_REFINEMENTS):
        step /= 10
        sp, noise_p = diff(step)
        sm, noise_m = diff(-step)
        ns = (sp - sm) / (2 * step)
        tol_s = atol + _NOISE * _EPS64 * (noise_p + noise_m) / step
        if not np.isfinite(ns):
            break
        apart = abs(n - ns)  # ~ the truncation error of n (100 times that of ns)
        if best is None or tol + 2 * apart < best[1]:
            best = (n, tol + 2 * apart)
        if _verdict(a, ns, tol_s, rtol) == "rel":
            return _entry(a, ns, tol_s, rtol)
        small = (sp / step, -sm / step)
        gap, small_gap = abs(slopes[0] - slopes[1]), abs(small[0] - small[1])
        if small_gap > _KINK * max(map(abs, small)) + 2 * tol_s and small_gap > gap / 2:  # apart at both: a kink
            low, high = min(slopes + small), max(slopes + small)
            slack = 1e-4 * max(abs(low), abs(high)) + 2 * tol_s
            basis = "kink" if low - slack <= a <= high + slack else "fail"
            return _entry(a, ns, tol_s, rtol, basis, between=(float(min(small)), float(max(small))))
        if tol_s + 2 * apart / 99 >= best[1]:  # rounding now outweighs truncation: a smaller step only blurs
            break
        best = (ns, tol_s + 2 * apart / 99)
        n, tol, slopes = ns, tol_s, small
    if best is None:
        best = (n, tol)
    return _entry(a, best[0], best[1], rtol)


def _collect(result, entries, worst=3):
    """Fill an InputCheck from its entries.

    An entry whose finite difference is not finite is skipped, unless its analytic derivative is not finite
    either: a non-finite gradient fails wherever it is. When every sampled entry was skipped, nothing was
    compared: the input is not judged.
    """
    good = [e for e in entries if math.isfinite(e.numerical) or not math.isfinite(e.analytic)]
    result.skipped += len(entries) - len(good)
    result.checked += len(good)
    result.kinks += sum(e.basis == "kink" for e in good)
    result.zeros += sum(e.zero for e in good)
    result.zero_largest = max([result.zero_largest] + [abs(e.analytic) for e in good if e.zero])
    if good:
        # near-zero derivatives (within noise) and kinks pass without a meaningful relative error
        telling = [e for e in good if e.basis in ("rel", "fail")]
        result.measured += len(telling)
        result.excused = sorted(result.excused + [e for e in good if e.basis == "kink"], key=lambda e: -e.rel_err)[:worst]
        result.max_rel = max([result.max_rel] + [e.rel_err for e in telling])
        result.max_abs = max([result.max_abs] + [e.abs_err for e in telling])
        result.ok = result.ok and all(e.ok for e in good)
        bad = sorted((e for e in good if not e.ok), key=lambda e: -e.rel_err)
        result.worst = (bad or sorted(telling, key=lambda e: -e.rel_err))[:worst]
        infinite = [e for e in good if not math.isfinite(e.analytic)]
        if infinite:
            result.problem = "not finite"
            kinds = " and ".join(sorted({"nan" if e.analytic != e.analytic else f"{e.analytic:g}" for e in infinite}))
            result.note = result.note or (f"the analytic gradient is not finite at {len(infinite)} of the "
                                          f"{len(good)} entries checked ({kinds})")
    elif entries:
        result.note = result.note or "every sampled entry gave a non-finite finite difference"
    return result


def _flat_index(shape, c):
    return tuple(int(i) for i in np.unravel_index(int(c), shape)) if shape else ()


# ---------------------------------------------------------------- per node

def check_node(node, upstream=None, max_coords=20, eps=1e-6, rtol=1e-5, atol=0.0, seed=0, position=0):
    """Check one op node's VJP against finite differences of its own forward on its recorded inputs.

    ``upstream``: the gradient to pull back (default: a seeded random probe
    shaped like the node's value); ``position`` numbers the node in reports and
    seeds its probe. Returns a NodeCheck (``print(check)`` shows it readably).
    Every setting is validated first (see ``graphscope.engine.checksettings``).
    """
    if not hasattr(node, "op_def"):
        raise ArgumentError(f"check_node: expected a graphscope tensor (a node of a graph), got {type(node).__name__}")
    require_settings("check_node", eps=eps, rtol=rtol, atol=atol, max_coords=max_coords, seed=seed)
    if setting_problem("seed", position):
        raise ArgumentError(f"check_node: position {setting_problem('seed', position)}")
    require_upstream("check_node", upstream, shape_of(node._value))
    with np.errstate(all="ignore"):  # nudged inputs may leave an op's domain: such entries are skipped
        return _check_node(node, upstream, max_coords, eps, rtol, atol, seed, position)


def _settled_attrs(node):
    """The attributes `node` is computed with now: a mode switched since its value was computed applies (forward
    and VJP then agree on one mode)."""
    settle = node.op_def.settle
    return (settle(node.attrs) if settle is not None else None) or node.attrs


def _check_node(node, upstream, max_coords, eps, rtol, atol, seed, position):
    fn = node.op_def
    if fn is None:
        return NodeCheck(node, position, "skip", note="leaf")
    rng = np.random.default_rng([seed, position])
    xs = [_to64(i._value) for i in node.inputs]
    attrs = _settled_attrs(node)
    try:
        out0 = compute_for_node(fn, node, xs, attrs)
    except GraphscopeError as exc:
        return NodeCheck(node, position, "error", note=f"forward failed: {exc}")
    if out0.__class__ is not float:
        out0 = np.array(out0)  # a copy: reshape, transpose, slicing give views of the inputs nudged below
    if not np.all(np.isfinite(out0)):
        return NodeCheck(node, position, "skip", note=VALUE_NOT_FINITE)
    if upstream is None:
        u = float(rng.standard_normal()) if out0.__class__ is float else rng.standard_normal(np.shape(out0))
    else:
        u = _to64(upstream.value if hasattr(upstream, "_value") else upstream)
        if u.__class__ is not float and out0.__class__ is float:
            u = float(np.asarray(u).reshape(()))
    try:
        grads = call_vjp(fn, u, xs, out0, attrs)
    except VJPError as exc:  # the op's own VJP raised: that is the finding
        return NodeCheck(node, position, "error", note=exc.short or f"VJP raised {type(exc.cause).__name__}",
                         detail=str(exc))
    except BackwardError as exc:  # it returned what is no gradient (too few of them): said, not "raised"
        return NodeCheck(node, position, "error", note=getattr(exc, "short", "") or exc.summary, detail=str(exc))
    except Exception as exc:
        return NodeCheck(node, position, "error", note=f"VJP raised {type(exc).__name__}", detail=str(exc))
    if len(grads) != len(xs):
        return NodeCheck(node, position, "error",
                         note=f"VJP returned {plural(len(grads), 'gradient')} for {plural(len(xs), 'input')}")
    diff = fn.differentiable
    row = NodeCheck(node, position, "ok")
    for i, (x, inp) in enumerate(zip(xs, node.inputs)):
        result = InputCheck(inp.name, shape_of(x), slot=i, needed=inp.requires_grad)
        if diff is not None and i < len(diff) and not diff[i]:
            result.note = "not differentiable (declared by the op)"
        elif np.asarray(x).dtype.kind != "f":
            result.note = f"not a float input ({np.asarray(x).dtype})"
        else:
            _check_input(fn, node, xs, i, grads[i], u, out0, result, max_coords, eps, rtol, atol, rng)
            if result.unjudged_reason == ALL_ZERO:
                result.cause = _local_zero_cause(node, xs, i)
        row.inputs.append(result)
    low = low_precision(node._value) if compared_natively(fn) else None
    if low is not None:
        _check_native(fn, node, u, grads, row.inputs, low)
    if not all(r.ok for r in row.inputs):
        row.status = "FAIL"
    elif not any(r.checked or r.skipped for r in row.inputs):
        row.status, row.note = "skip", NOTHING_TO_CHECK
    return row


#: How far a custom VJP's gradient computed in the graph's dtype may stray from float64's, relative to the gradient's
#: scale. The bugs the comparison is for (a finite-difference step that rounds away) are wrong by all of it; a right
#: VJP that cancels (1 - t^2 of a saturated tanh) is off by far less.
NATIVE_RTOL = 1e-2


def native_tolerance(dtype):
    """How far a gradient computed in `dtype` may stray from float64's, relative to the gradient's scale."""
    return max(NATIVE_RTOL, rounding_tolerance(dtype))


def compared_natively(op):
    """True for an op whose VJP the checks run again in the graph's dtype: a custom op's. The built-ins are
    tested against PyTorch in float32; comparing them would only flag the rounding of a right VJP."""
    return op is not None and op.handle is not None


def _check_native(fn, node, u, grads64, results, dtype):
    """Run the node's VJP again in its own dtype, on its recorded inputs, and fail each input whose gradient there
    is not float64's (a VJP right in float64 but wrong in float32: a finite-difference step that rounds away)."""
    u_native = u if u.__class__ is float else np.asarray(u, dtype=dtype)
    values = [i._value for i in node.inputs]
    try:
        native = call_vjp(fn, u_native, values, node._value, node.attrs)
    except Exception as exc:  # it ran in float64: failing only in the graph's dtype is the finding
        for result in results:
            if result.ok and result.checked:
                result.ok, result.problem = False, f"wrong in {dtype}"
                result.note = f"right in float64, but in {dtype} the VJP raised {type(exc).__name__}: {exc}"
        return
    try:  # the same VJP in float64 on the values as the graph's dtype holds them: what its rounding alone does
        rounded = call_vjp(fn, _to64(u_native), [_to64(v) for v in values], _to64(node._value), node.attrs)
    except Exception:
        rounded = [None] * len(native)
    for result, g64, gn, gr in zip(results, grads64, native, rounded):
        if result.ok and result.checked and g64 is not None and gn is not None:
            compare_native(result, g64, gn, dtype, rounded=gr)


def compare_native(result, g64, gn, dtype, worst=3, rounded=None):
    """Fail `result` (an InputCheck that passed in float64) when the gradient `gn` computed in `dtype` is not the
    float64 gradient `g64` within the dtype's tolerance: 'right in float64, wrong in float32: ...'.

    `rounded`: the same gradient computed in float64 from the values as `dtype` holds them (the op's value, its
    inputs, the upstream gradient, each rounded to `dtype`). An entry that agrees with it is right: what differs
    from float64 is the rounding of the op's own values (a saturated sigmoid's value rounds to 1 in float32, so
    g * s * (1 - s) is 0 there, in PyTorch as well), not the VJP.
    """
    a = np.asarray(g64, dtype=np.float64)
    try:
        b = np.asarray(gn, dtype=np.float64).reshape(a.shape)
    except ValueError:
        return
    scale = float(np.max(np.abs(a))) if a.size else 0.0
    tol = native_tolerance(dtype)
    err = np.abs(b - a)
    bad = ~(err <= tol * (np.abs(a) + scale))  # a NaN or an overflow in the low dtype is bad as well
    if rounded is not None and bad.any():
        try:
            r = np.asarray(rounded, dtype=np.float64).reshape(a.shape)
        except ValueError:
            r = None
        if r is not None:
            bad &= ~(np.abs(b - r) <= tol * (np.abs(r) + scale))
    if not bad.any():
        return
    flat = np.flatnonzero(bad)
    order = flat[np.argsort(-np.nan_to_num(err.reshape(-1)[flat], nan=np.inf))][:worst]
    entries = []
    for c in order:
        x, y = float(b.reshape(-1)[c]), float(a.reshape(-1)[c])
        e = abs(x - y)
        entries.append(Entry(_flat_index(a.shape, c), x, y, e, e / max(abs(x), abs(y), 1e-300), "fail",
                             dtype=str(dtype)))
    first = entries[0]
    where = f" {list(first.index)}" if first.index else ""
    result.ok = False
    result.problem = f"wrong in {dtype}"
    result.worst = entries
    result.note = (f"right in float64, wrong in {dtype}: entry{where} is {first.analytic + 0.0:.3g} where float64 "
                   f"gives {first.numerical + 0.0:.3g} ({len(flat)} of {a.size} entries differ by more than {tol:.1g} of the "
                   f"gradient's scale)")


def _local_zero_cause(node, xs, i):
    """Why input i's pulled-back gradient is all 0 at this node, when its other inputs or its op say: another
    input is all 0 (a matmul or product with dead units' zeros, or with zero weights), or a ReLU's input is <= 0
    (dead units); None otherwise."""
    zero = _zero_factor(node, i, xs)
    if zero is not None:
        return "zero input", f"{zero.name}, another input of the node, is all 0"
    if node.op == "relu":
        return "dead relu", f"{_not_positive(node.inputs[i].name, xs[i])}, where the ReLU's gradient is 0"
    return None


def _check_input(fn, node, xs, i, ga, u, out0, result, max_coords, eps, rtol, atol, rng):
    """Finite differences of sum(u * op(xs)) in input i, at up to max_coords entries."""
    x = xs[i]
    shape = shape_of(x)
    if ga is None:
        ga = np.zeros(shape)
        result.note = "the VJP gave no gradient (None): compared as zero"
    narrower = _narrower_dtype(ga, node.inputs[i]._value)
    ga = np.asarray(ga, dtype=np.float64)
    if ga.shape != shape and not (ga.size == 1 and shape == ()):
        result.ok = False
        result.problem = "wrong shape"
        result.note = f"the VJP returned shape {ga.shape} for an input of shape {shape}"
        return
    ga = ga.reshape(shape)
    scalar = x.__class__ is float
    work = list(xs)
    flat = None if scalar else x.reshape(-1)  # a view of the private float64 copy, nudged in place
    u_abs = np.abs(u)
    out0_abs = np.abs(out0)
    attrs = _settled_attrs(node)
    entries = []
    for c in _sample(1 if scalar else x.size, max_coords, rng):
        x0 = x if scalar else float(flat[c])

        def diff(step):
            if scalar:
                work[i] = x0 + step
            else:
                flat[c] = x0 + step
            out = np.asarray(compute_for_node(fn, node, work, attrs))
            d = out - out0
            changed = d != 0
            if not changed.any():  # every output rounded back to itself: a derivative below that is not resolved
                return 0.0, float(np.sum(u_abs * out0_abs))
            return float(np.sum(u * d)), float(np.sum(u_abs * (np.abs(out) + out0_abs) * changed))

        a = float(ga) if scalar else float(ga.reshape(-1)[c])
        entry = _measure(diff, a, x0, eps, rtol, atol)
        if scalar:
            work[i] = x0
        else:
            flat[c] = x0
        entry.index = _flat_index(shape, c)
        entries.append(entry)
    _collect(result, entries)
    if narrower is not None:
        given = _dtype_of(node.inputs[i]._value)
        result.ok, result.problem = False, WRONG_DTYPE
        result.note = (f"the VJP returned {narrower} for a {given} input, so every gradient through it is rounded "
                       f"to {narrower}: return the input's dtype (e.g. .astype(x.dtype))"
                       + (f"; {result.note}" if result.note else ""))


def _dtype_of(value):
    """A recorded value's dtype (float64 for the scalar path's Python floats)."""
    return np.dtype(np.float64) if value.__class__ is float else np.asarray(value).dtype


def _narrower_dtype(gradient, value):
    """The dtype of a VJP's `gradient` when it holds less than the recorded input `value` (float32 or float16 for a
    float64 input, integers for a float one), else None. Python numbers take the input's dtype."""
    dtype = getattr(gradient, "dtype", None)
    if dtype is None or not isinstance(gradient, (np.ndarray, np.generic)):
        return None
    given = _dtype_of(value)
    if given.kind != "f":
        return None
    if dtype.kind in "iub" or (dtype.kind == "f" and dtype.itemsize < given.itemsize):
        return dtype
    return None


def check_nodes(output, max_coords=20, eps=1e-6, rtol=1e-5, atol=0.0, seed=0):
    """The per-node check of every op node of a graph (or the graph ending at `output`): a NodeReport.

    Each node's VJP is checked against finite differences of its own forward
    on its recorded inputs, with a seeded random upstream probe, so a wrong
    backward is caught at exactly the node that has it. Rows come in
    topological order; ``report.first_failure`` is the node to look at;
    ``print(report)`` shows the table and the summary.
    """
    require_settings("check_nodes", eps=eps, rtol=rtol, atol=atol, max_coords=max_coords, seed=seed)
    graph = require_graph(output)
    with np.errstate(all="ignore"):  # nudged inputs may leave an op's domain: such entries are skipped
        rows = [_check_node(n, None, max_coords, eps, rtol, atol, seed, k)
                for k, n in enumerate(graph.nodes) if n.op_def is not None]
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
    ``check_nodes`` to name the node whose VJP is wrong, and every node of a
    custom op (a VJP of the user's) gets the per-node check whatever the
    leaves say: a wrong VJP through which little of the gradient flows can
    leave the leaves' error under ``rtol``, so one that fails its own check
    fails the report (``report.custom``). Returns a
    GradcheckReport (true when every leaf passed; ``print(report)`` shows
    the table and the summary), also when the backward pass cannot run (a
    VJP that raises or returns a gradient of the wrong shape): then every
    leaf fails and ``report.backward_error`` names the node and the shapes.
    ``raise_on_failure`` raises GradcheckError with the report's summary
    instead. Every setting is validated first (an ArgumentError).
    """
    require_settings("gradcheck", eps=eps, rtol=rtol, atol=atol, max_coords=max_coords, seed=seed)
    graph = require_graph(output)
    root = graph.output
    require_upstream("gradcheck", upstream, shape_of(root._value))
    leaves = _resolve_wrt(graph, wrt)
    rng = np.random.default_rng([seed, 1 << 20])
    saved = [(n, n._value, n.grad, n.requires_grad, n.attrs) for n in graph.nodes]  # (a replay may settle a mode)
    dates = stamps(graph.nodes)  # and the replays date the values they compute (engine.staleness)
    broken = ""
    try:
        with np.errstate(all="ignore"):  # nudged inputs may leave an op's domain: such entries are skipped
            results = _check_leaves(graph, root, leaves, upstream, max_coords, eps, rtol, atol, rng)
    except BackwardError as exc:  # a VJP that raises or returns no gradient: every leaf fails, the node is named
        broken = str(exc)
        results = [_no_gradient(leaf, exc) for leaf in leaves]
    finally:
        for n, value, grad, rg, attrs in saved:
            n._value = value
            n.grad = grad
            n.requires_grad = rg
            n.attrs = attrs
        put_back(dates)
    report = GradcheckReport(root, results, backward_error=broken)
    if not is_finite(root._value):
        report.output_not_finite = nonfinite_summary(root._value)[0]
    if locate:
        report.custom = _check_custom_nodes(graph, leaves, max_coords, eps, rtol, atol, seed)
    if not report.ok and locate:
        report.nodes = check_nodes(graph, max_coords, eps, rtol, atol, seed)
    if not report.ok and raise_on_failure:
        raise GradcheckError(report.summary())
    return report


def _check_custom_nodes(graph, leaves, max_coords, eps, rtol, atol, seed):
    """The per-node check (as check_nodes makes it) of the custom-op nodes the leaves' gradients pass through, or
    None when there is none. A node wrong only for an input no checked leaf's gradient passes through is left out:
    it is not these leaves' business."""
    reached = {id(n) for n in downstream(graph.nodes, leaves)} | {id(leaf) for leaf in leaves}
    rows = []
    with np.errstate(all="ignore"):
        for k, n in enumerate(graph.nodes):
            if id(n) not in reached or not compared_natively(n.op_def):
                continue
            row = _check_node(n, None, max_coords, eps, rtol, atol, seed, k)
            if row.status != "FAIL" or any(not i.ok and id(n.inputs[i.slot]) in reached for i in row.inputs):
                rows.append(row)
    return NodeReport(rows) if rows else None


def _no_gradient(leaf, exc):
    """The InputCheck of a leaf whose gradient could not be computed: the backward pass stopped at exc.node."""
    at = f" at {exc.node.name}" if exc.node is not None else ""
    return InputCheck(leaf.name, leaf.shape, ok=False, problem="backward failed",
                      note=f"no gradient: the backward pass stopped{at} ({exc.summary})")


def _check_leaves(graph, root, leaves, upstream, max_coords, eps, rtol, atol, rng):
    """The gradcheck proper, on the graph cast to float64 (the caller restores it)."""
    _set_requires_grad(graph.nodes, leaves)
    if upstream is not None:
        u = _to64(upstream.value if hasattr(upstream, "_value") else upstream)
    elif root._value.__class__ is float or np.size(root._value) == 1:
        u = None
    else:
        u = rng.standard_normal(np.shape(root._value))
    native = _native_gradients(graph, root, leaves, u)
    for n in graph.leaves:
        n._value = _to64(n._value)
    replay(graph.nodes, observed=False)
    for n in graph.nodes:
        n.grad = None
    _backward(root, u, order=graph.nodes)
    probe = 1.0 if u is None else u
    reaching = _gradients_reaching(graph, root)
    results = []
    for leaf in leaves:
        result = _check_leaf(graph, root, leaf, probe, max_coords, eps, rtol, atol, rng)
        if leaf in native and leaf.grad is not None:
            gradient, dtype, rounded = native[leaf]
            compare_native(result, leaf.grad, gradient, dtype, rounded=rounded)
        if result.unjudged_reason == ALL_ZERO:
            result.cause = reaching(leaf)
        results.append(result)
    return results


def _native_gradients(graph, root, leaves, u):
    """{leaf: (gradient, dtype, rounded)}: the leaves' gradients as the graph computes them in its own dtype, for a
    graph with values in less than float64 and a custom op (none otherwise), and `rounded`, the same backward pass
    in float64 over the values as the graph holds them (see compare_native); the gradcheck compares them with
    float64's. The graph's values are left in float64 (the caller replays and restores them)."""
    low = native_dtypes(graph)
    if not low:
        return {}
    replay(graph.nodes, observed=False)  # the values of the leaves as they are (a parameter may have changed)
    for n in graph.nodes:
        n.grad = None
    seed = None if u is None else np.asarray(u, dtype=getattr(root._value, "dtype", np.float64))
    _backward(root, seed, order=graph.nodes)
    native = {leaf: (np.array(leaf.grad), low_precision(leaf._value) or low[0]) for leaf in leaves
              if leaf.grad is not None}
    for n in graph.nodes:
        n._value = _to64(n._value)
        n.grad = None
    try:
        _backward(root, None if seed is None else _to64(seed), order=graph.nodes)
        rounded = {leaf: leaf.grad for leaf in native}
    except Exception:  # float64's own pass (below) says what is wrong with the VJPs
        rounded = {}
    return {leaf: (gradient, dtype, rounded.get(leaf)) for leaf, (gradient, dtype) in native.items()}


def native_dtypes(graph):
    """The dtypes below float64 (float32, float16; narrowest first) in which the checks run a graph's custom VJPs
    again: [] when the graph has no value in less than float64, or no custom op."""
    if not any(compared_natively(n.op_def) for n in graph.nodes):
        return []
    return sorted({d for d in map(low_precision, (n._value for n in graph.nodes)) if d is not None},
                  key=lambda d: d.itemsize)


def _gradients_reaching(graph, root):
    """A function leaf -> why its gradient is all 0, when the graph shows it (see InputCheck.cause), else None.

    ('zero input', ...) when a product (matmul, mul) using the leaf has another input that is all 0;
    ('vanishing', ...) when the gradient reaching the nodes that use it is tiny next to the largest gradient of
    the graph's other op nodes (below _VANISHED of it) and shrank there gradually; when it dies at one node (by
    more than _ABRUPT), that node says why: a ReLU whose inputs are <= 0 there ('dead relu'), a product with an
    all-0 input ('zero input'); any other (a local derivative that is 0 at these input values, where other input
    values would help) leaves it unexplained.
    """
    def biggest(node):
        g = node.grad
        if g is None:
            return 0.0
        a = np.abs(np.asarray(g, dtype=np.float64))
        return float(a.max()) if a.size and np.isfinite(a).all() else math.nan

    sizes = {n.id: biggest(n) for n in graph.nodes if n.op_def is not None and n is not root}
    finite = [(v, i) for i, v in sizes.items() if math.isfinite(v)]
    if not finite:
        return lambda leaf: None
    top, top_id = max(finite)
    consumers = {}
    for n in graph.nodes:
        for i in n.inputs:
            if n.op_def is not None:
                consumers.setdefault(i.id, []).append(n)

    def tiny(n):
        return n.id in sizes and sizes[n.id] <= _VANISHED * top

    def stop(node):
        """The first node downstream of `node` with a gradient that is not tiny: where the gradient dies."""
        seen, todo = set(), [node]
        while todo:
            n = todo.pop()
            for user in consumers.get(n.id, []):
                if user.id in seen:
                    continue
                seen.add(user.id)
                if user is root or not tiny(user):
                    return user, n
                todo.append(user)
        return None, None

    def cause(leaf):
        users = consumers.get(leaf.id, [])
        for n in users:
            zero = _zero_factor(n, leaf)
            if zero is not None:
                return "zero input", f"{leaf.name} is multiplied by {zero.name} at {n.name}, and {zero.name} is all 0"
        reach = [(sizes[n.id], n) for n in users if n.id in sizes]
        if not reach or top == 0 or not all(math.isfinite(v) for v, _ in reach):
            return None
        most, user = max(reach, key=lambda r: r[0])
        if most > _VANISHED * top:
            return None
        at, below = stop(user)
        if most > 0 and (at is None or sizes[below.id] > _ABRUPT * sizes.get(at.id, top)):
            return "vanishing", (f"at most {most:.1e} reaches {leaf.name} (at {user.name}), against {top:.2g} at "
                                 f"{graph.node(top_id).name}")
        # the gradient dies at one node: `at` passes (almost) nothing back to `below`
        if at is not None and at.op == "relu":
            return "dead relu", f"no gradient passes {at.name}: {_not_positive(below.name, below._value)}"
        zero = None if at is None else _zero_factor(at, below)
        if zero is not None:
            return "zero input", f"the gradient stops at {at.name}, where {zero.name} is all 0"
        return None
    return cause


def _zero_factor(node, x, values=None):
    """The other input of a product node (matmul, mul) that is all 0 (so x's gradient there is 0), or None. `x`:
    the input node, or its position; `values`: the inputs' values (by default those recorded)."""
    if node.op not in ("matmul", "mul"):
        return None
    values = [other._value for other in node.inputs] if values is None else values
    for j, (other, v) in enumerate(zip(node.inputs, values)):
        mine = j == x if isinstance(x, int) else other is x
        if not mine and v.__class__ is not float and np.size(v) > 1 and np.asarray(v).dtype.kind == "f" \
                and not np.any(v):
            return other
    return None


def _not_positive(name, values):
    """'80% of h's entries are <= 0': where a ReLU passes no gradient back."""
    return f"{float(np.mean(np.asarray(values) <= 0)):.0%} of {name}'s entries are <= 0"


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
        if node.op_def is not None:
            raise GraphscopeError(f"gradcheck: wrt must be leaves; {node.name} is computed by op {node.op}")
        leaves.append(node)
    return leaves


def _set_requires_grad(nodes, leaves):
    """Make the chosen leaves (and what depends on them) require a gradient, for the check only."""
    for leaf in leaves:
        leaf.requires_grad = True
    for n in nodes:
        if n.op_def is not None and not n.requires_grad:
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
