"""What a student saw at 80x24 and 100x30: the predict box follows a resize, checks that failed show on the tape,
the help names every key, the training curve and the layer histograms keep their rows, notifications end whole."""
import os
import sys

import pytest

from graphscope.tui.screens.dialogs import AskDialog

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tui_apps import inspector_lines, sample_app, screen_lines, settle  # noqa: E402

SMALL = (80, 24)


async def test_the_predict_box_shrinks_with_the_terminal_and_leaves_the_inspector_in_sight():
    app = sample_app("two_layer.py")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t", "f", "n")
        await settle(pilot)
        assert isinstance(app.screen, AskDialog)
        main = app.screen_stack[-2]
        await pilot.resize_terminal(*SMALL)
        await settle(pilot)
        await pilot.pause(0.1)
        left = main.query_one("#left").region.width
        box = app.screen.query_one("#dialog").region
        assert box.right <= left < 80, (box, left)
