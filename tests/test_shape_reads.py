"""Numbers Python reads from a tensor while a graph is recorded: sizes replay (dim nodes), plain numbers keep guards.

Each test compares eager code (the model built again on the new values) with replay, the trainer's short last
batch or onnxruntime; the old engine froze every one of these numbers silently.
"""
import gc
import importlib
import json
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest

import graphscope as gs


def ones(rows):
    return np.ones((rows, 2))


def mean_by_hand(y):
    return gs.sum(y) / y.shape[0]


# ---------------------------------------------------------------- sizes that replay

def test_a_size_next_to_a_tensor_is_a_dim_node_that_replays_like_eager_code():
    y = gs.tensor(ones(3), name="y")
    m = mean_by_hand(y)
    g = m.graph()
    dim = [n for n in g.nodes if n.op == "dim"]
    assert len(dim) == 1 and dim[0].attrs == {"axis": 0} and dim[0].inputs == (y,)
    assert dim[0].value == 3.0 and not dim[0].requires_grad
    five = np.arange(10.0).reshape(5, 2)
    assert g.run({"y": five}) == mean_by_hand(gs.tensor(five)).value == 9.0
    assert g.guards == []


@pytest.mark.parametrize("build", [lambda x, n: x * n, lambda x, n: n * x, lambda x, n: gs.where(x > 5.0, x, n),
                                   lambda x, n: x / n + n])
def test_a_size_works_on_either_side_and_in_functions(build):
    x = gs.tensor(ones(3), name="x")
    out = gs.sum(build(x, x.shape[0]))
    four = np.full((4, 2), 2.0)
    assert out.graph().run({"x": four}) == pytest.approx(gs.sum(build(gs.tensor(four), 4)).value)


def test_the_size_of_another_axis_and_of_an_intermediate_node():
    x = gs.tensor(ones(3), name="x")
    h = x * 2.0
    out = gs.sum(h) / h.shape[1] / x.shape[-1]
    assert out.graph().run({"x": np.ones((3, 4))}) == pytest.approx(24.0 / 16.0)


def test_a_size_stays_an_int_for_python():
    x = gs.tensor(ones(3), name="x")
    assert x.shape == (3, 2) and repr(x.shape) == "(3, 2)" and json.dumps(x.shape) == "[3, 2]"
    assert np.zeros(x.shape).shape == (3, 2) and list(range(x.shape[0])) == [0, 1, 2]
    assert x.reshape(x.shape[0], -1).shape == (3, 2)
    assert isinstance(x.shape[0], int) and x.shape[0] + 1 == 4


def test_graphscope_reads_plain_ints_for_itself():
    x = gs.tensor(ones(3), name="x")
    g = (x * 2.0).graph()
    assert all(type(d) is int for d in g.recorded_shapes[x.id])


def test_the_trainers_short_last_batch_divides_by_its_own_size():
    x, y = gs.data.spiral(n_per_class=16, classes=3, seed=0)          # 48 examples, batches of 32: the last has 16
    X = gs.tensor(x[:32], name="x")
    W = gs.param(np.random.default_rng(0).normal(size=(2, 3)) * 0.1, name="W")
    scores = X @ W
    scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, y[:32]) + gs.sum(gs.relu(scores)) / X.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", gs.StaleNumberWarning)
        gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=32, epochs=1, seed=0,
                   dtype="float64").fit(x, y)
    g = loss.graph()
    last = g["x"].value
    assert last.shape[0] == 16 and [n.value for n in g.nodes if n.op == "dim"] == [16.0]
    labels = next(n for n in g.nodes if n.op == "softmax_cross_entropy").attrs["labels"]
    Xe, We = gs.tensor(last), gs.param(g["W"].value)
    se = Xe @ We
    eager = gs.softmax_cross_entropy(se, labels) + gs.sum(gs.relu(se)) / 16
    eager.backward()
    g.zero_grad()
    assert g.run() == pytest.approx(eager.value)
    g.backward()
    np.testing.assert_allclose(g["W"].grad, We.grad, rtol=1e-12)


