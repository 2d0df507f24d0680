"""`graphscope train` and `graphscope check` say when layers are unhealthy, and why a check could not judge."""
import json

import numpy as np
import pytest

import graphscope as gs
from graphscope.cli import main
from cli_run import in_process

DEEP = '''
import os
import numpy as np
import graphscope as gs


def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((240, 8))
    y = (x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] > 0)
    return x[:200], y[:200], x[200:], y[200:]


def build():
    x, y, _, _ = data()
    net = gs.nn.MLP([8, 30, 30, 30, 30, 30, 4], activation=os.environ.get("ACT", "sigmoid"),
                    init=os.environ.get("INIT", "normal"), bias=float(os.environ.get("BIAS", "0")), rng=0)
    scores = net(gs.tensor(x[:32], name="x"))
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y[:32])


def settings():
    return {"lr": 0.1, "batch_size": 32, "epochs": 3}
'''


@pytest.fixture
def deep(tmp_path, monkeypatch):
    path = tmp_path / "deep.py"
    path.write_text(DEEP)

    def use(**env):
        for key in ("ACT", "INIT", "BIAS"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return path
    return use


def test_train_diagnoses_vanishing_gradients_and_writes_per_epoch_layer_records(deep, tmp_path, capsys):
    history = tmp_path / "h.json"
    code, out, err = in_process(main, capsys, "train", deep(), "--no-progress", "--history", history)
    assert code == 0, err
    health = out[out.index("layer health after epoch 3:"):]
    assert health.splitlines()[1].startswith("  vanishing gradients: fc1 ... sigmoid4 (8 scopes) get less than "
                                             "1/1000 of the gradient std at fc6")
    assert f"(the table: graphscope train {deep()} --no-progress --history {history} --layers)" in health
    saved = json.loads(history.read_text())
    assert [r["epoch"] for r in saved["layers"]] == [1, 2, 3]
    assert saved["layers"][-1]["scopes"]["sigmoid1"].keys() == {"grad_std", "saturated"}
    assert saved["layers"][-1]["scopes"]["fc1"]["update_ratio"] < 1e-4
    assert saved["layers"][-1]["diagnosis"][0].startswith("vanishing gradients")


def test_train_layers_prints_the_table_and_dead_units_with_the_examples_they_were_counted_on(deep, capsys):
    code, out, err = in_process(main, capsys, "train", deep(ACT="relu", INIT="he", BIAS="-3"), "--no-progress",
                                "--layers")
    assert code == 0, err
    table = out[out.index("layer statistics after epoch 3:"):out.index("layer health after epoch 3:")]
    assert table.splitlines()[1].split()[:3] == ["scope", "output", "shape"]
    assert "(activations and dead/saturated fractions: 200 training examples (a fixed sample, eval mode); " \
           "gradients: the last pass, 8 examples)" in table
    health = out[out.index("layer health after epoch 3:"):]
    assert "  dead units (on 200 examples): " in health and "the table:" not in health


def test_train_with_zero_init_says_the_weights_are_symmetric(deep, capsys):
    code, out, err = in_process(main, capsys, "train", deep(INIT="zeros"), "--no-progress", "--epochs", "1")
    assert code == 0, err
    assert "  symmetric weights: in fc1.W ... fc5.W (5 weights) all 30 units hold the same weights" in out


def test_a_healthy_run_says_so_in_one_line(deep, capsys):
    code, out, err = in_process(main, capsys, "train", deep(ACT="relu", INIT="he"), "--no-progress", "--epochs", "1")
    assert code == 0, err
    assert "layer health after epoch 1: no vanishing or exploding gradients, dead or saturated layers, or " \
           "symmetric weights found" in out


def test_sanity_refuses_layers(deep, capsys):
    code, out, err = in_process(main, capsys, "train", deep(), "--sanity", "--layers")
    assert code == 2 and "--layers: --sanity only checks the model before training" in err


def test_check_says_a_vanishing_gradient_not_bad_inputs_made_the_leaves_unjudgeable(deep, capsys):
    code, out, err = in_process(main, capsys, "check", deep(), "--layers")
    assert code == 3
    warning = next(line for line in out.splitlines() if line.startswith("warning: at fc1.W"))
    assert "because almost no gradient reaches them (at most" in warning and "reaches fc1.W (at matmul_" in warning
    assert "not the input values but a vanishing gradient" in warning
    assert "not symmetric around 0" not in warning
    assert "layer statistics of the recorded pass:" in out and "  vanishing gradients: fc1 ... " in out


def test_check_blames_dead_relus_and_all_zero_inputs(deep, capsys):
    code, out, err = in_process(main, capsys, "check", deep(ACT="relu", INIT="he", BIAS="-3"))
    assert code == 3
    warnings = [line for line in out.splitlines() if line.startswith("warning:")]
    assert any(w.startswith("warning: at relu_") and "entries are <= 0, where the ReLU's gradient is 0: dead ReLU "
               "units" in w for w in warnings)
    assert any("another input of the node, is all 0: dead units or zero weights upstream" in w for w in warnings)
    assert not any("not symmetric around 0" in w for w in warnings)


def test_gradcheck_causes_are_found_from_the_graph():
    """In the library: a leaf the gradient barely reaches is 'vanishing'; one multiplied by an all-0 input is
    'zero input'; a 0 local derivative at these input values (x^3 at 0) is left to the old advice."""
    rng = np.random.default_rng(0)
    h = gs.tensor(rng.standard_normal((8, 5)), name="x")
    first = gs.param(rng.standard_normal((5, 5)), name="W1")
    h = gs.sigmoid(h @ first)
    for i in range(12):
        h = gs.sigmoid(h @ gs.param(rng.standard_normal((5, 5)) * 0.01, name=f"V{i}"))
    report = gs.gradcheck(gs.sum(h @ gs.param(np.ones((5, 2)), name="out")), wrt=["W1"])
    (leaf,) = report.leaves
    assert leaf.unjudged and leaf.cause[0] == "vanishing"
    assert "almost no gradient reaches it (at most" in report.summary()

    zero = gs.tensor(np.zeros((3, 4)), name="h")
    W = gs.param(rng.standard_normal((4, 2)), name="W")
    report = gs.gradcheck(gs.sum(zero @ W))
    kind, detail = report.leaves[0].cause
    assert kind == "zero input" and detail.startswith("W is multiplied by h at matmul_") and \
        detail.endswith(", and h is all 0")
    assert "dead units or zero weights upstream make it 0" in report.summary()
