"""The HTML step-player at common window sizes (1024x768 up to 1920x1080), in a real headless Chromium: the
controls stay on one line, a source path breaks only between its folders, and a matrix in the side panel keeps
its rows whole and its columns lined up."""
import contextlib
import os
import shutil

import pytest

from graphscope import viz
from graphscope.engine.formatting import value_lines
from graphscope.stepper import Stepper
from graphscope.userfile import build_output

SAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples", "two_layer.py")
LONG_PATH = "lectures/week_three_backpropagation/two_layer_network_with_softmax_loss.py"
SIZES = [(1024, 768), (1400, 900), (1920, 1080)]
SCORES_BACKWARD = 12  # two_layer.py's backward step at scores: a 4x3 upstream


@contextlib.contextmanager
def working_directory(path):
    here = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(here)


@pytest.fixture(scope="module")
def player(tmp_path_factory):
    """The player of samples/two_layer.py copied to a long path (relative to the folder it is exported from)."""
    folder = tmp_path_factory.mktemp("fit")
    source = folder / LONG_PATH
    source.parent.mkdir(parents=True)
    shutil.copy(SAMPLE, source)
    with working_directory(folder):
        out = build_output(LONG_PATH)
        path = folder / "steps.html"
        viz.export(out, str(path))
    return path


def open_at(driver, path, step, width, height):
    """Load the player at `step` in a viewport of width x height CSS pixels."""
    driver.set_window_rect(0, 0, width, height)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_rect(0, 0, 2 * width - inner[0], 2 * height - inner[1])
    driver.get(f"{path.as_uri()}#step={step}")
    driver.refresh()  # a new hash alone does not reload the page
    assert driver.execute_script("return [window.innerWidth, window.innerHeight]") == [width, height]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_controls_stay_on_one_line(browser, player, size):
    for step in (0, SCORES_BACKWARD):  # the counter's number grows: nothing may move to a second line
        open_at(browser, player, step, *size)
        boxes = browser.execute_script(
            "return Array.from(document.getElementById('controls').children).map(function (el) {"
            "  var r = el.getBoundingClientRect(); return [el.id || el.className, r.top, r.bottom, r.right]; });")
        middles = {name: (top + bottom) / 2 for name, top, bottom, _ in boxes}
        assert max(middles.values()) - min(middles.values()) < 4, boxes  # one line
        assert all(right <= size[0] for *_, right in boxes), boxes  # the zoom buttons on screen
    assert browser.get_log("browser") == []


def test_a_source_path_breaks_only_between_folders_and_keeps_its_end(browser, player):
    open_at(browser, player, 3, 1024, 768)
    dd = browser.execute_script(
        "var dt = Array.from(document.querySelectorAll('#panel dt')).find(function (d) {"
        "  return d.textContent === 'made at'; });"
        "var dd = dt.nextElementSibling;"
        "return {title: dd.title, parts: Array.from(dd.querySelectorAll('.path')).map(function (s) {"
        "  var r = s.getBoundingClientRect(), b = s.firstChild.getBoundingClientRect();"
        "  return {text: s.textContent, rects: s.getClientRects().length, cut: s.scrollWidth > s.clientWidth,"
        "          end: b.right - r.right}; })};")
    line = steps_source(player, 3).rpartition(":")[2]
    assert dd["title"] == f"{LONG_PATH}:{line}"  # the whole path on hover
    assert "".join(p["text"] for p in dd["parts"]) == dd["title"]
    assert [p["text"] for p in dd["parts"][:-1]] == ["lectures/", "week_three_backpropagation/"]
    assert all(p["rects"] == 1 for p in dd["parts"])  # no folder or file name broken over two lines
    name = dd["parts"][-1]
    assert name["cut"] and abs(name["end"]) < 1  # too long for the panel: its start is cut, its end shows


def steps_source(path, step):
    import json
    import re
    data = re.search(r'<script id="steps-data" type="application/json">(.*?)</script>', path.read_text(), re.S)
    return json.loads(data.group(1))["steps"][step]["details"]["source"]


@pytest.mark.parametrize("size", [SIZES[0], SIZES[-1]], ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_matrix_in_the_panel_keeps_its_rows_whole_and_lined_up(browser, player, size):
    open_at(browser, player, SCORES_BACKWARD, *size)
    shown = browser.execute_script(
        "var dd = document.querySelector('#panel dd.rows');"
        "var style = getComputedStyle(dd);"
        "return {text: dd.innerText, height: dd.getBoundingClientRect().height,"
        "        line: parseFloat(style.lineHeight) || 1.45 * parseFloat(style.fontSize)};")
    with working_directory(player.parent):
        st = Stepper(build_output(LONG_PATH))
    rows = value_lines(st[SCORES_BACKWARD].upstream)
    assert shown["text"].split("\n") == rows  # the rows as the pictures write them, columns lined up
    assert round(shown["height"] / shown["line"]) == len(rows)  # one screen line each
