"""The TUI's gradient checks say what `graphscope check` says: check-all (C) gives its verdict and its counts (its
report stands in the inspector), and a node that nothing was compared at (a leaf, a node whose value is not finite)
shows no error figure (c)."""
import os

import numpy as np
import pytest

from cli_run import in_process
from graphscope.cli import main
from graphscope.tui import GraphscopeApp
from graphscope.tui.widgets.inspector import inspector_text
from graphscope.userfile import load_graph_file

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
SIZE = (100, 30)


def sample_app(name):
    """The TUI on samples/NAME, every notification it shows kept in ``app.told`` as (title, message, severity)."""
    path = os.path.join(SAMPLES, name)
    with np.errstate(all="ignore"):  # nan_origin.py makes its -inf on purpose
        graph = load_graph_file(path)
    app = GraphscopeApp(graph, name, path)
    app.cursor_blink = False
    app.told = []
    notify = app.notify

    def told(message, *, title="", severity="information", **kwargs):
        app.told.append((title, message, severity))
        return notify(message, title=title, severity=severity, **kwargs)

    app.notify = told
    return app


def status(app):
    return str(app.screen.query_one("#status").render())


def inspector(app):
    """The inspector's text, its lines cut for the pane joined again (as one line of words)."""
    return " ".join(str(app.screen.query_one("#inspector-body").render()).split())


def cli_check(capsys, name):
    """`graphscope check samples/NAME`: (exit status, the per-node summary's first line, the verdict word)."""
    code, out, _ = in_process(main, capsys, "check", os.path.join(SAMPLES, name))
    lines = out.splitlines()
    counts = next(line for line in lines if " op nodes " in line and not line.startswith("per-node"))
    verdict = lines[-1].split(":")[0]
    return code, counts.removeprefix("FAIL: "), verdict


@pytest.mark.parametrize("name", ["nan_origin.py", "wrong_backward.py", "chain_rule.py"])
async def test_check_all_gives_the_verdict_and_counts_of_graphscope_check(capsys, name):
    code, counts, verdict = cli_check(capsys, name)
    app = sample_app(name)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        await pilot.pause()
        title, message, severity = app.told[-1]
    assert title == f"gradient check: {verdict}"
    assert severity == ("error" if code else "information")
    # the counts, without what follows them: which node (named after its own counter in each process)
    counted = counts.split(";")[0].split(" (")[0]
    assert counted in message, f"the CLI says {counts!r}; the TUI said {message!r}"


async def test_check_all_on_a_graph_whose_nodes_pass_but_whose_value_is_not_finite_fails_and_shows_the_origin():
    app = sample_app("nan_origin.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        await pilot.pause()
        title, message, _ = app.told[-1]
        assert "FAILED" in title and "pass" not in title
        assert "1 of 5 op nodes passed, 4 skipped" in message and "all 5" not in message
        log = app.session.node  # no node failed: check-all goes where the first -inf is made
        assert log.op == "log" and f" · {log.name} · " in status(app)
        report = inspector(app)  # the report, in the inspector
        assert "check all (C): FAILED" in report and "1 of 5 op nodes passed, 4 skipped" in report
        assert f"{log.name} (op log) made a non-finite value" in report


async def test_check_all_names_the_first_failing_node_and_goes_to_it():
    app = sample_app("wrong_backward.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        await pilot.pause()
        bad = app.session.node
        assert f"first failing node {bad.name} ({bad.op})" in inspector(app)
        assert bad.op == "swish" and app.session.checks[bad].status == "FAIL"
        shown = inspector_text(app.session).plain  # the inspector names where the wrong VJP is defined
        assert "gradient check: FAIL\n  its VJP swish_vjp at " in shown and "wrong_backward.py:21" in shown


async def test_a_node_where_nothing_was_compared_shows_no_error_figure():
    app = sample_app("nan_origin.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")  # step 0: the leaf `scores`
        await pilot.press("n", "c")  # softmax_2: checked, its figure shown
        await pilot.press("n", "c")  # log: its value is -inf, nothing compared
        await pilot.pause()
        log = app.session.node
        leaf, softmax, not_finite = (message for _, message, _ in app.told[-3:])
    # a leaf has no VJP: c names the op node its gradient comes from and that node's verdict
    assert leaf == f"scores: a leaf has no VJP of its own: its gradient comes from {softmax.split(':')[0]} (ok)"
    assert log.op == "log" and not_finite == f"{log.name}: skip (its value is not finite)"
    assert softmax.startswith("softmax_") and ": ok (max relative error " in softmax and softmax.endswith(")")


async def test_check_all_on_a_large_graph_says_it_is_checking_before_the_check_holds_the_screen(tmp_path, monkeypatch):
    from graphscope.tui.screens import main as main_screen
    monkeypatch.setattr(main_screen, "CHECK_NOTICE_PAINT", 0.3)
    ops = main_screen.CHECK_NOTICE_OPS + 1
    path = tmp_path / "chain.py"
    path.write_text("import graphscope as gs\n\n\ndef build():\n    h = gs.param(0.3, name='x')\n"
                    f"    for _ in range({ops}):\n        h = gs.tanh(h)\n    return h\n")
    graph = load_graph_file(str(path))
    app = GraphscopeApp(graph, "chain.py", str(path))
    app.told = []
    notify = app.notify
    app.notify = lambda message, *, title="", severity="information", **kw: (
        app.told.append((title, message, severity)), notify(message, title=title, severity=severity, **kw))[1]
    async with app.run_test(size=SIZE) as pilot:
        told_before_the_check = []
        check_all = app.session.check_all
        app.session.check_all = lambda: (told_before_the_check.append(list(app.told)), check_all())[1]
        await pilot.press("C")
        await pilot.pause()
        assert app.told[0] == ("gradient check", f"checking {ops:,} op nodes against finite differences: this takes "
                                                 "a few seconds", "information")
        while not told_before_the_check:
            await pilot.pause(0.1)
        assert told_before_the_check[0] == app.told[:1]  # the notice is painted first, then the check holds the screen
        while len(app.told) < 2:
            await pilot.pause(0.1)
        title, message, _ = app.told[-1]
        assert title.startswith("gradient check: ") and f"all {ops} op nodes passed" in message
        assert len(app.session.checks) == ops


async def test_c_on_a_leaf_after_check_all_names_the_nodes_using_it_and_the_whole_graph_verdict():
    app = sample_app("wrong_backward.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        await pilot.pause()
        session = app.session
        leaf = session.graph.node("W1")  # upstream of the wrong swish VJP: its own matmul passes, its gradient is wrong
        session.stepper.goto(session.stepper.find(leaf))
        await pilot.press("c")
        await pilot.pause()
        _, message, severity = app.told[-1]
    user = session.graph.consumers(leaf)[0]
    swish = next(n for n in session.graph.nodes if n.op == "swish")
    assert message.startswith(f"W1: a leaf has no VJP of its own: its gradient comes from {user.name} (ok); "
                              f"further on, its gradient passes through {swish.name} (FAIL): so it is wrong too; "
                              f"the whole-graph gradcheck (C) says FAIL (max relative error ")
    assert severity == "error"
