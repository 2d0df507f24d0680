"""Bad input: one clear error naming the op, the shapes, and the user's file and line.

Each bad call is written on its own line of this file; the expected line is
taken from the code itself (``inspect``), never hard-coded.
"""
import inspect
import os

import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.source import display_location

HERE = os.path.abspath(__file__)


def line_here():
    """The caller's line number."""
    return inspect.currentframe().f_back.f_lineno


def check_message(error, line, *parts):
    """The message names every part, this file and the line; no numpy traceback is chained to it."""
    message = str(error)
    for part in parts:
        assert part in message, f"{part!r} missing from the message:\n{message}"
    assert os.path.basename(HERE) in message, message
    where = display_location(f"{HERE}:{line}")  # as the tables show it: relative below the current folder
    assert where in message, f"expected {where} in:\n{message}"
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__), \
        "an internal exception is chained to the error (a raw traceback from inside)"


def lambda_line(fn):
    return fn.__code__.co_firstlineno


def shaped(*shape, name=None):
    return gs.tensor(np.ones(shape), requires_grad=True, name=name)


# ---------------------------------------------------------------- shape mismatches, every kind of op

a23, b4 = shaped(2, 3, name="a"), shaped(4, name="b")
mask = np.ones((2, 3), dtype=bool)

ELEMENTWISE = [
    ("add", lambda: a23 + b4),
    ("sub", lambda: a23 - b4),
    ("mul", lambda: a23 * b4),
    ("div", lambda: a23 / b4),
    ("add", lambda: np.ones(4) + a23),
    ("leaky_relu", lambda: gs.leaky_relu(a23, b4)),
    ("where", lambda: gs.where(mask, a23, b4)),
]


@pytest.mark.parametrize("op, bad", ELEMENTWISE, ids=[f"{op}-{k}" for k, (op, _) in enumerate(ELEMENTWISE)])
def test_elementwise_shapes_that_do_not_broadcast(op, bad):
    with pytest.raises(gs.ShapeError) as info:
        bad()
    check_message(info.value, lambda_line(bad), f"{op}:", "(2, 3)", "(4,)", "do not broadcast")


def test_where_condition_that_does_not_broadcast():
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); gs.where(np.ones(5, dtype=bool), shaped(2, 3), shaped(3))  # noqa: E702
    check_message(info.value, line, "where:", "(5,)", "(2, 3)", "(3,)")


def test_matmul_inner_dimensions():
    A, B = shaped(5, 3, name="A"), shaped(5, 3, name="B")
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); A @ B  # noqa: E702
    check_message(info.value, line, "matmul:", "inner dimensions", "(5, 3) @ (5, 3)", "inputs: A, B")


@pytest.mark.parametrize("sa, sb", [((3,), (4,)), ((2, 3), (4,)), ((3,), (4, 2)), ((2, 2, 3), (2, 4, 5))])
def test_matmul_inner_dimensions_of_vectors_and_batches(sa, sb):
    A, B = shaped(*sa), shaped(*sb)
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); gs.matmul(A, B)  # noqa: E702
    check_message(info.value, line, "matmul:", str(sa), str(sb))


def test_matmul_batch_dimensions():
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); shaped(2, 3, 4) @ shaped(3, 4, 5)  # noqa: E702
    check_message(info.value, line, "matmul:", "batch dimensions (2,) and (3,)", "(2, 3, 4)", "(3, 4, 5)")


def test_matmul_of_a_scalar():
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); gs.tensor(2.0) @ shaped(3)  # noqa: E702
    check_message(info.value, line, "matmul:", "()", "(3,)")


def test_reshape_to_a_different_size():
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); shaped(2, 3).reshape(4, 2)  # noqa: E702
    check_message(info.value, line, "reshape:", "(2, 3)", "(4,2)")


def test_concat_shapes_that_differ_off_the_axis():
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); gs.concat([shaped(2, 3), shaped(3, 2)], axis=1)  # noqa: E702
    check_message(info.value, line, "concat:", "(2, 3)", "(3, 2)")


def test_stack_shapes_that_differ():
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); gs.stack([shaped(2, 3), shaped(2, 4)])  # noqa: E702
    check_message(info.value, line, "stack:", "(2, 3)", "(2, 4)")


