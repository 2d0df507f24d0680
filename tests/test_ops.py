"""Every op in the table, tested the same way.

``SPECS`` maps each op name to a generator of cases (input values on shapes
drawn by Hypothesis, broadcast and scalar cases included, with the op's
attributes) and to the same computation written in PyTorch. Every op is
then checked in float64:

- its VJP, run by ``backward`` with a random upstream gradient and called
  directly, against fourth-order central differences of its forward
  (relative error < 1e-6; inputs are drawn away from kinks);
- its values and gradients against PyTorch's (1e-10);
- its Jacobian descriptors: shape, a known structure, a formula, an explicit
  matrix equal to the numerical Jacobian, and a structure that holds.

``test_every_op_has_cases`` fails as soon as an op is added to the table
without a case generator here.
"""
import importlib
import pkgutil
import sys
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import graphscope as gs
import strategies as sh
from graphscope.engine.backward import call_vjp
from graphscope.engine.jacobian import MAX_EXPLICIT_ENTRIES
from graphscope.engine.optable import STRUCTURES
from numgrad import numerical_jacobian, numerical_vjp, relative_error

VJP_TOLERANCE = 1e-6
TORCH_TOLERANCE = 1e-10

examples = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- cases

@dataclass
class Case:
    """One call of an op: its input values (Python floats for 0-d) and its attributes."""

    label: str
    inputs: list
    attrs: dict = field(default_factory=dict)

    def __str__(self):
        shapes = ", ".join(str(np.shape(x)) for x in self.inputs)
        return f"{self.label}: inputs {shapes} attrs {self.attrs}"


def leaf_value(a):
    """0-d values as Python floats, so that cases also run the engine's scalar path."""
    a = np.asarray(a, dtype=np.float64)
    return float(a) if a.shape == () else a


def uniform(rng, shape, lo=-2.0, hi=2.0):
    return leaf_value(rng.uniform(lo, hi, shape))


def positive(rng, shape):
    return uniform(rng, shape, 0.5, 2.0)


def away_from_zero(rng, shape, gap=0.1):
    """Values with |x| >= gap: away from the kink of relu, abs, leaky_relu and the pole of 1/x."""
    sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    return leaf_value(sign * rng.uniform(gap, 2.0, shape))


def distinct(rng, shape):
    """Entries at least 0.15 apart, so max never ties."""
    size = int(np.prod(shape, dtype=np.int64))
    spaced = rng.permutation(size) * 0.25 - size * 0.125 + rng.uniform(-0.05, 0.05, size)
    return leaf_value(spaced.reshape(shape))


def hinge_scores(rng, shape):
    """Scores whose SVM margins s_j - s_y + 1 stay at least 0.06 away from 0 (on a 0.3 lattice plus noise)."""
    return leaf_value(rng.integers(-4, 5, shape) * 0.3 + rng.uniform(-0.02, 0.02, shape))


def labels_for(rng, n, classes, dtype):
    return rng.integers(0, classes, n).astype(dtype)


def binary_cases(b_values=uniform):
    """Element-wise binary op: same shapes, broadcast shapes, scalar with array, two scalars."""
    def cases(draw, rng):
        same = draw(sh.shapes())
        sa, sb = draw(sh.broadcast_shapes())
        arr = draw(sh.shapes(min_dims=1))
        return [
            Case("same shape", [uniform(rng, same), b_values(rng, same)]),
            Case("broadcast", [uniform(rng, sa), b_values(rng, sb)]),
            Case("scalar with array", [uniform(rng, ()), b_values(rng, arr)]),
            Case("array with scalar", [uniform(rng, arr), b_values(rng, ())]),
            Case("scalars", [uniform(rng, ()), b_values(rng, ())]),
        ]
    return cases


def unary_cases(values=uniform, **attrs):
    def cases(draw, rng):
        return [Case("0-d", [values(rng, ())], dict(attrs)),
                Case("array", [values(rng, draw(sh.shapes(min_dims=1)))], dict(attrs))]
    return cases


def pow_cases(draw, rng):
    out = []
    for exponent in (draw(st.sampled_from([2.0, 3.0, -1.0, -2.0, 1.0, 0.0])), draw(st.sampled_from([0.5, -1.5, 2.5]))):
        values = (lambda r, s: away_from_zero(r, s, gap=0.3)) if exponent == int(exponent) else positive
        for shape in ((), draw(sh.shapes(min_dims=1))):
            out.append(Case(f"p = {exponent}", [values(rng, shape)], {"exponent": exponent}))
    return out


def leaky_relu_cases(draw, rng):
    shape = draw(sh.shapes(min_dims=1))
    sx, salpha = draw(sh.broadcast_shapes())
    return [
        Case("scalar alpha", [away_from_zero(rng, shape), uniform(rng, (), 0.01, 0.5)]),
        Case("alpha per entry", [away_from_zero(rng, shape), uniform(rng, shape, 0.01, 0.5)]),
        Case("broadcast alpha", [away_from_zero(rng, sx), uniform(rng, salpha, 0.01, 0.5)]),
        Case("scalars", [away_from_zero(rng, ()), uniform(rng, (), 0.01, 0.5)]),
    ]


def clip_cases(draw, rng):
    lo, hi = -0.5, 0.7
    bounds = draw(st.sampled_from([(lo, hi), (lo, None), (None, hi), (None, None)]))
    out = []
    for shape in ((), draw(sh.shapes(min_dims=1))):
        x = np.asarray(uniform(rng, shape), dtype=np.float64)
        x = np.where(np.abs(x - lo) < 0.1, lo - 0.2, x)   # away from the bounds (kinks)
        x = np.where(np.abs(x - hi) < 0.1, hi + 0.2, x)
        out.append(Case(f"bounds {bounds}", [leaf_value(x)], {"lo": bounds[0], "hi": bounds[1]}))
    return out


