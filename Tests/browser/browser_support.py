"""Helpers of the browser tests: a real dispatch-gateway on a free loopback port and Debian's headless Chromium
driven by Selenium (Debian's chromedriver, given explicitly: nothing is downloaded).

Every wait is bounded and fails naming what it waited for. Screenshots go to .build/screenshots/.
(A module of its own name, not conftest: Tests/e2e has a conftest too.)
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The end-to-end tests' helpers (their package, not their conftest.py).
sys.path.insert(0, str(REPO / "Tests" / "e2e"))
from support.gateway import free_port, gateway_env, random_key  # noqa: E402
from support.polling import wait_until as poll_until  # noqa: E402

GATEWAY_BIN = Path(os.environ.get("DISPATCH_GATEWAY_BIN", REPO / ".build" / "debug" / "dispatch-gateway"))
STATIC_DIR = REPO / "static"
SCREENSHOTS = REPO / ".build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN") or shutil.which("chromedriver") or "/usr/bin/chromedriver"

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    HAVE_SELENIUM = True
except ImportError:  # pragma: no cover - reported as a skip below
    HAVE_SELENIUM = False


# ---------------------------------------------------------------------------------------------
# Helpers


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05, detail=None):
    """The end-to-end tests' wait, polling less often: a poll here is mostly a script call in the page."""
    return poll_until(predicate, timeout, what, interval, detail)


# ---------------------------------------------------------------------------------------------
# The gateway


