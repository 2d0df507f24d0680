"""A rich progress bar in a terminal (or a Jupyter notebook); asked for with progress=True where no bar can be
drawn (a pipe, a log file, a shell without a terminal), a plain line of text per epoch; nothing with
progress=False, nor by default outside a terminal.

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
#: What ``wanted`` answers for a progress report asked for where no bar can be drawn: plain lines of text.
PLAIN = "plain"


def wanted(progress):
    """True (a bar), PLAIN (lines of text) or False (nothing) for a `progress` setting.

    None: a bar when standard error is a terminal, else nothing. True: a bar where one can be drawn (a terminal,
    a Jupyter notebook), else PLAIN, so an explicit request is never dropped in silence. False: nothing.
    """
    if progress is None:
        return sys.stderr.isatty()
    if not progress:
        return False
    return True if bar_drawable() else PLAIN


def bar_drawable():
    """True where rich can draw its bar: standard error is a terminal, or a Jupyter kernel (a notebook widget)."""
    if sys.stderr.isatty():
        return True
    from rich.console import Console
    return Console().is_jupyter


class Bar:
    """``with Bar(total, "training", enabled) as bar: bar.advance(text)``; silent when not enabled. `unit` (e.g.
    "epochs") is written after the count: ``210/720 epochs``."""

    def __init__(self, total, description, enabled, unit=""):
        self.total = total
        self.description = description
        self.enabled = enabled
        self.unit = unit
        self._plain = _PlainLines(self) if enabled == PLAIN else None
        self._progress = None
        self._task = None
        self._pending = 0       # steps advanced since the bar last heard of them
        self._shown_at = 0.0

    def __enter__(self):
        if self.enabled and self._plain is None:
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
        if self._plain is not None:
            self._plain.advance(note, steps)
            return
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
        if self._plain is not None:
            self._plain.finish()
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


class _PlainLines:
    """A Bar's report where no bar can be drawn: a line on standard error each time the note's first part changes
    ('epoch 2/3' in 'epoch 2/3  loss 0.52': an epoch ended), and one at the end, e.g.
    ``training 16/48 (1.2s)  epoch 1/3  loss 0.7123``."""

    def __init__(self, bar):
        self.bar = bar
        self.done = self.written = 0
        self.note = self.part = None
        self.started = time.monotonic()

    def advance(self, note, steps):
        text = note() if callable(note) else note
        part = None if text is None else text.split("  ", 1)[0]
        if self.done > self.written and part != self.part:
            self.write()
        self.done += steps
        self.note, self.part = text, part

    def finish(self):
        if self.done > self.written:
            self.write()

    def write(self):
        bar = self.bar
        unit = f" {bar.unit}" if bar.unit else ""
        note = f"  {self.note}" if self.note else ""
        sys.stderr.write(f"{bar.description} {self.done}/{bar.total}{unit} "
                         f"({time.monotonic() - self.started:.1f}s){note}\n")
        sys.stderr.flush()
        self.written = self.done
