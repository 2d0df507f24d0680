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


def test_the_trainer_profile_times_every_step_of_the_plan_and_accounts_for_the_whole_epoch():
    import numpy as np

    from bench.bench_trainer_profile import profile
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 784)).astype(np.float32)
    y = rng.integers(0, 10, size=300)
    rows, total, d_total, d_products = profile(x, y, 64)
    parts = dict(rows)
    for op in ("matmul", "add", "relu", "softmax_cross_entropy"):
        assert parts[f"forward {op}"] > 0 and parts[f"VJP {op}"] > 0
    assert parts["update (add_steps)"] > 0 and parts["train accuracy (argmax)"] > 0
    assert abs(sum(parts.values()) - total) < 1e-9  # the rest of the loop is what the timed parts leave
    assert 0 < d_products <= d_total
