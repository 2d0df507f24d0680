"""A node's call text shows the settings that change its maths (axis, exponent, clip bounds, a loss's labels), so
a forward value can be checked by hand from what every view prints; a (1,) or (1, 1) value keeps its brackets."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.formatting import call_text, summarize_value
from graphscope.stepper import Stepper
from graphscope.stepper.explain import lines


def _walk(out):
    """The demo's text walk of `out`'s graph, every step."""
    return "\n".join(line for event in Stepper(out.graph()).events for line in lines(event, out))


def _a():
    return gs.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True, name="a")


@pytest.mark.parametrize("build, expected", [
    (lambda a: a.sum(axis=0), "sum(a, axis=0)"),
    (lambda a: a.sum(), "sum(a)"),
    (lambda a: a.mean(axis=1, keepdims=True), "mean(a, axis=1, keepdims=True)"),
    (lambda a: a.max(1), "max(a, axis=1)"),
    (lambda a: a ** 3, "pow(a, 3)"),
    (lambda a: gs.clip(a, 0, 1), "clip(a, 0, 1)"),
    (lambda a: gs.clip(a, None, 1.5), "clip(a, hi=1.5)"),
    (lambda a: gs.softmax(a, axis=0), "softmax(a, axis=0)"),
    (lambda a: gs.softmax(a), "softmax(a)"),
    (lambda a: gs.log_softmax(a, axis=0), "log_softmax(a, axis=0)"),
    (lambda a: gs.softmax_cross_entropy(a, [2, 0]), "softmax_cross_entropy(a, labels=[2, 0])"),
    (lambda a: gs.svm_loss(a, [1, 1]), "svm_loss(a, labels=[1, 1])"),
    (lambda a: a.reshape(3, 2), "reshape(a, (3, 2))"),
    (lambda a: gs.concat([a, a], axis=1), "concat(a, a, axis=1)"),
    (lambda a: gs.nn.Dropout(0.25)(a), "dropout(a, p=0.25)"),
])
def test_a_call_shows_the_settings_that_change_its_maths(build, expected):
    assert call_text(build(_a())) == expected


def test_long_labels_are_shortened_with_their_count():
    scores = gs.tensor(np.zeros((10, 3)), requires_grad=True, name="scores")
    loss = gs.softmax_cross_entropy(scores, np.arange(10) % 3)
    assert call_text(loss) == "softmax_cross_entropy(scores, labels=[0, 1, 2, 0, 1, 2, ... 10 in all])"


def test_batch_norm_at_test_time_says_so():
    x = gs.tensor(np.arange(6.0).reshape(3, 2), name="x")
    bn = gs.nn.BatchNorm1d(2)
    assert call_text(bn(x)) == f"batch_norm(x, {bn.gamma.name}, {bn.beta.name})"
    bn.eval()
    assert call_text(bn(x)).endswith(", training=False)")


def test_the_walk_and_the_graph_table_show_the_settings():
    a = _a()
    out = gs.sum(a.sum(axis=0) * gs.softmax_cross_entropy(a, [2, 0]))
    table = str(out.graph())
    assert "sum(a, axis=0)" in table and "softmax_cross_entropy(a, labels=[2, 0])" in table
    walk = _walk(out)
    assert "= sum(a, axis=0) = [5, 7, 9]" in walk
    assert "softmax_cross_entropy(a, labels=[2, 0]) = " in walk


# ---------------------------------------------------------------- 7. one-entry arrays keep their brackets

def test_a_one_entry_array_keeps_its_brackets_and_a_0d_value_does_not():
    assert summarize_value(np.array([3.0])) == "[3]"
    assert summarize_value(np.array([[3.0]])) == "[[3]]"
    assert summarize_value(np.array(3.0)) == "3" and summarize_value(3.0) == "3"


def test_a_one_entry_tensor_and_its_gradient_print_as_arrays():
    b = gs.tensor([3.0], requires_grad=True, name="b")
    c = gs.tensor([[2.0]], requires_grad=True, name="c")
    out = gs.sum(b * b) + gs.sum(c)
    out.backward()
    table = str(out.graph())
    assert "(1,)    [3]" in table and "[6]" in table and "(1, 1)  [[2]]" in table
    walk = _walk(out)
    assert "forward: b = [3] (input, fed)" in walk
    assert f"d{out.name}/db = [6]" in walk