# ---------------------------------------------------------------- plain numbers keep guards

def variance(y):
    """The unbiased variance of y's entries per column, averaged, written by hand with sizes."""
    centred = y - gs.sum(y, axis=0) / y.shape[0]
    return gs.sum(centred * centred) / (y.shape[0] - 1) / (2 * y.shape[1] ** 1 / 2) + 0 * -abs(+y.shape[0])


def test_arithmetic_on_a_size_next_to_a_tensor_replays():
    rng = np.random.default_rng(0)
    y = gs.tensor(rng.normal(size=(3, 2)), name="y")
    g = variance(y).graph()
    assert g.guards == [] and [n.attrs["axis"] for n in g.nodes if n.op == "dim"] == [0, 0, 1, 0]
    five = rng.normal(size=(5, 2))
    assert g.run({"y": five}) == pytest.approx(variance(gs.tensor(five)).value, rel=1e-12)
    assert g.run({"y": five}) == pytest.approx(np.var(five, axis=0, ddof=1).mean(), rel=1e-12)


def test_floor_division_of_a_size_is_frozen_and_refused_when_the_batch_changes():
    y = gs.tensor(ones(3), name="y")
    m = gs.sum(y) / (y.shape[0] // 1)
    line = m.source.split(":")[-1]
    g = m.graph()
    assert [n.op for n in g.guards] == ["unchanged"]
    assert g.run({"y": np.full((3, 2), 2.0)}) == 4.0                  # same size: replays
    with pytest.raises(gs.StaleNumberError, match=rf"y.shape\[0\] was read as 3 at .*test_shape_reads.py:{line} "
                                                  r"and used as a plain number; this feed has 5 rows"):
        g.run({"y": ones(5)})
    assert g["y"].value.shape == (3, 2)                                  # the graph is put back


def test_printing_a_shape_or_iterating_for_display_does_not_stop_training():
    x, y = gs.data.spiral(n_per_class=16, classes=3, seed=0)
    X = gs.tensor(x[:32], name="x")
    print(X.shape, len(X), X.shape[0] - 1)
    for row in X[:2]:
        print(row)
    W = gs.param(np.zeros((2, 3)), name="W")
    loss = gs.softmax_cross_entropy(X @ W, y[:32])
    with warnings.catch_warnings():
        warnings.simplefilter("error", gs.StaleNumberWarning)
        gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=32, epochs=2, seed=0).fit(x, y)
    assert loss.graph().guards == [] and loss.graph()["x"].value.shape == (16, 2)


def test_a_python_loop_over_the_rows_is_refused_on_another_number_of_rows():
    x = gs.tensor(ones(3), name="x")
    tot = 0.0
    for row in x:
        tot = tot + gs.sum(row * row)
    g = tot.graph()
    assert g.run({"x": np.full((3, 2), 2.0)}) == 24.0
    with pytest.raises(gs.StaleNumberError, match="iterating over x .* went through its 3 rows.*this feed has 5 rows"):
        g.run({"x": ones(5)})


def test_len_on_the_line_that_makes_the_constant_is_refused_later_lines_warn():
    y = gs.tensor(ones(3), name="y")
    m = gs.sum(y) / len(y)
    with pytest.raises(gs.StaleNumberError, match=r"len\(y\) was read as 3"):
        m.graph().run({"y": ones(5)})
    n = len(y)
    m = gs.sum(y) / n
    with pytest.warns(gs.StaleNumberWarning, match=r"len\(y\) was read as 3 .*this feed has 5 rows.*not sure"):
        assert m.graph().run({"y": ones(5)}) == pytest.approx(10 / 3)   # goes on with the recorded constant


def test_int_float_and_item_used_as_numbers_are_refused_when_they_change():
    def build(x):
        return x * int(x) + x * x.item() + float(x)
    x = gs.tensor(2.5, name="x")
    g = build(x).graph()
    assert sorted(n.attrs["kind"] for n in g.guards) == ["float", "float", "int"]
    assert g.run({"x": 2.5}) == build(gs.tensor(2.5)).value
    with pytest.raises(gs.StaleNumberError, match=r"int\(x\) was read as 2 .*on these values it is 3"):
        g.run({"x": 3.5})


