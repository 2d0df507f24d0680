"""graphscope demo: the lecture's example walked forward then backward, with or without samples/."""
import subprocess
import sys

from graphscope.cli import demo, main


def test_demo_walks_forward_then_backward_with_the_lectures_numbers(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.index("forward pass") < out.index("step   3  forward: q = add(x, y) = 3") \
        < out.index("step   4  forward: f = mul(q, z) = -12") < out.index("backward pass")
    at_f = out.index("step   5  backward: at f = mul(q, z), upstream df/df = 1 (the seed)")
    at_q = out.index("step   6  backward: at q = add(x, y), upstream df/dq = -4")
    assert at_f < at_q
    block_f = out[at_f:at_q]
    assert "local df/dq = -4" in block_f and "upstream x local = 1 x -4 = -4" in block_f
    assert "local df/dz = 3" in block_f and "df/dz = 3   (complete)" in block_f
    assert "upstream x local = -4 x 1 = -4" in out[at_q:]
    assert "df/dx = -4" in out and "df/dy = -4" in out


def test_demo_without_samples_uses_the_built_in_example(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(demo, "DEFAULT_SAMPLE", str(tmp_path / "missing.py"))
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "the lecture's example f = (x + y) * z (built in)" in out
    assert "f = mul(q, z) = -12" in out and "df/dz = 3" in out


def test_demo_of_another_file(capsys):
    import os
    two = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples", "two_layer.py")
    assert main(["demo", two]) == 0
    out = capsys.readouterr().out
    assert "backward: at loss = softmax_cross_entropy(scores)" in out and "dloss/dW1" in out


def test_demo_piped_into_head_stops_quietly():
    proc = subprocess.run(f"{sys.executable} -m graphscope demo | head -n 2", shell=True, capture_output=True,
                          text=True)
    assert proc.stdout.count("\n") == 2 and proc.stdout.startswith("graphscope demo:")
    assert proc.stderr == ""
