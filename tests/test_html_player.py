"""The HTML step-player: one self-contained file, driven in a real headless Chromium."""
import json
import os
import re

import pytest

from graphscope import viz
from graphscope.examples import lecture_example as lecture
from graphscope.stepper import Stepper



@pytest.fixture(scope="module")
def player_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("player") / "steps.html"
    viz.export(Stepper(lecture()), str(path))
    return path


def steps_data(html):
    m = re.search(r'<script id="steps-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def test_player_is_one_self_contained_file(player_file):
    html = player_file.read_text()
    assert "<script src" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?https?:", html)
    data = steps_data(html)
    assert len(data["steps"]) == 10 and data["start"] == 0
    assert all(s["svg"].startswith("<svg") for s in data["steps"])
    assert "step 2 of" not in data["steps"][2]["svg"]  # the page shows the step; the pictures carry no caption
    assert data["steps"][7]["details"]["phase"] == "backward"
    assert data["steps"][7]["details"]["edges"][0]["product"] == "-4 × 1 = -4"
    for control in ('id="prev"', 'id="next"', 'id="play"', 'id="slider"', 'id="panel"'):
        assert control in html


def footer_of(out, path):
    """The page footer (the colour key) of the player of `out`'s graph."""
    viz.export(out, str(path))
    return path.read_text().split("<footer>", 1)[1].split("</footer>", 1)[0]


def test_player_legend_has_the_pictures_colours(tmp_path):
    import numpy as np
    import graphscope as gs
    from graphscope.viz import theme
    x = gs.tensor(np.ones(3), name="x")
    footer = footer_of(gs.sum(x * gs.param(np.ones(3), name="w")), tmp_path / "p.html")
    for key, words in theme.LEGEND:
        look = theme.LOOKS[key]
        assert re.search(rf'<i class="sw {key}" style="background: {look.head}; border-color: {look.border}'
                         rf'[^"]*"></i>{words}</span>', footer), key
    assert "needs no gradient" not in footer_of(lecture(), tmp_path / "q.html")  # every node needs one there


def test_player_opens_at_the_step_asked_for(tmp_path):
    path = tmp_path / "p.html"
    viz.export(lecture(), str(path), node="q", phase="backward")
    assert steps_data(path.read_text())["start"] == 7


# ---------------------------------------------------------------- in Chromium

def shown(driver):
    """(step number shown, picture's step, picture's SVG text, panel text)."""
    from selenium.webdriver.common.by import By
    picture = driver.find_element(By.ID, "picture")
    return (driver.find_element(By.ID, "step-number").text, picture.get_attribute("data-step"),
            picture.get_attribute("innerHTML"), driver.find_element(By.ID, "panel").text)


def test_next_prev_keys_and_slider_change_step_and_picture(browser, player_file):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    browser.get(player_file.as_uri())
    number, data_step, svg0, panel = shown(browser)
    assert (number, data_step) == ("0", "0") and "<svg" in svg0
    assert "forward: x (input, fed)" in panel and "value\n-2" in panel  # the value under the title, once
    browser.find_element(By.ID, "next").click()
    number, data_step, svg1, panel = shown(browser)
    assert (number, data_step) == ("1", "1")
    assert svg1 != svg0 and "forward: y" in panel and "value\n5" in panel
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    assert shown(browser)[0] == "2"
    browser.find_element(By.ID, "prev").click()
    assert shown(browser)[0] == "1"
    browser.execute_script("var s = document.getElementById('slider'); s.value = '7';"
                           "s.dispatchEvent(new Event('input'));")
    number, _, svg7, panel = shown(browser)
    assert number == "7" and "upstream df/dq" in panel and "-4 × 1 = -4" in panel and "(complete)" in panel
    assert browser.find_element(By.ID, "phase").text == "backward"
    browser.find_element(By.ID, "last").click()
    assert shown(browser)[0] == "9"
    browser.find_element(By.ID, "next").click()          # stays on the last step
    assert shown(browser)[0] == "9"
    assert browser.get_log("browser") == []               # no script errors


def test_play_advances_by_itself(browser, player_file):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    browser.get(player_file.as_uri())
    browser.find_element(By.ID, "first").click()
    browser.find_element(By.ID, "play").click()
    WebDriverWait(browser, 5).until(lambda d: d.find_element(By.ID, "step-number").text not in ("", "0"))
    browser.find_element(By.ID, "play").click()          # pause
    assert int(shown(browser)[0]) >= 1


def test_the_panel_of_an_update_step_shows_gradient_state_step_and_ratio(browser, tmp_path):
    import graphscope as gs
    f = lecture()
    leaves = [n for n in f.graph().leaves if n.requires_grad]
    st = Stepper(f, optimizer=gs.optim.Momentum(leaves, lr=0.1))
    path = tmp_path / "update.html"
    viz.export(st, str(path), step=-1)
    browser.get(path.as_uri())
    number, _, svg, panel = shown(browser)
    from selenium.webdriver.common.by import By
    assert number == str(len(st) - 1)
    assert browser.find_element(By.ID, "phase").text == "update"
    assert "gradient df/dz" in panel and "Momentum velocity" in panel and "0 \u2192 -0.3" in panel
    assert "update/weight" in panel and "<svg" in svg
    assert browser.get_log("browser") == []


def deep_player(tmp_path_factory):
    from graphscope.userfile import build_output
    path = tmp_path_factory.mktemp("deep") / "deep.html"
    viz.export(build_output(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                          "samples", "deep_mlp.py")), str(path))
    return path


