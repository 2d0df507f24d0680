"""What a PyTorch or numpy user relies on: element-wise ==, truth values and conversions, NaN through every lane,
the other libraries' spellings, gs.tensor's dtype, and the docstrings help() shows."""
import inspect
import math

import numpy as np
import pytest

import graphscope as gs
from numgrad import numerical_vjp

NAN = math.nan
HERE = __file__.rsplit("/", 1)[-1]


def line_of(fragment):
    """'test_tensor_semantics.py:N' for the line of this file holding `fragment`."""
    with open(__file__) as f:
        for number, line in enumerate(f, 1):
            if fragment in line and "line_of(" not in line:
                return f"{HERE}:{number}"
    raise AssertionError(fragment)


# ---------------------------------------------------------------- == and != are element-wise

@pytest.fixture
def a():
    return gs.tensor(np.array([0.0, 1.0, 2.0]), requires_grad=True, name="a")


def test_equality_is_element_wise_like_the_other_comparisons(a):
    for got, want in ((a == 0, [True, False, False]), (a != 0, [False, True, True]),
                      (a == gs.tensor([0.0, 5.0, 2.0]), [True, False, True]),
                      (np.array([0.0, 1.0, 5.0]) == a, [True, True, False]),
                      (np.array([0.0, 1.0, 5.0]) != a, [False, False, True])):
        assert type(got) is type(a >= 1) is gs.Tensor and got.dtype == bool and got.op in ("equal", "not_equal")
        assert a in got.inputs and not got.requires_grad
        np.testing.assert_array_equal(got.value, want)
    s = gs.tensor(2.0)
    assert (s == 2.0).shape == (s >= 2.0).shape == () and (s == 2) and not (s != 2)
    assert (s == None) is False and (s != "two") is True  # noqa: E711  (not numbers: unequal, as other objects)


def test_in_asks_whether_any_entry_equals_without_recording(a):
    made = a.id
    assert 1.0 in a and 5.0 not in a and gs.tensor(2.0) in a and 2.0 in gs.tensor(2.0)
    assert gs.tensor(0.0).id == made + 3  # only the two tensors made above were recorded


def test_a_mask_from_equality_selects_in_where(a):
    picked = gs.where(a == 0, a * 0 + 5, a)
    np.testing.assert_array_equal(picked.value, [5.0, 1.0, 2.0])
    picked.backward(np.ones(3))
    np.testing.assert_array_equal(a.grad, [0.0, 1.0, 1.0])


def test_tensors_hash_by_identity_and_key_dicts_and_sets(a):
    twin = gs.tensor(np.array([0.0, 1.0, 2.0]))
    assert hash(a) == object.__hash__(a) and hash(a) != hash(twin)
    seen = {a: "a", twin: "twin"}
    assert seen[a] == "a" and seen[twin] == "twin" and len({a, twin, a}) == 2


def test_the_graph_finds_a_nodes_position_among_equal_valued_nodes():
    x = gs.tensor(np.ones(3), name="x")
    y = x * 1.0              # the same values as x: an == lookup would take one for the other
    z = y * 1.0
    graph = z.graph()
    assert all(graph.nodes[graph.position(n)] is n for n in graph.nodes)
    assert graph.position(z) == len(graph) - 1 and graph.position(x) < graph.position(y)


def test_where_refuses_a_single_python_bool_or_none_with_arrays(a):
    for condition in (True, False, None, a is a):
        with pytest.raises(gs.InputError, match=r"where: the condition is (True|False|None), a single Python value"
                                                r".*x == 0") as caught:
            gs.where(condition, a, a * 2)
        assert line_of("gs.where(condition, a, a * 2)") in str(caught.value)


def test_where_takes_a_comparison_of_scalars_and_numpy_booleans():
    s = gs.tensor(-3.0, requires_grad=True)
    assert gs.where(s > 0, s, -s).value == 3.0 and gs.where(s == -3.0, s, 0.0).value == -3.0
    np.testing.assert_array_equal(gs.where(np.bool_(True), gs.tensor([1.0, 2.0]), 0.0).value, [1.0, 2.0])


# ---------------------------------------------------------------- truth values and conversions

