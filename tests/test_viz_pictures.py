"""Pictures meant for others: the neighbourhood view (--around), titles, legends of what is drawn, no absolute
paths in exported files, and "did you mean" for misspelled nodes and scopes."""
import os
import re

import pytest

import graphscope as gs
from cli_run import clean_failure, in_process
from graphscope.cli import main
from graphscope.engine.words import did_you_mean, plural
from graphscope.userfile import build_output
from graphscope.viz import Picture, View, ViewError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TWO_LAYER = os.path.join(ROOT, "samples", "two_layer.py")
CHAIN_RULE = os.path.join(ROOT, "samples", "chain_rule.py")


def two_layer():
    return build_output(TWO_LAYER).graph()


def named(graph):
    """The two-layer net's nodes by role (automatic names carry ids that change from run to run)."""
    h = graph["h"]
    add = h.inputs[0]
    matmul1, b1 = add.inputs
    matmul2 = next(n for n in graph.nodes if any(i is h for i in n.inputs))
    scores = graph["scores"]
    return {"h": h, "add": add, "matmul1": matmul1, "b1": b1, "matmul2": matmul2, "W2": graph["W2"],
            "scores": scores, "X": graph["X"], "W1": graph["W1"], "b2": graph["b2"], "loss": graph["loss"]}


@pytest.mark.parametrize("around, inside, stubs", [
    (0, {"h"}, {"add", "matmul2"}),
    (1, {"h", "add", "matmul2"}, {"matmul1", "b1", "W2", "scores"}),
    (2, {"h", "add", "matmul2", "matmul1", "b1", "W2", "scores"}, {"X", "W1", "b2", "loss"}),
])
def test_the_neighbourhood_is_the_node_and_what_lies_within_k_edges(around, inside, stubs):
    graph = two_layer()
    role = {node: name for name, node in named(graph).items()}
    view = View(graph, focus="h", around=around)
    assert {role[i.node] for i in view.items if i.kind == "node"} == inside
    assert {role[i.node] for i in view.items if i.kind == "stub"} == stubs  # where the rest attaches
    for edge in view.edges:              # every edge touches the neighbourhood; stubs are not joined
        assert "node" in (edge.src.kind, edge.dst.kind)


def test_the_neighbourhood_is_drawn_with_its_stubs_and_nothing_else():
    out = build_output(TWO_LAYER)
    nodes = named(out.graph())
    dot = gs.viz.to_dot(out, node="h", around=1)
    names = set(re.findall(r"<B>([A-Za-z0-9_]+)</B>", dot))
    assert names >= {"h", nodes["add"].name, nodes["matmul2"].name} and not names & {"X", "W1", "loss"}
    assert "\u2026 W2" in dot and "\u2026 X" not in dot


def test_around_needs_a_node_and_a_whole_number():
    with pytest.raises(ViewError, match="around goes with a node"):
        View(two_layer(), around=1)
    with pytest.raises(ViewError, match="whole number"):
        View(two_layer(), focus="h", around=-1)
    with pytest.raises(ViewError, match="did you mean 'h'"):
        View(two_layer(), focus="hh", around=1)


def test_export_around_and_check_suggests_it(capsys, tmp_path):
    out = tmp_path / "h.dot"
    code, _, err = in_process(main, capsys, "export", TWO_LAYER, "-o", out, "--node", "h", "--around", "1")
    assert code == 0, err
    assert "W1" not in out.read_text() and "\u2026 W2" in out.read_text()
    code, _, err = in_process(main, capsys, "export", TWO_LAYER, "-o", out, "--around", "1")
    assert code == 2 and "--around goes with --node" in err
    code, out_text, _ = in_process(main, capsys, "check", os.path.join(ROOT, "samples", "wrong_backward.py"))
    assert "--around 2" in out_text


@pytest.mark.parametrize("fmt", ["dot", "svg"])
def test_title_heads_every_format(tmp_path, fmt):
    path = tmp_path / f"g.{fmt}"
    gs.viz.export(build_output(CHAIN_RULE), str(path), title="The chain rule, step by step")
    assert "The chain rule, step by step" in path.read_text()


def test_title_heads_a_png(tmp_path):
    plain, titled = tmp_path / "a.png", tmp_path / "b.png"
    # a picture in the slide's band as drawn (one spread into it keeps its shape, title and all)
    f = build_output(os.path.join(ROOT, "samples", "svm_vs_softmax.py"))
    gs.viz.export(f, str(plain))
    gs.viz.export(f, str(titled), title="A title line")
    assert _png_height(titled) > _png_height(plain)  # the heading takes a line of its own


def _png_height(path):
    return int.from_bytes(path.read_bytes()[20:24], "big")


