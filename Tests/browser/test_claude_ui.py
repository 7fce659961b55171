"""The Claude pane in a real headless Chromium against a real gateway running the fake `claude` CLI
(Tests/Fixtures/claude/claude: words in a message pick its behaviour: `tool`, `ask`, `slow`...).

The tests share the main browser and one gateway of their own; each starts its own Claude session.
Screenshots land in .build/screenshots/.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest

pytest.importorskip("selenium", reason="browser tests skipped: selenium is not installed (pip install -r Tests/browser/requirements.txt)")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from browser_support import REPO, Gateway, wait_until  # noqa: E402

FAKE_CLAUDE = REPO / "Tests" / "Fixtures" / "claude" / "claude"


@pytest.fixture(scope="module")
def claude_gateway(vendor, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("claude-gateway")
    gw = Gateway(tmp, extra_env={"CLAUDE_BIN": str(FAKE_CLAUDE), "CLAUDE_CONFIG_DIR": str(tmp / "claude-config")})
    yield gw
    gw.stop()


@pytest.fixture
def chat(browser, claude_gateway):
    """The main browser, logged in to the Claude gateway, at a wide viewport."""
    browser.viewport(1400, 900)
    if not (browser.driver.current_url.startswith(claude_gateway.base) and browser.visible("[data-testid=session-list]")):
        browser.login(claude_gateway)
    return browser


# ---------------------------------------------------------------------------------------------
# Helpers


def pane(session_id: str) -> str:
    return f'.pane[data-session-id="{session_id}"]'


def new_claude(b, mode: str = "default") -> str:
    """Starts a Claude session from the sidebar with the given permission mode; returns its id once live."""
    b.js("const s = document.querySelector('[data-testid=claude-permission-mode]'); s.value = arguments[0];"
         "s.dispatchEvent(new Event('change'))", mode)
    before = {p["id"] for p in b.panes()}
    b.click("[data-testid=new-claude]")
    new = wait_until(lambda: next((p for p in b.panes() if p["id"] not in before), None), 15, "a new Claude pane",
                     detail=lambda: b.text("#new-session-msg"))
    assert new["kind"] == "claude", new
    b.wait_live(new["id"])
    return new["id"]


def say(b, session_id: str, text: str):
    """Types a message in the pane's box and presses Enter."""
    box = b.driver.find_element(By.CSS_SELECTOR, pane(session_id) + " [data-testid=claude-input]")
    box.click()
    box.send_keys(text + Keys.ENTER)


def log_text(b, session_id: str) -> str:
    return b.js("return window.dispatchUI.bufferText(arguments[0])", session_id) or ""


def count(b, selector: str) -> int:
    return b.js("return document.querySelectorAll(arguments[0]).length", selector)


def wait_results(b, session_id: str, n: int, timeout: float = 15) -> list[str]:
    """Waits for the n-th turn footer; returns the footers' texts."""
    return wait_until(lambda: (lambda t: t if len(t) >= n else None)(
        b.js("return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)", pane(session_id) + " [data-testid=claude-result]")),
        timeout, f"{n} finished turn(s) in {session_id}", detail=lambda: log_text(b, session_id))


# ---------------------------------------------------------------------------------------------
# Tests


