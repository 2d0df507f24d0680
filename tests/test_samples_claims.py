"""The training samples' claims (update rules, weight init, hyperparameter search) and lecture_claims.py's
measuring functions, each asserted on what graphscope measured (fast sizes)."""
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import graphscope as gs
from graphscope.cli import main as graphscope
from optable_guard import op_table_guard  # noqa: F401  (fixture)
from sample_modules import load_sample

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
TRAINING_SAMPLES = ["update_rules", "vanishing_gradients", "hyperparameter_search"]


def load(name):
    return load_sample(name, "claims_sample")


@pytest.fixture(scope="module")
def claims():
    return load("lecture_claims")


# ---------------------------------------------------------------- vanishing_gradients.py

@pytest.fixture(scope="module")
def init_stats():
    sample = load("vanishing_gradients")
    stats = {s: sample.measure(s, fast=True) for s in sample.SETUPS}
    return sample, sample.verdicts(stats), stats


def test_small_init_collapses_the_activations(init_stats):
    _, v, _ = init_stats
    small = v["tanh, N(0, 0.01^2)"]
    # each layer scales the std by about sqrt(500) * 0.01 = 0.22: nine layers make ~1e-6
    assert small["last_over_first"] < 1e-3
    assert 0.15 < small["first_std"] < 0.3
    assert small["grad_first_std"] < small["grad_last_std"]  # and the gradients vanish going back


def test_unit_init_saturates_and_xavier_and_he_keep_the_spread(init_stats):
    sample, v, _ = init_stats
    assert v["tanh, N(0, 1)"]["saturated_mean"] > 0.5
    assert v["tanh, Xavier"]["max_over_min"] < 10 and v["tanh, Xavier"]["saturated_mean"] < 0.2
    assert v["relu, He"]["max_over_min"] < 10
    assert all(holds for _, holds in sample.claims(v))


def test_vanishing_gradients_says_what_its_gradients_show(init_stats):
    sample, v, stats = init_stats
    big, small = v["tanh, N(0, 1)"], v["tanh, N(0, 0.01^2)"]
    assert big["saturated_mean"] > 0.8 and big["grad_first_over_last"] > 1e3  # saturated, yet growing back
    assert small["grad_first_over_last"] < 1e-3                              # vanishing
    assert big["weight_grad_max_over_min"] > 1e3 and v["tanh, Xavier"]["grad_max_over_min"] < 10
    doc = " ".join(sample.__doc__.split())
    assert "(gradient 0)" not in doc and "grows about 3.5x per layer toward the input" in doc
    for value in (lambda s: f"{s.activation.std:.3g} (100%)", lambda s: f"{s.gradient.std:.2e}"):
        assert max(len(line) for line in sample.per_layer_table(stats, value).splitlines()) <= 80


def test_the_net_has_ten_scoped_layers_of_500():
    loss = load("vanishing_gradients").build("tanh, Xavier", batch=4)
    stats = gs.layer_stats(loss.graph())
    assert [s.scope for s in stats] == [f"layer{i}" for i in range(1, 11)]
    assert all(s.shape == (4, 500) and s.op == "tanh" for s in stats)


# ---------------------------------------------------------------- update_rules.py

def test_momentum_and_adam_beat_sgd_after_the_same_iterations():
    sample = load("update_rules")
    losses = sample.compare(epochs=10)
    assert set(losses) == {"SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"}
    assert all(len(ls) == 10 for ls in losses.values())
    assert losses["Momentum"][-1] < losses["SGD"][-1] and losses["Adam"][-1] < losses["SGD"][-1]
    assert max(losses, key=lambda r: losses[r][-1]) == "SGD"


def test_every_rule_starts_from_the_same_weights():
    sample = load("update_rules")
    first = [sample.build().graph().node("fc1.W").value for _ in range(2)]
    np.testing.assert_array_equal(*first)


def test_sgd_jitters_on_the_surface_while_momentum_and_adam_get_closer():
    sample = load("update_rules")
    paths = sample.trajectories(steps=40)
    sgd = paths["SGD"]
    assert np.all(np.sign(sgd[1:, 1]) != np.sign(sgd[:-1, 1]))  # w2 flips sign every step: the jitter
    far = {r: np.linalg.norm(p[-1]) for r, p in paths.items()}
    assert far["Momentum"] < far["SGD"] and far["Adam"] < far["SGD"]
    # the recorded path is plain gradient descent on the quadratic: w <- w - lr * c * w
    np.testing.assert_allclose(sgd[1], sample.START - 0.9 * sample.CURVATURE * sample.START)


# ---------------------------------------------------------------- hyperparameter_search.py

