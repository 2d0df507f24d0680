"""A file is called a training file (export's note on initial weights) only when its data() is a training file's:
taking no argument and returning (x_train, y_train, x_val, y_val). A data() helper of another shape gets no note,
and data() is never run a second time to tell."""
import pytest

from cli_run import in_process
from graphscope.cli import main
from graphscope.userfile import training_file

MODEL = """import numpy as np
import graphscope as gs

CALLS = []


def data({params}):
    CALLS.append(1)
    open("calls.txt", "a").write("data\\n")
    {body}


def build():
    {use}
    return gs.sum(gs.param(np.ones(3), name="w") * 2.0)
"""

FOUR = "return np.ones((4, 3)), np.zeros(4), None, None"
FIVE = "return np.ones((4, 3)), np.zeros(4), np.ones(3), np.ones(2), np.ones(1)"
BY_CALL_FOUR = "return tuple([np.ones((4, 3)), np.zeros(4), None, None])"
BY_CALL_FIVE = "return tuple([np.ones(1)] * 5)"
NOTE = "is a training file: this is its model with the initial weights"
MAYBE = "defines data(); if it is a training file (`graphscope train model.py` trains it), this is its model"


@pytest.mark.parametrize("params, body, use, expected", [
    ("", FOUR, "pass", True),                      # the text says: four values
    ("seed=0", FIVE, "data()", False),             # a helper returning five (the researcher's model.py)
    ("seed", FOUR, "data(0)", False),              # needs an argument: graphscope train could not call it
    ("", BY_CALL_FOUR, "data()", True),            # only running it tells: build() ran it, that answers
    ("", BY_CALL_FIVE, "data()", False),
    ("", BY_CALL_FOUR, "pass", None),              # never run: not known
])
def test_export_calls_a_file_a_training_file_only_when_its_data_is_one(tmp_path, monkeypatch, capsys,
                                                                        params, body, use, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text(MODEL.format(params=params, body=body, use=use))
    code, out, err = in_process(main, capsys, "export", "model.py", "-o", "m.dot")
    assert code == 0, err
    assert (f"note: model.py {NOTE}" in err) == (expected is True)
    assert (f"note: model.py {MAYBE}" in err) == (expected is None)
    assert training_file("model.py") is expected
    runs = (tmp_path / "calls.txt").read_text().count("data") if (tmp_path / "calls.txt").exists() else 0
    assert runs == (1 if "data(" in use else 0)    # data() ran only as build() ran it


def test_a_file_without_data_or_not_python_is_no_training_file(tmp_path):
    (tmp_path / "plain.py").write_text("def build():\n    pass\n")
    assert training_file(str(tmp_path / "plain.py")) is False
    assert training_file(str(tmp_path / "saved.gsgraph")) is False
