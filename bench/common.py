"""Timing and reporting helpers shared by the benchmarks.

Two kinds of measurement:

- ``per_call(stmt)``: timeit-style, for work of microseconds (one op). The loop
  count is chosen so that one run lasts at least ``min_time``; the run is
  repeated and the *best* run is reported (the least-disturbed one, as
  ``timeit`` recommends), with the median alongside.
- ``per_run(fn)``: for work of milliseconds to seconds (one training step, or
  a batch of steps). Each run is timed on its own and the *median* is
  reported, because costs such as garbage collection land on some runs and
  not others and are part of what is measured.

Both warm up first and read the clock chosen with ``set_clock`` (process CPU
time by default, see ``CLOCKS``). ``gc_mode`` sets the garbage collector on or off for a
block and restores it afterwards; ``GCClock`` measures the time spent in
collections. ``Table`` prints aligned tables, and
``ratio_cell`` formats a ratio against an optional target.
"""
import gc
import math
import os
import platform
import statistics
import sys
import time
import timeit
from contextlib import contextmanager
from dataclasses import dataclass

#: The clocks a benchmark can time with. "cpu" (the default) is the process's CPU
#: time: the work measured here is single-threaded, so on an idle machine it
#: equals wall time, and on a busy one it leaves out the time the process
#: waited for a core. "wall" is time.perf_counter.
CLOCKS = {
    "cpu": (time.process_time, "process CPU time (time.process_time)"),
    "wall": (time.perf_counter, "wall time (time.perf_counter)"),
}
_clock = CLOCKS["cpu"][0]
_clock_name = "cpu"


def set_clock(name):
    """Time with the clock `name` ('cpu' or 'wall') from now on."""
    global _clock, _clock_name
    if name not in CLOCKS:
        raise ValueError(f"unknown clock {name!r}; choose one of {', '.join(CLOCKS)}")
    _clock, _clock_name = CLOCKS[name][0], name


def clock_name():
    return _clock_name


@dataclass(frozen=True)
class Timing:
    """Seconds per unit of work over several runs."""

    runs: tuple

    @property
    def best(self):
        return min(self.runs)

    @property
    def median(self):
        return statistics.median(self.runs)

    @property
    def spread(self):
        """(max - min) / median: how noisy the runs were."""
        m = self.median
        return (max(self.runs) - min(self.runs)) / m if m > 0 else 0.0


def per_call(stmt, *, globals=None, repeat=5, number=None, warmup=None, min_time=0.2):
    """Seconds per execution of `stmt` (best and median of `repeat` runs of `number` executions).

    `stmt` is a statement string run in the namespace `globals` (no function-call
    overhead, as with ``timeit``) or a callable. Unlike ``timeit``, the garbage
    collector keeps the state it has (on, as users run code). With
    ``number=None`` the loop count is calibrated like ``timeit.Timer.autorange``:
    the smallest 1, 2, 5, 10, 20, 50, ... executions that take at least
    `min_time`. `warmup` executions run first (by default as many as one run).
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    timer = timeit.Timer(stmt, setup="gc.enable()" if gc.isenabled() else "pass", timer=_clock,
                         globals={"gc": gc, **(globals or {})})
    if number is None:
        number = _calibrate(timer, min_time)
    timer.timeit(number if warmup is None else warmup)
    return Timing(tuple(timer.timeit(number) / number for _ in range(repeat)))


def per_run(fn, *, repeat=3, warmup=1, setup=None):
    """Seconds per call of `fn()`, each call timed on its own, after `warmup` untimed calls.

    `setup()`, when given, runs untimed before each timed call.
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        t0 = _clock()
        fn()
        runs.append(_clock() - t0)
    return Timing(tuple(runs))


def _calibrate(timer, min_time):
    number = 1
    while True:
        for k in (1, 2, 5):
            n = number * k
            if timer.timeit(n) >= min_time:
                return n
        number *= 10


@contextmanager
def gc_mode(enabled):
    """Run the block with the garbage collector on or off, starting from a collected heap."""
    was = gc.isenabled()
    gc.collect()
    if enabled:
        gc.enable()
    else:
        gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()
        gc.collect()