def test_a_number_read_and_used_elsewhere_is_not_guarded():
    x = gs.tensor(2.5, name="x")
    k = int(x)
    other = gs.tensor(1.0, name="o") * 7.0                            # a constant of another value
    assert k == 2 and other.graph().guards == []
    assert (x * 3.0).graph().guards == []


def test_np_where_on_a_recorded_mask_is_refused_when_the_mask_changes():
    x = gs.tensor(np.array([0.5, 2.0]), name="x")
    y = np.where(x > 1, 2.0, 3.0) * x
    g = y.graph()
    np.testing.assert_array_equal(g.run({"x": np.array([0.25, 4.0])}), [0.75, 8.0])
    with pytest.raises(gs.StaleNumberError, match="read as a plain array"):
        g.run({"x": np.array([2.0, 0.5])})
    z = gs.where(x > 1, 2.0, 3.0) * x                                  # the replaying way: no guard
    np.testing.assert_array_equal(z.graph().run({"x": np.array([2.0, 0.5])}), [4.0, 1.5])


def test_a_literal_on_the_line_is_the_codes_own_whatever_a_read_gave():
    x = gs.tensor(np.ones((2, 3)), name="x")
    print(len(x))                                    # 2 rows, printed
    loss = gs.sum((x - 1.0) * 2)                     # a literal 2: no guard, no warning on 3 rows
    assert loss.graph().guards == []
    assert gs.sum((x * 2.0 - 1.0) ** 2).graph().guards == []


def test_a_read_in_one_call_of_a_function_guards_nothing_in_a_later_call():
    def f(x, read):
        if read:
            len(x)
        return gs.sum(x * 2)
    x = gs.tensor(np.ones((2, 3)), name="x")
    for _ in range(3):                               # a later call may get the same frame address
        f(x, True)
        assert f(x, False).graph().guards == []


def test_an_array_read_guards_that_array_only_not_another_of_its_shape():
    x = gs.tensor(np.ones((3, 2)), name="x")
    xs = np.asarray(x)
    bias = np.full((3, 2), 0.5)                      # unrelated, the same shape
    assert gs.sum(x * bias).graph().guards == []
    kept = gs.sum(x * xs[::-1])                      # the array read (a view of it), used on a later line
    with pytest.warns(gs.StaleNumberWarning, match="read as a plain array"):
        kept.graph().run({"x": np.full((3, 2), 2.0)})


def test_np_asarray_hands_out_the_value_and_keeps_no_copies():
    t = gs.tensor(np.ones((500, 500)), name="t")     # 2 MB
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(10):
            a = np.asarray(t)
            assert a is t.value
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 500_000


def test_a_read_through_numpys_own_functions_is_the_callers():
    x = gs.tensor(np.array([3.0, 1.0, 2.0]), name="x")
    y = x * np.sort(x)                               # np.sort reads x in numpy's Python code, for this line
    with pytest.raises(gs.StaleNumberError, match="read as a plain array"):
        y.graph().run({"x": np.array([1.0, 3.0, 2.0])})


def test_the_recorder_stops_looking_at_operands_when_the_reads_calls_have_returned():
    tensor = importlib.import_module("graphscope.engine.tensor")  # (graphscope.engine.tensor is also gs.tensor)

    def rows(x):
        n, a = len(x), np.asarray(x)
        return n, a.shape

    def show(x):
        print(rows(x))
    x = gs.tensor(np.ones((2, 3)), name="x")
    show(x)
    gs.sum(x * 2.0)           # equal to the read: looked at once, the read's call and the one that called it are over
    assert tensor.PENDING_NUMBERS == set() and np.ndarray not in tensor.NUMBER_OPERANDS
    assert int not in tensor.NUMBER_OPERANDS and float not in tensor.NUMBER_OPERANDS


# ---------------------------------------------------------------- a comparison with a leaf used nowhere else