def test_random_and_grid_search_get_the_same_budget():
    sample = load("hyperparameter_search")
    results = sample.compare(fast=True)
    s = sample.summary(results)
    assert s["random"]["epochs"] == s["grid"]["epochs"] and s["random"]["trials"] == s["grid"]["trials"]
    assert {t.stage for t in results["random"].trials} == {"coarse", "fine"}
    # the grid tries sqrt(n) learning rates, random search n
    assert s["grid"]["distinct_lr"] == 3 and s["random"]["distinct_lr"] == 9
    texts = [text for text, _ in sample.findings(s)]
    assert f"{100 * s['random']['best_val']:.1f}%" in texts[1]


# ---------------------------------------------------------------- lecture_claims.py

def test_initial_softmax_loss_claim(claims):
    c = claims.initial_softmax_loss(classes=10)
    assert c.verdict == "confirmed" and f"{math.log(10):.4f}" in c.measured
    assert claims.initial_softmax_loss(classes=3).claim.endswith("(C = 3)")
    # the sample it points to measures another model: the claim names both, with the figure that sample prints
    linear = load_sample("svm_vs_softmax", "claims_svm").initial_losses(classes=10)["softmax"]
    assert c.evidence == "svm_vs_softmax.py" and c.measured.endswith(f"a linear classifier (W ~ 0.001 N(0, 1), "
                                                                    f"50 examples) gives {linear:.4f}")


def test_backward_vs_forward_claim_measures_both_phases_and_says_how(claims):
    c = claims.backward_vs_forward(fast=True, layers=3, width=64, batch=32)
    assert c.verdict in claims.VERDICTS
    assert "forward" in c.measured and "backward =" in c.measured
    assert "CPU time" in c.measured and "median of 5 interleaved runs" in c.measured
    assert "the matmuls predict 1.67x (3 forward, 5 backward)" in c.measured
    assert "confirmed within 1-1.5x, partly within 0.8-3x" in c.measured


def test_a_timing_claims_verdict_follows_its_stated_band(claims, monkeypatch):
    def timed(forward, backward):
        monkeypatch.setattr(claims.lecture, "median_cpu_seconds", lambda fns, runs: {"forward": forward,
                                                                                     "backward": backward})
        return claims.backward_vs_forward(fast=True, layers=1, width=4, batch=2).verdict
    assert [timed(1.0, r) for r in (1.2, 1.9, 3.5, 0.5)] == ["confirmed", "partly", "refuted", "refuted"]


