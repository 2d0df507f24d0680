"""graphscope export: formats by extension, --step / --node / --phase, --depth / --collapse, --frames, errors."""
import os
import re

import pytest

from cli_run import clean_failure, graphscope, in_process
from graphscope.cli import main
from optable_guard import op_table_guard  # noqa: F401  (fixture)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHAIN_RULE = os.path.join(ROOT, "samples", "chain_rule.py")
TWO_LAYER = os.path.join(ROOT, "samples", "two_layer.py")


def same_drawing(a, b):
    """Equal DOT text up to the node ids (each run records a fresh graph with fresh ids)."""
    def normal(text):
        ids = {}
        return re.sub(r"n(\d+)(?!\d)", lambda m: "n%d" % ids.setdefault(m.group(1), len(ids)), text)
    return normal(a) == normal(b)


def run(capsys, *args):
    return in_process(main, capsys, "export", *args)


def named_in_caption(text, phase, node):
    """The step's title names its phase and the node it is at ('... · backward · at q = add(x, y)')."""
    return re.search(rf"\b{phase}\b.*\bat {node} = ", text) is not None


def test_svg_of_the_final_step_by_default(capsys, tmp_path):
    out_file = tmp_path / "chain_rule.svg"
    code, out, err = run(capsys, CHAIN_RULE, "-o", str(out_file))
    assert code == 0, err
    svg = out_file.read_text()
    assert svg.startswith("<?xml") and "</svg>" in svg
    assert all(f">{name}</text>" in svg for name in ("x", "y", "z", "q", "f"))   # every node drawn
    assert str(out_file) in out


def test_step_node_and_phase(capsys, tmp_path):
    code, out, err = run(capsys, CHAIN_RULE, "-o", str(tmp_path / "s.dot"), "--step", "7")
    assert code == 0, err
    assert named_in_caption(out, "backward", "q")
    by_step = (tmp_path / "s.dot").read_text()
    code, out, err = run(capsys, CHAIN_RULE, "-o", str(tmp_path / "n.dot"), "--node", "q", "--phase", "backward")
    assert code == 0 and same_drawing((tmp_path / "n.dot").read_text(), by_step), err
    code, out, err = run(capsys, CHAIN_RULE, "-o", str(tmp_path / "last.png"), "--step", "-1")
    assert code == 0 and (tmp_path / "last.png").read_bytes().startswith(b"\x89PNG"), err
    code, _, _ = run(capsys, CHAIN_RULE, "-o", str(tmp_path / "nine.dot"), "--step", "9")
    assert code == 0 and not same_drawing((tmp_path / "nine.dot").read_text(), by_step)    # another step


def test_collapse_depth_and_no_fold(capsys, tmp_path):
    deep = os.path.join(ROOT, "samples", "deep_mlp.py")
    code, _, _ = run(capsys, TWO_LAYER, "-o", str(tmp_path / "c.dot"), "--collapse", "fc1", "--collapse", "fc2")
    dot = (tmp_path / "c.dot").read_text()
    assert code == 0 and "s_fc1 [" in dot and "s_fc2 [" in dot
    code, _, _ = run(capsys, deep, "-o", str(tmp_path / "d.dot"), "--depth", "0")
    dot = (tmp_path / "d.dot").read_text()
    assert code == 0 and "s_input [" in dot and "f_block1_x8 [" in dot and "s_output [" in dot
    code, _, _ = run(capsys, deep, "-o", str(tmp_path / "u.dot"), "--no-fold", "--rankdir", "TB")
    dot = (tmp_path / "u.dot").read_text()
    assert code == 0 and "f_block1" not in dot and "rankdir=TB" in dot


def test_html_player_and_frames(capsys, tmp_path):
    frames = tmp_path / "frames"
    code, out, err = run(capsys, CHAIN_RULE, "-o", str(tmp_path / "steps.html"), "--frames", str(frames),
                         "--title", "The chain rule")
    assert code == 0, err
    html = (tmp_path / "steps.html").read_text()
    assert re.search(r"<title>The chain rule\b[^<]*</title>", html)     # the title, escaped
    assert str(tmp_path / "steps.html") in out and str(frames) in out
    assert sorted(os.listdir(frames))[0] == "step_000_forward_x.svg" and len(os.listdir(frames)) == 10


@pytest.mark.parametrize("folder", ["fr", "fr/", "out/fr/"])
def test_frames_folder_is_named_with_one_slash(capsys, tmp_path, monkeypatch, folder):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, CHAIN_RULE, "--frames", folder)
    assert code == 0, err
    shown = folder.rstrip("/") + os.sep
    assert f" {shown} " in out and f"{shown}{os.sep}" not in out and "//" not in out
    frames = sorted(os.listdir(shown))
    assert len(frames) == 10 and frames[0] in out and frames[-1] in out


