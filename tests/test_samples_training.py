"""The lecture's training samples: each sample's claim asserted from what the sample itself measures (fast mode).

Each sample exposes ``measure(fast=True) -> dict``; these tests check the
lecture's claim on those numbers, run every sample once as
``python samples/NAME.py --fast`` and pass its graph through ``graphscope check``.
"""
import importlib.util
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from graphscope.cli import main as graphscope

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
TRAINING_SAMPLES = ["fc_net", "weight_init_zero", "activations", "batchnorm", "dropout", "learning_rate"]
KEY_LINES = {
    "fc_net": r"claim: >= 98% training accuracy: confirmed",
    "weight_init_zero": r"claim: with zero init all hidden units stay identical: confirmed",
    "activations": r"relu +\d+ +final accuracy",
    "batchnorm": r"claim: with batch norm the poorly initialized net trains much faster: confirmed",
    "dropout": r"claim: dropout \(p=0\.5\) shrinks the train/validation gap: confirmed",
    "learning_rate": r"claim: large diverges or oscillates: confirmed",
}
_MEASURED = {}
# Small matrices: BLAS threads only fight each other (and other processes) on a busy machine.
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """Pin BLAS to one thread in this process too, when threadpoolctl (scikit-learn's dependency) is there."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(1):
        yield


def load(name):
    """Import samples/NAME.py from its path (its folder on sys.path, for the shared _lecture module)."""
    sys.path.insert(0, SAMPLES)
    try:
        spec = importlib.util.spec_from_file_location(f"training_sample_{name}", os.path.join(SAMPLES, f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(SAMPLES)
    return module


def measured(name):
    """The sample's measure(fast=True), computed once per test session."""
    if name not in _MEASURED:
        _MEASURED[name] = load(name).measure(fast=True)
    return _MEASURED[name]


def test_fc_net_reaches_98_percent_training_accuracy():
    m = measured("fc_net")
    assert m["train_acc"] >= 0.98
    assert m["train_acc_curve"][0] < 0.9  # it learned it: the first epoch is far from there
    assert m["loss_curve"][-1] < 0.25 * m["loss_curve"][0]


def test_zero_init_keeps_every_hidden_unit_identical_while_random_init_does_not():
    m = measured("weight_init_zero")
    zeros, xavier = m["zeros"], m["xavier"]
    assert zeros["steps"] > 0 and zeros["moved"] > 1e-4  # the weights did change ...
    assert zeros["spread"] < 1e-9                         # ... but every hidden unit changed alike
    assert xavier["spread"] > 0.1
    assert zeros["train_acc"] < xavier["train_acc"]


def test_zero_init_units_are_copies_in_the_trained_weights():
    sample = load("weight_init_zero")
    model = sample.net("zeros")
    sample.fit(model, sample.data(fast=True), optimizer="sgd", lr=0.5, epochs=2, batch_size=30)
    w_in, w_out = np.asarray(model[0].W.value), np.asarray(model[2].W.value)
    assert np.abs(w_out).max() > 0
    np.testing.assert_array_equal(w_in, np.repeat(w_in[:, :1], w_in.shape[1], axis=1))
    np.testing.assert_array_equal(w_out, np.repeat(w_out[:1], w_out.shape[0], axis=0))


def test_relu_reaches_the_target_accuracy_in_fewer_epochs_than_sigmoid_and_tanh():
    m = measured("activations")
    relu, leaky = m["relu"]["epochs_to_target"], m["leaky_relu"]["epochs_to_target"]
    assert relu is not None and leaky is not None
    for slow in ("sigmoid", "tanh"):
        n = m[slow]["epochs_to_target"]
        assert n is None or n > relu, (slow, n, relu)
    assert m["sigmoid"]["epochs_to_target"] is None or m["sigmoid"]["epochs_to_target"] > 1.5 * relu


def test_batch_norm_trains_the_poorly_initialized_deep_net_much_faster():
    m = measured("batchnorm")
    plain, bn = m["plain"], m["batchnorm"]
    assert bn["train_acc"] > plain["train_acc"] + 0.2
    assert bn["train_loss"] < plain["train_loss"] - 0.3
    assert plain["train_loss"] == pytest.approx(math.log(3), abs=0.05)  # the plain net is stuck at chance
    assert m["cost_ratio"] == bn["step_seconds"] / plain["step_seconds"] and m["cost_ratio"] > 0
    assert all(t > 0 for t in (bn["seconds_per_epoch"], plain["seconds_per_epoch"]))


def test_dropout_shrinks_the_train_validation_gap():
    m = measured("dropout")
    plain, dropout = m["plain"], m["dropout"]
    assert plain["gap"] > 0.15  # the plain net overfits
    assert dropout["gap"] < plain["gap"] - 0.05
    assert plain["val_loss_curve"][-1] > dropout["val_loss_curve"][-1]


