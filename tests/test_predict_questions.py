"""Predict mode on array graphs: every backward step of two_layer asks a question whose answer can be worked out from
the numbers its prompt shows, and the guess is judged against the engine's own number.

Each answer here is computed from the prompt's text alone (parsed), as a student would, never from the graph.
"""
import ast
import os
import re

import numpy as np
import pytest

import graphscope as gs
from graphscope.stepper import BACKWARD
from graphscope.stepper.questions import question
from graphscope.tui.screens.dialogs import AskDialog
from graphscope.tui.session import Session, Verdict
from graphscope.userfile import load_graph_file

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
SEEDS = range(12)


def two_layer():
    return Session(load_graph_file(os.path.join(SAMPLES, "two_layer.py")))


def shown(prompt):
    """{'add_5[1, 2]': -0.53, 'scores[0, :]': [...], 'labels[0]': 1, 'N': 4, ...}: the numbers a prompt shows."""
    numbers = {}
    for line in prompt.splitlines()[1:-1]:
        line = re.sub(r"\s+\(.*\)$", "", line.strip().removeprefix("where ").strip())
        key, sep, value = line.partition(" = ")
        if sep:
            numbers[key] = ast.literal_eval(value.split()[0] if key == "N" else value)
    return numbers


def asked(prompt):
    """The entry asked for, as (name, index): ('scores', (0, 2)) from 'local gradient dloss/dscores[0, 2] = ?'."""
    last = prompt.splitlines()[-1]
    m = re.search(r"/d(\w+)(?:\[([\d, ]+)\])? = \?$", last)
    assert m, last
    return m.group(1), tuple(int(k) for k in m.group(2).split(",")) if m.group(2) else ()


def one(numbers, pattern):
    """The one shown value whose name matches `pattern`."""
    found = [v for k, v in numbers.items() if re.fullmatch(pattern, k)]
    assert len(found) == 1, (pattern, numbers)
    return found[0]


def worked_out(q, node):
    """The answer a student computes from q.prompt alone (node only tells which op the step is)."""
    numbers, (name, index) = shown(q.prompt), asked(q.prompt)
    if node.op == "softmax_cross_entropy":
        row = np.array(one(numbers, rf"{name}\[{index[0]}, :\]"))
        label, n = one(numbers, rf"labels\[{index[0]}\]"), numbers["N"]
        p = np.exp(row - row.max()) / np.exp(row - row.max()).sum()
        return (p[index[1]] - (index[1] == label)) / n
    if node.op == "matmul":
        a, b = (np.array(v) for v in numbers.values())
        return float(a @ b)
    if node.op == "add" and q.contribution:
        (upstream,) = numbers.values()
        return float(np.sum(upstream))
    if node.op == "add":
        return 1.0
    if node.op == "relu":
        return 1.0 if numbers[f"{name}[{', '.join(map(str, index))}]"] > 0 else 0.0
    raise AssertionError(f"no worked answer for {node.op}")


def judged(q, guess):
    return Verdict(guess, q.truth, q.why).right


def backward_op_steps(session):
    return [e for e in session.stepper.events if e.phase == BACKWARD and e.edges]


def test_every_backward_op_step_of_two_layer_asks_a_question():
    session = two_layer()
    steps = backward_op_steps(session)
    assert [e.node.op for e in steps] == ["softmax_cross_entropy", "add", "matmul", "relu", "add", "matmul"]
    for event in steps:
        q = session.question(event.step)
        assert q is not None, event
        assert q.step == event.step and q.prompt.endswith("= ?")