@pytest.mark.parametrize("args, named", [   # named: what the message must name (its wording: tests/golden)
    (["-o", "x.jpg"], ".jpg"),
    ([], "-o"),
    (["-o", "x.svg", "--phase", "backward"], "--node"),
    (["-o", "x.svg", "--step", "10"], "10"),
    (["-o", "x.svg", "--node", "nope"], "'nope'"),
    (["-o", "x.svg", "--collapse", "fc1"], "'fc1'"),
])
def test_mistakes_get_one_clear_message(capsys, tmp_path, args, named):
    args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    code, out, err = run(capsys, CHAIN_RULE, *args)
    assert code == 2 and out == ""
    assert named in err and err.startswith("graphscope export: ") and clean_failure(err)
    assert os.listdir(tmp_path) == []                       # nothing written


def test_a_file_without_build_is_named(capsys, tmp_path):
    bad = tmp_path / "nobuild.py"
    bad.write_text("x = 1\n")
    code, _, err = run(capsys, str(bad), "-o", str(tmp_path / "x.svg"))
    assert code == 2 and "build()" in err and "nobuild.py" in err and clean_failure(err)
    assert not (tmp_path / "x.svg").exists()


@pytest.mark.usefixtures("op_table_guard")
def test_a_saved_graph_with_a_custom_op_is_drawn_after_import(capsys, tmp_path):
    import graphscope as gs
    from graphscope.engine.custom import unregister
    from graphscope.userfile import build_output
    sample = os.path.join(ROOT, "samples", "custom_op.py")
    saved = tmp_path / "custom.gsgraph"
    gs.Graph(build_output(sample)).save(saved)
    unregister("swish")
    out_file = tmp_path / "custom.dot"
    code, _, err = run(capsys, str(saved), "-o", str(out_file))
    assert code == 2 and "swish" in err and clean_failure(err) and not out_file.exists()
    code, out, err = run(capsys, str(saved), "-o", str(out_file), "--import", sample)
    assert code == 0, err
    assert "<I>swish</I>" in out_file.read_text()            # the custom op's nodes are drawn with its name


def test_missing_graphviz(capsys, tmp_path, monkeypatch):
    from graphscope.viz.render import install_advice
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no `dot` anywhere
    code, _, err = run(capsys, CHAIN_RULE, "-o", str(tmp_path / "x.svg"))
    assert code == 2 and install_advice() in err and not (tmp_path / "x.svg").exists()
    assert err.count("\n") == 2 and "SVG" in err.splitlines()[0]  # what needs dot and how to install it; what works
    code, _, err = run(capsys, CHAIN_RULE, "-o", str(tmp_path / "x.dot"))
    assert code == 0 and (tmp_path / "x.dot").read_text().startswith("digraph")


def test_export_node_by_id(capsys, tmp_path):
    # in a fresh process the lecture's nodes get ids 1..5 in the order the file makes them: q is 4
    for key in ("q", "4", "%4"):
        ran = graphscope("export", CHAIN_RULE, "-o", tmp_path / "q.dot", "--node", key, "--phase", "backward").expect(0)
        assert named_in_caption(ran.out, "backward", "q")
    code, _, err = run(capsys, CHAIN_RULE, "-o", str(tmp_path / "x.dot"), "--node", "999")
    assert code == 2 and "999" in err and clean_failure(err) and not (tmp_path / "x.dot").exists()


def test_a_nan_is_named_once_and_numpy_does_not_warn(tmp_path):
    sample = os.path.join(ROOT, "samples", "nan_origin.py")
    ran = graphscope("export", sample, "-o", tmp_path / "nan.dot", cwd=ROOT).expect(0)
    with open(sample) as fh:
        line = next(k for k, text in enumerate(fh, 1) if "gs.log(" in text)
    (note,) = ran.err.splitlines()                              # one line, no numpy RuntimeWarning
    assert re.search(r"\blog_\d+\b", note) and f"samples/nan_origin.py:{line}" in note   # seen from the cwd
    assert "graphscope check samples/nan_origin.py" in note and (tmp_path / "nan.dot").exists()


def test_help_has_examples():
    ran = graphscope("export", "--help").expect(0)
    for word in ("--step", "--node", "--phase", "--depth", "--collapse", "--frames", ".html", "examples:"):
        assert word in ran.out
