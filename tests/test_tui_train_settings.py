"""The TUI's training screen trains what `graphscope train` trains: the same settings, from the same places."""
import json

import numpy as np
import pytest

from cli_run import in_process
from graphscope.cli import main
from graphscope.cli import tui as tui_cli
from tui_apps import training_finished

SIZE = (100, 30)

SETTINGS = ('{"optimizer": "adam", "lr": 0.05, "schedule": "exp:0.5", "batch_size": 16, "dtype": "float64", '
            '"epochs": 7, "reg": 0.01, "seed": 3}')

TRAINING_FILE = '''
import numpy as np
import graphscope as gs

def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    return x, (x[:, 0] + x[:, 1] > 0).astype(int), x[:10], (x[:10, 0] + x[:10, 1] > 0).astype(int)

def build():
    x, y, _, _ = data()
    W = gs.param(np.random.default_rng(1).normal(size=(2, 2)), name="W")
    b = gs.param(np.zeros(2), name="b")
    scores = gs.tensor(x[:8], name="x") @ W + b
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y[:8])
'''


@pytest.fixture
def training_file(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(TRAINING_FILE + f"\ndef settings():\n    return {SETTINGS}\n")
    return str(path)


@pytest.fixture
def opened(monkeypatch):
    """In a terminal, record the training options and the walk's optimizer the TUI would open with."""
    from graphscope.cli import walk
    monkeypatch.setattr(walk, "in_terminal", lambda: True)
    calls = []
    monkeypatch.setattr(tui_cli, "open_tui", lambda graph, origin, file=None, optimizer=None, training=None:
                        calls.append((graph, optimizer, training)) or 0)
    return calls


def options(opened, capsys, *args):
    code, _, err = in_process(main, capsys, "tui", *args)
    assert code == 0, err
    return opened[-1][2]


def test_the_files_settings_come_first_then_the_options_given(opened, capsys, training_file):
    o = options(opened, capsys, training_file, "--epochs", "2")
    assert (o.optimizer, o.lr, o.schedule, o.batch_size, o.dtype, o.reg, o.seed, o.epochs) == \
        ("adam", 0.05, "exp:0.5", 16, "float64", 0.01, 3, 2)
    assert o.origins["epochs"] == "given" and o.origins["lr"] == o.origins["schedule"] == "settings()"
    assert o.source_text() == "settings(), --epochs given"
    # the same words, from the same code, as graphscope train's line about its settings
    code, out, err = in_process(main, capsys, "train", training_file, "--epochs", "2", "--no-progress")
    assert code == 0, err
    assert o.origins_text == out.splitlines()[1] and o.origins_text.startswith("settings: --epochs 2 given;")

    o = options(opened, capsys, training_file, "--optimizer", "sgd", "--lr", "0.1", "--schedule", "none",
                "--reg", "0", "--seed", "1", "--dtype", "float32", "--batch-size", "4")
    assert (o.optimizer, o.lr, o.schedule, o.batch_size, o.dtype, o.reg, o.seed, o.epochs) == \
        ("sgd", 0.1, None, 4, "float32", 0.0, 1, 7)
    assert o.make_schedule() is None and o.text() == "SGD lr 0.1, batch 4, reg 0, float32, 7 epochs"


def test_lr_alone_sets_the_trainings_rate_and_adds_no_update_walk(opened, capsys, training_file):
    o = options(opened, capsys, training_file, "--lr", "0.2")
    assert o.lr == 0.2 and o.optimizer == "adam" and opened[-1][1] is None


@pytest.mark.parametrize("settings, words", [
    ('{"learning_rate": 0.1, "batchsize": 4}', ["2 bad settings", "did you mean 'lr'?", "did you mean 'batch_size'?"]),
    ('{"optimizer": "adma"}', ["optimizer of net.py's settings() adma: unknown optimizer", "did you mean 'adam'?"]),
    ('{"schedule": "exp"}', ["schedule of net.py's settings() exp:"]),
])
def test_bad_settings_stop_tui_before_the_screen_opens(opened, capsys, tmp_path, settings, words):
    path = tmp_path / "net.py"
    path.write_text(TRAINING_FILE + f"\ndef settings():\n    return {settings}\n")
    code, _, err = in_process(main, capsys, "tui", str(path))
    assert code == 2 and not opened
    assert err.startswith("graphscope tui: ") and "Traceback" not in err
    for w in words:
        assert w in err, err


def test_serve_passes_the_training_options_on(capsys, training_file, served_commands):
    commands = served_commands
    code, _, err = in_process(main, capsys, "tui", training_file, "--serve", "--schedule", "inv:0.1", "--reg",
                              "0.5", "--seed", "4", "--dtype", "float32")
    assert code == 0, err
    assert "--schedule inv:0.1 --reg 0.5 --seed 4 --dtype float32" in commands[0]


async def test_r_trains_the_run_graphscope_train_makes(opened, capsys, tmp_path, training_file):
    from graphscope.tui import GraphscopeApp
    o = options(opened, capsys, training_file, "--epochs", "3")
    graph = opened[-1][0]
    history = tmp_path / "h.json"
    code, _, err = in_process(main, capsys, "train", training_file, "--epochs", "3", "--no-progress",
                              "--history", str(history))
    assert code == 0, err
    app = GraphscopeApp(graph, "net.py", training_file, training=o)
    app.cursor_blink = False
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        await training_finished(pilot)
        screen = app.screen
        trained = screen.run.trainer
        assert type(trained.optimizer).__name__ == "Adam" and trained.dtype == np.float64
        assert trained.reg == 0.01 and trained.seed == 3 and trained.batch_size == 16
        train = json.loads(history.read_text())
        assert trained.history.loss == train["loss"] and trained.history.lr == train["lr"]
        status = str(screen.query_one("#training-status").render())
        assert "Adam lr 0.05 (exp:0.5), batch 16, reg 0.01, float64, 3 epochs" in status
        assert "settings(), --epochs given" in status
        assert o.origins_text in str(screen.query_one("#training-message").render())