@pytest.mark.parametrize("op", ["softmax_cross_entropy", "add", "matmul", "relu"])
def test_each_question_is_answered_from_its_prompt_and_judged_right_or_wrong(op):
    session = two_layer()
    kinds = set()
    for event in (e for e in backward_op_steps(session) if e.node.op == op):
        for edge in (e for e in event.edges if e.needs_grad):
            for seed in SEEDS:
                q = question(event, session.output, seed=seed, slot=edge.slot)
                assert q is not None and q.edge is edge, (event, edge, seed)
                answer = worked_out(q, event.node)
                assert judged(q, answer), q.prompt
                assert not judged(q, answer + 0.01 * max(1.0, abs(answer))), q.prompt
                kinds.add((edge.slot, q.contribution, round(answer, 6) if op == "relu" else None))
    if op == "relu":  # both sides of the kink are asked: the student reads the input's sign
        assert {k[2] for k in kinds} == {0.0, 1.0}
    if op == "add":  # the identity Jacobian entry and the broadcast bias's summed contribution
        assert {(0, False, None), (1, True, None)} <= kinds


def test_the_loss_question_shows_the_labels_and_the_batch_size():
    session = two_layer()
    q = session.question(backward_op_steps(session)[0].step)
    labels = session.output.attrs["labels"]
    i = asked(q.prompt)[1][0]
    assert f"labels[{i}] = {labels[i]}" in q.prompt and "N = 4 examples" in q.prompt


def test_a_matmul_contribution_is_the_engines_and_shows_a_row_and_a_column():
    session = two_layer()
    event = next(e for e in backward_op_steps(session) if e.node.op == "matmul" and e.node.inputs[0].name == "h")
    up = f"dloss/d{event.node.name}"
    q = question(event, session.output, seed=3, slot=0)  # dh[i, k] = G[i, :] . W2[k, :]
    name, (i, k) = asked(q.prompt)
    assert q.contribution and name == "h"
    assert q.truth == pytest.approx(event.edges[0].contribution[i, k], rel=1e-12)
    assert f"{up}[{i}, :]" in q.prompt and f"W2[{k}, :]" in q.prompt


def test_elementwise_questions_show_what_their_local_gradient_reads():
    """tanh: 1 - tanh^2 from the output entry; a broadcast product: the other factor at that entry."""
    x = gs.tensor(np.array([[0.3, -1.2, 0.8], [2.0, -0.1, 0.5]]), requires_grad=True, name="x")
    w = gs.tensor(np.array([1.5, -2.0, 0.25]), requires_grad=True, name="w")
    t = gs.tanh(x)
    t.name = "t"
    y = t * w
    y.name = "y"
    loss = gs.sum(y)
    session = Session(loss.graph())
    for event in backward_op_steps(session):
        for edge in (e for e in event.edges if e.needs_grad):
            for seed in range(4):
                q = question(event, session.output, seed=seed, slot=edge.slot)
                numbers, (name, index) = shown(q.prompt), asked(q.prompt)
                where = ", ".join(map(str, index))
                if event.node.op == "tanh":
                    answer = 1 - numbers[f"t[{where}]"] ** 2
                elif event.node.op == "mul" and name == "t":
                    answer = numbers[f"w[{index[-1]}]"]
                elif event.node.op == "mul":  # d y[i, j] / d w[j] = t[i, j]
                    out = re.search(r"dy\[([\d, ]+)\]/", q.prompt.splitlines()[-1]).group(1)
                    answer = numbers[f"t[{out}]"]
                else:
                    continue
                assert judged(q, answer) and not judged(q, answer + 0.05), q.prompt


def test_a_question_shows_only_the_numbers_its_answer_needs():
    """df/dz of f = q z reads q alone (not z, not f = -12); dq/dx of a sum reads nothing; tanh reads its output,
    not its input."""
    session = Session(load_graph_file(os.path.join(SAMPLES, "chain_rule.py")))
    by_op = {e.node.op: e for e in backward_op_steps(session)}
    mul, add = by_op["mul"], by_op["add"]
    z = question(mul, session.output, slot=1).prompt
    assert shown(z) == {"q": 3} and z.endswith("df/dz = ?")
    assert shown(question(add, session.output, slot=0).prompt) == {}

    x = gs.tensor(np.array([0.3, -1.2]), requires_grad=True, name="x")
    t = gs.tanh(x)
    t.name = "t"
    tanh_session = Session(gs.sum(t).graph())
    event = next(e for e in backward_op_steps(tanh_session) if e.node.op == "tanh")
    assert set(shown(question(event, tanh_session.output).prompt)) in ({"t[0]"}, {"t[1]"})


