"""graphscope tui --serve: the app served by textual-serve on 127.0.0.1, driven in headless Chromium.

The terminal in the page is drawn on a canvas, so the test compares the
pixels of its status line, once each screen has settled: a keypress must
change it, and stepping on, back and on again must give the same status line
as the first step on.
"""
import os
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=20.0, what="the page"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def served():
    """The TUI served on a free port; module-scoped like `browser`, which disconnects before it stops."""
    pytest.importorskip("textual_serve")
    port = free_port()
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "graphscope", "tui", os.path.join(ROOT, "samples", "chain_rule.py"),
                             "--serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: _listening(port) or proc.poll() is not None, what="the server")
        assert proc.poll() is None, proc.communicate()[0]
        yield port
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def _listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_the_served_page_loads_and_a_keypress_steps(served, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    browser.get(f"http://127.0.0.1:{served}")
    start = browser.find_element(By.ID, "start")
    if start.is_displayed():
        start.click()
    canvas = "document.querySelector('.xterm-text-layer')"
    wait_for(lambda: browser.execute_script(f"return !!{canvas}"), what="the terminal")

    def screen():
        """The pixels of the terminal's top row, the status line ('forward · step 1/9 · y · ...'): it names
        the step, and unlike the rest of the screen nothing else (scrollbars, the footer's key order) moves
        in it."""
        return browser.execute_script(
            f"var c = {canvas}; var t = document.createElement('canvas'); t.width = c.width; t.height = 16;"
            "t.getContext('2d').drawImage(c, 0, 0, c.width, 16, 0, 0, c.width, 16);"
            "return t.toDataURL();")

    def settled(before=None, what="a settled screen"):
        """The screen once it differs from `before` and has stayed the same for a second (the app's frames
        and the page's redraws over), so a comparison never catches a half-drawn frame."""
        seen = {"shot": None, "since": time.monotonic()}

        def still():
            now = screen()
            if now == before:
                return None
            if now != seen["shot"]:
                seen["shot"], seen["since"] = now, time.monotonic()
                return None
            return now if time.monotonic() - seen["since"] >= 1.0 else None
        return wait_for(still, timeout=30.0, what=what)

    def press(key, before):
        ActionChains(browser).send_keys(key).perform()
        return settled(before, what=f"the screen after {key!r}")

    browser.execute_script("document.querySelector('.xterm-helper-textarea').focus()")
    first = settled()
    step1 = press("n", first)
    back = press("p", step1)
    again = press("n", back)
    assert again == step1 != back
