"""Login to Claude from the browser: `claude setup-token` on a pty in a hidden session, driven through
/api/claude/auth. The CLI is the fake in Tests/Fixtures/claude/setup_token.py, run through a launcher
written per test (the session's environment is an allow-list, so the launcher sets the fake's knobs)."""

from __future__ import annotations

import re
import stat
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from support.gateway import GatewayProcess, finish_gateway
from support.polling import wait_until

FIXTURES = Path(__file__).resolve().parents[1] / "Fixtures" / "claude"
INVALID = "OAuth error: Invalid code. Please make sure the full code was copied"


def launcher(folder: Path, **fake_env: str) -> Path:
    """A `claude` that runs the fake setup-token with `fake_env`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "claude"
    settings = "".join(f"{name}={value} " for name, value in fake_env.items())
    path.write_text("#!/bin/sh\n"
                    f"{settings}exec {sys.executable} -c 'import sys; sys.path.insert(0, \"{FIXTURES}\"); "
                    "import setup_token; sys.exit(setup_token.main(sys.argv[1:]))' \"$@\"\n")
    path.chmod(0o755)
    return path


def status(gw, cookie) -> dict:
    code, _, body = gw.request("GET", "/api/claude/auth/status", auth=cookie)
    assert code == 200, (code, body)
    return body


def wait_state(gw, cookie, state: str, timeout: float = 15.0) -> dict:
    return wait_until(lambda: (lambda s: s if s["state"] == state else None)(status(gw, cookie)), timeout,
                      f"the Claude login state {state!r}")


def start_login(gw, cookie) -> dict:
    code, _, body = gw.request("POST", "/api/claude/auth/start", auth=cookie)
    assert code == 202 and body["state"] in ("starting", "waiting_for_code"), (code, body)
    waiting = wait_state(gw, cookie, "waiting_for_code")
    assert waiting["codeSent"] is False and waiting["sessionId"] == body["sessionId"]
    return waiting


def callback_code(url: str) -> str:
    """What the callback page shows after signing in: `<code>#<state>`."""
    return "authcode-123#" + parse_qs(urlparse(url).query)["state"][0]


def processes_of(gw) -> list[int]:
    return [gw.proc.pid] + gw.descendants()


def read_proc(pid: int, name: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes()
    except OSError:
        return b""


def test_login_success_stores_the_token_privately_and_never_shows_it(tmp_path, own_gateway):
    record = tmp_path / "printed-token"
    gw = own_gateway(extra_env={"CLAUDE_BIN": str(launcher(tmp_path / "bin", FAKE_SETUP_TOKEN_RECORD=str(record)))})
    cookie = gw.login()
    answers = [status(gw, cookie)]
    assert answers[0] == {"state": "none"}

    waiting = start_login(gw, cookie)
    answers.append(waiting)
    url = waiting["url"]
    assert url.startswith("https://claude.ai/oauth/authorize?") and "code_challenge_method=S256" in url, url
    run_id = waiting["sessionId"]

    # The login's stream says the same as the status, and nothing else: no terminal output.
    ws = gw.ws(cookie=cookie)
    ws.ok("run:attach", runId=run_id, afterSeq=0)
    event = ws.wait_event(run_id, lambda e: e["channel"] == "claude:auth" and e["payload"]["state"] == "waiting_for_code",
                          what="the claude:auth event with the URL")
    assert event["payload"]["url"] == url
    # It is no terminal: not listed, not described, not typed into, resized or closed.
    assert run_id not in [s["id"] for s in ws.ok("list")["sessions"]]
    code, _, listed = gw.request("GET", "/api/sessions", auth=cookie)
    assert run_id not in [s["id"] for s in listed["sessions"]]
    assert gw.request("GET", f"/api/sessions/{run_id}", auth=cookie)[0] == 404
    assert gw.request("DELETE", f"/api/sessions/{run_id}", auth=cookie)[0] == 404
    for request in ({"type": "run:input", "data": "x\r"}, {"type": "run:resize", "cols": 80, "rows": 24}, {"type": "run:close"}):
        reply = ws.request(request.pop("type"), runId=run_id, **request)
        assert reply["ok"] is False and run_id in reply["error"], reply

    code, _, body = gw.request("POST", "/api/claude/auth/code", {"code": callback_code(url)}, auth=cookie)
    assert code == 202 and body["state"] == "waiting_for_code" and body["codeSent"] is True, (code, body)
    answers.append(body)
    code, _, again = gw.request("POST", "/api/claude/auth/code", {"code": callback_code(url)}, auth=cookie)
    assert code == 409, "a second code while the first is checked"
    done = wait_state(gw, cookie, "authenticated")
    assert done["method"] == "oauth_token"
    ws.wait_event(run_id, lambda e: e["channel"] == "claude:auth" and e["payload"]["state"] == "authenticated",
                  what="the claude:auth event of the success")
    assert {e["channel"] for e in ws.events(run_id)} == {"claude:auth"}, ws.events(run_id)
    # Numbered 1, 2, 3... as in every session: the terminal output kept back leaves no gaps.
    ws.drain()
    seqs = [e["seq"] for e in ws.events(run_id)]
    assert len(seqs) >= 3 and seqs == list(range(1, len(seqs) + 1)), seqs
    code, _, history = gw.request("GET", f"/api/sessions/{run_id}/events", auth=cookie)
    assert code == 200 and [(e["seq"], e["channel"]) for e in history["events"]] == [(n, "claude:auth") for n in seqs], history
    code, _, later = gw.request("GET", f"/api/sessions/{run_id}/events?after=1", auth=cookie)
    assert code == 200 and [e["seq"] for e in later["events"]] == seqs[1:], later

    token = record.read_text()
    assert re.fullmatch(r"sk-ant-oat01-FAKE[A-Za-z0-9_]{90,}", token), token
    token_file = gw.home / "claude-oauth-token"
    assert token_file.read_text() == token + "\n"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert [p.name for p in gw.home.iterdir() if p.name.startswith("claude-oauth-token.")] == [], "a temporary file was left"

    # A terminal session runs meanwhile: its worker and shell are checked too.
    run = ws.ok("create", kind="pty", workspace="login", cols=80, rows=24)["runId"]
    ws.ok("run:attach", runId=run, afterSeq=0)
    ws.wait_event(run, lambda e: e["channel"] == "pty:stdout", what="the shell's prompt")
    for pid in processes_of(gw):
        assert token.encode() not in read_proc(pid, "cmdline"), f"the token is in the argv of {pid}"
        assert token.encode() not in read_proc(pid, "environ"), f"the token is in the environment of {pid}"
    for path in ("/api/claude/auth/status", "/api/sessions", f"/api/sessions/{run_id}/events", "/metrics", "/health"):
        answers.append(gw.request("GET", path, auth=cookie)[2])
    assert all(token not in str(answer) for answer in answers)
    assert all(token not in str(message) for message in ws.messages)
    ws.close()
    assert token not in gw.log_text()
    gw.assert_serving()

    # After a restart the stored token still counts.
    finish_gateway(gw)
    restarted = GatewayProcess(gw.tmp, key=gw.key, extra_env={"CLAUDE_BIN": "/nonexistent/claude"})
    try:
        cookie = restarted.login()
        assert status(restarted, cookie) == {"state": "authenticated", "method": "oauth_token"}
        code, _, body = restarted.request("DELETE", "/api/claude/auth", auth=cookie)
        assert code == 200 and body == {"state": "none"}, (code, body)
        assert not token_file.exists()
        assert status(restarted, cookie) == {"state": "none"}
    finally:
        finish_gateway(restarted)
    assert token not in restarted.log_text()


def test_an_invalid_code_is_an_error_and_the_user_may_start_again(tmp_path, own_gateway):
    gw = own_gateway(extra_env={"CLAUDE_BIN": str(launcher(tmp_path / "bin"))})
    cookie = gw.login()
    waiting = start_login(gw, cookie)
    code, _, _ = gw.request("POST", "/api/claude/auth/code", {"code": "authcode-123#not-the-state"}, auth=cookie)
    assert code == 202
    failed = wait_state(gw, cookie, "error")
    assert failed["error"] == INVALID
    assert gw.request("POST", "/api/claude/auth/code", {"code": callback_code(waiting["url"])}, auth=cookie)[0] == 409
    # The CLI waiting at "Press Enter to retry" was ended.
    wait_until(lambda: not [p for p in gw.descendants() if b"setup_token" in read_proc(p, "cmdline")], 10,
               "the failed login's CLI to end")

    again = start_login(gw, cookie)
    assert again["sessionId"] != waiting["sessionId"] and again["url"] != waiting["url"]
    gw.request("POST", "/api/claude/auth/code", {"code": callback_code(again["url"])}, auth=cookie)
    assert wait_state(gw, cookie, "authenticated")["method"] == "oauth_token"
    # The earlier login's stream is gone with it.
    assert gw.request("GET", f"/api/sessions/{waiting['sessionId']}/events", auth=cookie)[0] == 404
    gw.assert_serving()


def test_a_cli_that_shows_no_url_times_out(tmp_path, own_gateway):
    gw = own_gateway(extra_env={"CLAUDE_BIN": str(launcher(tmp_path / "bin", FAKE_SETUP_TOKEN_HANG="1")),
                                "DISPATCH_CLAUDE_LOGIN_TIMEOUT_SECONDS": "2"})
    cookie = gw.login()
    code, _, body = gw.request("POST", "/api/claude/auth/start", auth=cookie)
    assert code == 202 and body["state"] == "starting", (code, body)
    failed = wait_state(gw, cookie, "error", timeout=20)
    assert failed["error"] == "claude setup-token showed no sign-in URL within 2 s"
    wait_until(lambda: not [p for p in gw.descendants() if b"setup_token" in read_proc(p, "cmdline")], 10,
               "the hung CLI to be ended")
    gw.assert_serving()


def test_an_older_cli_with_a_plain_url_works_too(tmp_path, own_gateway):
    gw = own_gateway(extra_env={"CLAUDE_BIN": str(launcher(tmp_path / "bin", FAKE_SETUP_TOKEN_PLAIN_URL="1"))})
    cookie = gw.login()
    waiting = start_login(gw, cookie)
    assert waiting["url"].startswith("https://claude.ai/oauth/authorize?") and "&state=" in waiting["url"]
    gw.request("POST", "/api/claude/auth/code", {"code": callback_code(waiting["url"])}, auth=cookie)
    assert wait_state(gw, cookie, "authenticated")["method"] == "oauth_token"


def test_the_wait_for_the_code_times_out_too(tmp_path, own_gateway):
    gw = own_gateway(extra_env={"CLAUDE_BIN": str(launcher(tmp_path / "bin")), "DISPATCH_CLAUDE_LOGIN_TIMEOUT_SECONDS": "3"})
    cookie = gw.login()
    start_login(gw, cookie)
    failed = wait_state(gw, cookie, "error", timeout=20)
    assert failed["error"] == "no code was entered within 3 s; start the login again"


def test_a_missing_cli_is_a_clear_error(tmp_path, own_gateway):
    for binary in ("/nonexistent/claude", "claude-not-installed-anywhere"):
        gw = own_gateway(extra_env={"CLAUDE_BIN": binary})
        cookie = gw.login()
        code, _, body = gw.request("POST", "/api/claude/auth/start", auth=cookie)
        message = f"claude CLI not found (CLAUDE_BIN={binary})"
        assert code == 503 and body == {"error": message}, (code, body)
        assert status(gw, cookie) == {"state": "error", "error": message}
        code, _, body = gw.request("DELETE", "/api/claude/auth", auth=cookie)
        assert code == 200 and body == {"state": "none"}
        gw.assert_serving()


def test_bad_codes_are_400_and_a_code_without_a_login_is_409(tmp_path, own_gateway):
    gw = own_gateway(extra_env={"CLAUDE_BIN": str(launcher(tmp_path / "bin"))})
    cookie = gw.login()
    code, _, body = gw.request("POST", "/api/claude/auth/code", {"code": "authcode-123#state"}, auth=cookie)
    assert code == 409 and "no Claude login is waiting" in body["error"], (code, body)
    start_login(gw, cookie)
    for bad in ({"code": ""}, {"code": 12}, {}, b"not json", {"code": "abc\r"}, {"code": "abc\x1b[A"},
                {"code": "abc\u0085"}, {"code": "x" * 2049}):
        code, _, body = gw.request("POST", "/api/claude/auth/code", bad, auth=cookie)
        assert code == 400 and "code" in body["error"], (bad, code, body)
    assert status(gw, cookie)["codeSent"] is False, "a refused code reached the CLI"
    for method, path in (("GET", "/api/claude/auth/start"), ("GET", "/api/claude/auth/code"), ("POST", "/api/claude/auth/status"),
                         ("GET", "/api/claude/auth")):
        assert gw.request(method, path, auth=cookie)[0] == 405, (method, path)
    assert gw.request("GET", "/api/claude/auth/other", auth=cookie)[0] == 404
    gw.assert_serving()


def test_the_routes_need_a_login_and_our_origin(tmp_path, own_gateway):
    gw = own_gateway(extra_env={"CLAUDE_BIN": str(launcher(tmp_path / "bin"))})
    for method, path in (("GET", "/api/claude/auth/status"), ("POST", "/api/claude/auth/start"),
                         ("POST", "/api/claude/auth/code"), ("DELETE", "/api/claude/auth")):
        assert gw.request(method, path)[0] == 401, (method, path)
    cookie = gw.login()
    for method, path in (("POST", "/api/claude/auth/start"), ("DELETE", "/api/claude/auth")):
        code, _, _ = gw.request(method, path, headers={"Cookie": cookie, "Origin": "http://evil.example"})
        assert code == 403, (method, path)
    assert status(gw, cookie) == {"state": "none"}, "a cross-site request started a login"
    code, _, body = gw.request("GET", "/api/claude/auth/status", auth="bearer")
    assert code == 200 and body == {"state": "none"}


def test_an_api_key_in_the_environment_counts_as_signed_in(own_gateway):
    secret = "sk-ant-api03-" + "k" * 40
    gw = own_gateway(extra_env={"ANTHROPIC_API_KEY": secret, "CLAUDE_BIN": "/nonexistent/claude"})
    cookie = gw.login()
    body = status(gw, cookie)
    assert body == {"state": "authenticated", "method": "api_key"}
    assert secret not in gw.log_text()
