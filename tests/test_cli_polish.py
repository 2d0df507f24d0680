"""What a new user meets first: every --help ends with examples, a training file may suggest its settings,
a saved graph is refused by train with the reason, search's --epochs means what its help says, epoch
times are readable, piped terminal plots carry no colour codes, and mistyped names get a did-you-mean."""
import importlib.util
import json
import os
import re

import pytest

from cli_run import in_process
from graphscope.cli import build_parser, main
from graphscope.train.history import History

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "samples")
FC_NET = os.path.join(SAMPLES, "fc_net.py")

TRAINING_FILE = '''
import numpy as np
import graphscope as gs

def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    return x, (x[:, 0] > 0).astype(int), x[:10], (x[:10, 0] > 0).astype(int)

def build():
    x, y, _, _ = data()
    W = gs.param(np.zeros((2, 2)), name="W")
    return gs.softmax_cross_entropy(gs.tensor(x[:8], name="x") @ W, y[:8])
'''


def training_file(tmp_path, settings=None, name="net.py"):
    path = tmp_path / name
    path.write_text(TRAINING_FILE + ("" if settings is None else f"\ndef settings():\n    return {settings}\n"))
    return str(path)


def run(capsys, *args):
    return in_process(main, capsys, *args)


def help_text(capsys, *command):
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return capsys.readouterr().out


def test_every_commands_help_ends_with_examples_of_that_command(capsys):
    commands = build_parser().get_default("commands")
    for name in commands:
        text = help_text(capsys, name)
        examples = text[text.index("\nexamples:\n"):]
        assert f"graphscope {name} " in examples, f"{name} --help: {text}"
    assert "examples:" in help_text(capsys)


def test_search_epochs_are_each_coarse_trials_and_the_fine_round_says_its_own(capsys, tmp_path):
    text = " ".join(help_text(capsys, "search").split())
    assert "--epochs EPOCHS epochs of each coarse trial (default 2)" in text and "epochs in all" not in text
    path = training_file(tmp_path)
    code, out, err = run(capsys, "search", path, "--trials", "1", "--fine-trials", "1", "--epochs", "1",
                         "--no-progress")
    assert code == 0, err
    assert "1 trial of 1 epoch, then 1 of 2 epochs" in out.splitlines()[0]
    code, out, err = run(capsys, "search", path, "--trials", "1", "--fine-trials", "1", "--epochs", "1",
                         "--fine-epochs", "3", "--no-progress")
    assert code == 0, err
    assert "(fine trials train 3 epochs, coarse trials train 1 epoch)" in " ".join(out.split())  # under the table


def test_train_refuses_a_saved_graph_saying_what_a_training_file_needs(capsys, tmp_path):
    saved = tmp_path / "model.gsgraph"
    assert run(capsys, "demo", "--text", "--save", saved)[0] == 0
    for command in ("train", "search"):
        code, out, err = run(capsys, command, saved)
        assert code == 2 and "is a saved graph: it holds a graph but no data to train it on" in err
        assert "build() (returning the loss) and data()" in err
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    code, _, err = run(capsys, "train", empty)
    assert code == 2 and "defines neither build() nor data()" in err


def test_a_training_files_settings_replace_the_defaults_and_options_replace_them(capsys, tmp_path):
    path = training_file(tmp_path, '{"optimizer": "adam", "lr": 0.05, "epochs": 2, "batch_size": 16}')
    code, out, err = run(capsys, "train", path, "--no-progress")
    assert code == 0, err
    header, origins = out.splitlines()[:2]
    assert "Adam lr 0.05, batch 16, reg 0, float32, 2 epochs" in header
    assert origins == ("settings: optimizer adam, lr 0.05, batch size 16, epochs 2 from net.py's settings(); "
                       "train's defaults: schedule none, reg 0, seed 0, dtype float32")
    code, out, err = run(capsys, "train", path, "--no-progress", "--epochs", "1", "--lr", "0.1",
                         "--history", tmp_path / "h.json")
    assert code == 0, err
    assert "Adam lr 0.1, batch 16" in out and ", 1 epoch" in out.splitlines()[0]
    assert out.splitlines()[1].startswith("settings: --lr 0.1, --epochs 1 given; optimizer adam, batch size 16 from")
    origins = json.loads((tmp_path / "h.json").read_text())["settings"]["from"]
    assert (origins["lr"], origins["optimizer"], origins["reg"]) == ("given", "settings()", "default")


@pytest.mark.parametrize("settings, message", [
    ('{"epoch": 3}', "unknown setting 'epoch'; did you mean 'epochs'?"),
    ('{"lr": -1}', "settings() returned lr -1; it must be a finite number greater than 0"),
    ('[("lr", 1)]', "settings() returned list; it must return a dict"),
    ('{"optimizer": "adma"}', "optimizer of net.py's settings() adma: unknown optimizer 'adma'"),
])
def test_bad_settings_are_one_message_naming_the_setting(capsys, tmp_path, settings, message):
    code, _, err = run(capsys, "train", training_file(tmp_path, settings), "--no-progress")
    assert code == 2 and message in err, err


def test_search_takes_the_optimizer_from_settings_and_its_command_repeats_the_trial(capsys, tmp_path):
    path = training_file(tmp_path, '{"optimizer": "adam", "batch_size": 16, "schedule": "exp:0.1", "epochs": 9}')
    code, out, err = run(capsys, "search", path, "--trials", "1", "--fine-trials", "0", "--epochs", "1",
                         "--no-progress")
    assert code == 0, err
    assert "(random, adam, batch 16)" in out
    command = out.strip().splitlines()[-1].split()
    assert "--optimizer" not in command and "--batch-size" not in command     # the file's own settings
    assert command[command.index("--epochs") + 1] == "1" and command[-2:] == ["--schedule", "none"]


def test_a_lecture_sample_trains_with_its_own_settings(capsys):
    code, out, err = run(capsys, "train", FC_NET, "--epochs", "1", "--no-progress")
    assert code == 0, err
    assert "Adam lr 0.01 (exp:0.02), batch 30, reg 0, float64, 1 epoch" in out.splitlines()[0]


def test_epoch_times_read_at_every_scale():
    history = History(loss=[1.0] * 4, train_acc=[None] * 4, val_acc=[None] * 4, val_loss=[None] * 4,
                      lr=[0.1] * 4, seconds=[0.0012, 0.042, 1.5, 125.0])
    times = [row.split()[-1] for row in history.table().splitlines()[1:]]
    assert times == ["1.2ms", "42ms", "1.50s", "2m05s"]


def test_a_terminal_plot_in_a_pipe_has_no_colour_codes(capsys):
    spec = importlib.util.spec_from_file_location("sample_cli", os.path.join(SAMPLES, "_cli.py"))
    sample_cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample_cli)
    sample_cli.terminal_plot({"loss": [3.0, 2.0, 1.5, 1.2]}, "curve")
    out = capsys.readouterr().out
    assert "curve" in out and "\x1b" not in out


def test_a_mistyped_command_or_optimizer_gets_did_you_mean(capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        main(["dmeo"])
    assert stop.value.code == 2 and "unknown command 'dmeo'" in capsys.readouterr().err
    code, _, err = run(capsys, "train", training_file(tmp_path), "--optimizer", "adma")
    assert code == 2 and "did you mean 'adam'?" in err
