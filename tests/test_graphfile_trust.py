"""Graph files as an instructor hands them out: the walk of a loaded file shows true gradients (never the saved ones
added again), loading checks the saved values against the ops, and a file can leave out gradients and paths."""
import html
import json
import os
import re
import sys
import warnings
import zipfile

import numpy as np
import pytest

import graphscope as gs
from graphscope.cli import main
from graphscope.interop import SavedValuesWarning, UnknownOpError, load_graph
from graphscope.stepper import Stepper
from cli_run import in_process
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")

MM_OPS = """
import graphscope as gs

@gs.custom_op
def mm(a, b):
    return {scale}(a @ b)

@mm.vjp
def _(g, a, b, value):
    return {scale}(g @ b.T), {scale}(a.T @ g)
"""

MM_BUILD = """
import numpy as np
import graphscope as gs
from {ops} import mm

def build():
    rng = np.random.default_rng(0)
    A = gs.tensor(rng.normal(size=(2, 3)), requires_grad=True, name="A")
    B = gs.tensor(rng.normal(size=(3, 2)), requires_grad=True, name="B")
    return (mm(A, B) ** 2).sum()
"""


def lecture():
    x = gs.tensor(-2.0, requires_grad=True, name="x")
    y = gs.tensor(5.0, requires_grad=True, name="y")
    z = gs.tensor(-4.0, requires_grad=True, name="z")
    f = (x + y) * z
    f.name = "f"
    return f


def saved_after_backward(path):
    f = lecture()
    f.backward()
    f.graph().save(path)
    return path


def graph_json(path):
    with zipfile.ZipFile(path) as z:
        return z.read("graph.json").decode("utf-8")


def edited(path, out, old, new):
    """A copy of graph file `path` at `out` whose graph.json has `old` replaced by `new` (a hand edit)."""
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    assert old.encode() in members["graph.json"]
    members["graph.json"] = members["graph.json"].replace(old.encode(), new.encode())
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out


