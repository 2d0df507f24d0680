"""Smoke test of `python -m bench trainer` (quick sizes): it checks the three variants agree and prints its table."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_trainer_benchmark_runs_and_prints_its_table():
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "trainer"], cwd=ROOT, capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    header = next(line for line in out.splitlines() if line.startswith("batch"))
    for column in ("(a) gs.Trainer", "(b) numpy", "(c) torch", "(d) floor", "(a)/(b)", "(a)/(c)", "(d)/(c)",
                   "peak mem (a)"):
        assert column in header
    rows = [line.split()[0] for line in out.splitlines() if line[:3] in ("128", "32 ")]
    assert rows == ["128", "32"]
    assert "checked to give the same weights after three SGD steps" in out
