"""Checkpoints never lose a run: a new run refuses a folder holding one (or other files); --resume checks the
training file, the model (first) and the optimizer's hyperparameters; Ctrl-C during a write lets it finish and
says so; outputs are checked before training."""
import json
import os
import signal

import pytest

import graphscope as gs
from graphscope.cli import main
from graphscope.train import TrainingInterrupted
from graphscope.train import checkpoint as ckpt
from graphscope.train.checkpoint import META, CheckpointError
from graphscope.util.atomic import folder_problem, write_problem
from graphscope.util.interrupts import interrupts_held

from train_helpers import SGD, spiral, two_layer

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
SPIRAL = os.path.join(SAMPLES, "train_spiral.py")
needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")


@pytest.fixture(scope="module")
def data():
    return spiral(n_per_class=16)


def trainer(x, y, epochs=2, opt=SGD, **kw):
    loss = two_layer(x, y, hidden=8, seed=1)
    return gs.Trainer(loss, opt(loss.graph().params, 0.1), batch_size=16, epochs=epochs, seed=3, progress=False,
                      **kw)


def train(*argv):
    return main(["train", *argv, "--no-progress"])


# ---------------------------------------------------------------- a new run never replaces a checkpoint
def test_a_new_run_refuses_a_folder_holding_a_checkpoint_unless_told_to_replace_it(data, tmp_path):
    x, y = data
    folder = tmp_path / "ck"
    trainer(x, y, 3, checkpoint=folder).fit(x, y)
    before = (folder / META).read_bytes()
    with pytest.raises(CheckpointError, match=r"holds epoch 3 of .*train_helpers\.py with SGD.*load_checkpoint.*"
                                              r"overwrite_checkpoint=True"):
        trainer(x, y, 1, checkpoint=folder).fit(x, y)
    assert (folder / META).read_bytes() == before
    trainer(x, y, 1, checkpoint=folder, overwrite_checkpoint=True).fit(x, y)
    assert json.loads((folder / META).read_text())["epoch"] == 1
    resumed = trainer(x, y, 2, checkpoint=folder)  # going on with the run it holds is fine
    resumed.load_checkpoint(folder)
    resumed.fit(x, y)
    assert json.loads((folder / META).read_text())["epoch"] == 2


def test_a_folder_of_other_files_is_refused_and_leftovers_of_a_killed_write_are_not(data, tmp_path):
    x, y = data
    other = tmp_path / "notck"
    other.mkdir()
    (other / "readme.txt").write_text("mine")
    for overwrite in (False, True):
        with pytest.raises(CheckpointError, match=r"notck is not empty and holds no checkpoint \(readme\.txt\)"):
            trainer(x, y, 1, checkpoint=other, overwrite_checkpoint=overwrite).fit(x, y)
    assert os.listdir(other) == ["readme.txt"]
    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / "arrays-0123456789abcdef.npz").write_bytes(b"half")
    (killed / f".{META}.x1y2.tmp").write_bytes(b"{")
    trainer(x, y, 1, checkpoint=killed).fit(x, y)
    meta = json.loads((killed / META).read_text())
    assert sorted(os.listdir(killed)) == sorted([META, meta["arrays"]])  # the stale files are gone