def test_a_step_with_nothing_to_work_out_asks_nothing():
    session = two_layer()
    leaf = next(e for e in session.stepper.events if e.phase == BACKWARD and not e.edges)
    assert session.question(leaf.step) is None
    assert session.question(0) is None  # a forward step


async def test_the_tui_asks_the_loss_question_and_judges_the_answer_worked_from_the_dialog():
    from graphscope.tui import GraphscopeApp
    path = os.path.join(SAMPLES, "two_layer.py")
    app = GraphscopeApp(load_graph_file(path), "two_layer.py", path)
    app.cursor_blink = False
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("t", "f", "n")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, AskDialog)
        prompt = str(app.screen.query_one("#dialog-message").render())
        q = app.screen_stack[-2].session.question(11)
        assert prompt.split() == q.prompt.split()  # the question's words (the dialog wraps a long heading)
        app.screen.query_one("#dialog-input").value = repr(float(worked_out(q, app.session.output)))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert app.session.step == 11
        assert app.screen.verdict.right


def test_a_softmax_question_shows_the_row_it_reads():
    """d p[i, j] / d x[i, k] = p[i, j] (1[j = k] - p[i, k]) from the shown output row."""
    x = gs.tensor(np.array([[0.3, -1.2, 0.8], [2.0, -0.1, 0.5]]), requires_grad=True, name="x")
    p = gs.softmax(x)
    p.name = "p"
    loss = gs.sum(p * gs.tensor(np.arange(6.0).reshape(2, 3), name="c"))
    session = Session(loss.graph())
    event = next(e for e in backward_op_steps(session) if e.node.op == "softmax")
    for seed in SEEDS:
        q = question(event, session.output, seed=seed)
        numbers = shown(q.prompt)
        last = q.prompt.splitlines()[-1]
        (i, j), (_, k) = (tuple(map(int, m.split(","))) for m in re.findall(r"\[(\d+, \d+)\]", last))
        row = np.array(numbers[f"p[{i}, :]"])
        answer = row[j] * ((j == k) - row[k])
        assert judged(q, answer) and not judged(q, answer + 0.01), q.prompt


def test_an_ops_settings_are_shown_when_its_local_gradient_reads_them():
    """pow's exponent and clip's bounds stand in the prompt: 3 c^2 and 1[lo <= x <= hi] are worked out from it."""
    x = gs.tensor(np.array([[0.3, -1.2, 0.8], [2.0, -0.1, 0.5]]), requires_grad=True, name="x")
    c = gs.clip(x, -1.0, 1.0)
    c.name = "c"
    cube = c ** 3
    cube.name = "cube"
    session = Session(gs.sum(cube).graph())
    answers = set()
    for event in (e for e in backward_op_steps(session) if e.node.op in ("pow", "clip")):
        for seed in SEEDS:
            q = question(event, session.output, seed=seed)
            numbers, (name, index) = shown(q.prompt), asked(q.prompt)
            entry = numbers[f"{name}[{', '.join(map(str, index))}]"]
            if event.node.op == "pow":
                answer = numbers["exponent"] * entry ** (numbers["exponent"] - 1)
            else:
                answer = float(numbers["lo"] <= entry <= numbers["hi"])
                answers.add(answer)
            assert judged(q, answer) and not judged(q, answer + 0.05), q.prompt
    assert answers == {0.0, 1.0}