def test_the_finished_picture_has_no_this_step_in_its_legend():
    f = build_output(CHAIN_RULE)
    final = gs.viz.to_dot(f, step="final")
    stepped = gs.viz.to_dot(f, step=2)
    assert "this step" not in final and "not computed yet" not in final
    assert "this step" in stepped and "not computed yet" in stepped


def test_exported_files_carry_no_absolute_path(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the sample is outside the current folder: named relative to its own folder
    for name in ("g.svg", "g.dot", "g.html"):
        code, _, err = in_process(main, capsys, "export", TWO_LAYER, "-o", name)
        assert code == 0, err
        text = (tmp_path / name).read_text()
        assert ROOT not in text and os.path.dirname(ROOT) not in text, name
        assert "two_layer.py:" in text, name


def test_a_misspelled_node_or_scope_gets_did_you_mean(capsys, tmp_path):
    code, out, err = in_process(main, capsys, "export", TWO_LAYER, "-o", tmp_path / "x.svg", "--node", "hh")
    assert code == 2 and "did you mean 'h'?" in err and clean_failure(err)
    code, out, err = in_process(main, capsys, "export", TWO_LAYER, "-o", tmp_path / "x.svg", "--collapse", "fc3")
    assert code == 2 and "did you mean" in err and "'fc1'" in err and "'fc2'" in err
    assert os.listdir(tmp_path) == []


def test_a_mistyped_option_prints_that_commands_usage(capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        main(["export", TWO_LAYER, "-o", str(tmp_path / "x.svg"), "--stpe", "3"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "usage: graphscope export" in err and "--stpe" in err


def test_words():
    assert plural(1, "node") == "1 node" and plural(2, "node") == "2 nodes" and plural(0, "box", "boxes") == "0 boxes"
    assert did_you_mean("W", ["W1", "W2", "loss"]) == "; did you mean 'W1' or 'W2'?"
    assert did_you_mean("zzz", ["W1", "loss"]) == ""


def test_a_backward_step_of_scalars_writes_its_products_under_the_step_line():
    """The lecture's step 7: at q = add(x, y) the upstream -4 times each local 1 is each contribution -4."""
    from graphscope.userfile import build_output
    pic = Picture(build_output(os.path.join(ROOT, "samples", "chain_rule.py")))
    svg = pic.svg(pic.state(7))
    assert "contribution = upstream × local: to x &#45;4 × 1 = &#45;4, to y &#45;4 × 1 = &#45;4" in svg
    assert "upstream × local" not in pic.svg(pic.state(2))  # a forward step: no products
    arrays = Picture(build_output(os.path.join(ROOT, "samples", "two_layer.py")))
    assert "upstream × local" not in arrays.svg(arrays.state(15))  # matrices: their products are in the player


def _fan_out_graph():
    """A 4x3 matrix `a` used once (into `h`) and `h` used twice (its gradient is the sum of two contributions)."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = gs.tensor(rng.normal(size=(4, 3)), name="x")
    w = gs.param(rng.normal(size=(3, 3)), name="w")
    a = gs.matmul(x, w)
    a.name = "a"
    h = gs.tanh(a)
    h.name = "h"
    loss = gs.sum(h * h + gs.exp(h))
    loss.name = "L"
    loss.backward()
    return loss


def test_an_edge_names_a_listed_gradient_its_card_shows_and_writes_out_a_part_of_one():
    """A listed matrix on the edge leaving a card that shows it (the edge carries every use) is named there,
    not written out twice; edges carrying one use of several (a's h goes into mul twice and exp) keep their
    numbers; a stub's edge keeps them too (its card shows no gradient)."""
    from graphscope.viz.step_texts import GRAD_ARROW, arrow_text, edge_grad_text
    loss = _fan_out_graph()
    graph = loss.graph()
    pic = Picture(loss)
    state = pic.state(-1)
    svg = pic.svg(state)
    assert "\u2190 dL/da" in svg  # a goes into tanh only: its card's grad row is the edge's gradient
    assert "dL/dh" not in svg     # h has three uses, three edges: each writes its own contribution
    texts = [(e.tensor.name, e.dst.node.op, edge_grad_text(e, state)) for e in View(graph).edges]
    assert ("a", "tanh", GRAD_ARROW + "dL/da") in texts
    from_h = [text for tensor, _, text in texts if tensor == "h"]  # mul's two slots, exp
    assert len(from_h) == 3 and all("\n" in text and "dL/dh" not in text for text in from_h)
    exp_node = next(n for n in graph.nodes if n.op == "exp")
    assert ("h", "exp", arrow_text(exp_node.value)) in texts  # upstream 1 x exp(h): the numbers
    view = View(graph, focus="h", around=0)
    stub_edges = [e for e in view.edges if e.src.kind == "stub"]
    assert stub_edges and not any(e.gradient_name for e in stub_edges)


def test_a_backward_step_of_arrays_writes_each_inputs_jacobian_under_the_step_line():
    """At matmul(h, W2) the picture gives both local Jacobians' full shapes, structure and VJP formula, and the
    shapes their contributions came out in; a forward step, and a leaf's backward step, write none."""
    from graphscope.stepper import BACKWARD
    out = build_output(TWO_LAYER)
    nodes = named(out.graph())
    pic = Picture(out)
    state = pic.state(node=nodes["matmul2"], phase=BACKWARD)
    svg = pic.svg(state).replace("\xa0", " ")  # runs of spaces kept
    h, w2 = nodes["h"], nodes["W2"]
    n, c = nodes["scores"].shape
    k = h.shape[1]
    from graphscope.stepper.notation import drawn, value_line, written_out
    svg = svg.replace("&#45;", "-")

    def sized(v):  # a matrix small enough to write out (the 4x3 upstream, the 5x3 W2) is listed on the cards
        shape = "x".join(map(str, v.shape))
        return f"{shape} (listed on the picture)" if written_out(v) else drawn(f"{shape} ({value_line(v)})")
    upstream = state.grad(nodes["matmul2"])
    assert (f"contribution = local^T · upstream, upstream {sized(upstream)} as a column of {upstream.size}, "
            f"row-major") in svg
    assert (f"to h   {n * c}x{n * k} matmul: d(h@W2)/dh = I ⊗ W2^T   (entries row-major; VJP: dh = upstream @ "
            f"W2^T) → {sized(state.grad(h))}") in svg  # h has one consumer: the contribution is its gradient
    assert (f"to W2  {n * c}x{w2.size} matmul: d(h@W2)/dW2 = h ⊗ I   (entries row-major; VJP: dW2 = h^T @ "
            f"upstream) → {sized(state.grad(w2))}") in svg
    assert "local^T" not in pic.svg(pic.state(2))  # forward
    assert "local^T" not in pic.svg(pic.state(node=w2, phase=BACKWARD))  # a leaf passes nothing on


def test_a_step_that_writes_nothing_under_its_line_has_its_legend_right_under_it():
    """A leaf's backward step writes no Jacobians: the room other steps' lines take is kept under the legend, not
    as an empty band between the step line and its legend, and every step's picture keeps the same size."""
    from graphscope.stepper import BACKWARD
    out = build_output(TWO_LAYER)
    nodes = named(out.graph())
    pic = Picture(out, around=1, focus=nodes["W1"])  # `export --node W1 --phase backward --around 1`
    leaf, matmul = (pic.state(node=nodes[key], phase=BACKWARD) for key in ("W1", "matmul1"))
    rows = re.findall(r"<TR>(.*?)</TR>", re.search(r"label=<<TABLE.*?</TABLE>>", pic.dot(leaf), re.S).group(0))
    assert "at W1" in rows[0] and "<BR/>" not in rows[0]  # the step line alone: no empty lines padding it
    assert "this step" in rows[1] and "gradient passed on" in rows[1]  # the legend right under it
    assert rows[2].count("<BR/>") >= 2  # then the room of the lines other steps write
    assert _svg_size(pic.svg(leaf)) == _svg_size(pic.svg(matmul))


def test_a_check_mark_shows_from_the_marked_nodes_backward_step_on():
    """A VJP that fails its check is marked in its card with each failing input's figure, once its backward step
    has run (before, the card keeps the mark's room empty: every step has the same size)."""
    import numpy as np
    from graphscope.engine.gradcheck import check_nodes
    from graphscope.stepper import BACKWARD
    from graphscope.viz.origin import CheckMark
    out = build_output(os.path.join(ROOT, "samples", "wrong_backward.py"))
    graph = out.graph()
    with np.errstate(all="ignore"):
        failure = check_nodes(graph).first_failure
    pic = Picture(out, mark=CheckMark(failure), around=1, focus=failure.node)
    step = pic.ensure_stepper().find(failure.node, BACKWARD)
    before, at = pic.svg(pic.state(step - 1)), pic.svg(pic.state(step))
    assert "VJP check failed here:" not in before and "VJP check failed here:" in at
    (bad,) = [inp for inp in failure.inputs if not inp.ok]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", at).replace("\xa0", " "))  # its lines, joined
    assert f"its gradient for {bad.name} (input {bad.slot}):" in text          # the node's VJP, not its input, failed
    assert f"max relative error {bad.max_rel:.2g}" in text
    assert not re.search(rf"VJP check failed here:\s*{re.escape(bad.name)}", text)
    assert _svg_size(before) == _svg_size(at)


def _svg_size(svg):
    return re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', svg).groups()
