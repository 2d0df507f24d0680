"""graphscope tui and the demo's choice between the terminal UI and the printed walk."""
import os
import subprocess
import sys

import pytest

from graphscope.cli import main
from graphscope.cli import tui as tui_cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "samples", "two_layer.py")


@pytest.fixture
def opened(monkeypatch):
    """In a terminal, record what the TUI would open on, instead of opening it."""
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    calls = []
    monkeypatch.setattr(tui_cli, "open_tui",
                        lambda graph, origin, file=None, optimizer=None, training=None:
                        calls.append((graph, origin, file)) or 0)
    return calls


def test_tui_opens_the_files_graph(opened):
    assert main(["tui", SAMPLE]) == 0
    (graph, origin, file), = opened
    assert graph.output.name == "loss" and origin.endswith("two_layer.py") and file == SAMPLE


@pytest.mark.parametrize("source, message", [
    ("x = 1\n", "does not define build()"),
    ("def build():\n    raise ValueError('boom')\n", "ValueError: boom"),
    ("import graphscope as gs\nimport numpy as np\n"
     "def build():\n    return gs.tensor(np.ones((2, 3))) @ gs.tensor(np.ones((2, 3)))\n", "matmul"),
])
def test_errors_before_the_screen_opens_are_one_message_and_exit_2(tmp_path, capsys, opened, source, message):
    path = tmp_path / "bad.py"
    path.write_text(source)
    assert main(["tui", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("graphscope tui: ") and message in err
    assert "Traceback" not in err and not opened


def test_port_needs_serve(capsys, opened):
    assert main(["tui", SAMPLE, "--port", "9000"]) == 2
    assert "--port goes with --serve" in capsys.readouterr().err


def test_demo_opens_the_tui_in_a_terminal(monkeypatch, opened):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    assert main(["demo"]) == 0
    (graph, origin, file), = opened
    assert graph.output.name == "f" and len(graph) == 5


def test_demo_prints_the_walk_with_text_even_in_a_terminal(monkeypatch, opened, capsys):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    assert main(["demo", "--text"]) == 0
    assert not opened
    assert "backward pass" in capsys.readouterr().out


def test_tui_not_in_a_terminal_prints_the_walk_as_the_demo_does_and_exits():
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("TEXTUAL_DRIVER", None)
    sample = os.path.join(ROOT, "samples", "chain_rule.py")
    proc = subprocess.run([sys.executable, "-m", "graphscope", "tui", sample], capture_output=True, text=True,
                          env=env, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout                   # no escape codes in a file
    assert "forward pass" in proc.stdout and "backward pass" in proc.stdout and "df/dx" in proc.stdout
    assert proc.stderr.startswith("graphscope tui: not a terminal") and "graphscope demo" in proc.stderr


def test_tui_help_says_what_it_does_without_a_terminal(capsys):
    with pytest.raises(SystemExit):
        main(["tui", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "when standard input or output is not one (piped, redirected, run by CI), tui prints the walk" in text


def test_demo_piped_prints_the_walk():
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-m", "graphscope", "demo"], capture_output=True, text=True, env=env,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "forward pass" in proc.stdout and "backward pass" in proc.stdout


def test_training_options_reach_the_training_screen_with_the_files_settings_otherwise(monkeypatch):
    from graphscope.train import Trainer
    import inspect
    given = []
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(tui_cli, "open_tui",
                        lambda graph, origin, file=None, optimizer=None, training=None: given.append(training) or 0)
    spiral = os.path.join(ROOT, "samples", "train_spiral.py")
    assert main(["tui", spiral, "--optimizer", "adam", "--lr", "0.002", "--epochs", "4"]) == 0
    assert main(["tui", spiral]) == 0
    chosen, default = given
    assert (chosen.optimizer, chosen.lr, chosen.epochs) == ("adam", 0.002, 4)
    defaults = inspect.signature(Trainer.__init__).parameters
    assert (default.optimizer, default.lr, default.epochs, default.batch_size) == ("sgd", 0.5, 300, 32)  # settings()
    assert chosen.batch_size == 32 and defaults["batch_size"].default != 32


@pytest.mark.parametrize("options, message", [
    (["--lr", "0"], "graphscope tui: --lr must be a finite number greater than 0, got 0"),
    (["--lr", "-1"], "graphscope tui: --lr must be a finite number greater than 0, got -1"),
    (["--epochs", "0"], "--epochs must be at least 1"),
    (["--batch-size", "-2"], "--batch-size must be at least 1"),
    (["--optimizer", "adamw"], "--optimizer adamw: unknown optimizer 'adamw'; known: sgd"),
])
def test_bad_training_options_are_one_line_each_and_exit_2(capsys, opened, options, message):
    try:
        code = main(["tui", SAMPLE] + options)
    except SystemExit as exc:  # a value argparse rejects: the command's usage, then the one line
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert "graphscope tui: " in err and message in err and "Traceback" not in err and not opened
