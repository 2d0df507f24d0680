"""Standard output whose reader may go away (``graphscope check FILE | head``, ``python samples/NAME.py |
head``) without changing the outcome.

When the reader closes the pipe, the command goes on to the end with its
output discarded, so its exit status is the one it would have had (a check
that fails still exits 1) and nothing half-done is left (a training run still
writes its checkpoints); no traceback, no "Exception ignored" at exit.
"""
import os
import sys
from contextlib import contextmanager


class ReaderGoneStream:
    """Wraps a text stream: writes after the reader has closed the pipe are dropped instead of raising."""

    def __init__(self, stream):
        self._stream = stream
        self.reader_gone = False

    def write(self, text):
        if not self.reader_gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._gone()
        return len(text)

    def flush(self):
        if not self.reader_gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._gone()

    def _gone(self):
        """From now on write nowhere: the descriptor goes to the null device, so the final flush at exit is quiet."""
        self.reader_gone = True
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
            return
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, fd)
        finally:
            os.close(null)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def reader_may_leave_for_good():
    """sys.stdout becomes a ReaderGoneStream for the rest of the process (a sample run as a script)."""
    if not isinstance(sys.stdout, ReaderGoneStream):
        sys.stdout = ReaderGoneStream(sys.stdout)


@contextmanager
def reader_may_leave():
    """Within the block sys.stdout is a ReaderGoneStream over the real one (put back afterwards)."""
    real = sys.stdout
    sys.stdout = ReaderGoneStream(real)
    try:
        yield sys.stdout
    finally:
        sys.stdout = real
