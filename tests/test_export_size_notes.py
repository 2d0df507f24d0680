"""graphscope export says when a picture will be slow to lay out or many screens large, and its advice draws less."""
import re

from cli_run import in_process
from graphscope.cli import main
from graphscope.viz import limits

LOOP = '''
import numpy as np
import graphscope as gs

def build():
    rng = np.random.default_rng(0)
    W = gs.param(rng.normal(size=(3, 4)), name="W")
    total = None
    for i in range(12):
        x = gs.tensor(rng.normal(size=(1, 3)), name=f"x{i}")
        with gs.scope("fc1"):
            h = gs.tanh(x @ W)
        term = gs.sum(h * h)
        total = term if total is None else total + term
    return total
'''


def loop_file(tmp_path):
    path = tmp_path / "loop.py"
    path.write_text(LOOP)
    return path


def test_a_picture_slow_to_lay_out_is_announced_with_the_options_that_draw_less(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(limits, "SLOW_ITEMS", 20)
    code, out, err = in_process(main, capsys, "export", loop_file(tmp_path), "--no-fold", "-o", tmp_path / "all.svg")
    assert code == 0, err
    note = next(line for line in err.splitlines() if "may take a minute" in line)
    boxes = int(re.search(r"the picture has (\d+) boxes", note).group(1))
    folded = int(re.search(r"--fold 3 draws (\d+) boxes", note).group(1))
    assert folded < 20 < boxes
    assert out.startswith("wrote ")
    code, _, err = in_process(main, capsys, "export", loop_file(tmp_path), "-o", tmp_path / "rolled.svg")
    assert code == 0 and "may take a minute" not in err


def test_a_drawing_of_many_screens_says_its_size_and_how_to_see_it_on_one(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(limits, "SCREENS_MAX", 0.2)
    code, _, err = in_process(main, capsys, "export", loop_file(tmp_path), "--no-fold", "-o", tmp_path / "all.svg")
    assert code == 0, err
    note = next(line for line in err.splitlines() if "screens of 1920x1080" in line)
    width, height = (int(v.replace(",", "")) for v in re.search(r"([\d,]+) x ([\d,]+) pixels", note).groups())
    svg = (tmp_path / "all.svg").read_text()
    pt = [float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()]
    assert (width, height) == (round(pt[0] * 96 / 72), round(pt[1] * 96 / 72))
    assert "--fit 1920x1080" in note and "--fold 3 (" in note


def test_the_refusal_suggests_only_options_that_draw_fewer_boxes(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(limits, "PICTURE_MAX_ITEMS", 30)
    code, _, err = in_process(main, capsys, "export", loop_file(tmp_path), "--no-fold", "-o", tmp_path / "all.svg")
    assert code == 2
    assert "--depth N, or --collapse SCOPE" not in err
    assert re.search(r"--fold 3: \d+ boxes:\n\s+graphscope export \S*loop.py --fold 3 -o \S*all.svg", err)
    code, _, err = in_process(main, capsys, "export", loop_file(tmp_path), "-o", tmp_path / "rolled.svg")
    assert code == 0, err                                   # the default draws the loop once: well under 30 boxes


def test_a_refused_step_player_suggests_the_finished_graph_in_one_picture(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(limits, "PLAYER_MAX_STEPS", 20)
    code, _, err = in_process(main, capsys, "export", loop_file(tmp_path), "-o", tmp_path / "steps.html")
    assert code == 2 and "the step-player draws the whole picture once per step" in err
    assert re.search(r"the finished graph in one picture, every value and gradient \(\d+ boxes\):\n\s+graphscope "
                     r"export \S*loop.py -o \S*steps.svg", err)
