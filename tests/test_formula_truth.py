"""Every Jacobian formula reads true as a maths teacher reads it: in the graph's own names, with structural zeros
where the structure says so, the block structure stated in the order the matrix lists its entries, batched
matmul's blocks said, and a custom op without a description never called dense."""
import warnings

import numpy as np
import pytest

import graphscope as gs


def _leaf(value, name):
    return gs.tensor(np.asarray(value, dtype=np.float64), requires_grad=True, name=name)


def _formulas(node):
    return [gs.describe_jacobian(node, i).formula for i in range(len(node.inputs))]


# ---------------------------------------------------------------- 1. the graph's own names

def test_a_division_with_swapped_names_reads_in_the_nodes_names():
    """gs.sum(b / a): the formula names b the numerator and a the denominator, as the graph does, so 1/a is the
    local matrix's column [1, 0.5] (the old text, d(a/b)/da = diag(1/b), read 1/b = 0.5 everywhere)."""
    a, b = _leaf([1.0, 2.0], "a"), _leaf(2.0, "b")
    q = b / a
    to_b, to_a = gs.describe_jacobian(q, 0), gs.describe_jacobian(q, 1)
    assert to_b.formula.startswith("d(b/a)/db = diag(1/a)")
    assert to_a.formula == "d(b/a)/da = diag(-b/a^2)"
    np.testing.assert_allclose(to_b.matrix()[:, 0], 1 / a.value)
    np.testing.assert_allclose(np.diag(to_a.matrix()), -b.value / a.value ** 2)


@pytest.mark.parametrize("build, expected", [
    (lambda a, b: a + b, ["d(a+b)/da = I", "d(a+b)/db = I"]),
    (lambda a, b: a - b, ["d(a-b)/da = I", "d(a-b)/db = -I"]),
    (lambda a, b: a * b, ["d(a*b)/da = diag(b)", "d(a*b)/db = diag(a)"]),
    (lambda a, b: gs.where(a > b, a, b), [None, "d where(gt_3, a, b)/da = diag(gt_3)",
                                          "d where(gt_3, a, b)/db = diag(not gt_3)"]),
    (lambda a, b: gs.leaky_relu(a, b), ["d leaky_relu(a, b)/da = diag(1 if a > 0 else b)",
                                        "d leaky_relu(a, b)/db = diag(0 if a > 0 else a)"]),
])
def test_binary_formulas_use_the_input_names(build, expected):
    a, b = _leaf([1.0, -2.0], "a"), _leaf([0.5, 3.0], "b")
    node = build(a, b)
    if node.op == "where":
        node.inputs[0].name = "gt_3"
    got = _formulas(node)
    for want, formula in zip(expected, got):
        if want is not None:
            assert formula.split("  (")[0] == want


def test_the_neuron_samples_add_names_its_own_inputs():
    """samples/neuron.py names a node 'a' = add(add_10, b): its formula is d(add_10+b)/db, never d(a+b)/db."""
    x, b = _leaf(1.0, "add_10"), _leaf(2.0, "b")
    node = x + b
    node.name = "a"
    assert gs.describe_jacobian(node, 1).formula == "d(add_10+b)/db = 1"


def test_a_node_named_like_a_formula_letter_is_never_confused():
    x = _leaf([1.0, 2.0], "s")
    y = gs.sigmoid(x)
    assert gs.describe_jacobian(y, 0).formula == "d sigmoid(s)/ds = diag(sigmoid(s) (1 - sigmoid(s)))"
    sm = gs.softmax(_leaf([[1.0, 2.0]], "x"))
    sm.name = "p"
    assert "diag(p) - p p^T" in gs.describe_jacobian(sm, 0).formula


def test_losses_name_their_scores_and_output_not_dL_ds():
    scores = _leaf([[1.0, 2.0, 0.5], [0.0, 1.0, 2.0]], "scores")
    loss = gs.softmax_cross_entropy(scores, [2, 0])
    loss.name = "loss"
    formula = gs.describe_jacobian(loss, 0).formula
    assert formula.startswith("dloss/dscores = (softmax(scores) - onehot(labels)) / N, N = 2")
    assert "dL/ds" not in formula
    svm = gs.svm_loss(scores, [2, 0])
    assert gs.describe_jacobian(svm, 0).formula.startswith(f"d{svm.name}/dscores[n,j] = 1[scores[n,j] - scores[n,y]")


