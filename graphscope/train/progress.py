"""A rich progress bar in a terminal; nothing at all otherwise (a pipe, a log file, progress=False)."""
import sys


def wanted(progress):
    """progress=None means: show it when standard error is a terminal."""
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


class Bar:
    """``with Bar(total, "training", enabled) as bar: bar.advance(text)``; silent when not enabled."""

    def __init__(self, total, description, enabled):
        self.total = total
        self.description = description
        self.enabled = enabled
        self._progress = None
        self._task = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[note]}"),
                                      console=Console(stderr=True), transient=True)
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=self.total, note="")
        return self

    def advance(self, note=None, steps=1):
        if self._progress is not None:
            fields = {} if note is None else {"note": note}
            self._progress.update(self._task, advance=steps, **fields)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()
        return False
