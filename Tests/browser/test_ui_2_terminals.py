"""The browser UI in a real headless Chromium against a real gateway: terminals. Create, type, resize,
reload, reconnect, floods, restarts, two browsers, ending, deep links.

The tests share one logged-in browser and run in file order, like one long user session: the
test_ui_N_*.py files are numbered so. Each test makes its own terminals. Screenshots land in .build/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

pytest.importorskip("selenium", reason="browser tests skipped: selenium is not installed (pip install -r Tests/browser/requirements.txt)")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from browser_support import wait_until  # noqa: E402


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
    # Links in the output are clickable (underlined, pointer cursor on hover).
    app.type(session_id, "echo https://example.com/docs\n")
    app.wait_rows_line(session_id, "https://example.com/docs")
    rows = app.driver.find_elements(By.CSS_SELECTOR, pane + " .xterm-rows > div")
    link_row = next(r for r in rows if r.text.strip() == "https://example.com/docs")
    ActionChains(app.driver).move_to_element_with_offset(link_row, -link_row.size["width"] // 2 + 40, 0).perform()
    wait_until(lambda: app.js("return !!document.querySelector(arguments[0] + ' .xterm-screen.xterm-cursor-pointer')", pane),
               5, "the link under the mouse to be clickable")


def test_new_terminal_in_a_named_workspace_then_an_existing_one(app, gateway):
    select = app.driver.find_element(By.CSS_SELECTOR, "[data-testid=workspace-select]")
    app.js("const s = arguments[0]; s.value = s.options[1].value; s.dispatchEvent(new Event('change'))", select)
    app.wait_visible("[data-testid=workspace-name]")
    name = f"proj-{int(time.time() * 1000) % 100000}"
    app.driver.find_element(By.CSS_SELECTOR, "[data-testid=workspace-name]").send_keys(name)
    first = app.new_terminal()
    assert gateway.session(first)["workspace"] == name
    app.type(first, "pwd\n")
    # (the buffer joins a long path that wraps across rows)
    wait_until(lambda: re.search(rf"/workspaces/{name}$", app.buffer(first), re.M), 5, "pwd in the named workspace")
    # The workspace is now selected beside the button: the next terminal goes there too.
    assert app.js("return document.querySelector('[data-testid=workspace-select]').value") == name
    second = app.new_terminal()
    assert gateway.session(second)["workspace"] == name
    group = app.js("return [...document.querySelectorAll('.workspace-group')].find(g => g.dataset.workspace === arguments[0])"
                   "?.querySelectorAll('.session-row').length", name)
    assert group == 2
    app.js("const s = document.querySelector('[data-testid=workspace-select]'); s.value = ''; s.dispatchEvent(new Event('change'))")


def test_create_workspace_rename_end_and_remove(app, gateway):
    # Create a workspace without starting anything.
    app.js("const s = document.querySelector('[data-testid=workspace-select]'); s.value = ':named'; s.dispatchEvent(new Event('change'))")
    app.wait_visible("[data-testid=workspace-name]")
    name = f"docs-{int(time.time() * 1000) % 100000}"
    app.driver.find_element(By.CSS_SELECTOR, "[data-testid=workspace-name]").send_keys(name)
    app.click("[data-testid=create-workspace]")
    group = f'.workspace-group[data-workspace="{name}"]'
    app.wait_visible(group)
    assert "No sessions here yet" in app.text(group)
    assert {"name": name} in gateway.request("GET", "/api/workspaces", bearer=True)[2]["workspaces"]
    assert app.js("return document.querySelector('[data-testid=workspace-select]').value") == name

    # A terminal in it from the group's "+".
    before = {p["id"] for p in app.panes()}
    app.click(group + " [data-testid=new-terminal-here]")
    session_id = wait_until(lambda: next((p["id"] for p in app.panes() if p["id"] not in before), None), 10, "the new pane")
    app.wait_live(session_id)
    assert gateway.session(session_id)["workspace"] == name

    # Rename from the pane header.
    app.click(app.pane_selector(session_id) + " [data-testid=rename-session]")
    field = app.driver.find_element(By.CSS_SELECTOR, app.pane_selector(session_id) + " [data-testid=rename-input]")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("build server" + Keys.ENTER)
    row = f'.session-row[data-session-id="{session_id}"]'
    wait_until(lambda: app.text(row + " .session-name") == "build server", 5, "the new name in the list")
    assert gateway.session(session_id)["title"] == "build server"
    assert "build server" in app.text(app.pane_selector(session_id) + " .pane-title")
    # The keys typed in the name field did not reach the shell.
    assert "build server" not in app.buffer(session_id)

    # End it from the list (two clicks), then remove it with its history.
    def click_in_row(testid):
        app.wait_visible(f"{row} [data-testid={testid}]")
        button = app.driver.find_element(By.CSS_SELECTOR, f"{row} [data-testid={testid}]")
        ActionChains(app.driver).move_to_element(app.driver.find_element(By.CSS_SELECTOR, row)).click(button).perform()
        ActionChains(app.driver).click(app.driver.find_element(By.CSS_SELECTOR, f"{row} [data-testid={testid}]")).perform()

    click_in_row("end-session")
    wait_until(lambda: app.js("return document.querySelector(arguments[0])?.dataset.status", row) == "stopped", 10,
               "the session to end")
    click_in_row("remove-session")
    wait_until(lambda: not app.js("return !!document.querySelector(arguments[0])", row), 10, "the row to go")
    assert gateway.request("GET", f"/api/sessions/{session_id}", bearer=True)[0] == 404
    assert not any(p["id"] == session_id for p in app.panes())
    app.js("const s = document.querySelector('[data-testid=workspace-select]'); s.value = ''; s.dispatchEvent(new Event('change'))")


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
    assert small != wide, (wide, small)
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
    slowest = app.wait_js_timed("return window.dispatchUI.bufferText(arguments[0]).includes('flood-15')", session_id,
                                timeout=60, what="the flood")
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
    assert numbers and numbers == list(range(numbers[0], 30001)), \
        f"lines missing or repeated in the scrollback: {numbers[:3]}...{numbers[-3:]} ({len(numbers)} lines)"
    assert len(numbers) > 5000, f"only {len(numbers)} lines kept of 10000 scrollback"  # the whole scrollback checked
    assert pane["state"] == "live"


def test_ctrl_c_stops_an_endless_flood(app):
    session_id = app.new_terminal()
    app.type(session_id, "yes flooding\n")
    wait_until(lambda: app.rows(session_id).count("flooding") > 5, 10, "the flood to start")
    time.sleep(2)
    started = time.monotonic()
    assert app.js("return 1 + 1") == 2
    assert time.monotonic() - started < 3.0, "the page stopped answering during the flood"
    # Ctrl-C (a real key press in the terminal) reaches the program; Esc too, and neither is taken by the page.
    app.js("document.querySelector(arguments[0] + ' .xterm-helper-textarea').focus()", app.pane_selector(session_id))
    ActionChains(app.driver).key_down(Keys.CONTROL).send_keys("c").key_up(Keys.CONTROL).perform()
    app.wait_prompt(session_id, timeout=15)
    app.type(session_id, "cat -v\n")
    time.sleep(0.3)
    app.type(session_id, Keys.ESCAPE + "x\n")
    app.wait_rows_line(session_id, "^[x")
    ActionChains(app.driver).key_down(Keys.CONTROL).send_keys("d").key_up(Keys.CONTROL).perform()  # ends cat
    app.wait_prompt(session_id)
    app.type(session_id, "echo stopped-$((2*5))\n")
    app.wait_rows_line(session_id, "stopped-10", timeout=10)


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