def test_bool_of_one_element_works_and_of_more_is_ambiguous():
    assert bool(gs.tensor(2.0)) and not bool(gs.tensor(0.0)) and bool(gs.tensor([[3.0]]))
    assert not gs.tensor(np.zeros((1, 1), dtype=np.float32))
    with pytest.raises(ValueError, match=r"the truth value of ones is ambiguous: ones has shape \(3,\), 3 entries; .*"
                                        r"\(ones > 0\).any\(\)") as caught:
        bool(gs.tensor(np.ones(3), name="ones"))
    assert isinstance(caught.value, gs.ShapeError) and line_of("bool(gs.tensor(np.ones(3)") in str(caught.value)
    with pytest.raises(gs.ShapeError, match="ambiguous"):
        if gs.tensor(np.ones(2)):
            pass


def test_int_and_float_of_one_element_tensors():
    assert int(gs.tensor(2.7)) == 2 and int(gs.tensor(-2.7)) == -2 and int(gs.tensor(np.array([5.0]))) == 5
    assert float(gs.tensor(np.float32(1.5))) == 1.5 and isinstance(int(gs.tensor(3.0)), int)
    with pytest.raises(gs.ShapeError, match=r"int\(twos\) takes a one-element tensor: twos has shape \(2,\)"):
        int(gs.tensor(np.ones(2), name="twos"))


def test_np_array_gives_the_values_without_recording(a):
    s = gs.tensor(2.0)
    made = s.id
    for got in (np.array(a), np.asarray(a), np.array(a, dtype=np.float32), np.array([a, a])[1]):
        assert type(got) is np.ndarray and got.dtype.kind == "f" and got.tolist() == [0.0, 1.0, 2.0]
    assert np.array(s).shape == () and np.array(s).item() == 2.0
    assert gs.tensor(0.0).id == made + 1  # nothing was recorded in between (np.array used to record getitems)
    copy = np.array(a)
    copy[0] = 9.0
    assert a.value[0] == 0.0


def test_numpy_on_the_left_of_an_operator_still_records(a):
    y = np.array([1.0, 2.0, 3.0]) * a + np.ones(3)
    assert isinstance(y, gs.Tensor) and y.op == "add" and y.inputs[0].op == "mul"
    gs.sum(y).backward()
    np.testing.assert_array_equal(a.grad, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"numpy's functions do not record .*write gs\.exp\(x\)"):
        np.exp(a)


# ---------------------------------------------------------------- NaN through every lane, as torch

AT_NAN = {   # label: (graphscope, PyTorch, input, the documented gradient of sum(f(x)))
    "relu": (gs.relu, lambda torch, x: torch.relu(x), [NAN, 1.0, -1.0], [1.0, 1.0, 0.0]),
    "abs": (gs.abs, lambda torch, x: torch.abs(x), [NAN, 1.0, -1.0], [0.0, 1.0, -1.0]),
    "clip": (lambda x: gs.clip(x, -0.5, 0.5), lambda torch, x: torch.clamp(x, -0.5, 0.5), [NAN, 1.0, 0.2],
             [0.0, 0.0, 1.0]),
    "clip below": (lambda x: gs.clip(x, lo=-0.5), lambda torch, x: torch.clamp(x, min=-0.5), [NAN, 1.0, -1.0],
                   [0.0, 1.0, 0.0]),
    "leaky_relu": (lambda x: gs.leaky_relu(x, 0.1), lambda torch, x: torch.nn.functional.leaky_relu(x, 0.1),
                   [NAN, 1.0, -1.0], [0.1, 1.0, 0.1]),
    "max": (gs.max, lambda torch, x: torch.max(x), [NAN, 1.0], [1.0, 0.0]),
    "max, a NaN last": (gs.max, lambda torch, x: torch.max(x), [2.0, 1.0, NAN], [0.0, 0.0, 1.0]),
    "min": (gs.min, lambda torch, x: torch.min(x), [NAN, 1.0], [1.0, 0.0]),
    "min, a NaN last": (gs.min, lambda torch, x: torch.min(x), [2.0, 1.0, NAN], [0.0, 0.0, 1.0]),
}


def _values_and_gradient(build, x):
    t = gs.tensor(np.array(x), requires_grad=True)
    y = build(t)
    gs.sum(y).backward()
    return np.atleast_1d(y.value), t.grad


@pytest.mark.parametrize("label", sorted(AT_NAN))
def test_nan_propagates_and_gets_torchs_gradient(torch, label):
    build, torch_build, x, expected = AT_NAN[label]
    values, grad = _values_and_gradient(build, x)
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ty = torch_build(torch, tx)
    ty.sum().backward()
    np.testing.assert_array_equal(values, np.atleast_1d(ty.detach().numpy()))  # NaN where torch has NaN
    np.testing.assert_array_equal(grad, tx.grad.numpy())
    np.testing.assert_array_equal(grad, expected)