class GCClock:
    """Time spent inside garbage collections while active (via ``gc.callbacks``)."""

    def __init__(self):
        self.seconds = 0.0
        self.collections = 0
        self._start = 0.0
        self._paused = False
        self._clock = _clock

    def uncounted(self, fn):
        """Call `fn()` without counting the collections it makes (e.g. an untimed gc.collect)."""
        self._paused = True
        try:
            return fn()
        finally:
            self._paused = False

    def _callback(self, phase, info):
        if self._paused:
            return
        if phase == "start":
            self._start = self._clock()
        else:
            self.seconds += self._clock() - self._start
            self.collections += 1

    def __enter__(self):
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self._callback)
        return False


def tracked_objects():
    """How many objects the garbage collector tracks right now."""
    return len(gc.get_objects())


def recording_note(node):
    """One line saying whether a graphscope node carries its user source line (part of what is timed)."""
    source = getattr(node, "source", None)
    if not source or source.startswith("<unknown>"):
        return (f"WARNING: graphscope recorded no source line for node {node.name}: the figures leave out "
                f"the cost of recording it")
    return f"recording: graphscope node {node.name} ({node.op}) carries its source line {os.path.basename(source)}"


# ---------------------------------------------------------------- reporting

def environment():
    """One line naming the interpreter, numpy and the machine (for the record of a run)."""
    try:
        import numpy
        np_version = numpy.__version__
    except ImportError:  # pragma: no cover - numpy is a dependency of graphscope
        np_version = "absent"
    impl = platform.python_implementation()
    return (f"{impl} {platform.python_version()}, numpy {np_version}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs, {platform.system()}")


def heading(title):
    """Print a benchmark's title, underlined, the environment line and the clock."""
    print(title)
    print("=" * len(title))
    print(environment())
    print(f"clock: {CLOCKS[_clock_name][1]}")
    print()


def fmt_seconds(s):
    """Seconds with a unit and 3 significant digits: '1.41 s', '56.7 ms', '912 us', '8.91 us'."""
    if s is None:
        return "n/a"
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns")):
        if s >= scale or unit == "ns":
            return f"{_three_digits(s / scale)} {unit}"


def _three_digits(v):
    if v <= 0:
        return "0"
    decimals = max(0, 2 - math.floor(math.log10(v)))
    return f"{v:.{decimals}f}"


def fmt_us(s):
    """Seconds as microseconds, e.g. '3.42'."""
    if s is None:
        return "n/a"
    us = s * 1e6
    return f"{us:.2f}" if us < 100 else f"{us:.1f}"


def ratio(a, b):
    """a / b, or None if either is missing or b is zero."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def ratio_cell(r, target=None):
    """'0.23x' and, with a target, ' (<= 0.25 met)' or ' (<= 0.25 MISSED)'."""
    if r is None or (isinstance(r, float) and math.isnan(r)):
        return "n/a"
    text = f"{r:.2f}x"
    if target is not None and f"{r:.2f}" == f"{target:.2f}" and r != target:
        text = f"{r:.3f}x"  # 1.004 printed as 1.00 would read as met
    if target is not None:
        text += f" (<= {target:.2f} {'met' if r <= target else 'MISSED'})"
    return text


class Table:
    """A plain-text table: the first column left-aligned, the others right-aligned."""

    def __init__(self, headers):
        self.headers = [str(h) for h in headers]
        self.rows = []

    def add(self, *cells):
        if len(cells) != len(self.headers):
            raise ValueError(f"row has {len(cells)} cells, table has {len(self.headers)} columns")
        self.rows.append([str(c) for c in cells])

    def render(self):
        widths = [max(len(r[i]) for r in [self.headers] + self.rows) for i in range(len(self.headers))]

        def line(cells):
            parts = [cells[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
            return "  ".join(parts).rstrip()

        rule = "  ".join("-" * w for w in widths)
        return "\n".join([line(self.headers), rule] + [line(r) for r in self.rows])

    def print(self, file=None):
        print(self.render(), file=file or sys.stdout)
