"""Claude sessions end to end on one gateway of this module: real workers running the fake `claude` CLI
(Tests/Fixtures/claude/claude), which records the arguments it got and keeps transcripts under
CLAUDE_CONFIG_DIR. Turns, interrupts, permissions, resuming, errors of the CLI, and conversation lists."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from support.claude import FAKE_CLAUDE, create_claude, invocations_in, wait_result
from support.gateway import finish_gateway, make_gateway
from support.polling import wait_until
from support.processes import parent_pid
from support.rest import descriptor


@pytest.fixture(scope="module")
def claude_gw(tmp_path_factory):
    config = tmp_path_factory.mktemp("claude-config")
    gw = make_gateway(tmp_path_factory, "claude-gateway",
                      extra_env={"CLAUDE_BIN": str(FAKE_CLAUDE), "CLAUDE_CONFIG_DIR": str(config)})
    gw.claude_config = config
    yield gw
    finish_gateway(gw)


@pytest.fixture
def cws(claude_gw):
    ws = claude_gw.ws(cookie=claude_gw.login())
    yield ws
    ws.close()


def invocations(gw) -> list[dict]:
    return invocations_in(Path(gw.claude_config))


def wait_stopped(ws, run_id, timeout=10.0):
    """Waits for the session's next stop (after every event seen so far)."""
    seen = max([e["seq"] for e in ws.events(run_id)], default=0)
    return ws.wait_event(run_id, lambda e: e["seq"] > seen and e["channel"] == "system:status"
                         and e["payload"]["status"] in ("stopped", "error"), timeout, "the session to stop")


def test_two_turns_arrive_as_ordered_events(claude_gw, cws):
    session = create_claude(cws)
    run_id = session["id"]
    meta = session["meta"]
    assert meta["permissionMode"] == "default" and meta["pendingPermissions"] == []
    conversation = meta["claudeSessionId"]
    cws.send({"type": "run:input", "runId": run_id, "data": "hello there"})
    first = wait_result(cws, run_id)[0]
    assert first["payload"]["result"] == "You said: hello there"
    assert first["payload"]["total_cost_usd"] > 0
    cws.send({"type": "run:input", "runId": run_id, "data": "second turn"})
    wait_result(cws, run_id, 2)
    events = cws.events(run_id)
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    kinds = [(e["channel"], e["payload"].get("type") if isinstance(e["payload"], dict) else None) for e in events]
    users = [i for i, (channel, _) in enumerate(kinds) if channel == "claude:user"]
    results = [i for i, (channel, _) in enumerate(kinds) if channel == "claude:result"]
    assert len(users) == 2 and users[0] < results[0] < users[1] < results[1], kinds
    assert events[users[1]]["payload"] == {"text": "second turn"}
    between = [k for k in kinds[users[0] + 1:results[0]] if k[0] != "system:status"]
    assert between[0] == ("claude:message", "system"), between
    assert ("claude:message", "stream_event") in between and ("claude:message", "assistant") in between
    # the result is also a claude:message, right before the claude:result
    assert kinds[results[0] - 1] == ("claude:message", "result")
    assert all(e["payload"]["session_id"] == conversation for e in events if e["channel"] == "claude:message")
    argv = invocations(claude_gw)[-1]["argv"]
    assert argv[:7] == ["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--include-partial-messages"]
    assert ["--session-id", conversation] == argv[7:9]
    assert "--permission-prompt-tool" in argv


def test_interrupt_stops_the_turn_and_the_process_stays(claude_gw, cws):
    run_id = create_claude(cws)["id"]
    cws.send({"type": "run:input", "runId": run_id, "data": "slow please"})
    cws.wait_event(run_id, lambda e: e["channel"] == "claude:message" and e["payload"].get("type") == "stream_event"
                   and e["payload"]["event"].get("type") == "content_block_delta", 10, "the first delta")
    cws.ok("run:interrupt", runId=run_id)
    result = wait_result(cws, run_id)[0]["payload"]
    assert result["subtype"] == "error_during_execution" and result["terminal_reason"] == "aborted_streaming"
    messages = [e["payload"] for e in cws.events(run_id) if e["channel"] == "claude:message"]
    assert any(m["type"] == "control_response" for m in messages)
    deltas = [m for m in messages if m["type"] == "stream_event" and m["event"]["type"] == "content_block_delta"]
    assert len(deltas) < 40, "the turn ran to its end"
    # the same process takes the next message; the REST interrupt answers too
    cws.send({"type": "run:input", "runId": run_id, "data": "still there?"})
    assert wait_result(cws, run_id, 2)[1]["payload"]["result"] == "You said: still there?"
    cookie = claude_gw.login()
    status, _, body = claude_gw.request("POST", f"/api/sessions/{run_id}/interrupt", auth=cookie)
    assert status == 200 and body == {}, body
    assert cws.request("run:interrupt", runId="no-such-session")["ok"] is False


