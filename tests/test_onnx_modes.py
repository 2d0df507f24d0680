"""ONNX export of batch norm and dropout (test mode, said when the graph is in training mode), a free batch size
(dynamic_batch / --dynamic-batch, checked with onnxruntime at another batch size), and .onnx files handed back."""
import os
import warnings

import numpy as np
import pytest

import graphscope as gs
from graphscope.interop import OnnxExportError, OnnxExportWarning

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")


def session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def mlp_in_training_mode(rng, batch=8):
    net = gs.nn.MLP([4, 16, 3], batchnorm=True, dropout=0.3, rng=0)
    x = gs.tensor(rng.standard_normal((batch, 4)), name="x")
    scores = net(x)
    graph = scores.graph()
    for _ in range(3):
        graph.run()   # running averages move, fresh dropout masks
    return net, x, scores, graph


def test_training_mode_batch_norm_and_dropout_export_in_test_mode_and_say_so(tmp_path, rng):
    net, x, scores, graph = mlp_in_training_mode(rng)
    with pytest.warns(OnnxExportWarning, match=r"batch norm and dropout in training mode \(bn1, drop1\) export in "
                                               r"test mode, as after net\.eval\(\)") as caught:
        path = graph.to_onnx(tmp_path / "m.onnx")
    assert caught[0].filename == __file__   # the warning names the user's line
    (got,) = session(path).run(None, {"x": x.value})
    assert np.abs(got - scores.value).max() > 1e-3      # what the warning is about: training mode differs
    net.eval()
    graph.run()
    np.testing.assert_allclose(got, scores.value, rtol=1e-9, atol=1e-9)   # the model is the eval-mode graph
    assert "test mode" in onnx.load(path).doc_string
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        graph.to_onnx(tmp_path / "again.onnx")   # in eval mode: nothing to say


def test_dynamic_batch_runs_at_another_batch_size(tmp_path, rng):
    net, x, scores, graph = mlp_in_training_mode(rng)
    net.eval()
    path = graph.to_onnx(tmp_path / "d.onnx", dynamic_batch=True)
    s = session(path)
    assert [i.shape for i in s.get_inputs()] == [["batch", 4]] and s.get_outputs()[0].shape == ["batch", 3]
    for batch in (5, 1, 33):
        xb = rng.standard_normal((batch, 4))
        (got,) = s.run(None, {"x": xb})
        graph.run({x: xb})
        assert got.shape == (batch, 3)
        np.testing.assert_allclose(got, scores.value, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("loss_fn", [gs.softmax_cross_entropy, gs.svm_loss])
def test_dynamic_batch_makes_a_losss_labels_an_input(tmp_path, rng, loss_fn):
    net = gs.nn.MLP([4, 6, 3], rng=0)
    x = gs.tensor(rng.standard_normal((8, 4)), name="x")
    data_loss = loss_fn(net(x), rng.integers(0, 3, 8))
    loss = data_loss + 1e-3 * gs.l2(net["fc1"].W)
    graph = loss.graph()
    s = session(graph.to_onnx(tmp_path / "l.onnx", dynamic_batch=True))
    assert [(i.name, i.shape, i.type) for i in s.get_inputs()] == [("x", ["batch", 4], "tensor(double)"),
                                                                    ("labels", ["batch"], "tensor(int64)")]
    xb, yb = rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
    (got,) = s.run(None, {"x": xb, "labels": yb})
    graph.run({x: xb, (data_loss, "labels"): yb})
    np.testing.assert_allclose(got, loss.value, rtol=1e-12)


def test_dynamic_batch_refuses_an_op_that_fixes_the_batch_and_names_it(tmp_path, rng):
    x = gs.tensor(rng.standard_normal((8, 4)), name="x")
    flat = gs.reshape(x, (32,))
    target = tmp_path / "r.onnx"
    with pytest.raises(OnnxExportError, match=rf"dynamic batch: node {flat.name} \(op reshape, made at "
                                              rf".*test_onnx_modes\.py:\d+\) fixes the batch size"):
        gs.Graph(flat).to_onnx(target, dynamic_batch=True)
    assert not target.exists()
    gs.Graph(flat).to_onnx(target)   # the recorded batch size exports
    mixed = x + gs.constant(np.ones((8, 4)))
    with pytest.raises(OnnxExportError, match=r"combines it with const_\d+ \(8, 4\)"):
        gs.Graph(mixed).to_onnx(target, dynamic_batch=True)


def test_cli_dynamic_batch_and_the_test_mode_note(tmp_path, capsys, rng):
    from graphscope.cli import main
    target = tmp_path / "drop.onnx"
    assert main(["export", os.path.join(SAMPLES, "dropout.py"), "-o", str(target), "--dynamic-batch"]) == 0
    out, err = capsys.readouterr()
    assert "inputs: x (batch, 2), labels (batch,)" in out
    assert err.startswith(f"note: {target} holds the model in test mode (dropout passes its input on: drop1, drop2)")
    assert "differ from the training-mode pass" in err and "random dropout masks" in err and "Warning" not in err
    assert "net.eval()" not in err and "set_training" not in err and "batches of exactly" not in err
    (loss,) = session(target).run(None, {"x": rng.standard_normal((7, 2)).astype(np.float32),
                                         "labels": rng.integers(0, 2, 7)})
    assert np.isfinite(loss) and loss.shape == ()
    assert main(["export", os.path.join(SAMPLES, "dropout.py"), "-o", str(tmp_path / "d.svg"), "--dynamic-batch"]) == 2
    assert "--dynamic-batch goes with an ONNX model (-o MODEL.onnx)" in capsys.readouterr().err


def test_an_onnx_file_is_said_to_be_written_not_read(tmp_path, capsys):
    from graphscope.cli import main
    x = gs.tensor(np.ones((2, 3)), name="x")
    path = gs.Graph(gs.tanh(x)).to_onnx(tmp_path / "model.onnx")
    renamed = tmp_path / "model.bin"
    renamed.write_bytes(open(path, "rb").read())
    for p in (path, renamed):
        with pytest.raises(gs.GraphscopeError, match=rf"^{p}: an ONNX model; graphscope writes ONNX .* but does not "
                                                     r"read it: it reads graph files saved with graph\.save"):
            gs.load_graph(p)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "an ONNX model; graphscope writes ONNX" in err and "zip" not in err and len(err.strip().splitlines()) == 1
