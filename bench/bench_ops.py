"""Per-op overhead on small tensors: graphscope versus raw numpy and PyTorch CPU eager.

On an 8x8 float64 input (and one 0-d scalar), each op is timed as a bare
statement in a ``timeit`` loop with the garbage collector on:

- numpy: the raw computation on arrays, nothing recorded;
- graphscope: the same op on graphscope tensors, recording included (a node
  with its op, inputs, value, name, scope and the user's source line);
- torch: PyTorch eager on CPU tensors, float64, the first input with
  ``requires_grad=True`` (so autograd records the op too), on one thread:
  numpy and graphscope use one, and on a machine whose cores are busy an
  OpenMP team turns an 8x8 softmax from microseconds into milliseconds
  (measured: 4 us on one thread, 5 us to 7.6 ms on two).

Forward+backward then times one op and its backward from an explicit
upstream gradient (graphscope versus torch), clearing the input's gradient
each time. Before timing, the benchmark checks that all three compute the
same values and that graphscope and torch agree on the gradients.

Target: graphscope at or below PyTorch's eager time per op (ratio <= 1.0).
"""
import math
import sys
from dataclasses import dataclass

import numpy as np

import graphscope as gs

from .common import Table, fmt_us, heading, per_call, ratio, ratio_cell, recording_note

TARGET_VS_TORCH = 1.0


@dataclass(frozen=True)
class Case:
    """One op: its label, input shape, and the statement for each library.

    Statements use ``a``/``b`` (numpy arrays) or ``x``/``y`` (graphscope or torch
    tensors; ``x`` requires a gradient).
    """

    label: str
    shape: tuple
    numpy: str
    graphscope: str
    torch: str


M = (8, 8)
CASES = (
    Case("add", M, "a + b", "x + y", "x + y"),
    Case("mul", M, "a * b", "x * y", "x * y"),
    Case("matmul", M, "a @ b", "x @ y", "x @ y"),
    Case("tanh", M, "np.tanh(a)", "x.tanh()", "torch.tanh(x)"),
    Case("relu", M, "np.maximum(a, 0.0)", "x.relu()", "torch.relu(x)"),
    Case("sum", M, "a.sum()", "x.sum()", "x.sum()"),
    Case("softmax", M, "np_softmax(a)", "gs.softmax(x, axis=-1)", "torch.softmax(x, -1)"),
    Case("scalar mul", (), "a * b", "x * y", "x * y"),
)


@dataclass(frozen=True)
class Config:
    repeat: int = 5
    number: int = None  # None: calibrated so that one run lasts at least min_time
    min_time: float = 0.1


FULL = Config()
QUICK = Config(repeat=2, number=20)