def test_killed_worker_restarts_and_resumes_the_conversation(claude_gw, cws):
    session = create_claude(cws)
    run_id, conversation = session["id"], session["meta"]["claudeSessionId"]
    cws.send({"type": "run:input", "runId": run_id, "data": "remember me"})
    wait_result(cws, run_id)
    cookie = claude_gw.login()
    cli_pid = descriptor(claude_gw, run_id, auth=cookie)["meta"]["pid"]
    os.kill(parent_pid(cli_pid), signal.SIGKILL)
    cws.wait_event(run_id, lambda e: e["channel"] == "system:status" and e["payload"]["status"] == "restarted", 15, "the restart")
    cws.send({"type": "run:input", "runId": run_id, "data": "after the restart"})
    results = wait_result(cws, run_id, 2)
    assert results[1]["payload"]["session_id"] == conversation
    argv = [i["argv"] for i in invocations(claude_gw) if f"--resume={conversation}" in i["argv"]]
    assert argv, "the restarted worker did not resume the conversation"
    assert descriptor(claude_gw, run_id, auth=cookie)["meta"]["claudeSessionId"] == conversation


def test_permission_requests_are_answered_over_websocket_and_rest(claude_gw, cws):
    cookie = claude_gw.login()
    run_id = create_claude(cws)["id"]
    cws.send({"type": "run:input", "runId": run_id, "data": "ask first"})
    asked = cws.wait_event(run_id, lambda e: e["channel"] == "claude:permission", 10, "a permission request")["payload"]
    assert asked["state"] == "pending" and asked["toolName"] == "Bash" and asked["input"]["command"] == "echo hi"
    assert asked["toolUseId"].startswith("toolu_")
    # a page reload sees it: in the descriptor and in the stored history
    pending = descriptor(claude_gw, run_id, auth=cookie)["meta"]["pendingPermissions"]
    assert [p["requestId"] for p in pending] == [asked["requestId"]]
    status, _, history = claude_gw.request("GET", f"/api/sessions/{run_id}/events?after=0&limit=1000", auth=cookie)
    assert any(e["channel"] == "claude:permission" for e in history["events"])
    assert not any(e["channel"] == "claude:message" and e["payload"]["type"] == "control_request" for e in history["events"])
    cws.ok("claude:permission", runId=run_id, requestId=asked["requestId"], behavior="allow")
    assert wait_result(cws, run_id)[0]["payload"]["result"] == "The command printed: hi"
    answered = [e["payload"] for e in cws.events(run_id) if e["channel"] == "claude:permission"][-1]
    assert answered == {"requestId": asked["requestId"], "state": "allowed"}
    again = cws.request("claude:permission", runId=run_id, requestId=asked["requestId"], behavior="deny")
    assert again["ok"] is False and "answered already" in again["error"]
    assert descriptor(claude_gw, run_id, auth=cookie)["meta"]["pendingPermissions"] == []

    # denied over REST, with a message the CLI hands to the model
    cws.send({"type": "run:input", "runId": run_id, "data": "ask again"})
    second = cws.wait_event(run_id, lambda e: e["channel"] == "claude:permission" and e["payload"]["state"] == "pending"
                            and e["payload"]["requestId"] != asked["requestId"], 10, "a second request")["payload"]
    path = f"/api/sessions/{run_id}/permissions/{second['requestId']}"
    assert claude_gw.request("POST", path, {"behavior": "maybe"}, auth=cookie)[0] == 400
    assert claude_gw.request("POST", f"/api/sessions/{run_id}/permissions/unknown-id", {"behavior": "deny"}, auth=cookie)[0] == 404
    status, _, body = claude_gw.request("POST", path, {"behavior": "deny", "message": "not on my machine"}, auth=cookie)
    assert status == 200, body
    assert wait_result(cws, run_id, 2)[1]["payload"]["result"] == "The tool was denied: not on my machine"
    status, _, body = claude_gw.request("POST", path, {"behavior": "allow"}, auth=cookie)
    assert status == 409, body


