"""Every view and every message shows a node's source file (or the user's line) relative to the current
directory when the file is below it: one rule, so a message names a file as the table beside it does.

node.source itself keeps the absolute path.
"""
import inspect
import os

import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.source import display_location, display_path
from graphscope.stepper import Stepper, explain

HERE = os.path.abspath(__file__)
TESTS = os.path.dirname(HERE)
NAME = os.path.basename(HERE)


def build():
    x = gs.param([1.0, 2.0], name="x")
    y = gs.tanh(x)
    y.name = "y"
    loss = gs.sum(y)
    loss.name = "loss"
    return loss, y


def views(loss, y):
    """The source text of node y as each view shows it."""
    st = Stepper(loss)
    details = explain.details(st.events[st.find(y)], loss)
    dot = gs.viz.to_dot(loss, step=0)
    tooltip = next(line for line in dot.splitlines() if line.strip().startswith(f"n{y.id} ["))
    table_row = next(line for line in gs.check_nodes(loss).table().splitlines() if " y " in f" {line} ")
    tape_row = next(line for line in str(loss.graph()).splitlines() if line.startswith(f"%{y.id} "))
    return {"player and stepper": details["source"], "picture tooltip": tooltip, "check table": table_row,
            "tape": tape_row}


def test_below_the_current_directory_views_show_a_relative_path(monkeypatch):
    loss, y = build()
    assert y.source.startswith(HERE + ":")  # the node keeps the absolute path
    monkeypatch.chdir(os.path.dirname(TESTS))
    line = y.source.rsplit(":", 1)[1]
    shown = os.path.join("tests", NAME) + ":" + line
    for view, text in views(loss, y).items():
        assert shown in text, f"{view}: {text}"
        assert HERE not in text, f"{view} shows the absolute path: {text}"


def test_messages_name_the_file_as_the_tables_do(monkeypatch):
    x = gs.param([1.0, -1.0], name="x")
    with np.errstate(invalid="ignore"):
        y = gs.log(x)                                  # log(-1) = nan: the message names this line
    loss = gs.sum(y)
    monkeypatch.chdir(os.path.dirname(TESTS))
    shown = os.path.join("tests", NAME) + ":" + y.source.rsplit(":", 1)[1]
    origin = loss.graph().find_nonfinite().describe()
    assert f"made at {shown}" in origin and HERE not in origin, origin
    with pytest.raises(gs.ShapeError) as caught:
        line = inspect.currentframe().f_lineno + 1
        gs.tensor([1.0, 2.0]) + gs.tensor([1.0, 2.0, 3.0])
    message = str(caught.value)
    assert f"at {os.path.join('tests', NAME)}:{line}" in message and HERE not in message, message


def test_elsewhere_views_keep_the_absolute_path_and_shared_files_its_name(monkeypatch, tmp_path):
    loss, y = build()
    monkeypatch.chdir(tmp_path)
    line = y.source.rsplit(":", 1)[1]
    for view, text in views(loss, y).items():
        if view == "picture tooltip":  # an exported picture carries nothing of the author's machine
            assert f"made at {NAME}:{line}" in text and HERE not in text, text
        else:
            assert y.source in text, f"{view}: {text}"


@pytest.mark.parametrize("location, shown", [
    ("<unknown>", "<unknown>"),
    ("relative/file.py:3", "relative/file.py:3"),
    ("<stdin>:1", "<stdin>:1"),
])
def test_locations_that_are_not_absolute_paths_are_left_alone(location, shown):
    assert display_location(location) == shown


def test_a_sibling_folder_is_not_shown_with_dot_dot(monkeypatch, tmp_path):
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    other = str(tmp_path / "other" / "x.py")
    assert display_path(other) == other
    assert display_path(str(tmp_path / "here" / "sub" / "x.py")) == os.path.join("sub", "x.py")