def where_cases(draw, rng):
    sa, sb, sc = draw(sh.broadcast_shapes(num_shapes=3))
    shape = draw(sh.shapes(min_dims=1))
    return [
        Case("broadcast", [rng.random(sc) < 0.5, uniform(rng, sa), uniform(rng, sb)]),
        Case("scalars with a mask", [rng.random(shape) < 0.5, uniform(rng, ()), uniform(rng, ())]),
        Case("same shape", [rng.random(shape) < 0.5, uniform(rng, shape), uniform(rng, shape)]),
        Case("scalar mask", [np.bool_(rng.random() < 0.5), uniform(rng, ()), uniform(rng, shape)]),
    ]


def predicate_cases(draw, rng):
    """Comparisons and logic: binary cases with some ties (equal entries), where == and <= differ from < ."""
    out = []
    for case in binary_cases()(draw, rng):
        a, b = (np.array(x) for x in case.inputs)
        tied = np.broadcast_to(a, np.broadcast_shapes(a.shape, b.shape)).copy()
        if tied.size > 1:
            tied.flat[::2] = np.broadcast_to(b, tied.shape).flat[::2]
        out.append(case)
        out.append(Case(case.label + " with ties", [leaf_value(tied), case.inputs[1]]))
    return out


def mask_cases(draw, rng):
    """Masks (and numbers, which count as true when nonzero) for the logical ops."""
    sa, sb = draw(sh.broadcast_shapes())
    return [Case("masks", [rng.random(sa) < 0.5, rng.random(sb) < 0.5]),
            Case("numbers", [leaf_value(rng.integers(0, 2, sa) * 1.5), leaf_value(rng.integers(0, 2, sb) * 1.0)]),
            Case("scalars", [1.0, 0.0])]


def unary_mask_cases(draw, rng):
    shape = draw(sh.shapes(min_dims=1))
    x = rng.uniform(-2, 2, shape)
    x.flat[::3] = np.nan
    x.flat[1::4] = np.inf
    return [Case("with NaN and inf", [leaf_value(x)]), Case("scalar", [float("nan")]), Case("scalar", [0.5]),
            Case("mask", [rng.random(shape) < 0.5])]


def any_all_cases(draw, rng):
    shape = draw(sh.shapes(min_dims=2))
    mask = rng.random(shape) < 0.3
    return [Case("all axes", [mask]), Case("axis 0", [mask], {"axis": 0, "keepdims": False}),
            Case("numbers, axis -1 kept", [leaf_value(mask * 2.0)], {"axis": -1, "keepdims": True})]


def matmul_cases(draw, rng):
    return [Case("matmul", [uniform(rng, sa), uniform(rng, sb)]) for sa, sb in
            (draw(sh.matmul_shapes()), draw(sh.matmul_shapes()))]


def along_axis_cases(values):
    """softmax, log_softmax: an array and an axis (negative ones included)."""
    def cases(draw, rng):
        out = []
        for _ in range(2):
            shape = draw(sh.shapes(min_dims=1))
            axis = draw(st.integers(-len(shape), len(shape) - 1))
            out.append(Case(f"axis {axis}", [values(rng, shape)], {"axis": axis}))
        return out
    return cases


def loss_cases(scores):
    """softmax_cross_entropy, svm_loss: (N, C) with labels (N,), and (C,) with one label."""
    def cases(draw, rng):
        n = draw(st.integers(1, 4))
        classes = draw(st.integers(2, 5))
        dtype = draw(st.sampled_from([np.int64, np.int32, np.uint8]))
        return [
            Case("batch", [scores(rng, (n, classes))], {"labels": labels_for(rng, n, classes, dtype)}),
            Case("one example", [scores(rng, (classes,))], {"labels": labels_for(rng, (), classes, dtype)}),
        ]
    return cases


def reduce_cases(values):
    def cases(draw, rng):
        out = []
        for min_dims in (0, 1):
            shape = draw(sh.shapes(min_dims=min_dims))
            attrs = {"axis": draw(sh.axes(len(shape))), "keepdims": draw(st.booleans())}
            out.append(Case(f"axis {attrs['axis']}", [values(rng, shape)], attrs))
        return out
    return cases


def reshape_cases(draw, rng):
    out = []
    for min_dims in (0, 1):
        shape = draw(sh.shapes(min_dims=min_dims))
        out.append(Case("reshape", [uniform(rng, shape)], {"shape": draw(sh.reshapes(shape))}))
    return out


def transpose_cases(draw, rng):
    out = []
    for min_dims in (0, 2):
        shape = draw(sh.shapes(min_dims=min_dims))
        out.append(Case("transpose", [uniform(rng, shape)], {"axes": draw(sh.permutations(len(shape)))}))
    return out


def getitem_cases(draw, rng):
    shape = draw(sh.shapes(min_dims=1))
    n, last = shape[0], shape[-1]
    bound = st.one_of(st.none(), st.integers(-n - 1, n + 1))
    basic = slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2])))
    indices = [
        ("integer", draw(st.integers(-n, n - 1))),
        ("slice", basic),
        ("ellipsis", (Ellipsis, draw(st.integers(-last, last - 1)))),
        ("new axis", (None, basic)),
        ("gather with repeats", rng.integers(-n, n, draw(st.integers(1, 5)))),
        ("boolean mask", rng.random(n) < 0.5),
        ("full boolean mask", rng.random(shape) < 0.5),
    ]
    if len(shape) >= 2:
        indices.append(("s[arange(N), y]", (np.arange(n), rng.integers(0, shape[1], n))))
        indices.append(("rows and a column slice", (rng.integers(0, n, 3), slice(None, None, 2))))
    x = uniform(rng, shape)
    return [Case(label, [x], {"index": index}) for label, index in indices]


