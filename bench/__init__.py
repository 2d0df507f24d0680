"""graphscope's benchmarks: ``python -m bench`` runs them all, ``python -m bench NAME`` one.

Each benchmark is a module ``bench/bench_<name>.py`` with ``main(quick=False)``
that prints its figures, including ratios against a baseline measured in the
same run. ``bench.common`` holds the shared timing and table helpers. See
bench/README.md.
"""