def test_concat_of_nothing():
    with pytest.raises(gs.InputError) as info:
        line = line_here(); gs.concat([])  # noqa: E702
    check_message(info.value, line, "concat:", "empty")


# ---------------------------------------------------------------- labels of the classification losses

LOSSES = ["softmax_cross_entropy", "svm_loss"]


@pytest.mark.parametrize("loss", LOSSES)
def test_labels_of_the_wrong_shape(loss):
    scores = shaped(4, 3)
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); getattr(gs, loss)(scores, np.array([0, 1, 2]))  # noqa: E702
    check_message(info.value, line, f"{loss}:", "labels have shape (3,)", "(4, 3)", "labels of shape (4,)")


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("bad", [3, -1])
def test_labels_out_of_range(loss, bad):
    scores = shaped(2, 3)
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); getattr(gs, loss)(scores, np.array([0, bad]))  # noqa: E702
    check_message(info.value, line, f"{loss}:", "[0, 2]", "3 classes", str(bad), "(2, 3)")


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("labels", [np.array([0.0, 1.0]), np.array([True, False]), ["a", "b"]])
def test_labels_that_are_not_integers(loss, labels):
    scores = shaped(2, 3)
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); getattr(gs, loss)(scores, labels)  # noqa: E702
    check_message(info.value, line, f"{loss}:", "labels must be integers", str(np.asarray(labels).dtype), "(2, 3)")


@pytest.mark.parametrize("loss", LOSSES)
def test_scores_of_the_wrong_rank(loss):
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); getattr(gs, loss)(shaped(2, 3, 4), np.zeros((2, 3), dtype=int))  # noqa: E702
    check_message(info.value, line, f"{loss}:", "(N, C)", "(2, 3, 4)")


# ---------------------------------------------------------------- axes

x23 = shaped(2, 3, name="x23")

BAD_AXES = [   # (op, what the message says is wrong, the bad call)
    ("sum", "axis 2 is out of range", lambda: x23.sum(axis=2)),
    ("mean", "repeated axis", lambda: gs.mean(x23, axis=(0, 0))),
    ("max", "axis -3 is out of range", lambda: gs.max(x23, axis=-3)),
    ("softmax", "axis 2", lambda: gs.softmax(x23, axis=2)),
    ("log_softmax", "axis -3", lambda: gs.log_softmax(x23, axis=-3)),
    ("concat", "axis 2", lambda: gs.concat([x23, x23], axis=2)),
    ("stack", "axis 4", lambda: gs.stack([x23, x23], axis=4)),
    ("transpose", "axes (0, 0) are not a permutation", lambda: gs.transpose(x23, (0, 0))),
    ("transpose", "axes (0, 1, 2) are not a permutation", lambda: gs.transpose(x23, (0, 1, 2))),
]


@pytest.mark.parametrize("op, problem, bad", BAD_AXES, ids=[f"{op}-{k}" for k, (op, _, _) in enumerate(BAD_AXES)])
def test_bad_axis(op, problem, bad):
    with pytest.raises(gs.ShapeError) as info:
        bad()
    check_message(info.value, lambda_line(bad), f"{op}:", problem, "(2, 3)", "x23")


def test_index_out_of_range():
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); x23[5]  # noqa: E702
    check_message(info.value, line, "getitem:", "index 5", "(2, 3)")


def test_clip_bounds_the_wrong_way_round():
    with pytest.raises(gs.ShapeError) as info:
        line = line_here(); gs.clip(x23, 1.0, -1.0)  # noqa: E702
    check_message(info.value, line, "clip:", "lo = 1.0", "hi = -1.0", "(2, 3)")


# ---------------------------------------------------------------- values that are not numbers

@pytest.mark.parametrize("data", ["abc", ["a", "b"], {"a": 1}, None])
def test_tensor_from_something_that_is_not_numbers(data):
    with pytest.raises(gs.InputError) as info:
        line = line_here(); gs.tensor(data)  # noqa: E702
    check_message(info.value, line, "tensor:", "expected numbers")


