"""Holding Ctrl-C back while a short write that must not be cut in two finishes.

``with interrupts_held():`` a Ctrl-C (SIGINT) that arrives inside the block is kept and raised as
KeyboardInterrupt when the block ends; the block runs to its end first. Only the main thread receives
signals, so elsewhere (a training thread of the TUI) the block runs as it is.
"""
import signal
import threading
from contextlib import contextmanager


@contextmanager
def interrupts_held():
    """Run the block whole; a Ctrl-C that came during it is raised (KeyboardInterrupt) right after it."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield  # no signal reaches this thread, or someone else handles Ctrl-C: leave it to them
        return
    caught = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if caught:
        raise KeyboardInterrupt
