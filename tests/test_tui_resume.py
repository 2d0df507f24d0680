"""graphscope tui --resume DIR: the TUI reopens and continues a saved training run, checked as train checks it;
its training screen states the batch as `graphscope train` does."""
import json

import numpy as np
import pytest

from cli_run import in_process
from graphscope.cli import main
from graphscope.cli import tui as tui_cli
from graphscope.train.checkpoint import META, read_checkpoint
from tui_apps import training_finished

SIZE = (110, 32)

TRAINING_FILE = '''
import numpy as np
import graphscope as gs

def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=({n}, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    return x, y, x[:4], y[:4]

def build():
    x, y, _, _ = data()
    rng = np.random.default_rng(1)
    W = gs.param(rng.normal(scale=0.5, size=(2, {hidden})), name="W")
    V = gs.param(rng.normal(scale=0.5, size=({hidden}, 2)), name="V")
    scores = gs.tanh(gs.tensor(x, name="x") @ W) @ V
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y)

def settings():
    return {{"optimizer": "adam", "lr": 0.05, "batch_size": {batch}, "dtype": "float64"}}
'''


def write_file(path, n=12, hidden=4, batch=4):
    path.write_text(TRAINING_FILE.format(n=n, hidden=hidden, batch=batch))
    return path.name


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def opened(monkeypatch):
    """In a terminal, the apps the TUI opens, made as run_app makes them (a checkpoint that does not fit is refused
    there, before the screen opens) but not run."""
    from graphscope.cli import walk
    from graphscope.tui import GraphscopeApp
    monkeypatch.setattr(walk, "in_terminal", lambda: True)
    apps = []

    def open_tui(graph, origin, file=None, optimizer=None, training=None):
        apps.append(GraphscopeApp(graph, origin, file, optimizer, training))
        apps[-1].cursor_blink = False
        return 0
    monkeypatch.setattr(tui_cli, "open_tui", open_tui)
    return apps


def tui_app(opened, capsys, *args):
    code, _, err = in_process(main, capsys, "tui", *args)
    assert code == 0, err
    return opened[-1]


def train(capsys, *args):
    code, out, err = in_process(main, capsys, "train", *args, "--no-progress")
    assert code == 0, err
    return out


async def test_the_training_screen_states_the_batch_train_takes(folder, opened, capsys):
    """Five examples and batch 64: both say the batch is all 5, in the same words."""
    name = write_file(folder / "net.py", n=5, batch=64)
    header = train(capsys, name, "--epochs", "1").splitlines()[0]
    said = "batch 5 (all of them: --batch-size 64 is more than the 5 examples)"
    assert said in header
    app = tui_app(opened, capsys, name, "--epochs", "1")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await training_finished(pilot)
        status = " ".join(str(app.screen.query_one("#training-status").render()).split())
        assert f"Adam lr 0.05, {said}, reg 0, float64, 1 epoch" in status
        assert "batch 64" not in status


def test_a_checkpoint_in_the_way_names_tui_resume_and_overwrite(folder, opened, capsys):
    name = write_file(folder / "net.py")
    train(capsys, name, "--epochs", "1", "--checkpoint", "ck")
    code, _, err = in_process(main, capsys, "tui", name, "--checkpoint", "ck")
    assert code == 2 and not opened
    assert (f"graphscope tui: --checkpoint ck holds epoch 1 of {name} with Adam (lr 0.05); a new run would replace "
            f"it: use graphscope tui {name} --resume ck (or graphscope train {name} --resume ck) to continue it, "
            f"give another folder, or --overwrite to replace it") in err
    options = tui_app(opened, capsys, name, "--checkpoint", "ck", "--overwrite").training_options
    assert options.overwrite and options.checkpoint == "ck" and options.resume is None
    code, _, err = in_process(main, capsys, "tui", name, "--overwrite")
    assert code == 2 and "--overwrite goes with --checkpoint DIR" in err


