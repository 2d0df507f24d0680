"""What a practitioner training with graphscope as a library meets: a last batch of 1 for batch norm, a schedule
beside the optimizer's rate, the sanity check of a batch-norm net on raw inputs, predictions after training."""
import warnings

import numpy as np
import pytest

import graphscope as gs
from graphscope.cli import main
from graphscope.engine.errors import GraphscopeError

from train_helpers import spiral


def bn_net(x, y, batch=32, dropout=0.0, scale=1.0):
    """A batch-norm MLP on (x, y)'s first `batch` rows (inputs times `scale`: raw, badly scaled features)."""
    net = gs.nn.MLP([x.shape[1], 32, 3], batchnorm=True, dropout=dropout, init="he", rng=0)
    scores = net(gs.tensor(x[:batch] * scale, name="x"))
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y[:batch]), net


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- a last batch of 1 example

def test_a_last_batch_of_one_for_batch_norm_is_refused_before_training_with_the_fix():
    x, y = spiral(n_per_class=33)  # 99 = 2 * 49 + 1
    loss, _ = bn_net(x, y)
    before = [p.value.copy() for p in loss.graph().params]
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=49, epochs=1, progress=False)
    with pytest.raises(GraphscopeError) as err:
        trainer.fit(x, y)
    text = str(err.value)
    assert "batch_size 49" in text and "99 training examples" in text and "last batch of 1 example" in text
    assert "drop_last=True" in text and "another batch_size (e.g. 50)" in text
    assert trainer.history.loss == [] and all(np.allclose(a, p.value) for a, p in zip(before, loss.graph().params))


def test_drop_last_trains_whole_batches_only():
    x, y = spiral(n_per_class=33)
    loss, _ = bn_net(x, y)
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=49, epochs=2, progress=False,
                         drop_last=True)
    h = trainer.fit(x, y)
    assert len(h.loss) == 4 and h.settings["iterations_per_epoch"] == 2 and h.settings["drop_last"] is True
    assert 0.0 <= h.train_acc[-1] <= 1.0


def test_train_and_search_refuse_a_last_batch_of_one_up_front_and_take_drop_last(capsys, tmp_path):
    path = tmp_path / "bn_spiral.py"
    path.write_text(BN_SPIRAL)
    code, out, err = run(capsys, "train", str(path), "--batch-size", "49", "--epochs", "1", "--no-progress")
    assert code == 2 and out == "" and "--batch-size 49" in err and "--drop-last" in err, err
    assert "last batch of 1 example" in err and "bn1" in err
    code, out, err = run(capsys, "search", str(path), "--batch-size", "49", "--trials", "1", "--no-progress")
    assert code == 2 and "--drop-last" in err, err
    code, out, err = run(capsys, "train", str(path), "--batch-size", "49", "--epochs", "1", "--no-progress",
                         "--drop-last")
    assert code == 0 and "a smaller last batch left out" in out, err
    code, out, err = run(capsys, "train", str(path), "--batch-size", "49", "--sanity")
    assert code == 1 and "[FAIL] batches: batch_size 49" in out


BN_SPIRAL = """
import numpy as np
import graphscope as gs

def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(99, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    return x, y, x[:20], y[:20]

def build():
    x, y, _, _ = data()
    net = gs.nn.MLP([2, 16, 3], batchnorm=True, rng=0)
    return gs.softmax_cross_entropy(net(gs.tensor(x[:32], name="x")), y[:32])
"""


# ---------------------------------------------------------------- the initial loss of a batch-norm net

