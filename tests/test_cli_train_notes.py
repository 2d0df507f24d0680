"""What graphscope train says of a run besides its table: weights that will not train, a loss that barely moved
or grew far above its start, which accuracy the table shows, labels that are not whole numbers, and every bad part
of a --schedule."""
import pytest

from graphscope.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

NET = '''
import numpy as np
import graphscope as gs

def data():
    x, y = gs.data.spiral(n_per_class=30, seed=0)
    return x, y{labels}, x, y

def build():
    x, y, _, _ = data()
    rng = np.random.default_rng(0)
    X = gs.tensor(x, name="x")
    W1 = gs.{w1}(rng.normal(0, 1.0, (2, 30)), name="W1")
    b1 = gs.param(np.zeros(30), name="b1")
    W2 = gs.param(rng.normal(0, 0.1, (30, 3)), name="W2")
    b2 = gs.param(np.zeros(3), name="b2")
    scores = gs.relu(X @ W1 + b1) @ W2 + b2
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y.astype(np.int64))
'''


def training_file(tmp_path, w1="param", labels=""):
    path = tmp_path / "net.py"
    path.write_text(NET.format(w1=w1, labels=labels))
    return str(path)


def run(capsys, *args):
    code = main(["train", *map(str, args), "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_weight_written_as_gs_tensor_gets_a_note_before_training(capsys, tmp_path):
    note = "note: W1 is a gs.tensor, not a gs.param: it is not trained (make it gs.param to train it)"
    code, out, _ = run(capsys, training_file(tmp_path, w1="tensor"), "--epochs", "1")
    assert code == 0 and note in out.splitlines()
    assert out.index(note) < out.index("\nepoch ")   # before the table
    code, out, _ = run(capsys, training_file(tmp_path), "--epochs", "1")
    assert code == 0 and "gs.tensor" not in out