def test_streamed_answer_tool_call_and_cost(chat, claude_gateway):
    session_id = new_claude(chat)
    descriptor = claude_gateway.session(session_id)
    assert descriptor["kind"] == "claude" and descriptor["meta"]["permissionMode"] == "default", descriptor
    box = pane(session_id)

    # Shift+Enter is a new line, Enter sends the whole message as one turn.
    field = chat.driver.find_element(By.CSS_SELECTOR, box + " [data-testid=claude-input]")
    field.click()
    field.send_keys("hello")
    field.send_keys(Keys.SHIFT, Keys.ENTER)
    field.send_keys("there" + Keys.ENTER)
    footers = wait_results(chat, session_id, 1)
    assert re.fullmatch(r"Done · \d+ ms · \$0\.0042", footers[0]), footers
    assert chat.text(box + " [data-testid=claude-user]") == "hello\nthere"
    assert chat.text(box + " [data-testid=claude-assistant]") == "You said: hello\nthere"
    assert field.get_attribute("value") == ""

    # Streamed text shows up piece by piece, then the final message confirms it (shown once).
    say(chat, session_id, "tell it slow")
    partial = wait_until(lambda: (lambda t: t if "word3" in t and "word39" not in t else None)(log_text(chat, session_id)), 10,
                         "part of the streamed answer")
    assert chat.visible(box + " [data-testid=claude-interrupt]"), "no Stop button while the turn runs"
    assert "Claude is working" in chat.text(box + " [data-testid=claude-status]")
    answers = box + " [data-testid=claude-assistant]"
    chat.js("[...document.querySelectorAll(arguments[0])].pop().dataset.streamed = 'yes'", answers)
    wait_results(chat, session_id, 2)
    assert log_text(chat, session_id).count("word39") == 1, log_text(chat, session_id)
    # The final line (same message id as the stream) replaced the streamed text in the same element.
    assert chat.js("return [...document.querySelectorAll(arguments[0])].map(e => e.dataset.streamed || '')", answers) == ["", "yes"]
    last = chat.js("return [...document.querySelectorAll(arguments[0])].pop().textContent", answers)
    assert last == " ".join(f"word{i}" for i in range(40)), last
    assert "word0 word1" in partial
    assert not chat.visible(box + " [data-testid=claude-interrupt]")

    # A tool call: one collapsed line naming the tool, its input and result inside.
    say(chat, session_id, "use a tool please")
    wait_results(chat, session_id, 3)
    tool = box + " [data-testid=claude-tool]"
    wait_until(lambda: chat.js("return document.querySelector(arguments[0])?.dataset.result", tool) == "ok", 5, "the tool result")
    assert chat.js("return document.querySelector(arguments[0]).open", tool) is False, "the tool block is open by default"
    assert chat.text(tool + " .tool-name") == "Bash" and chat.text(tool + " .tool-brief") == "echo hi"
    chat.click(tool + " summary")
    assert chat.js("return document.querySelector(arguments[0]).open", tool) is True
    assert '"command": "echo hi"' in chat.text(tool + " .tool-input")
    assert chat.text(tool + " .tool-result") == "hi"
    assert "The command printed: hi" in log_text(chat, session_id)
    assert log_text(chat, session_id).count("Running a command.") == 1
    chat.screenshot("claude-wide")


def test_markup_in_messages_is_inert(chat):
    session_id = new_claude(chat)
    box = pane(session_id)
    chat.js("window.alerted = []; window.alert = (m) => window.alerted.push(String(m));")
    hostile = ("<img src=x onerror=alert(1)> <script>alert(2)</script> [x](javascript:alert(3)) "
               "<a href=\"javascript:alert(4)\">y</a> **bold** `<b>code</b>` https://example.com/ok")
    say(chat, session_id, hostile)
    wait_results(chat, session_id, 1)
    answer = box + " [data-testid=claude-assistant]"
    time.sleep(0.3)  # (an injected image would try to load and fire its onerror by now)
    # Shown as text, in the user's bubble and in the answer (which goes through the Markdown renderer).
    assert hostile in chat.text(box + " [data-testid=claude-user]")
    shown = chat.text(answer)
    for piece in ("<img src=x onerror=alert(1)>", "<script>alert(2)</script>", "[x](javascript:alert(3))", "<b>code</b>"):
        assert piece in shown, (piece, shown)
    # Nothing was injected: no element from the message, no handler, only the safe link; nothing ran.
    assert count(chat, ".chat-log img, .chat-log script, .chat-log b, .chat-log [onerror], .chat-log iframe") == 0
    links = chat.js("return [...document.querySelectorAll(arguments[0] + ' a')].map(a => a.getAttribute('href'))", answer)
    assert links == ["https://example.com/ok"], links
    assert chat.js("return document.querySelector(arguments[0] + ' strong')?.textContent", answer) == "bold"
    assert chat.js("return document.querySelector(arguments[0] + ' code')?.textContent", answer) == "<b>code</b>"
    assert chat.js("return window.alerted") == []
    with pytest.raises(NoAlertPresentException):
        chat.driver.switch_to.alert.text