def zoom_state(driver):
    return driver.execute_script(
        "var svg = document.querySelector('#picture svg');"
        "return [document.getElementById('zoom-level').textContent, svg.style.transform,"
        "        document.getElementById('help').hidden];")


def test_a_large_graph_opens_at_full_size_on_the_current_node_and_zooms(browser, tmp_path_factory):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    path = deep_player(tmp_path_factory)
    browser.get(path.as_uri() + "#step=11")  # block2's W, fed just before its matmul
    level, transform, help_hidden = zoom_state(browser)
    assert level == "100%" and "scale(1)" in transform and help_hidden   # fitted, its text would be too small
    current = browser.execute_script(
        "var key = JSON.parse(document.getElementById('steps-data').textContent).steps[11].key;"
        "var r = document.querySelector('#picture g#' + key).getBoundingClientRect();"
        "var p = document.getElementById('picture').getBoundingClientRect();"
        "return [r.left >= p.left, r.right <= p.right, r.top >= p.top, r.bottom <= p.bottom];")
    assert all(current)                                                   # the current node is in view
    panel = browser.find_element(By.ID, "panel").text
    assert "block 2 of 8" in panel and ("block2/W" in panel or "block2/b" in panel)  # 'W' alone: which block?
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("f")
    assert zoom_state(browser)[0].startswith("fit")
    body.send_keys("f")
    assert zoom_state(browser)[0] == "100%"
    body.send_keys("+")
    assert zoom_state(browser)[0] == "125%"
    body.send_keys("?")
    assert zoom_state(browser)[2] is False and "#step=N" in browser.find_element(By.ID, "help").text
    body.send_keys(Keys.ESCAPE)
    assert zoom_state(browser)[2] is True
    assert browser.get_log("browser") == []


def test_node_text_is_at_least_12_px_at_full_size(browser, tmp_path_factory):
    browser.get(deep_player(tmp_path_factory).as_uri() + "#step=12")
    sizes = browser.execute_script(
        "return Array.from(document.querySelectorAll('#picture svg g.node text'))"
        ".map(function (t) { return t.getBoundingClientRect().height; });")
    assert sizes and min(sizes) >= 12


def test_the_legend_lists_at_each_step_only_the_looks_its_picture_draws(browser, player_file):
    from selenium.webdriver.common.by import By
    browser.get(player_file.as_uri())

    def keys():
        return {k.get_attribute("data-look") for k in browser.find_elements(By.CSS_SELECTOR, "footer .key")
                if k.is_displayed()}
    data = steps_data(player_file.read_text())
    browser.find_element(By.ID, "first").click()
    assert keys() == set(data["steps"][0]["looks"]) and "backpropagated" not in keys()
    browser.find_element(By.ID, "last").click()
    assert keys() == set(data["steps"][-1]["looks"]) and "pending" not in keys()
    assert browser.get_log("browser") == []
