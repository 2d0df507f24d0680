"""Shipping a trained model: checkpoints that can be written back and resumed whole, the trained model out of a
checkpoint (export --checkpoint), the right format under the right file name, and commands that paste."""
import errno
import json
import os
import shlex

import numpy as np
import pytest

import graphscope as gs
from graphscope.cli import main
from graphscope.train import checkpoint as ckpt
from graphscope.util import atomic

from cli_run import in_process

#: A small training file: batch norm and dropout (their state and settings go into checkpoints).
TRAINING_FILE = '''
import numpy as np
import graphscope as gs

def data():
    x, y = gs.data.spiral(n_per_class=30, classes=3, seed=0)
    return gs.data.train_val_split(x, y, val_fraction=0.2, seed=0)

def build():
    xt, yt, _, _ = data()
    net = gs.nn.MLP([2, 16, 3], batchnorm=True, dropout=DROPOUT, rng=0)
    scores = net(gs.tensor(xt[:32], name="x"))
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, yt[:32])

def settings():
    return {"optimizer": "adam", "lr": 0.01, "epochs": 3, "batch_size": 16}
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder with a space in its path holding `tiny.py`, the current folder."""
    folder = tmp_path / "my proj"
    folder.mkdir()
    (folder / "tiny.py").write_text(TRAINING_FILE.replace("DROPOUT", "0.2"))
    monkeypatch.chdir(folder)
    return folder


def train(capsys, *args):
    return in_process(main, capsys, "train", "tiny.py", "--no-progress", *args)


def _refuse_new_files_in(monkeypatch, folder, code):
    """Make every new file in `folder` fail as a read-only mount or a full disk does (root ignores mode bits)."""
    real = atomic.tempfile.mkstemp
    where = os.path.abspath(folder)

    def mkstemp(*args, dir=None, **kw):
        if dir is not None and os.path.abspath(dir) == where:
            raise OSError(code, os.strerror(code))
        return real(*args, dir=dir, **kw)
    monkeypatch.setattr(atomic.tempfile, "mkstemp", mkstemp)


# ---------------------------------------------------------------- 1. a checkpoint folder that cannot be written

def test_resume_refuses_a_folder_it_cannot_write_back_to_before_training(project, capsys, monkeypatch):
    assert train(capsys, "--checkpoint", "ro ck")[0] == 0
    before = (project / "ro ck" / "checkpoint.json").read_bytes()
    _refuse_new_files_in(monkeypatch, project / "ro ck", errno.EROFS)
    code, out, err = train(capsys, "--resume", "ro ck", "--epochs", "5", "--history", "h.json")
    assert code == 2 and out == ""  # nothing trained
    assert "--resume 'ro ck': it cannot be written: it is on a read-only file system" in err
    assert "give --checkpoint OTHER" in err
    assert not (project / "h.json").exists() and (project / "ro ck" / "checkpoint.json").read_bytes() == before
    code, out, _ = train(capsys, "--resume", "ro ck", "--epochs", "5", "--checkpoint", "other")  # the way on
    assert code == 0 and ckpt.read_settings(project / "other")["done"] == 5


def test_a_checkpoint_write_that_fails_says_which_epoch_the_folder_holds(project, capsys, monkeypatch):
    real = ckpt.atomic_write
    writes = []

    def atomic_write(path, what="file", durable=True):  # the third epoch's write finds the disk full
        writes.append(path)
        if len(writes) > 4:
            raise atomic.FileWriteError(f"cannot write {what} {path}: No space left on device")
        return real(path, what, durable)
    monkeypatch.setattr(ckpt, "atomic_write", atomic_write)
    code, out, err = train(capsys, "--checkpoint", "ck dir", "--history", "h.json")
    assert code == 2
    held = "the checkpoint ck dir holds epoch 2, not 3: resuming it trains epoch 3 again"
    assert f"note: {held}" in out and "stopped by an error: what follows shows the 3 epochs completed" in out
    assert "No space left on device; the checkpoint in ck dir still holds epoch 2, not 3" in err
    history = json.loads((project / "h.json").read_text())
    assert len(history["lr"]) == 3 and history["notes"] == [held]
    assert ckpt.read_settings(project / "ck dir")["done"] == 2
    writes.clear()
    monkeypatch.setattr(ckpt, "atomic_write", lambda path, what="file", durable=True: (_ for _ in ()).throw(
        atomic.FileWriteError(f"cannot write {what} {path}: No space left on device")))
    code, out, err = train(capsys, "--resume", "ck dir", "--epochs", "3", "--checkpoint", "elsewhere")
    assert code == 2 and "note: no checkpoint was written to elsewhere; ck dir still holds epoch 2: resuming it " \
                         "trains epoch 3 again" in out


# ---------------------------------------------------------------- 2. layer settings are the model's, not the file's

def _bn_net(eps, p=0.0):
    layers = [gs.nn.Linear(4, 8, rng=0), gs.nn.BatchNorm1d(8, eps=eps, momentum=0.5), gs.nn.ReLU()]
    layers += [gs.nn.Dropout(p)] if p else []
    net = gs.nn.Sequential(*layers, gs.nn.Linear(8, 3, rng=1))
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((24, 4)), rng.integers(0, 3, 24)
    loss = gs.softmax_cross_entropy(net(gs.tensor(x, name="x")), y)
    return net, gs.Trainer(loss, gs.optim.SGD(loss.graph().params, 0.1), epochs=2, batch_size=8, progress=False), \
        (x, y)


def test_a_checkpoint_of_other_batch_norm_settings_is_refused_naming_them(tmp_path):
    _, trainer, data = _bn_net(1e-5)
    trainer.fit(*data)
    trainer.save_checkpoint(tmp_path / "ck")
    net, other, _ = _bn_net(0.5)
    before = [np.copy(p.value) for p in other.params]
    with pytest.raises(ckpt.CheckpointError, match=r"saved from another model: batch norm eps 1e-05 in the "
                                                   r"checkpoint, 0\.5 here"):
        other.load_checkpoint(tmp_path / "ck")
    assert all(np.array_equal(a, p.value) for a, p in zip(before, other.params))  # nothing loaded
    assert [n.attrs["eps"] for n in other.graph.ops if n.op == "batch_norm"] == [0.5]
    _, same, _ = _bn_net(1e-5)
    same.load_checkpoint(tmp_path / "ck")  # the same settings: the running averages load
    saved_mean = [n for n in trainer.graph.ops if n.op == "batch_norm"][0].attrs["running_mean"]
    assert np.array_equal([n for n in same.graph.ops if n.op == "batch_norm"][0].attrs["running_mean"], saved_mean)


def test_resuming_with_another_dropout_p_is_refused(project, capsys):
    assert train(capsys, "--checkpoint", "ck")[0] == 0
    (project / "tiny.py").write_text(TRAINING_FILE.replace("DROPOUT", "0.5"))
    code, out, err = train(capsys, "--resume", "ck", "--epochs", "4")
    assert code == 2 and "it was saved from another model: dropout p 0.2 in the checkpoint, 0.5 here" in err
    assert ckpt.read_settings(project / "ck")["done"] == 3


# ---------------------------------------------------------------- 3. the trained model out of a checkpoint

def _trained_scores(folder, x):
    """The scores of tiny.py's model with the checkpoint's weights, in eval mode, by the library's long way."""
    from graphscope.userfile import build_output
    loss = build_output("tiny.py")
    trainer = gs.Trainer(loss, gs.optim.Adam(loss.graph().params, 0.01), batch_size=16, epochs=3, progress=False)
    trainer.load_checkpoint(folder)
    gs.nn.set_training(loss.graph(), False)
    scores = loss.graph().node("scores")
    gs.Graph(scores).run({"x": x})
    return scores.value


def test_export_checkpoint_writes_the_trained_model_that_onnxruntime_runs(project, capsys):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    code, out, _ = train(capsys, "--checkpoint", "ck dir")
    suggested = shlex.split(out.strip().splitlines()[-1].split("to ship: ", 1)[1])
    assert suggested == ["graphscope", "export", "tiny.py", "--checkpoint", "ck dir", "-o", "tiny.onnx",
                         "--dynamic-batch"]  # the shipped model takes any number of examples
    code, out, err = in_process(main, capsys, *[w if w != "tiny.onnx" else "model.onnx" for w in suggested[1:]])
    assert code == 0 and "outputs: scores" in out
    assert "note: the weights of ck dir (after epoch 3); batch norm and dropout in eval mode" in err
    x = gs.data.spiral(n_per_class=30, classes=3, seed=1)[0][:7].astype(np.float32)
    got = ort.InferenceSession(str(project / "model.onnx")).run(None, {"x": x})[0]
    np.testing.assert_allclose(got, _trained_scores("ck dir", x), rtol=1e-5, atol=1e-6)
    code, _, _ = in_process(main, capsys, "export", "tiny.py", "--checkpoint", "ck dir", "-o", "trained.gsgraph")
    assert code == 0
    graph = gs.load_graph("trained.gsgraph")
    scores = graph.node("scores")
    gs.Graph(scores).run({"x": x})
    np.testing.assert_allclose(scores.value, got, rtol=1e-5, atol=1e-6)


def test_export_of_the_training_file_alone_says_its_weights_are_the_initial_ones(project, capsys):
    code, out, err = in_process(main, capsys, "export", "tiny.py", "-o", "m.dot")
    assert code == 0 and "note: tiny.py is a training file: this is its model with the initial weights" in err


def test_a_checkpoint_folder_given_as_a_graph_says_how_to_export_it(project, capsys):
    train(capsys, "--checkpoint", "ck dir")
    for command in ("export", "check"):
        code, out, err = in_process(main, capsys, command, "ck dir", *(["-o", "a.onnx"] if command == "export"
                                                                      else []))
        assert code == 2 and "ck dir is a checkpoint folder (epoch 3 of tiny.py" in err
        assert "`graphscope export tiny.py --checkpoint 'ck dir' -o model.onnx`" in err
    assert not (project / "a.onnx").exists()


def test_export_checkpoint_refuses_a_checkpoint_of_another_model(project, capsys):
    train(capsys, "--checkpoint", "ck")
    (project / "tiny.py").write_text(TRAINING_FILE.replace("DROPOUT", "0.5"))
    code, _, err = in_process(main, capsys, "export", "tiny.py", "--checkpoint", "ck", "-o", "m.onnx")
    assert code == 2 and "dropout p 0.2 in the checkpoint, 0.5 here" in err and not (project / "m.onnx").exists()


def test_export_checkpoint_of_another_files_run_says_whose_weights_it_put_in(project, capsys):
    train(capsys, "--checkpoint", "ck")
    (project / "copy.py").write_text((project / "tiny.py").read_text())
    code, _, err = in_process(main, capsys, "export", "copy.py", "--checkpoint", "ck", "-o", "m.onnx")
    assert code == 0 and "note: ck holds a run of tiny.py, not of copy.py; its weights fit copy.py's model" in err
    code, _, err = in_process(main, capsys, "export", "tiny.py", "--checkpoint", "ck", "-o", "m2.onnx")
    assert code == 0 and "holds a run of" not in err


# ---------------------------------------------------------------- 5. the right format under the right name

def test_each_format_refuses_the_other_formats_ending(tmp_path, capsys, monkeypatch):
    graph = gs.sum(gs.param(np.ones(3), name="w") ** 2).graph()
    with pytest.raises(gs.GraphscopeError,
                       match=r'ending in \.onnx is for an ONNX model.*graph\.to_onnx\("new\.onnx"\)'):
        graph.save(str(tmp_path / "new.onnx"))
    with pytest.raises(gs.GraphscopeError,
                       match=r'ending in \.gsgraph is for a graph file.*graph\.save\("n\.gsgraph"\)'):
        graph.to_onnx(str(tmp_path / "n.gsgraph"))
    monkeypatch.chdir(tmp_path)
    code, out, err = in_process(main, capsys, "demo", "--save", "d x.onnx")
    assert code == 2 and "graphscope export writes an ONNX model" in err and "--save 'd x.gsgraph'" in err
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- 6. x.reshape(-1, 18) keeps the batch free

def test_dynamic_batch_takes_a_reshape_whose_minus_one_is_the_batch(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    rng = np.random.default_rng(0)
    xb = rng.standard_normal((8, 2, 3, 3)).astype(np.float32)
    x = gs.tensor(xb, name="x")
    w = gs.param(rng.standard_normal((18, 4)).astype(np.float32), name="W")
    out = x.reshape(-1, 18) @ w
    gs.interop.to_onnx(out, str(tmp_path / "m.onnx"), dynamic_batch=True)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    for n in (3, 1):
        np.testing.assert_allclose(session.run(None, {"x": xb[:n]})[0], xb[:n].reshape(n, 18) @ w.value, rtol=1e-5)
    folded = x.reshape(-1, 9) @ w[:9]  # two rows an example: the first axis is no longer the batch
    with pytest.raises(gs.GraphscopeError, match=r"infers its first axis \(16\) from 8 examples"):
        gs.interop.to_onnx(folded, str(tmp_path / "f.onnx"), dynamic_batch=True)


# ---------------------------------------------------------------- 7. suggested commands paste into a shell

def test_checkpoint_advice_quotes_paths_with_spaces(project, capsys):
    train(capsys, "--checkpoint", "ck dir")
    code, _, err = train(capsys, "--checkpoint", "ck dir")
    assert code == 2 and "--checkpoint 'ck dir' holds epoch 3" in err and "use --resume 'ck dir' to continue" in err
    (project / "other.py").write_text(TRAINING_FILE.replace("DROPOUT", "0.2"))
    code, _, err = in_process(main, capsys, "train", "other.py", "--resume", "ck dir")
    assert code == 2
    advice = err.split("resume it with ", 1)[1].split(", or train", 1)[0]
    assert shlex.split(advice) == ["graphscope", "train", "tiny.py", "--resume", "ck dir"]


# ---------------------------------------------------------------- 8. a resumed --history is the whole run's

def test_a_resumed_history_keeps_the_layer_records_from_before_the_resume(project, capsys):
    assert train(capsys, "--epochs", "4", "--history", "whole.json")[0] == 0
    assert train(capsys, "--epochs", "2", "--checkpoint", "ck", "--history", "part.json")[0] == 0
    assert train(capsys, "--epochs", "4", "--resume", "ck", "--history", "resumed.json")[0] == 0
    whole, resumed = (json.loads((project / f).read_text()) for f in ("whole.json", "resumed.json"))
    assert [r["epoch"] for r in resumed["layers"]] == [1, 2, 3, 4]
    assert resumed["layers"] == whole["layers"] and resumed["loss"] == whole["loss"]
    assert train(capsys, "--epochs", "2", "--checkpoint", "bare")[0] == 0  # a run that kept no layer records
    assert train(capsys, "--epochs", "3", "--resume", "bare", "--history", "h.json")[0] == 0
    history = json.loads((project / "h.json").read_text())
    assert [r["epoch"] for r in history["layers"]] == [3]
    assert history["notes"] == ["layers: no records of 2 epochs (1-2): the run saved in bare did not record them "
                                "(it ran without --history)"]
