"""The update phase as users meet it: the TUI inspector and keys, and `graphscope demo|tui|export --optimizer`."""
import os
import sys

from graphscope.cli import main
from graphscope.cli import tui as tui_cli
from graphscope.tui import GraphscopeApp
from graphscope.tui.widgets.graphview import GraphView
from graphscope.userfile import load_graph_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_run import in_process  # noqa: E402
from tui_apps import settle  # noqa: E402

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
TWO_LAYER = os.path.join(SAMPLES, "two_layer.py")
SIZE = (100, 30)


def update_app(rule="Adam", **hyper):
    import graphscope as gs
    graph = load_graph_file(TWO_LAYER)
    opt = getattr(gs.optim, rule)(graph.params, lr=1e-3, **hyper)
    app = GraphscopeApp(graph, "samples/two_layer.py", TWO_LAYER, opt)
    app.cursor_blink = False
    return app


def status(app):
    return str(app.screen.query_one("#status").render())


def inspector(app):
    return str(app.screen.query_one("#inspector-body").render())


async def test_u_jumps_to_the_update_phase_and_the_inspector_shows_gradient_state_step_and_ratio():
    app = update_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        st = app.session.stepper
        assert st.step == st.n_forward + st.n_backward
        ev = st.event
        assert status(app).startswith(f"update · step {st.step}/{len(st) - 1} · {ev.node.name}")
        text = inspector(app)
        for words in ("gradient  dloss/dW1", "Adam state", "m: ", "v: ", "step  ", "update/weight  ",
                      f"{ev.ratio:.1e}"):
            assert words in text
        await pilot.press("n")
        await settle(pilot)
        assert status(app).startswith("update") and app.session.node is st.events[st.step].node
        assert app.screen.query_one(GraphView).session.state.current is app.session.node


async def test_u_without_an_optimizer_says_how_to_get_an_update_phase():
    from graphscope.tui.screens.dialogs import MessageDialog
    app = GraphscopeApp(load_graph_file(TWO_LAYER), "two_layer.py", TWO_LAYER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, MessageDialog)
        assert app.session.step == 0


def test_demo_text_walk_ends_with_the_update_phase(capsys):
    code, out, err = in_process(main, capsys, "demo", "--text", TWO_LAYER, "--optimizer", "momentum", "--lr", "0.1")
    assert code == 0, err
    head = out.index("update: one step of Momentum")
    assert out.index("backward pass") < out.index("gradients of loss") < head
    walk = out[head:]
    for name in ("W1", "b1", "W2", "b2"):
        assert f"update: {name} += step" in walk
    assert "Momentum state velocity: [0, 0" in walk and "update/weight = " in walk
    assert "then 4 update steps" in out


def test_demo_option_problems_exit_2(capsys):
    code, _, err = in_process(main, capsys, "demo", "--text", TWO_LAYER, "--lr", "0.1")
    assert code == 2 and "--lr goes with --optimizer" in err
    code, _, err = in_process(main, capsys, "demo", "--text", TWO_LAYER, "--optimizer", "adamw")
    assert code == 2 and "unknown optimizer 'adamw'" in err
    code, _, err = in_process(main, capsys, "demo", "--text", "--optimizer", "sgd")  # the chain rule example: no gs.param
    assert code == 2 and "has no parameters" in err


def test_tui_command_builds_the_optimizer(monkeypatch):
    calls = []
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)   # in a terminal (else tui prints the walk)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(tui_cli, "open_tui", lambda graph, origin, file=None, optimizer=None, training=None:
                        calls.append(optimizer) or 0)
    assert main(["tui", TWO_LAYER, "--optimizer", "rmsprop", "--lr", "0.002"]) == 0
    opt, = calls
    assert type(opt).__name__ == "RMSProp" and opt.lr == 0.002 and len(opt.params) == 4


def test_export_draws_a_parameters_update_step_and_the_player_has_the_phase(tmp_path, capsys):
    dot = tmp_path / "w2.dot"
    code, out, err = in_process(main, capsys, "export", TWO_LAYER, "--optimizer", "adam", "--node", "W2",
                                "--phase", "update", "-o", dot)
    assert code == 0, err
    text = dot.read_text().replace("&#160;", " ")
    assert "update · Adam W2: step |d|=" in text and "update · Adam W2" in out
    html = tmp_path / "steps.html"
    code, out, err = in_process(main, capsys, "export", TWO_LAYER, "--optimizer", "sgd", "-o", html)
    assert code == 0, err
    page = html.read_text()
    assert '"phase":"update"' in page and '"ratio_verdict"' in page and "badge.update" in page
