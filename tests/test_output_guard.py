"""Every output option of every command passes one guard: never the input file, never a .py file, never an
existing file of another kind; a file of the command's own kind (or an empty one) is replaced."""
import os
import shutil

import pytest

from graphscope.cli import main
from graphscope.cli.outputs import DRAWING, GRAPH, HISTORY, PLOT, SEARCH, replace_problem

from cli_run import in_process

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPIRAL = os.path.join(ROOT, "samples", "train_spiral.py")
CHAIN = os.path.join(ROOT, "samples", "chain_rule.py")
SEARCH_TEXT = '{\n "graphscope": "search",\n "version": 1, "trials": [{"loss": 1}]\n}'
HISTORY_TEXT = '{\n "loss": [1.0, 0.5],\n "settings": {}\n}'


@pytest.fixture
def files(tmp_path):
    shutil.copy(SPIRAL, tmp_path / "spiral.py")
    (tmp_path / "notes.txt").write_text("my notes\n")
    (tmp_path / "search.json").write_text(SEARCH_TEXT)
    (tmp_path / "history.json").write_text(HISTORY_TEXT)
    return tmp_path


@pytest.mark.parametrize("args, said", [
    (["search", "{d}/spiral.py", "-o", "{d}/spiral.py"], "-o {d}/spiral.py: is the input file itself"),
    (["train", "{d}/spiral.py", "--history", "{d}/spiral.py"], "--history {d}/spiral.py: is the input file itself"),
    (["train", "{d}/spiral.py", "--plot", "{d}/spiral.py"], "--plot {d}/spiral.py: is the input file itself"),
    (["search", "{d}/spiral.py", "-o", "{d}/notes.txt"], "-o {d}/notes.txt: exists and is not a search file"),
    (["search", "{d}/spiral.py", "-o", "{d}/history.json"], "-o {d}/history.json: exists and is not a search file"),
    (["train", "{d}/spiral.py", "--history", "{d}/search.json"],
     "--history {d}/search.json: exists and is not a training history"),
    (["train", "{d}/spiral.py", "--history", "{d}/other.py"], "--history {d}/other.py: a .py file is source you "
                                                              "write (a sample defining build()), never an output"),
    (["train", "{d}/spiral.py", "--plot", "{d}/notes.txt"], "--plot {d}/notes.txt: exists and is not a picture"),
    (["export", "{d}/spiral.py", "-o", "{d}/notes.txt"], "-o {d}/notes.txt: exists and is not a picture, DOT file"),
    (["export", "{d}/spiral.py", "-o", "{d}/spiral.py"], "-o {d}/spiral.py: is the input file itself"),
    (["demo", "{d}/spiral.py", "--save", "{d}/notes.txt"], "--save {d}/notes.txt: exists and is not a graph file"),
])
def test_an_output_that_would_replace_what_it_must_not_is_refused_and_left_as_it_was(capsys, files, args, said):
    before = {p.name: p.read_bytes() for p in files.iterdir()}
    code, out, err = in_process(main, capsys, *[a.format(d=files) for a in args])
    assert code == 2 and said.format(d=files) in err and len(err.splitlines()) == 1
    assert {p.name: p.read_bytes() for p in files.iterdir()} == before


@pytest.mark.parametrize("kind, content", [
    (SEARCH, SEARCH_TEXT.encode()), (HISTORY, HISTORY_TEXT.encode()), (PLOT, b"\x89PNG\r\n\x1a\n..."),
    (PLOT, b"%PDF-1.4"), (DRAWING, b'<?xml version="1.0"?><svg/>'), (DRAWING, b"digraph G {}"),
    (DRAWING, b"<!DOCTYPE html><html>"), (GRAPH, b"PK\x03\x04" + bytes(22) + b"\x0a\x00\x00\x00graph.json"), (HISTORY, b""),
])
def test_a_file_of_the_commands_own_kind_or_an_empty_one_may_be_replaced(tmp_path, kind, content):
    path = tmp_path / "out.any"
    path.write_bytes(content)
    assert replace_problem("-o", str(path), kind, [CHAIN]) is None
    other = next(k for k in (SEARCH, HISTORY, GRAPH) if not k.recognizes(content)) if content else None
    if other is not None:
        assert "exists and is not a" in replace_problem("-o", str(path), other, [CHAIN])


def test_the_same_file_by_another_path_is_still_the_input(tmp_path):
    shutil.copy(CHAIN, tmp_path / "c.py")
    os.symlink(tmp_path / "c.py", tmp_path / "link.svg")
    assert "is the input file itself" in replace_problem("-o", str(tmp_path / "link.svg"), DRAWING,
                                                         [str(tmp_path / "c.py")])


def test_a_graph_file_that_is_not_an_ordinary_file_is_refused_unread(capsys):
    code, _, err = in_process(main, capsys, "check", "/dev/zero")
    assert (code, err) == (2, "graphscope check: /dev/zero: is not an ordinary file (a device, a pipe or a socket), "
                              "so not a graph file\n")


def test_the_library_never_saves_a_graph_or_an_onnx_model_over_source_or_another_kind_of_file(tmp_path):
    import numpy as np
    import graphscope as gs
    x = gs.param(np.ones(3), name="x")
    graph = gs.sum(x * x).graph()
    (tmp_path / "ops.py").write_text("import graphscope\n")
    (tmp_path / "notes.txt").write_text("my notes\n")
    np.savez(tmp_path / "weights.npz", w=np.ones(2))  # a zip archive, but not a graph file
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for save in (graph.save, graph.to_onnx):
        for name in ("ops.py", "model.py"):
            with pytest.raises(gs.GraphscopeError, match=r"a \.py file is source you write"):
                save(str(tmp_path / name))
        for name in ("notes.txt", "weights.npz"):
            with pytest.raises(gs.GraphscopeError, match=r"exists and is not an? (graph file|ONNX model); it is left"):
                save(str(tmp_path / name))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    graph.save(str(tmp_path / "m.gsgraph"))
    graph.save(str(tmp_path / "m.gsgraph"))      # its own kind is replaced
    graph.to_onnx(str(tmp_path / "m.onnx"))
    graph.to_onnx(str(tmp_path / "m.onnx"))
    with pytest.raises(gs.GraphscopeError,
                       match=r'a name ending in \.gsgraph is for a graph file.*graph\.save\("m\.gsgraph"\)'):
        graph.to_onnx(str(tmp_path / "m.gsgraph"))