def test_param_from_ragged_lists():
    with pytest.raises(gs.InputError) as info:
        line = line_here(); gs.param([[1.0, 2.0], [3.0]])  # noqa: E702
    check_message(info.value, line, "cannot make a tensor")


OPERANDS = [
    ("mul", lambda: x23 * "a"),
    ("add", lambda: "a" + x23),
    ("sub", lambda: x23 - None),
    ("matmul", lambda: x23 @ [["a"], ["b"], ["c"]]),
]


@pytest.mark.parametrize("op, bad", OPERANDS, ids=[op for op, _ in OPERANDS])
def test_operand_that_is_not_a_number(op, bad):
    with pytest.raises(gs.InputError) as info:
        bad()
    check_message(info.value, lambda_line(bad), f"{op}:", "(2, 3)", "expected numbers")


ARGUMENTS = [   # (op, what the message says is wrong, the bad call)
    ("sum", "axis must be a whole number, a tuple of them or None, got 'rows'", lambda: x23.sum(axis="rows")),
    ("mean", "axis must be a whole number, got 0.5", lambda: gs.mean(x23, axis=(0.5,))),
    ("softmax", "axis must be a whole number, got None", lambda: gs.softmax(x23, axis=None)),
    ("concat", "axis must be a whole number, got 1.0", lambda: gs.concat([x23, x23], axis=1.0)),
    ("reshape", "shape must be a whole number, got 'a'", lambda: x23.reshape("a", 3)),
    ("transpose", "axes must be a sequence of whole numbers, got 'ab'", lambda: gs.transpose(x23, "ab")),
    ("clip", "lo must be a number or None, got 'a'", lambda: gs.clip(x23, "a", 1.0)),
]


@pytest.mark.parametrize("op, problem, bad", ARGUMENTS, ids=[f"{op}-{k}" for k, (op, _, _) in enumerate(ARGUMENTS)])
def test_arguments_that_are_not_numbers(op, problem, bad):
    with pytest.raises(gs.InputError) as info:
        bad()
    check_message(info.value, lambda_line(bad), f"{op}:", problem)


@pytest.mark.parametrize("output, what", [(3, "got int"), ([x23, "loss"], "got str"), ([], "an empty list")])
def test_a_graph_of_something_that_is_not_a_tensor(output, what):
    with pytest.raises(gs.InputError, match=rf"Graph\(output\): expected a graphscope tensor.*{what}"):
        gs.Graph(output)


def test_exponent_that_is_a_tensor():
    with pytest.raises(gs.InputError) as info:
        line = line_here(); x23 ** gs.tensor(2.0)  # noqa: E702
    check_message(info.value, line, "pow:", "exponent must be a number")


def test_index_with_fractions():
    with pytest.raises(gs.InputError) as info:
        line = line_here(); gs.getitem(x23, [0.5])  # noqa: E702
    check_message(info.value, line, "getitem:", "non-integer")


# ---------------------------------------------------------------- backward

def test_backward_on_a_non_scalar_without_upstream():
    y = x23 * 2.0
    with pytest.raises(gs.BackwardError) as info:
        line = line_here(); y.backward()  # noqa: E702
    check_message(info.value, line, "backward()", y.name, "(2, 3)", "upstream gradient")


def test_backward_with_an_upstream_of_the_wrong_shape():
    y = x23 * 2.0
    with pytest.raises(gs.BackwardError) as info:
        line = line_here(); y.backward(np.ones((3, 2)))  # noqa: E702
    check_message(info.value, line, "backward()", y.name, "(3, 2)", "(2, 3)")


def test_backward_on_a_scalar_with_an_array_upstream():
    y = (x23 * 2.0).sum()
    with pytest.raises(gs.BackwardError) as info:
        line = line_here(); y.backward(np.ones(3))  # noqa: E702
    check_message(info.value, line, "backward()", y.name, "(3,)")


def test_errors_are_graphscope_errors_and_builtin_kinds():
    assert issubclass(gs.ShapeError, gs.GraphscopeError) and issubclass(gs.ShapeError, ValueError)
    assert issubclass(gs.InputError, gs.GraphscopeError) and issubclass(gs.InputError, TypeError)
    assert issubclass(gs.BackwardError, gs.GraphscopeError) and issubclass(gs.BackwardError, RuntimeError)
