"""Fixtures of the browser tests (helpers in browser_support.py). The suite skips with a message when
chromium, chromedriver or selenium is missing.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from browser_support import (BROWSERS, CHROMEDRIVER, CHROMIUM, HAVE_SELENIUM, STATIC_DIR, Browser, ConsoleGuard, Gateway)


def pytest_collection_modifyitems(config, items):
    reason = None
    if not HAVE_SELENIUM:
        reason = "selenium is not installed (pip install -r Tests/browser/requirements.txt)"
    elif not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        reason = f"chromium not found at {CHROMIUM} (apt-get install chromium chromium-driver fonts-dejavu-core)"
    elif not (os.path.exists(CHROMEDRIVER) and os.access(CHROMEDRIVER, os.X_OK)):
        reason = f"chromedriver not found at {CHROMEDRIVER} (apt-get install chromium-driver)"
    if reason:
        marker = pytest.mark.skip(reason=f"browser tests skipped: {reason}")
        for item in items:
            uses_browser = {"browser", "second_browser", "app"} & set(getattr(item, "fixturenames", ()))
            if uses_browser and Path(str(item.fspath)).parent == Path(__file__).parent:
                item.add_marker(marker)


@pytest.fixture(scope="session")
def vendor():
    """static/vendor/ filled by the fetch script (fast when already done)."""
    result = subprocess.run(["bash", str(STATIC_DIR / "fetch-vendor.sh")], capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"static/fetch-vendor.sh failed:\n{result.stdout}\n{result.stderr}")
    return STATIC_DIR / "vendor"


@pytest.fixture(scope="session")
def gateway(vendor, tmp_path_factory):
    gw = Gateway(tmp_path_factory.mktemp("gateway"))
    yield gw
    gw.stop()


@pytest.fixture
def make_gateway(vendor, tmp_path_factory):
    """Extra gateways for tests that need a fresh rate limiter or another static folder."""
    started = []

    def make(**kwargs):
        gw = Gateway(tmp_path_factory.mktemp("gateway-extra"), **kwargs)
        started.append(gw)
        return gw

    yield make
    for gw in started:
        gw.stop()


def get_browser(name: str) -> Browser:
    if name not in BROWSERS:
        BROWSERS[name] = Browser(name)
    return BROWSERS[name]


@pytest.fixture(scope="session", autouse=True)
def _quit_browsers():
    yield
    for browser in BROWSERS.values():
        browser.quit()
    BROWSERS.clear()


@pytest.fixture
def console():
    guard = ConsoleGuard()
    yield guard
    bad = guard.check(list(BROWSERS.values()))
    assert not bad, "console errors:\n" + "\n".join(bad)


@pytest.fixture
def browser(console) -> Browser:
    """The main browser (shared by the tests, so they also run as one long user session)."""
    return get_browser("main")


@pytest.fixture
def second_browser(console) -> Browser:
    return get_browser("second")


@pytest.fixture
def app(browser, gateway) -> Browser:
    """The main browser, logged in, on the main view at a wide viewport."""
    browser.viewport(1400, 900)
    if not (browser.driver.current_url.startswith(gateway.base) and browser.visible("[data-testid=session-list]")):
        browser.login(gateway)
    return browser