def test_permission_prompts_allow_and_deny(chat, claude_gateway):
    session_id = new_claude(chat, "default")
    box = pane(session_id)
    card = box + ' [data-testid=claude-permission][data-state="pending"]'

    say(chat, session_id, "ask before you run it")
    chat.wait_visible(card)
    assert "Claude wants to use Bash" in chat.text(card) and "echo hi" in chat.text(card + " .permission-input")
    assert chat.js("return document.querySelector(arguments[0]).dataset.turn", box) == "asking"
    pending = claude_gateway.session(session_id)["meta"].get("pendingPermissions")
    assert pending and pending[0]["toolName"] == "Bash", pending
    chat.click(card + " [data-testid=permission-allow]")
    wait_results(chat, session_id, 1)
    first = box + " [data-testid=claude-permission]"
    assert chat.js("return document.querySelector(arguments[0]).dataset.state", first) == "allowed"
    assert chat.text(first + " .permission-state") == "Allowed"
    assert not chat.visible(first + " [data-testid=permission-allow]"), "an answered prompt still offers its buttons"
    assert "The command printed: hi" in log_text(chat, session_id)

    say(chat, session_id, "ask again")
    chat.wait_visible(card)
    chat.click(card + " [data-testid=permission-deny]")
    wait_results(chat, session_id, 2)
    states = chat.js("return [...document.querySelectorAll(arguments[0])].map(c => c.dataset.state)", first)
    assert states == ["allowed", "denied"], states
    assert "The tool was denied" in log_text(chat, session_id)
    assert not claude_gateway.session(session_id)["meta"].get("pendingPermissions")


def test_interrupt_stops_the_turn(chat):
    session_id = new_claude(chat)
    box = pane(session_id)
    say(chat, session_id, "answer slow")
    wait_until(lambda: "word2" in log_text(chat, session_id), 10, "the answer to start streaming")
    chat.click(box + " [data-testid=claude-interrupt]")
    footers = wait_results(chat, session_id, 1)
    assert footers[0].startswith("Interrupted"), footers
    assert "Request interrupted by user" in log_text(chat, session_id)
    assert "word39" not in log_text(chat, session_id)
    wait_until(lambda: not chat.visible(box + " [data-testid=claude-interrupt]"), 5, "the Stop button to go")
    assert chat.text(box + " [data-testid=claude-status]") == "Ready"
    # The process stays: the next message is answered; Esc in the message box interrupts too.
    say(chat, session_id, "slow again")
    wait_until(lambda: log_text(chat, session_id).count("word2") == 2, 10, "the second answer to start streaming")
    chat.driver.find_element(By.CSS_SELECTOR, box + " [data-testid=claude-input]").send_keys(Keys.ESCAPE)
    assert wait_results(chat, session_id, 2)[1].startswith("Interrupted")


def test_ended_session_resumes_its_conversation(chat, claude_gateway):
    session_id = new_claude(chat)
    box = pane(session_id)
    say(chat, session_id, "remember me")
    wait_results(chat, session_id, 1)
    end = box + ' .pane-actions button[title^="End"]'
    chat.click(end)
    chat.click(end)
    chat.wait_visible(box + " [data-testid=claude-resume]")
    assert chat.text(box + " [data-testid=claude-status]") == "Claude has ended."
    assert chat.js("return document.querySelector(arguments[0]).disabled", box + " [data-testid=claude-send]") is True
    conversation = claude_gateway.session(session_id)["meta"]["claudeSessionId"]
    chat.click(box + " [data-testid=claude-resume]")
    chat.wait_live(session_id)
    wait_until(lambda: not chat.visible(box + " [data-testid=claude-resume]"), 10, "the Resume button to go")
    say(chat, session_id, "back again")
    wait_results(chat, session_id, 2)
    assert "You said: back again" in log_text(chat, session_id)
    assert log_text(chat, session_id).count("You said: remember me") == 1
    assert claude_gateway.session(session_id)["meta"]["claudeSessionId"] == conversation


