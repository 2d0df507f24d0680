"""graphscope train / graphscope search on samples/train_spiral.py."""
import json
import os
import re
import shlex
import subprocess
import sys

import pytest

from graphscope.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPIRAL = os.path.join(ROOT, "samples", "train_spiral.py")


@pytest.fixture
def optim():
    """The optimizers the commands build by name (gs.optim)."""
    try:
        import graphscope.optim as optim
    except ImportError:
        pytest.skip("graphscope.optim (the optimizers the CLI builds by name) is not in this checkout")
    return optim


def table_rows(out):
    """The history table's rows (epoch, loss, accuracies, val loss, lr), without the time column."""
    return [line.split()[:6] for line in out.splitlines() if re.match(r"\d+ +\d", line) and "┤" not in line]


def epochs_in_table(out):
    return [row[0] for row in table_rows(out)]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_bad_options_get_one_line_each_and_exit_2(capsys):
    code, out, err = run(capsys, "train", SPIRAL, "--lr", "-1", "--batch-size", "0", "--epochs", "0",
                         "--reg", "-0.5", "--seed", "-1")
    assert code == 2 and out == ""
    assert err.splitlines() == ["graphscope train: --lr must be a finite number greater than 0, got -1",
                                "graphscope train: --epochs must be at least 1, got 0",
                                "graphscope train: --batch-size must be at least 1, got 0",
                                "graphscope train: --reg must be a number >= 0, got -0.5",
                                "graphscope train: --seed must be a whole number >= 0, got -1"]
    code, _, err = run(capsys, "search", SPIRAL, "--lr-range", "1", "0.1", "--trials", "0")
    assert code == 2
    assert err.splitlines() == ["graphscope search: --lr-range 1 0.1: needs 0 < LOW <= HIGH",
                                "graphscope search: --trials must be a whole number from 1 to 1,000, got 0"]


def test_a_file_without_data_is_told_what_to_add(capsys, tmp_path):
    path = tmp_path / "nodata.py"
    path.write_text("import graphscope as gs\n\ndef build():\n    return gs.param(1.0) * 2\n")
    code, _, err = run(capsys, "train", str(path))
    assert code == 2
    assert "does not define data(): add a function data() that returns (x_train, y_train, x_val, y_val)" in err
    assert err.count("data()") == 2  # said once: 'does not define data(): add a function data() ...'
    path.write_text("import numpy as np\nimport graphscope as gs\n\ndef build():\n    return gs.param(1.0) * 2\n\n"
                    "def data():\n    return np.zeros((3, 2)), np.zeros(3)\n")
    code, _, err = run(capsys, "train", str(path))
    assert code == 2 and "data() returned a 2-tuple; it must return (x_train, y_train, x_val, y_val)" in err


def test_train_prints_the_table_and_curve_and_writes_history_plot_and_checkpoint(capsys, tmp_path, optim):
    hist, png, ck = tmp_path / "h.json", tmp_path / "p.png", tmp_path / "ck"
    code, out, err = run(capsys, "train", SPIRAL, "--optimizer", "sgd", "--lr", "0.5", "--epochs", "60",
                         "--batch-size", "32", "--reg", "1e-4", "--history", str(hist), "--plot", str(png),
                         "--checkpoint", str(ck))
    assert code == 0, err
    assert f"training {SPIRAL}: 300 examples, 300 for validation; SGD lr 0.5" in out
    header = next(line for line in out.splitlines() if line.startswith("epoch"))
    assert header.split()[:4] == ["epoch", "loss", "train", "acc"]
    assert "training loss" in out and "iteration" in out  # the terminal curve
    saved = json.loads(hist.read_text())
    assert len(saved["loss"]) == 60 * 10 and len(saved["val_acc"]) == 60
    assert saved["settings"]["lr"] == 0.5 and saved["settings"]["batch_size"] == 32
    assert saved["val_acc"][-1] >= 0.9
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((ck / "checkpoint.json").read_text())["epoch"] == 60


