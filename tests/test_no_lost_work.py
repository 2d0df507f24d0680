"""No lost work: Ctrl-C during training and a crash while a checkpoint is written keep the last good one."""
import json
import os

import numpy as np
import pytest

import graphscope as gs
from graphscope.cli import main
from graphscope.train import BatchEnd, EpochEnd, TrainingInterrupted
from graphscope.train.checkpoint import META

from train_helpers import SGD, spiral, two_layer

SPIRAL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples", "train_spiral.py")


@pytest.fixture(scope="module")
def data():
    return spiral(n_per_class=16)


def trainer(x, y, epochs=3, **kw):
    loss = two_layer(x, y, hidden=8, seed=1)
    return gs.Trainer(loss, SGD(loss.graph().params, 0.1), batch_size=16, epochs=epochs, seed=3, progress=False,
                      **kw)


def ctrl_c_at(epoch, batch):
    """A callback that raises KeyboardInterrupt at batch `batch` (1-based) of epoch `epoch` (0-based)."""
    def callback(event):
        if isinstance(event, BatchEnd) and event.epoch == epoch and event.batch == batch:
            raise KeyboardInterrupt
    return callback


def params_of(t):
    return [np.array(p.value, copy=True) for p in t.params]


def test_ctrl_c_during_training_keeps_the_last_good_checkpoint(data, tmp_path):
    x, y = data
    folder = tmp_path / "ck"
    t = trainer(x, y, checkpoint=folder, callbacks=[ctrl_c_at(epoch=1, batch=2)])
    with pytest.raises(TrainingInterrupted) as info:
        t.fit(x, y)
    assert str(info.value) == f"interrupted during epoch 2; the last good checkpoint is {folder} (after epoch 1)"
    assert isinstance(info.value, KeyboardInterrupt) and info.value.epoch == 1 and info.value.checkpoint == str(folder)
    assert t.history.stopped == "interrupted"
    assert sorted(os.listdir(folder))[1:] == [META] and len(os.listdir(folder)) == 2  # no temporary leftovers
    fresh = trainer(x, y)
    assert fresh.load_checkpoint(folder)["epoch"] == 1
    after_one = trainer(x, y, epochs=1)
    after_one.fit(x, y)
    for a, b in zip(params_of(fresh), params_of(after_one)):
        np.testing.assert_array_equal(a, b)  # exactly the state after epoch 1, not a half-trained one


def test_ctrl_c_in_the_first_epoch_says_nothing_was_saved(data, tmp_path):
    x, y = data
    with pytest.raises(TrainingInterrupted, match=r"^interrupted during epoch 1; no checkpoint was written to .*ck "
                                                  r"\(no epoch finished\)$"):
        trainer(x, y, checkpoint=tmp_path / "ck", callbacks=[ctrl_c_at(0, 1)]).fit(x, y)
    with pytest.raises(TrainingInterrupted, match=r"no checkpoint folder was given, nothing was saved to disk; "
                                                  r"in memory, the parameters keep what was trained"):
        trainer(x, y, callbacks=[ctrl_c_at(0, 1)]).fit(x, y)


@pytest.mark.parametrize("which", [1, 2], ids=["the arrays file", "checkpoint.json"])
def test_an_interrupted_checkpoint_write_keeps_the_previous_checkpoint(data, tmp_path, monkeypatch, which):
    """os.replace raising (a crash between write and rename) for the arrays file or for checkpoint.json."""
    x, y = data
    folder = tmp_path / "ck"
    t = trainer(x, y, epochs=1, checkpoint=folder)
    t.fit(x, y)
    before = {name: (folder / name).read_bytes() for name in os.listdir(folder)}
    real_replace, calls = os.replace, []

    def crash(src, dst):
        calls.append(dst)
        if len(calls) == which:
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    t.epochs = 2
    with pytest.raises(TrainingInterrupted) as info:
        t.fit(x, y)
    assert str(info.value) == (f"interrupted as the checkpoint of epoch 2 was written; that write was undone: the "
                               f"last good checkpoint is {folder} (after epoch 1)")
    assert info.value.epoch == 1 and t.epoch == 2  # trained in memory, not saved
    monkeypatch.undo()
    meta = json.loads((folder / META).read_text())
    assert meta["epoch"] == 1 and (folder / META).read_bytes() == before[META]
    assert (folder / meta["arrays"]).read_bytes() == before[meta["arrays"]]
    assert not [n for n in os.listdir(folder) if n.endswith(".tmp")]
    assert trainer(x, y).load_checkpoint(folder)["epoch"] == 1


def test_ctrl_c_after_the_new_checkpoint_is_in_place_names_it(data, tmp_path, monkeypatch):
    """Cut during the clean-up of the previous arrays file: the folder already holds epoch 2's checkpoint."""
    x, y = data
    folder = tmp_path / "ck"
    t = trainer(x, y, epochs=1, checkpoint=folder)
    t.fit(x, y)

    def interrupt(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "remove", interrupt)
    t.epochs = 2
    with pytest.raises(TrainingInterrupted) as info:
        t.fit(x, y)
    monkeypatch.undo()
    assert str(info.value) == (f"interrupted as the checkpoint of epoch 2 was written; it was finished first: the "
                               f"last good checkpoint is {folder} (after epoch 2)")
    assert info.value.epoch == 2 and info.value.checkpoint == str(folder)
    assert trainer(x, y).load_checkpoint(folder)["epoch"] == 2


def test_ctrl_c_while_the_first_checkpoint_is_written_says_none_was(data, tmp_path, monkeypatch):
    x, y = data
    folder = tmp_path / "ck"
    real_replace = os.replace

    def crash(src, dst):
        if str(dst).endswith(META):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(TrainingInterrupted) as info:
        trainer(x, y, epochs=2, checkpoint=folder).fit(x, y)
    assert str(info.value) == (f"interrupted as the checkpoint of epoch 1 was written; that write was undone: no "
                               f"checkpoint was written to {folder} (none had been before)")
    assert info.value.checkpoint is None


def test_graphscope_train_exits_130_with_one_line_on_ctrl_c(tmp_path, capsys, monkeypatch):
    from graphscope.train import trainer as trainer_module
    emit = trainer_module.Trainer._emit

    def interrupt_after_epoch_1(self, event):  # Ctrl-C as the first epoch's checkpoint is written
        emit(self, event)
        if isinstance(event, EpochEnd):
            raise KeyboardInterrupt

    monkeypatch.setattr(trainer_module.Trainer, "_emit", interrupt_after_epoch_1)
    folder = tmp_path / "ck"
    code = main(["train", SPIRAL, "--epochs", "3", "--no-progress", "--checkpoint", str(folder)])
    err = capsys.readouterr().err
    assert code == 130
    assert err == f"graphscope train: interrupted during epoch 2; the last good checkpoint is {folder} " \
                  f"(after epoch 1)\n"
    assert json.loads((folder / META).read_text())["epoch"] == 1
