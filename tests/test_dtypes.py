"""dtypes: float32 and float64 kept by every op, values and gradients; integers become float64;
integer labels stay integers; mixing dtypes follows numpy's promotion rules."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import graphscope as gs
import strategies as sh
from numgrad import relative_error
from test_ops import OP_NAMES, draw_cases, examples, record, upstream_for


LOSSES_WITH_LABELS = ["softmax_cross_entropy", "svm_loss"]


def cast_inputs(case, dtype):
    """The case's inputs as arrays of `dtype` (0-d ones too: no Python floats)."""
    return [np.asarray(x) if np.asarray(x).dtype == bool else np.asarray(x, dtype=dtype) for x in case.inputs]


def run(op, inputs, attrs, rng, upstream=None):
    """The op on leaves (a boolean input as a recorded mask, leaf != 0), backpropagated unless it is a boolean op."""
    leaves = [gs.tensor(x.astype(np.float64)) != 0 if x.dtype == bool else gs.tensor(x, requires_grad=True)
              for x in inputs]
    out = gs.apply(op, *leaves, **attrs)
    if not op.boolean:
        out.backward(upstream_for(out.value, rng) if upstream is None else upstream)
    return out, leaves


def check_boolean_op(op, case):
    """A comparison or logic op gives booleans whatever the float type of its inputs, the same for both."""
    values = []
    for dtype in (np.float32, np.float64):
        out, _ = run(op, cast_inputs(case, dtype), case.attrs, None)
        assert out.dtype == bool and np.asarray(out.value).dtype == bool and not out.requires_grad, case
        values.append(np.asarray(out.value))
    if op.name not in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"):
        assert np.array_equal(*values), case  # rounding to float32 may move a comparison's ties


def close_in_float32(value, reference, scale=1.0):
    """Equal up to float32 rounding: max |difference| <= 1e-5 * max(scale, max |reference|)."""
    value, reference = np.asarray(value, np.float64), np.asarray(reference, np.float64)
    assert value.shape == reference.shape
    scale = max(scale, np.max(np.abs(reference), initial=0.0))
    return np.max(np.abs(value - reference), initial=0.0) <= 1e-5 * scale


def gradient_scale(name, case, leaves, upstream):
    """The size of the terms an op's VJP adds up, against which float32 rounding is measured.

    Usually 1. Batch norm in training multiplies the upstream gradient by gamma / sigma and then
    subtracts two batch means that nearly cancel it (exactly, for a batch of two), so its rounding
    error is float32's epsilon times |gamma / sigma| |upstream|, however small the result.
    """
    if name != "batch_norm" or not case.attrs.get("training", True):
        return 1.0
    x, gamma = (np.asarray(leaf.value, np.float64) for leaf in leaves[:2])
    inv_sigma = 1.0 / np.sqrt(np.var(x, axis=0) + case.attrs.get("eps", 1e-5))
    return max(1.0, float(np.max(np.abs(gamma) * inv_sigma) * np.max(np.abs(upstream), initial=0.0)))


def assert_float64(value):
    if np.shape(value) == ():
        assert value.__class__ is float, f"a 0-d float64 value should be a Python float, got {type(value)}"
    else:
        assert isinstance(value, np.ndarray) and value.dtype == np.float64, repr(value)


@pytest.mark.parametrize("name", OP_NAMES)
@examples
@given(data=st.data())
def test_every_op_keeps_float32(name, data):
    op = gs.OPS[name]
    rng = np.random.default_rng(data.draw(sh.seeds(), label="upstream seed"))
    for case in draw_cases(name, data):
        if op.boolean:
            check_boolean_op(op, case)
            continue
        out, leaves = run(op, cast_inputs(case, np.float32), case.attrs, rng)
        assert isinstance(out.value, np.ndarray) and out.dtype == np.float32, f"{out.value!r} ({case})"
        assert isinstance(out.grad, np.ndarray) and out.grad.dtype == np.float32, case
        for i, leaf in enumerate(leaves):
            if leaf.dtype == bool:  # a where's mask gets no gradient
                continue
            assert leaf.dtype == np.float32
            assert isinstance(leaf.grad, np.ndarray) and leaf.grad.dtype == np.float32, \
                f"input {i}: gradient {leaf.grad!r} ({case})"
            assert leaf.grad.shape == leaf.shape, case

        # the same inputs in float64 (and the same upstream) agree to float32 precision
        reference, ref_leaves = run(op, [np.asarray(leaf.value, bool if leaf.dtype == bool else np.float64)
                                         for leaf in leaves], case.attrs,
                                    np.random.default_rng(0), upstream=np.asarray(out.grad, np.float64))
        assert close_in_float32(out.value, reference.value), case
        scale = gradient_scale(name, case, leaves, out.grad)
        for i, (leaf, ref) in enumerate(zip(leaves, ref_leaves)):
            if leaf.dtype == bool:
                continue
            assert close_in_float32(leaf.grad, ref.grad, scale), f"input {i} ({case})"


