"""Custom ops: defined in a few lines, then recorded, replayed, stepped, described and checked like built-ins."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.source import display_location
from graphscope.engine.custom import unregister
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def define_swish():
    @gs.custom_op
    def swish(x, beta=1.0):
        """x * sigmoid(beta x)."""
        return x * _sigmoid(beta * x)

    @swish.vjp
    def _(g, x, value, beta=1.0):
        s = _sigmoid(beta * x)
        return (g * (s + beta * x * s * (1 - s)),)

    return swish


def test_custom_op_records_a_node_like_a_builtin(rng):
    swish = define_swish()
    x = gs.param(rng.normal(size=(3, 4)), name="x")
    with gs.scope("act"):
        y = swish(x, beta=2.0)
    line = test_custom_op_records_a_node_like_a_builtin.__code__.co_firstlineno + 4
    assert y.op == "swish" and gs.OPS["swish"] is y.op_def
    assert y.inputs == (x,) and y.attrs == {"beta": 2.0}
    assert y.scope == "act" and y.name.startswith("swish_")
    assert y.source.endswith(f"test_custom_op.py:{line}")
    np.testing.assert_allclose(y.value, x.value * _sigmoid(2.0 * x.value), rtol=1e-15)


def test_custom_op_backward_matches_the_derivative(rng):
    swish = define_swish()
    xv = rng.normal(size=(5,))
    x = gs.param(xv)
    (swish(x, beta=1.5) * 3.0).sum().backward()
    s = _sigmoid(1.5 * xv)
    np.testing.assert_allclose(x.grad, 3.0 * (s + 1.5 * xv * s * (1 - s)), rtol=1e-12)


def test_custom_op_on_the_scalar_path_and_with_number_inputs():
    @gs.custom_op
    def mul_add(a, b, c):
        return a * b + c

    @mul_add.vjp
    def _(g, a, b, c, value):
        return g * b, g * a, None           # c gets no gradient

    a = gs.param(2.0)
    out = mul_add(a, 5.0, 1.0)              # numbers become constants
    assert out.value == 11.0 and isinstance(out.value, float)
    out.backward()
    assert a.grad == 5.0


def test_jacobian_description_and_explicit_matrix(rng):
    swish = define_swish()

    @swish.jacobian
    def _(i, x, value, beta=1.0):
        return gs.JacobianInfo("diagonal", "d swish/dx = diag(s + beta x s (1 - s))")

    xv = rng.normal(size=(3,))
    y = swish(gs.param(xv))
    jac = gs.describe_jacobian(y, 0)
    assert (jac.structure, jac.shape) == ("diagonal", (3, 3))
    assert "beta x s" in jac.formula
    s = _sigmoid(xv)
    np.testing.assert_allclose(jac.matrix(), np.diag(s + xv * s * (1 - s)), rtol=1e-12)


def test_jacobian_tuple_form_default_and_bad_structure(rng):
    @gs.custom_op
    def double(x):
        return 2 * x

    y = double(gs.param(np.ones(2)))
    default = gs.describe_jacobian(y, 0)
    assert default.structure == "not described" and "no description" in default.formula
    assert "dense" not in default.describe() and "structure is unknown" in default.formula
    assert f"d double/d{y.inputs[0].name}" in default.formula  # the input by its name, never 'input 0'

    double.jacobian(lambda i, x, value: ("diagonal", "2 I"))
    assert gs.describe_jacobian(y, 0).structure == "diagonal"

    double.jacobian(lambda i, x, value: ("wobbly", "?"))
    with pytest.raises(ValueError, match="wobbly.*not one of"):
        gs.describe_jacobian(y, 0)


def test_missing_vjp_says_how_to_define_it():
    @gs.custom_op
    def cube(x):
        return x ** 3

    y = cube(gs.param(np.ones(3))).sum()
    with pytest.raises(gs.BackwardError, match=r"custom op cube has no VJP: define one with @cube.vjp"):
        y.backward()


def test_vjp_with_the_wrong_number_of_gradients():
    @gs.custom_op
    def both(a, b):
        return a + b

    both.vjp(lambda g, a, b, value: g)
    out = both(gs.param(np.ones(2)), gs.param(np.ones(2))).sum()
    with pytest.raises(gs.BackwardError, match="must return a tuple of 2 gradients"):
        out.backward()
    both.vjp(lambda g, a, b, value: (g, g, g))
    with pytest.raises(gs.BackwardError, match="returned 3 gradients for 2 inputs"):
        out.backward()


def test_a_vjp_that_raises_is_named_with_its_line_the_op_and_the_node():
    @gs.custom_op
    def cube(x):
        return x ** 3

    @cube.vjp
    def _(g, x, value):
        return (3 * x ** 2 * g + missing_name,)  # noqa: F821  (the bug being reported)

    vjp_line = test_a_vjp_that_raises_is_named_with_its_line_the_op_and_the_node.__code__.co_firstlineno + 7
    y = cube(gs.param(np.ones(3), name="x"))
    y.name = "y"
    loss = y.sum()
    with pytest.raises(gs.BackwardError) as info:
        loss.backward()
    text = str(info.value)
    assert text.startswith("cube: the VJP raised NameError: name 'missing_name' is not defined")
    assert f"test_custom_op.py:{vjp_line} in _: return (3 * x ** 2 * g + missing_name,)" in text
    assert "upstream: (3,) float64; inputs: (3,) float64" in text and f"node y made at {display_location(y.source)}" in text
    assert isinstance(info.value.cause, NameError)

    row = gs.check_nodes(loss).rows[0]
    assert row.node is y and row.status == "error"
    assert row.note == f"VJP raised NameError, line {vjp_line}"  # short, for the table's status cell
    assert "name 'missing_name' is not defined" in row.detail and "name 'missing_name'" in row.describe()


def test_a_jacobian_description_that_raises_is_named():
    @gs.custom_op
    def cube(x):
        return x ** 3

    cube.jacobian(lambda i, x, value: {}["no such key"])
    y = cube(gs.param(np.ones(3)))
    with pytest.raises(gs.GraphscopeError, match=r"(?s)cube: describing the Jacobian wrt input 0 raised KeyError: "
                                                 r"'no such key'\n  at .*test_custom_op.py:\d+ in <lambda>.*"
                                                 r"made at .*test_custom_op.py"):
        gs.describe_jacobian(y, 0)
    cube.jacobian(lambda i, x, value: ("diagonal",))
    with pytest.raises(gs.GraphscopeError, match=r"must return gs.JacobianInfo\(structure, formula\)"):
        gs.describe_jacobian(y, 0)


def test_check_gives_a_shape_error_at_the_users_line():
    @gs.custom_op
    def rowdot(a, b):
        return np.sum(a * b, axis=-1)

    @rowdot.check
    def _(a, b):
        return None if np.shape(a) == np.shape(b) else f"needs equal shapes, got {np.shape(a)} and {np.shape(b)}"

    with pytest.raises(gs.ShapeError) as err:
        rowdot(gs.tensor(np.ones((2, 3))), gs.tensor(np.ones((2, 4))))
    text = str(err.value)
    assert "rowdot: needs equal shapes, got (2, 3) and (2, 4)" in text
    assert "test_custom_op.py:" in text


def test_redefining_replaces_builtin_names_are_refused_and_unregister():
    first = define_swish()
    old_node = first(gs.param(np.ones(2)))
    second = define_swish()
    assert gs.OPS["swish"] is second.op and second.op is not first.op
    assert old_node.op_def is first.op                      # nodes keep the op they were made with
    with pytest.raises(ValueError, match="'add' is the name of a built-in op"):
        gs.custom_op(lambda x: x, name="add")
    with pytest.raises(ValueError, match="must be an identifier"):
        gs.custom_op(lambda x: x, name="two words")
    unregister("swish")
    assert "swish" not in gs.OPS
    with pytest.raises(ValueError, match="built-in"):
        unregister("matmul")


def test_decorator_with_arguments_and_differentiable_flags(rng):
    @gs.custom_op(name="scaled", differentiable=(True, False))
    def scaled_forward(x, k):
        return x * k

    scaled_forward.vjp(lambda g, x, k, value: (g * k, None))
    assert scaled_forward.name == "scaled" and gs.OPS["scaled"].differentiable == (True, False)
    x = gs.param(rng.normal(size=3))
    out = scaled_forward(x, gs.constant(np.full(3, 2.0))).sum()
    out.backward()
    np.testing.assert_array_equal(x.grad, np.full(3, 2.0))
    report = gs.check_nodes(out)
    assert report.ok
    assert "not differentiable" in report.rows[0].inputs[1].note


def test_custom_op_replays_and_passes_the_per_node_check(rng):
    swish = define_swish()
    x = gs.tensor(rng.normal(size=(4, 3)), name="x")
    W = gs.param(rng.normal(size=(3, 2)))
    loss = swish(x @ W, beta=0.5).sum()
    graph = loss.graph()
    new_x = rng.normal(size=(6, 3))
    value = graph.run({"x": new_x})
    expected = new_x @ W.value
    np.testing.assert_allclose(value, np.sum(expected * _sigmoid(0.5 * expected)), rtol=1e-13)
    assert gs.check_nodes(graph).ok
    assert gs.gradcheck(graph).ok


def test_custom_op_is_stepped_with_its_jacobian(rng):
    from graphscope.stepper import Stepper
    swish = define_swish()
    x = gs.param(rng.normal(size=(2,)), name="x")
    y = swish(x)
    loss = y.sum()
    st = Stepper(loss)
    backward_at_swish = [e for e in st.events if e.phase == "backward" and e.node is y]
    assert len(backward_at_swish) == 1
    edge = backward_at_swish[0].edges[0]
    s = _sigmoid(x.value)
    np.testing.assert_allclose(edge.contribution, s + x.value * s * (1 - s), rtol=1e-12)
    assert edge.jacobian.shape == (2, 2)