def test_resume_goes_on_with_the_checkpoint_settings_to_the_uninterrupted_result(capsys, tmp_path, optim):
    settings = ["--optimizer", "sgd", "--lr", "0.5", "--batch-size", "32", "--reg", "1e-4", "--schedule", "exp:0.1"]
    ck = tmp_path / "ck"
    assert main(["train", SPIRAL, *settings, "--epochs", "4", "--history", str(tmp_path / "a.json")]) == 0
    assert main(["train", SPIRAL, *settings, "--epochs", "2", "--checkpoint", str(ck)]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "train", SPIRAL, "--epochs", "4", "--resume", str(ck), "--history",
                         str(tmp_path / "b.json"))
    assert code == 0, err
    header = out.splitlines()[0]
    assert "SGD lr 0.5 (exp:0.1), batch 32, reg 0.0001, float32, 4 epochs" in header
    assert header.endswith(f"resuming after epoch 2 of 4 (from {ck})")
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json"))
    assert a["loss"] == b["loss"] and a["val_acc"] == b["val_acc"] and a["lr"] == b["lr"]
    whole, resumed = (run(capsys, "train", SPIRAL, *settings, "--epochs", "4")[1], out)
    assert table_rows(whole) == table_rows(resumed)  # the saved epochs as they were (time aside)


def test_resume_refuses_options_that_contradict_the_checkpoint_and_says_when_nothing_is_left(capsys, tmp_path, optim):
    ck = tmp_path / "ck"
    assert main(["train", SPIRAL, "--lr", "0.5", "--batch-size", "32", "--schedule", "exp:0.1", "--epochs", "2",
                 "--checkpoint", str(ck), "--no-progress"]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "train", SPIRAL, "--epochs", "3", "--resume", str(ck), "--optimizer", "adam",
                         "--lr", "0.01", "--batch-size", "32", "--schedule", "inv:0.1", "--dtype", "float64")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"graphscope train: --optimizer adam: the checkpoint {ck} was trained with --optimizer sgd",
        f"graphscope train: --lr 0.01: the checkpoint {ck} was trained with --lr 0.5",
        f"graphscope train: --dtype float64: the checkpoint {ck} was trained with --dtype float32",
        f"graphscope train: --schedule inv:0.1: the checkpoint {ck} was trained with --schedule exp:0.1"]
    code, out, err = run(capsys, "train", SPIRAL, "--epochs", "1", "--resume", str(ck))
    assert code == 2 and out == ""
    assert err == (f"graphscope train: nothing to train: the checkpoint {ck} has 2 epochs, --epochs 1 (the total, "
                   f"not the epochs to add: give --epochs 3 or more to train further)\n")
    code, _, err = run(capsys, "train", SPIRAL, "--resume", str(ck))  # its run is complete
    assert code == 2 and "has all 2 epochs of its run; give --epochs 3 or more" in err


UNKNOWN = "--optimizer foo: unknown optimizer 'foo'; known: sgd, momentum, nesterov, adagrad, rmsprop, adam"
TWO_LAYER = os.path.join(ROOT, "samples", "two_layer.py")


