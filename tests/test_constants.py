"""Constants made from plain numbers (``2 * x``, ``1e-3 * w``) are nodes like any other: a source line, honest words.

Also that a node's op has one name, ``node.op_def`` (the old ``node.fn`` alias is gone).
"""
import numpy as np
import pytest

import graphscope as gs
from graphscope.stepper import explain


def test_a_number_operand_gets_the_line_of_the_node_it_feeds():
    x = gs.param(np.ones(3), name="x")
    y = (2 * x).sum() + 1e-3 * x.l2()
    line = test_a_number_operand_gets_the_line_of_the_node_it_feeds.__code__.co_firstlineno + 2
    graph = y.graph()
    consts = [n for n in graph.nodes if n.role == "const"]
    assert len(consts) == 2
    for c in consts:
        assert c.source.endswith(f"test_constants.py:{line}")
    assert "<unknown>" not in str(graph)


def test_array_operands_and_unary_calls_get_a_line_too():
    x = gs.tensor(np.ones(2))
    y = gs.where(np.array([True, False]), x, np.zeros(2))
    z = gs.exp(0.5)
    line = test_array_operands_and_unary_calls_get_a_line_too.__code__.co_firstlineno + 2
    mask, _, zeros = y.inputs
    assert mask.role == "const" and mask.source.endswith(f"test_constants.py:{line}")
    assert zeros.source.endswith(f"test_constants.py:{line}")
    assert z.inputs[0].source.endswith(f"test_constants.py:{line + 1}")


def test_the_stepper_calls_a_constant_fixed_and_an_input_fed():
    x = gs.param(2.0, name="x")
    y = 3.0 * x
    stepper = gs.Stepper(y.graph())
    leaves = [ev for ev in stepper.events[:stepper.n_forward] if ev.node.op_def is None]
    title = {ev.node is x: explain.title(ev, y) for ev in leaves}
    assert title[True] == "forward: x = 2 (param, fed)"
    assert "fed" not in title[False] and "constant" in title[False]


def test_a_node_names_its_op_once_as_op_def():
    x = gs.param(np.ones(2))
    y = x.tanh()
    assert y.op_def is gs.OPS["tanh"] and y.op == "tanh" and x.op_def is None
    assert not hasattr(y, "fn") and not hasattr(gs.Tensor, "fn")
