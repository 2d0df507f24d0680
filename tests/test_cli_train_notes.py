"""What graphscope train says of a run besides its table: weights that will not train, a loss that barely moved
or grew far above its start, which accuracy the table shows, labels that are not whole numbers, and every bad part
of a --schedule."""
import pytest

from graphscope.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

NET = '''
import numpy as np
import graphscope as gs

def data():
    x, y = gs.data.spiral(n_per_class=30, seed=0)
    return x, y{labels}, x, y

def build():
    x, y, _, _ = data()
    rng = np.random.default_rng(0)
    X = gs.tensor(x, name="x")
    W1 = gs.{w1}(rng.normal(0, 1.0, (2, 30)), name="W1")
    b1 = gs.param(np.zeros(30), name="b1")
    W2 = gs.{w2}(rng.normal(0, 0.1, (30, 3)), name="W2")
    b2 = gs.param(np.zeros(3), name="b2")
    scores = gs.relu(X @ W1 + b1) @ W2 + b2
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y.astype(np.int64))
'''


def training_file(tmp_path, w1="param", labels="", w2="param"):
    path = tmp_path / "net.py"
    path.write_text(NET.format(w1=w1, w2=w2, labels=labels))
    return str(path)


def run(capsys, *args):
    code = main(["train", *map(str, args), "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_weight_written_as_gs_tensor_gets_a_note_before_training(capsys, tmp_path):
    note = "note: W1 is a gs.tensor, not a gs.param: it is not trained (make it gs.param to train it)"
    code, out, _ = run(capsys, training_file(tmp_path, w1="tensor"), "--epochs", "1")
    assert code == 0 and note in out.splitlines()
    assert out.index(note) < out.index("\nepoch ")   # before the table
    code, out, _ = run(capsys, training_file(tmp_path), "--epochs", "1")
    assert code == 0 and "gs.tensor" not in out


def test_two_weights_written_as_gs_tensor_get_a_note_each(capsys, tmp_path):
    code, out, _ = run(capsys, training_file(tmp_path, w1="tensor", w2="tensor"), "--epochs", "1")
    notes = [line for line in out.splitlines() if "is a gs.tensor, not a gs.param" in line]
    assert code == 0 and [n.split()[1] for n in notes] == ["W1", "W2"], out


def test_a_run_whose_loss_barely_moved_says_so_and_what_to_try(capsys, tmp_path):
    code, out, _ = run(capsys, training_file(tmp_path), "--epochs", "2", "--lr", "1e-5")
    line = next(line for line in out.splitlines() if line.startswith("the loss barely moved ("))
    assert code == 0 and line.endswith("): try a larger learning rate or more epochs")
    code, out, _ = run(capsys, training_file(tmp_path), "--epochs", "20", "--lr", "0.5")
    assert code == 0 and "barely moved" not in out and "the loss grew" not in out


def test_a_loss_far_above_its_start_is_named_whatever_the_accuracy(capsys, tmp_path):
    code, out, _ = run(capsys, training_file(tmp_path), "--epochs", "5", "--optimizer", "adam", "--lr", "30")
    line = next(line for line in out.splitlines() if line.startswith("the loss grew"))
    assert code == 0 and line.startswith("the loss grew far above its start (")
    assert "the learning rate is too high (lr 30)" in line and "try a smaller one (e.g. " in line


def test_the_verdicts_follow_the_losses():
    from graphscope.train.loss_trend import run_verdict
    assert run_verdict([2.3, 2.3], [2.3, 2.29], 0.01) == \
        "the loss barely moved (2.30 -> 2.29): try a larger learning rate or more epochs"
    assert run_verdict([2.3, 2.3], [2.3, 2.3], 0.01, blocked="dead units: layer of W1 99%") == (
        "the loss barely moved (2.30 -> 2.30): no learning rate can help, the layer diagnosis finds what stops it: "
        "dead units: layer of W1 99%")
    assert run_verdict([2.3, 1.0], [1.5, 0.5], 0.1) == ""
    grew = run_verdict([2.3, 50.0, 30.0], [40.0, 30.0], 10.0)
    assert grew.startswith("the loss grew far above its start (2.30 at the first step, up to 50 at iteration 2")
    rose = run_verdict([2.3, 2.6, 2.9, 3.2, 3.3], [2.75, 3.25], 0.5)
    assert rose.startswith("the loss rose (2.30 at the first step, 3.25 in the last epoch) where it should fall: "
                           "the learning rate may be too high (lr 0.5): try a smaller one (e.g. 0.05")
    assert run_verdict([2.3, 2.35], [2.33, 2.34], 0.01).startswith("the loss barely moved (2.30 -> 2.34)")


def test_every_bad_part_of_a_step_schedule_is_reported(capsys, tmp_path):
    code, out, err = run(capsys, training_file(tmp_path), "--schedule", "step:2:0")
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err == ("graphscope train: --schedule step:2:0: step:FACTOR:EVERY (lr = lr0 * FACTOR^(epoch // EVERY)): "
                   "FACTOR must be at most 1 (a decay: the rate is multiplied by it every EVERY epochs), got 2.0; "
                   "EVERY must be a whole number of epochs >= 1, got 0\n")  # the text named once
    code, out, err = run(capsys, training_file(tmp_path), "--schedule", "exp:-0.1")
    assert err == ("graphscope train: --schedule exp:-0.1: exp:K (lr = lr0 * e^(-K * epoch)): K must be a "
                   "non-negative number, got -0.1\n")
    code, _, err = run(capsys, training_file(tmp_path), "--schedule", "exp:0.1", "--lr", "-1")
    assert code == 2 and err.splitlines() == ["graphscope train: --lr must be a finite number greater than 0, got -1"]


def test_ctrl_c_while_an_epoch_is_recorded_counts_the_same_epochs_everywhere(capsys, tmp_path, monkeypatch):
    import json
    import graphscope.train.health as health
    summary, calls = health.epoch_summary, []

    def interrupted_in_the_third(stats, epoch=None):  # the history has the third epoch's row, the trainer not yet
        calls.append(epoch)
        if epoch == 3:
            raise KeyboardInterrupt
        return summary(stats, epoch)
    monkeypatch.setattr(health, "epoch_summary", interrupted_in_the_third)
    hist, ck = tmp_path / "h.json", tmp_path / "ck"
    code, out, err = run(capsys, training_file(tmp_path), "--epochs", "5", "--history", hist, "--checkpoint", ck)
    assert code == 130 and calls == [1, 2, 3]
    assert "interrupted: what follows shows the 2 epochs completed" in out
    assert f"history of the 2 epochs completed written to {hist}" in out and "note: the checkpoint" not in out
    assert "interrupted during epoch 3" in err and "(after epoch 2)" in err
    saved = json.loads(hist.read_text())
    assert len(saved["val_acc"]) == len(saved["lr"]) == 2 and [r["epoch"] for r in saved["layers"]] == [1, 2]


def test_a_label_that_is_no_whole_number_is_named_not_its_dtype(capsys, tmp_path):
    code, out, err = run(capsys, training_file(tmp_path, labels=" + 0.5"), "--epochs", "1")
    assert code == 2 and out == ""
    assert "class labels must be whole numbers: y_train[0] = 0.5 (90 of 90 labels are not)" in err
    assert "dtype" not in err
    code, _, _ = run(capsys, training_file(tmp_path, labels=".astype(float)"), "--epochs", "1")
    assert code == 0   # whole numbers held as floats are class labels


def test_the_table_says_what_its_accuracies_are_measured_on(capsys, tmp_path):
    code, out, _ = run(capsys, training_file(tmp_path), "--epochs", "2")
    lines = out.splitlines()
    last_row = max(i for i, line in enumerate(lines) if line.startswith("2 "))
    assert code == 0 and lines[last_row + 1] == ("(train acc: over the epoch's batches, in training mode, as the "
                                                 "weights moved; val acc: after the epoch, in eval mode)")
