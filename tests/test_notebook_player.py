"""gs.viz.player: the step-player inside a notebook, in an iframe that keeps its styles, ids and keys to itself."""
import html
import re

import pytest

import graphscope as gs
from graphscope import viz


def lecture():
    x, y, z = (gs.tensor(v, requires_grad=True, name=n) for n, v in (("x", -2.0), ("y", 5.0), ("z", -4.0)))
    return (x + y) * z


def test_the_inline_player_is_one_iframe_holding_the_page():
    f = lecture()
    a, b = viz.player(f), viz.player(f, step=3, height=400)
    for p in (a, b):
        fragment = p._repr_html_()
        assert fragment.startswith("<iframe ") and fragment.endswith("</iframe>")
        assert "<style" not in fragment and "<!DOCTYPE" not in fragment and "<script" not in fragment
        page = html.unescape(re.search(r'srcdoc="([^"]*)"', fragment).group(1))
        assert page == p.page and page.startswith("<!DOCTYPE html>") and ":root" in page
    assert a.id != b.id and 'height:400px' in b.html
    assert '"start":3' in b.page and "shown inline" in repr(a)
    with pytest.raises(gs.GraphscopeError, match="height"):
        viz.player(f, height="big")


def test_two_players_in_a_notebook_page_step_on_their_own_and_leave_its_style(browser, tmp_path):
    from selenium.webdriver.common.by import By
    f = lecture()
    a, b = viz.player(f), viz.player(f, step=3)
    page = tmp_path / "notebook.html"
    page.write_text(f'<!DOCTYPE html><html><head><style>body {{ background: rgb(1, 2, 3) }}</style></head><body>'
                    f'<div id="slider">the notebook\'s own</div>{a.html}{b.html}</body></html>')
    browser.get(page.as_uri())
    assert browser.execute_script("return getComputedStyle(document.body).backgroundColor") == "rgb(1, 2, 3)"
    assert browser.find_element(By.ID, "slider").text == "the notebook's own"
    frames = browser.find_elements(By.CSS_SELECTOR, "iframe.graphscope-player")
    assert len(frames) == 2
    try:
        browser.switch_to.frame(frames[0])
        browser.find_element(By.ID, "next").click()
        browser.find_element(By.ID, "next").click()
        assert browser.find_element(By.ID, "step-number").text == "2"
        browser.switch_to.default_content()
        browser.switch_to.frame(frames[1])
        assert browser.find_element(By.ID, "step-number").text == "3"
    finally:
        browser.switch_to.default_content()
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