def test_a_max_and_a_reshape_are_answered_from_their_prompts():
    """max: 1 at the largest entry of the input shown in full, else 0; reshape: the same entry, so 1."""
    x = gs.tensor(np.array([[0.3, -1.2, 0.4], [2.0, -0.1, 0.7]]), requires_grad=True, name="x")
    session = Session((gs.sum(x.reshape((6,)) * 2.0) + gs.max(x)).graph())
    answers = set()
    for event in (e for e in backward_op_steps(session) if e.node.op in ("max", "reshape")):
        for seed in range(40):  # the largest of six entries is asked at some of them
            q = question(event, session.output, seed=seed)
            numbers, (_, index) = shown(q.prompt), asked(q.prompt)
            if event.node.op == "max":
                whole = np.array(numbers["x"])
                answer = float(whole[index] == whole.max())
                answers.add(answer)
            else:
                answer = 1.0
                assert numbers[f"x[{', '.join(map(str, index))}]"] == x.value[index]
            assert judged(q, answer) and not judged(q, answer + 0.05), q.prompt
    assert answers == {0.0, 1.0}


def test_a_wrong_answer_at_a_vjp_that_fails_its_check_is_told_the_vjp_may_be_the_wrong_one():
    """The truth is the op's own VJP: at wrong_backward.py's swish (a wrong VJP) a guess judged wrong is told that the
    VJP fails its gradient check; at a correct op it is not."""
    with np.errstate(all="ignore"):
        session = Session(load_graph_file(os.path.join(SAMPLES, "wrong_backward.py")))
    steps = {e.node.op: e.step for e in backward_op_steps(session)}
    for op, doubted in (("swish", True), ("tanh", False)):
        q = session.question(steps[op])
        assert q is not None, op
        verdict = session.judge(q, repr(q.truth + 1e3))
        assert not verdict.right
        assert ("its VJP is wrong (c checks it)" in verdict.headline) == doubted, verdict.text()
        if doubted:  # the true derivative, by finite differences, leads
            assert verdict.headline.startswith("not quite: the true derivative (finite differences) is ")
    assert session.judge(q, repr(q.truth)).doubt == ""  # a right answer is not second-guessed


def _pair(prompt):
    """((i, j), (k, l)) of the last line's 'dy[i, j]/dx[k, l] = ?'."""
    found = re.findall(r"\[(\d+(?:, \d+)*)\]", prompt.splitlines()[-1])
    return tuple(tuple(map(int, m.split(", "))) for m in found)


def _judged_as_the_tui_does(session, q, answer):
    """The TUI's verdict on the typed `answer`: right, and the finite-difference derivative it measured agrees."""
    verdict = session.judge(q, repr(float(answer)))
    return verdict.right and verdict.numerical is not None and Verdict(answer, verdict.numerical).right


@pytest.mark.parametrize("batch", [4, 20, 40])  # the column in full; too long: its mean and sigma; 40: pairs sampled
def test_a_batch_norm_question_asks_within_one_feature_and_is_answered_from_what_it_shows(batch):
    """dy[m, d]/dx[n, d] = gamma[d] / (N sigma) (N 1[m=n] - 1 - xhat[m] xhat[n]): the same column d, m = n or not."""
    rng = np.random.default_rng(3)
    x = gs.param(rng.normal(1.0, 2.0, size=(batch, 3)), name="x")
    bn = gs.nn.BatchNorm1d(3, name="bn")
    bn.gamma.value = np.array([0.5, 2.0, -1.5])
    y = bn(x)
    y.name = "y"
    session = Session(gs.sum(y * gs.tensor(rng.normal(size=(batch, 3)), name="c")).graph())
    event = next(e for e in backward_op_steps(session) if e.node.op == "batch_norm")
    diagonal = set()
    for seed in SEEDS:
        q = question(event, session.output, seed=seed, slot=0)
        numbers, ((m, d), (n, d2)) = shown(q.prompt), _pair(q.prompt)
        assert d == d2, q.prompt  # one feature's block
        diagonal.add(m == n)
        gamma, eps = numbers[f"bn.gamma[{d}]"], numbers["eps"]
        if batch <= 12:
            column = np.array(numbers[f"x[:, {d}]"])
            size, mean = len(column), column.mean()
            sigma, xm, xn = np.sqrt(column.var() + eps), column[m], column[n]
        else:
            assert f"x[:, {d}]" not in numbers
            size, mean, sigma = numbers["N"], numbers[f"mean(x[:, {d}])"], numbers[f"sigma(x[:, {d}])"]
            xm, xn = numbers[f"x[{m}, {d}]"], numbers[f"x[{n}, {d}]"]
        xhat_m, xhat_n = (xm - mean) / sigma, (xn - mean) / sigma
        answer = gamma / (size * sigma) * (size * (m == n) - 1 - xhat_m * xhat_n)
        assert _judged_as_the_tui_does(session, q, answer), q.prompt
        assert not judged(q, answer + 0.01 * max(1.0, abs(answer))), q.prompt
        assert judged(q, float(q.worked.rsplit("= ", 1)[1])), q.worked  # the worked-out formula's number
    assert diagonal == {True, False}