def concat_cases(draw, rng):
    shape = list(draw(sh.shapes(min_dims=1)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    inputs = []
    for _ in range(draw(st.integers(1, 3))):
        shape[axis] = draw(st.integers(1, 3))
        inputs.append(uniform(rng, tuple(shape)))
    return [Case(f"axis {axis}", inputs, {"axis": axis})]


def stack_cases(draw, rng):
    shape = draw(sh.shapes())
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    count = draw(st.integers(1, 3))
    return [Case(f"axis {axis}", [uniform(rng, shape) for _ in range(count)], {"axis": axis})]


def batch_norm_cases(draw, rng):
    """(N, D) batches in both modes; entries spread apart so a feature's batch variance is never tiny."""
    n, d = draw(st.integers(2, 5)), draw(st.integers(1, 4))
    out = []
    for training in (True, False):
        x = np.asarray(distinct(rng, (n, d)))
        attrs = {"training": training, "eps": 1e-5, "momentum": 0.1,
                 "running_mean": rng.uniform(-1, 1, d), "running_var": rng.uniform(0.5, 2.0, d)}
        out.append(Case(f"training={training}", [x, uniform(rng, (d,), 0.5, 2.0), uniform(rng, (d,))], attrs))
    return out


def dropout_cases(draw, rng):
    """A fixed mask (what a recorded step shows), a scalar, and test time (dropout off)."""
    p = draw(st.sampled_from([0.0, 0.25, 0.5, 0.8]))
    shape = draw(sh.shapes(min_dims=1))

    def attrs(shape, training=True):
        return {"p": p, "training": training, "mask": np.asarray(rng.random(shape) >= p), "seed": 7, "draw": 0}
    return [Case(f"p = {p}", [uniform(rng, shape)], attrs(shape)),
            Case(f"0-d, p = {p}", [uniform(rng, ())], attrs(())),
            Case("test time", [uniform(rng, shape)], attrs(shape, training=False))]


def dim_cases(draw, rng):
    """x.shape[axis] as a value: an array and an axis (negative ones included)."""
    shape = draw(sh.shapes(min_dims=1))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return [Case(f"axis {axis}", [uniform(rng, shape)], {"axis": axis})]


def quarters(rng, shape):
    """Values that float32 holds exactly (a guard compares what it read with what it reads again)."""
    return leaf_value(np.round(rng.uniform(-2.0, 2.0, shape) * 4) / 4)


def unchanged_cases(draw, rng):
    """Each kind of read, once with the value read and once with another."""
    shape = draw(sh.shapes(min_dims=1))
    axis = draw(st.integers(0, len(shape) - 1))
    x, one = quarters(rng, shape), quarters(rng, ())
    out = []
    for kind, recorded, other in (("size", shape[axis], shape[axis] + 1), ("rows", shape[0], shape[0] + 2),
                                  ("array", np.array(x), np.array(x) + 1.0), ("int", int(one), int(one) + 1),
                                  ("float", one, one + 0.5)):
        value = one if kind in ("int", "float") else x
        for r in (recorded, other):
            out.append(Case(f"{kind} read", [value], {"kind": kind, "recorded": r, "axis": 0 if kind == "rows" else axis}))
    return out


# ---------------------------------------------------------------- the same ops in PyTorch

def _torch_unchanged(torch, x, kind, recorded, axis=0):
    if kind in ("size", "rows"):
        same = x.shape[axis] == recorded
    elif kind == "array":
        same = tuple(x.shape) == np.shape(recorded) and bool(torch.equal(x, torch.as_tensor(recorded)))
    else:
        same = (int(torch.trunc(x).item()) if kind == "int" else x.item()) == recorded
    return torch.tensor(bool(same))


def _torch_dims(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _torch_reduction(name):
    def run(torch, x, axis=None, keepdims=False):
        dims = _torch_dims(axis, x.ndim)
        if not dims:           # numpy reduces over no axis: the identity (torch would reduce all)
            return x * 1.0
        return getattr(torch, name)(x, dim=dims, keepdim=keepdims)
    return run


def _torch_index(torch, index):
    def part(p):
        return torch.as_tensor(p) if isinstance(p, np.ndarray) else p
    return tuple(part(p) for p in index) if isinstance(index, tuple) else part(index)


def _torch_clip(torch, x, lo, hi):
    return x * 1.0 if lo is None and hi is None else torch.clamp(x, min=lo, max=hi)


def _torch_labels(torch, labels):
    return torch.as_tensor(np.asarray(labels, dtype=np.int64))


def _torch_svm(torch, s, labels):
    # multi_margin_loss averages sum_{j != y} max(0, 1 - s_y + s_j) / C over the batch; graphscope has no / C
    return torch.nn.functional.multi_margin_loss(s, _torch_labels(torch, labels), margin=1.0) * s.shape[-1]


def _torch_transpose(torch, x, axes=None):
    return torch.permute(x, tuple(reversed(range(x.ndim))) if axes is None else axes)


def _torch_batch_norm(torch, x, gamma, beta, training, eps, momentum, running_mean, running_var):
    # copies: PyTorch updates its running averages in place
    return torch.nn.functional.batch_norm(x, torch.tensor(running_mean), torch.tensor(running_var), gamma, beta,
                                          training=training, momentum=momentum, eps=eps)


def _torch_dropout(torch, x, p, training, mask, seed, draw):
    # PyTorch draws its own mask; the same computation with graphscope's mask
    return x * torch.as_tensor(mask) / (1 - p) if training else torch.nn.functional.dropout(x, p, training=False)


@dataclass(frozen=True)
class Spec:
    """How to test one op: its cases (draw, rng) -> [Case], and the same computation in PyTorch."""

    cases: Callable
    torch: Callable


SPECS = {
    "add": Spec(binary_cases(), lambda torch, a, b: a + b),
    "sub": Spec(binary_cases(), lambda torch, a, b: a - b),
    "mul": Spec(binary_cases(), lambda torch, a, b: a * b),
    "div": Spec(binary_cases(away_from_zero), lambda torch, a, b: a / b),
    "pow": Spec(pow_cases, lambda torch, x, exponent: x ** exponent),
    "neg": Spec(unary_cases(), lambda torch, x: -x),
    "exp": Spec(unary_cases(), lambda torch, x: torch.exp(x)),
    "log": Spec(unary_cases(positive), lambda torch, x: torch.log(x)),
    "sqrt": Spec(unary_cases(positive), lambda torch, x: torch.sqrt(x)),
    "abs": Spec(unary_cases(away_from_zero), lambda torch, x: torch.abs(x)),
    "tanh": Spec(unary_cases(), lambda torch, x: torch.tanh(x)),
    "sigmoid": Spec(unary_cases(), lambda torch, x: torch.sigmoid(x)),
    "relu": Spec(unary_cases(away_from_zero), lambda torch, x: torch.relu(x)),
    "leaky_relu": Spec(leaky_relu_cases, lambda torch, x, alpha: torch.where(x > 0, x, alpha * x)),
    "clip": Spec(clip_cases, _torch_clip),
    "where": Spec(where_cases, lambda torch, cond, a, b: torch.where(cond, a, b)),
    "equal": Spec(predicate_cases, lambda torch, a, b: a == b),
    "not_equal": Spec(predicate_cases, lambda torch, a, b: a != b),
    "less": Spec(predicate_cases, lambda torch, a, b: a < b),
    "less_equal": Spec(predicate_cases, lambda torch, a, b: a <= b),
    "greater": Spec(predicate_cases, lambda torch, a, b: a > b),
    "greater_equal": Spec(predicate_cases, lambda torch, a, b: a >= b),
    "logical_and": Spec(mask_cases, lambda torch, a, b: torch.logical_and(a, b)),
    "logical_or": Spec(mask_cases, lambda torch, a, b: torch.logical_or(a, b)),
    "logical_not": Spec(unary_mask_cases, lambda torch, x: torch.logical_not(x)),
    "isnan": Spec(unary_mask_cases, lambda torch, x: torch.isnan(x)),
    "isfinite": Spec(unary_mask_cases, lambda torch, x: torch.isfinite(x)),
    "any": Spec(any_all_cases, lambda torch, x, axis=None, keepdims=False:
                torch.any(x) if axis is None else torch.any(x, dim=axis, keepdim=keepdims)),
    "all": Spec(any_all_cases, lambda torch, x, axis=None, keepdims=False:
                torch.all(x) if axis is None else torch.all(x, dim=axis, keepdim=keepdims)),
    "matmul": Spec(matmul_cases, lambda torch, a, b: torch.matmul(a, b)),
    "softmax": Spec(along_axis_cases(uniform), lambda torch, x, axis: torch.softmax(x, dim=axis)),
    "log_softmax": Spec(along_axis_cases(uniform), lambda torch, x, axis: torch.log_softmax(x, dim=axis)),
    "softmax_cross_entropy": Spec(loss_cases(uniform), lambda torch, s, labels: torch.nn.functional.cross_entropy(
        s, _torch_labels(torch, labels))),
    "svm_loss": Spec(loss_cases(hinge_scores), _torch_svm),
    "l2": Spec(unary_cases(), lambda torch, w: (w ** 2).sum()),
    "sum": Spec(reduce_cases(uniform), _torch_reduction("sum")),
    "mean": Spec(reduce_cases(uniform), _torch_reduction("mean")),
    "max": Spec(reduce_cases(distinct), _torch_reduction("amax")),
    "min": Spec(reduce_cases(distinct), _torch_reduction("amin")),
    "reshape": Spec(reshape_cases, lambda torch, x, shape: x.reshape(shape)),
    "transpose": Spec(transpose_cases, _torch_transpose),
    "getitem": Spec(getitem_cases, lambda torch, x, index: x[_torch_index(torch, index)]),
    "concat": Spec(concat_cases, lambda torch, *xs, axis: torch.cat(xs, dim=axis)),
    "stack": Spec(stack_cases, lambda torch, *xs, axis: torch.stack(xs, dim=axis)),
    "batch_norm": Spec(batch_norm_cases, _torch_batch_norm),
    "dropout": Spec(dropout_cases, _torch_dropout),
    "dim": Spec(dim_cases, lambda torch, x, axis: x.sum() * 0.0 + x.shape[axis]),
    "unchanged": Spec(unchanged_cases, _torch_unchanged),
}

OP_NAMES = sorted(SPECS)


def draw_cases(name, data):
    """The cases of op `name` for one Hypothesis example (shapes drawn, values from a drawn seed)."""
    rng = np.random.default_rng(data.draw(sh.seeds(), label="seed"))
    return SPECS[name].cases(data.draw, rng)


def _import_every_module():
    """Import all of graphscope, so that every op any module registers is in the table.

    A module that needs an optional third-party package which is not installed
    registers nothing here, and is skipped.
    """
    import graphscope
    for info in pkgutil.walk_packages(graphscope.__path__, "graphscope.", onerror=lambda name: None):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] == "graphscope":
                raise


def _defined_in_graphscope(op):
    """A built-in op: its class is a module-level class of a graphscope module.

    Ops defined at run time (custom ops made by tests or users) are not.
    """
    cls = type(op)
    module = sys.modules.get(cls.__module__)
    return cls.__module__.startswith("graphscope.") and getattr(module, cls.__name__, None) is cls


def test_every_op_has_cases():
    _import_every_module()
    builtin = {name for name, op in gs.OPS.items() if _defined_in_graphscope(op)}
    assert builtin, "the op table is empty"
    assert set(SPECS) == builtin, (f"ops without a case generator: {sorted(builtin - set(SPECS))}; "
                                   f"cases for ops not in the table: {sorted(set(SPECS) - builtin)}")


# ---------------------------------------------------------------- checks shared by the tests

def forward_of(op, attrs):
    """The op's forward on raw values: what finite differences differentiate."""
    return lambda *xs: op.forward(*xs, **attrs)


def record(op, case):
    """Leaves requiring gradients for the case's inputs, and the recorded output node.

    A boolean input (a where-condition, a mask for the logical ops) is a recorded mask, ``leaf != 0``.
    """
    leaves = [gs.tensor(np.asarray(x, dtype=np.float64)) != 0 if _is_mask(x) else gs.tensor(x, requires_grad=True)
              for x in case.inputs]
    return leaves, gs.apply(op, *leaves, **case.attrs)


def _is_mask(x):
    return np.asarray(x).dtype == bool


def _differentiable(op, i, x):
    """Whether input i gets a gradient: a float input the op does not declare non-differentiable."""
    return not (op.boolean or _is_mask(x) or (op.differentiable is not None and not op.differentiable[i]))


def check_predicate(op, case):
    """A boolean op: its value is forward's, boolean; nothing requires a gradient; its VJP gives none."""
    leaves, out = record(op, case)
    direct = np.asarray(op.forward(*[np.asarray(x) for x in case.inputs], **case.attrs))
    assert np.asarray(out.value).dtype == bool and np.array_equal(out.value, direct), case
    assert not out.requires_grad, case
    grads = call_vjp(op, np.ones(np.shape(out.value)), [leaf.value for leaf in leaves], out.value, case.attrs)
    assert tuple(grads) == (None,) * len(leaves), case


def upstream_for(value, rng):
    """A random upstream gradient shaped like `value` (a float for a Python-float value)."""
    if value.__class__ is float:
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(value)).astype(value.dtype)


def check_vjp(op, case, rng):
    """backward() and the op's vjp, each against finite differences of the forward."""
    if op.boolean:
        return check_predicate(op, case)
    leaves, out = record(op, case)
    arrays = [np.asarray(x, dtype=np.float64) for x in case.inputs]
    direct = np.asarray(op.forward(*arrays, **case.attrs))
    assert np.shape(out.value) == direct.shape, case
    assert relative_error(out.value, direct) < 1e-12, f"recorded value differs from forward ({case})"
    g = upstream_for(out.value, rng)
    expected = numerical_vjp(forward_of(op, case.attrs), case.inputs, g)

    out.backward(g)
    for i, (leaf, numeric) in enumerate(zip(leaves, expected)):
        if not _differentiable(op, i, case.inputs[i]):
            assert leaf.grad is None, f"input {i} is not differentiable, yet got a gradient ({case})"
            continue
        assert leaf.grad is not None, f"input {i} got no gradient ({case})"
        assert np.shape(leaf.grad) == np.shape(leaf.value), case
        err = relative_error(leaf.grad, numeric)
        assert err < VJP_TOLERANCE, f"backward: input {i} relative error {err:.2e} ({case})"

    grads = call_vjp(op, g, [leaf.value for leaf in leaves], out.value, case.attrs)
    assert len(grads) == len(leaves), case
    for i, (grad, numeric) in enumerate(zip(grads, expected)):
        if not _differentiable(op, i, case.inputs[i]):
            assert grad is None, case
            continue
        assert np.shape(grad) == np.shape(case.inputs[i]), case
        err = relative_error(grad, numeric)
        assert err < VJP_TOLERANCE, f"vjp: input {i} relative error {err:.2e} ({case})"


def check_against_torch(torch, name, case, rng):
    """Values and input gradients equal PyTorch's for the same computation, in float64."""
    op = gs.OPS[name]
    leaves, out = record(op, case)
    t_inputs = [torch.tensor(np.asarray(x)) if _is_mask(x) else
                torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=not op.boolean) for x in case.inputs]
    t_out = SPECS[name].torch(torch, *t_inputs, **case.attrs)
    assert tuple(t_out.shape) == np.shape(out.value), case
    if op.boolean:
        assert t_out.dtype == torch.bool and np.array_equal(out.value, t_out.numpy()), case
        return
    g = upstream_for(out.value, rng)
    out.backward(g)
    err = relative_error(out.value, t_out.detach().numpy())
    assert err < TORCH_TOLERANCE, f"value relative error {err:.2e} ({case})"
    wanted = [t for t in t_inputs if t.requires_grad]
    found = iter(torch.autograd.grad(t_out, wanted, grad_outputs=torch.as_tensor(np.asarray(g, dtype=np.float64)),
                                     allow_unused=True))
    t_grads = [next(found) if t.requires_grad else None for t in t_inputs]
    for i, (leaf, t_grad) in enumerate(zip(leaves, t_grads)):
        if _is_mask(case.inputs[i]):
            assert leaf.grad is None, case
            continue
        expected = np.zeros(np.shape(case.inputs[i])) if t_grad is None else t_grad.numpy()
        err = relative_error(leaf.grad, expected)
        assert err < TORCH_TOLERANCE, f"gradient of input {i}: relative error {err:.2e} ({case})"


