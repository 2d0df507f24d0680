"""Checkpoints: exact resumption, atomic writes, validation on load; a divergence keeps the last good one."""
import json
import os

import numpy as np
import pytest

import graphscope as gs
from graphscope.train import CheckpointError, TrainingDiverged
from graphscope.train.checkpoint import META

from optable_guard import op_table_guard  # noqa: F401  (fixture)
from train_helpers import SGD, Momentum, spiral, two_layer


@pytest.fixture(scope="module")
def data():
    return spiral(n_per_class=40)


def trainer(x, y, epochs, opt=Momentum, lr=0.05, **kw):
    loss = two_layer(x, y, seed=1)
    return gs.Trainer(loss, opt(loss.graph().params, lr), batch_size=16, epochs=epochs, reg=1e-3, seed=7,
                      schedule=lambda m: lr * 0.9 ** m, progress=False, **kw)


def test_resuming_gives_exactly_the_uninterrupted_run(data, tmp_path):
    x, y = data
    whole = trainer(x, y, 4)
    full = whole.fit(x, y, x, y)
    first = trainer(x, y, 2, checkpoint=tmp_path / "ck")
    first.fit(x, y, x, y)
    resumed = trainer(x, y, 4)
    for p in resumed.params:  # prove the parameters come from the checkpoint, not from the same init
        p.value = np.zeros_like(p.value)
    resumed.load_checkpoint(tmp_path / "ck")
    assert resumed.epoch == 2 and resumed.optimizer.t == 2 * 8
    history = resumed.fit(x, y, x, y)
    assert history.loss == full.loss
    assert history.val_acc == full.val_acc and history.lr == full.lr
    for p, q in zip(resumed.params, whole.params):
        np.testing.assert_array_equal(p.value, q.value)
    for a, b in zip(resumed.optimizer.v, whole.optimizer.v):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_folder_is_json_plus_npz_without_leftovers(data, tmp_path):
    x, y = data
    folder = tmp_path / "ck"
    trainer(x, y, 3, checkpoint=folder).fit(x, y)
    files = sorted(os.listdir(folder))
    assert len(files) == 2 and files[1] == META and files[0].startswith("arrays-") and files[0].endswith(".npz")
    meta = json.loads((folder / META).read_text())
    assert meta["epoch"] == 3 and meta["optimizer"]["type"] == "Momentum"
    assert meta["settings"]["reg"] == 1e-3 and meta["settings"]["dtype"] == "float32"
    assert [p["name"] for p in meta["params"]] == ["W1", "b1", "W2", "b2"]
    assert meta["history"]["series"] == "arrays" and "loss" not in meta["history"]  # thousands of numbers: not JSON
    with np.load(folder / files[0], allow_pickle=False) as npz:
        assert "optimizer/0/velocity" in npz.files and "optimizer/1/velocity" in npz.files
        assert npz["history/loss"].shape == (3 * 8,) and npz["history/lr"].shape == (3,)


def test_divergence_keeps_the_last_good_checkpoint(data, tmp_path):
    x, y = data
    folder = tmp_path / "ck"
    t = trainer(x, y, 4, checkpoint=folder)
    t.fit(x, y)
    good = json.loads((folder / META).read_text())
    t.epochs = 6
    t.schedule = lambda m: 1e12  # blows up in epoch 5
    with pytest.raises(TrainingDiverged, match=f"the last good checkpoint is {folder} \\(after epoch 4\\)"):
        t.fit(x, y)
    assert json.loads((folder / META).read_text()) == good


