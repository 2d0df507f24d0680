"""Snapshots of the layer screen and the training screen (pytest-textual-snapshot).

Deterministic: the sample and the trainer are seeded, and the training
snapshot is taken after the worker has finished. Update them with
``pytest tests/test_tui_screen_snapshots.py --snapshot-update`` after a
deliberate change, and look at the report before committing.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tui_apps import tanh_layers_app, training_app, training_finished  # noqa: E402

pytest.importorskip("pytest_textual_snapshot")
from graphscope.viz import have_dot  # noqa: E402

if not have_dot():
    pytest.skip("Graphviz's dot is not installed", allow_module_level=True)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_layer_screen_of_the_large_init(snap_compare, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert snap_compare(tanh_layers_app("large"), press=["l", "down"], terminal_size=(100, 30))


def test_layer_screen_at_80x24(snap_compare, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert snap_compare(tanh_layers_app("small"), press=["l"], terminal_size=(80, 24))


def test_training_screen_after_the_run(snap_compare, monkeypatch):
    monkeypatch.chdir(ROOT)

    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        await training_finished(pilot)

    assert snap_compare(training_app(epochs=5), run_before=run_before, terminal_size=(100, 30))