# ---- what each Jacobian structure claims, checked on the explicit matrix

def _nonzero(M):
    return np.abs(M) > 0


def _is_scalar(M, node, i):
    return M.shape == (1, 1)


def _is_identity(M, node, i):
    return M.shape[0] == M.shape[1] and np.array_equal(M, np.eye(M.shape[0]))


def _is_diagonal(M, node, i):
    return M.shape[0] == M.shape[1] and not _nonzero(M - np.diag(np.diag(M))).any()


def _rows_pick_one(M, node, i):
    """Each output entry depends on at most one input entry (broadcast, gather)."""
    return bool((_nonzero(M).sum(axis=1) <= 1).all())


def _is_broadcast(M, node, i):
    """The input really was broadcast (else the claim would be diagonal); each output entry reads one input entry."""
    return np.shape(node.inputs[i].value) != np.shape(node.value) and _rows_pick_one(M, node, i)


def _columns_feed_one(M, node, i):
    """Each input entry reaches at most one output entry (reduce, scatter)."""
    return bool((_nonzero(M).sum(axis=0) <= 1).all())


def _is_permutation(M, node, i):
    return (M.shape[0] == M.shape[1] and set(np.unique(M)) <= {0.0, 1.0}
            and (M.sum(axis=0) == 1).all() and (M.sum(axis=1) == 1).all())


