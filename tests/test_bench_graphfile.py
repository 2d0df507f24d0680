"""Smoke test of `python -m bench graphfile` (quick sizes): its tables, and its refusal to time a bad round trip."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench import bench_graphfile  # noqa: E402

WAYS = ("graphscope, format 2 (packed)", "graphscope, format 1 (one array a member)",
        "numpy alone, one member per array", "numpy alone, packed by dtype and shape",
        "json alone, graph.json's structure")


def test_graphfile_quick_prints_both_graphs_every_way_and_the_ratios(capsys):
    figures = bench_graphfile.main(quick=True)
    out = capsys.readouterr().out
    assert "scalar MLP 2-16-16-1 on Python floats: " in out and "array MLP 64-32-16-10, float32" in out
    for way in WAYS:
        assert out.count(way) == 2
    for header in ("save/node", "load/node", "format 2 against"):
        assert header in out
    assert "(not judged at quick sizes)" in out and figures["target_met"] is None
    scalar = figures["scalar"]
    assert scalar["nodes"] >= bench_graphfile.QUICK_SCALAR_NODES and scalar["arrays"] > scalar["nodes"]
    for way in WAYS:
        assert scalar["ways"][way]["save"] > 0 and scalar["ways"][way]["load"] > 0
    # the packed file of a scalar graph is smaller than one with a member per value (the sizes are not timings)
    assert scalar["ways"][WAYS[0]]["bytes"] < scalar["ways"][WAYS[1]]["bytes"]


def test_graphfile_refuses_to_time_a_load_that_changes_a_value(monkeypatch):
    real = bench_graphfile.gs.load_graph

    def changed(path):
        graph = real(path)
        graph.nodes[0].value = graph.nodes[0].value + 1.0
        return graph

    monkeypatch.setattr(bench_graphfile.gs, "load_graph", changed)
    with pytest.raises(RuntimeError, match=r"format 2 \(packed\): node \S+ did not come back as it was saved"):
        bench_graphfile.main(quick=True)
