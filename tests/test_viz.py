"""Pictures: DOT labels, highlight and clusters; collapsing and folding; SVG/PNG/PDF; a missing Graphviz."""
import html
import os
import re

import numpy as np
import pytest

import graphscope as gs
from graphscope.examples import lecture_example as lecture
from graphscope import viz
from graphscope.viz.render import install_advice
from graphscope.stepper import Stepper
from graphscope.userfile import build_output
from graphscope.viz import theme
from graphscope.viz.render import render as render_dot
from graphscope.viz.step_texts import GRAD_ARROW, NOT_YET, compact

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
CURRENT = theme.LOOKS["current"]
PENDING = theme.LOOKS["pending"]
DONE_BACK = theme.LOOKS["backpropagated"]


def sample(name):
    return build_output(os.path.join(SAMPLES, f"{name}.py"))


def node_line(dot, node):
    """The DOT statement that draws `node` (named by its stable id)."""
    lines = [ln for ln in dot.splitlines() if ln.strip().startswith(f"n{node.id} [")]
    assert len(lines) == 1, f"expected one statement for n{node.id}"
    return lines[0]


def shown(line):
    """The texts a label shows, each unescaped and stripped of its padding: ['q', 'add', 'scalar', 'value', '3']."""
    return [t for t in (html.unescape(m).strip() for m in re.findall(r">([^<>]+)<", line)) if t]


def edge_line(dot, src, dst):
    """The DOT statements that draw the edge src -> dst: one edge, or two running through its label node (with
    the label node's statement)."""
    drawn = [ln for ln in dot.splitlines() if "style=invis" not in ln]
    ends = []  # (tail, head, statement) along the flow: a segment drawn backwards (dir=back) turned round
    for ln in drawn:
        if m := re.match(r"\s*(\S+) -> (\S+) \[", ln):
            ends.append((m.group(2), m.group(1), ln) if "dir=back" in ln else (m.group(1), m.group(2), ln))
    lines = [ln for tail, head, ln in ends if re.fullmatch(src, tail) and re.fullmatch(dst, head)]
    if not lines:
        heads = {tail: ln for tail, head, ln in ends
                 if re.fullmatch(r"l\d+", tail) and re.fullmatch(dst, head)}
        tails = [(head, ln) for tail, head, ln in ends if re.fullmatch(src, tail) and re.fullmatch(r"l\d+", head)]
        lines = [tail + "\n" + heads[name] + "\n" + label_line(dot, name) for name, tail in tails if name in heads]
    assert len(lines) == 1, f"expected one edge {src} -> {dst}"
    return lines[0]


def label_line(dot, name):
    return "\n".join(ln for ln in dot.splitlines() if ln.strip().startswith(f"{name} ["))


def cluster_body(dot, scope):
    """The text of `subgraph cluster_<scope> { ... }` (up to its closing brace)."""
    start = dot.index(f"subgraph cluster_{scope} {{")
    depth, i = 0, start
    while True:
        if dot[i] == "{":
            depth += 1
        elif dot[i] == "}":
            depth -= 1
            if depth == 0:
                return dot[start:i]
        i += 1


# ---------------------------------------------------------------- DOT: labels and highlight

def test_dot_uses_stable_ids_and_html_labels():
    st = Stepper(lecture())
    dot = viz.to_dot(st, step=3)
    graph = viz.Picture(st).graph_at(st.at(3))
    assert graph.node_attr["shape"] == "plain" and graph.node_attr["margin"] == "0"
    assert graph.source == dot
    for n in st.graph:
        line = node_line(dot, n)
        assert "label=<<TABLE" in line
        assert ":" not in line.split("[", 1)[0]
    assert len(set(re.findall(r"id=e(\d+)_", dot))) == 4  # one drawn edge each (through its label node)