def test_learning_rates_too_small_barely_moves_too_large_diverges_or_oscillates():
    m = measured("learning_rate")
    small, good, large = m["too small"], m["good"], m["too large"]
    assert small["last_loss"] > 0.9 * small["first_loss"]
    assert good["last_loss"] < 0.5 * good["first_loss"]
    assert large["diverged"] or large["last_loss"] > 2 * good["last_loss"]
    assert all(load("learning_rate").verdicts(m).values())


def test_learning_rate_decays_follow_their_formulas():
    m = measured("learning_rate")
    lr0 = m["good"]["lr"]
    exp, inv = m["exponential"]["lr_curve"], m["inverse time"]["lr_curve"]
    epochs = np.arange(len(exp))
    np.testing.assert_allclose(exp, lr0 * np.exp(-0.05 * epochs))
    np.testing.assert_allclose(inv, lr0 / (1 + 0.1 * epochs))
    assert not m["exponential"]["diverged"] and m["exponential"]["last_loss"] < 0.6 * m["exponential"]["first_loss"]


@pytest.mark.parametrize("name", TRAINING_SAMPLES)
def test_each_training_sample_runs_with_fast_and_prints_its_finding_in_80_columns(name, tmp_path):
    result = subprocess.run([sys.executable, os.path.join(SAMPLES, f"{name}.py"), "--fast", "--plot", str(tmp_path)],
                            capture_output=True, text=True, timeout=180,
                            env={**os.environ, **ONE_BLAS_THREAD, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    assert re.search(KEY_LINES[name], result.stdout), result.stdout
    prose = [line for line in result.stdout.splitlines() if not line.startswith("wrote ")]  # a path is as long as it is
    assert max(map(len, prose)) <= 80  # nothing cut mid-word in an 80-column terminal
    pngs = [f for f in os.listdir(tmp_path) if f.endswith(".png")]
    assert pngs and all((tmp_path / f).stat().st_size > 5000 for f in pngs)


#: Samples whose gradients are 0 by design where the check looks (exit status 3, named as not judged): the
#: weights of an all-zero init. (batchnorm.py's MLP has no bias before batch norm, so everything is judged.)
NOT_JUDGED = {"weight_init_zero": "2 not judged (all 0): fc1.W, fc1.b"}


@pytest.mark.parametrize("name", TRAINING_SAMPLES)
def test_each_training_sample_passes_graphscope_check(capsys, name):
    code = graphscope(["check", os.path.join(SAMPLES, f"{name}.py")])
    out = capsys.readouterr().out
    if name in NOT_JUDGED:
        assert code == 3 and NOT_JUDGED[name] in out and "passed, but" in out, out
    else:
        assert code == 0, out
        assert re.match(r"passed( \(sampled [^)]*\))?: ", out.splitlines()[-1]) and out.splitlines()[-1].endswith(f"/{name}.py"), out


def test_a_training_sample_trains_with_graphscope_train(capsys):
    code = graphscope(["train", os.path.join(SAMPLES, "fc_net.py"), "--epochs", "2", "--optimizer", "momentum",
                       "--lr", "0.1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.search(r"^2\s+[\d.]+\s+[\d.]+%", out, re.M), out  # the second epoch's row


@pytest.mark.parametrize("seed", [None, 1, 2])
def test_train_spirals_own_command_ends_at_98_percent_training_accuracy(capsys, tmp_path, seed):
    """`python samples/train_spiral.py` runs `graphscope train` with the sample's TRAIN_OPTIONS, and `graphscope
    train samples/train_spiral.py` with its settings() (the same): its last epoch reaches the lecture's >= 98%
    training accuracy (it ended at 97.3% at a constant learning rate), also with other shuffles (--seed)."""
    import json
    from sample_modules import load_sample
    sample = load_sample("train_spiral")
    options = sample.TRAIN_OPTIONS if seed is not None else []  # without options: settings()
    history = tmp_path / "h.json"
    extra = [] if seed is None else ["--seed", str(seed)]
    code = graphscope(["train", os.path.join(SAMPLES, "train_spiral.py"), *options, *extra, "--no-progress",
                       "--history", str(history)])
    assert code == 0, capsys.readouterr().err
    saved = json.loads(history.read_text())
    assert len(saved["train_acc"]) == sample.settings()["epochs"] == int(sample.TRAIN_OPTIONS[
        sample.TRAIN_OPTIONS.index("--epochs") + 1])
    assert saved["settings"]["lr"] == 0.5 and saved["settings"]["optimizer"].lower() == "sgd"
    assert saved["train_acc"][-1] >= 0.98 and saved["val_acc"][-1] >= 0.98, saved["train_acc"][-10:]
