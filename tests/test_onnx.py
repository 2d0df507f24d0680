"""ONNX export: every op maps (or is named as unsupported), onnx's checker passes, onnxruntime agrees.

Every op of the table is exported on the cases ``tests/test_ops.py`` draws for it,
and every sample's network; onnxruntime's outputs must match graphscope's forward
to 1e-5.
"""
import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import graphscope as gs
from graphscope.interop import OnnxExportError, onnxmap
from graphscope.userfile import load_module
from optable_guard import op_table_guard  # noqa: F401  (fixture)
from test_ops import SPECS, _defined_in_graphscope, _import_every_module, draw_cases

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
TOLERANCE = 1e-5


def run_model(path, graph, feeds=None):
    """onnxruntime's outputs for the model at `path`, fed the graph's input leaves (or `feeds`)."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    values = {n.name: np.asarray(n.value) for n in graph.leaves if n.role == "input"}
    values.update(feeds or {})
    return session.run(None, {i.name: values[i.name] for i in session.get_inputs()})


def assert_matches(path, graph):
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    for got, out in zip(run_model(path, graph), graph.outputs):
        assert got.shape == tuple(out.shape), out.name
        assert got.dtype == out.dtype, out.name
        np.testing.assert_allclose(got, np.asarray(out.value), rtol=TOLERANCE, atol=TOLERANCE, err_msg=out.name)


def test_every_op_has_a_mapping_or_an_explicit_unsupported_entry():
    _import_every_module()
    builtin = {name for name, op in gs.OPS.items() if _defined_in_graphscope(op)}
    missing = sorted(builtin - set(onnxmap.ONNX_OPS))
    assert not missing, f"ops with neither an ONNX mapping nor an Unsupported entry in onnxmap.ONNX_OPS: {missing}"
    for name, row in onnxmap.ONNX_OPS.items():
        assert callable(row) or (isinstance(row, onnxmap.Unsupported) and row.reason), name


@pytest.mark.parametrize("name", sorted(n for n in SPECS if callable(onnxmap.ONNX_OPS.get(n))))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_op_exports_and_runs_like_graphscope(tmp_path, name, data):
    for case in draw_cases(name, data):
        leaves = [gs.tensor(x, name=f"x{k}") for k, x in enumerate(case.inputs)]
        out = gs.apply(gs.OPS[name], *leaves, **case.attrs)
        graph = gs.Graph(out)
        gs.nn.set_training(graph, False)  # batch norm and dropout export in eval mode
        graph.run()
        path = graph.to_onnx(tmp_path / "op.onnx")
        assert_matches(path, graph)


def _sample(name):
    """Load samples/NAME.py as the CLI does (its folder on the path, for the samples' shared helper)."""
    return load_module(os.path.join(SAMPLES, f"{name}.py"))


# every sample; modules named _*.py are helpers the samples share, not samples
ALL_SAMPLES = sorted(f[:-3] for f in os.listdir(SAMPLES) if f.endswith(".py") and not f.startswith("_"))


@pytest.mark.parametrize("sample", ALL_SAMPLES)
def test_every_sample_exports_and_matches_or_names_its_custom_op(tmp_path, sample, op_table_guard):
    """Each sample's network runs in onnxruntime like in graphscope (eval mode), or the export names the
    custom op that has no ONNX form."""
    with np.errstate(all="ignore"):  # nan_origin makes its NaN on purpose
        graph = gs.Graph(_sample(sample).build())
    custom = [n for n in graph.ops if not _defined_in_graphscope(n.op_def)]
    target = tmp_path / f"{sample}.onnx"
    if custom:
        with pytest.raises(OnnxExportError, match=rf"op {custom[0].op} \(node {custom[0].name}"):
            graph.to_onnx(target)
        assert not target.exists()
        return
    gs.nn.set_training(graph, False)
    with np.errstate(all="ignore"):
        graph.run()
        assert_matches(graph.to_onnx(target), graph)


def test_custom_op_is_named_with_its_node_and_line(tmp_path, op_table_guard):
    graph = gs.Graph(_sample("custom_op").build())
    target = tmp_path / "custom.onnx"
    with pytest.raises(OnnxExportError, match=r"op swish \(node swish_\d+, made at .*custom_op\.py:\d+\).*custom op"):
        graph.to_onnx(target)
    assert not target.exists()


def test_wrong_backward_sample_names_its_custom_op(tmp_path, op_table_guard):
    graph = gs.Graph(_sample("wrong_backward").build())
    with pytest.raises(OnnxExportError, match="has no ONNX mapping"):
        graph.to_onnx(tmp_path / "w.onnx")


def test_unsupported_entry_is_named(tmp_path, monkeypatch):
    monkeypatch.setitem(onnxmap.ONNX_OPS, "tanh", onnxmap.Unsupported("no reason but a test"))
    h = gs.tanh(gs.tensor(np.ones(3), name="x"))
    with pytest.raises(OnnxExportError, match=r"op tanh \(node tanh_\d+.*no reason but a test"):
        gs.Graph(h).to_onnx(tmp_path / "t.onnx")


def test_inputs_initializers_names_scopes_and_dtype(tmp_path):
    x = gs.tensor(np.ones((2, 3), np.float32), name="x")
    with gs.scope("fc1"):
        w = gs.param(np.full((3, 4), 0.5, np.float32), name="W")
        h = gs.relu(x @ w)
        h_line = sys._getframe().f_lineno - 1
        h.name = "h"
    loss = gs.mean(h * 2.0)
    model = onnx.load(gs.Graph(loss).to_onnx(tmp_path / "m.onnx"))
    assert [i.name for i in model.graph.input] == ["x"]
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert "W" in {t.name for t in model.graph.initializer}
    made = {n.name: n.doc_string for n in model.graph.node}
    assert "fc1/h" in made and made["fc1/h"].startswith("graphscope op relu, made at ")
    assert made["fc1/h"].endswith(f"test_onnx.py:{h_line}")
    assert "h" in {o for n in model.graph.node for o in n.output}
    assert_matches(tmp_path / "m.onnx", gs.Graph(loss))


def test_trained_parameters_are_exported_and_new_inputs_run(tmp_path):
    x = gs.tensor(np.array([1.0, 2.0]), name="x")
    w = gs.param(np.array([0.5, -1.0]), name="w")
    y = gs.tanh(gs.sum(x * w))
    w.value = np.array([3.0, 4.0])  # "trained"
    graph = gs.Graph(y)
    graph.run()
    path = graph.to_onnx(tmp_path / "t.onnx")
    (got,) = run_model(path, graph, {"x": np.array([-1.0, 0.5])})
    np.testing.assert_allclose(got, np.tanh(-3.0 + 2.0), rtol=1e-12)


def test_duplicate_names_mixed_dtypes_and_a_leaf_output(tmp_path):
    a = gs.tensor(np.ones(3, np.float32), name="a")
    b = gs.tensor(np.arange(3.0), name="a")  # same name, float64: the sum is float64, as numpy promotes
    s = a + b
    s.name = "a"
    graph = gs.Graph([s, b])
    path = graph.to_onnx(tmp_path / "d.onnx")
    assert len({i.name for i in onnx.load(path).graph.input}) == 2
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    got = session.run(None, dict(zip(names, [np.ones(3, np.float32), np.arange(3.0)])))
    np.testing.assert_allclose(got[0], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(got[1], [0.0, 1.0, 2.0])


def test_a_mapping_that_emits_a_bad_model_is_caught_by_the_checker(tmp_path, monkeypatch):
    def wrong(b, node, x):
        return b.op("Tanh", [x, x], node)  # Tanh takes one input

    monkeypatch.setitem(onnxmap.ONNX_OPS, "tanh", wrong)
    target = tmp_path / "bad.onnx"
    with pytest.raises(OnnxExportError, match="fails onnx's checker"):
        gs.Graph(gs.tanh(gs.tensor(np.ones(2), name="x"))).to_onnx(target)
    assert not target.exists()


def test_missing_onnx_package_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(OnnxExportError, match=r"pip install onnx onnxruntime \(or pip install -e '\.\[onnx\]'"):
        gs.Graph(gs.tanh(gs.tensor(1.0, name="x"))).to_onnx(tmp_path / "m.onnx")


def test_interrupted_export_keeps_the_previous_model(tmp_path, monkeypatch):
    path = tmp_path / "m.onnx"
    first = gs.Graph(gs.tanh(gs.tensor(np.ones(2), name="x")))
    first.to_onnx(path)
    before = path.read_bytes()

    def crash(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        gs.Graph(gs.exp(gs.tensor(np.ones(5), name="x"))).to_onnx(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.onnx"]
    assert_matches(path, first)


# ---------------------------------------------------------------- graphscope export FILE -o model.onnx

def test_cli_exports_a_sample_and_a_saved_graph(tmp_path, capsys):
    from graphscope.cli import main
    target = tmp_path / "two_layer.onnx"
    assert main(["export", os.path.join(SAMPLES, "two_layer.py"), "-o", str(target)]) == 0
    assert "inputs: X" in capsys.readouterr().out
    graph = gs.Graph(_sample("two_layer").build())
    assert_matches(target, graph)
    saved = tmp_path / "two_layer.gsgraph"
    graph.save(saved)
    again = tmp_path / "again.onnx"
    assert main(["export", str(saved), "-o", str(again)]) == 0
    assert_matches(again, graph)


def test_cli_names_the_custom_op_and_writes_nothing(tmp_path, capsys, op_table_guard):
    from graphscope.cli import main
    target = tmp_path / "c.onnx"
    assert main(["export", os.path.join(SAMPLES, "custom_op.py"), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert "op swish (node swish_" in err and "custom_op.py:" in err and "Traceback" not in err
    assert not target.exists()


def test_cli_rejects_step_options_with_onnx(tmp_path, capsys):
    from graphscope.cli import main
    assert main(["export", os.path.join(SAMPLES, "chain_rule.py"), "-o", str(tmp_path / "n.onnx"), "--step", "2"]) == 2
    assert "--step picks a step of a picture" in capsys.readouterr().err