@pytest.mark.parametrize("name", OP_NAMES)
@examples
@given(data=st.data())
def test_every_op_keeps_float64(name, data):
    op = gs.OPS[name]
    rng = np.random.default_rng(data.draw(sh.seeds(), label="upstream seed"))
    for case in draw_cases(name, data):
        if op.boolean:
            check_boolean_op(op, case)
            continue
        _, out = record(op, case)
        out.backward(upstream_for(out.value, rng))
        assert out.dtype == np.float64, case
        assert_float64(out.value)
        assert_float64(out.grad)
        for leaf in out.inputs:
            if leaf.dtype != bool:  # a where's mask gets no gradient
                assert_float64(leaf.grad)


def test_float32_gradients_agree_with_float64(rng):
    X = rng.standard_normal((6, 4))
    W = rng.standard_normal((4, 3)) * 0.5
    labels = np.array([0, 2, 1, 1, 0, 2])
    grads = {}
    for dtype in (np.float32, np.float64):
        w = gs.param(W.astype(dtype))
        loss = gs.softmax_cross_entropy(gs.tanh(gs.tensor(X.astype(dtype)) @ w), labels) + 0.01 * gs.l2(w)
        loss.backward()
        assert loss.dtype == dtype and w.grad.dtype == dtype
        grads[dtype] = w.grad
    assert relative_error(grads[np.float32], grads[np.float64]) < 1e-5


# ---------------------------------------------------------------- what becomes float64

@pytest.mark.parametrize("data, shape", [
    (3, ()), (True, ()), ([1, 2, 3], (3,)), (np.arange(6).reshape(2, 3), (2, 3)),
    (np.array([1, 0], dtype=np.uint8), (2,)), (np.array([True, False]), (2,)),
    (np.float16(0.5), ()), (np.ones(3, dtype=np.float16), (3,)), (np.int32(7), ()),
])
def test_integers_booleans_and_other_floats_become_float64(data, shape):
    t = gs.tensor(data)
    assert t.dtype == np.float64 and t.shape == shape
    assert_float64(t.value)
    np.testing.assert_array_equal(t.value, np.asarray(data, dtype=np.float64))


def test_ints_in_expressions_become_float64():
    x = gs.tensor(np.arange(3, dtype=np.float32), requires_grad=True)
    y = x * 2 + 1                     # Python ints: weak, as in numpy
    assert y.dtype == np.float32
    z = gs.tensor([1, 2, 3]) * gs.tensor(2)
    assert z.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leaf_keeps_float32_and_float64(dtype):
    t = gs.param(np.ones((2, 2), dtype=dtype))
    assert t.dtype == dtype and t.value.dtype == dtype