def test_bypass_mode_does_not_ask(claude_gw, cws):
    run_id = create_claude(cws, permissionMode="bypassPermissions", model="opus", maxTurns=3,
                           allowedTools=["Read", "Bash(git log:*)"], appendSystemPrompt="Be brief.")["id"]
    cws.send({"type": "run:input", "runId": run_id, "data": "ask nobody"})
    assert wait_result(cws, run_id)[0]["payload"]["result"] == "The command printed: hi"
    argv = invocations(claude_gw)[-1]["argv"]
    assert "--permission-prompt-tool" not in argv
    for flag in ["--permission-mode=bypassPermissions", "--model=opus", "--max-turns=3", "--allowedTools=Read,Bash(git log:*)",
                 "--append-system-prompt=Be brief."]:
        assert flag in argv, (flag, argv)


@pytest.mark.parametrize("options, needle", [
    ({"permissionMode": "yolo"}, "permissionMode"),
    ({"maxTurns": 0}, "maxTurns"),
    ({"model": "--dangerous"}, "model"),
    ({"allowedTools": "Read"}, "allowedTools"),
    ({"resume": "../etc"}, "resume"),
    ({"colour": "blue"}, "unknown option"),
])
def test_bad_options_are_refused_clearly(claude_gw, cws, options, needle):
    reply = cws.request("create", kind="claude", workspace="chat", options=options)
    assert reply["ok"] is False and needle in reply["error"], reply
    status, _, body = claude_gw.request("POST", "/api/sessions", {"kind": "claude", "workspace": "chat", "options": options},
                                        auth=claude_gw.login())
    assert status == 400 and needle in body["error"], body
    claude_gw.assert_serving()


def test_reopened_session_resumes_and_fresh_starts_anew(claude_gw, cws):
    session = create_claude(cws)
    run_id, conversation = session["id"], session["meta"]["claudeSessionId"]
    cws.send({"type": "run:input", "runId": run_id, "data": "before closing"})
    wait_result(cws, run_id)
    cws.ok("run:close", runId=run_id)
    wait_stopped(cws, run_id)
    last = cws.events(run_id)[-1]["seq"]
    reply = cws.ok("run:restart", runId=run_id)
    assert reply["session"]["meta"]["claudeSessionId"] == conversation
    cws.wait_event(run_id, lambda e: e["seq"] == last + 1, 10, "the next event after reopening")
    cws.send({"type": "run:input", "runId": run_id, "data": "after reopening"})
    result = wait_result(cws, run_id, 2)[1]["payload"]
    assert result["session_id"] == conversation
    assert invocations(claude_gw)[-1]["argv"][7] == f"--resume={conversation}"
    seqs = [e["seq"] for e in cws.events(run_id)]
    assert seqs == list(range(1, len(seqs) + 1))
    # a running session cannot be reopened; a fresh start gets a new conversation
    cookie = claude_gw.login()
    assert claude_gw.request("POST", f"/api/sessions/{run_id}/restart", {}, auth=cookie)[0] == 409
    cws.ok("run:close", runId=run_id)
    wait_stopped(cws, run_id)
    status, _, body = claude_gw.request("POST", f"/api/sessions/{run_id}/restart", {"fresh": True}, auth=cookie)
    assert status == 200 and body["meta"]["claudeSessionId"] != conversation, body
    fresh = ["--session-id", body["meta"]["claudeSessionId"]]
    wait_until(lambda: any(i["argv"][7:9] == fresh for i in invocations(claude_gw)), 10, "the fresh start")
    assert claude_gw.request("POST", "/api/sessions/nope/restart", {}, auth=cookie)[0] == 404


def test_reopened_terminal_gets_a_new_shell_in_its_workspace(claude_gw, cws):
    run_id = cws.ok("create", kind="pty", workspace="term")["runId"]
    cws.ok("run:attach", runId=run_id, afterSeq=0)
    cws.send({"type": "run:input", "runId": run_id, "data": "exit\n"})
    wait_stopped(cws, run_id)
    cws.ok("run:restart", runId=run_id)
    cws.send({"type": "run:input", "runId": run_id, "data": "pwd -P; echo reopened-$((6*7))\n"})
    text = cws.wait_output(run_id, "reopened-42")
    assert "/term" in text
    seqs = [e["seq"] for e in cws.events(run_id)]
    assert seqs == list(range(1, len(seqs) + 1))