@pytest.mark.parametrize("op, shape, axis", [("softmax", (2, 3), -1), ("softmax", (4, 3), 0),
                                             ("log_softmax", (3, 4), 0), ("log_softmax", (2, 20), -1),
                                             ("softmax", (20, 2), 0)])
def test_a_softmax_question_along_either_axis_is_answered_from_its_block(op, shape, axis):
    """softmax: s[j] (1[j=k] - s[k]); log_softmax: 1[j=k] - exp(y[k]); both entries in one slice along `axis`
    (a block too long to show shows just the entries it reads)."""
    rng = np.random.default_rng(1)
    x = gs.tensor(rng.normal(size=shape), requires_grad=True, name="x")
    y = getattr(gs, op)(x, axis=axis)
    y.name = "y"
    session = Session(gs.sum(y * gs.tensor(rng.normal(size=shape), name="c")).graph())
    event = next(e for e in backward_op_steps(session) if e.node.op == op)
    along = axis % len(shape)
    for seed in SEEDS:
        q = question(event, session.output, seed=seed)
        numbers, (r, c) = shown(q.prompt), _pair(q.prompt)
        assert [a for a in range(len(shape)) if r[a] != c[a]] in ([], [along]), q.prompt
        j, k = r[along], c[along]
        block = ", ".join(":" if a == along else str(r[a]) for a in range(len(shape)))
        if f"y[{block}]" in numbers:
            out = np.array(numbers[f"y[{block}]"])
            yj, yk = out[j], out[k]
        else:
            assert shape[along] > 12
            yj, yk = numbers[f"y[{', '.join(map(str, r))}]"], numbers[f"y[{', '.join(map(str, c))}]"]
        answer = yj * ((j == k) - yk) if op == "softmax" else (j == k) - np.exp(yk)
        assert _judged_as_the_tui_does(session, q, answer), q.prompt
        assert not judged(q, answer + 0.01 * max(1.0, abs(answer))), q.prompt


def test_a_broadcast_bias_contribution_is_worked_out_as_the_sum_of_the_entries_shown():
    session = Session(load_graph_file(os.path.join(SAMPLES, "two_layer.py")))
    q = next(q for q in map(session.question, range(len(session.stepper))) if q is not None and "broadcast" in q.why)
    shown_entries = [float(v) for v in re.search(r"= \[(.*)\]", q.prompt.splitlines()[1]).group(1).split(", ")]
    terms = q.worked.rsplit(" = ", 1)[0].replace("(", "").replace(")", "").split(" + ")
    assert [float(t) for t in terms] == shown_entries, q.worked
    assert float(q.worked.rsplit("= ", 1)[1]) == pytest.approx(sum(shown_entries), rel=1e-5)
    assert q.worked.rsplit("= ", 1)[1] in session.judge(q, "0.5").text()