def _is_matmul(M, node, i):
    """For 2-d A @ B: d/dA = I ⊗ B^T and d/dB = A ⊗ I (row-major flattening)."""
    a, b = (np.asarray(x.value) for x in node.inputs)
    if a.ndim != 2 or b.ndim != 2:
        return M.shape == (np.size(node.value), np.size(node.inputs[i].value))
    expected = np.kron(np.eye(a.shape[0]), b.T) if i == 0 else np.kron(a, np.eye(b.shape[1]))
    return relative_error(M, expected) < 1e-12


def _is_block_diagonal(M, node, i):
    """Nonzeros only between entries of the same slice along the op's axis (softmax-like ops; batch norm's slices
    run along the batch axis: one block per feature)."""
    shape = np.shape(node.value)
    axis = node.attrs.get("axis", 0 if node.op == "batch_norm" else -1) % len(shape)
    coords = np.array(list(np.ndindex(shape))) if shape else np.zeros((1, 0), dtype=int)
    others = np.delete(coords, axis, axis=1)
    same_slice = (others[:, None, :] == others[None, :, :]).all(axis=2)
    return M.shape[0] == M.shape[1] and not (_nonzero(M) & ~same_slice).any()


STRUCTURE_CHECKS = {
    "scalar": _is_scalar,
    "identity": _is_identity,
    "diagonal": _is_diagonal,
    "broadcast": _is_broadcast,
    "reduce": _columns_feed_one,
    "permutation": _is_permutation,
    "gather": _rows_pick_one,
    "scatter": _columns_feed_one,
    "matmul": _is_matmul,
    "block-diagonal": _is_block_diagonal,
    "dense": lambda M, node, i: True,
    "zero": lambda M, node, i: not _nonzero(M).any(),
    "not described": lambda M, node, i: True,
}