def test_forward_step_shows_values_so_far_and_not_computed_yet():
    st = Stepper(lecture())
    g = {n.name: n for n in st.graph}
    dot = viz.to_dot(st, step=2)
    q, f = node_line(dot, g["q"]), node_line(dot, g["f"])
    assert shown(q)[:2] == ["q", "add"] and "3" in shown(q)
    assert NOT_YET in shown(f) and "-12" not in shown(f)
    for n in st.graph:                                        # nothing not yet computed shows as a number
        assert "-12" not in shown(node_line(dot, n)) and "0" not in shown(node_line(dot, n))
    assert f'COLOR="{CURRENT.border}"' in q and 'BORDER="3"' in q
    assert f'COLOR="{CURRENT.border}"' not in f and "dashed" in f
    for other in ("x", "y", "z"):
        assert f'COLOR="{CURRENT.border}"' not in node_line(dot, g[other])
    assert NOT_YET in shown(node_line(dot, g["z"]))            # z is fed after q: just before f, its consumer
    # the inputs flowing into the current node are highlighted
    assert theme.EDGE_CURRENT in edge_line(dot, f"n{g['x'].id}", f"n{g['q'].id}")
    assert st.at(2).caption() in html.unescape(dot).replace("\xa0", " ")


def test_backward_step_shows_gradients_on_nodes_and_edges():
    st = Stepper(lecture())
    g = {n.name: n for n in st.graph}
    dot = viz.to_dot(st, step=7)                 # the local rule at q
    assert GRAD_ARROW + "-4" in edge_line(dot, f"n{g['q'].id}", f"n{g['f'].id}")
    assert GRAD_ARROW + "3" in edge_line(dot, f"n{g['z'].id}", f"n{g['f'].id}")
    assert GRAD_ARROW + "-4" in edge_line(dot, f"n{g['x'].id}", f"n{g['q'].id}")
    f = node_line(dot, g["f"])
    assert f'COLOR="{DONE_BACK.border}"' in f and "1" in shown(f)       # df/df = 1
    assert f'COLOR="{CURRENT.border}"' in node_line(dot, g["q"])
    dot5 = viz.to_dot(st, step=6)                # before q's step nothing flows into x yet
    assert GRAD_ARROW not in edge_line(dot5, f"n{g['x'].id}", f"n{g['q'].id}")
    assert shown(node_line(dot5, g["x"]))[-1] == NOT_YET        # x's gradient


def test_node_and_phase_pick_the_step():
    st = Stepper(lecture())
    assert viz.to_dot(st, node="q", phase="backward") == viz.to_dot(st, step=7)
    assert viz.to_dot(st, node="q") == viz.to_dot(st, step=2)


def test_graph_as_it_is_is_drawn_without_running_backward():
    f = lecture()
    dot = viz.to_dot(f)
    assert all(n.grad is None for n in f.graph())
    x = f.graph()["x"]
    assert "-12" in shown(node_line(dot, f.graph()["f"])) and shown(node_line(dot, x))[-1] == NOT_YET
    f.backward()
    assert shown(node_line(viz.to_dot(f), x))[-1] == "-4"


def _rgb(hex_colour):
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def test_needs_no_gradient_has_its_own_colour_not_the_grey_of_not_computed_yet():
    inactive, pending = theme.LOOKS["inactive"], theme.LOOKS["pending"]
    border = _rgb(inactive.border)
    assert border.max() - border.min() >= 80                       # a colour, not a grey
    assert np.linalg.norm(border - _rgb(pending.border)) >= 80     # far from the pending border
    head = _rgb(inactive.head)
    assert head.max() - head.min() >= 16 and inactive.ink == theme.INK and not inactive.dashed
    others = {key: _rgb(look.border) for key, look in theme.LOOKS.items() if key != "inactive"}
    assert min(np.linalg.norm(border - c) for c in others.values()) >= 80