@pytest.mark.parametrize("command, others, lines", [
    (["train", SPIRAL], ["--lr", "-1", "--batch-size", "0"],
     ["--lr must be a finite number greater than 0, got -1", "--batch-size must be at least 1, got 0"]),
    (["train", SPIRAL], ["--epochs", "0"], ["--epochs must be at least 1, got 0"]),
    (["search", SPIRAL], ["--epochs", "0"], ["--epochs must be at least 1, got 0"]),
    (["tui", TWO_LAYER], ["--lr", "-1"], ["--lr must be a finite number greater than 0, got -1"]),
    (["export", TWO_LAYER, "-o", "never.svg"], ["--lr", "-1"], ["--lr must be a finite number greater than 0, got -1"]),
    (["demo", "--text"], ["--lr", "0"], ["--lr must be a finite number greater than 0, got 0"]),
])
def test_an_unknown_optimizer_is_reported_with_the_other_bad_options(capsys, optim, tmp_path, monkeypatch, command,
                                                                      others, lines):
    """Every bad option gets its line, the unknown optimizer's too (it was left out when another one was bad)."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *command, "--optimizer", "foo", *others)
    name = command[0]
    assert code == 2 and out == "" and err.splitlines() == [f"graphscope {name}: {line}" for line in [UNKNOWN] + lines]
    assert not os.listdir(tmp_path)


def test_an_unknown_optimizer_in_the_files_settings_is_reported_with_the_bad_options(capsys, tmp_path):
    path = tmp_path / "net.py"
    path.write_text(open(SPIRAL).read() + "\n\ndef settings():\n    return {'optimizer': 'adma'}\n")
    code, _, err = run(capsys, "train", str(path), "--epochs", "0")
    assert code == 2 and err.splitlines() == [
        "graphscope train: --epochs must be at least 1, got 0",
        "graphscope train: optimizer of net.py's settings() adma: unknown optimizer 'adma'; known: sgd, momentum, "
        "nesterov, adagrad, rmsprop, adam; did you mean 'adam'?"]


def test_unknown_optimizer_and_bad_schedule_exit_2(capsys, optim):
    code, _, err = run(capsys, "train", SPIRAL, "--optimizer", "nosuch")
    assert code == 2 and len(err.splitlines()) == 1 and "--optimizer nosuch" in err
    code, _, err = run(capsys, "train", SPIRAL, "--schedule", "bogus")
    assert code == 2 and len(err.splitlines()) == 1 and "--schedule bogus" in err


def test_sanity_passes_on_the_sample_as_its_docstring_suggests(capsys, optim):
    with open(SPIRAL) as f:
        assert "    graphscope train samples/train_spiral.py --sanity\n" in f.read()
    for lr, said in ((None, "lr 0.5, no regularization"),  # settings()'s lr
                     ("0.01", "at lr 0.01: 80% after 1000 steps: too small a learning rate")):
        code, out, _ = run(capsys, "train", SPIRAL, "--sanity", *(("--lr", lr) if lr else ()))
        assert code == 0, out
        lines = [line for line in out.splitlines() if line.startswith("[")]
        assert len(lines) == 3 and all(line.startswith("[ok  ]") for line in lines)
        assert "to log(3) = 1.099" in lines[0] and "overfit 20 examples: 100% training accuracy" in lines[2]
        assert said in lines[2]
        assert out.splitlines()[-1] == "sanity checks passed"


BATCHNORM_DIGITS = """
import graphscope as gs
x, y = gs.data.digits()
x_train, y_train, x_val, y_val = gs.data.train_val_split(x, y, val_fraction=0.2, seed=0)
x_train, x_val = gs.data.standardize(x_train, x_val)

def data():
    return x_train, y_train, x_val, y_val

def build():
    net = gs.nn.MLP([64, 64, 64, 10], batchnorm=True, rng=0)
    return gs.softmax_cross_entropy(net(gs.tensor(x_train[:32], name="x")), y_train[:32])