def test_a_custom_formula_may_use_the_placeholders():
    @gs.custom_op
    def cube3(x):
        return x ** 3

    @cube3.vjp
    def _(g, x, value):
        return (3 * x ** 2 * g,)

    @cube3.jacobian
    def _(i, x, value):
        return gs.JacobianInfo("diagonal", "d {0}^3/d{0} = diag(3 {0}^2), {out} its value; {9} stays")

    y = cube3(_leaf([1.0, 2.0], "w"))
    assert gs.describe_jacobian(y, 0).formula == f"d w^3/dw = diag(3 w^2), {y.name} its value; {{9}} stays"


# ---------------------------------------------------------------- 8. a 1x1 Jacobian is a number, not diag()

@pytest.mark.parametrize("build, expected", [
    (gs.tanh, "d tanh(x)/dx = 1 - tanh(x)^2"),
    (lambda x: -x, "d(-x)/dx = -1"),
    (lambda x: x ** 3, "d(x^p)/dx = p x^(p-1), p = 3"),
    (gs.relu, "d relu(x)/dx = 1[x > 0]"),
])
def test_a_scalar_jacobian_is_written_without_diag(build, expected):
    jac = gs.describe_jacobian(build(_leaf(0.3, "x")), 0)
    assert jac.structure == "scalar" and jac.formula == expected


# ---------------------------------------------------------------- 2. structural zeros are 0, never NaN

@pytest.mark.parametrize("op", [gs.sqrt, gs.log])
def test_a_diagonal_jacobian_at_zero_has_zeros_off_its_diagonal(op):
    x = _leaf([0.0, 1.0, 4.0], "x")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # log(0) = -inf, said when recorded
        jac = gs.describe_jacobian(op(x), 0)
    with np.errstate(all="ignore"):
        M = jac.matrix()
        rows = np.array([jac.row(r) for r in range(3)])
    for m in (M, rows):
        off = m[~np.eye(3, dtype=bool)]
        assert (off == 0).all(), m
        assert np.isinf(m[0, 0])


def test_a_diagonal_jacobian_with_a_broadcast_infinite_factor_keeps_its_zeros():
    a, b = _leaf([[1.0, 2.0], [3.0, 4.0]], "a"), _leaf([[np.inf], [1.0]], "b")
    with np.errstate(all="ignore"):
        M = gs.describe_jacobian(a * b, 0).matrix()
    np.testing.assert_array_equal(M, np.diag([np.inf, np.inf, 1.0, 1.0]))


def test_a_wrong_diagonal_claim_is_still_visible_in_the_matrix():
    """Only non-finite entries off the pairing are zeroed: a custom op claiming 'diagonal' for a dense Jacobian
    still shows its finite off-diagonal entries."""
    @gs.custom_op
    def rowsum_claimed(x):
        return np.broadcast_to(x.sum(), x.shape).copy()

    @rowsum_claimed.vjp
    def _(g, x, value):
        return (np.full(x.shape, g.sum()),)

    @rowsum_claimed.jacobian
    def _(i, x, value):
        return gs.JacobianInfo("diagonal", "wrong")

    M = gs.describe_jacobian(rowsum_claimed(_leaf([1.0, 2.0], "x")), 0).matrix()
    np.testing.assert_array_equal(M, np.ones((2, 2)))


# ---------------------------------------------------------------- 3. blocks in the order the matrix lists them

def test_batch_norm_says_its_blocks_interleave_in_the_listed_order():
    x = _leaf(np.arange(6.0).reshape(3, 2) ** 1.5, "x")
    jac = gs.describe_jacobian(gs.nn.BatchNorm1d(2)(x), 0)
    text = jac.describe()
    assert text.startswith("6x6 block-diagonal (blocks = columns; listed row-major they interleave): ")
    M = jac.matrix()
    assert M[0, 1] == 0 and M[0, 2] != 0  # row 0 (x[0,0]) reads x[1,0], listed two entries on