def test_timings_are_the_median_of_interleaved_cpu_times(claims):
    calls = []
    seconds = claims.lecture.median_cpu_seconds({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                                                runs=3, calls=2)
    assert set(seconds) == {"a", "b"} and all(s >= 0 for s in seconds.values())
    assert calls == ["a", "b"] + ["a", "a", "b", "b"] * 3  # a warm-up call each, then turns


def test_elementwise_jacobian_claim(claims):
    c = claims.elementwise_jacobian(n=4096)
    assert c.verdict == "confirmed" and "4096 x 4096, structure diagonal" in c.measured


def test_weight_init_claim(claims):
    assert claims.weight_init(fast=True).verdict == "confirmed"


def test_epochs_to_reads_the_first_epoch_at_the_target(claims):
    accuracies = [0.5, 0.89, None, 0.9, 0.95]
    assert claims.lecture.epochs_to(accuracies, 0.9) == 4 and claims.lecture.epochs_to(accuracies, 0.99) is None


def test_relu_speed_claim_reports_epochs_per_activation(claims):
    c = claims.relu_speed(fast=True)
    assert all(a in c.measured for a in ("relu", "tanh", "sigmoid"))
    assert c.verdict in ("partly", "confirmed")  # ReLU is faster here; how much is the finding


def test_batchnorm_cost_claim(claims):
    c = claims.batchnorm_cost(fast=True)
    assert "CPU time of a training step" in c.measured and "ms without" in c.measured
    assert "confirmed within +15 to +50%, partly within +5 to +100%" in c.measured and c.verdict in claims.VERDICTS


def test_dropout_claim_reads_the_dropout_samples_runs(claims, monkeypatch):
    runs = {"epochs": 5, "p": 0.5, "plain": {"gap": 0.3, "val_acc": 0.6}, "dropout": {"gap": 0.1, "val_acc": 0.7}}
    monkeypatch.setattr(claims.dropout, "measure", lambda fast: runs)
    c = claims.dropout_gap(fast=True)
    assert c.verdict == "confirmed" and "30.0 points without, 10.0 with p = 0.5" in c.measured
    runs["dropout"]["val_acc"] = 0.5  # a narrower gap bought with worse validation accuracy
    assert claims.dropout_gap(fast=True).verdict == "partly"
    runs["dropout"]["gap"] = 0.4
    assert claims.dropout_gap(fast=True).verdict == "refuted"


def test_reshuffling_claim_compares_the_same_runs(claims):
    c = claims.reshuffling(fast=True, seeds=2)
    assert "reshuffled" in c.measured and "mean of 2 seeds" in c.measured


def test_update_rule_and_search_claims(claims):
    assert claims.update_rule_ranking(fast=True).verdict == "confirmed"
    assert claims.random_vs_grid(fast=True).verdict in claims.VERDICTS


def test_a_verdict_outside_the_three_is_refused(claims):
    with pytest.raises(ValueError, match="verdict must be one of"):
        claims.Claim("x", "y", "maybe")


def test_markdown_table_has_one_row_per_claim_with_escaped_cells(claims):
    rows = [claims.Claim("a | b", "1", "confirmed", "update_rules.py"), claims.Claim("c", "2", "refuted")]
    md = claims.markdown(rows, fast=True)
    lines = md.splitlines()
    assert lines[0] == "| the lecture says | graphscope measured | verdict |"
    assert lines[2] == "| a \\| b | 1 (see `samples/update_rules.py`) | **confirmed** |"
    assert lines[3] == "| c | 2 | **refuted** |" and "--fast" in md


# ---------------------------------------------------------------- as commands

def test_lecture_claims_runs_as_a_script_and_writes_markdown(tmp_path):
    out = tmp_path / "claims.md"
    result = subprocess.run([sys.executable, os.path.join(SAMPLES, "lecture_claims.py"), "--fast",
                             "--only", "softmax,jacobian", "--markdown", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "confirmed the initial softmax loss" in result.stdout
    assert out.read_text().count("**confirmed**") == 2


def test_a_plain_lecture_claims_run_writes_no_file(tmp_path):
    tracked = os.path.join(os.path.dirname(SAMPLES), "docs", "lecture_claims.md")
    before = (open(tracked, "rb").read(), os.stat(tracked).st_mtime_ns)
    result = subprocess.run([sys.executable, os.path.join(SAMPLES, "lecture_claims.py"), "--only", "softmax"],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "confirmed" in result.stdout and "wrote" not in result.stdout
    assert (open(tracked, "rb").read(), os.stat(tracked).st_mtime_ns) == before
    assert list(tmp_path.iterdir()) == []


def test_lecture_claims_refuses_a_markdown_path_it_cannot_write(tmp_path):
    result = subprocess.run([sys.executable, os.path.join(SAMPLES, "lecture_claims.py"), "--only", "softmax",
                             "--markdown", str(tmp_path / "no" / "claims.md")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2 and "there is no folder" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""  # refused before measuring


def test_lecture_claims_names_an_unknown_claim():
    result = subprocess.run([sys.executable, os.path.join(SAMPLES, "lecture_claims.py"), "--only", "nope"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "no claim named nope" in result.stderr


@pytest.mark.parametrize("name", TRAINING_SAMPLES)
def test_each_training_sample_runs_and_plots_in_80_columns(tmp_path, name):
    result = subprocess.run([sys.executable, os.path.join(SAMPLES, f"{name}.py"), "--fast", "--plot",
                             str(tmp_path)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0, result.stdout + result.stderr
    prose = [line for line in result.stdout.splitlines() if not line.startswith("wrote ")]  # a path is as long as it is
    assert max(map(len, prose)) <= 80  # nothing cut mid-word in an 80-column terminal
    assert "REFUTED" not in result.stdout
    pictures = sorted(p.name for p in tmp_path.iterdir())
    assert pictures and all(p.endswith(".png") and (tmp_path / p).stat().st_size > 1000 for p in pictures)


@pytest.mark.parametrize("name", TRAINING_SAMPLES + ["lecture_claims"])
def test_each_training_sample_passes_graphscope_check(capsys, name):
    code = graphscope(["check", os.path.join(SAMPLES, f"{name}.py")])
    assert code == 0, capsys.readouterr().out


def test_update_rules_trains_with_graphscope_train(capsys, tmp_path):
    code = graphscope(["train", os.path.join(SAMPLES, "update_rules.py"), "--optimizer", "adam", "--lr", "0.01",
                       "--epochs", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "epoch 2/2" in out or "2 epochs" in out, out


def _readme_block(section):
    """The first ```python block of the README's `## section`."""
    text = open(os.path.join(os.path.dirname(SAMPLES), "README.md"), encoding="utf-8").read()
    part = text[text.index(f"## {section}\n"):]
    return part[part.index("```python\n") + 10:part.index("```\n", part.index("```python\n") + 10)]


def test_the_readme_library_example_prints_what_its_comments_say(capsys):
    exec(compile(_readme_block("The library in twelve lines"), "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["-4.0 3.0", "-4.0", "1x1 scalar: d(x+y)/dx = 1"]
    assert float(lines[-1]) > 0.9                                     # trained


def test_the_readme_custom_op_example_backpropagates_through_its_vjp(op_table_guard):
    scope = {}
    exec(compile(_readme_block("A custom op"), "README.md", "exec"), scope)
    a = scope["h"].graph().node("a")
    x = np.linspace(-2, 2, 5)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(a.grad, s + x * s * (1 - s), rtol=1e-12)
