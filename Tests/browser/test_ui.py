"""The browser UI in a real headless Chromium against a real gateway.

The tests share one logged-in browser (they run in file order, like one long user session); each
makes its own terminals. Screenshots land in .build/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from conftest import STATIC_DIR, wait_until


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
    for path in ("/js/app.js", "/js/api.js", "/js/pane.js", "/js/dom.js", "/vendor/xterm/index.js", "/vendor/dompurify.mjs"):
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


# ---------------------------------------------------------------------------------------------
# Terminals


def test_new_terminal_runs_commands(app, gateway):
    session_id = app.new_terminal()
    pane = app.pane_selector(session_id)
    assert app.visible(pane + " .xterm"), "the pane has no xterm.js element"
    app.type(session_id, "echo $((6*7))\n")
    app.wait_rows_line(session_id, "42")
    # The session is listed under its workspace with its live status.
    row = f'[data-testid=session-list] .session-row[data-session-id="{session_id}"]'
    wait_until(lambda: app.js("const r = document.querySelector(arguments[0]); return r && r.dataset.status", row) == "running",
               5, "the session row to show running")
    assert app.js("return location.hash") == f"#/session/{session_id}"


def test_new_terminal_in_a_named_workspace_then_an_existing_one(app, gateway):
    select = app.driver.find_element(By.CSS_SELECTOR, "[data-testid=workspace-select]")
    app.js("const s = arguments[0]; s.value = s.options[1].value; s.dispatchEvent(new Event('change'))", select)
    app.wait_visible("[data-testid=workspace-name]")
    name = f"proj-{int(time.time() * 1000) % 100000}"
    app.driver.find_element(By.CSS_SELECTOR, "[data-testid=workspace-name]").send_keys(name)
    first = app.new_terminal()
    assert gateway.session(first)["workspace"] == name
    app.type(first, "pwd\n")
    wait_until(lambda: re.search(rf"/workspaces/{name}$", app.rows(first), re.M), 5, "pwd in the named workspace: " + app.rows(first))
    # The workspace is now selected beside the button: the next terminal goes there too.
    assert app.js("return document.querySelector('[data-testid=workspace-select]').value") == name
    second = app.new_terminal()
    assert gateway.session(second)["workspace"] == name
    group = app.js("return [...document.querySelectorAll('.workspace-group')].find(g => g.dataset.workspace === arguments[0])"
                   "?.querySelectorAll('.session-row').length", name)
    assert group == 2
    app.js("const s = document.querySelector('[data-testid=workspace-select]'); s.value = ''; s.dispatchEvent(new Event('change'))")


def test_claude_button_says_not_available(app):
    app.click("[data-testid=new-claude]")
    wait_until(lambda: "Claude sessions are not available yet" in app.text("#new-session-msg"), 5, "the Claude notice")


def test_window_resize_changes_stty_size(app):
    session_id = app.new_terminal()
    app.viewport(1400, 900)
    wait_until(lambda: app.active_pane() and app.active_pane()["id"] == session_id, 5, "the new pane to be active")

    def stty_after(marker):
        app.type(session_id, f"echo {marker}-$(stty size | tr ' ' x)\n")
        found = wait_until(lambda: re.search(rf"^{marker}-(\d+)x(\d+)$", app.rows(session_id), re.M), 10,
                           f"stty size output {marker}")
        return int(found.group(1)), int(found.group(2))

    wide = stty_after("sizeA")
    pane = next(p for p in app.panes() if p["id"] == session_id)
    assert wide == (pane["rows"], pane["cols"]), (wide, pane)
    app.viewport(1000, 600)
    wait_until(lambda: (lambda p: (p["rows"], p["cols"]) != wide)(next(p for p in app.panes() if p["id"] == session_id)),
               5, "xterm.js to fit the smaller window")
    small = stty_after("sizeB")
    pane = next(p for p in app.panes() if p["id"] == session_id)
    assert small == (pane["rows"], pane["cols"]), (small, pane)
    assert small[0] < wide[0] and small[1] < wide[1], (wide, small)
    app.viewport(1400, 900)


def test_reload_keeps_the_session_and_replays_once(app, gateway):
    session_id = app.new_terminal()
    app.type(session_id, "echo mark-$((40+2))\n")
    app.wait_rows_line(session_id, "mark-42")
    app.driver.refresh()
    app.wait_visible("[data-testid=session-list]")
    wait_until(lambda: app.js("return !!document.querySelector(arguments[0])",
                              f'.session-row[data-session-id="{session_id}"]'), 10, "the session in the list after reload")
    app.wait_live(session_id)
    app.wait_rows_line(session_id, "mark-42")
    time.sleep(0.3)  # let any (wrong) duplicate replay arrive
    lines = app.buffer(session_id).split("\n")
    assert lines.count("mark-42") == 1, lines
    assert sum("echo mark-$((40+2))" in line for line in lines) == 1, lines
    # The replayed session takes keys at once.
    app.type(session_id, "echo again-$((1+1))\n")
    app.wait_rows_line(session_id, "again-2")


def test_network_drop_reconnects_and_replays_missed_output(app, gateway):
    from websockets.sync.client import connect

    session_id = app.new_terminal()
    ws = connect(f"ws://127.0.0.1:{gateway.port}/ws", origin=gateway.base, open_timeout=5)
    try:
        ws.send(json.dumps({"type": "auth", "key": gateway.key}))
        assert json.loads(ws.recv(5))["type"] == "auth.success"
        app.js("window.dispatchUI.dropConnection()")
        assert app.js("return window.dispatchUI.connection()") != "open"
        # Output produced while the page is offline.
        ws.send(json.dumps({"type": "run:input", "runId": session_id, "data": "seq 1001 1300\r"}))
        wait_until(lambda: app.js("return window.dispatchUI.connection()") == "open", 10, "the page to reconnect")
    finally:
        ws.close()
    app.wait_live(session_id)
    app.wait_rows_line(session_id, "1300")
    time.sleep(0.3)
    numbers = [int(line) for line in app.buffer(session_id).split("\n") if re.fullmatch(r"1\d{3}", line)]
    assert numbers == list(range(1001, 1301)), f"missing or repeated lines: {numbers[:5]}...{numbers[-5:]} ({len(numbers)})"


def test_flood_keeps_the_page_responsive(app):
    session_id = app.new_terminal()
    app.type(session_id, "yes | head -n 200000; echo flood-$((3*5))\n")
    slowest = 0.0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        started = time.monotonic()
        done = app.js("return window.dispatchUI.bufferText(arguments[0]).includes('flood-15')", session_id)
        slowest = max(slowest, time.monotonic() - started)
        if done:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the flood did not finish within 60 s")
    # A liveness check, not a benchmark: the page answered script calls all along.
    assert slowest < 3.0, f"the page stopped answering for {slowest:.2f} s during the flood"
    rows = app.wait_rows_line(session_id, "flood-15").split("\n")
    index = rows.index("flood-15")
    assert rows[index - 1] == "y", rows[index - 3:index + 1]
    # All rendered, all acknowledged: the gateway is not holding the session back.
    pane = wait_until(lambda: (lambda p: p if p["renderedSeq"] == p["lastSeq"] else None)(
        next(p for p in app.panes() if p["id"] == session_id)), 5, "every event to be rendered")
    # Then no line is missing or repeated through a big, fast output.
    app.type(session_id, "seq 1 30000\n")
    app.wait_rows_line(session_id, "30000", timeout=30)
    time.sleep(0.2)
    numbers = [int(line) for line in app.buffer(session_id).split("\n") if re.fullmatch(r"\d+", line)]
    tail = numbers[numbers.index(numbers[-1]) - (len(numbers) - 1):] if numbers else []
    assert tail and tail[-1] == 30000 and tail == list(range(tail[0], 30001)), \
        f"lines missing or repeated near the end of seq: {tail[-5:]}"
    assert len(tail) > 5000, len(tail)
    assert pane["state"] == "live"


def test_worker_killed_shows_restart_notice_and_works_again(app, gateway):
    session_id = app.new_terminal()
    shell = gateway.session(session_id)["meta"]["pid"]
    stat = Path(f"/proc/{shell}/stat").read_text()
    worker = int(stat[stat.rindex(")") + 2:].split()[1])
    assert Path(f"/proc/{worker}/comm").read_text().strip() == "dispatch-worker"
    os.kill(worker, signal.SIGKILL)
    wait_until(lambda: "[session restarted]" in app.rows(session_id), 15, "the [session restarted] notice")
    wait_until(lambda: gateway.session(session_id)["status"] == "running", 10, "the session to run again")
    app.wait_prompt(session_id)
    app.type(session_id, "echo alive-$((5+5))\n")
    app.wait_rows_line(session_id, "alive-10")
    assert app.rows(session_id).count("[session restarted]") == 1


def test_two_browsers_see_the_same_session(app, second_browser, gateway):
    session_id = app.new_terminal()
    second_browser.viewport(1200, 800)
    second_browser.login(gateway)
    second_browser.open(f"{gateway.base}/#/session/{session_id}")
    second_browser.wait_visible("[data-testid=session-list]")
    second_browser.wait_live(session_id)
    app.type(session_id, "echo both-$((7*6))\n")
    app.wait_rows_line(session_id, "both-42")
    second_browser.wait_rows_line(session_id, "both-42")
    second_browser.type(session_id, "echo second-$((1+2))\n")
    app.wait_rows_line(session_id, "second-3")
    second_browser.wait_rows_line(session_id, "second-3")


def test_end_session(app, gateway):
    session_id = app.new_terminal()
    end = f'{app.pane_selector(session_id)} .pane-actions button[title^="End"]'
    app.click(end)
    assert app.text(end) == "End?"
    app.click(end)
    wait_until(lambda: next(p["state"] for p in app.panes() if p["id"] == session_id) == "ended", 10, "the pane to show ended")
    wait_until(lambda: re.search(r"\[process (ended by SIG\w+|exited with code \d+)\]", app.rows(session_id)), 5,
               "the exit notice")
    assert gateway.session(session_id)["status"] == "stopped"
    wait_until(lambda: app.js("return document.querySelector(arguments[0])?.dataset.status",
                              f'.session-row[data-session-id="{session_id}"]') == "stopped", 5, "the row to show stopped")


def test_unknown_deep_link_says_so(app, gateway):
    app.open(f"{gateway.base}/#/session/no-such-session-0000")
    app.wait_visible("[data-testid=session-list]")
    wait_until(lambda: "There is no session no-such-session-0000" in app.text("#banner"), 10, "the banner")
    assert not app.js("return !!document.querySelector('.pane[data-session-id=\"no-such-session-0000\"]')")


def test_wide_screen_shows_panes_side_by_side(app):
    app.viewport(1400, 900)
    first = app.new_terminal()
    second = app.new_terminal()
    app.type(first, "echo left-$((2*2))\n")
    app.type(second, "echo right-$((3*3))\n")
    app.wait_rows_line(first, "left-4")
    app.wait_rows_line(second, "right-9")
    boxes = app.js("return [...document.querySelectorAll('.pane')].map(p => { const r = p.getBoundingClientRect();"
                   " return [r.left, r.top, r.width, r.height]; })")
    assert len(boxes) >= 2
    assert len({round(b[0]) for b in boxes}) == len(boxes), f"panes overlap instead of sitting side by side: {boxes}"
    assert all(b[2] > 200 and b[3] > 400 for b in boxes), boxes
    assert not app.visible("[data-testid=pane-tabs]"), "tabs shown on a wide screen"
    # Shortcuts switch panes without typing into the terminal.
    before = app.active_pane()["id"]
    app.js("document.querySelector(arguments[0] + ' .xterm-helper-textarea').focus()", app.pane_selector(before))
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    ActionChains(app.driver).key_down(Keys.ALT).key_down(Keys.SHIFT).send_keys(Keys.ARROW_RIGHT) \
        .key_up(Keys.SHIFT).key_up(Keys.ALT).perform()
    wait_until(lambda: app.active_pane()["id"] != before, 5, "Alt+Shift+→ to switch panes")
    app.screenshot("main-wide")


def test_phone_layout_shows_tabs(app):
    app.viewport(375, 800, mobile=True)
    try:
        wait_until(lambda: app.visible("[data-testid=pane-tabs]"), 5, "the tabs on a phone screen")
        tabs = app.js("return document.querySelectorAll('[data-testid=pane-tab]').length")
        assert tabs >= 2, tabs
        shown = app.js("return [...document.querySelectorAll('.pane')].filter(p => p.getBoundingClientRect().width > 0).length")
        assert shown == 1, f"{shown} panes shown at once on a phone"
        assert app.js("return document.documentElement.scrollWidth") <= 375, "the page scrolls sideways"
        assert app.visible("[data-testid=extra-keys]")
        active = app.active_pane()
        pane_box = app.js("const r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.width, r.height]",
                          app.pane_selector(active["id"]))
        assert pane_box[0] >= 360 and pane_box[1] > 400, pane_box
        wait_until(lambda: app.active_pane()["cols"] < 60, 5, "the terminal to fit the phone width")
        # Another tab becomes the one pane shown.
        other = app.js("return [...document.querySelectorAll('[data-testid=pane-tab]')].find(t => t.getAttribute('aria-selected') !== 'true').dataset.sessionId")
        app.click(f'[data-testid=pane-tab][data-session-id="{other}"]')
        wait_until(lambda: app.active_pane()["id"] == other, 5, "the tapped tab to become active")
        assert app.visible(app.pane_selector(other) + " .xterm")
        # The extra keys: a sticky Ctrl, then c, interrupts the program.
        app.wait_prompt(other)
        app.type(other, "sleep 30\n")
        time.sleep(0.3)
        app.js("document.querySelector('#extra-keys [data-key=ctrl]').click()")
        app.type(other, "c")
        app.type(other, "echo phone-$((4+4))\n")
        app.wait_rows_line(other, "phone-8", timeout=5)
        app.screenshot("phone-terminal")
        # The session list opens as a drawer.
        app.click("[data-testid=open-sidebar]")
        wait_until(lambda: app.js("return document.querySelector('#sidebar').getBoundingClientRect().left") >= 0, 5,
                   "the drawer to open")
        assert app.visible("[data-testid=session-list]") and app.visible("[data-testid=new-terminal]")
        time.sleep(0.3)
        app.screenshot("phone-sessions")
        app.click("#close-sidebar")
    finally:
        app.viewport(1400, 900)


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