def test_loading_checks_the_model_and_the_files(data, tmp_path):
    x, y = data
    folder = tmp_path / "ck"
    trainer(x, y, 1, checkpoint=folder).fit(x, y)
    with pytest.raises(CheckpointError, match="no such folder"):
        trainer(x, y, 1).load_checkpoint(tmp_path / "nope")
    W = gs.param(np.zeros((2, 3)), name="W")
    other = gs.Trainer(gs.softmax_cross_entropy(gs.tensor(x, name="x") @ W, y), Momentum([W], 0.1))
    with pytest.raises(CheckpointError, match="saved from another model: it holds 4 parameters, this model has 1"):
        other.load_checkpoint(folder)
    with pytest.raises(CheckpointError, match="saved with optimizer Momentum, loaded into SGD"):
        trainer(x, y, 1, opt=SGD).load_checkpoint(folder)
    arrays = next(f for f in os.listdir(folder) if f.endswith(".npz"))
    data_bytes = (folder / arrays).read_bytes()
    (folder / arrays).write_bytes(data_bytes[:-10] + b"0123456789")
    fresh = trainer(x, y, 1)
    before = [p.value.copy() for p in fresh.params]
    with pytest.raises(CheckpointError, match="does not match checkpoint.json"):
        fresh.load_checkpoint(folder)
    for p, b in zip(fresh.params, before):  # nothing changed by a failed load
        np.testing.assert_array_equal(p.value, b)
    (folder / META).write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        fresh.load_checkpoint(folder)


def test_arrays_that_need_pickle_are_refused(data, tmp_path):
    import hashlib
    import io
    x, y = data
    folder = tmp_path / "ck"
    trainer(x, y, 1, checkpoint=folder).fit(x, y)
    meta = json.loads((folder / META).read_text())
    buf = io.BytesIO()
    np.savez(buf, **{"param/0": np.array([{"evil": 1}], dtype=object)})
    (folder / meta["arrays"]).write_bytes(buf.getvalue())
    meta["sha256"] = hashlib.sha256(buf.getvalue()).hexdigest()
    (folder / META).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="holds Python objects.*never unpickled"):
        trainer(x, y, 1).load_checkpoint(folder)


def test_tuples_in_the_optimizer_settings_come_back_as_tuples(data, tmp_path):
    class WithBetas(Momentum):
        def state_dict(self):
            d = super().state_dict()
            d["hyper"]["betas"] = (0.9, 0.999)
            return d

        def load_state_dict(self, d):
            assert d["hyper"]["betas"] == (0.9, 0.999)  # a list here would not be the same settings
            super().load_state_dict(d)
    x, y = data
    trainer(x, y, 1, opt=WithBetas, checkpoint=tmp_path / "ck").fit(x, y)
    again = trainer(x, y, 2, opt=WithBetas)
    again.load_checkpoint(tmp_path / "ck")
    assert again.epoch == 1


@pytest.fixture
def noisy_op(op_table_guard):
    """A dropout-like op registered for one test: y = x * noise, a fresh noise per pass from (seed, draw)."""
    from graphscope.engine.optable import JacobianInfo, Op, register

    class Noisy(Op):
        name = "noisy_test_op"

        def forward(self, x, noise=None, seed=0, draw=0):
            return x * noise

        def vjp(self, g, x, value, noise=None, seed=0, draw=0):
            return (g * noise,)

        def jacobian(self, i, x, value, **attrs):
            return JacobianInfo("diagonal", "diag(noise)")

        def refresh(self, attrs, x):
            draw = attrs["draw"] + 1
            rng = np.random.default_rng([attrs["seed"], draw])
            return {**attrs, "draw": draw, "noise": rng.uniform(0.5, 1.5, size=x.shape).astype(x.dtype)}

    register(Noisy)
    return gs.OPS["noisy_test_op"]


def noisy_trainer(x, y, epochs, **kw):
    rng = np.random.default_rng(0)
    W = gs.param(rng.normal(size=(2, 3)), name="W")
    X = gs.tensor(x[:16], name="x")
    noisy = gs.apply(gs.OPS["noisy_test_op"], X @ W, noise=np.ones((16, 3)), seed=3, draw=0)
    loss = gs.softmax_cross_entropy(noisy, y[:16])
    return gs.Trainer(loss, Momentum([W], 0.1), batch_size=16, epochs=epochs, seed=2, progress=False, **kw)


