"""The HTML step-player on a projector (1280x800): a graph a little larger than the picture pane opens fitted,
every card whole; at 100% stepping keeps the current step's node in view."""
import os

import pytest

from graphscope import viz
from graphscope.userfile import build_output
from tests.test_player_fit import open_at

NEURON = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples", "neuron.py")
#: A 1280x800 projector's browser window: its tabs, address bar and the system's bars leave about this much page.
PROJECTOR = (1280, 660)

_RECTS = """
var p = document.getElementById('picture').getBoundingClientRect();
var inside = function (el) { var r = el.getBoundingClientRect();
  return r.left >= p.left - 1 && r.right <= p.right + 1 && r.top >= p.top - 1 && r.bottom <= p.bottom + 1; };
var data = JSON.parse(document.getElementById('steps-data').textContent);
var step = parseInt(document.getElementById('picture').getAttribute('data-step'), 10);
var key = data.steps[step].key;
return {zoom: document.getElementById('zoom-level').textContent,
        cut: Array.from(document.querySelectorAll('#picture svg g.node')).filter(function (g) {
          return !inside(g); }).map(function (g) { return g.querySelector('title').textContent; }),
        current: key ? inside(document.querySelector('#picture g#' + key)) : true};
"""


@pytest.fixture(scope="module")
def neuron_player(tmp_path_factory):
    path = tmp_path_factory.mktemp("projector") / "nh.html"
    viz.export(build_output(NEURON), str(path))
    return path


@pytest.mark.parametrize("step", [0, 8])
def test_the_neuron_opens_fitted_with_every_card_whole(browser, neuron_player, step):
    open_at(browser, neuron_player, step, *PROJECTOR)
    seen = browser.execute_script(_RECTS)
    assert seen["zoom"].startswith("fit (") and seen["cut"] == [], seen
    scale = int(seen["zoom"][len("fit ("):-len("%)")])
    assert 70 <= scale < 90  # larger than the pane, still readable fitted (was: opened at 100%, cut)
    assert browser.get_log("browser") == []


def test_at_full_size_stepping_keeps_the_current_node_in_view(browser, neuron_player):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    open_at(browser, neuron_player, 0, *PROJECTOR)
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("0")  # 100%
    assert browser.execute_script(_RECTS)["zoom"] == "100%"
    steps = int(browser.find_element(By.ID, "step-last").text)
    for _ in range(steps):
        body.send_keys(Keys.ARROW_RIGHT)
        seen = browser.execute_script(_RECTS)
        assert seen["zoom"] == "100%" and seen["current"], seen
    assert browser.get_log("browser") == []