async def test_resume_opens_the_trained_graph_and_r_goes_on_as_the_run_would_have(folder, opened, capsys,
                                                                                  monkeypatch):
    name = write_file(folder / "net.py")
    train(capsys, name, "--epochs", "4", "--history", "whole.json")  # the run never stopped, to compare
    train(capsys, name, "--epochs", "2", "--checkpoint", "ck")
    meta, arrays = read_checkpoint("ck")
    app = tui_app(opened, capsys, name, "--resume", "ck", "--epochs", "4")
    graph, options = app.session.graph, app.training_options
    assert (options.optimizer, options.lr, options.batch_size, options.dtype, options.epochs) == \
        ("adam", 0.05, 4, "float64", 4)
    assert options.checkpoint == "ck" and options.source_text() == "the checkpoint's settings, --epochs given"
    from graphscope.tui.widgets.plots import CurvePlot
    drawn = []
    show = CurvePlot.show
    monkeypatch.setattr(CurvePlot, "show", lambda self, losses, *a, **k: drawn.append(list(losses)) or
                        show(self, losses, *a, **k))
    # before any key: the graph holds the checkpoint's parameters, and the walk's update phase is the saved Adam's
    for i, p in enumerate(graph.params):
        assert np.array_equal(p.value, arrays[f"param/{i}"]), p.name
    assert app.session.trained and app.session.update_events()
    assert app.session.stepper.optimizer.state_dict()["t"] == meta["optimizer"]["t"] == 2 * 3
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await training_finished(pilot)
        screen = app.screen
        saved = screen.run.trainer.history
        assert drawn[0] == json.loads((folder / "whole.json").read_text())["loss"][:2 * 3]  # the saved curve first
        assert "checkpoint: ck (went on from its epoch 2)" in str(screen.query_one("#training-message").render())
        assert "epochs done 4/4" in screen.figures_text()
    whole = json.loads((folder / "whole.json").read_text())
    assert saved.loss == whole["loss"] and saved.val_acc == whole["val_acc"]  # exactly the run that never stopped
    assert json.loads((folder / "ck" / META).read_text())["epoch"] == 4  # written to the folder it came from


def test_a_finished_run_goes_on_by_its_epochs_again(folder, capsys):
    from graphscope.tui.training import TrainingOptions, resume_run
    from graphscope.userfile import load_graph_file
    name = write_file(folder / "net.py")
    train(capsys, name, "--epochs", "2", "--checkpoint", "ck")
    options = TrainingOptions(optimizer="adam", lr=0.05, batch_size=4, dtype="float64", epochs=2, checkpoint="ck",
                              resume="ck")
    run = resume_run(load_graph_file(name).output.graph(), name, options)
    assert run.trainer.epoch == 2 and run.epochs == 4 and len(run.trainer.history.loss) == 2 * 3
    run.fit()
    assert run.trainer.epoch == 4
    run.more(lambda event: None)  # r again: options.epochs more
    assert run.epochs == 6


@pytest.mark.parametrize("change, args, words", [
    ("another file", ("b.py", "--resume", "ck"),
     ["--resume ck: it holds a run of net.py, not of b.py; resume it with graphscope tui net.py --resume ck"]),
    ("another model", ("net.py", "--resume", "ck"),
     ["checkpoint ck: it was saved from another model: shapes differ: W (2, 4) (this model: (2, 6))"]),
    ("other settings", ("net.py", "--resume", "ck", "--optimizer", "sgd", "--batch-size", "3"),
     ["graphscope tui: --optimizer sgd: the checkpoint ck was trained with --optimizer adam",
      "graphscope tui: --batch-size 3: the checkpoint ck was trained with --batch-size 4"]),
    ("no checkpoint", ("net.py", "--resume", "nowhere"), ["checkpoint nowhere: no such folder"]),
])
def test_resume_refuses_what_train_refuses_before_the_screen_opens(folder, opened, capsys, change, args, words):
    write_file(folder / "net.py")
    train(capsys, "net.py", "--epochs", "1", "--checkpoint", "ck")
    write_file(folder / "b.py")
    if change == "another model":
        write_file(folder / "net.py", hidden=6)
    code, _, err = in_process(main, capsys, "tui", *args)
    assert code == 2 and not opened, err
    assert "Traceback" not in err
    for w in words:
        assert w in err, err


def test_resume_passes_on_to_the_served_app_once_checked(folder, capsys, served_commands):
    commands = served_commands
    write_file(folder / "net.py")
    train(capsys, "net.py", "--epochs", "1", "--checkpoint", "ck")
    code, _, err = in_process(main, capsys, "tui", "net.py", "--serve", "--resume", "ck", "--checkpoint", "ck2",
                              "--overwrite")
    assert code == 0, err
    assert commands[0].endswith("--checkpoint ck2 --resume ck --overwrite")
    write_file(folder / "net.py", hidden=6)  # another model: refused here, not in the browser
    code, _, err = in_process(main, capsys, "tui", "net.py", "--serve", "--resume", "ck")
    assert code == 2 and len(commands) == 1 and "saved from another model" in err


def test_not_in_a_terminal_resume_prints_the_walk_of_the_trained_graph(folder, capsys):
    write_file(folder / "net.py")
    train(capsys, "net.py", "--epochs", "1", "--checkpoint", "ck")
    _, arrays = read_checkpoint("ck")
    code, fresh, _ = in_process(main, capsys, "tui", "net.py")
    code, out, err = in_process(main, capsys, "tui", "net.py", "--resume", "ck")
    assert code == 0, err
    assert "then 2 update steps" in out and "update" not in fresh.split("\n\n")[0]  # the saved Adam's next step
    w = out.split("forward: W =", 1)[1].split("(param", 1)[0]
    assert f"{arrays['param/0'][0, 0]:.3g}," in w and w not in fresh  # the trained W, not the one build() made
