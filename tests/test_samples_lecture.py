"""The lecture's engine-only samples: each sample's claim, measured from what the engine recorded.

Every sample is loaded from its path and its functions called (the expected
numbers are derived here, from the lecture's formulas); each also runs as
`python samples/NAME.py --fast` and passes `graphscope check`.
"""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import graphscope as gs
from graphscope.cli import main as graphscope
from optable_guard import op_table_guard  # noqa: F401  (fixture)
from sample_modules import load_sample

pytestmark = pytest.mark.usefixtures("op_table_guard")  # gradient_check.py defines custom ops
SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
LECTURE_SAMPLES = ["chain_rule", "neuron", "svm_vs_softmax", "gradient_check", "jacobians"]


def load(name):
    return load_sample(name, "lecture_sample")


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# ---------------------------------------------------------------- chain_rule.py

@pytest.mark.parametrize("x, y, z", [(-2.0, 5.0, -4.0), (1.5, -0.25, 3.0)])
def test_chain_rule_gradients_are_z_z_and_x_plus_y(x, y, z):
    sample = load("chain_rule")
    f = sample.build(x, y, z)
    assert f.item() == (x + y) * z
    grads = sample.gradients(f)
    assert grads == {"x": z, "y": z, "z": x + y}
    assert gs.gradcheck(f)


def test_chain_rule_defaults_are_the_lectures_numbers():
    sample = load("chain_rule")
    f = sample.build()
    assert (sample.X, sample.Y, sample.Z) == (-2.0, 5.0, -4.0) and f.item() == -12.0
    assert f.graph().node("q").item() == 3.0


# ---------------------------------------------------------------- neuron.py

@pytest.mark.parametrize("builder", ["build", "build_gates"])
def test_neuron_gradients_are_s_one_minus_s_times_the_other_factor(builder):
    sample = load("neuron")
    w, x, b = np.array([2.0, -3.0]), np.array([-1.0, -2.0]), -3.0
    assert (sample.W, sample.X, sample.B) == (list(w), list(x), b)  # cs231n's neuron
    f = getattr(sample, builder)()
    s = sigmoid(w @ x + b)
    assert f.item() == pytest.approx(s, rel=1e-14) and f.item() == pytest.approx(0.7310585786, rel=1e-9)
    grads = sample.gradients(f)
    local = s * (1 - s)
    np.testing.assert_allclose(grads["w"], local * x, rtol=1e-12)
    np.testing.assert_allclose(grads["x"], local * w, rtol=1e-12)
    np.testing.assert_allclose(grads["b"], local, rtol=1e-12)
    assert gs.gradcheck(f)