@pytest.mark.parametrize("label", [k for k in sorted(AT_NAN) if not k.startswith(("max", "min"))])
def test_the_scalar_lane_keeps_nan_as_the_array_lane_does(label):
    build, _, x, expected = AT_NAN[label]
    for v, want in zip(x, expected):
        t = gs.tensor(v, requires_grad=True)
        y = build(t)
        y.backward()
        assert y.value.__class__ is float and t.grad.__class__ is float
        assert (math.isnan(y.value) if math.isnan(v) else y.value == build(gs.tensor(np.array([v]))).value[0])
        assert t.grad == want


def test_relu_of_a_nan_scalar_is_nan_with_gradient_one():
    x = gs.tensor(NAN, requires_grad=True)
    y = gs.relu(x)
    y.backward()
    assert math.isnan(y.value) and x.grad == 1.0
    np.testing.assert_array_equal(gs.relu(gs.tensor([NAN, 1.0, -1.0])).value, [NAN, 1.0, 0.0])


def test_several_nans_share_the_gradient_of_max():
    t = gs.tensor(np.array([[NAN, 1.0, NAN], [0.0, 3.0, 3.0]]), requires_grad=True)
    y = gs.max(t, axis=1)
    np.testing.assert_array_equal(y.value, [NAN, 3.0])
    gs.sum(y).backward()
    np.testing.assert_array_equal(t.grad, [[0.5, 0.0, 0.5], [0.0, 0.5, 0.5]])


SPECIAL = [NAN, math.inf, -math.inf, 0.0, -0.0, 1.5, -1.5]


def same(got, want):
    """Equal to the last bit or two (math's and numpy's tanh differ in one), infinities alike, NaN for NaN."""
    return got == pytest.approx(want, rel=1e-15, nan_ok=True) if math.isfinite(want) or math.isnan(want) \
        else got == want


@pytest.mark.parametrize("name", sorted(n for n, op in gs.OPS.items() if op.scalar_forward is not None))
def test_every_scalar_lane_agrees_with_the_array_lane_on_special_values(name):
    """NaN, infinities and signed zeros: the Python-float lane gives what numpy gives, NaN for NaN."""
    op = gs.OPS[name]
    attrs = {"pow": {"exponent": 3.0}, "clip": {"lo": -1.0, "hi": 1.0}}.get(name, {})
    arity = len([p for p in inspect.signature(op.forward).parameters.values() if p.default is p.empty]) - len(attrs)
    pairs = [(v,) for v in SPECIAL] if arity == 1 else [(u, v) for u in SPECIAL for v in SPECIAL]
    with np.errstate(all="ignore"):
        for xs in pairs:
            want = float(op.forward(*[np.array([v]) for v in xs], **attrs)[0])
            got = op.scalar_forward(*xs, **attrs)
            assert same(got, want), (name, xs, got, want)
            if op.scalar_vjp is not None:
                arrays = [np.array([v]) for v in xs]
                wants = [float(np.asarray(w).reshape(-1)[0]) for w in op.vjp(np.ones(1), *arrays, value=np.array([want]))]
                gots = op.scalar_vjp(1.0, *xs, got)
                for g, w in zip(gots, wants):
                    assert same(g, w), (name, xs, gots, wants)


# ---------------------------------------------------------------- PyTorch's and numpy's spellings

@pytest.fixture
def m():
    return gs.tensor(np.arange(6.0).reshape(2, 3) / 4, requires_grad=True, name="m")


