"""When epoch times swing widely, the likely cause on a small model: numpy's BLAS starts a thread per core for
every matrix product, and on a busy or shared machine those threads wait for each other (digits' MLP: 150 to
700 ms an epoch with the default threads, a steady 13 to 50 ms with one). graphscope never changes the thread
settings itself; `graphscope train` says so when it matters."""
import os

#: The variables that set the BLAS libraries' thread count (read when numpy is first imported).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: Epoch times this many times apart (slowest / fastest, the first epoch left out) count as a swing.
SWING = 4.0
#: Below this (seconds), the slowest epoch is too short for a swing to matter.
SLOWEST_THAT_MATTERS = 0.05


def thread_note(seconds, environ=None, cpus=None):
    """One line saying to try one BLAS thread when the epochs' `seconds` swung widely while the thread count was
    left to BLAS (none of THREAD_VARIABLES set) on a machine of several cores; None otherwise."""
    environ = os.environ if environ is None else environ
    cpus = os.cpu_count() if cpus is None else cpus
    times = [s for s in list(seconds)[1:] if s is not None and s > 0]  # the first epoch warms up
    if len(times) < 2 or (cpus or 1) < 2 or any(environ.get(v) for v in THREAD_VARIABLES):
        return None
    fastest, slowest = min(times), max(times)
    if slowest < SLOWEST_THAT_MATTERS or slowest < SWING * fastest:
        return None
    return (f"epoch times swung from {_ms(fastest)} to {_ms(slowest)}: numpy's matrix products use a thread per core "
            f"({cpus} here), which wait for each other on a busy or shared machine; for a small model one is "
            f"often faster and steadier: OPENBLAS_NUM_THREADS=1 (MKL: MKL_NUM_THREADS=1) before the command")


def _ms(seconds):
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"