def test_reload_replays_the_conversation_and_pending_prompts(chat, claude_gateway):
    session_id = new_claude(chat)
    box = pane(session_id)
    say(chat, session_id, "first message")
    wait_results(chat, session_id, 1)
    say(chat, session_id, "use a tool")
    wait_results(chat, session_id, 2)
    say(chat, session_id, "ask me first")
    chat.wait_visible(box + ' [data-testid=claude-permission][data-state="pending"]')
    time.sleep(0.3)  # (nothing else is coming: the CLI waits for the answer)
    before = log_text(chat, session_id)
    structure = "return [...document.querySelector(arguments[0] + ' .chat-log').children].map(e => e.dataset.testid || e.className)"
    shape = chat.js(structure, box)

    chat.driver.refresh()
    chat.wait_visible("[data-testid=session-list]")
    chat.wait_live(session_id)
    wait_until(lambda: log_text(chat, session_id) == before, 10, "the same conversation after the reload",
               detail=lambda: log_text(chat, session_id))
    assert chat.js(structure, box) == shape
    assert chat.js("return location.hash") == f"#/session/{session_id}"
    # The prompt still waiting is still answerable.
    chat.click(box + ' [data-testid=claude-permission][data-state="pending"] [data-testid=permission-allow]')
    wait_results(chat, session_id, 3)
    assert log_text(chat, session_id).count("The command printed: hi") == 2

    # A page opened on the deep link shows the same conversation.
    chat.open(f"{claude_gateway.base}/#/session/{session_id}")
    chat.wait_live(session_id)
    wait_until(lambda: log_text(chat, session_id).count("The command printed: hi") == 2, 10, "the replayed conversation")
    assert chat.text(box + " [data-testid=claude-user]") == "first message"


def test_lost_conversation_offers_a_fresh_start(chat, claude_gateway):
    status, _, body = claude_gateway.request("POST", "/api/sessions", {
        "kind": "claude", "workspace": "lost-conversation", "options": {"resume": str(uuid.uuid4())}}, bearer=True)
    assert status == 201, body
    session_id = body["id"]
    chat.open(f"{claude_gateway.base}/#/session/{session_id}")
    box = pane(session_id)
    fresh = box + " [data-testid=claude-start-fresh]"
    chat.wait_visible(fresh, timeout=15)
    assert "No conversation found" in chat.text(box + " [data-testid=claude-error]")
    chat.click(fresh)
    wait_until(lambda: claude_gateway.session(session_id)["status"] == "running", 10, "the session to run again",
               detail=lambda: [claude_gateway.session(session_id), chat.text(box + " [data-testid=pane-state]"), log_text(chat, session_id)])
    chat.wait_live(session_id)
    say(chat, session_id, "a new start")
    wait_until(lambda: "You said: a new start" in log_text(chat, session_id), 15, "an answer in the fresh conversation",
               detail=lambda: log_text(chat, session_id))


def test_phone_layout_of_a_claude_pane(chat, claude_gateway):
    session_id = new_claude(chat)
    box = pane(session_id)
    say(chat, session_id, "hello from a phone, with **markdown** and `code`")
    wait_results(chat, session_id, 1)
    chat.viewport(375, 667, mobile=True)
    try:
        wait_until(lambda: chat.visible("[data-testid=pane-tabs]"), 5, "the tabs on a phone screen")
        shown = chat.js("return [...document.querySelectorAll('.pane')].filter(p => p.getBoundingClientRect().width > 0).length")
        assert shown == 1, f"{shown} panes shown at once on a phone"
        assert chat.js("return document.documentElement.scrollWidth") <= 375, "the page scrolls sideways"
        assert not chat.visible("[data-testid=extra-keys]"), "terminal keys shown under a chat"
        say(chat, session_id, "ask on the phone")
        card = box + ' [data-testid=claude-permission][data-state="pending"]'
        chat.wait_visible(card)
        time.sleep(0.3)
        for button in ("permission-allow", "permission-deny"):
            size = chat.js("const r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.width, r.height, r.bottom]",
                           f"{card} [data-testid={button}]")
            assert size[0] >= 44 and size[1] >= 44, (button, size)
            assert size[2] <= 667, (button, size)
        field = chat.js("const r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.left, r.right, r.bottom]",
                        box + " [data-testid=claude-input]")
        assert field[0] >= 0 and field[1] <= 375 and field[2] <= 667, field
        chat.screenshot("phone-claude")
        chat.click(card + " [data-testid=permission-allow]")
        wait_results(chat, session_id, 2)
        time.sleep(0.3)
        chat.screenshot("phone-claude-answered")
    finally:
        chat.viewport(1400, 900)


