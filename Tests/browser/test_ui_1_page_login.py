"""The browser UI in a real headless Chromium against a real gateway: the page itself (CSP, no inline
script, no HTML sinks) and the login.

The tests share one logged-in browser and run in file order, like one long user session: the
test_ui_N_*.py files are numbered so. Each test makes its own terminals. Screenshots land in .build/screenshots/.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

pytest.importorskip("selenium", reason="browser tests skipped: selenium is not installed (pip install -r Tests/browser/requirements.txt)")
from selenium.webdriver.common.by import By  # noqa: E402

from browser_support import STATIC_DIR, wait_until  # noqa: E402


# ---------------------------------------------------------------------------------------------
# The page itself


class _ScriptAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inline_scripts = 0
        self.module_scripts = []
        self.handlers = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if "src" not in attributes:
                self.inline_scripts += 1
            else:
                self.module_scripts.append(attributes["src"])
        for name, _ in attrs:
            if name.lower().startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
        if tag == "a" and (attributes.get("href") or "").lower().startswith("javascript:"):
            self.handlers.append("<a href=javascript:>")


def test_page_has_csp_and_no_inline_script(gateway):
    status, headers, body = gateway.request("GET", "/")
    assert status == 200, body
    csp = headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    assert "unsafe-eval" not in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0], csp
    assert headers.get("x-content-type-options") == "nosniff"
    audit = _ScriptAudit()
    audit.feed(body.decode())
    assert audit.inline_scripts == 0, "index.html has an inline <script>"
    assert audit.handlers == [], f"inline event handlers: {audit.handlers}"
    assert audit.module_scripts == ["/js/app.js"]
    for path in STATIC_DIR.rglob("*.html"):
        if "vendor" in path.parts:
            continue
        audit = _ScriptAudit()
        audit.feed(path.read_text())
        assert audit.inline_scripts == 0 and not audit.handlers, f"{path}: inline script or handler"
    # Modules and the fetched libraries are served as JavaScript (module scripts are refused otherwise).
    for path in [f"/js/{p.name}" for p in (STATIC_DIR / "js").glob("*.js")] + ["/vendor/xterm/index.js"]:
        status, headers, _ = gateway.request("GET", path)
        assert status == 200, path
        assert headers["content-type"].startswith("text/javascript"), (path, headers["content-type"])
    status, headers, _ = gateway.request("GET", "/vendor/xterm/xterm.css")
    assert status == 200 and headers["content-type"].startswith("text/css")
    # Terminal output never goes through innerHTML: the UI's own code has no HTML sinks at all.
    for path in (STATIC_DIR / "js").glob("*.js"):
        source = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in source, f"{path.name} uses {sink}"


# ---------------------------------------------------------------------------------------------
# Login


def test_login_wrong_key_then_right_key(browser, gateway, console):
    console.allow(r"/api/auth/login - Failed to load resource: the server responded with a status of 401")
    browser.viewport(1400, 900)
    browser.open(gateway.base + "/")
    browser.wait_visible("#terminal-key")
    assert not browser.visible("#app-view"), "the main view shows before login"
    field = browser.driver.find_element(By.CSS_SELECTOR, "#terminal-key")
    field.send_keys("not-the-key-" + "x" * 20)
    browser.click("#login-submit")
    wait_until(lambda: "Wrong key" in browser.text("#login-error"), 5, "the wrong-key message")
    assert browser.visible("#terminal-key") and not browser.visible("#app-view")
    browser.screenshot("login-wrong-key")

    field.clear()
    field.send_keys(gateway.key)
    browser.click("#login-submit")
    browser.wait_visible("[data-testid=session-list]")
    assert not browser.visible("#terminal-key")
    assert browser.visible("[data-testid=new-terminal]") and browser.visible("[data-testid=new-claude]")
    wait_until(lambda: browser.text("#conn-state") == "connected", 10, "the connection badge to say connected")
    # Nothing but the HttpOnly cookie is kept: no key in storage, no readable cookie.
    stored = browser.js("return JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])")
    assert gateway.key not in stored and "dispatch_session" not in stored, stored


def test_rate_limited_login_says_when_to_retry(browser, make_gateway, console):
    console.allow(r"/api/auth/login - Failed to load resource: the server responded with a status of 4(01|29)")
    other = make_gateway()
    statuses = [other.request("POST", "/api/auth/login", {"key": "wrong-key-0123456789"})[0] for _ in range(6)]
    assert statuses[-1] == 429, statuses
    browser.open(other.base + "/")
    browser.wait_visible("#terminal-key")
    browser.driver.find_element(By.CSS_SELECTOR, "#terminal-key").send_keys("still-wrong-0123456789")
    browser.click("#login-submit")
    message = wait_until(lambda: (lambda t: t if "Too many" in t else None)(browser.text("#login-error")), 5,
                         "the rate-limit message")
    assert re.search(r"Try again in \d+ s", message), message
    assert browser.js("return document.querySelector('#login-submit').disabled") is True
    browser.screenshot("login-rate-limited")