def test_inputs_and_constants_are_drawn_as_needing_no_gradient_with_a_legend_entry():
    x = gs.tensor(np.array([1.0, -2.0, 3.0]), name="x")
    w = gs.param(np.array([0.5, 0.25, -1.0]), name="w")
    scale = gs.constant(2.0, name="scale")
    loss = gs.sum(x * w * scale)
    st = Stepper(loss)
    inactive = theme.LOOKS["inactive"]
    legend_entry = f'COLOR="{inactive.border}">\u25a0</FONT>'  # the legend's swatch
    for step in (viz.FINAL, st.n_forward + 1, 1):                 # the end, a backward step, a forward step
        dot = viz.to_dot(st, step=step)
        shown = step != 1                                          # a forward step draws no such node
        assert ("needs no gradient" in dot) == shown and (legend_entry in dot) == shown
        if step != 1:
            for leaf in (x, scale):
                assert f'COLOR="{inactive.border}" BGCOLOR="{inactive.fill}"' in node_line(dot, leaf)
            assert inactive.border not in node_line(dot, w)
    assert inactive.border not in node_line(viz.to_dot(st, step=1), x)  # forward: computed like any value


def test_the_legend_leaves_out_needs_no_gradient_when_every_node_needs_one():
    dot = viz.to_dot(Stepper(lecture()), step=3)
    assert "value computed" in dot and "needs no gradient" not in dot


def test_the_finished_graphs_legend_shows_only_the_looks_it_draws():
    dot = viz.to_dot(Stepper(lecture()), step=viz.FINAL)
    assert "gradient passed on" in dot
    assert not any(words in dot for words in ("this step", "not computed yet", "value computed"))


@pytest.mark.parametrize("call, returns", [("to_svg", "the SVG text"), ("to_dot", "the DOT text"),
                                           ("to_png", "the PNG bytes"), ("to_pdf", "the PDF bytes"),
                                           ("to_html", "the HTML text")])
def test_a_file_name_where_the_step_goes_points_to_export(tmp_path, monkeypatch, call, returns):
    import pathlib
    monkeypatch.chdir(tmp_path)
    f = lecture()
    for where in ("x.svg", "slides/f.PNG", pathlib.Path("x.html")):
        with pytest.raises(gs.GraphscopeError) as err:
            getattr(viz, call)(f, where)
        assert str(err.value) == (f"{call} returns {returns}; to write a file use "
                                  f"gs.viz.export(graph, {str(where)!r})")
    assert os.listdir(tmp_path) == []
    assert Stepper(f).final().caption() in viz.to_dot(f, "final")  # a step's name still works


def test_two_layer_clusters_and_edge_shapes():
    out = sample("two_layer")
    g = out.graph()
    dot = viz.to_dot(Stepper(out), step="final")
    fc1, fc2 = cluster_body(dot, "fc1"), cluster_body(dot, "fc2")
    for name in ("W1", "b1", "h"):
        assert f"n{g[name].id} [" in fc1 and f"n{g[name].id} [" not in fc2
    for name in ("W2", "b2", "scores"):
        assert f"n{g[name].id} [" in fc2
    assert f"n{g['X'].id} [" not in fc1 and f"n{g['loss'].id} [" not in fc2
    assert ">4x3<" in edge_line(dot, f"n{g['X'].id}", f"n{g.consumers('X')[0].id}")
    assert ">3x5<" in edge_line(dot, f"n{g['W1'].id}", f"n{g.consumers('W1')[0].id}")
    assert Stepper(out).final().caption() in dot


def test_collapse_and_depth_draw_modules_as_boxes():
    out = sample("two_layer")
    g = out.graph()
    dot = viz.to_dot(out, collapse="fc1")
    assert "s_fc1 [" in dot and f"n{g['W1'].id} [" not in dot and f"n{g['W2'].id} [" in dot
    box = [ln for ln in dot.splitlines() if ln.strip().startswith("s_fc1 [")][0]
    assert "<I>module</I>" in box and ">4x3<" in box and ">4x5<" in box and "W1 3x5, b1 5" in box
    assert edge_line(dot, f"n{g['X'].id}", "s_fc1") and edge_line(dot, "s_fc1", r"n\d+")
    both = viz.to_dot(out, depth=0)
    assert "s_fc1 [" in both and "s_fc2 [" in both and edge_line(both, "s_fc1", "s_fc2")


def test_unknown_scope_names_the_known_ones():
    with pytest.raises(viz.ViewError, match="no scope named 'fc9'.*fc1, fc2"):
        viz.to_dot(sample("two_layer"), collapse="fc9")