def test_every_structure_has_a_check():
    assert set(STRUCTURE_CHECKS) == set(STRUCTURES)


def check_jacobians(op, case):
    """Each input's Jacobian descriptor: shape, structure, formula, explicit matrix, structure claim."""
    _, node = record(op, case)
    for i, x in enumerate(case.inputs):
        jac = gs.describe_jacobian(node, i)
        assert jac.shape == (np.size(node.value), np.size(x)), case
        assert jac.structure in STRUCTURES, f"unknown structure {jac.structure!r} ({case})"
        assert isinstance(jac.formula, str) and jac.formula.strip(), case
        assert jac.is_small == (jac.entries <= MAX_EXPLICIT_ENTRIES), case
        M = jac.matrix(limit=jac.entries)   # the cases are small enough to build any of them
        assert M.shape == jac.shape, case
        if not _differentiable(op, i, x):  # piecewise constant: zero almost everywhere (finite differences of a
            assert jac.structure == "zero" and not M.any(), case  # mask would see its jumps)
            continue
        numeric = numerical_jacobian(forward_of(op, case.attrs), case.inputs, i)
        err = relative_error(M, numeric)
        assert err < VJP_TOLERANCE, f"input {i}: explicit Jacobian relative error {err:.2e} ({case})"
        assert STRUCTURE_CHECKS[jac.structure](M, node, i), \
            f"input {i}: the Jacobian is not {jac.structure}:\n{M}\n({case}, formula {jac.formula})"


# ---------------------------------------------------------------- the op-by-op tests

@pytest.mark.parametrize("name", OP_NAMES)
@examples
@given(data=st.data())
def test_vjp_matches_finite_differences(name, data):
    rng = np.random.default_rng(data.draw(sh.seeds(), label="upstream seed"))
    for case in draw_cases(name, data):
        check_vjp(gs.OPS[name], case, rng)


@pytest.mark.parametrize("name", OP_NAMES)
@examples
@given(data=st.data())
def test_values_and_gradients_match_torch(torch, name, data):
    rng = np.random.default_rng(data.draw(sh.seeds(), label="upstream seed"))
    for case in draw_cases(name, data):
        check_against_torch(torch, name, case, rng)


@pytest.mark.parametrize("name", OP_NAMES)
@examples
@given(data=st.data())
def test_jacobian_descriptors(name, data):
    for case in draw_cases(name, data):
        check_jacobians(gs.OPS[name], case)


# ---------------------------------------------------------------- broadcasting and matmul, case by case