def np_softmax(a, axis=-1):
    """Stable softmax in numpy, as one writes it without a framework."""
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def load_torch():
    """The torch module, or None when PyTorch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def shape_label(shape):
    return "0-d" if shape == () else "x".join(map(str, shape))


def inputs(shape, seed=0):
    """Two random float64 inputs of `shape` (numpy arrays, 0-d for shape ())."""
    rng = np.random.default_rng(seed)
    return np.asarray(rng.standard_normal(shape)), np.asarray(rng.standard_normal(shape))


def namespaces(case, torch):
    """The timeit namespaces for numpy, graphscope and (when installed) torch."""
    a, b = inputs(case.shape)
    seed = None if case.label == "sum" or case.shape == () else np.ones(case.shape)
    spaces = {
        "numpy": {"np": np, "np_softmax": np_softmax, "a": a, "b": b},
        "graphscope": {"gs": gs, "x": gs.tensor(a, requires_grad=True), "y": gs.tensor(b), "seed": seed},
    }
    if torch is not None:
        spaces["torch"] = {"torch": torch,
                           "x": torch.tensor(a, dtype=torch.float64, requires_grad=True),
                           "y": torch.tensor(b, dtype=torch.float64),
                           "seed": None if seed is None else torch.tensor(seed)}
    return spaces


def backward_stmt(expr):
    return f"x.grad = None; ({expr}).backward(seed)"


def check_case(case, spaces):
    """Raise RuntimeError unless the libraries agree on the value (and gs/torch on the gradient).

    Returns the graphscope output node.
    """
    want = eval(case.numpy, spaces["numpy"])
    node = eval(case.graphscope, spaces["graphscope"])
    if not np.allclose(node.value, want, rtol=1e-12, atol=1e-12):
        raise RuntimeError(f"{case.label}: graphscope's value differs from numpy's; not timing different work")
    t = spaces.get("torch")
    if t is None:
        return node
    if not np.allclose(eval(case.torch, t).detach().numpy(), want, rtol=1e-12, atol=1e-12):
        raise RuntimeError(f"{case.label}: torch's value differs from numpy's; not timing different work")
    g = spaces["graphscope"]
    exec(backward_stmt(case.graphscope), g)
    exec(backward_stmt(case.torch), t)
    if not np.allclose(g["x"].grad, t["x"].grad.numpy(), rtol=1e-12, atol=1e-12):
        raise RuntimeError(f"{case.label}: graphscope's gradient differs from torch's; not timing different work")
    return node


def time_stmt(stmt, space, config):
    """Best seconds per execution of `stmt` in `space`."""
    return per_call(stmt, globals=space, repeat=config.repeat, number=config.number,
                    min_time=config.min_time).best


def geometric_mean(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main(quick=False):
    """Run the benchmark and print its tables; returns the figures as a dict."""
    torch = load_torch()
    if torch is None:
        return run(QUICK if quick else FULL, None, quick)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return run(QUICK if quick else FULL, torch, quick)
    finally:
        torch.set_num_threads(threads)


def run(config, torch, quick):
    """Time every case (torch may be None) and print the tables."""
    heading("Per-op overhead on small tensors (graphscope vs numpy vs PyTorch eager)")
    if torch is None:
        print("PyTorch is not installed: its columns are skipped (pip install torch==2.13.0).")
    else:
        print(f"torch {torch.__version__}, CPU eager, float64, {torch.get_num_threads()} thread "
              f"(as numpy and graphscope; see the module doc)")
    runs = f"{config.number} calls" if config.number else f">= {config.min_time:g} s"
    print(f"timing: best of {config.repeat} runs of {runs} each, microseconds per op, GC on"
          f"{' (quick mode: figures are not meaningful)' if quick else ''}")
    print()

    forward = Table(["op", "shape", "numpy us", "graphscope us", "torch us", "gs/numpy", "gs/torch"])
    both = Table(["op (forward+backward)", "shape", "graphscope us", "torch us", "gs/torch"])
    results = {}
    notes = []
    for case in CASES:
        spaces = namespaces(case, torch)
        note = recording_note(check_case(case, spaces))
        if note.startswith("WARNING") or not notes:
            notes.append(note)
        row = {
            "numpy": time_stmt(case.numpy, spaces["numpy"], config),
            "graphscope": time_stmt(case.graphscope, spaces["graphscope"], config),
            "torch": time_stmt(case.torch, spaces["torch"], config) if torch else None,
            "graphscope_fb": time_stmt(backward_stmt(case.graphscope), spaces["graphscope"], config),
            "torch_fb": time_stmt(backward_stmt(case.torch), spaces["torch"], config) if torch else None,
        }
        row["gs/numpy"] = ratio(row["graphscope"], row["numpy"])
        row["gs/torch"] = ratio(row["graphscope"], row["torch"])
        row["gs/torch fb"] = ratio(row["graphscope_fb"], row["torch_fb"])
        results[case.label] = row
        shape = shape_label(case.shape)
        forward.add(case.label, shape, fmt_us(row["numpy"]), fmt_us(row["graphscope"]), fmt_us(row["torch"]),
                    ratio_cell(row["gs/numpy"]), ratio_cell(row["gs/torch"], TARGET_VS_TORCH))
        both.add(case.label, shape, fmt_us(row["graphscope_fb"]), fmt_us(row["torch_fb"]),
                 ratio_cell(row["gs/torch fb"], TARGET_VS_TORCH))

    for note in notes:
        print(note)
    print()
    print("forward (one op, recording included)")
    forward.print()
    print()
    print("forward + backward (one op, then backward from an explicit upstream gradient)")
    both.print()
    print()
    summary = {
        "forward gs/torch": geometric_mean([r["gs/torch"] for r in results.values()]),
        "forward+backward gs/torch": geometric_mean([r["gs/torch fb"] for r in results.values()]),
        "forward gs/numpy": geometric_mean([r["gs/numpy"] for r in results.values()]),
    }
    for label, value in summary.items():
        print(f"geometric mean {label}: {ratio_cell(value) if value is not None else 'n/a (torch not installed)'}")
    sys.stdout.flush()
    return {"ops": results, "summary": summary, "recording": notes}


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])