def test_repeated_blocks_fold():
    out = sample("deep_mlp")
    dot = viz.to_dot(out)
    folds = [ln for ln in dot.splitlines() if ln.strip().startswith("f_block1_x8 [")]
    assert len(folds) == 1
    assert "Linear+ReLU \u00d7 8" in folds[0] and "block1 \u2026 block8" in folds[0] and "W 32x32, b 32" in folds[0]
    assert "cluster_block" not in dot and "cluster_input" in dot
    unfolded = viz.to_dot(out, fold=0)
    assert "f_block1" not in unfolded and unfolded.count("subgraph cluster_block") == 8


def test_a_fold_shows_where_the_step_is_inside_it():
    st = Stepper(sample("deep_mlp"))
    relu3 = next(n for n in st.graph if n.scope == "block3" and n.op == "relu")
    dot = viz.to_dot(st, node=relu3)
    fold = [ln for ln in dot.splitlines() if ln.strip().startswith("f_block1_x8 [")][0]
    assert "&gt; block3/" + relu3.name in fold and f'COLOR="{CURRENT.border}"' in fold


def test_compact_values():
    assert compact(-4.0) == "-4"
    assert compact(np.array([1.0, 2.5, -3.0])) == "[1, 2.5, -3]"
    assert compact(np.zeros(10)) == "[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"  # at most 12 entries: listed
    assert compact(np.zeros(13)) == "all 0"
    assert compact(np.arange(13.0)) == "mean=6 std=3.74"
    assert compact(np.r_[np.nan, np.arange(12.0)]).endswith("(1 non-finite)")
    # a mean that is rounding noise is written 0 (stepper.notation: small picture text turns '≈' into '=')
    assert compact(np.r_[1e-18, np.linspace(-0.1, 0.1, 12)]) == "mean=0 std=0.0603"
    assert compact(np.array([[1.0, -2.5], [30.0, 4.0]])) == "[[ 1, -2.5],\n [30,  4]]"  # by rows, aligned


# ---------------------------------------------------------------- rendering with dot

def svg_node_positions(svg):
    """{node id: the position of its first text}: where Graphviz put each node."""
    out = {}
    for m in re.finditer(r'<g id="(n\d+|s_\w+|f_\w+)" class="node">.*?<text[^>]* x="([\d.-]+)" y="([\d.-]+)"', svg, re.S):
        out[m.group(1)] = (m.group(2), m.group(3))
    return out


def test_svg_renders_and_every_step_has_the_same_layout():
    pic = viz.Picture(Stepper(sample("two_layer")))
    svgs = pic.step_svgs()
    assert len(svgs) == 21 and all(s.lstrip().startswith("<?xml") and s.rstrip().endswith("</svg>") for s in svgs)
    sizes = {re.search(r'<svg width="[^"]+" height="[^"]+"', s).group(0) for s in svgs}
    assert len(sizes) == 1, "the picture's size changes from step to step"
    positions = [svg_node_positions(s) for s in svgs]
    assert len(positions[0]) == 11 and all(p == positions[0] for p in positions), "nodes move between steps"
    assert svgs[3] != svgs[4]


def test_png_and_pdf_bytes():
    f = lecture()
    assert viz.to_png(f, step=6).startswith(b"\x89PNG\r\n\x1a\n")
    assert viz.to_pdf(f, step=6).startswith(b"%PDF")
    assert "<svg" in viz.to_svg(f, step=6)


def test_export_writes_by_extension_atomically(tmp_path):
    f = lecture()
    for ext, magic in ((".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF"), (".dot", b"digraph")):
        path = tmp_path / f"pic{ext}"
        viz.export(f, str(path), step=4)
        assert path.read_bytes().startswith(magic)
    assert sorted(os.listdir(tmp_path)) == ["pic.dot", "pic.pdf", "pic.png", "pic.svg"]  # no temp files left
    with pytest.raises(gs.GraphscopeError, match="unknown output format '.jpg'"):
        viz.export(f, str(tmp_path / "pic.jpg"))
    with pytest.raises(gs.GraphscopeError, match="does not exist"):
        viz.export(f, str(tmp_path / "missing" / "pic.svg"))


