"""A gateway restart under an open page: the login is kept in the store, so the page stays logged in,
reconnects by itself to the next gateway (same home, key and port) and shows what the terminal printed
while no gateway ran."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

pytest.importorskip("selenium", reason="browser tests skipped: selenium is not installed (pip install -r Tests/browser/requirements.txt)")

from browser_support import wait_until  # noqa: E402


def test_a_gateway_restart_keeps_the_page_logged_in_and_its_terminal_complete(browser, make_gateway, console):
    first = make_gateway()
    # While no gateway answers, the page's reconnection attempts fail; Chromium logs each one.
    console.allow(rf"ws://127\.0\.0\.1:{first.port}/ws' failed")
    console.allow(r"net::ERR_CONNECTION_REFUSED")
    browser.viewport(1400, 900)
    browser.login(first)
    session_id = browser.new_terminal()
    folder = Path(first.session(session_id)["meta"]["cwd"])
    # The shell waits for a file the test creates once the gateway is gone, then prints.
    browser.type(session_id, "while [ ! -e go ]; do sleep 0.05; done; echo away''-$((6*7)); touch printed\n")
    wait_until(lambda: "while [ ! -e go ]" in browser.buffer(session_id), 10, "the command echoed")

    first.proc.send_signal(signal.SIGUSR2)
    assert first.proc.wait(15) == 0, first.log_text()[-2000:]
    wait_until(lambda: browser.js("return window.dispatchUI.connection()") != "open", 10, "the page to notice")
    (folder / "go").touch()
    wait_until(lambda: (folder / "printed").exists(), 10, "the shell printing while no gateway runs")
    assert "away-42" not in browser.buffer(session_id)

    second = make_gateway(key=first.key, port=first.port, home=first.home)
    wait_until(lambda: browser.visible("#terminal-key") or browser.js("return window.dispatchUI.connection()") == "open",
               40, "the page to reconnect (or fall back to the login)")
    assert not browser.visible("#terminal-key"), "the page went back to the login"
    browser.wait_rows_line(session_id, "away-42", 20)
    assert browser.buffer(session_id).split("\n").count("away-42") == 1
    browser.type(session_id, "echo back-$((1+1))\n")
    browser.wait_rows_line(session_id, "back-2")
    assert second.session(session_id)["status"] == "running"
    browser.open("about:blank")