def test_neuron_matches_pytorch(torch):
    sample = load("neuron")
    w = torch.tensor(sample.W, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(sample.X, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(sample.B, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(w @ x + b).backward()
    grads = sample.gradients(sample.build())
    for name, t in {"w": w, "x": x, "b": b}.items():
        np.testing.assert_allclose(grads[name], t.grad.numpy(), rtol=1e-12)


def test_the_gate_circuit_has_more_nodes_than_the_sigmoid_op():
    sample = load("neuron")
    assert len(sample.build_gates().graph()) > len(sample.build().graph())
    assert "sigmoid" in [n.op for n in sample.build().graph().nodes]


# ---------------------------------------------------------------- svm_vs_softmax.py

def test_svm_and_softmax_on_the_lectures_scores():
    sample = load("svm_vs_softmax")
    scores, labels = np.array(sample.SCORES), np.array(sample.LABELS)
    for row, label, found in zip(scores, labels, sample.per_example()):
        hinge = sum(max(0.0, row[j] - row[label] + 1.0) for j in range(len(row)) if j != label)
        softmax = -np.log(np.exp(row[label]) / np.exp(row).sum())
        assert found["svm"][0] == pytest.approx(hinge, abs=1e-12)
        assert found["softmax"][0] == pytest.approx(softmax, rel=1e-12)
    assert [round(found["svm"][0], 10) for found in sample.per_example()] == [2.9, 0.0, 12.9]  # the lecture's


def test_margins_above_one_zero_the_svm_but_not_the_softmax():
    sample = load("svm_vs_softmax")
    car = sample.per_example()[1]
    assert car["svm"][0] == 0.0 and not np.any(car["svm"][1])
    assert car["softmax"][0] > 0.0 and np.linalg.norm(car["softmax"][1]) > 1e-3


@pytest.mark.parametrize("classes", [3, 10])
def test_the_softmax_loss_at_small_initialization_is_log_c(classes):
    init = load("svm_vs_softmax").initial_losses(classes)
    assert abs(init["softmax"] - np.log(classes)) < 0.01
    assert abs(init["svm"] - (classes - 1)) < 0.05  # every margin is about 1


def test_under_descent_the_svm_stops_once_margins_exceed_one_while_softmax_keeps_pushing():
    sample = load("svm_vs_softmax")
    steps = 30
    svm = sample.descend("svm", sample.SCORES[0], sample.LABELS[0], steps)
    softmax = sample.descend("softmax", sample.SCORES[0], sample.LABELS[0], steps)
    assert len(svm) == len(softmax) == steps + 1 and svm[0][1] < 0  # the cat starts misclassified
    still = next(t for t, (loss, _, _) in enumerate(svm) if loss == 0.0)
    assert 0 < still < steps and svm[still][1] > 1.0
    assert all(row == svm[still] for row in svm[still:])  # zero gradient: the scores never move again
    assert svm[still][2] == 0.0
    margins = [m for _, m, _ in softmax]
    assert all(loss > 0 and norm > 0 for loss, _, norm in softmax)
    assert all(b > a for a, b in zip(margins, margins[1:]))  # pushed up at every step
    assert margins[-1] > svm[-1][1] + 1.0


def test_svm_vs_softmax_build_shares_one_scores_node():
    sample = load("svm_vs_softmax")
    out = sample.build()
    out.backward()
    graph = out.graph()
    scores = graph.node("scores")
    assert sorted(n.name for n in graph.consumers(scores)) == ["softmax", "svm"]
    expected = sum(sample.loss_and_grad(name, sample.SCORES, sample.LABELS)[1] for name in ("svm", "softmax"))
    np.testing.assert_allclose(scores.grad, expected, rtol=1e-12)


def test_svm_vs_softmax_plots_the_descent(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    sample = load("svm_vs_softmax")
    path = tmp_path / "descent.png"
    assert sample.main(["--fast", "--plot", str(path)]) == 0
    assert path.read_bytes().startswith(b"\x89PNG") and f"wrote {path}" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["descent.png"]  # no temporary file left


def test_svm_vs_softmax_plot_mistakes_get_one_line(tmp_path, capsys):
    sample = load("svm_vs_softmax")
    with pytest.raises(SystemExit) as exit_:
        sample.main(["--fast", "--plot", str(tmp_path / "descent.txt")])
    assert exit_.value.code == 2 and "give a folder, or a file ending in .png, .svg, .pdf" in capsys.readouterr().err
    pytest.importorskip("matplotlib")
    (tmp_path / "taken").write_text("a file where the folder would go")
    blocked = tmp_path / "taken" / "descent.svg"
    with pytest.raises(SystemExit) as exit_:  # refused before the run, not after it
        sample.main(["--fast", "--plot", str(blocked)])
    captured = capsys.readouterr()
    assert exit_.value.code == 2 and captured.out == ""
    assert captured.err == (f"svm_vs_softmax.py: --plot {blocked}: cannot make the folder {blocked.parent}: "
                            f"{blocked.parent} is a file, not a folder\n")


# ---------------------------------------------------------------- gradient_check.py

def test_gradcheck_passes_with_the_right_vjp():
    report = load("gradient_check").check("softplus_right")
    assert report.ok and report.max_rel < 1e-6
    assert sorted(leaf.name for leaf in report.leaves) == ["W1", "W2", "b1", "b2"]


def test_the_right_vjp_is_softplus_derivative_as_in_pytorch(torch):
    sample = load("gradient_check")
    x = np.linspace(-6, 6, 13)
    t = torch.tensor(x, requires_grad=True)
    torch.nn.functional.softplus(t).sum().backward()
    h = sample.softplus_right(gs.tensor(x, requires_grad=True, name="x"))
    np.testing.assert_allclose(h.value, torch.nn.functional.softplus(t).detach().numpy(), rtol=1e-12)
    gs.sum(h).backward()
    np.testing.assert_allclose(h.graph().node("x").grad, t.grad.numpy(), rtol=1e-12)


def test_the_centred_difference_error_falls_with_h_until_rounding_takes_over():
    sample = load("gradient_check")
    analytic, rows = sample.step_size_errors()
    errors = {h: err for h, _, err in rows}
    best = min(errors, key=errors.get)
    assert 1e-6 <= best <= 1e-3 and errors[best] < 1e-8
    assert errors[1e-1] > 100 * errors[best] and errors[1e-12] > 100 * errors[best]  # truncation, rounding
    assert errors[1e-1] > errors[1e-2] > errors[1e-3]  # truncation error shrinks like h^2


def test_the_centred_difference_leaves_the_graph_as_it_was():
    sample = load("gradient_check")
    loss = sample.build()
    before, W1 = loss.item(), np.array(loss.graph().node("W1").value)
    sample.centred_difference(loss, "W1", (0, 0), 1e-3)
    assert loss.item() == before
    np.testing.assert_array_equal(loss.graph().node("W1").value, W1)


def test_the_wrong_vjp_is_caught_at_its_node():
    report = load("gradient_check").check("softplus_wrong")
    assert not report.ok
    assert sorted(leaf.name for leaf in report.leaves if not leaf.ok) == ["W1", "b1"]  # below the bug only
    assert [(r.node.name, r.node.op, r.node.scope) for r in report.nodes.failures] == [("h", "softplus_wrong",
                                                                                          "fc1")]


# ---------------------------------------------------------------- jacobians.py

def test_the_4096_relu_jacobian_is_diagonal_and_never_built():
    sample = load("jacobians")
    loss = sample.build()
    found = {f"d{node.name}/d{inp.name}": j for node, inp, j in sample.jacobians(loss)}
    relu = found["dh/dx"]
    assert relu.shape == (4096, 4096) and relu.structure == "diagonal" and not relu.is_small
    with pytest.raises(gs.GraphscopeError, match="4096 x 4096"):
        relu.matrix()
    assert found["ds/dh"].shape == (10, 4096) and found["ds/dW"].shape == (10, 40960)
    assert found["ds/dh"].structure == found["ds/dW"].structure == "matmul"
    assert sample.backward_peak_bytes(loss) < 8 * 4096 * 4096 / 20  # far below the dense Jacobian's size
    x, W = loss.graph().node("x"), loss.graph().node("W")
    np.testing.assert_allclose(x.grad, (x.value > 0) * W.value.sum(axis=0), rtol=1e-12)


def test_a_mini_batch_relu_jacobian_is_described_at_its_full_size():
    found = load("jacobians").batched_relu_jacobian(batch=100)
    assert found.shape == (409600, 409600) and found.structure == "diagonal" and not found.is_small


def test_the_small_jacobians_in_full():
    sample = load("jacobians")
    loss = sample.build(n=4, m=2, seed=1)
    graph = loss.graph()
    x, h, W = (graph.node(k).value for k in ("x", "h", "W"))
    full = {f"d{node.name}/d{inp.name}": j.matrix() for node, inp, j in sample.jacobians(loss)}
    np.testing.assert_array_equal(full["dh/dx"], np.diag((x > 0).astype(float)))
    np.testing.assert_allclose(full["ds/dh"], W, rtol=1e-12)
    np.testing.assert_allclose(full["ds/dW"], np.kron(np.eye(2), h[None, :]), rtol=1e-12)
    np.testing.assert_array_equal(full["dL/ds"], np.ones((1, 2)))


# ---------------------------------------------------------------- as commands

KEY_LINES = {
    "chain_rule": r"df/dz = x \+ y = +3 +recorded 3 +equal",
    "neuron": r"df/dw +s \(1 - s\) x +\[-0\.1966, -0\.3932\] .* equal",
    "svm_vs_softmax": r"the svm loss is 0 from step 3 on .* the softmax keeps pushing: margin [\d.]+ after 40 steps",
    "gradient_check": r"caught at its node: h \(op softplus_wrong\) in scope fc1",
    "jacobians": r"a 4096 x 4096 diagonal Jacobian",
}


@pytest.mark.parametrize("name", LECTURE_SAMPLES)
def test_each_sample_runs_as_a_script(name):
    result = subprocess.run([sys.executable, os.path.join(SAMPLES, f"{name}.py"), "--fast"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert re.search(KEY_LINES[name], result.stdout), result.stdout
    assert "DIFFERENT" not in result.stdout


def test_the_fast_environment_variable_is_the_flag():
    sample = os.path.join(SAMPLES, "svm_vs_softmax.py")
    result = subprocess.run([sys.executable, sample], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "GRAPHSCOPE_FAST": "1"})
    assert result.returncode == 0 and "after 40 steps" in result.stdout


@pytest.mark.parametrize("name", LECTURE_SAMPLES)
def test_each_sample_passes_graphscope_check(capsys, name):
    code = graphscope(["check", os.path.join(SAMPLES, f"{name}.py")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.match(r"passed( \(sampled [^)]*\))?: ", out.splitlines()[-1]) and out.splitlines()[-1].endswith(f"/{name}.py"), out