def test_a_huge_answer_keeps_the_page_responsive(chat):
    session_id = new_claude(chat)
    # 1 MiB streamed in 16 pieces, then a long line full of unmatched Markdown markers.
    say(chat, session_id, "big")
    slowest = chat.wait_js_timed("return document.querySelectorAll(arguments[0]).length",
                                 pane(session_id) + " [data-testid=claude-result]", timeout=60, what="the big answer")
    markers = "*a _b [d ~~e **f __g " * 4000 + "`h"  # (none closes: shown as written)
    box = chat.driver.find_element(By.CSS_SELECTOR, pane(session_id) + " [data-testid=claude-input]")
    chat.js("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))", box, markers)  # (pasted)
    box.send_keys(Keys.ENTER)
    wait_results(chat, session_id, 2, timeout=60)
    started = time.monotonic()
    assert chat.js("return 1 + 1") == 2
    slowest = max(slowest, time.monotonic() - started)
    # A liveness check, not a benchmark: the page answered script calls all along.
    assert slowest < 3.0, f"the page stopped answering for {slowest:.2f} s"
    answers = chat.js("return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)",
                      pane(session_id) + " [data-testid=claude-assistant]")
    assert len(answers) == 2 and len(answers[0]) == 16 * (1 << 16) + 3 and answers[0].endswith("END"), [len(a) for a in answers]
    assert answers[1] == "You said: " + markers.strip(), answers[1][:200]


def test_markdown_renderer_shapes(chat):
    """The renderer itself (static/js/markdown.js) on the shapes answers use, as the page's DOM."""
    cases = {
        "fence": "Before\n\n```python\nprint('<b>')\n```\nAfter",
        "unclosed": "```\nstill streaming <i>",
        "lists": "- a\n- b\n  - b1\n  - b2\n- c\n\n3. three\n4. four",
        "table": "| x | y |\n|---|:-:|\n| 1 | **2** |",
        "inline": "a `c*d*` **b _i_** ~~s~~ snake_case_name a * b * c \\*lit\\*",
        "links": "[ok](https://a.example/x_y) [mail](mailto:m@a.example) [js](javascript:alert(1)) [data](data:text/html,x)"
                 " [rel](/api/sessions) https://b.example/p_q.",
        "blocks": "# Title\n\n> quoted *text*\n\n---\nline one  \nline two",
    }
    html = chat.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        import('/js/markdown.js').then(({ renderMarkdown }) => {
          const out = {};
          for (const [name, text] of Object.entries(arguments[0])) {
            const box = document.createElement('div');
            box.append(renderMarkdown(text));
            out[name] = box.innerHTML;  // (serialized here only to compare the shapes)
          }
          done(out);
        }).catch((error) => done({ error: String(error) }));
    """, cases)
    assert "error" not in html, html
    assert html["fence"] == ('<p>Before</p><pre class="md-code" data-language="python"><code>print(\'&lt;b&gt;\')</code></pre>'
                             '<p>After</p>'), html["fence"]
    assert html["unclosed"] == '<pre class="md-code"><code>still streaming &lt;i&gt;</code></pre>', html["unclosed"]
    assert html["lists"] == ('<ul><li>a</li><li>b<ul><li>b1</li><li>b2</li></ul></li><li>c</li></ul>'
                             '<ol start="3"><li>three</li><li>four</li></ol>'), html["lists"]
    assert html["table"] == ('<div class="md-table"><table><thead><tr><th>x</th><th>y</th></tr></thead>'
                             '<tbody><tr><td>1</td><td><strong>2</strong></td></tr></tbody></table></div>'), html["table"]
    assert html["inline"] == ('<p>a <code>c*d*</code> <strong>b <em>i</em></strong> <del>s</del> snake_case_name '
                              'a * b * c *lit*</p>'), html["inline"]
    links = ' target="_blank" rel="noopener noreferrer nofollow"'
    assert html["links"] == (f'<p><a href="https://a.example/x_y"{links}>ok</a> <a href="mailto:m@a.example"{links}>mail</a> '
                             '[js](javascript:alert(1)) [data](data:text/html,x) [rel](/api/sessions) '
                             f'<a href="https://b.example/p_q"{links}>https://b.example/p_q</a>.</p>'), html["links"]
    assert html["blocks"] == ('<h3 class="md-heading">Title</h3><blockquote><p>quoted <em>text</em></p></blockquote>'
                              '<hr><p>line one<br>line two</p>'), html["blocks"]
