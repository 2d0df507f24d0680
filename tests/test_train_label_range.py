"""Class labels outside the scores' classes are refused before training, naming the array, the index, the value and
the number of classes; an error after training started still writes --history for the epochs that finished."""
import json
import textwrap

import pytest

import graphscope as gs
from graphscope.cli import main

from cli_run import in_process
from train_helpers import SGD, spiral, two_layer

TRAINING_FILE = textwrap.dedent("""
    import numpy as np
    import graphscope as gs

    def data():
        rng = np.random.default_rng(0)
        x, y = rng.normal(size=(60, 2)), np.arange(60) % 3
        y_val = y.copy()
        y_val[5] = {bad_val}
        return x, y, x, y_val

    def build():
        rng = np.random.default_rng(0)
        W = gs.param(rng.normal(size=(2, 3)) * 0.1, name="W")
        scores = gs.tensor(np.zeros((8, 2)), name="x") @ W
        scores.name = "scores"
        return gs.softmax_cross_entropy(scores, np.zeros(8, dtype=int))
""")


@pytest.mark.parametrize("where, index, value", [("training", 0, 7), ("training", 4, -1), ("validation", 5, 9)])
def test_fit_names_the_array_the_index_and_the_classes(where, index, value):
    x, y = spiral(n_per_class=10)
    y_val = y.copy()
    loss = two_layer(x, y, hidden=4)
    trainer = gs.Trainer(loss, SGD(loss.graph().params, 0.1), epochs=1, progress=False)
    bad = y if where == "training" else y_val
    bad[index] = value
    name = "y_train" if where == "training" else "y_val"
    with pytest.raises(gs.GraphscopeError, match=rf"^fit: {where} data: {name}\[{index}\] is {value}, but the scores "
                                                 rf"have 3 classes, so a label must lie in 0\.\.2 \(1 of 30 labels is "
                                                 rf"out of range\)$"):
        trainer.fit(x, y, x, y_val)
    assert trainer.history.epochs == 0


def test_the_command_names_data_and_the_array_before_training(capsys, tmp_path):
    path = tmp_path / "t.py"
    path.write_text(TRAINING_FILE.format(bad_val=9))
    code, out, err = in_process(main, capsys, "train", path, "--history", tmp_path / "h.json", "--no-progress")
    assert (code, out) == (2, "")
    assert err == (f"graphscope train: {path}'s data(): validation data: y_val[5] is 9, but the scores have 3 "
                   f"classes, so a label must lie in 0..2 (1 of 60 labels is out of range)\n")
    assert not (tmp_path / "h.json").exists()


def test_an_error_after_the_first_epoch_still_writes_the_history_of_the_epochs_done(capsys, tmp_path, monkeypatch):
    path = tmp_path / "t.py"
    path.write_text(TRAINING_FILE.format(bad_val=1))
    real, steps = gs.Trainer._step, []

    def step(self, xb, yb):  # 60 examples, batch 64: one step per epoch; the third fails
        steps.append(1)
        if len(steps) == 3:
            raise gs.GraphscopeError("a failure in epoch 3")
        return real(self, xb, yb)
    monkeypatch.setattr(gs.Trainer, "_step", step)
    code, out, err = in_process(main, capsys, "train", path, "--epochs", "5", "--history", tmp_path / "h.json",
                                "--no-progress")
    assert code == 2 and "a failure in epoch 3" in err
    assert "stopped by an error: what follows shows the 2 epochs completed" in out
    assert len(json.loads((tmp_path / "h.json").read_text())["train_acc"]) == 2