BINARY_OPS = ["add", "sub", "mul", "div", "leaky_relu", "where"]
BROADCAST_PAIRS = [((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((2, 3, 4), (4,)), ((), (2, 3)), ((2, 3), ()),
                   ((2, 1, 4), (3, 1)), ((1,), (3, 2)), ((3, 4), (3, 4))]


def binary_case(name, sa, sb, rng):
    if name == "div":
        return Case("broadcast", [uniform(rng, sa), away_from_zero(rng, sb)])
    if name == "leaky_relu":
        return Case("broadcast", [away_from_zero(rng, sa), uniform(rng, sb, 0.01, 0.5)])
    if name == "where":
        cond = rng.random(np.broadcast_shapes(sa, sb)) < 0.5
        return Case("broadcast", [cond, uniform(rng, sa), uniform(rng, sb)])
    return Case("broadcast", [uniform(rng, sa), uniform(rng, sb)])


@pytest.mark.parametrize("name", BINARY_OPS)
@pytest.mark.parametrize("sa, sb", BROADCAST_PAIRS)
def test_binary_op_broadcasts(name, sa, sb, rng):
    case = binary_case(name, sa, sb, rng)
    _, out = record(gs.OPS[name], case)
    assert out.shape == np.broadcast_shapes(sa, sb)
    check_vjp(gs.OPS[name], case, rng)
    check_jacobians(gs.OPS[name], case)


@pytest.mark.parametrize("name", BINARY_OPS)
@pytest.mark.parametrize("sa, sb", BROADCAST_PAIRS)
def test_binary_op_broadcasts_like_torch(torch, name, sa, sb, rng):
    check_against_torch(torch, name, binary_case(name, sa, sb, rng), rng)


# a Python number on either side of an operator becomes a constant; only the tensor gets a gradient
NUMBER_OPERANDS = {   # label: (build from a tensor, the value in numpy, the derivative in numpy)
    "2.5 + x": (lambda x: 2.5 + x, lambda v: 2.5 + v, lambda v: np.ones_like(v)),
    "x + 3": (lambda x: x + 3, lambda v: v + 3, lambda v: np.ones_like(v)),
    "1.5 - x": (lambda x: 1.5 - x, lambda v: 1.5 - v, lambda v: -np.ones_like(v)),
    "x - 1.5": (lambda x: x - 1.5, lambda v: v - 1.5, lambda v: np.ones_like(v)),
    "3.0 * x": (lambda x: 3.0 * x, lambda v: 3.0 * v, lambda v: np.full_like(v, 3.0)),
    "x * 2": (lambda x: x * 2, lambda v: v * 2, lambda v: np.full_like(v, 2.0)),
    "x / 4.0": (lambda x: x / 4.0, lambda v: v / 4.0, lambda v: np.full_like(v, 0.25)),
    "2.0 / x": (lambda x: 2.0 / x, lambda v: 2.0 / v, lambda v: -2.0 / v ** 2),
    "np.float64 * x": (lambda x: np.float64(1.5) * x, lambda v: 1.5 * v, lambda v: np.full_like(v, 1.5)),
    "array + x": (lambda x: np.full(x.shape, 2.0) + x, lambda v: 2.0 + v, lambda v: np.ones_like(v)),
    "leaky_relu(x, 0.1)": (lambda x: gs.leaky_relu(x, 0.1), lambda v: np.where(v > 0, v, 0.1 * v),
                           lambda v: np.where(v > 0, 1.0, 0.1)),
    "x ** 3": (lambda x: x ** 3, lambda v: v ** 3, lambda v: 3 * v ** 2),
    "-x": (lambda x: -x, lambda v: -v, lambda v: -np.ones_like(v)),
    "abs(x)": (lambda x: abs(x), lambda v: np.abs(v), lambda v: np.sign(v)),
}


@pytest.mark.parametrize("label", sorted(NUMBER_OPERANDS))
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_number_operands(label, shape, rng):
    build, value, derivative = NUMBER_OPERANDS[label]
    raw = np.asarray(away_from_zero(rng, shape))
    x = gs.tensor(leaf_value(raw), requires_grad=True)
    y = build(x)
    assert y.shape == shape
    np.testing.assert_allclose(y.value, value(raw), rtol=1e-15)
    assert [i.role for i in y.inputs if i is not x] in ([], ["const"])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, derivative(raw), rtol=1e-12)


MATMUL_SHAPES = [((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)),
                 ((2, 3, 4), (1, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)),
                 ((3, 4), (2, 4, 5))]


def matmul_case(sa, sb, rng):
    return Case(f"{sa} @ {sb}", [uniform(rng, sa), uniform(rng, sb)])


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES)
def test_matmul_shapes(sa, sb, rng):
    case = matmul_case(sa, sb, rng)
    a, b = (gs.tensor(x, requires_grad=True) for x in case.inputs)
    out = a @ b
    assert out.op == "matmul"
    assert out.shape == np.matmul(np.ones(sa), np.ones(sb)).shape
    check_vjp(gs.OPS["matmul"], case, rng)
    check_jacobians(gs.OPS["matmul"], case)


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES)
def test_matmul_shapes_like_torch(torch, sa, sb, rng):
    check_against_torch(torch, "matmul", matmul_case(sa, sb, rng), rng)


def test_matmul_vjp_skips_inputs_that_need_no_gradient(rng):
    W = gs.param(rng.standard_normal((4, 3)))
    X = gs.tensor(rng.standard_normal((5, 4)))
    out = X @ W
    out.sum().backward()
    assert X.grad is None
    np.testing.assert_allclose(W.grad, X.value.T @ np.ones((5, 3)), rtol=1e-12)


def test_large_elementwise_jacobian_is_described_not_built(rng):
    x = gs.tensor(rng.standard_normal((100, 100)), requires_grad=True)
    jac = gs.describe_jacobian(gs.tanh(x), 0)
    assert jac.shape == (10_000, 10_000)
    assert jac.structure == "diagonal"
    assert not jac.is_small
    assert jac.describe().startswith("10000x10000 diagonal: ")
    with pytest.raises(gs.GraphscopeError, match="10000 x 10000.*diagonal"):
        jac.matrix()


def test_leaf_has_no_jacobian():
    with pytest.raises(gs.GraphscopeError, match="leaf"):
        gs.describe_jacobian(gs.tensor(1.0, name="a"), 0)


# ---------------------------------------------------------------- at the kinks: the documented subgradients

