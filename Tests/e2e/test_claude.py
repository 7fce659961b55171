"""Claude sessions end to end: a real gateway and real workers running the fake `claude` CLI
(Tests/Fixtures/claude/claude), which records the arguments it got and keeps transcripts under
CLAUDE_CONFIG_DIR."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from conftest import REPO, make_gateway, finish_gateway, wait_until

FAKE_CLAUDE = REPO / "Tests" / "Fixtures" / "claude" / "claude"


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
    path = Path(gw.claude_config) / "fake-claude-argv.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def create_claude(ws, workspace="chat", **options) -> dict:
    reply = ws.ok("create", kind="claude", workspace=workspace, options=options)
    ws.ok("run:attach", runId=reply["runId"], afterSeq=0)
    return reply["session"]


def claude_events(ws, run_id, start_seq=0):
    return [e for e in ws.events(run_id) if e["channel"].startswith("claude:") and e["seq"] > start_seq]


def wait_result(ws, run_id, count=1, timeout=15.0):
    """Waits until `count` claude:result events have arrived; returns them."""
    wait_until(lambda: (ws.pump(0.2), len([e for e in ws.events(run_id) if e["channel"] == "claude:result"]) >= count)[1],
               timeout, f"{count} claude:result event(s)")
    return [e for e in ws.events(run_id) if e["channel"] == "claude:result"]


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