def test_every_batch_refreshes_stateful_nodes_and_a_resume_restores_them(data, tmp_path, noisy_op):
    x, y = data
    whole = noisy_trainer(x, y, 4)
    full = whole.fit(x, y)
    node = next(n for n in whole.graph.ops if n.op == "noisy_test_op")
    assert node.attrs["draw"] >= 4 * 8 - 1  # a fresh noise for (at least) every batch after the first
    noisy_trainer(x, y, 2, checkpoint=tmp_path / "ck").fit(x, y)
    resumed = noisy_trainer(x, y, 4)
    resumed.load_checkpoint(tmp_path / "ck")
    assert resumed.fit(x, y).loss == full.loss
    meta = json.loads((tmp_path / "ck" / META).read_text())
    assert meta["nodes"][0]["op"] == "noisy_test_op" and meta["nodes"][0]["arrays"] == ["noise"]


def test_loading_into_a_trainer_with_other_settings_is_refused_naming_them(data, tmp_path):
    from graphscope.train.checkpoint import read_settings
    x, y = data
    folder = tmp_path / "ck"
    loss = two_layer(x, y, seed=1)
    schedule = gs.optim.schedules.exponential(0.05, 0.1)
    gs.Trainer(loss, Momentum(loss.graph().params, 0.05), batch_size=16, epochs=2, reg=1e-3, seed=7,
               schedule=schedule, progress=False, checkpoint=folder).fit(x, y)
    saved = read_settings(folder)
    assert (saved["done"], saved["batch_size"], saved["reg"], saved["seed"], saved["lr"]) == (2, 16, 1e-3, 7, 0.05)
    assert saved["schedule"] == {"type": "Exponential", "lr0": 0.05, "k": 0.1}
    loss = two_layer(x, y, seed=1)
    other = gs.Trainer(loss, Momentum(loss.graph().params, 0.05), batch_size=32, epochs=4, reg=1e-3, seed=7,
                       schedule=gs.optim.schedules.exponential(0.05, 0.2), progress=False)
    before = [p.value.copy() for p in other.params]
    with pytest.raises(CheckpointError, match=r"saved by a run with other settings: batch_size 16 \(this trainer: "
                                              r"32\); schedule Exponential\(lr0=0.05, k=0.1\) \(this trainer: "
                                              r"Exponential\(lr0=0.05, k=0.2\)\)\. Resuming goes on"):
        other.load_checkpoint(folder)
    assert other.epoch == 0 and all(np.array_equal(p.value, b) for p, b in zip(other.params, before))


def test_fit_with_every_epoch_done_says_so_and_a_larger_total_trains_on(data):
    x, y = data
    t = trainer(x, y, 1)
    t.fit(x, y)
    with pytest.raises(gs.GraphscopeError, match=r"fit: nothing to train: 1 epoch done, epochs=1 \(the total\); "
                                                 r"set trainer.epochs to 2 or more"):
        t.fit(x, y)
    t.epochs = 2
    assert t.fit(x, y).epochs == 2 and t.epoch == 2


def test_a_checkpoint_with_a_bias_before_batch_norm_is_refused_naming_the_bias(data, tmp_path):
    x, y = data

    def batchnorm_trainer(net):
        loss = gs.softmax_cross_entropy(net(gs.tensor(x[:32], name="x")), y[:32])
        return gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), epochs=1, progress=False)

    # what gs.nn.MLP([2, 8, 3], batchnorm=True) made before: fc1 with a bias, then bn1
    older = gs.nn.Sequential(gs.nn.Linear(2, 8, rng=0), gs.nn.BatchNorm1d(8), gs.nn.ReLU(),
                             gs.nn.Linear(8, 3, rng=0))
    batchnorm_trainer(older).save_checkpoint(tmp_path / "ck")
    assert older[0].b is not None
    with pytest.raises(CheckpointError) as err:
        batchnorm_trainer(gs.nn.MLP([2, 8, 3], batchnorm=True, rng=0)).load_checkpoint(tmp_path / "ck")
    message = str(err.value)
    assert "saved from another model: it holds 6 parameters, this model has 5" in message
    assert "(only the checkpoint has fc1.b)" in message and "fc1 has no bias in this model" in message
    assert message.endswith("It cannot be resumed: start a new run.")