def test_train_refuses_to_replace_a_checkpoint_naming_what_it_holds(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert train(SPIRAL, "--epochs", "2", "--optimizer", "adam", "--lr", "0.01", "--checkpoint", "ck") == 0
    capsys.readouterr()
    assert train(SPIRAL, "--epochs", "1", "--checkpoint", "ck") == 2
    out, err = capsys.readouterr()
    assert "training" not in out
    assert (f"--checkpoint ck holds epoch 2 of {SPIRAL} with Adam (lr 0.01); a new run would replace it: use "
            f"--resume ck to continue it, give another folder, or --overwrite to replace it") in err
    assert train(SPIRAL, "--epochs", "1", "--checkpoint", "ck", "--overwrite") == 0
    assert json.loads((tmp_path / "ck" / META).read_text())["optimizer"]["type"] == "SGD"
    (tmp_path / "notck").mkdir()
    (tmp_path / "notck" / "readme.txt").write_text("x")
    capsys.readouterr()
    assert train(SPIRAL, "--epochs", "1", "--checkpoint", "notck", "--overwrite") == 2
    assert "--checkpoint notck is not empty and holds no checkpoint (readme.txt)" in capsys.readouterr().err
    assert main(["tui", SPIRAL, "--checkpoint", "ck"]) == 2  # the training screen's --checkpoint: the same rule
    assert (f"use graphscope tui {SPIRAL} --resume ck (or graphscope train {SPIRAL} --resume ck) to continue it, "
            f"give another folder, or --overwrite to replace it") in capsys.readouterr().err


# ---------------------------------------------------------------- --resume checks the file, the model, the optimizer
def _training_file(path, hidden):
    path.write_text(f'''
import numpy as np
import graphscope as gs

def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64), None, None

def build():
    x, y, _, _ = data()
    rng = np.random.default_rng(1)
    W = gs.param(rng.normal(scale=0.1, size=(2, {hidden})), name="fc1.W")
    V = gs.param(rng.normal(scale=0.1, size=({hidden}, 2)), name="fc2.W")
    loss = gs.softmax_cross_entropy(gs.relu(gs.tensor(x[:8], name="x") @ W) @ V, y[:8])
    return loss
''')


def test_resume_checks_the_training_file_then_the_model_before_the_epochs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _training_file(tmp_path / "a.py", 4)
    assert train("a.py", "--epochs", "2", "--checkpoint", "ck") == 0
    meta = json.loads((tmp_path / "ck" / META).read_text())
    assert meta["file"] == "a.py" and [(p["name"], p["shape"]) for p in meta["params"]] == \
        [("fc1.W", [2, 4]), ("fc2.W", [4, 2])]
    _training_file(tmp_path / "b.py", 4)
    capsys.readouterr()
    assert train("b.py", "--resume", "ck", "--epochs", "3") == 2
    assert ("--resume ck: it holds a run of a.py, not of b.py; resume it with graphscope train a.py --resume ck"
            in capsys.readouterr().err)
    _training_file(tmp_path / "a.py", 6)  # the same file now builds another model
    assert train("a.py", "--resume", "ck", "--epochs", "2") == 2  # 2 epochs are done: the model is still named
    err = capsys.readouterr().err
    assert "saved from another model: shapes differ: fc1.W (2, 4) (this model: (2, 6))" in err
    assert "nothing to train" not in err and "no bias" not in err


def test_the_batch_norm_hint_only_when_the_biases_before_batch_norm_are_the_difference(data, tmp_path):
    x, y = data

    def mlp_trainer(batchnorm):
        net = gs.nn.MLP([2, 8, 3], batchnorm=batchnorm, rng=0)
        loss = gs.softmax_cross_entropy(net(gs.tensor(x[:16], name="x")), y[:16])
        return gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), epochs=3, progress=False)

    mlp_trainer(False).save_checkpoint(tmp_path / "ck")  # fc1.W, fc1.b, fc2.W, fc2.b: no batch norm at all
    with pytest.raises(CheckpointError) as err:
        mlp_trainer(True).load_checkpoint(tmp_path / "ck")
    message = str(err.value)
    assert "(only the checkpoint has fc1.b; only this model has bn1.gamma, bn1.beta)" in message
    assert "no bias" not in message and "batchnorm=True" not in message  # batch norm is new, not fc1.b's loss


def test_an_optimizer_hyperparameter_that_differs_is_refused_naming_both_values(data, tmp_path):
    x, y = data
    loss = two_layer(x, y, hidden=8, seed=1)
    saved = gs.Trainer(loss, gs.optim.RMSProp(loss.graph().params, lr=0.01), epochs=1, progress=False)
    saved.fit(x, y)
    saved.save_checkpoint(tmp_path / "ck")
    loss = two_layer(x, y, hidden=8, seed=1)
    other = gs.Trainer(loss, gs.optim.RMSProp(loss.graph().params, lr=0.01, alpha=0.9), epochs=2, progress=False)
    with pytest.raises(CheckpointError, match=r"saved by RMSProp with alpha 0\.99 \(this optimizer: 0\.9\)"):
        other.load_checkpoint(tmp_path / "ck")
    assert other.optimizer.hyper["alpha"] == 0.9 and other.epoch == 0  # nothing was changed


