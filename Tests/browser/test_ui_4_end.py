"""The browser UI in a real headless Chromium against a real gateway, last: a page without its terminal
library, and logging out.

The tests share one logged-in browser and run in file order, like one long user session: the
test_ui_N_*.py files are numbered so. Each test makes its own terminals. Screenshots land in .build/screenshots/.
"""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("selenium", reason="browser tests skipped: selenium is not installed (pip install -r Tests/browser/requirements.txt)")

from browser_support import STATIC_DIR, wait_until  # noqa: E402


def test_missing_library_is_reported(browser, make_gateway, tmp_path, console):
    console.allow(r"/vendor/xterm/(index\.js|xterm\.css) - Failed to load resource: the server responded with a status of 404")
    bare = tmp_path / "static"
    shutil.copytree(STATIC_DIR, bare, ignore=shutil.ignore_patterns("vendor"))
    other = make_gateway(static_dir=bare)
    browser.login(other)
    wait_until(lambda: "terminal library is missing" in browser.text("#banner"), 10, "the missing-library banner")
    browser.click("[data-testid=new-terminal]")
    wait_until(lambda: "terminal library is missing" in browser.text(".pane .pane-missing"), 10,
               "the missing-library message in the pane")


def test_logout_returns_to_login(app, gateway):
    app.click("[data-testid=logout]")
    app.wait_visible("#terminal-key")
    assert not app.visible("#app-view")
    app.driver.refresh()
    app.wait_visible("#terminal-key")
    assert app.js("return window.dispatchUI.connection()") == "stopped"

