"""What an ONNX export says about itself: the fixed batch size (after Trainer.fit: the last batch's) and, on the
command line, what a test-mode model holds, without Python advice."""
import os

import numpy as np
import pytest

import graphscope as gs

from train_helpers import spiral

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")


def session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_after_fit_the_model_says_its_batch_size_and_a_free_one_takes_any(tmp_path):
    x, y = spiral(n_per_class=16, classes=3)            # 48 examples: batches of 32, then 16
    net = gs.nn.MLP([2, 8, 3], rng=0, dtype="float32")
    X = gs.tensor(x[:32], name="x")
    scores = net(X)
    loss = gs.softmax_cross_entropy(scores, y[:32])
    gs.Trainer(loss, gs.optim.SGD(net.parameters(), lr=0.1), batch_size=32, epochs=1, shuffle=False).fit(x, y)
    assert X.shape == (16, 2)                             # the graph holds the last batch
    graph = scores.graph()
    fixed = graph.to_onnx(tmp_path / "fixed.onnx")
    doc = onnx.load(fixed).doc_string
    assert "the model takes batches of exactly 16 examples (x: 16x2)" in doc and "after Trainer.fit" in doc
    assert "dynamic_batch=True" in doc
    many = np.concatenate([x, x])[:60]
    with pytest.raises(Exception, match="dimension|shape|Got"):
        session(fixed).run(None, {"x": many})            # what the note warns of
    free = graph.to_onnx(tmp_path / "free.onnx", dynamic_batch=True)
    assert "exactly" not in onnx.load(free).doc_string
    (got,) = session(free).run(None, {"x": many})
    graph.run({X: many})
    np.testing.assert_allclose(got, scores.value, rtol=1e-5, atol=1e-6)


def test_cli_batchnorm_export_says_what_the_file_holds_without_python_advice(tmp_path, capsys):
    from graphscope.cli import main
    sample = os.path.join(SAMPLES, "batchnorm.py")
    target = tmp_path / "bn.onnx"
    assert main(["export", sample, "-o", str(target), "--dynamic-batch"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"note: {target} holds the model in test mode (batch norm uses its running averages: bn1")
    assert f"its outputs differ from the training-mode pass {sample} records (batch statistics)" in err
    assert "net.eval()" not in err and "set_training" not in err and "exactly" not in err
    assert main(["export", sample, "-o", str(target)]) == 0
    out, err = capsys.readouterr()
    assert "inputs: x (32, 2)" in out
    assert (f"note: the model takes batches of exactly 32 examples (x: 32x2), the batch {sample} builds; export "
            f"with --dynamic-batch to take any batch size") in err


def test_an_input_without_a_batch_axis_gets_no_batch_note(tmp_path, capsys):
    from graphscope.cli import main
    assert main(["export", os.path.join(SAMPLES, "neuron.py"), "-o", str(tmp_path / "n.onnx")]) == 0
    assert "batch" not in capsys.readouterr().err
