"""Nodes that share a name are told apart by their scope path ('block3/W'), in graph.node() and every --node."""
import os

import numpy as np
import pytest

import graphscope as gs
from cli_run import in_process
from graphscope.cli import main
from graphscope.cli.common import export_command
from graphscope.engine.graph import scope_path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEEP_MLP = os.path.join(ROOT, "samples", "deep_mlp.py")


def blocks(n=3, outer=None):
    """A chain of n blocks, each with a parameter named W (inside scope `outer` when given); (loss, [W...])."""
    h, ws = gs.tensor(np.ones((2, 3)), name="x"), []
    for i in range(1, n + 1):
        with gs.scope(f"block{i}"):
            ws.append(gs.param(np.full((3, 3), 0.1 * i), name="W"))
            h = gs.tanh(h @ ws[-1])
    return gs.sum(h), ws


def nested():
    """a/b/W, c/b/W and a top-level W: (graph, {path: node})."""
    x = gs.tensor(np.ones(3), name="x")
    found = {"W": gs.param(np.ones(3), name="W")}
    total = x * found["W"]
    for outer in ("a", "c"):
        with gs.scope(outer), gs.scope("b"):
            found[f"{outer}/b/W"] = gs.param(np.ones(3), name="W")
            total = total + found[f"{outer}/b/W"]
    return gs.sum(total).graph(), found


def test_a_shared_name_lists_the_scope_paths():
    loss, ws = blocks()
    graph = loss.graph()
    with pytest.raises(KeyError) as caught:
        graph.node("W")
    assert str(caught.value) == "3 nodes are named 'W': block1/W, block2/W, block3/W; say which"
    assert [graph.node(f"block{i}/W") for i in (1, 2, 3)] == ws
    assert graph["block2/W"] is ws[1] and scope_path(ws[1]) == "block2/W"


def test_nested_paths_the_end_of_a_path_and_a_top_level_name():
    graph, found = nested()
    for path, node in found.items():
        assert graph.node(path) is node                       # the full path; 'W' is the top-level one's
        assert graph.node(graph.key_of(node)) is node
    assert graph.key_of(found["a/b/W"]) == "a/b/W"
    with pytest.raises(KeyError, match=r"2 nodes have the path 'b/W': a/b/W, c/b/W; say which"):
        graph.node("b/W")


def test_the_end_of_a_path_is_enough_when_it_is_unique():
    with gs.scope("net"):
        loss, ws = blocks()
    graph = loss.graph()
    assert graph.node("block3/W") is ws[2] and graph.node("net/block3/W") is ws[2]
    assert graph.key_of(ws[2]) == "block3/W"
    with pytest.raises(KeyError, match="no node named 'lock3/W'"):
        graph.node("lock3/W")                                   # ends at a '/', not inside a scope's name


def test_a_misspelt_path_gets_did_you_mean():
    loss, _ = blocks()
    with pytest.raises(KeyError, match=r"no node named 'blok2/W' in this graph; did you mean 'block2/W'"):
        loss.graph().node("blok2/W")


def test_same_path_twice_is_told_apart_by_id():
    a = gs.tensor(1.0, name="same")
    b = gs.tensor(2.0, name="same")
    graph = (a + b).graph()
    with pytest.raises(KeyError, match=rf"2 nodes are named 'same': %{a.id}, %{b.id}; say which \(by id"):
        graph.node("same")
    assert graph.node(f"%{b.id}") is b and graph.key_of(b) == f"%{b.id}"


def test_export_node_takes_a_scope_path(capsys, tmp_path):
    out_file = tmp_path / "w.dot"
    code, out, err = in_process(main, capsys, "export", DEEP_MLP, "--node", "block3/W", "-o", out_file)
    assert code == 0, err
    code, out, err = in_process(main, capsys, "export", DEEP_MLP, "--node", "W", "-o", out_file)
    assert code == 2 and "10 nodes are named 'W': input/W, block1/W, block2/W" in err and "say which" in err
    code, out, err = in_process(main, capsys, "export", DEEP_MLP, "--node", "block3/V", "-o", out_file)
    assert code == 2 and "no node named 'block3/V' in this graph; did you mean 'block3/W'" in err


def test_a_suggested_command_names_a_shared_name_by_its_path():
    loss, ws = blocks()
    command = export_command("net.py", [], loss.graph(), ws[1])
    assert "--node block2/W" in command