def test_the_initial_loss_check_measures_what_training_sees_for_batch_norm_on_raw_inputs():
    x, y = spiral(n_per_class=40)
    x = x * 40.0 + 60.0  # raw, badly scaled features: batch norm's batch statistics standardize them in training
    loss, _ = bn_net(x, y, batch=32, dropout=0.2)
    trainer = gs.Trainer(loss, gs.optim.Adam(loss.graph().params, lr=0.01), batch_size=32, progress=False)
    report = trainer.sanity_check(x, y)
    initial = report.checks[0]
    assert initial.name == "initial loss" and initial.ok, initial.line()
    first = float(initial.figure.split(",")[0])
    assert abs(first - np.log(3)) < 0.5  # near chance, as the first training batches see it (eval mode: far off)
    first_batch = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=1e-12), batch_size=32, epochs=1,
                             progress=False).fit(x, y).loss[0]
    assert abs(first - first_batch) < 0.5


def test_the_initial_loss_check_still_fails_raw_inputs_without_batch_norm():
    x, y = spiral(n_per_class=40)
    net = gs.nn.MLP([2, 32, 3], init="he", rng=0)
    scores = net(gs.tensor(x[:32] * 40.0 + 60.0, name="x"))
    loss = gs.softmax_cross_entropy(scores, y[:32])
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.01), batch_size=32, progress=False)
    initial = trainer.sanity_check(x * 40.0 + 60.0, y).checks[0]
    assert not initial.ok and "Standardize the inputs" in initial.line()


# ---------------------------------------------------------------- a schedule beside the optimizer's rate

def test_a_schedule_that_replaces_the_optimizers_rate_is_said_once_naming_both():
    x, y = spiral(n_per_class=20)
    loss, _ = bn_net(x, y)
    opt = gs.optim.Adam(loss.graph().params, lr=1e-3)
    trainer = gs.Trainer(loss, opt, schedule=gs.optim.exponential(0.5, k=0.1), epochs=1, batch_size=20,
                         progress=False)
    with pytest.warns(gs.train.ScheduleRateWarning) as said:
        trainer.fit(x, y)
    assert len(said) == 1 and said[0].filename == __file__
    text = str(said[0].message)
    assert "lr0 0.5" in text and "Adam was made with lr 0.001" in text and "uses the schedule's rate" in text
    assert trainer.history.lr == [0.5]
    trainer.epochs = 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer.fit(x, y)  # said once
        same = gs.Trainer(loss, gs.optim.Adam(loss.graph().params, lr=0.5), epochs=1, batch_size=20, progress=False,
                          schedule=gs.optim.exponential(0.5, k=0.1))
        same.fit(x, y)  # the same rate: nothing to say


# ---------------------------------------------------------------- predictions on new data

def test_trainer_predict_gives_eval_mode_scores_and_leaves_the_training_graph_as_it_was(tmp_path):
    x, y = spiral(n_per_class=40)
    loss, net = bn_net(x, y, batch=32, dropout=0.2)
    trainer = gs.Trainer(loss, gs.optim.Adam(loss.graph().params, lr=0.01), batch_size=25, epochs=3,
                         progress=False, checkpoint=tmp_path / "ck")
    trainer.fit(x, y)
    graph = trainer.graph
    held = [(n, n._value, n.grad, n.attrs) for n in graph.nodes]
    averages = [np.array(n.attrs["running_mean"]) for n in graph.ops if n.op == "batch_norm"]
    scores = trainer.predict(x[:7], batch_size=3)
    assert scores.shape == (7, 3)
    assert all(n._value is v and n.grad is g and n.attrs is a for n, v, g, a in held)
    assert [np.array_equal(a, n.attrs["running_mean"]) for n, a in
            zip([n for n in graph.ops if n.op == "batch_norm"], averages)] == [True]
    accuracy, _ = trainer.evaluate(x, y)
    assert np.mean(trainer.predict(x).argmax(axis=1) == y) == pytest.approx(accuracy)
    net.eval()
    expected = net(gs.tensor(x[:7].astype(np.float32))).value
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)

    # from the checkpoint: a fresh graph, its weights loaded, the same scores; load_weights says what it did briefly
    fresh, _ = bn_net(x, y, batch=32, dropout=0.2)
    from graphscope.train.checkpoint import load_weights
    loaded = load_weights(fresh, tmp_path / "ck")
    shown = repr(loaded)
    assert "\n" not in shown and len(shown) < 300 and "after epoch 3" in shown and "gs.train.predict" in shown
    assert loaded["epoch"] == 3
    np.testing.assert_allclose(gs.train.predict(fresh, x[:7]), scores, rtol=1e-5, atol=1e-6)
    assert fresh.graph()["x"].shape == (32, 2)  # the loss graph still holds its batch
    with pytest.raises(GraphscopeError, match=r"x has shape \(7, 5\), but the input x takes rows of shape \(2,\)"):
        gs.train.predict(fresh, np.zeros((7, 5)))


