"""A Ctrl-C while the progress bar starts or stops leaves no thread redrawing a stale bar under what comes next."""
import signal
import threading

import pytest
from rich.live import _RefreshThread
from rich.progress import Progress

from graphscope.train.progress import Bar


def redrawing():
    """rich's redrawing threads still told to go on (a stopped one may live a moment longer, drawing nothing)."""
    return [t for t in threading.enumerate() if isinstance(t, _RefreshThread) and t.is_alive()
            and not t.done.is_set()]


def ctrl_c_inside(monkeypatch, method):
    """A real SIGINT as Progress.`method` runs (the handler in force decides when it is raised)."""
    real = getattr(Progress, method)

    def interrupted(self, *args, **kw):
        signal.raise_signal(signal.SIGINT)
        return real(self, *args, **kw)
    monkeypatch.setattr(Progress, method, interrupted)


@pytest.fixture(autouse=True)
def default_ctrl_c():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    for thread in redrawing():  # a bar another test left behind is not this test's
        thread.stop()
    yield
    signal.signal(signal.SIGINT, previous)
    for thread in redrawing():  # a test that failed: its bar is not left drawing into the next tests
        thread.stop()


def test_ctrl_c_while_the_bar_starts_stops_it(monkeypatch):
    ctrl_c_inside(monkeypatch, "add_task")  # the bar has started drawing
    entered = []
    with pytest.raises(KeyboardInterrupt):
        with Bar(10, "search", True):
            entered.append(True)
    assert not entered and redrawing() == []


def test_a_second_ctrl_c_while_the_bar_stops_leaves_it_stopped(monkeypatch):
    ctrl_c_inside(monkeypatch, "stop")
    with pytest.raises(KeyboardInterrupt):
        with Bar(10, "search", True) as bar:
            bar.advance(steps=3)
            raise KeyboardInterrupt  # the first Ctrl-C, in a trial
    assert redrawing() == []