def test_a_resumed_runs_history_says_where_its_settings_came_from(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert train(SPIRAL, "--epochs", "1", "--checkpoint", "ck") == 0
    assert train(SPIRAL, "--resume", "ck", "--epochs", "2", "--history", "h.json") == 0
    origins = json.loads((tmp_path / "h.json").read_text())["settings"]["from"]
    assert origins["epochs"] == "given" and origins["lr"] == "checkpoint" and origins["optimizer"] == "checkpoint"


# ---------------------------------------------------------------- Ctrl-C during a write, and its cost
def test_interrupts_held_runs_the_block_whole_then_raises():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("after the signal")
    assert done == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_during_the_write_lets_it_finish_and_says_that_epoch_is_saved(data, tmp_path, monkeypatch):
    x, y = data
    folder = tmp_path / "ck"
    t = trainer(x, y, 3, checkpoint=folder)
    real_dumps, writes = json.dumps, []

    def ctrl_c_in_second_write(*args, **kw):  # a real SIGINT, in the middle of epoch 2's checkpoint write
        writes.append(1)
        if len(writes) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return real_dumps(*args, **kw)

    monkeypatch.setattr(ckpt.json, "dumps", ctrl_c_in_second_write)
    with pytest.raises(TrainingInterrupted) as info:
        t.fit(x, y)
    monkeypatch.undo()
    assert str(info.value) == (f"interrupted as the checkpoint of epoch 2 was written; it was finished first: "
                               f"the last good checkpoint is {folder} (after epoch 2)")
    meta = json.loads((folder / META).read_text())
    assert meta["epoch"] == 2 == t.history.epochs == info.value.epoch
    assert sorted(os.listdir(folder)) == sorted([META, meta["arrays"]])


def test_a_failed_write_takes_its_arrays_file_back(data, tmp_path, monkeypatch):
    x, y = data
    folder = tmp_path / "ck"
    t = trainer(x, y, 1, checkpoint=folder)
    t.fit(x, y)
    before = sorted(os.listdir(folder))
    real_replace = os.replace

    def fail_on_meta(src, dst):
        if str(dst).endswith(META):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", fail_on_meta)
    t.epochs = 2
    with pytest.raises(OSError, match="No space left"):
        t.fit(x, y)
    assert sorted(os.listdir(folder)) == before  # no second arrays-*.npz, no temporary file


def test_the_cli_says_when_the_table_is_ahead_of_the_checkpoint(tmp_path, capsys, monkeypatch):
    real, calls = ckpt._replace, []

    def ctrl_c_before_the_second_write(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as when the write could not hold Ctrl-C (not the main thread)
        return real(*args)

    monkeypatch.setattr(ckpt, "_replace", ctrl_c_before_the_second_write)
    assert train(SPIRAL, "--epochs", "3", "--checkpoint", str(tmp_path / "ck")) == 130
    out, err = capsys.readouterr()
    assert f"note: the checkpoint {tmp_path / 'ck'} holds epoch 1, not 2: resuming it trains epoch 2 again" in out
    assert "that write was undone: the last good checkpoint is" in err


def test_a_long_runs_write_does_not_grow_and_flushes_to_disk_seldom(data, tmp_path, monkeypatch):
    x, y = data
    syncs = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (syncs.append(fd), real_fsync(fd)))
    short = trainer(x, y, 2, checkpoint=tmp_path / "a")
    short.fit(x, y)
    long_ = trainer(x, y, 30, checkpoint=tmp_path / "b")
    long_.fit(x, y)
    size = [os.path.getsize(tmp_path / f / META) for f in "ab"]
    assert size[1] < size[0] + 200  # 28 more epochs of history are not re-encoded as JSON every epoch
    assert len(syncs) == 2 * 4  # per run: its first write and its last (2 files each), not every epoch
    resumed = trainer(x, y, 30)
    resumed.load_checkpoint(tmp_path / "b")
    assert resumed.history.loss == long_.history.loss and resumed.history.val_acc == long_.history.val_acc


def test_quitting_the_training_screen_says_what_was_kept(data, tmp_path):
    from graphscope.tui.training import TrainingOptions, TrainingRun
    x, y = data
    loss = two_layer(x, y, hidden=8, seed=1)
    options = TrainingOptions(epochs=2, batch_size=16, checkpoint=str(tmp_path / "ck"))
    run = TrainingRun(loss.graph(), (x, y, None, None), options, lambda event: None)
    run.fit()
    assert run.kept() == (f"training: 2 of 2 epochs done; the checkpoint {tmp_path / 'ck'} holds epoch 2 "
                          f"(resume it: graphscope tui {run.trainer.file} --resume {tmp_path / 'ck'}, or graphscope "
                          f"train {run.trainer.file} --resume {tmp_path / 'ck'})")
    plain = TrainingRun(two_layer(x, y, hidden=8, seed=1).graph(), (x, y, None, None),
                        TrainingOptions(epochs=1, batch_size=16), lambda event: None)
    assert plain.kept() == "training: 0 of 1 epochs done; nothing was saved (--checkpoint DIR keeps every epoch)"


# ---------------------------------------------------------------- outputs checked before training
@needs_proc
def test_outputs_that_cannot_be_written_are_named_before_training(capsys, tmp_path):
    assert train(SPIRAL, "--epochs", "1", "--plot", "/proc/x.png", "--history", "/proc/h.json",
                 "--checkpoint", "/proc/ck") == 2
    out, err = capsys.readouterr()
    assert "training" not in out
    for option, path in (("--plot", "/proc/x.png"), ("--history", "/proc/h.json"), ("--checkpoint", "/proc/ck")):
        assert f"{option} {path}: the folder /proc cannot be written: it takes no new files" in err
    assert main(["export", os.path.join(SAMPLES, "chain_rule.py"), "-o", "/proc/x.svg"]) == 2
    err = capsys.readouterr().err
    assert "-o /proc/x.svg: the folder /proc cannot be written" in err and "No such file" not in err
    assert folder_problem("/proc").startswith("cannot be written")
    assert folder_problem(tmp_path) is None and os.listdir(tmp_path) == []  # the probe leaves nothing
    assert write_problem(tmp_path / "no" / "x.json", "history") == \
        f"cannot write history {tmp_path / 'no' / 'x.json'}: the folder {tmp_path / 'no'} does not exist"
    with pytest.raises(OSError, match=r"cannot write plot /proc/y\.png: the folder /proc cannot be written"):
        from graphscope.util.atomic import atomic_write
        with atomic_write("/proc/y.png", "plot"):
            pass


def test_a_checkpoint_whose_epoch_is_not_its_historys_epoch_count_is_refused(data, tmp_path):
    x, y = data
    folder = tmp_path / "ck"
    trainer(x, y, epochs=2, checkpoint=folder).fit(x, y)
    meta = json.loads((folder / META).read_text())
    meta["epoch"] = 99
    (folder / META).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"'epoch' is 99 but its history holds 2 epochs \(edited or damaged\)"):
        trainer(x, y, epochs=101).load_checkpoint(folder)


def test_advice_on_a_checkpoint_folder_only_offers_what_would_be_accepted(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _training_file(tmp_path / "a.py", 4)
    _training_file(tmp_path / "b.py", 4)
    assert train("a.py", "--epochs", "1", "--checkpoint", "cka") == 0
    assert train("b.py", "--epochs", "1", "--checkpoint", "ckb") == 0
    capsys.readouterr()
    for command in (["train"], ["tui"]):
        assert main(command + ["b.py", "--checkpoint", "cka"]) == 2
        err = capsys.readouterr().err
        assert "--checkpoint cka holds epoch 1 of a.py with SGD (lr 0.01); a new run would replace it: give another " \
               "folder, or --overwrite to replace it" in err and "--resume" not in err
    assert train("b.py", "--resume", "ckb", "--checkpoint", "cka", "--epochs", "2") == 2
    err = capsys.readouterr().err
    assert "--checkpoint cka holds epoch 1 of a.py with SGD (lr 0.01); a resumed run would replace it: give " \
           "another folder, or --overwrite to replace it" in err
    assert train("b.py", "--resume", "b.py") == 2
    assert "checkpoint b.py: is a file, not a checkpoint folder" in capsys.readouterr().err
