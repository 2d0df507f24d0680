"""graphscope demo: the lecture's example walked forward then backward, with or without samples/."""
import os
import shlex
import subprocess
import sys

from graphscope.cli import demo, main
from graphscope.engine.source import display_path


def flat(text):
    """The text with every run of spaces and line breaks as one space: numbers and order, not column widths
    (the exact layout is in tests/golden/demo_chain_rule.txt)."""
    return " ".join(text.split())


def test_demo_walks_forward_then_backward_with_the_lectures_numbers(capsys):
    assert main(["demo"]) == 0
    out = flat(capsys.readouterr().out)
    assert out.index("forward pass") < out.index("step 2 forward: q = add(x, y) = 3") \
        < out.index("step 4 forward: f = mul(q, z) = -12") < out.index("backward pass")
    at_f = out.index("step 5 backward: at f = mul(q, z), upstream df/df = 1")
    at_q = out.index("step 7 backward: at q = add(x, y), upstream df/dq = -4")
    assert at_f < at_q
    block_f = out[at_f:at_q]
    assert "df/dq = -4" in block_f and "= 1 × -4 = -4" in block_f and "df/dz = 3" in block_f
    assert "= -4 × 1 = -4" in out[at_q:]
    assert "df/dx = -4" in out and "df/dy = -4" in out


def test_demo_without_samples_uses_the_built_in_example(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(demo, "DEFAULT_SAMPLE", str(tmp_path / "missing.py"))
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "the lecture's example f = (x + y) * z (built in)" in out
    assert "f = mul(q, z) = -12" in out and "df/dz = 3" in out


def test_demo_of_another_file(capsys):
    two = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples", "two_layer.py")
    assert main(["demo", two]) == 0
    out = capsys.readouterr().out
    assert "backward: at loss = softmax_cross_entropy(scores, labels=[" in out and "dloss/dW1" in out


def test_demo_piped_into_head_stops_quietly():
    proc = subprocess.run(f"{sys.executable} -m graphscope demo | head -n 2", shell=True, capture_output=True,
                          text=True)
    assert proc.stdout.count("\n") == 2 and proc.stdout.startswith("graphscope demo:")
    assert proc.stderr == ""


def _typed(line):
    """The arguments of a 'graphscope ...' command shown to the user."""
    words = shlex.split(line.split("   (")[0])
    assert words[0] == "graphscope"
    return words[1:]


def _hints(out):
    """The commands of the closing 'next:' hint."""
    return [_typed(line) for line in out.split("\nnext:\n", 1)[1].splitlines() if line.strip()]


def test_the_closing_hint_names_the_file_just_shown(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    shown = display_path(demo.DEFAULT_SAMPLE)
    assert f"graphscope demo: {shown}\n" in out and "FILE" not in out
    hints = _hints(out)
    assert hints == [["export", shown, "-o", "steps.html"], ["export", shown, "--step", "7", "-o", "step7.svg"]]
    assert main(hints[1]) == 0 and (tmp_path / "step7.svg").exists()
    assert " backward · at q = add(x, y)" in capsys.readouterr().out


def test_the_built_in_example_is_saved_where_the_hint_says_then_exported(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "DEFAULT_SAMPLE", str(tmp_path / "missing.py"))
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    hints = _hints(capsys.readouterr().out)
    assert hints[0] == ["demo", "--save", "lecture.gsgraph"]
    assert [h[:2] for h in hints[1:]] == [["export", "lecture.gsgraph"]] * 2
    for hint in hints:
        assert main(hint) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("lecture.gsgraph", "step7.svg", "steps.html"))
    assert all((tmp_path / name).exists() for name in ("lecture.gsgraph", "step7.svg", "steps.html"))


def test_the_built_in_example_goes_to_the_home_folder_when_the_current_one_is_read_only(capsys, tmp_path,
                                                                                        monkeypatch):
    home = tmp_path / "home me"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(demo, "DEFAULT_SAMPLE", str(tmp_path / "missing.py"))
    (tmp_path / "read-only").mkdir()
    monkeypatch.chdir(tmp_path / "read-only")
    writable = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: path != os.getcwd() and writable(path, mode, **kw))
    assert main(["demo"]) == 0
    hints = _hints(capsys.readouterr().out)
    target = str(home / "lecture.gsgraph")
    assert hints[0] == ["demo", "--save", target] and hints[1][:2] == ["export", target]
    for hint in hints:
        assert main(hint) == 0
    assert (home / "lecture.gsgraph").exists()


def test_a_saved_graph_walks_like_its_sample(capsys, tmp_path, monkeypatch):
    import graphscope as gs
    from graphscope.userfile import build_output
    monkeypatch.chdir(tmp_path)
    gs.Graph(build_output(demo.DEFAULT_SAMPLE)).save("chain_rule.gsgraph")
    assert main(["demo", "chain_rule.gsgraph"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("graphscope demo: chain_rule.gsgraph\n")
    assert "step 7 backward: at q = add(x, y), upstream df/dq = -4" in flat(out) and "df/dz = 3" in out
    assert _hints(out)[0] == ["export", "chain_rule.gsgraph", "-o", "steps.html"]


def test_save_wants_a_graph_file_name_in_a_folder_that_exists_before_walking(capsys, tmp_path):
    assert main(["demo", "--save", "chain_rule.py"]) == 2
    out, err = capsys.readouterr()
    assert ("--save chain_rule.py: a .py file is source you write (a sample defining build()), never an output: "
            "give a graph file name, e.g. --save lecture.gsgraph") in err and out == ""
    missing = tmp_path / "missing" / "g.gsgraph"
    assert main(["demo", "--save", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert f"the folder {missing.parent} does not exist" in err and out == ""
    assert main(["demo", "--save", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_after_save_the_hints_open_the_saved_file_with_the_sample_defining_its_custom_ops(capsys, tmp_path,
                                                                                         monkeypatch):
    sample = os.path.join(os.path.dirname(demo.DEFAULT_SAMPLE), "custom_op.py")
    monkeypatch.chdir(tmp_path)
    assert main(["demo", sample, "--save", "mine.gsgraph"]) == 0
    hints = _hints(capsys.readouterr().out)
    imported = ["--import", display_path(sample)]
    assert hints[0] == ["tui", "mine.gsgraph", *imported]
    assert [h[:4] for h in hints[1:]] == [["export", "mine.gsgraph", *imported]] * 2
    for hint in hints[1:]:
        assert main(hint) == 0
    assert (tmp_path / "steps.html").exists()