@pytest.mark.parametrize("pytorch, numpy_way", [
    (lambda m: gs.softmax(m, dim=0), lambda m: gs.softmax(m, axis=0)),
    (lambda m: m.sum(dim=0), lambda m: m.sum(axis=0)),
    (lambda m: m.sum(axis=0, keepdim=True), lambda m: m.sum(axis=0, keepdims=True)),
    (lambda m: m.mean(dim=1, keepdim=True), lambda m: gs.mean(m, axis=1, keepdims=True)),
    (lambda m: gs.max(m, dim=1).values, lambda m: gs.max(m, axis=1)),   # dim=: torch's (values, indices)
    (lambda m: gs.log_softmax(m, dim=0), lambda m: gs.log_softmax(m, axis=0)),
    (lambda m: gs.concat([m, m], dim=1), lambda m: gs.concat([m, m], axis=1)),
    (lambda m: gs.stack([m, m], dim=2), lambda m: gs.stack([m, m], axis=2)),
    (lambda m: m.transpose(0, 1), lambda m: m.T),
    (lambda m: m.transpose(1, 0), lambda m: gs.transpose(m, axes=(1, 0))),
    (lambda m: np.sum(m), lambda m: gs.sum(m)),
    (lambda m: np.mean(m), lambda m: gs.mean(m)),
    (lambda m: np.max(m, axis=0), lambda m: gs.max(m, axis=0)),
    (lambda m: np.mean(m, axis=1, keepdims=True), lambda m: gs.mean(m, axis=1, keepdims=True)),
    (lambda m: np.clip(m, 0.2, 0.9), lambda m: gs.clip(m, 0.2, 0.9)),
    (lambda m: np.reshape(m, (3, 2)), lambda m: gs.reshape(m, (3, 2))),
    (lambda m: np.transpose(m), lambda m: m.T),
])
def test_other_libraries_spellings_record_the_same_node(m, pytorch, numpy_way):
    got, want = pytorch(m), numpy_way(m)
    assert isinstance(got, gs.Tensor) and got.op == want.op and got.attrs.keys() == want.attrs.keys()
    np.testing.assert_array_equal(got.value, want.value)
    assert got.source.startswith(__file__ + ":")  # the user's line, not numpy's
    g = np.random.default_rng(0).normal(size=got.shape)
    got.backward(g)
    analytic, m.grad = m.grad, None
    np.testing.assert_allclose(analytic, numerical_vjp(lambda v: numpy_way(gs.tensor(v)).value, [m.value], g)[0],
                               rtol=1e-8, atol=1e-12)


def test_numpy_functions_name_the_users_line_not_numpys(m):
    made = np.sum(m)
    assert made.source == f"{__file__}:{line_of('made = np.sum(m)').split(':')[1]}"


def test_transpose_swaps_two_axes_as_torch_and_permutes_as_numpy(torch):
    x = np.random.default_rng(1).normal(size=(2, 3, 4))
    for dims in ((0, 1), (0, 2), (-1, 1), (2, 2)):
        t = gs.tensor(x, requires_grad=True)
        y = t.transpose(*dims)
        tx = torch.tensor(x, requires_grad=True)
        ty = tx.transpose(*dims)
        g = np.random.default_rng(2).normal(size=y.shape)
        y.backward(g)
        ty.backward(torch.tensor(g))
        np.testing.assert_array_equal(y.value, ty.detach().numpy())
        np.testing.assert_array_equal(t.grad, tx.grad.numpy())
    t = gs.tensor(x)
    np.testing.assert_array_equal(t.transpose(2, 0, 1).value, x.transpose(2, 0, 1))
    m = gs.tensor(x[0])
    for same in ((0, 1), [0, 1]):  # a tuple or list is numpy's permutation: (0, 1) keeps a matrix as it is
        assert m.transpose(same).attrs["axes"] == gs.transpose(m, same).attrs["axes"] == (0, 1)
    np.testing.assert_array_equal(t.transpose((2, 0, 1)).value, x.transpose((2, 0, 1)))
    with pytest.raises(gs.InputError, match=r"transpose: cannot swap axes 0 and 3 of a 3-d input of shape \(2, 3, 4\)"):
        t.transpose(0, 3)
    with pytest.raises(gs.InputError, match="axes given twice"):
        t.transpose(0, 1, axes=(1, 0, 2))


@pytest.mark.parametrize("call, words", [
    (lambda m: gs.leaky_relu(m, negative_slope=0.1),
     "leaky_relu: no keyword 'negative_slope'; graphscope calls it alpha=; leaky_relu takes leaky_relu(x, alpha=0.01)"),
    (lambda m: gs.clip(m, min=0.0), "clip: no keyword 'min'; graphscope calls it lo="),
    (lambda m: gs.softmax(m, axs=1), "softmax: no keyword 'axs'; graphscope calls it axis=; softmax takes "
                                     "softmax(x, axis=-1) (PyTorch's dim= for axis= work too)"),
    (lambda m: m.sum(axis=0, dim=1), "sum: both axis= and dim= given (dim= is PyTorch's name for axis=)"),
    (lambda m: gs.softmax_cross_entropy(m, target=[0, 1]), "no keyword 'target'; graphscope calls it labels="),
    (lambda m: gs.softmax(m, keepdim=True), "softmax: no keyword 'keepdim'"),
    (lambda m: gs.softmax(m, 1, 0), "softmax(x, axis=-1): too many positional arguments"),
    (lambda m: np.sum(m, out=np.zeros(())), "sum: out=array(0.) is not supported: graphscope ops make a new "
                                            "recorded tensor"),
    (lambda m: np.mean(m, dtype=np.float32), "mean: dtype=<class 'numpy.float32'> is not supported"),
])
def test_a_foreign_keyword_gets_one_message_naming_graphscopes(m, call, words):
    with pytest.raises(gs.InputError) as caught:
        call(m)
    message = str(caught.value)
    assert words in message and isinstance(caught.value, TypeError)
    first, at = message.split("\n")
    assert at.startswith("  at ") and f"{HERE}:" in at


