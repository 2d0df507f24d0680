"""Smoke tests of the benchmarks: each runs in quick mode on tiny sizes and prints its tables.

No timing is asserted here (speed is measured by ``python -m bench``); these
tests catch a benchmark that crashes, prints no table, loses a column, or
stops checking that the engines it compares compute the same thing.
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench import bench_ops, bench_scalar, common  # noqa: E402
from bench.__main__ import discover  # noqa: E402


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def hide_modules(monkeypatch, *names):
    """Make `import name` raise ImportError, as if the package were not installed."""
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)


# ---------------------------------------------------------------- the harness

def test_discovery_finds_the_engine_benchmarks():
    names = discover()
    assert "scalar" in names and "ops" in names
    assert names == sorted(names)


def test_help_lists_benchmarks_and_options():
    proc = run_cli("--help")
    assert proc.returncode == 0, proc.stderr
    for word in ("--quick", "--in-process", "--clock", "scalar", "ops", "micrograd"):
        assert word in proc.stdout


def test_unknown_benchmark_is_one_clear_error():
    proc = run_cli("nosuchbench")
    assert proc.returncode == 2
    assert "unknown benchmark 'nosuchbench'" in proc.stderr
    assert "available: " in proc.stderr and "scalar" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_runs_a_named_benchmark_in_a_subprocess():
    pytest.importorskip("micrograd")
    proc = run_cli("--quick", "scalar")
    assert proc.returncode == 0, proc.stderr
    assert "### scalar (bench/bench_scalar.py)" in proc.stdout
    assert "graphscope / micrograd, both GC on" in proc.stdout
    assert "### ops" not in proc.stdout


# ---------------------------------------------------------------- scalar: graphscope vs micrograd

ENGINE_ROWS = ("micrograd    on", "micrograd   off", "graphscope   on", "graphscope  off")
RATIO_LINES = ("graphscope / micrograd, both GC on", "graphscope GC on / micrograd GC off",
               "graphscope / micrograd, both GC off")


def test_scalar_quick_prints_table_ratios_and_same_loss(capsys):
    pytest.importorskip("micrograd")
    results = bench_scalar.main(quick=True)
    out = capsys.readouterr().out
    for row in ENGINE_ROWS:
        assert row in out
    for line in RATIO_LINES:
        assert line in out
    assert "-> same computation" in out
    assert "carries its source line bench_scalar.py:" in out
    assert "tracked objects/node" in out and "nodes/step" in out
    check = results["check"]
    assert check["same"]
    assert check["loss_diff"] <= 1e-12 * abs(check["loss_micrograd"])
    engines = results["engines"]
    assert set(engines) == {"micrograd gc on", "micrograd gc off", "graphscope gc on", "graphscope gc off"}
    # both engines record the same graph: one node per value micrograd makes
    assert engines["graphscope gc on"]["nodes"] == engines["micrograd gc on"]["nodes"] > 100
    assert all(r is not None and r > 0 for r in results["ratios"].values())


def test_scalar_refuses_to_time_different_computations(monkeypatch, capsys):
    pytest.importorskip("micrograd")
    real = bench_scalar.graphscope_engine

    def perturbed(weights, X, y):
        weights = [[([w + 0.01 for w in ws], b) for ws, b in layer] for layer in weights]
        return real(weights, X, y)

    monkeypatch.setattr(bench_scalar, "graphscope_engine", perturbed)
    with pytest.raises(RuntimeError, match="different computations"):
        bench_scalar.main(quick=True)
    assert "MISMATCH" in capsys.readouterr().out


def test_scalar_without_micrograd_skips_its_columns(monkeypatch, capsys):
    hide_modules(monkeypatch, "micrograd", "micrograd.engine", "micrograd.nn")
    results = bench_scalar.main(quick=True)
    out = capsys.readouterr().out
    assert "micrograd is not installed" in out
    assert "graphscope   on" in out and "graphscope  off" in out
    assert "micrograd    on" not in out
    assert "n/a (micrograd not installed)" in out
    assert set(results["engines"]) == {"graphscope gc on", "graphscope gc off"}


def test_moons_are_two_balanced_classes():
    X, y = bench_scalar.make_moons(100)
    assert len(X) == len(y) == 100 and all(len(r) == 2 for r in X)
    assert sorted(set(y)) == [-1.0, 1.0] and y.count(1.0) == 50
    assert all(isinstance(v, float) for r in X for v in r)


# ---------------------------------------------------------------- ops: graphscope vs numpy vs torch

def test_ops_quick_prints_both_tables_with_torch(capsys):
    pytest.importorskip("torch")
    results = bench_ops.main(quick=True)
    out = capsys.readouterr().out
    assert "forward (one op, recording included)" in out
    assert "forward + backward" in out
    for case in bench_ops.CASES:
        row = results["ops"][case.label]
        assert all(row[k] > 0 for k in ("numpy", "graphscope", "torch", "graphscope_fb", "torch_fb"))
        assert case.label in out
    assert "carries its source line" in out
    assert "geometric mean forward gs/torch: " in out and "n/a" not in out


def test_ops_without_torch_skips_its_columns(monkeypatch, capsys):
    hide_modules(monkeypatch, "torch")
    results = bench_ops.main(quick=True)
    out = capsys.readouterr().out
    assert "PyTorch is not installed" in out
    for case in bench_ops.CASES:
        row = results["ops"][case.label]
        assert row["torch"] is None and row["graphscope"] > 0 and row["numpy"] > 0
    assert "geometric mean forward gs/torch: n/a" in out


def test_ops_check_catches_a_wrong_value(monkeypatch):
    case = bench_ops.Case("add", (8, 8), "a + b", "x * y", "x + y")
    with pytest.raises(RuntimeError, match="graphscope's value differs"):
        bench_ops.check_case(case, bench_ops.namespaces(case, None))


# ---------------------------------------------------------------- helpers

def test_table_aligns_columns_and_ratio_cells_judge_targets():
    t = common.Table(["name", "value"])
    t.add("a", "1.00")
    t.add("longer", "10.00")
    lines = t.render().splitlines()
    assert lines[0].startswith("name") and set(lines[1]) <= {"-", " "}
    assert lines[2].endswith(" 1.00") and lines[3].endswith("10.00")
    assert len(lines[2]) == len(lines[3])
    with pytest.raises(ValueError):
        t.add("too", "many", "cells")
    assert common.ratio_cell(0.2, 0.25) == "0.20x (<= 0.25 met)"
    assert common.ratio_cell(1.5, 1.0) == "1.50x (<= 1.00 MISSED)"
    assert common.ratio_cell(None) == "n/a"
    assert common.ratio(1.0, None) is None and common.ratio(3.0, 2.0) == 1.5


def test_recording_note_flags_a_node_without_source_line():
    import graphscope as gs
    x = gs.tensor(1.0, requires_grad=True)
    y = x * 2.0
    assert common.recording_note(y).startswith("recording: graphscope node mul_")
    assert "test_bench_smoke.py:" in common.recording_note(y)
    assert "test_bench_smoke.py:" in common.recording_note(y.inputs[1])  # the wrapped 2.0 shares y's line
    detached = y.detach()  # a leaf made without a user line
    assert common.recording_note(detached).startswith("WARNING: graphscope recorded no source line")


def test_timing_helpers_measure_and_restore_gc():
    import gc
    was = gc.isenabled()
    timing = common.per_call("x + 1", globals={"x": 1.0}, repeat=3, number=100)
    assert len(timing.runs) == 3 and 0 < timing.best <= timing.median
    calls = []
    timing = common.per_run(lambda: calls.append(1), repeat=2, warmup=1, setup=lambda: calls.append(0))
    assert calls == [1, 0, 1, 0, 1] and len(timing.runs) == 2
    with common.gc_mode(False):
        assert not gc.isenabled()
    assert gc.isenabled() == was
    assert common.fmt_seconds(1.4111) == "1.41 s" and common.fmt_seconds(9.115e-4) == "912 us"
    with pytest.raises(ValueError, match="unknown clock"):
        common.set_clock("sundial")


# ---------------------------------------------------------------- tui: first paint and step redraw

def test_tui_quick_prints_first_paint_and_step_redraws(capsys):
    from bench import bench_tui
    results = bench_tui.main(quick=True)
    out = capsys.readouterr().out
    for row in ("gs.Stepper(graph) (baseline)", "first paint", "graph view drawn", "forward step redraw",
                "backward step redraw"):
        assert row in out
    assert results["nodes"] >= 1000 and results["layout"] in ("dot", "layers")
    assert 0 < results["first_paint"] <= results["graph_drawn"]
    assert results["forward_step"] > 0 and results["backward_step"] > 0


def test_the_benchmarks_listed_sizes_are_the_graphs_they_build():
    """--list and the README name the node count each benchmark really draws, steps or opens."""
    import re

    from bench import bench_render, bench_stepper, bench_tui
    from bench.bench_stepper import mlp_graph
    sizes = {nodes: len(mlp_graph(nodes)) for nodes in {bench_render.NODES, bench_stepper.NODES, bench_tui.NODES}}
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read().split("## Benchmarks", 1)[1]
    for module in (bench_render, bench_stepper, bench_tui):
        stated = re.search(r"a ([\d,]+)-node", module.__doc__.splitlines()[0]).group(1)
        assert stated == f"{sizes[module.NODES]:,}", module.__name__
        name = module.__name__.rsplit("_", 1)[1]
        assert re.search(rf"- `{name}`: [^\n]*{stated}-node", readme), f"the README's `{name}` line"