@pytest.mark.parametrize("make", [gs.tensor, gs.param, gs.constant])
def test_a_comparison_with_a_leaf_the_graph_does_not_hold_keeps_its_guard(make):
    x = gs.tensor(0.5, name="x")
    thr = make(1.0)
    out = x * 2.0 if x > thr else x * 3.0
    g = out.graph()
    assert len(g.guards) == 1
    assert g.run({"x": 0.25}) == 0.75
    with pytest.raises(gs.StaleBranchError):
        g.run({"x": 2.0})


def test_sorted_against_a_new_tensor_keeps_its_guard():
    x = gs.tensor(0.5, name="x")
    out = sorted([x, gs.tensor(1.0)])[0] * 3
    with pytest.raises(gs.StaleBranchError):
        out.graph().run({"x": 2.0})


SIZED_INDEXES = {
    "x[:n // 2]": lambda y: y[: y.shape[0] // 2],
    "x[:n - 1]": lambda y: y[: y.shape[0] - 1],
    "x[n - 1]": lambda y: y[y.shape[0] - 1],
    "x[1:n:2, :]": lambda y: y[1:y.shape[0]:2, :],
    "x[:n]": lambda y: y[: y.shape[0]],
}


@pytest.mark.parametrize("index", sorted(SIZED_INDEXES))
def test_an_index_computed_from_a_size_is_refused_when_the_size_changes(index, tmp_path):
    y = gs.tensor(np.arange(8.0).reshape(4, 2), name="y")
    s = gs.sum(SIZED_INDEXES[index](y) * 2.0)
    g = s.graph()
    assert [n.op for n in g.guards] == ["unchanged"]
    other = np.arange(8.0).reshape(4, 2) + 1
    assert g.run({"y": other}) == pytest.approx(2 * np.sum(SIZED_INDEXES[index](other)))  # same size: replays
    with pytest.raises(gs.StaleNumberError, match=r"y.shape\[0\] was read as 4 at .*test_shape_reads.py:\d+ "
                                                  r"and used as a plain number; this feed has 6 rows"):
        g.run({"y": ones(6)})
    index_attr = g.ops[0].attrs["index"]
    assert all(type(n) in (int, type(None)) for part in (index_attr if isinstance(index_attr, tuple) else
                                                          (index_attr,))
               for n in ((part.start, part.stop, part.step) if isinstance(part, slice) else (part,)))
    g.save(tmp_path / "g.gsgraph")
    with pytest.raises(gs.StaleNumberError):
        gs.load_graph(tmp_path / "g.gsgraph").run({"y": ones(6)})


def test_an_index_of_plain_numbers_keeps_no_guard():
    y = gs.tensor(np.arange(8.0).reshape(4, 2), name="y")
    assert gs.sum(y[:2] * 2.0).graph().guards == []


# ---------------------------------------------------------------- graph files and ONNX

def test_a_number_guard_survives_a_graph_file(tmp_path):
    y = gs.tensor(ones(3), name="y")
    m = gs.sum(y) / (y.shape[0] // 2) + gs.sum(y) / y.shape[0]
    m.graph().save(tmp_path / "m.gsgraph")
    loaded = gs.load_graph(tmp_path / "m.gsgraph")
    assert [n.op for n in loaded.guards] == ["unchanged"] and any(n.op == "dim" for n in loaded.nodes)
    assert loaded.run({"y": np.full((3, 2), 2.0)}) == pytest.approx(12 / 1 + 12 / 3)
    with pytest.raises(gs.StaleNumberError, match=r"y.shape\[0\] was read as 3"):
        loaded.run({"y": ones(5)})


def test_onnx_with_a_free_batch_reads_the_size_from_the_input(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    y = gs.tensor(np.random.default_rng(0).normal(size=(3, 2)), name="y")
    path = mean_by_hand(y).graph().to_onnx(tmp_path / "m.onnx", dynamic_batch=True)
    five = np.random.default_rng(1).normal(size=(5, 2))
    (got,) = ort.InferenceSession(str(path)).run(None, {"y": five})
    assert got == pytest.approx(mean_by_hand(gs.tensor(five)).value, rel=1e-12)


def test_onnx_with_a_free_batch_refuses_a_constant_the_size_of_the_batch(tmp_path):
    pytest.importorskip("onnx")
    y = gs.tensor(ones(3), name="y")
    m = gs.sum(y) / (y.shape[0] // 1)
    with pytest.raises(gs.GraphscopeError, match=r"y.shape\[0\] was read as 3 .*\(a constant the size of the batch\)"):
        m.graph().to_onnx(tmp_path / "m.onnx", dynamic_batch=True)
    assert not (tmp_path / "m.onnx").exists()
    tot = 0.0
    for row in y:
        tot = tot + gs.sum(row)
    with pytest.raises(gs.GraphscopeError, match="one step per row of the batch"):
        tot.graph().to_onnx(tmp_path / "t.onnx", dynamic_batch=True)


# ---------------------------------------------------------------- the flatten idiom

def flattened(x, w):
    return x.reshape(x.shape[0], -1) @ w


def test_the_flatten_idiom_reshapes_each_batch_to_its_own_size(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(28, 3))
    x = gs.tensor(rng.normal(size=(16, 7, 4)), name="x")
    g = flattened(x, gs.param(w, name="W")).graph()
    assert [n.attrs.get("kept") for n in g.nodes if n.op == "reshape"] == [((0, 0),)]
    short = rng.normal(size=(2, 7, 4))  # (2, 28), never the recorded (16, -1) = (16, 3.5 ...) or a refusal
    np.testing.assert_allclose(g.run({"x": short}), short.reshape(2, -1) @ w)
    g.save(tmp_path / "flat.gsgraph")
    again = gs.load_graph(tmp_path / "flat.gsgraph")
    np.testing.assert_allclose(again.run({"x": rng.normal(size=(5, 7, 4))}).shape, (5, 3))


def test_a_flattening_model_trains_its_short_last_batch_like_eager_code():
    rng = np.random.default_rng(1)
    xs, ys = rng.normal(size=(20, 7, 4)), rng.integers(0, 3, 20)
    w0 = rng.normal(size=(28, 3)) * 0.1
    W = gs.param(w0.copy(), name="W")
    loss = gs.softmax_cross_entropy(flattened(gs.tensor(xs[:8], name="x"), W), ys[:8])
    gs.Trainer(loss, gs.optim.SGD([W], lr=0.5), batch_size=8, epochs=1, shuffle=False, dtype="float64",
               progress=False).fit(xs, ys)
    w = w0.copy()
    for start in (0, 8, 16):  # the last batch holds 4 examples
        xb, yb = xs[start:start + 8].reshape(-1, 28), ys[start:start + 8]
        p = np.exp(xb @ w - (xb @ w).max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(yb)), yb] -= 1
        w -= 0.5 * xb.T @ p / len(yb)
    np.testing.assert_allclose(W.value, w, rtol=1e-10, atol=1e-12)


def test_the_flatten_idiom_exports_with_a_free_batch_size(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(2)
    w = rng.normal(size=(28, 3)).astype(np.float32)
    x = gs.tensor(rng.normal(size=(16, 7, 4)).astype(np.float32), name="x")
    path = tmp_path / "flat.onnx"
    flattened(x, gs.param(w, name="W")).graph().to_onnx(path, dynamic_batch=True)
    five = rng.normal(size=(5, 7, 4)).astype(np.float32)
    session = ort.InferenceSession(str(path))
    out = session.run(None, {session.get_inputs()[0].name: five})[0]
    np.testing.assert_allclose(out, five.reshape(5, -1) @ w, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- other ways of reading a size

def mean_of_entries(x):
    return gs.sum(x) / x.size


def test_the_entry_count_is_the_product_of_the_sizes_and_replays():
    rng = np.random.default_rng(3)
    x = gs.tensor(rng.normal(size=(4, 3)), name="x")
    g = mean_of_entries(x).graph()
    assert sorted(n.attrs["axis"] for n in g.nodes if n.op == "dim") == [0, 1] and g.guards == []
    other = rng.normal(size=(10, 5))
    assert g.run({"x": other}) == pytest.approx(mean_of_entries(gs.tensor(other)).value, rel=1e-12)
    assert g.run({"x": other}) == pytest.approx(other.mean(), rel=1e-12)
    with pytest.raises(TypeError, match=r"write x.shape\[0\]"):
        x.size(0)


def squared_error(x, y, divide):
    err = x @ gs.param(np.zeros((3, 1)), name="W") - y
    return gs.sum(err * err) / divide(y)


def test_a_loss_divided_by_the_entry_count_evaluates_other_sizes_like_eager_code():
    rng = np.random.default_rng(0)
    loss = squared_error(gs.tensor(rng.normal(size=(8, 3)), name="x"), gs.tensor(rng.normal(size=(8, 1)), name="y"),
                         lambda y: y.size)
    X, Y = rng.normal(size=(200, 3)), rng.normal(size=(200, 1))
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.01), batch_size=8, epochs=1, dtype="float64")
    eager = squared_error(gs.tensor(X), gs.tensor(Y), lambda y: Y.size).value
    assert trainer.evaluate(X, Y)[1] == pytest.approx(eager, rel=1e-12)


@pytest.mark.parametrize("read", [lambda x: float(x.shape[0]), lambda x: int(x.shape[0]),
                                  lambda x: np.prod(x.shape), lambda x: float(x.shape[0] * x.shape[1]),
                                  lambda x: int(x.size)], ids=["float", "int", "np.prod", "float-product", "int-size"])
def test_a_size_made_a_plain_number_keeps_a_guard_in_the_call_that_used_it(read):
    x = gs.tensor(np.ones((4, 3)), name="x")
    g = (gs.sum(x) / read(x)).graph()            # read in the lambda, used on this line: refused on another size
    same = np.full((4, 3), 2.0)
    assert g.run({"x": same}) == pytest.approx((gs.sum(gs.tensor(same)) / read(gs.tensor(same))).value)
    with pytest.raises(gs.StaleNumberError, match=r"x.shape\[0\].* was read as 4 .*this feed has 10 rows"):
        g.run({"x": np.ones((10, 3))})


def test_a_size_made_a_plain_number_warns_when_used_on_a_later_line():
    x = gs.tensor(np.ones((4, 3)), name="x")
    n = float(x.shape[0])
    g = (gs.sum(x) / n).graph()
    with pytest.warns(gs.StaleNumberWarning, match=r"float\(x.shape\[0\]\) was read as 4 .*not sure"):
        assert g.run({"x": np.ones((10, 3))}) == pytest.approx(30 / 4)


# ---------------------------------------------------------------- loops written with an index

def loop_len(x):
    return sum(gs.sum(x[i]) for i in range(len(x)))


def loop_shape(x):
    return sum(gs.sum(x[i]) for i in range(x.shape[0]))


def loop_len_lines(x):
    total = 0.0
    for i in range(len(x)):
        total = total + gs.sum(x[i] * 2.0)
    return total


def loop_shape_lines(x):
    total = 0.0
    n = x.shape[0]
    for i in range(n):
        total = total + gs.sum(x[i] * 2.0)
    return total


@pytest.mark.parametrize("build", [loop_len, loop_shape, loop_len_lines, loop_shape_lines])
def test_a_loop_indexing_the_rows_up_to_their_number_is_refused_on_another_number(build):
    x = gs.tensor(np.ones((4, 3)), name="x")
    g = build(x).graph()
    same = np.arange(12.0).reshape(4, 3)
    assert g.run({"x": same}) == pytest.approx(build(gs.tensor(same)).value)
    assert len(g.guards) == 1
    with pytest.raises(gs.StaleNumberError, match=r"the loop indexing x over range\(.*\) .*went through its 4 "
                                                  r"rows.*this feed has 10 rows"):
        g.run({"x": np.ones((10, 3))})


def test_a_loop_over_the_columns_is_refused_on_another_number_of_columns():
    x = gs.tensor(np.ones((2, 3)), name="x")
    total = 0.0
    for j in range(x.shape[1]):
        total = total + gs.sum(x[:, j])
    with pytest.raises(gs.StaleNumberError, match="went through its 3 entries along axis 1, .*; it now has 5"):
        total.graph().run({"x": np.ones((2, 5))})
    assert total.graph().run({"x": np.ones((7, 3))}) == 21.0        # the rows may change


def test_one_row_picked_after_reading_the_size_or_a_fixed_loop_keeps_no_loop_guard():
    x = gs.tensor(np.arange(12.0).reshape(4, 3), name="x")
    n = x.shape[0]
    first, last = gs.sum(x[0]), gs.sum(x[n - 1])                     # one row each, not a loop
    assert first.graph().guards == [] and first.graph().run({"x": np.ones((6, 3))}) == 3.0
    assert [g.attrs["kind"] for g in last.graph().guards] == ["size"]  # x[n - 1] is the last row only for 4 rows
    y = gs.tensor(np.ones((3, 2)), name="y")
    fixed = sum(gs.sum(y[i]) for i in range(3))                   # the code's own 3, no size read
    assert fixed.graph().guards == [] and fixed.graph().run({"y": np.ones((5, 2))}) == 6.0


# ---------------------------------------------------------------- reshape to a size read from another tensor

def per_example_sums(x):
    n = x.shape[0]
    h = x * 2.0
    return gs.sum(h.reshape(n, -1), axis=1)


def test_reshape_to_a_size_read_from_another_tensor_replays_like_eager_code(tmp_path):
    rng = np.random.default_rng(4)
    x = gs.tensor(rng.normal(size=(4, 2, 3)), name="x")
    g = gs.mean(per_example_sums(x)).graph()
    reshape = next(n for n in g.nodes if n.op == "reshape")
    assert reshape.attrs["sized"] == ((0, 1, 0),) and reshape.inputs[1] is x and g.guards == []
    two = rng.normal(size=(2, 2, 3))
    assert g.run({"x": two}) == pytest.approx(gs.mean(per_example_sums(gs.tensor(two))).value, rel=1e-12)
    g.save(tmp_path / "r.gsgraph")
    assert gs.load_graph(tmp_path / "r.gsgraph").run({"x": two}) == pytest.approx(two.sum() / 2 * 2.0, rel=1e-12)


def test_reshape_to_a_size_read_from_another_tensor_has_the_gradient_of_a_reshape(torch):
    rng = np.random.default_rng(5)
    w0 = rng.normal(size=(3, 2, 3))
    w = gs.param(w0, name="w")
    loss = gs.sum(per_example_sums(w) ** 2)
    loss.backward()
    t = torch.tensor(w0, requires_grad=True)
    ((t * 2.0).reshape(3, -1).sum(dim=1) ** 2).sum().backward()
    np.testing.assert_allclose(w.grad, t.grad.numpy(), rtol=1e-12)


def test_reshape_to_a_size_read_from_another_tensor_exports_with_a_free_batch(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(6)
    x = gs.tensor(rng.normal(size=(4, 2, 3)), name="x")
    path = per_example_sums(x).graph().to_onnx(tmp_path / "r.onnx", dynamic_batch=True)
    five = rng.normal(size=(5, 2, 3))
    session = ort.InferenceSession(str(path))
    (got,) = session.run(None, {session.get_inputs()[0].name: five})
    np.testing.assert_allclose(got, (five * 2.0).reshape(5, -1).sum(axis=1), rtol=1e-12)


# ---------------------------------------------------------------- what a read keeps

def test_a_read_keeps_no_local_variable_of_its_function_alive():
    class Big:
        pass
    alive = []

    def build():
        big = Big()
        alive.append(weakref.ref(big))
        x = gs.tensor(np.ones((4, 3)), name="x")
        len(x)
        return gs.sum(x) * 2.0
    build()
    gc.collect()
    assert alive[0]() is None
