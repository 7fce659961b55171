"""Claude sessions on gateways of their own: a missing CLI, Claude as the terminal program, credentials
that reach only the CLI, and conversations carried over a gateway restart (a new run on the same home, or
SIGUSR2 with the CLI adopted as it runs)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from support.claude import FAKE_CLAUDE, create_claude, invocations_in, wait_result
from support.gateway import GatewayProcess, finish_gateway
from support.polling import wait_until
from support.processes import parent_pid
from support.rest import descriptor


def test_missing_cli_is_a_clear_error(own_gateway):
    gw = own_gateway(extra_env={"CLAUDE_BIN": "/nonexistent/claude"})
    cookie = gw.login()
    status, _, body = gw.request("POST", "/api/sessions", {"kind": "claude", "workspace": "w"}, auth=cookie)
    assert status == 400 and "CLAUDE_BIN" in body["error"] and "not found" in body["error"], body
    gw.assert_serving()


def test_pty_mode_claude_runs_the_tui_or_falls_back_to_a_shell(own_gateway):
    gw = own_gateway(extra_env={"PTY_MODE": "claude", "CLAUDE_BIN": str(FAKE_CLAUDE)})
    ws = gw.ws(cookie=gw.login())
    run_id = ws.ok("create", kind="pty", workspace="tui")["runId"]
    ws.ok("run:attach", runId=run_id, afterSeq=0)
    ws.wait_output(run_id, "Claude Code (fake TUI)")
    ws.send({"type": "run:input", "runId": run_id, "data": "hi tui\r"})
    ws.wait_output(run_id, "fake claude heard: hi tui")
    ws.close()

    missing = own_gateway(extra_env={"PTY_MODE": "claude", "CLAUDE_BIN": "no-such-claude-here"})
    ws = missing.ws(cookie=missing.login())
    run_id = ws.ok("create", kind="pty", workspace="tui")["runId"]
    ws.ok("run:attach", runId=run_id, afterSeq=0)
    first = ws.wait_event(run_id, lambda e: e["channel"] == "pty:stdout", 10, "the notice")
    assert first["payload"] == "[no-such-claude-here not found on PATH: started a shell]\r\n"
    ws.send({"type": "run:input", "runId": run_id, "data": "echo shell-$((2+3))\n"})
    ws.wait_output(run_id, "shell-5")
    ws.close()


def test_credentials_reach_only_the_claude_process(own_gateway, tmp_path):
    secret = "sk-ant-api03-test-" + os.urandom(8).hex()
    gw = own_gateway(extra_env={"CLAUDE_BIN": str(FAKE_CLAUDE), "ANTHROPIC_API_KEY": secret,
                                "CLAUDE_CONFIG_DIR": str(tmp_path / "cfg")})
    cookie = gw.login()
    ws = gw.ws(cookie=cookie)
    run_id = create_claude(ws)["id"]
    ws.send({"type": "run:input", "runId": run_id, "data": "who am i"})
    wait_result(ws, run_id)
    init = next(e["payload"] for e in ws.events(run_id) if e["channel"] == "claude:message" and e["payload"]["type"] == "system")
    assert init["apiKeySource"] == "ANTHROPIC_API_KEY"
    cli_pid = descriptor(gw, run_id, auth=cookie)["meta"]["pid"]
    worker_pid = parent_pid(cli_pid)
    assert secret.encode() in Path(f"/proc/{cli_pid}/environ").read_bytes()
    assert secret.encode() not in Path(f"/proc/{worker_pid}/environ").read_bytes()
    for pid in gw.descendants():
        try:
            assert secret.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes(), f"argv of {pid}"
        except FileNotFoundError:
            pass
    shell = ws.ok("create", kind="pty", workspace="w")["runId"]
    ws.ok("run:attach", runId=shell, afterSeq=0)
    ws.send({"type": "run:input", "runId": shell, "data": "echo leaked=$(env | grep -c ANTHROPIC_API_KEY)\n"})
    ws.wait_output(shell, "leaked=0")
    ws.close()
    assert secret not in gw.log_text()


def test_a_session_of_an_earlier_gateway_run_reopens_into_its_conversation(tmp_path):
    env = {"CLAUDE_BIN": str(FAKE_CLAUDE), "CLAUDE_CONFIG_DIR": str(tmp_path / "cfg")}
    first = GatewayProcess(tmp_path, extra_env=env)
    ws = first.ws(cookie=first.login())
    session = create_claude(ws, permissionMode="acceptEdits", model="haiku")
    run_id, conversation = session["id"], session["meta"]["claudeSessionId"]
    ws.send({"type": "run:input", "runId": run_id, "data": "before the gateway restart"})
    wait_result(ws, run_id)
    ws.close()
    finish_gateway(first)

    second = GatewayProcess(tmp_path, key=first.key, extra_env=env)
    try:
        ws = second.ws(cookie=second.login())
        reply = ws.ok("run:restart", runId=run_id)
        assert reply["session"]["meta"]["claudeSessionId"] == conversation
        assert reply["session"]["meta"]["permissionMode"] == "acceptEdits" and reply["session"]["meta"]["model"] == "haiku"
        ws.ok("run:attach", runId=run_id, afterSeq=0)
        ws.send({"type": "run:input", "runId": run_id, "data": "after the gateway restart"})
        assert wait_result(ws, run_id, 2)[-1]["payload"]["session_id"] == conversation
        argv = invocations_in(tmp_path / "cfg")[-1]["argv"]
        assert argv[7] == f"--resume={conversation}" and "--permission-mode=acceptEdits" in argv and "--model=haiku" in argv
        seqs = [e["seq"] for e in ws.events(run_id)]
        assert seqs == list(range(1, len(seqs) + 1))
        ws.close()
    finally:
        finish_gateway(second)


def test_a_claude_session_lives_through_a_gateway_restart(gateways, tmp_path):
    """SIGUSR2 keeps the CLI running in its worker; the next gateway adopts it and goes on translating
    its lines into claude:* events (not raw terminal output), in one gapless stream."""
    env = {"CLAUDE_BIN": str(FAKE_CLAUDE), "CLAUDE_CONFIG_DIR": str(tmp_path / "cfg")}
    first = gateways.start(extra_env=env)
    ws = first.ws(cookie=first.login())
    session = create_claude(ws)
    run_id, conversation = session["id"], session["meta"]["claudeSessionId"]
    ws.send({"type": "run:input", "runId": run_id, "data": "before the restart"})
    wait_result(ws, run_id)
    cli_pid = session["meta"].get("pid") or descriptor(first, run_id, auth=first.login())["meta"]["pid"]
    ws.close()
    os.kill(first.proc.pid, signal.SIGUSR2)
    assert first.proc.wait(15) == 0

    second = gateways.start(home=first.home, key=first.key, extra_env=env)
    ws = second.ws(cookie=second.login())
    ws.ok("run:attach", runId=run_id, afterSeq=0)
    wait_until(lambda: descriptor(second, run_id, auth=second.login())["status"] == "running", 15, "the session adopted")
    ws.send({"type": "run:input", "runId": run_id, "data": "after the restart"})
    results = wait_result(ws, run_id, 2)
    assert results[-1]["payload"]["session_id"] == conversation
    assert descriptor(second, run_id, auth=second.login())["meta"]["pid"] == cli_pid, "the same CLI process"
    events = ws.events(run_id)
    assert not [e for e in events if e["channel"] == "pty:stdout"], "Claude's lines were translated after adoption"
    assert [e["payload"]["text"] for e in events if e["channel"] == "claude:user"] == ["before the restart", "after the restart"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    ws.close()


def test_a_permission_request_pending_over_a_gateway_restart_can_still_be_answered(gateways, tmp_path):
    """The CLI waits on its request while the gateway restarts; the next gateway knows the request from
    the stored meta, so the user's answer still reaches the CLI and the turn completes."""
    env = {"CLAUDE_BIN": str(FAKE_CLAUDE), "CLAUDE_CONFIG_DIR": str(tmp_path / "cfg")}
    first = gateways.start(extra_env=env)
    ws = first.ws(cookie=first.login())
    run_id = create_claude(ws)["id"]
    ws.send({"type": "run:input", "runId": run_id, "data": "ask first"})
    asked = ws.wait_event(run_id, lambda e: e["channel"] == "claude:permission", 10, "a permission request")["payload"]
    ws.close()
    os.kill(first.proc.pid, signal.SIGUSR2)
    assert first.proc.wait(15) == 0

    second = gateways.start(home=first.home, key=first.key, extra_env=env)
    cookie = second.login()
    ws = second.ws(cookie=cookie)
    ws.ok("run:attach", runId=run_id, afterSeq=0)
    wait_until(lambda: descriptor(second, run_id, auth=cookie)["status"] == "running", 15, "the session adopted")
    assert [p["requestId"] for p in descriptor(second, run_id, auth=cookie)["meta"]["pendingPermissions"]] == [asked["requestId"]]
    ws.ok("claude:permission", runId=run_id, requestId=asked["requestId"], behavior="allow")
    assert wait_result(ws, run_id)[0]["payload"]["result"] == "The command printed: hi"
    ws.close()

