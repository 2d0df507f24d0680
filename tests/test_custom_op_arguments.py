"""What a custom op's forward is given: read-only views of its inputs (a write is named, never recorded), and the
positional arguments of a call as inputs (an option passed positionally is refused with the keyword spelling)."""
import numpy as np
import pytest

import graphscope as gs
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")


def _define_stable_softmax():
    @gs.custom_op
    def shifted_softmax(x):
        x -= x.max(axis=1, keepdims=True)  # in place: would change the recorded input
        e = np.exp(x)
        return e / e.sum(axis=1, keepdims=True)

    @shifted_softmax.vjp
    def _(g, x, value):
        return (value * (g - (g * value).sum(axis=1, keepdims=True)),)
    return shifted_softmax


def test_a_forward_writing_into_its_input_is_named_and_the_recorded_input_stays():
    op = _define_stable_softmax()
    W = gs.param(np.array([[1.0, 2.0, 3.0], [0.0, 5.0, 1.0]]), name="W")
    before = W.value.copy()
    with pytest.raises(gs.GraphscopeError) as info:
        op(W)
    text = str(info.value)
    assert text.startswith("shifted_softmax: the forward writes into its input x: work on a copy (x = x.copy())")
    assert "x -= x.max(axis=1, keepdims=True)" in text  # the forward's own line
    line = test_a_forward_writing_into_its_input_is_named_and_the_recorded_input_stays.__code__.co_firstlineno + 5
    assert text.endswith(f"called at {gs.engine.source.display_location(f'{__file__}:{line}')}")
    assert np.array_equal(W.value, before)


def test_a_forward_returning_a_view_of_its_input_records_a_writable_array_of_its_own():
    @gs.custom_op
    def flipped(x):
        return x[::-1]

    @flipped.vjp
    def _(g, x, value):
        return (g[::-1],)
    x = gs.param(np.arange(3.0), name="x")
    y = flipped(x)
    assert y.value.flags.writeable and not np.shares_memory(y.value, x.value)
    assert np.array_equal(y.value, [2.0, 1.0, 0.0])
    assert gs.check_nodes(y.sum()).ok


def _define_lse():
    @gs.custom_op
    def lse(x, axis=1):
        m = x.max(axis=axis, keepdims=True)
        return (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).squeeze(axis)

    @lse.vjp
    def _(g, x, value, axis=1):
        return (np.expand_dims(g, axis) * np.exp(x - np.expand_dims(value, axis)),)
    return lse


def test_an_option_passed_positionally_is_refused_with_the_keyword_spelling():
    lse = _define_lse()
    W = gs.param(np.random.default_rng(0).normal(size=(3, 3)), name="W")
    line = test_an_option_passed_positionally_is_refused_with_the_keyword_spelling.__code__.co_firstlineno + 5
    with pytest.raises(gs.GraphscopeError) as info:
        lse(W, 0)
    text = str(info.value)
    assert "lse: 0 was passed positionally" in text and "not the option axis" in text
    assert "lse(W, axis=0)" in text and f"test_custom_op_arguments.py:{line}" in text
    assert lse(W, axis=0).shape == (3,)  # by keyword it is the option


def test_a_tensor_passed_to_a_parameter_with_a_default_stays_an_input():
    @gs.custom_op
    def scaled(x, s=None):
        return x * s

    @scaled.vjp
    def _(g, x, value, s=None):
        return (g * s, g * x)
    x, s = gs.param(np.ones(2), name="x"), gs.param(np.full(2, 3.0), name="s")
    y = scaled(x, s)
    assert y.inputs == (x, s)


def test_a_forward_writing_through_a_view_of_its_input_is_refused_too():
    @gs.custom_op
    def first_to_one(x):
        v = x.reshape(-1)
        v[0] = 1.0
        return v.reshape(x.shape)
    x = gs.param(np.zeros((2, 2)), name="x")
    with pytest.raises(gs.GraphscopeError, match=r"writes into one of the arrays it was given \(its inputs\) or a "
                                                 r"view of one: work on a copy \(v = v.copy\(\)\)"):
        first_to_one(x)
    assert not x.value.any()
