"""Shared fixtures: a seeded random generator, PyTorch as the gradient oracle, headless Chromium."""
import os
import shutil
import tempfile

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def rng():
    """A numpy Generator with a fixed seed: tests draw random values, runs stay reproducible."""
    return np.random.default_rng(20261125)


@pytest.fixture(scope="session")
def torch():
    """PyTorch (compare in float64), or a clean skip where it is not installed."""
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium driven by selenium, with a throwaway profile, or a clean skip without one."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("no Chromium and chromedriver installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="graphscope-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,900",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def served_commands(monkeypatch):
    """The commands `graphscope tui --serve` hands textual-serve, which is replaced by a stand-in that serves
    nothing."""
    import textual_serve.server
    commands = []

    class Server:
        def __init__(self, command, **kwargs):
            commands.append(command)

        def serve(self):
            pass

    monkeypatch.setattr(textual_serve.server, "Server", Server)
    return commands
