"""One notation everywhere: the walk, the pictures, the step-player and the README write derivatives as dL/dx,
the local rule as 'contribution = upstream × local' for numbers and 'contribution = local^T · upstream' for
arrays, with the flattening said, and the README's examples are what the tool prints."""
import pathlib

import numpy as np

import graphscope as gs
from graphscope.stepper import Stepper
from graphscope.stepper.explain import ARRAY_RULE, RULE_LINES, SCALAR_RULE, details, lines, products_line
from graphscope.viz.view import View

README = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _matrix_graph():
    A = gs.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="A")
    B = gs.tensor(np.ones((3, 2)), requires_grad=True, name="B")
    return gs.sum(A @ B)


def _backward_events(out):
    return [e for e in Stepper(out.graph()).events if e.phase == "backward" and e.edges]


def test_an_array_step_writes_the_vector_jacobian_product_and_its_flattening():
    out = _matrix_graph()
    at_matmul = next(e for e in _backward_events(out) if e.node.op == "matmul")
    text = "\n".join(lines(at_matmul, out))
    assert f"{ARRAY_RULE} =\n" in text and "(local)^T upstream" not in text
    rule = details(at_matmul, out)["rule"]  # the step-player's rule line
    assert rule.startswith(ARRAY_RULE) and "row-major" in rule and "as a column" in rule


def test_a_scalar_step_writes_the_lecture_product_in_the_same_words_everywhere():
    x, y = gs.tensor(2.0, requires_grad=True, name="x"), gs.tensor(3.0, requires_grad=True, name="y")
    out = x * y
    (event,) = _backward_events(out)
    walk = "\n".join(lines(event, out))
    assert f"{SCALAR_RULE} = 1 × 3 = 3" in walk
    assert products_line(event).startswith(f"{SCALAR_RULE}: to x 1 × 3 = 3")
    assert details(event, out)["rule"] == SCALAR_RULE
    assert SCALAR_RULE == "contribution = upstream × local" and ARRAY_RULE == "contribution = local^T · upstream"


def test_a_pictures_edge_names_a_gradient_as_the_walk_does():
    out = _matrix_graph()
    names = [e.gradient_name for e in View(out.graph()).edges if e.gradient_name]
    assert names and all(n.startswith(f"d{out.name}/d") and "\u2202" not in n for n in names)


def test_the_readme_states_the_rules_and_examples_the_tool_prints():
    assert SCALAR_RULE in README and ARRAY_RULE in README
    assert "(x) I" not in README and "I (x)" not in README and "\u2202loss" not in README
    assert "upstream x local" not in README and "(local)^T upstream" not in README
    x, y = gs.tensor(-2.0, requires_grad=True, name="x"), gs.tensor(5.0, requires_grad=True, name="y")
    described = gs.describe_jacobian(x + y, 0).describe()
    assert f"dq/dx: {described}" in README and described == "1x1 scalar: d(x+y)/dx = 1"
    assert all(line.strip() for line in RULE_LINES)