def test_unknown_conversation_is_shown_and_a_fresh_start_works(claude_gw, cws):
    run_id = create_claude(cws, resume="0b7d1e6e-0000-4000-8000-000000000000")["id"]
    error = cws.wait_event(run_id, lambda e: e["channel"] == "claude:error", 10, "the error")["payload"]
    assert error["kind"] == "no_conversation" and "No conversation found" in error["message"]
    wait_stopped(cws, run_id)
    assert len([e for e in cws.events(run_id) if e["channel"] == "claude:error"]) == 1
    reply = cws.ok("run:restart", runId=run_id, fresh=True)
    cws.send({"type": "run:input", "runId": run_id, "data": "start over"})
    assert wait_result(cws, run_id, 2)[-1]["payload"]["session_id"] == reply["session"]["meta"]["claudeSessionId"]


def test_malformed_output_and_stderr_become_errors_and_the_session_goes_on(claude_gw, cws):
    run_id = create_claude(cws)["id"]
    cws.send({"type": "run:input", "runId": run_id, "data": "not-json and stderr please"})
    result = wait_result(cws, run_id)[0]["payload"]
    assert result["subtype"] == "success"
    # stderr is its own pipe: its line may come before or after the result
    cws.wait_event(run_id, lambda e: e["channel"] == "claude:error" and e["payload"]["kind"] == "stderr", 10, "the stderr line")
    errors = [e["payload"] for e in cws.events(run_id) if e["channel"] == "claude:error"]
    assert sorted(e["kind"] for e in errors) == ["not_json", "stderr"], errors
    assert any(e["message"] == "the CLI printed a line that is not a JSON message: this line is not JSON" for e in errors)
    assert any(e["message"] == "fake claude: a warning on stderr" for e in errors)


def test_a_crash_mid_turn_stops_the_session_with_the_torn_line_reported(claude_gw, cws):
    run_id = create_claude(cws)["id"]
    cws.send({"type": "run:input", "runId": run_id, "data": "crash now"})
    exit_event = cws.wait_event(run_id, lambda e: e["channel"] == "pty:exit", 10, "the CLI's exit")
    assert exit_event["payload"]["exitCode"] == 3
    wait_stopped(cws, run_id)
    errors = [e["payload"] for e in cws.events(run_id) if e["channel"] == "claude:error"]
    assert [e["kind"] for e in errors] == ["not_json"], errors


def test_a_one_mebibyte_message_arrives_whole(claude_gw, cws):
    run_id = create_claude(cws)["id"]
    cws.send({"type": "run:input", "runId": run_id, "data": "big one"})
    wait_result(cws, run_id, timeout=30)
    assistant = [e["payload"] for e in cws.events(run_id) if e["channel"] == "claude:message" and e["payload"]["type"] == "assistant"]
    text = assistant[-1]["message"]["content"][0]["text"]
    assert text == "0123456789abcdef" * (1 << 16) + "END"


def test_conversations_of_a_workspace_are_listed_and_can_be_opened(claude_gw, cws):
    session = create_claude(cws, workspace="listed")
    run_id, conversation = session["id"], session["meta"]["claudeSessionId"]
    cws.send({"type": "run:input", "runId": run_id, "data": "the very first words"})
    wait_result(cws, run_id)
    cookie = claude_gw.login()
    status, _, body = claude_gw.request("GET", "/api/workspaces/listed/conversations", auth=cookie)
    assert status == 200, body
    entry = next(c for c in body["conversations"] if c["id"] == conversation)
    assert entry["firstMessage"] == "the very first words" and entry["messageCount"] >= 2 and entry["updatedAt"]
    assert claude_gw.request("GET", "/api/workspaces/..%2Fx/conversations", auth=cookie)[0] in (400, 404)
    assert claude_gw.request("GET", "/api/workspaces/empty-one/conversations", auth=cookie)[2] == {"conversations": []}
    opened = create_claude(cws, workspace="listed", resume=conversation)
    assert opened["meta"]["claudeSessionId"] == conversation
    cws.send({"type": "run:input", "runId": opened["id"], "data": "continuing"})
    assert wait_result(cws, opened["id"])[0]["payload"]["session_id"] == conversation
    assert invocations(claude_gw)[-1]["argv"][7] == f"--resume={conversation}"

