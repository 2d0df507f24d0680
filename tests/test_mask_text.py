"""Masks (boolean values) read as truths in every view: 'True' for one entry, '15/30 true' for many."""
import numpy as np

from graphscope.engine.formatting import summarize_value, value_lines
from graphscope.tui.widgets.tape_layout import compact_value, fitted_value


def test_a_mask_says_how_many_entries_are_true():
    mask = np.linspace(-1, 1, 30).reshape(5, 6) > 0
    assert summarize_value(mask) == "15/30 true"
    assert compact_value(mask, 14) == "15/30 true" and fitted_value(mask, 14) == "15/30 true"
    assert compact_value(mask, 5) == "15/30"
    assert summarize_value(np.ones(40, dtype=bool)) == "all true"
    assert summarize_value(np.zeros(40, dtype=bool)) == "all false"


def test_a_one_entry_mask_is_true_or_false_and_keeps_its_shape():
    assert summarize_value(np.array(True)) == "True" and value_lines(np.array(False)) == ["False"]
    assert compact_value(np.array([True]), 10) == "[True]"  # a (1,) mask keeps its brackets, as numpy prints it
    assert summarize_value(np.array([True, False])) == "[1, 0]"   # a small mask lists its entries
