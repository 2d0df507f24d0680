"""Jupyter: a Graph draws itself inline as SVG, a Stepper as its current step with the step's numbers."""

from html import escape as html_escape

import graphscope as gs
from graphscope.examples import lecture_example as lecture
from graphscope.stepper import Stepper


def test_graph_repr_svg_shows_the_graph_as_it_is():
    f = lecture()
    g = f.graph()
    svg = g._repr_svg_()
    assert svg.startswith("<svg") and "</svg>" in svg
    assert ">q<" in svg and ">add<" in svg and "&#45;12" in svg
    assert svg.count("not computed yet") == 5         # each node's gradient (the legend: only what is drawn)
    assert "value computed" in svg and "this step" not in svg
    assert all(n.grad is None for n in g)             # drawing never runs backward
    f.backward()
    after = g._repr_svg_()
    assert "not computed yet" not in after and "gradient passed on" in after and "&#45;4" in after


def test_stepper_repr_html_follows_the_cursor():
    st = Stepper(lecture())
    st.goto(2)
    html3 = st._repr_html_()
    assert "<svg" in html3 and "step 2 of 0..9" in html3 and "forward: q = add(x, y) = 3" in html3
    st.goto(5)
    html5 = st._repr_html_()
    assert "upstream df/df" in html5 and "1 × -4 = -4" in html5 and "1 × 3 = 3" in html5
    assert html5 != html3


def test_without_graphviz_the_graph_falls_back_to_text_and_the_stepper_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    f = lecture()
    from graphscope.viz.render import install_advice
    svg = f.graph()._repr_svg_()  # not the graph's bare text: what is missing and how to install it
    assert svg.startswith("<svg") and "dot" in svg and html_escape(install_advice()) in svg
    html = Stepper(f)._repr_html_()
    assert html_escape(install_advice()) in html and "forward: x = -2" in html


def test_the_engine_and_stepper_never_import_the_pictures():
    """Layering: graphscope/__init__ installs the reprs; the layers below viz do not import it."""
    import ast
    import os
    root = os.path.dirname(gs.__file__)
    for layer in ("engine", "stepper"):
        for folder, _, files in os.walk(os.path.join(root, layer)):
            for name in files:
                if not name.endswith(".py"):
                    continue
                path = os.path.join(folder, name)
                tree = ast.parse(open(path, encoding="utf-8").read(), path)
                for node in ast.walk(tree):
                    if isinstance(node, ast.ImportFrom):
                        mods = [("." * node.level) + (node.module or "")]
                    elif isinstance(node, ast.Import):
                        mods = [a.name for a in node.names]
                    else:
                        continue
                    for mod in mods:
                        assert not any(w in mod for w in ("viz", "graphviz", "textual", "tui", "cli")), \
                            f"{path} imports {mod}"


def test_a_graph_dot_cannot_draw_falls_back_to_text_without_a_traceback(monkeypatch):
    from graphscope.viz import picture, render
    def crash(*args, **kwargs):
        raise render.DotCrashed("dot crashed: killed by SIGSEGV (segmentation fault)", "SIGSEGV")
    monkeypatch.setattr(picture, "render", crash)
    monkeypatch.setattr(picture, "render_svgs", crash)
    assert lecture().graph()._repr_svg_() is None