@pytest.mark.parametrize("op", [gs.softmax, gs.log_softmax])
def test_softmax_along_axis_0_says_its_blocks_interleave_and_along_the_last_axis_does_not(op):
    m = _leaf([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]], "m")
    assert "listed row-major they interleave" in gs.describe_jacobian(op(m, axis=0), 0).describe()
    assert "interleave" not in gs.describe_jacobian(op(m, axis=1), 0).describe()


# ---------------------------------------------------------------- 5. a custom op without a description

def test_a_custom_op_without_a_description_is_not_called_dense():
    @gs.custom_op
    def swish2(x):
        return x / (1.0 + np.exp(-x))

    @swish2.vjp
    def _(g, x, value):
        s = 1.0 / (1.0 + np.exp(-x))
        return (g * (s + x * s * (1.0 - s)),)

    jac = gs.describe_jacobian(swish2(_leaf([-1.0, 0.0, 2.0], "a")), 0)
    assert jac.structure == "not described" and "dense" not in jac.describe()
    assert jac.describe().startswith("3x3 not described: d swish2/da: swish2 gives no description")


# ---------------------------------------------------------------- 6. matmul: row-major, batches

def test_a_two_d_matmul_says_its_flattening_and_matches_its_kronecker_form():
    A, B = _leaf(np.arange(6.0).reshape(2, 3), "A"), _leaf(np.arange(12.0).reshape(3, 4), "B")
    C = A @ B
    to_a, to_b = gs.describe_jacobian(C, 0), gs.describe_jacobian(C, 1)
    assert to_a.formula.startswith("d(A@B)/dA = I ⊗ B^T   (entries row-major")
    assert to_b.formula.startswith("d(A@B)/dB = A ⊗ I   (entries row-major")
    np.testing.assert_allclose(to_a.matrix(), np.kron(np.eye(2), B.value.T))
    np.testing.assert_allclose(to_b.matrix(), np.kron(A.value, np.eye(4)))


def test_a_vector_times_matrix_has_its_own_form():
    v, M = _leaf([1.0, 2.0], "v"), _leaf(np.arange(6.0).reshape(2, 3), "M")
    to_v, to_m = gs.describe_jacobian(v @ M, 0), gs.describe_jacobian(v @ M, 1)
    assert to_v.formula.startswith("d(v@M)/dv = M^T ") and to_m.formula.startswith("d(v@M)/dM = v^T ⊗ I ")
    np.testing.assert_allclose(to_v.matrix(), M.value.T)
    np.testing.assert_allclose(to_m.matrix(), np.kron(v.value[None, :], np.eye(3)))


def test_a_batched_matmul_is_block_diagonal_over_the_batch_and_says_so():
    A = _leaf(np.arange(12.0).reshape(2, 2, 3), "A")
    B = _leaf(np.random.default_rng(0).standard_normal((2, 3, 2)), "B")
    C = A @ B
    to_a, to_b = gs.describe_jacobian(C, 0), gs.describe_jacobian(C, 1)
    assert "per batch entry k: d(A@B)[k]/dA[k] = I ⊗ B[k]^T, block-diagonal over the batch" in to_a.formula
    assert "^T swaps the last two axes" in to_a.formula
    assert "d(A@B)[k]/dB[k] = A[k] ⊗ I" in to_b.formula
    expected_a = np.zeros((8, 12))
    expected_b = np.zeros((8, 12))
    for k in range(2):
        expected_a[4 * k:4 * k + 4, 6 * k:6 * k + 6] = np.kron(np.eye(2), B.value[k].T)
        expected_b[4 * k:4 * k + 4, 6 * k:6 * k + 6] = np.kron(A.value[k], np.eye(2))
    np.testing.assert_allclose(to_a.matrix(), expected_a)
    np.testing.assert_allclose(to_b.matrix(), expected_b)


def test_a_matrix_shared_by_a_batch_stacks_its_blocks():
    A = _leaf(np.arange(12.0).reshape(2, 2, 3), "A")
    W = _leaf(np.arange(6.0).reshape(3, 2), "W")
    to_w = gs.describe_jacobian(A @ W, 1)
    assert "d(A@W)[k]/dW = A[k] ⊗ I, the blocks of every batch entry stacked" in to_w.formula
    np.testing.assert_allclose(to_w.matrix(), np.vstack([np.kron(A.value[k], np.eye(2)) for k in range(2)]))