@pytest.mark.parametrize("loss", LOSSES_WITH_LABELS)
@pytest.mark.parametrize("label_dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                                         np.uint64])
def test_integer_labels_of_any_width(loss, label_dtype, rng):
    scores = rng.standard_normal((3, 4))
    labels = np.array([3, 0, 2], dtype=label_dtype)
    s = gs.tensor(scores, requires_grad=True)
    out = getattr(gs, loss)(s, labels)
    reference = getattr(gs, loss)(gs.tensor(scores), np.array([3, 0, 2]))
    assert out.value == reference.value
    assert out.attrs["labels"].dtype.kind in "iu"
    out.backward()
    assert s.grad.dtype == np.float64


@pytest.mark.parametrize("loss", LOSSES_WITH_LABELS)
def test_labels_given_as_a_list_or_a_tensor_of_integers(loss, rng):
    scores = rng.standard_normal((2, 3))
    expected = getattr(gs, loss)(gs.tensor(scores), np.array([1, 2])).value
    assert getattr(gs, loss)(gs.tensor(scores), [1, 2]).value == expected
    labels = gs.tensor([1, 2])            # tensors hold floats: whole numbers are taken as class indices
    assert getattr(gs, loss)(gs.tensor(scores), labels).value == expected
    with pytest.raises(gs.ShapeError, match="labels must be integers"):
        getattr(gs, loss)(gs.tensor(scores), gs.tensor([1.5, 2.0]))


# ---------------------------------------------------------------- mixing dtypes: numpy's promotion

f32 = np.float32
f64 = np.float64

# (a, b): raw values; a Python float stands for a 0-d graphscope float64 tensor or a Python number


def as_engine_value(v):
    """A 0-d float64 tensor holds a Python float, which numpy 2 promotes weakly (as a Python number)."""
    return float(v) if np.shape(v) == () and np.asarray(v).dtype == np.float64 else v


MIXED = [
    ("f32 array, f64 array", np.ones(3, f32), np.ones(3, f64)),
    ("f64 array, f32 array", np.ones((2, 3), f64), np.ones(3, f32)),
    ("f32 array, Python float", np.ones(3, f32), 2.5),
    ("Python float, f32 array", 2.5, np.ones(3, f32)),
    ("f32 array, f64 0-d array", np.ones(3, f32), np.array(2.5, f64)),
    ("f32 0-d array, f64 array", np.array(2.5, f32), np.ones(3, f64)),
    ("f32 0-d array, Python float", np.array(2.5, f32), 1.5),
]

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "where": lambda a, b: gs.where(np.True_, a, b),  # (a Python bool is refused as the mask of arrays)
}


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("label, a, b", MIXED, ids=[m[0] for m in MIXED])
def test_mixing_follows_numpy_promotion(op, label, a, b):
    expected = np.result_type(as_engine_value(a), as_engine_value(b))
    ta, tb = gs.tensor(a, requires_grad=True), gs.tensor(b, requires_grad=True)
    out = BINARY[op](ta, tb)
    assert out.dtype == expected, f"{label}: {op} gave {out.dtype}, numpy gives {expected}"


WITH_A_NUMBER = [m for m in MIXED if isinstance(m[2], float)]


@pytest.mark.parametrize("label, a, b", WITH_A_NUMBER, ids=[m[0] for m in WITH_A_NUMBER])
def test_number_operand_follows_numpy_promotion(label, a, b):
    expected = np.result_type(a, b)
    assert (gs.tensor(a) * b).dtype == expected
    assert (b - gs.tensor(a)).dtype == expected


@pytest.mark.parametrize("label, a, b", MIXED, ids=[m[0] for m in MIXED])
def test_mixed_gradients_keep_each_leafs_dtype(label, a, b):
    ta, tb = gs.tensor(a, requires_grad=True), gs.tensor(b, requires_grad=True)
    (ta * tb).sum().backward()
    for leaf in (ta, tb):
        assert np.asarray(leaf.grad).dtype == leaf.dtype, \
            f"{label}: a {leaf.dtype} leaf got a {np.asarray(leaf.grad).dtype} gradient"
        assert np.shape(leaf.grad) == leaf.shape


@pytest.mark.parametrize("da, db", [(f32, f64), (f64, f32), (f32, f32)])
def test_mixed_matmul_concat_stack(da, db):
    a = gs.tensor(np.ones((2, 3), da), requires_grad=True)
    b = gs.tensor(np.ones((3, 3), db), requires_grad=True)
    expected = np.result_type(da, db)
    assert (a @ b).dtype == expected
    assert gs.concat([a, b]).dtype == expected
    assert gs.stack([a, b[:2]]).dtype == expected
    gs.concat([a @ b, b]).sum().backward()
    assert a.grad.dtype == da and b.grad.dtype == db
