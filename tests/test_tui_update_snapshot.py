"""A snapshot of the terminal UI at an update step (an optimizer's step of one parameter). Update with
``pytest tests/test_tui_update_snapshot.py --snapshot-update`` after a deliberate change, and look at it."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_update_ui import update_app  # noqa: E402

pytest.importorskip("pytest_textual_snapshot")
from graphscope.viz import have_dot  # noqa: E402

if not have_dot():  # the graph view's shape comes from Graphviz; the layered fallback looks different
    pytest.skip("Graphviz's dot is not installed", allow_module_level=True)


def test_main_screen_at_an_update_step(snap_compare, monkeypatch):
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert snap_compare(update_app("Momentum", momentum=0.9), press=["u"], terminal_size=(100, 34))
