"""A rich progress bar in a terminal; nothing at all otherwise (a pipe, a log file, progress=False).

rich redraws the bar from a thread of its own until the bar is stopped. A Ctrl-C that cut the start or the stop
in two left that thread drawing a stale bar under whatever was printed next (the search's "interrupted ..."
message), so both run whole (util.interrupts), and a bar started by an __enter__ that is then interrupted is
stopped before the Ctrl-C goes on.
"""
import sys
import time

from ..util.interrupts import interrupts_held

#: Seconds between two redraws of the bar's count and note: advancing costs nothing in between.
REDRAW = 0.05


def wanted(progress):
    """progress=None means: show it when standard error is a terminal."""
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


class Bar:
    """``with Bar(total, "training", enabled) as bar: bar.advance(text)``; silent when not enabled. `unit` (e.g.
    "epochs") is written after the count: ``210/720 epochs``."""

    def __init__(self, total, description, enabled, unit=""):
        self.total = total
        self.description = description
        self.enabled = enabled
        self.unit = unit
        self._progress = None
        self._task = None
        self._pending = 0       # steps advanced since the bar last heard of them
        self._shown_at = 0.0

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)
            count = [MofNCompleteColumn()] + ([TextColumn(self.unit)] if self.unit else [])
            try:
                with interrupts_held():
                    self._progress = Progress(TextColumn("{task.description}"), BarColumn(), *count,
                                              TimeElapsedColumn(), TimeRemainingColumn(),
                                              TextColumn("{task.fields[note]}"), console=Console(stderr=True),
                                              transient=True)
                    self._progress.start()
                    self._task = self._progress.add_task(self.description, total=self.total, note="")
            except BaseException:  # __exit__ is not called when __enter__ raises: the bar is stopped here
                self._stop()
                raise
        return self

    def advance(self, note=None, steps=1):
        """Count `steps` more done; `note` (a string, or a function making one, called only when the bar is
        redrawn) is shown beside the bar. Cheap: the bar hears of it at most every REDRAW seconds."""
        if self._progress is None:
            return
        self._pending += steps
        now = time.monotonic()
        if now - self._shown_at >= REDRAW:
            self._flush(note, now)

    def _flush(self, note=None, now=None):
        fields = {} if note is None else {"note": note() if callable(note) else note}
        self._progress.update(self._task, advance=self._pending, **fields)
        self._pending = 0
        self._shown_at = time.monotonic() if now is None else now

    def __exit__(self, *exc):
        self._stop()
        return False

    def _stop(self):
        """Take the bar down, whole: its last count, then its redrawing thread stopped and the bar erased."""
        if self._progress is None:
            return
        progress, self._progress = self._progress, None
        with interrupts_held():
            try:
                if self._pending and self._task is not None:
                    progress.update(self._task, advance=self._pending)
                    self._pending = 0
            finally:
                progress.stop()
