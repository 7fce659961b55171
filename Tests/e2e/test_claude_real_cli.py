"""The fake `claude` against the real Claude Code CLI, offline (no credentials, no network needed):
argument errors, the stream-json shapes of a turn (not logged in), unknown --resume, --session-id
reuse, and one Dispatch session running the real CLI end to end. Skipped when the real CLI is absent:
set REAL_CLAUDE_BIN, or install the PyPI wheel `claude-agent-sdk`, which ships it."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

from support.gateway import finish_gateway, make_gateway
from support.claude import FAKE_CLAUDE, create_claude, wait_result
from support.polling import wait_until


def real_cli() -> str | None:
    if os.environ.get("REAL_CLAUDE_BIN"):
        return os.environ["REAL_CLAUDE_BIN"]
    spec = importlib.util.find_spec("claude_agent_sdk")
    if spec and spec.origin:
        bundled = Path(spec.origin).parent / "_bundled" / "claude"
        if bundled.exists():
            return str(bundled)
    return None


REAL = real_cli()
pytestmark = pytest.mark.skipif(REAL is None, reason="the real Claude Code CLI is not installed "
                                "(set REAL_CLAUDE_BIN or pip install claude-agent-sdk); the fake stands alone")
STREAM = ["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose"]
USER_LINE = json.dumps({"type": "user", "message": {"role": "user", "content": "hello"}, "parent_tool_use_id": None,
                        "session_id": "default"}) + "\n"


@pytest.fixture
def run(tmp_path):
    """Runs a CLI (real or fake) offline in a scratch folder with its own config folder."""
    home = tmp_path / "home"
    home.mkdir()

    def go(cli: str, args: list[str], stdin: str = "", config: str = "cfg"):
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "CLAUDE_CONFIG_DIR": str(tmp_path / config),
               "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
        done = subprocess.run([cli, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=home, env=env)
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        return done.returncode, lines, done.stderr

    return go


@pytest.mark.parametrize("args", [
    ["-p", "--output-format", "stream-json", "hi"],
    ["-p", "--input-format", "stream-json", "--output-format", "text"],
    ["-p", "--permission-mode", "yolo", "hi"],
    [*STREAM, "--session-id", "not-a-uuid"],
])
def test_argument_errors_match(run, args):
    real, fake = run(REAL, args), run(str(FAKE_CLAUDE), args)
    assert real[0] == fake[0] == 1
    assert real[2].strip() == fake[2].strip(), (real[2], fake[2])


def test_a_turn_has_the_same_shapes(run):
    code, real, _ = run(REAL, [*STREAM, "--include-partial-messages", "--session-id", "5f0c1111-2222-4333-8444-555566667777",
                                "--permission-mode=default", "--permission-prompt-tool", "stdio"], USER_LINE, "real")
    _, fake, _ = run(str(FAKE_CLAUDE), [*STREAM, "--include-partial-messages", "--session-id", "5f0c1111-2222-4333-8444-555566667777",
                                        "--permission-mode=default", "--permission-prompt-tool", "stdio"], USER_LINE, "fake")
    for lines in (real, fake):
        init = lines[0]
        assert (init["type"], init["subtype"]) == ("system", "init")
        assert {"cwd", "session_id", "tools", "mcp_servers", "model", "permissionMode", "apiKeySource", "claude_code_version",
                "uuid"} <= set(init), init.keys()
        assert init["session_id"] == "5f0c1111-2222-4333-8444-555566667777" and init["apiKeySource"] == "none"
        assistant = next(line for line in lines if line["type"] == "assistant")
        assert {"message", "session_id", "uuid", "parent_tool_use_id"} <= set(assistant)
        result = lines[-1]
        assert result["type"] == "result"
        assert {"subtype", "duration_ms", "duration_api_ms", "is_error", "num_turns", "session_id", "total_cost_usd", "usage"} <= set(result)
    # the real one is not logged in here
    assert code == 1 and real[-1]["is_error"] is True
    assert any(line.get("error") == "authentication_failed" for line in real if line["type"] == "assistant")


def test_resume_and_session_id_errors_match(run):
    missing = "0b7d1e6e-0000-4000-8000-000000000000"
    for cli in (REAL, str(FAKE_CLAUDE)):
        code, lines, stderr = run(cli, [*STREAM, f"--resume={missing}"], "")
        assert code == 1 and stderr.strip() == f"No conversation found with session ID: {missing}"
        assert lines[-1]["subtype"] == "error_during_execution" and lines[-1]["errors"] == [stderr.strip()]
    used = "5f0c2222-2222-4333-8444-555566667777"
    for cli, config in ((REAL, "real2"), (str(FAKE_CLAUDE), "fake2")):
        run(cli, [*STREAM, "--session-id", used], USER_LINE, config)
        code, _, stderr = run(cli, [*STREAM, "--session-id", used], USER_LINE, config)
        assert code == 1 and stderr.strip() == f"Error: Session ID {used} is already in use."


def test_a_dispatch_session_runs_the_real_cli(tmp_path_factory):
    config = tmp_path_factory.mktemp("real-claude-config")
    gw = make_gateway(tmp_path_factory, "real-claude", extra_env={"CLAUDE_BIN": REAL, "CLAUDE_CONFIG_DIR": str(config)})
    try:
        ws = gw.ws(cookie=gw.login())
        run_id = create_claude(ws)["id"]
        ws.send({"type": "run:input", "runId": run_id, "data": "hello"})
        result = wait_result(ws, run_id, timeout=120)[0]["payload"]
        assert result["is_error"] is True  # not logged in
        channels = [e["channel"] for e in ws.events(run_id)]
        assert "claude:user" in channels and "claude:message" in channels
        ws.close()
    finally:
        finish_gateway(gw)


def test_the_browser_login_reads_the_real_setup_token_screens(tmp_path_factory):
    """The real `claude setup-token` on the gateway's hidden pty: its sign-in URL is found (OSC-8 link and
    cursor-positioned words), and a code typed back gets the CLI's own answer, an error here offline."""
    gw = make_gateway(tmp_path_factory, "real-claude-login", extra_env={"CLAUDE_BIN": REAL})
    try:
        cookie = gw.login()
        code, _, body = gw.request("POST", "/api/claude/auth/start", auth=cookie)
        assert code == 202, body
        waiting = wait_until(lambda: (lambda s: s if s["state"] in ("waiting_for_code", "error") else None)(
            gw.request("GET", "/api/claude/auth/status", auth=cookie)[2]), 60, "the sign-in URL")
        assert waiting["state"] == "waiting_for_code", waiting
        assert waiting["url"].startswith("https://claude.ai/oauth/authorize?"), waiting["url"]
        code, _, body = gw.request("POST", "/api/claude/auth/code", {"code": "not-a-real-code#state"}, auth=cookie)
        assert code == 202, body
        failed = wait_until(lambda: (lambda s: s if s["state"] in ("error", "authenticated") else None)(
            gw.request("GET", "/api/claude/auth/status", auth=cookie)[2]), 90, "the CLI's answer to the code")
        assert failed["state"] == "error" and "OAuth error" in failed["error"], failed
    finally:
        finish_gateway(gw)