def test_frames_one_svg_per_step_in_order(tmp_path):
    st = Stepper(lecture())
    (tmp_path / "step_099_forward_old.svg").write_text("stale")
    (tmp_path / "notes.txt").write_text("mine")
    paths = viz.write_frames(st, str(tmp_path))
    names = sorted(os.listdir(tmp_path))
    assert len(paths) == 10 and names == sorted([os.path.basename(p) for p in paths] + ["notes.txt"])
    assert [os.path.basename(p) for p in paths] == sorted(os.path.basename(p) for p in paths)
    assert os.path.basename(paths[2]) == "step_002_forward_q.svg"
    assert os.path.basename(paths[7]) == "step_007_backward_q.svg"
    assert st.at(7).caption() in html.unescape(open(paths[7]).read()).replace("\xa0", " ")


# ---------------------------------------------------------------- without Graphviz

@pytest.fixture
def no_dot(monkeypatch, tmp_path_factory):
    """No `dot` anywhere: an empty folder is the whole PATH (both our look-up and the graphviz package fail)."""
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("empty_path")))


def test_missing_dot_gives_one_install_message(no_dot, tmp_path):
    f = lecture()
    with pytest.raises(viz.GraphvizMissing) as err:
        viz.to_svg(f)
    message = str(err.value)
    assert install_advice() in message and ".dot" in message and len(message.splitlines()) == 2
    with pytest.raises(viz.GraphvizMissing):
        viz.export(f, str(tmp_path / "pic.png"))
    assert not os.listdir(tmp_path)                         # nothing half-written
    viz.export(f, str(tmp_path / "pic.dot"), step=3)        # DOT needs no Graphviz
    assert (tmp_path / "pic.dot").read_text().startswith("digraph")
    assert "rankdir=LR" in viz.to_dot(f)


def test_graphviz_package_not_finding_dot_gives_the_install_message(no_dot):
    """Drawing straight from a Picture (no look-up first): the graphviz package's ExecutableNotFound is mapped."""
    pic = viz.Picture(lecture(), rankdir="LR")
    for render in (lambda: pic.svg(pic.state()), lambda: pic.step_svgs([0, 1])):
        with pytest.raises(viz.GraphvizMissing) as err:
            render()
        assert install_advice() in str(err.value)


def test_dot_failing_names_its_message():
    with pytest.raises(viz.RenderError) as err:
        render_dot("digraph { a -> }", "svg")
    assert "dot failed" in str(err.value) and "syntax error" in str(err.value)


def test_names_with_quotes_backslashes_and_markup_are_drawn_as_written():
    """graphviz.Digraph quotes attribute values; labels escape markup: such names neither break dot nor vanish."""
    odd = 'w"1\\<b>&'
    with gs.scope("blk<1> & \"2\""):
        w = gs.param(np.ones(2), name=odd)
        y = gs.sum(w * w)
    svg = viz.to_svg(y, step=-1)
    assert html.escape(odd, quote=False) in svg or html.escape(odd) in svg
    assert "blk&lt;1&gt; &amp;" in svg
    tooltips = [html.unescape(t) for t in re.findall(r'xlink:title="([^"]*)"', svg)]
    assert any(t.startswith(odd + "\n") and t.endswith('scope blk<1> & "2"') for t in tooltips)   # lines kept


def test_drawing_leaves_the_gradients_as_they_were_so_a_second_picture_is_the_same():
    rng = np.random.default_rng(0)
    W = gs.param(rng.normal(size=(3, 2)), name="W")
    loss = gs.sum(gs.tanh(gs.tensor(rng.normal(size=(4, 3)), name="x") @ W))
    first = viz.to_svg(loss, step="final")
    assert W.grad is None  # the picture's backward pass did not pile up in the parameter
    assert viz.to_svg(loss, step="final") == first
    loss.backward()
    kept = W.grad.copy()
    viz.to_svg(loss, step="final")
    np.testing.assert_array_equal(W.grad, kept)