"""


def test_sanity_passes_a_default_batch_norm_mlp_and_prints_both_figures(capsys, optim, tmp_path):
    pytest.importorskip("sklearn")
    path = tmp_path / "bn_digits.py"
    path.write_text(BATCHNORM_DIGITS)
    code, out, _ = run(capsys, "train", str(path), "--sanity")
    first = next(line for line in out.splitlines() if "initial loss" in line)
    assert code == 0 and first.startswith("[ok  ]"), out
    assert re.search(r"initial loss: 2\.\d+, expected about 2\.\d+ for these initial scores \(\d+% off\); their "
                     r"spread [\d.]+ across classes adds [\d.]+ to log\(10\) = 2\.303", first), first


def test_sanity_refuses_the_options_of_a_run(capsys, tmp_path):
    code, out, err = run(capsys, "train", SPIRAL, "--sanity", "--plot", str(tmp_path / "p.png"),
                         "--history", str(tmp_path / "h.json"))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "graphscope train: --plot: --sanity only checks the model before training (no run to draw); "
        "leave out one of them",
        "graphscope train: --history: --sanity only checks the model before training (no run to write); "
        "leave out one of them"]


def test_every_output_is_checked_before_training(capsys, tmp_path):
    missing = tmp_path / "missing"
    code, out, err = run(capsys, "train", SPIRAL, "--history", str(missing / "h.json"), "--checkpoint",
                         str(tmp_path / "h.json" / "ck"), "--epochs", "1")
    assert code == 2 and out == ""  # nothing trained
    assert err.splitlines() == [f"graphscope train: --history {missing / 'h.json'}: the folder {missing} does not "
                                f"exist"]
    (tmp_path / "afile").write_text("")
    for plot, problem in ((tmp_path / "x.bmp", "ends in .bmp; the plot is written as .eps, .gif, .jpg"),
                          (missing / "c.png", f"the folder {missing} does not exist"),
                          (tmp_path, "is a folder; give a file name")):
        code, out, err = run(capsys, "train", SPIRAL, "--plot", str(plot), "--epochs", "1")
        assert code == 2 and out == "" and err.startswith(f"graphscope train: --plot {plot}: {problem}")
    code, out, err = run(capsys, "train", SPIRAL, "--checkpoint", str(tmp_path / "afile" / "ck"), "--epochs", "1")
    assert code == 2 and out == "" and err == (f"graphscope train: --checkpoint {tmp_path / 'afile' / 'ck'}: "
                                               f"{tmp_path / 'afile'} is a file, not a folder\n")
    code, _, err = run(capsys, "train", SPIRAL, "--plot", str(tmp_path / "c.jpg"), "--epochs", "1", "--no-progress")
    assert code == 0, err  # a format matplotlib writes
    assert (tmp_path / "c.jpg").read_bytes()[:2] == b"\xff\xd8"


def test_plot_without_matplotlib_is_refused_before_training(capsys, tmp_path, monkeypatch):
    import graphscope.viz.curves as curves
    monkeypatch.setattr(curves, "plot_formats", lambda: ())  # what it finds when matplotlib is not installed
    code, out, err = run(capsys, "train", SPIRAL, "--plot", str(tmp_path / "c.png"))
    assert code == 2 and out == ""
    assert err == (f"graphscope train: --plot {tmp_path / 'c.png'}: the plot needs matplotlib: "
                   f"pip install -e '.[plot]' (in graphscope's checkout)\n")


def interrupt_after(monkeypatch, epochs):
    """Ctrl-C right after the trainer's `epochs`-th epoch ends (as a user would press it, between batches)."""
    from graphscope.train import EpochEnd
    from graphscope.train import trainer as trainer_module
    emit = trainer_module.Trainer._emit

    def emit_then_interrupt(self, event):
        emit(self, event)
        if isinstance(event, EpochEnd) and event.epoch + 1 == epochs:
            raise KeyboardInterrupt
    monkeypatch.setattr(trainer_module.Trainer, "_emit", emit_then_interrupt)


def test_ctrl_c_prints_the_table_and_writes_history_and_plot_of_the_epochs_completed(capsys, tmp_path, monkeypatch,
                                                                                      optim):
    interrupt_after(monkeypatch, 3)
    hist, png = tmp_path / "h.json", tmp_path / "c.png"
    code, out, err = run(capsys, "train", SPIRAL, "--epochs", "10", "--batch-size", "64", "--no-progress",
                         "--history", str(hist), "--plot", str(png))
    assert code == 130 and len(err.splitlines()) == 1 and err.startswith("graphscope train: interrupted")
    assert "interrupted: what follows shows the 3 epochs completed" in out
    assert epochs_in_table(out) == ["1", "2", "3"]
    assert f"history of the 3 epochs completed written to {hist}" in out and "plot of the 3 epochs" in out
    saved = json.loads(hist.read_text())
    assert saved["stopped"] == "interrupted" and len(saved["val_acc"]) == 3 and len(saved["loss"]) == 3 * 5
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ctrl_c_in_search_prints_the_finished_trials_and_the_best_command(capsys, monkeypatch, optim):
    search_module = sys.modules["graphscope.train.search"]
    trial, calls = search_module._trial, []

    def third_is_interrupted(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return trial(*args, **kw)
    monkeypatch.setattr(search_module, "_trial", third_is_interrupted)
    code, out, err = run(capsys, "search", SPIRAL, "--trials", "5", "--epochs", "1", "--no-progress")
    assert code == 130
    assert err == ("graphscope search: interrupted during trial 3 of 10; 2 trials had finished; -o FILE.json would "
                   "keep them (--resume FILE.json goes on)\n")
    lines = out.splitlines()
    start = lines.index("interrupted: the trials that finished") + 2
    assert lines[start].startswith("rank") and [r[:1] for r in lines[start + 1:start + 4]] == ["1", "2", "r"]
    assert " ".join(lines[start + 3:start + 6]) == (
        "ranked by validation accuracy, then training accuracy, then validation loss (coarse trials train 1 epoch); "
        "loss: the last epoch's, with the reg term (reg * sum ||W||^2); val loss: without it")
    assert lines[-1].startswith(f"  graphscope train {SPIRAL} --lr ")


def test_divergence_exits_1_naming_the_node(capsys, optim, tmp_path):
    code, out, err = run(capsys, "train", SPIRAL, "--lr", "1e30", "--epochs", "3", "--history",
                         str(tmp_path / "h.json"))
    assert code == 1
    saved = json.loads((tmp_path / "h.json").read_text())
    assert saved["stopped"] == "diverged" and "history up to the divergence" in out
    assert err.startswith("graphscope train: training diverged: the loss is")
    assert "try a smaller learning rate" in err and "Traceback" not in err


def test_search_prints_a_sorted_table_and_the_best_command(capsys, optim):
    code, out, err = run(capsys, "search", SPIRAL, "--trials", "3", "--fine-trials", "2", "--epochs", "2",
                         "--batch-size", "50", "--lr-range", "1e-3", "1")
    assert code == 0, err
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("rank"))
    rows = lines[start + 1:start + 6]
    assert [r.split()[:2] for r in rows] == [["1", "fine"], ["2", "fine"], ["1", "coarse"], ["2", "coarse"],
                                             ["3", "coarse"]]  # ranked within each round, the fine one first
    assert "graphscope train" in lines[-1] and "--lr" in lines[-1] and "--reg" in lines[-1]


