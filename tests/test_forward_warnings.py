"""A NaN or an infinity made in forward from finite inputs: one NonFiniteWarning at the user's line, naming the op
and what happened; numpy's own RuntimeWarning (pointing inside graphscope) never shows."""
import inspect
import threading
import warnings

import numpy as np
import pytest

import graphscope as gs


def _line_after(offset=1):
    return inspect.currentframe().f_back.f_lineno + offset


def _caught(build):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = build()
    return result, caught


@pytest.mark.parametrize("values, expected", [
    ([0.0, -1.0, 2.0], "log: -inf from 0 at x[0]; NaN from a negative at x[1]"),
    (0.0, "log: -inf from 0 at x"),          # the scalar lane (Python floats) warns as the array lane does
    (-1.0, "log: NaN from a negative at x"),
])
def test_a_log_outside_its_domain_warns_once_at_the_users_line(values, expected):
    x = gs.tensor(values, name="x")
    line = _line_after()
    _, caught = _caught(lambda: gs.log(x))
    assert [w.category for w in caught] == [gs.NonFiniteWarning]
    w = caught[0]
    assert str(w.message) == expected
    assert w.filename == __file__ and w.lineno == line
    assert issubclass(gs.NonFiniteWarning, RuntimeWarning)


def test_a_division_names_both_operands():
    a, b = gs.tensor([1.0, 0.0, 2.0], name="a"), gs.tensor([0.0, 0.0, 1.0], name="b")
    _, caught = _caught(lambda: a / b)
    assert [str(w.message) for w in caught] == ["div: inf at [0] from a = 1, b = 0; NaN at [1] from a = 0, b = 0"]


def test_an_overflowing_matmul_warns_without_pretending_to_be_element_wise():
    m = gs.tensor(np.full((2, 2), 1e200), name="m")
    _, caught = _caught(lambda: m @ m)
    assert [str(w.message) for w in caught] == ["matmul: inf at [0, 0] from finite inputs (and 3 more)"]


def test_pow_on_the_scalar_lane_warns_with_its_sign():
    _, caught = _caught(lambda: gs.tensor(-10.0, name="b") ** 401)
    assert [str(w.message) for w in caught] == ["pow: -inf from -10 at b"]


def test_a_nan_passed_on_is_not_warned_about_again():
    y, _ = _caught(lambda: gs.log(gs.tensor([0.0, -1.0])))
    _, caught = _caught(lambda: gs.exp(y) + 1.0)
    assert caught == []


def test_a_replay_warns_at_the_line_that_made_the_node():
    x = gs.tensor([1.0, 2.0], name="x")
    line = _line_after()
    y = gs.log(x)
    _, caught = _caught(lambda: y.graph().run({"x": np.array([3.0, 0.0])}))
    assert [(str(w.message), w.lineno, w.filename) for w in caught] == [("log: -inf from 0 at x[1]", line, __file__)]


@pytest.mark.parametrize("values", [[0.0, -1.0], 0.0])
def test_errstate_ignore_keeps_every_lane_quiet(values):
    x = gs.tensor(values)

    def build():
        with np.errstate(all="ignore"):
            y = gs.log(x)
            y.graph().run()
        return y

    _, caught = _caught(build)
    assert caught == []


def test_finite_results_are_not_looked_at(monkeypatch):
    from graphscope.engine import forward_warnings
    monkeypatch.setattr(forward_warnings, "describe", lambda node: pytest.fail("described a finite node"))
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    (gs.log(x) * gs.exp(x)).sum().backward()
    gs.log(gs.tensor(2.0)).graph().run()


def test_a_diverging_trainer_stays_quiet_and_reports_the_divergence_itself():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((64, 3)), rng.standard_normal((64, 1))
    fc = gs.nn.Linear(3, 1, rng=0)
    loss = ((fc(gs.tensor(X[:16], name="x")) - gs.tensor(Y[:16], name="y")) ** 2).mean()
    trainer = gs.Trainer(loss, gs.optim.SGD(list(fc.parameters()), lr=1e6), batch_size=16, epochs=50,
                         progress=False)
    _, caught = _caught(lambda: pytest.raises(gs.TrainingDiverged, trainer.fit, X, Y))
    assert [w for w in caught if issubclass(w.category, RuntimeWarning)] == []


def test_an_error_noted_in_one_thread_is_not_cleared_by_another_threads_op():
    """The TUI trains in one thread and draws in another: a clean op recorded in the other thread between numpy's
    note and the check that reads it must not take the warning away (nor make one of its own)."""
    from graphscope.engine import hooks
    elsewhere = []

    def clean_op_in_another_thread(node):
        if node.op == "log":
            def run():
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    gs.exp(gs.tensor([1.0, 2.0]))
                elsewhere.extend(caught)
            worker = threading.Thread(target=run)
            worker.start()
            worker.join()

    x = gs.tensor([0.0, 1.0], name="x")
    hooks.FORWARD_HOOKS.append(clean_op_in_another_thread)   # runs after numpy's note, before the check
    try:
        _, caught = _caught(lambda: gs.log(x))
    finally:
        hooks.FORWARD_HOOKS.remove(clean_op_in_another_thread)
    assert [str(w.message) for w in caught] == ["log: -inf from 0 at x[0]"]
    assert elsewhere == []
