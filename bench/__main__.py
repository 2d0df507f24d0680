"""Run graphscope's benchmarks: ``python -m bench [--quick] [NAME ...]``.

Every ``bench/bench_<name>.py`` is a benchmark named ``<name>``; its
``main(quick=False)`` prints its figures. By default each benchmark runs in a
fresh Python subprocess, one after the other: what one benchmark imports and
leaves on the heap would otherwise change the next one's figures: importing
torch adds about 150,000 objects the garbage collector walks in every full
collection, which measured here takes graphscope's scalar step with the
collector on from about 0.28 s to 0.50 s. ``--in-process`` runs them in this process instead
(for a profiler: ``python -m cProfile -s tottime -m bench --in-process scalar``).
"""
import argparse
import importlib
import inspect
import os
import subprocess
import sys
import time
import traceback

from .common import CLOCKS, set_clock

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
PREFIX = "bench_"


def discover():
    """Names of the benchmarks (``bench/bench_<name>.py``), sorted."""
    return sorted(f[len(PREFIX):-3] for f in os.listdir(BENCH_DIR)
                  if f.startswith(PREFIX) and f.endswith(".py"))


def first_doc_line(name):
    """The first line of a benchmark's module docstring, read without importing it."""
    import ast
    path = os.path.join(BENCH_DIR, f"{PREFIX}{name}.py")
    try:
        with open(path, encoding="utf-8") as f:
            doc = ast.get_docstring(ast.parse(f.read(), path))
    except (OSError, SyntaxError) as exc:
        return f"(cannot read: {exc})"
    return doc.strip().splitlines()[0] if doc else "(no description)"


def run_in_process(name, quick):
    """Import ``bench.bench_<name>`` and call its main (with quick= when it accepts it)."""
    module = importlib.import_module(f"{__package__ or 'bench'}.{PREFIX}{name}")
    main = getattr(module, "main", None)
    if not callable(main):
        raise SystemExit(f"bench/{PREFIX}{name}.py has no main() function")
    if quick and "quick" in inspect.signature(main).parameters:
        main(quick=True)
    else:
        if quick:
            print(f"({name}: main() takes no quick flag; running it in full)")
        main()


def run_subprocess(name, quick, clock):
    """Run one benchmark in a fresh interpreter; returns its exit status."""
    root = os.path.dirname(BENCH_DIR)
    cmd = [sys.executable, "-m", "bench", "--in-process", "--clock", clock, name] + (["--quick"] if quick else [])
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    sys.stdout.flush()
    return subprocess.call(cmd, cwd=root, env=env)


def parse_args(argv, names):
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run graphscope's benchmarks and print their figures, with ratios against baselines "
                    "measured in the same run.",
        epilog="benchmarks:\n" + "".join(f"  {n:10s} {first_doc_line(n)}\n" for n in names)
               + "\nexamples:\n  python -m bench                # all, one fresh subprocess each\n"
                 "  python -m bench scalar ops     # the named ones\n"
                 "  python -m bench --quick        # smoke run in seconds\n"
                 "  python -m cProfile -s tottime -m bench --in-process scalar",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all of {', '.join(names)})")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and few repetitions: a smoke run in seconds, figures not meaningful")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                        help="time with the process's CPU time (default: robust when other programs share "
                             "the cores) or wall time")
    parser.add_argument("--in-process", action="store_true",
                        help="run in this process instead of one fresh subprocess each (for profilers)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in names]
    if unknown:
        parser.error(f"unknown benchmark{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                     f"available: {', '.join(names)}")
    return args


def main(argv=None):
    names = discover()
    args = parse_args(sys.argv[1:] if argv is None else argv, names)
    if args.list:
        for n in names:
            print(f"{n:12s} {first_doc_line(n)}")
        return 0
    selected = args.names or names
    set_clock(args.clock)
    failed = []
    for i, name in enumerate(selected):
        if len(selected) > 1 or not args.in_process:
            if i:
                print()
            print(f"### {name} (bench/{PREFIX}{name}.py)")
            print()
        t0 = time.perf_counter()
        if args.in_process:
            try:
                run_in_process(name, args.quick)
                status = 0
            except BrokenPipeError:
                raise
            except Exception:  # one broken benchmark must not hide the others' figures
                traceback.print_exc()
                status = 1
        else:
            status = run_subprocess(name, args.quick, args.clock)
        if status != 0:
            failed.append(name)
        if len(selected) > 1 or not args.in_process:
            print(f"\n({name}: {'FAILED, ' if status else ''}{time.perf_counter() - t0:.1f} s)")
        sys.stdout.flush()
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _quiet_broken_pipe():
    """The reader went away (``python -m bench | head``): stop without a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


if __name__ == "__main__":
    try:
        status = main()
    except BrokenPipeError:
        status = _quiet_broken_pipe()
    sys.exit(status)