KINKS = {   # label: (graphscope, PyTorch, input, the documented gradient of sum(f(x)))
    "relu at 0": (gs.relu, lambda torch, x: torch.relu(x), [-1.0, 0.0, 2.0], [0.0, 0.0, 1.0]),
    "abs at 0": (gs.abs, lambda torch, x: torch.abs(x), [-1.0, 0.0, 2.0], [-1.0, 0.0, 1.0]),
    "leaky_relu at 0": (lambda x: gs.leaky_relu(x, 0.1), lambda torch, x: torch.where(x > 0, x, 0.1 * x),
                        [-1.0, 0.0, 2.0], [0.1, 0.1, 1.0]),
    "clip at its bounds": (lambda x: gs.clip(x, -1, 1), lambda torch, x: torch.clamp(x, -1, 1),
                           [-2.0, -1.0, 0.0, 1.0, 2.0], [0.0, 1.0, 1.0, 1.0, 0.0]),
    "max with a tie": (gs.max, lambda torch, x: torch.amax(x, dim=0), [1.0, 3.0, 3.0, 2.0], [0.0, 0.5, 0.5, 0.0]),
    "max with a three-way tie": (gs.max, lambda torch, x: torch.amax(x, dim=0), [2.0, 2.0, 2.0], [1 / 3] * 3),
    "min with a tie": (gs.min, lambda torch, x: torch.amin(x, dim=0), [1.0, 0.0, 3.0, 0.0], [0.0, 0.5, 0.0, 0.5]),
    "min with a three-way tie": (gs.min, lambda torch, x: torch.amin(x, dim=0), [2.0, 2.0, 2.0], [1 / 3] * 3),
    "svm margin exactly 0": (lambda s: gs.svm_loss(s, 2),
                             lambda torch, s: torch.nn.functional.multi_margin_loss(s[None], torch.tensor([2])) * 3,
                             [1.0, 0.0, 2.0], [0.0, 0.0, 0.0]),
}


@pytest.mark.parametrize("label", sorted(KINKS))
@pytest.mark.parametrize("scalar_path", [False, True])
def test_gradient_at_kinks_is_the_documented_one(label, scalar_path):
    build, _, x, expected = KINKS[label]
    if scalar_path and label.startswith(("relu", "abs", "leaky", "clip")):
        grads = []
        for v in x:                     # one 0-d float at a time: the lean scalar path
            t = gs.tensor(v, requires_grad=True)
            build(t).backward()
            assert t.grad.__class__ is float
            grads.append(t.grad)
    else:
        t = gs.tensor(np.array(x), requires_grad=True)
        gs.sum(build(t)).backward()
        grads = t.grad
    np.testing.assert_allclose(grads, expected, rtol=1e-15, atol=0)


@pytest.mark.parametrize("label", sorted(KINKS))
def test_gradient_at_kinks_matches_torch(torch, label):
    build, torch_build, x, _ = KINKS[label]
    t = gs.tensor(np.array(x), requires_grad=True)
    gs.sum(build(t)).backward()
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    torch_build(torch, tx).sum().backward()
    np.testing.assert_allclose(t.grad, tx.grad.numpy(), rtol=1e-15, atol=0)



#: Python-float inputs (and attributes) for every op with a scalar lane; a new lane needs a row here.
SCALAR_CASES = {
    "add": ([(-1.3, 0.7), (2.1, -0.4)], {}), "sub": ([(-1.3, 0.7), (2.1, -0.4)], {}),
    "mul": ([(-1.3, 0.7), (2.1, -0.4)], {}), "div": ([(-1.3, 0.7), (2.1, -0.4)], {}),
    "pow": ([(1.3,), (2.1,)], {"exponent": 3.0}), "neg": ([(-1.3,), (2.1,)], {}),
    "exp": ([(-1.3,), (2.1,)], {}), "log": ([(1.3,), (0.2,)], {}), "sqrt": ([(1.3,), (0.2,)], {}),
    "abs": ([(-1.3,), (2.1,)], {}), "tanh": ([(-1.3,), (2.1,)], {}), "sigmoid": ([(-1.3,), (2.1,)], {}),
    "relu": ([(-1.3,), (2.1,)], {}), "leaky_relu": ([(-1.3, 0.1), (2.1, 0.2)], {}),
    "clip": ([(-1.3,), (0.4,), (2.1,)], {"lo": -1.0, "hi": 1.0}),
    **{name: ([(-1.3, 0.7), (0.7, 0.7), (2.1, -0.4)], {})
       for name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
                    "logical_or")},
    **{name: ([(-1.3,), (0.0,), (float("nan"),), (float("inf"),)], {}) for name in ("logical_not", "isnan", "isfinite")},
}


def test_every_scalar_lane_has_cases():
    lanes = {n for n, op in gs.OPS.items() if op.scalar_forward is not None or op.scalar_vjp is not None}
    assert lanes == set(SCALAR_CASES)


@pytest.mark.parametrize("name", sorted(SCALAR_CASES))
def test_scalar_lanes_agree_with_the_numpy_forward_and_vjp(name):
    """An op's scalar_forward / scalar_vjp (the Python-float lanes) give what forward / vjp give on 0-d arrays."""
    op = gs.OPS[name]
    cases, attrs = SCALAR_CASES[name]
    for xs in cases:
        arrays = [np.array(x) for x in xs]
        value = op.forward(*arrays, **attrs)
        if op.scalar_forward is not None:
            if op.boolean:
                assert np.array_equal(op.scalar_forward(*xs, **attrs), value), (name, xs)
            else:
                assert op.scalar_forward(*xs, **attrs) == pytest.approx(float(value), rel=1e-14)
        if op.scalar_vjp is not None:
            want = op.vjp(0.6, *arrays, value=value, **attrs)
            got = op.scalar_vjp(0.6, *xs, float(value))
            assert [float(a) for a in got] == pytest.approx([float(w) for w in want], rel=1e-14)