class Gateway:
    def __init__(self, tmp: Path, static_dir: Path = STATIC_DIR, extra_env: dict | None = None,
                 key: str | None = None, port: int | None = None, home: Path | None = None):
        """With `home`, `key` and `port` of a gateway that has exited: its restart, which a page follows."""
        assert GATEWAY_BIN.exists(), f"{GATEWAY_BIN} is missing: run `swift build` first"
        tmp.mkdir(parents=True, exist_ok=True)
        self.key = key or random_key()
        self.port = port or free_port()
        self.home = home or tmp / "home"
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "gateway.log"
        env = gateway_env(self.home, self.port, self.key, static_dir, tmp) | (extra_env or {})
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(GATEWAY_BIN)], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, cwd=str(tmp))
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"dispatch-gateway exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                if self.request("GET", "/health", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dispatch-gateway did not answer /health within 10 s:\n{self.log_text()}")
            time.sleep(0.05)

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def request(self, method: str, path: str, body=None, *, bearer: bool = False, timeout: float = 5.0):
        """(status, lower-case headers, body: parsed JSON or bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {}
            if bearer:
                headers["Authorization"] = f"Bearer {self.key}"
            payload = None
            if body is not None:
                payload = json.dumps(body)
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            result_headers = {k.lower(): v for k, v in response.getheaders()}
            if raw and result_headers.get("content-type", "").startswith("application/json"):
                return response.status, result_headers, json.loads(raw)
            return response.status, result_headers, raw
        finally:
            conn.close()

    def session(self, session_id: str) -> dict:
        status, _, body = self.request("GET", f"/api/sessions/{session_id}", bearer=True)
        assert status == 200, f"GET /api/sessions/{session_id}: {status} {body!r}"
        return body

    def stop(self):
        # A page left on this gateway would log its reconnection attempts as console errors of the next test.
        for browser in BROWSERS.values():
            try:
                if browser.driver.current_url.startswith(self.base):
                    browser.open("about:blank")
            except Exception:  # a browser that died is no longer a problem (its test failed already)
                pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


# ---------------------------------------------------------------------------------------------
# The browser

BROWSERS: dict[str, "Browser"] = {}  # the browsers the tests started, by name (conftest.py makes them)


class Browser:
    """One headless Chromium with helpers for the Dispatch page."""

    def __init__(self, name: str):
        options = Options()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,900", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-features=Translate"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.name = name
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_script_timeout(10)
        self.viewport(1400, 900)

    # -- page

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def wait_js_timed(self, script: str, *args, timeout: float, what: str) -> float:
        """Runs `script` until it returns something truthy; returns the slowest run in seconds, which
        says whether the page kept answering meanwhile. Fails naming `what` after `timeout` s."""
        slowest = 0.0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            started = time.monotonic()
            done = self.js(script, *args)
            slowest = max(slowest, time.monotonic() - started)
            if done:
                return slowest
            time.sleep(0.05)
        pytest.fail(f"{what} did not finish within {timeout} s")

    def open(self, url: str):
        self.driver.get(url)

    def viewport(self, width: int, height: int, mobile: bool = False):
        """An exact CSS viewport (the window size would include the browser's frame)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile,
        })
        if self.driver.current_url.startswith("http"):  # (a blank page has no viewport meta: 980 px on a phone)
            wait_until(lambda: self.js("return window.innerWidth") == width, 5, f"the viewport to be {width} px wide")

    def visible(self, selector: str) -> bool:
        return bool(self.js(
            "const e = document.querySelector(arguments[0]);"
            "if (!e) return false; const r = e.getBoundingClientRect();"
            "return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';", selector))

    def wait_visible(self, selector: str, timeout: float = 10):
        wait_until(lambda: self.visible(selector), timeout, f"{selector} to be visible")

    def click(self, selector: str):
        self.wait_visible(selector)
        self.driver.find_element(By.CSS_SELECTOR, selector).click()

    def text(self, selector: str) -> str:
        return self.js("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", selector) or ""

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    # -- login and sessions

    def login(self, gw: Gateway):
        """Logs in through the page unless the cookie is already good; ends on the main view."""
        self.open(gw.base + "/")
        wait_until(lambda: self.visible("#terminal-key") or self.visible("[data-testid=session-list]"), 10,
                   "the login page or the main view")
        if self.visible("#terminal-key"):
            field = self.driver.find_element(By.CSS_SELECTOR, "#terminal-key")
            field.clear()
            field.send_keys(gw.key)
            self.click("#login-submit")
        self.wait_visible("[data-testid=session-list]")
        wait_until(lambda: self.js("return window.dispatchUI && window.dispatchUI.connection()") == "open", 10,
                   "the WebSocket to be connected")

    def panes(self) -> list[dict]:
        return self.js("return window.dispatchUI.panes()")

    def active_pane(self) -> dict | None:
        return next((p for p in self.panes() if p["active"]), None)

    def new_terminal(self) -> str:
        """Clicks new-terminal; returns the new session's id once its pane is live."""
        before = {p["id"] for p in self.panes()}
        self.click("[data-testid=new-terminal]")
        pane = wait_until(lambda: next((p for p in self.panes() if p["id"] not in before), None), 15,
                          f"a new terminal pane ({self.name})", detail=lambda: self.text("#new-session-msg"))
        self.wait_live(pane["id"])
        self.wait_prompt(pane["id"])
        return pane["id"]

    def wait_live(self, session_id: str, timeout: float = 15):
        wait_until(lambda: next((p["state"] for p in self.panes() if p["id"] == session_id), None) == "live",
                   timeout, f"pane {session_id} to be live ({self.name})",
                   detail=lambda: [self.panes(), self.js("return window.dispatchUI.connection()")])

    def wait_prompt(self, session_id: str, timeout: float = 15):
        wait_until(lambda: re.search(r"[$#>] ?$", self.buffer(session_id) or ""), timeout, f"a shell prompt ({self.name})",
                   detail=lambda: self.buffer(session_id))

    def pane_selector(self, session_id: str) -> str:
        return f'.pane[data-session-id="{session_id}"]'

    def rows(self, session_id: str) -> str:
        """What xterm.js's DOM renderer shows (the visible rows), one line per row."""
        return self.js(
            "const rows = document.querySelector(arguments[0] + ' .xterm-rows');"
            "return rows ? [...rows.children].map(r => r.textContent.replace(/\\s+$/, '')).join('\\n') : null;",
            self.pane_selector(session_id)) or ""

    def buffer(self, session_id: str) -> str:
        """The whole buffer (scrollback included) as text."""
        return self.js("return window.dispatchUI.bufferText(arguments[0])", session_id) or ""

    def type(self, session_id: str, text: str):
        """Focuses the pane's terminal and types (\\n is Enter)."""
        self.js("document.querySelector(arguments[0] + ' .xterm-helper-textarea').focus()", self.pane_selector(session_id))
        self.driver.switch_to.active_element.send_keys(text)

    def wait_rows_line(self, session_id: str, line: str, timeout: float = 15) -> str:
        """Waits until one visible row is exactly `line` (trailing spaces ignored)."""
        return wait_until(lambda: (lambda rows: rows if line in rows.split("\n") else None)(self.rows(session_id)),
                          timeout, f"a row reading {line!r} in pane {session_id} ({self.name})",
                          detail=lambda: [self.rows(session_id).rstrip("\n"), self.panes()])

    def console_errors(self) -> list[dict]:
        return [entry for entry in self.driver.get_log("browser") if entry.get("level") == "SEVERE"]

    def quit(self):
        try:
            self.driver.quit()
        except Exception:
            pass


class ConsoleGuard:
    """Collects SEVERE console entries of every browser a test used; any one fails the test unless the test
    allowed its pattern (say a wrong key's 401, which Chromium logs like every 4xx of a fetch)."""

    def __init__(self):
        self.allowed = []

    def allow(self, pattern: str):
        self.allowed.append(re.compile(pattern))

    def check(self, browsers):
        bad = []
        for browser in browsers:
            for entry in browser.console_errors():
                if not any(p.search(entry.get("message", "")) for p in self.allowed):
                    bad.append(f"[{browser.name}] {entry.get('message')}")
        return bad