def test_search_suggests_the_command_that_repeats_its_best_trial(capsys, tmp_path, optim):
    code, out, err = run(capsys, "search", SPIRAL, "--trials", "2", "--fine-trials", "1", "--epochs", "2",
                         "--batch-size", "50", "--seed", "3", "--dtype", "float64", "--reg-range", "0", "0",
                         "--no-progress")
    assert code == 0, err
    assert "no regularization" in out.splitlines()[0]
    lines = out.splitlines()
    best = next(line for line in lines if line.endswith("\u2190 best")).split()[:-2]  # ..., val acc, val loss
    command = shlex.split(lines[-1])
    assert command[:3] == ["graphscope", "train", SPIRAL]
    assert float(command[command.index("--reg") + 1]) == 0  # given: settings() regularizes
    epochs = {"coarse": "2", "fine": "4"}[best[1]]
    for option, value in (("--seed", "3"), ("--dtype", "float64"), ("--batch-size", "50"), ("--epochs", epochs)):
        assert command[command.index(option) + 1] == value
    assert main(command[1:] + ["--history", str(tmp_path / "h.json"), "--no-progress"]) == 0
    again = json.loads((tmp_path / "h.json").read_text())
    assert f"{100 * again['val_acc'][-1]:.1f}%" == best[-2] and f"{again['lr'][0]:.3g}" == best[2]
    code, _, err = run(capsys, "search", SPIRAL, "--reg-range", "0", "1e-2")
    assert code == 2 and err.startswith("graphscope search: --reg-range 0 0.01: needs 0 < LOW <= HIGH, or 0 0 for no "
                                        "regularization: the values are spread evenly in log scale")


def test_headers_say_what_a_run_really_does(capsys, optim):
    code, out, _ = run(capsys, "train", SPIRAL, "--batch-size", "100000", "--epochs", "1", "--no-progress")
    assert code == 0
    assert out.splitlines()[0].endswith("SGD lr 0.5 (exp:0.01), batch 300 (all of them: --batch-size 100000 is "
                                        "more than the 300 examples), reg 0.0001, float32, 1 epoch")


def test_running_the_sample_trains_it_and_prints_the_table():
    proc = subprocess.run([sys.executable, SPIRAL, "--epochs", "3", "--no-progress"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == ("$ graphscope train samples/train_spiral.py --optimizer sgd --lr 0.5 --schedule exp:0.01 "
                        "--epochs 3 --batch-size 32 --reg 1e-4 --no-progress")
    assert epochs_in_table(proc.stdout) == ["1", "2", "3"]


def test_help_lists_the_commands():
    proc = subprocess.run([sys.executable, "-m", "graphscope", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert "train" in proc.stdout and "search" in proc.stdout
