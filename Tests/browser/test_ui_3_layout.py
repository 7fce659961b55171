"""The browser UI in a real headless Chromium against a real gateway: panes side by side on a wide
screen, tabs, extra keys and a drawer on a phone.

The tests share one logged-in browser and run in file order, like one long user session: the
test_ui_N_*.py files are numbered so. Each test makes its own terminals. Screenshots land in .build/screenshots/.
"""

from __future__ import annotations

import time

import pytest

pytest.importorskip("selenium", reason="browser tests skipped: selenium is not installed (pip install -r Tests/browser/requirements.txt)")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from browser_support import wait_until  # noqa: E402


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
    assert all(b[2] > 300 and b[3] > 250 for b in boxes), f"every open pane is shown, none too small: {boxes}"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = a[0] + a[2] <= b[0] + 1 or b[0] + b[2] <= a[0] + 1 or a[1] + a[3] <= b[1] + 1 or b[1] + b[3] <= a[1] + 1
            assert apart, f"panes overlap: {a} {b}"
    assert any(round(a[1]) == round(b[1]) and round(a[0]) != round(b[0]) for a in boxes for b in boxes), \
        f"no two panes side by side: {boxes}"
    assert not app.visible("[data-testid=pane-tabs]"), "tabs shown on a wide screen"
    # Shortcuts switch panes without typing into the terminal.
    before = app.active_pane()["id"]
    app.js("document.querySelector(arguments[0] + ' .xterm-helper-textarea').focus()", app.pane_selector(before))
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
        other = next(p["id"] for p in app.panes() if not p["active"] and p["state"] == "live")
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