# ---------------------------------------------------------------- gs.tensor: dtype, and no tensors as data

def test_tensor_takes_a_dtype_and_says_what_it_makes():
    assert gs.tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert gs.tensor(2, dtype="float32").value.dtype == np.float32
    assert gs.tensor(np.ones(2, np.float32), dtype=np.float64).dtype == np.float64
    assert gs.tensor([1, 2]).dtype == gs.tensor(np.float16(1.0)).dtype == gs.tensor([True]).dtype == np.float64
    assert gs.param([1.0], dtype=np.float32).dtype == gs.constant([1.0], dtype=np.float32).dtype == np.float32
    doc = inspect.getdoc(gs.tensor)
    assert "float32 data stays float32" in doc and "ints, bools, float16" in doc and "dtype=np.float32" in doc
    for bad in (np.int32, np.float16, "foo"):
        with pytest.raises(gs.InputError, match=r"gs.tensor: dtype=.* is not one graphscope computes in; use "
                                                r"np.float64 \(the default\) or np.float32"):
            gs.tensor([1, 2], dtype=bad)


def test_a_tensor_is_not_data_for_a_new_leaf():
    x = gs.tensor([1.0, 2.0], requires_grad=True, name="x")
    with pytest.raises(gs.InputError, match=r"gs.tensor\(x\): x is already a tensor; use it as it is .* x.detach\(\)"):
        gs.tensor(x)
    with pytest.raises(gs.InputError, match=r"gs.param\(x\)"):
        gs.param(x)
    with pytest.raises(gs.InputError, match=r"gs.tensor\(\[...\]\): the list holds tensors; gs.stack"):
        gs.tensor([[x[0], 1.0]])
    assert x.detach().value.tolist() == [1.0, 2.0]


# ---------------------------------------------------------------- help() says what things are

def test_the_losses_and_tensor_attributes_have_docstrings():
    for fn in (gs.softmax_cross_entropy, gs.svm_loss):
        doc = inspect.getdoc(fn)
        assert "labels" in doc and "(N, C)" in doc and "L = mean_i" in doc and "not one-hot" in doc
    for attr in ("zero_grad", "grad", "shape", "dtype", "requires_grad", "ndim", "size", "is_leaf"):
        assert len(inspect.getdoc(getattr(gs.Tensor, attr)) or "") > 20, attr


# ---------------------------------------------------------------- graphscope itself compares nodes by identity

@pytest.mark.parametrize("values", [(2.0, 2.0), (np.ones(3), np.ones(3)), (np.ones(3), np.ones(2))])
def test_a_collapsed_scope_lists_every_outside_tensor_it_takes_once(values):
    from graphscope.viz.view import View
    x1, x2 = gs.tensor(values[0], name="x1"), gs.tensor(values[1], name="x2")  # equal values, two tensors
    with gs.scope("block"):
        out = gs.sum(x1 * 2.0) + gs.sum(x2 * 3.0) + gs.sum(x1)
    view = View(out.graph(), collapse=("block",))
    box = next(item for item in view.items if item.kind != "node" and item.scopes == ("block",))
    assert [t.name for t in box.inputs] == ["x1", "x2"] and [t.name for t in box.outputs] == [out.name]


def test_a_tensor_is_found_in_a_list_by_identity_and_compared_by_value_gets_graphscopes_message(a):
    other = gs.tensor([0.0, 1.0, 2.0])
    assert a in [a, other]  # Python tries identity first (and stops at the first hit)
    with pytest.raises(gs.ShapeError, match=r"is ambiguous.*`t in \[a, b\]`.*any\(t is u for u in items\)"):
        a in [other]  # noqa: B015


def test_dim_and_tolist_as_in_pytorch(a):
    assert a.dim() == 1 and gs.tensor(np.ones((2, 3))).dim() == 2 and gs.tensor(3.0).dim() == 0
    assert a.tolist() == [0.0, 1.0, 2.0] and type(a.tolist()[0]) is float
    assert gs.tensor(3.0).tolist() == 3.0 and (a > 0).tolist() == [False, True, True]