def test_exporting_a_model_object_says_to_export_what_it_computes(tmp_path):
    pytest.importorskip("onnx")
    net = gs.nn.MLP([4, 3], rng=0)
    with pytest.raises(GraphscopeError, match=r"got the MLP object itself.*net\(gs.tensor\(x_batch"):
        gs.interop.to_onnx(net, tmp_path / "m.onnx")


# ---------------------------------------------------------------- ONNX export defaults

def test_exporting_the_trained_loss_warns_once_with_the_call_that_ships_the_scores(tmp_path):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    x, y = spiral(n_per_class=20)  # 60 examples in batches of 25: the last batch holds 10
    loss, _ = bn_net(x, y)
    gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=25, epochs=1, progress=False).fit(x, y)
    graph = loss.graph()
    gs.nn.set_training(graph, False)  # the batch-norm mode warning is another matter
    with pytest.warns(gs.interop.OnnxExportWarning) as said:
        graph.to_onnx(tmp_path / "loss.onnx")
    lines = [str(w.message) for w in said]
    assert len(lines) == 1 and "\n" not in lines[0], lines
    assert "takes batches of exactly 10 examples (x: 10x2" in lines[0] and "its 10 labels built in" in lines[0]
    call = lines[0].split("to ship the class scores for any batch size: ", 1)[1]
    assert call == f"gs.interop.to_onnx(graph['scores'], {str(tmp_path / 'loss.onnx')!r}, dynamic_batch=True)"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # what the warning says to do exports without a word
        gs.interop.to_onnx(graph["scores"], tmp_path / "scores.onnx", dynamic_batch=True)
    got = ort.InferenceSession(str(tmp_path / "scores.onnx")).run(None, {"x": x[:37]})[0]
    assert got.shape == (37, 3)


# ---------------------------------------------------------------- BLAS threads

def test_a_wide_swing_of_epoch_times_suggests_one_blas_thread_only_when_it_matters():
    from graphscope.train.threads import thread_note
    swung = [0.9, 0.15, 0.7, 0.013, 0.05]
    note = thread_note(swung, environ={}, cpus=2)
    assert note.startswith("epoch times swung from 13 ms to 700 ms") and "OPENBLAS_NUM_THREADS=1" in note
    assert thread_note(swung, environ={"OPENBLAS_NUM_THREADS": "1"}, cpus=2) is None  # the user chose
    assert thread_note(swung, environ={}, cpus=1) is None
    assert thread_note([0.9, 0.013, 0.02, 0.018], environ={}, cpus=2) is None  # steady after the first epoch
    assert thread_note([0.01, 0.001, 0.008], environ={}, cpus=2) is None  # too short to matter


def test_train_prints_the_thread_note_when_its_epochs_swung(capsys, tmp_path, monkeypatch):
    path = tmp_path / "bn_spiral.py"
    path.write_text(BN_SPIRAL)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    fit = gs.Trainer.fit

    def swinging_fit(self, *data):  # the epochs as a busy 2-core machine times them
        history = fit(self, *data)
        history.seconds[:] = [0.9, 0.05, 0.013, 0.7]
        return history

    monkeypatch.setattr(gs.Trainer, "fit", swinging_fit)
    code, out, err = run(capsys, "train", str(path), "--epochs", "4", "--batch-size", "33", "--no-progress")
    assert code == 0 and "note: epoch times swung from 13 ms to 700 ms" in out, out
