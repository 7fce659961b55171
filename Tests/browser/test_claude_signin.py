"""Signing in to Claude from the sidebar, in a real headless Chromium against a real gateway whose CLAUDE_BIN is
the fake `claude` (Tests/Fixtures/claude/setup_token.py: it accepts `<anything>#<state from the URL>`).

The tests share the main browser and one gateway of their own; each leaves the gateway signed out.
Screenshots land in .build/screenshots/.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest

pytest.importorskip("selenium", reason="browser tests skipped: selenium is not installed (pip install -r Tests/browser/requirements.txt)")
from selenium.webdriver.common.by import By  # noqa: E402

from browser_support import REPO, Gateway, wait_until  # noqa: E402

FAKE_CLAUDE = REPO / "Tests" / "Fixtures" / "claude" / "claude"
INVALID = "OAuth error: Invalid code. Please make sure the full code was copied"
PANEL = "[data-testid=claude-signin]"


@pytest.fixture(scope="module")
def signin_gateway(vendor, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("signin-gateway")
    gw = Gateway(tmp, extra_env={"CLAUDE_BIN": str(FAKE_CLAUDE), "CLAUDE_CONFIG_DIR": str(tmp / "claude-config"),
                                 "DISPATCH_CLAUDE_LOGIN_TIMEOUT_SECONDS": "30"})
    yield gw
    gw.stop()


@pytest.fixture
def page(browser, signin_gateway):
    """The main browser, logged in to the sign-in gateway (signed out of Claude), at a wide viewport."""
    status, _, body = signin_gateway.request("DELETE", "/api/claude/auth", bearer=True)
    assert status == 200 and body["state"] == "none", (status, body)
    browser.viewport(1400, 900)
    browser.login(signin_gateway)
    wait_line(browser, "Claude: not signed in")
    return browser


# ---------------------------------------------------------------------------------------------
# Helpers


def auth_status(gw) -> dict:
    status, _, body = gw.request("GET", "/api/claude/auth/status", bearer=True)
    assert status == 200, (status, body)
    return body


def wait_line(b, text: str, timeout: float = 15):
    wait_until(lambda: b.text("[data-testid=claude-signin-status]") == text, timeout, f"the sign-in line {text!r}",
               detail=lambda: [b.text(PANEL)])


def start_sign_in(b) -> str:
    """Clicks Sign in (or Try again); returns the sign-in URL once the link shows."""
    before = b.js("return document.querySelector('[data-testid=claude-signin-url]').getAttribute('href')")
    button = "[data-testid=claude-signin-retry]" if b.visible("[data-testid=claude-signin-retry]") else "[data-testid=claude-signin-action]"
    b.click(button)
    link = "[data-testid=claude-signin-url]"
    return wait_until(lambda: (lambda h: h if b.visible(link) and h and h != before else None)(
        b.js("return document.querySelector(arguments[0]).getAttribute('href')", link)), 20, "the sign-in link",
        detail=lambda: b.text(PANEL))


def send_code(b, code: str):
    field = b.driver.find_element(By.CSS_SELECTOR, "[data-testid=claude-signin-code]")
    field.clear()
    field.send_keys(code)
    b.click("[data-testid=claude-signin-submit]")


def good_code(url: str) -> str:
    """What the callback page shows after signing in: `<code>#<state>`."""
    return "authcode-123#" + parse_qs(urlparse(url).query)["state"][0]


def assert_no_token_shown(b):
    shown = b.js("return document.documentElement.outerHTML + JSON.stringify([Object.entries(localStorage),"
                 " Object.entries(sessionStorage)])")
    assert "sk-ant" not in shown, "a token is on the page"


# ---------------------------------------------------------------------------------------------
# Tests


def test_sign_in_with_the_code_then_sign_out(page, signin_gateway):
    assert auth_status(signin_gateway)["state"] == "none"
    assert page.text("[data-testid=claude-signin-action]") == "Sign in"
    assert not page.visible("[data-testid=claude-signin-panel]")

    url = start_sign_in(page)
    assert url.startswith("https://claude.ai/oauth/authorize?") and "state=" in url, url
    link = page.driver.find_element(By.CSS_SELECTOR, "[data-testid=claude-signin-url]")
    assert link.get_attribute("target") == "_blank"
    assert set(link.get_attribute("rel").split()) >= {"noopener", "noreferrer"}, link.get_attribute("rel")
    assert page.text("[data-testid=claude-signin-status]") == "Claude: signing in…"
    assert "paste the code" in page.text("[data-testid=claude-signin-step]")
    assert auth_status(signin_gateway)["state"] == "waiting_for_code"

    send_code(page, good_code(url))
    wait_line(page, "Claude: signed in")
    assert "Signed in" in page.text("[data-testid=claude-signin-step]")
    body = auth_status(signin_gateway)
    assert (body["state"], body.get("method")) == ("authenticated", "oauth_token"), body
    assert_no_token_shown(page)
    page.screenshot("claude-signin-done")
    page.click("[data-testid=claude-signin-done]")
    wait_until(lambda: not page.visible("[data-testid=claude-signin-panel]"), 5, "the panel to close")
    assert page.text("[data-testid=claude-signin-action]") == "Sign out"

    # A reload shows the same.
    page.driver.refresh()
    wait_line(page, "Claude: signed in")
    assert not page.visible("[data-testid=claude-signin-panel]")

    page.click("[data-testid=claude-signin-action]")
    wait_line(page, "Claude: not signed in")
    assert auth_status(signin_gateway) == {"state": "none"}
    assert page.text("[data-testid=claude-signin-action]") == "Sign in"


def test_wrong_code_shows_the_error_and_try_again_works(page, signin_gateway):
    first = start_sign_in(page)
    # An empty code is caught on the page.
    page.click("[data-testid=claude-signin-submit]")
    wait_until(lambda: "Paste the code" in page.text("[data-testid=claude-signin-note]"), 5, "the empty-code message")
    assert auth_status(signin_gateway)["state"] == "waiting_for_code"

    send_code(page, "authcode-123#not-the-state")
    wait_until(lambda: page.text("[data-testid=claude-signin-error]") == INVALID, 20, "the CLI's error",
               detail=lambda: page.text(PANEL))
    assert page.text("[data-testid=claude-signin-status]") == "Claude: sign-in failed"
    assert not page.visible("[data-testid=claude-signin-note]"), page.text("[data-testid=claude-signin-note]")
    assert not page.visible("[data-testid=claude-signin-form]")
    assert not page.visible("[data-testid=claude-signin-hint]")
    body = auth_status(signin_gateway)
    assert (body["state"], body.get("error")) == ("error", INVALID), body
    page.screenshot("claude-signin-wrong-code")

    second = start_sign_in(page)
    assert second != first, "Try again showed the old sign-in link"
    assert not page.visible("[data-testid=claude-signin-error]")
    send_code(page, good_code(second))
    wait_line(page, "Claude: signed in")
    assert auth_status(signin_gateway)["state"] == "authenticated"
    page.click("[data-testid=claude-signin-done]")
    page.click("[data-testid=claude-signin-action]")
    wait_line(page, "Claude: not signed in")


def test_cancel_ends_a_running_sign_in(page, signin_gateway):
    start_sign_in(page)
    page.click("[data-testid=claude-signin-cancel]")
    wait_line(page, "Claude: not signed in")
    assert not page.visible("[data-testid=claude-signin-panel]")
    assert auth_status(signin_gateway) == {"state": "none"}


def test_code_for_a_login_ended_elsewhere_is_refused_clearly(page, signin_gateway, console):
    console.allow(r"/api/claude/auth/code - Failed to load resource: the server responded with a status of 409")
    url = start_sign_in(page)
    status, _, _ = signin_gateway.request("DELETE", "/api/claude/auth", bearer=True)  # (another tab's Cancel)
    assert status == 200
    send_code(page, good_code(url))
    wait_until(lambda: "no Claude login is waiting for a code" in page.text("[data-testid=claude-signin-note]"), 10,
               "the refusal", detail=lambda: page.text(PANEL))
    wait_line(page, "Claude: not signed in")
    assert page.text("[data-testid=claude-signin-action]") == "Sign in"


def test_sign_in_on_a_phone(page, signin_gateway):
    page.viewport(375, 667, mobile=True)
    try:
        url = start_sign_in(page)
        time.sleep(0.3)  # (the layout settles)
        assert page.js("return document.documentElement.scrollWidth") <= 375, "the page scrolls sideways"
        for part in ("claude-signin-url", "claude-signin-code", "claude-signin-submit", "claude-signin-cancel"):
            box = page.js("const r = document.querySelector(arguments[0]).getBoundingClientRect();"
                          "return [r.left, r.right, r.top, r.bottom, r.height]", f"[data-testid={part}]")
            assert box[0] >= 0 and box[1] <= 375 and box[2] >= 0 and box[3] <= 667, (part, box)
            if part != "claude-signin-url":
                assert box[4] >= 36, (part, box)
        page.screenshot("phone-claude-signin")
        # With the keyboard up the code field can still be scrolled into view.
        page.viewport(375, 300, mobile=True)
        bottom = page.js("const e = document.querySelector('[data-testid=claude-signin-submit]'); e.scrollIntoView({block: 'end'});"
                         "return e.getBoundingClientRect().bottom")
        assert 0 < bottom <= 300, bottom
        page.viewport(375, 667, mobile=True)
        send_code(page, good_code(url))
        wait_line(page, "Claude: signed in")
        time.sleep(0.3)
        page.screenshot("phone-claude-signed-in")
        page.click("[data-testid=claude-signin-done]")
        page.click("[data-testid=claude-signin-action]")
        wait_line(page, "Claude: not signed in")
    finally:
        page.viewport(1400, 900)


def test_missing_cli_shows_a_hint(browser, make_gateway, console, tmp_path):
    console.allow(r"/api/claude/auth/start - Failed to load resource: the server responded with a status of 503")
    other = make_gateway(extra_env={"CLAUDE_BIN": str(tmp_path / "no-such-claude")})
    browser.viewport(1400, 900)
    browser.login(other)
    wait_line(browser, "Claude: not signed in")
    browser.click("[data-testid=claude-signin-action]")
    wait_line(browser, "Claude: CLI not installed")
    assert "claude CLI not found" in browser.text("[data-testid=claude-signin-error]")
    assert browser.visible("[data-testid=claude-signin-hint]") and browser.visible("[data-testid=claude-signin-retry]")
    assert not browser.visible("[data-testid=claude-signin-note]"), "the refusal is said twice"
    browser.screenshot("claude-signin-no-cli")
