"""Snapshots of the terminal UI (pytest-textual-snapshot): the main screen in each phase, the inspector,
predict mode and help. Update them with ``pytest tests/test_tui_snapshots.py --snapshot-update`` after a
deliberate change, and look at the report before committing."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tui_apps import named_layer_app, sample_app  # noqa: E402

pytest.importorskip("pytest_textual_snapshot")
from graphscope.viz import have_dot  # noqa: E402

if not have_dot():  # the graph view's shape comes from Graphviz; the layered fallback looks different
    pytest.skip("Graphviz's dot is not installed", allow_module_level=True)

SIZE = (100, 30)


def test_main_screen_forward(snap_compare, monkeypatch):
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert snap_compare(sample_app("chain_rule.py"), press=["n", "n", "n"], terminal_size=SIZE)


def test_main_screen_backward_inspector(snap_compare, monkeypatch):
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert snap_compare(sample_app("chain_rule.py"), press=["f", "n", "n"], terminal_size=SIZE)


def test_inspector_with_a_matrix_and_a_gradient_check(snap_compare, monkeypatch):
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert snap_compare(named_layer_app(), press=["f", "n", "n", "c"], terminal_size=SIZE)


def test_predict_mode_asks_for_the_local_gradient(snap_compare, monkeypatch):
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert snap_compare(sample_app("chain_rule.py"), press=["f", "n", "t", "n"], terminal_size=SIZE)


def test_help_screen(snap_compare, monkeypatch):
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert snap_compare(sample_app("chain_rule.py"), press=["question_mark"], terminal_size=SIZE)


def test_main_screen_at_80x24(snap_compare, monkeypatch):
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert snap_compare(named_layer_app(), press=["f", "n", "n", "n"], terminal_size=(80, 24))


def test_a_failing_check_all_at_80x24(snap_compare, monkeypatch):
    """C on a custom op whose VJP is wrong: the inspector lists the worst entries one a line under their titles and
    check-all's report; one notification, at the top right, over the inspector only."""
    from tui_apps import wrong_matmul_app
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert snap_compare(wrong_matmul_app(), press=["c", "C"], terminal_size=(80, 24))


def test_without_colour_at_80x24_the_tape_marks_each_row_and_the_current_edges_are_heavy(snap_compare, monkeypatch):
    """NO_COLOR (or a monochrome terminal): the tape's mark column (✓ done, ▶ this step, · pending), heavy lines for
    the current node's edges, the status line in reverse video, no colour anywhere."""
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert snap_compare(named_layer_app(colours="mono"), press=["f", "n", "n"], terminal_size=(80, 24))


def test_on_the_linux_console_in_16_colours(snap_compare, monkeypatch):
    """TERM=linux: the terminal's own colours, and only glyphs the console's font has (double lines for heavy ones,
    '►' for '▶', '√' for '✓', '.-:' for the dashed border of a pending node)."""
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert snap_compare(named_layer_app(colours="ansi", console=True), press=["n", "n"], terminal_size=(80, 24))


def test_a_terminal_too_small_says_so(snap_compare, monkeypatch):
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert snap_compare(named_layer_app(), terminal_size=(40, 10))
