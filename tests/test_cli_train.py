"""graphscope train / graphscope search on samples/train_spiral.py."""
import json
import os
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


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_bad_options_get_one_line_each_and_exit_2(capsys):
    code, out, err = run(capsys, "train", SPIRAL, "--lr", "-1", "--batch-size", "0", "--epochs", "0",
                         "--reg", "-0.5")
    assert code == 2 and out == ""
    assert err.splitlines() == ["graphscope train: --lr must be a finite number greater than 0, got -1",
                                "graphscope train: --epochs must be at least 1, got 0",
                                "graphscope train: --batch-size must be at least 1, got 0",
                                "graphscope train: --reg must be a number >= 0, got -0.5"]
    code, _, err = run(capsys, "search", SPIRAL, "--lr-range", "1", "0.1", "--trials", "0")
    assert code == 2
    assert err.splitlines() == ["graphscope search: --lr-range 1 0.1: needs 0 < LOW <= HIGH",
                                "graphscope search: --trials must be at least 1, got 0"]


def test_a_file_without_data_is_told_what_to_add(capsys, tmp_path):
    path = tmp_path / "nodata.py"
    path.write_text("import graphscope as gs\n\ndef build():\n    return gs.param(1.0) * 2\n")
    code, _, err = run(capsys, "train", str(path))
    assert code == 2
    assert "does not define data(): add a function data() that returns (x_train, y_train, x_val, y_val)" in err
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


def test_resume_continues_to_the_same_result(capsys, tmp_path, optim):
    common = ["--optimizer", "sgd", "--lr", "0.5", "--batch-size", "32"]
    assert main(["train", SPIRAL, *common, "--epochs", "4", "--history", str(tmp_path / "a.json")]) == 0
    assert main(["train", SPIRAL, *common, "--epochs", "2", "--checkpoint", str(tmp_path / "ck")]) == 0
    assert main(["train", SPIRAL, *common, "--epochs", "4", "--resume", str(tmp_path / "ck"),
                 "--history", str(tmp_path / "b.json")]) == 0
    out = capsys.readouterr().out
    assert "resumed from" in out and "after epoch 2" in out
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json"))
    assert a["loss"] == b["loss"] and a["val_acc"] == b["val_acc"]


def test_unknown_optimizer_and_bad_schedule_exit_2(capsys, optim):
    code, _, err = run(capsys, "train", SPIRAL, "--optimizer", "nosuch")
    assert code == 2 and len(err.splitlines()) == 1 and "--optimizer nosuch" in err
    code, _, err = run(capsys, "train", SPIRAL, "--schedule", "bogus")
    assert code == 2 and len(err.splitlines()) == 1 and "--schedule bogus" in err


def test_sanity_flag_prints_each_check_with_a_verdict(capsys, optim):
    code, out, _ = run(capsys, "train", SPIRAL, "--sanity", "--lr", "1.0")
    assert code == 0, out
    lines = [line for line in out.splitlines() if line.startswith("[")]
    assert len(lines) == 3 and all(line.startswith("[ok  ]") for line in lines)
    assert "log(C) = log(3)" in lines[0] and "overfit 20 examples" in lines[2]


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
    assert [r.split()[0] for r in rows] == ["1", "2", "3", "4", "5"]
    assert sorted(r.split()[1] for r in rows) == ["coarse"] * 3 + ["fine"] * 2
    assert "graphscope train" in lines[-1] and "--lr" in lines[-1] and "--reg" in lines[-1]


def test_help_lists_the_commands():
    proc = subprocess.run([sys.executable, "-m", "graphscope", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert "train" in proc.stdout and "search" in proc.stdout