def quietly_loaded(path, **options):
    """load_graph, failing the test on any SavedValuesWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", SavedValuesWarning)
        return load_graph(path, **options)


def card_gradients(svg):
    """The gradient each card of a picture shows, sorted (the text after each 'grad' label)."""
    words = [html.unescape(t).replace("\u00a0", " ").strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
    return sorted(float(words[i + 1]) for i, w in enumerate(words) if w == "grad")


def homework(folder, scale=""):
    """hw/mm_ops.py (the custom op; given a `scale`, hw/mm_ops_wrong.py with its forward and VJP times it) and
    hw/mm_build.py (build(), importing mm from mm_ops): (ops file, build file)."""
    hw = folder / "hw"
    hw.mkdir(exist_ok=True)
    sys.modules.pop("mm_ops", None)  # another test's homework, imported from its own folder
    ops = hw / ("mm_ops.py" if not scale else "mm_ops_wrong.py")
    ops.write_text(MM_OPS.format(scale=scale))
    build = hw / "mm_build.py"
    build.write_text(MM_BUILD.format(ops="mm_ops"))
    return ops, build


# ---------------------------------------------------------------- the walk starts from zero gradients

def test_the_walk_of_a_file_saved_after_backward_shows_the_true_gradients(tmp_path):
    graph = load_graph(saved_after_backward(tmp_path / "cr.gsgraph"))
    x, y, z = (graph[name] for name in "xyz")
    assert [x.grad, y.grad, z.grad] == [-4.0, -4.0, 3.0]          # the saved gradients came back
    st = Stepper(graph)
    assert st.at(0).grad(x) is None                               # nothing before the walk reaches x
    assert [st.final().grad(n) for n in (x, y, z)] == [-4.0, -4.0, 3.0]
    ev = st[st.find(graph.nodes[3], "backward")]                # q = add(x, y)
    assert [(e.contribution, e.accumulated) for e in ev.edges] == [(-4.0, -4.0), (-4.0, -4.0)]
    assert [x.grad, y.grad, z.grad] == [-4.0, -4.0, 3.0]          # and the loaded graph still holds its own


def test_the_text_walk_of_a_saved_file_prints_the_true_gradients(tmp_path, capsys):
    path = saved_after_backward(tmp_path / "cr.gsgraph")
    code, out, err = in_process(main, capsys, "demo", path, "--text")
    assert code == 0, err
    assert re.search(r"df/dx = -4\s", out) and re.search(r"df/dz = 3\s", out)
    assert "-8" not in out and "= 6" not in out


def test_pictures_and_the_player_of_a_saved_file_show_the_true_gradients(tmp_path, capsys):
    path = saved_after_backward(tmp_path / "cr.gsgraph")
    svg, player = tmp_path / "x.svg", tmp_path / "steps.html"
    assert in_process(main, capsys, "export", path, "--node", "x", "--phase", "backward", "-o", svg)[0] == 0
    assert card_gradients(svg.read_text()) == [-4.0, -4.0, -4.0, 1.0, 3.0]    # x, y, q, f, z
    assert in_process(main, capsys, "export", path, "-o", player)[0] == 0
    data = re.search(r'<script id="steps-data" type="application/json">(.*?)</script>', player.read_text(), re.S)
    panels = json.dumps([step["details"] for step in json.loads(data.group(1))["steps"]])
    assert "-4" in panels and "-8" not in panels


def test_pictures_of_a_python_graph_after_backward_show_true_gradients_and_leave_its_own(tmp_path):
    f = lecture()
    f.backward()
    f.backward()                                                  # the user's leaves hold -8, -8, 6
    svg = gs.viz.to_svg(f, node="x", phase="backward")
    assert card_gradients(svg) == [-4.0, -4.0, -4.0, 1.0, 3.0]
    assert [n.grad for n in f.graph().leaves] == [-8.0, -8.0, 6.0]


def test_the_update_phase_steps_with_the_true_gradient(tmp_path):
    W = gs.param(np.array([1.0, 2.0]), name="W")
    loss = gs.sum(W * W)
    loss.backward()
    loss.backward()                                               # W.grad holds 2 x (2 W)
    opt = gs.optim.SGD([W], lr=0.1)
    st = Stepper(loss, optimizer=opt)
    ev = st[st.find(W, "update")]
    np.testing.assert_array_equal(ev.grad, [2.0, 4.0])
    np.testing.assert_allclose(ev.delta, [-0.2, -0.4])
    np.testing.assert_array_equal(W.grad, [4.0, 8.0])


# ---------------------------------------------------------------- saved values against the ops

def test_a_value_that_its_op_does_not_give_is_named_in_one_warning(tmp_path):
    x = gs.tensor(np.array([1.2, -0.7, 3.1]), name="x")
    W = gs.param(np.array([[0.5, 0.2], [-1.0, 0.4], [0.3, 1.1]]), name="W")
    h = gs.tanh(x @ W)
    h.name = "h"
    loss = gs.sum(h)
    loss.backward()
    loss.graph().save(tmp_path / "tanh.gsgraph")
    path = edited(tmp_path / "tanh.gsgraph", tmp_path / "relu.gsgraph", '"op": "tanh"', '"op": "relu"')
    with pytest.warns(SavedValuesWarning) as caught:
        graph = load_graph(path)
    assert len(caught) == 1
    text = str(caught[0].message)
    saved, recomputed = np.tanh(x.value @ W.value), np.maximum(x.value @ W.value, 0)
    assert f"node h (op relu, made at" in text and "test_graphfile_trust.py:" in text
    assert f"max abs diff {np.max(np.abs(saved - recomputed)):.3g}" in text
    assert "the ops in this Python differ from those that wrote the file" in text
    assert graph.output.value == pytest.approx(float(np.sum(saved)))      # the saved values are kept
    graph.run()
    assert graph.output.value == pytest.approx(float(np.sum(recomputed)))


def test_check_fails_on_a_file_whose_values_its_ops_do_not_give(tmp_path, capsys):
    loss = gs.sum(gs.tanh(gs.param(np.array([0.5, -2.0]), name="w")))
    loss.backward()
    loss.graph().save(tmp_path / "tanh.gsgraph")
    path = edited(tmp_path / "tanh.gsgraph", tmp_path / "relu.gsgraph", '"op": "tanh"', '"op": "relu"')
    code, out, err = in_process(main, capsys, "check", path)
    assert code == 1
    assert re.search(r"FAIL: .*relu\.gsgraph: saved values disagree with this session's ops: node tanh_\d+ \(op relu",
                     out)
    assert out.rstrip().splitlines()[-1].startswith("FAILED (its saved values disagree with its ops, above): ")
    code, out, err = in_process(main, capsys, "demo", path, "--text")
    assert code == 0 and "graphscope demo: warning: " in err and "saved values disagree" in err
    code, out, err = in_process(main, capsys, "check", path, "--json")
    data = json.loads(out)
    assert code == 1 and data["exit_status"] == 1 and data["passed"] is False
    assert len(data["saved_values"]) == 1 and "saved values disagree" in data["saved_values"][0]


async def test_the_terminal_ui_opens_showing_the_warning(tmp_path):
    from graphscope.tui.app import GraphscopeApp
    loss = gs.sum(gs.tanh(gs.param(np.array([0.5, -2.0]), name="w")))
    loss.graph().save(tmp_path / "tanh.gsgraph")
    path = edited(tmp_path / "tanh.gsgraph", tmp_path / "relu.gsgraph", '"op": "tanh"', '"op": "relu"')
    with pytest.warns(SavedValuesWarning) as caught:
        graph = load_graph(path)
    app = GraphscopeApp(graph, "relu.gsgraph", notes=[str(caught[0].message)])
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert len(shown) == 1 and "saved values disagree with this session's ops" in shown[0]
        assert app.session.stepper.final().grad(graph["w"]) is not None    # and it steps as any graph


def test_a_student_whose_forward_is_wrong_does_not_pass_check(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ops, build = homework(tmp_path)
    code, out, err = in_process(main, capsys, "demo", build, "--text", "--save", "mm.gsgraph")
    assert code == 0, err
    wrong, _ = homework(tmp_path, scale="2 * ")                   # forward x2 and a VJP that matches it
    code, out, err = in_process(main, capsys, "check", "mm.gsgraph", "--import", wrong)
    assert code == 1
    assert re.search(r"node mm_\d+ \(op mm, made at hw/mm_build\.py:\d+\) was saved as .* but mm of its saved "
                     r"inputs gives .* \(max abs diff [0-9.e-]+\)", out)
    code, out, err = in_process(main, capsys, "check", "mm.gsgraph", "--import", ops)
    assert code == 0, out                                          # the ops that wrote it: passed


def test_values_out_of_date_when_saved_are_not_taken_for_a_changed_op(tmp_path):
    x = gs.tensor(np.array([[1.0, 2.0]]), name="x")
    W = gs.param(np.array([[0.5], [-0.25]]), name="W")
    loss = gs.sum(gs.tanh(x @ W))
    loss.backward()
    opt = gs.optim.SGD([W], lr=0.5)
    opt.step()                                                    # W changed; x @ W still holds the old product
    loss.graph().save(tmp_path / "stepped.gsgraph")
    doc = json.loads(graph_json(tmp_path / "stepped.gsgraph"))
    matmul = next(n for n in doc["nodes"] if n["op"] == "matmul")
    assert doc["outdated"] == [matmul["id"]]
    graph = quietly_loaded(tmp_path / "stepped.gsgraph")
    np.testing.assert_array_equal(graph.nodes[2].value, (x.value @ (W.value + 0.5 * W.grad)))


def test_a_float32_graph_loads_without_a_warning(rng, tmp_path):
    X = gs.tensor(rng.normal(size=(64, 50)).astype(np.float32), name="X")
    W = gs.param(rng.normal(size=(50, 40)).astype(np.float32), name="W")
    loss = gs.softmax_cross_entropy(gs.relu(X @ W), rng.integers(0, 40, size=64))
    loss.backward()
    loss.graph().save(tmp_path / "f32.gsgraph")
    assert "outdated" not in json.loads(graph_json(tmp_path / "f32.gsgraph"))
    quietly_loaded(tmp_path / "f32.gsgraph")


# ---------------------------------------------------------------- files to hand out

def test_gradients_false_leaves_every_gradient_out(tmp_path):
    f = lecture()
    f.backward()
    f.graph().save(tmp_path / "hw.gsgraph", gradients=False)
    doc = json.loads(graph_json(tmp_path / "hw.gsgraph"))
    assert all(node["grad"] is None for node in doc["nodes"])
    with zipfile.ZipFile(tmp_path / "hw.gsgraph") as z, np.load(z.open("arrays.npz"), allow_pickle=False) as npz:
        stored = sorted(float(v) for k in npz.files for v in np.ravel(npz[k]))
    assert stored == sorted([-2.0, 5.0, -4.0, 3.0, -12.0])          # the five values, and nothing else
    graph = load_graph(tmp_path / "hw.gsgraph")
    assert all(n.grad is None for n in graph.nodes)
    graph.backward()
    assert [n.grad for n in graph.leaves] == [-4.0, -4.0, 3.0]     # a student's own backward: no answer added


def test_a_loaded_graphs_backward_adds_to_the_saved_gradients_unless_asked_not_to(tmp_path):
    path = saved_after_backward(tmp_path / "cr.gsgraph")
    graph = load_graph(path)
    graph.backward()                                              # PyTorch's rule: leaves accumulate
    assert [n.grad for n in graph.leaves] == [-8.0, -8.0, 6.0]
    graph.zero_grad()
    graph.backward()
    assert [n.grad for n in graph.leaves] == [-4.0, -4.0, 3.0]
    fresh = load_graph(path, gradients=False)
    assert all(n.grad is None for n in fresh.nodes)
    fresh.backward()
    assert [n.grad for n in fresh.leaves] == [-4.0, -4.0, 3.0]


def test_source_files_next_to_the_graph_file_are_stored_relative_to_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ops, build = homework(tmp_path)
    assert main(["demo", str(build), "--text", "--save", "hw/mm.gsgraph"]) == 0
    text = graph_json(tmp_path / "hw" / "mm.gsgraph")
    assert str(tmp_path) not in text
    doc = json.loads(text)
    assert doc["custom_ops"]["mm"]["file"] == "mm_ops.py"
    assert {n["source"]["file"] for n in doc["nodes"]} == {"mm_build.py"}
    graph = quietly_loaded(tmp_path / "hw" / "mm.gsgraph")         # mm is defined (the demo imported it)
    assert re.fullmatch(re.escape(str(tmp_path / "hw" / "mm_build.py")) + r":\d+", graph.nodes[0].source)
    gs.engine.custom.unregister("mm")
    with pytest.raises(UnknownOpError) as caught:
        load_graph(tmp_path / "hw" / "mm.gsgraph")
    assert "mm was defined in mm_ops.py (next to the graph file)" in str(caught.value)
    assert caught.value.defined_in == {"mm": str(ops)}


def test_sources_false_leaves_no_path_in_the_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ops, build = homework(tmp_path)
    out_file = tmp_path / "handout" / "mm.gsgraph"
    out_file.parent.mkdir()
    code, out, err = in_process(main, capsys, "demo", build, "--text", "--save", out_file, "--no-gradients",
                                "--no-sources")
    assert code == 0, err
    assert "(without gradients and sources)" in out
    doc = json.loads(graph_json(out_file))
    assert all(n["source"] is None and n["grad"] is None for n in doc["nodes"])
    assert doc["custom_ops"] == {"mm": {"module": None, "file": None}}
    assert "mm_ops" not in graph_json(out_file) and "mm_build" not in graph_json(out_file)
    gs.engine.custom.unregister("mm")
    code, out, err = in_process(main, capsys, "check", out_file)
    assert code == 2 and "--import my_ops.py" in err and "was defined in" not in err


def test_a_file_saved_elsewhere_names_its_sources_relative_to_their_shared_folder(tmp_path):
    (tmp_path / "saved").mkdir()
    f = lecture()
    f.graph().save(tmp_path / "saved" / "cr.gsgraph")
    here = os.path.relpath(__file__, tmp_path / "saved")
    shared = os.path.commonpath([os.path.abspath(__file__), str(tmp_path)])
    stored = {n["source"]["file"] for n in json.loads(graph_json(tmp_path / "saved" / "cr.gsgraph"))["nodes"]}
    assert stored == {here if os.path.dirname(shared) != shared else os.path.abspath(__file__)}
    assert quietly_loaded(tmp_path / "saved" / "cr.gsgraph").nodes[0].source.startswith(os.path.abspath(__file__))


def test_no_gradients_without_save_is_a_usage_error(capsys):
    code, out, err = in_process(main, capsys, "demo", "--text", "--no-gradients")
    assert code == 2 and "--no-gradients goes with --save FILE.gsgraph" in err


def test_bad_save_options_are_refused(tmp_path):
    with pytest.raises(gs.interop.GraphFileError, match="gradients must be True or False, got 'no'"):
        lecture().graph().save(tmp_path / "x.gsgraph", gradients="no")
    with pytest.raises(gs.interop.GraphFileError, match="sources must be True or False"):
        lecture().graph().save(tmp_path / "x.gsgraph", sources=None)
    assert not (tmp_path / "x.gsgraph").exists()



def test_a_misspelt_built_in_op_in_an_edited_file_gets_a_did_you_mean(tmp_path):
    loss = gs.sum(gs.tanh(gs.param(np.array([0.5, -2.0]), name="w")))
    loss.graph().save(tmp_path / "tanh.gsgraph")
    path = edited(tmp_path / "tanh.gsgraph", tmp_path / "tanhh.gsgraph", '"op": "tanh"', '"op": "tanhh"')
    with pytest.raises(gs.GraphscopeError, match=r"op 'tanhh', which is neither .*; did you mean 'tanh'\?") as caught:
        load_graph(path)
    assert not isinstance(caught.value, UnknownOpError)  # no --import advice: no custom op was ever named so
