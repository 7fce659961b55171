"""Claude sessions over the JSON client, with the fake `claude` CLI (Tests/Fixtures/claude/claude), which
records the arguments it got and keeps transcripts under CLAUDE_CONFIG_DIR."""

from __future__ import annotations

import json
from pathlib import Path

from support.gateway import REPO
from support.polling import wait_until

FAKE_CLAUDE = REPO / "Tests" / "Fixtures" / "claude" / "claude"


def invocations_in(config: Path) -> list[dict]:
    """What the fake CLI was started with, in order."""
    path = config / "fake-claude-argv.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def create_claude(ws, workspace="chat", **options) -> dict:
    reply = ws.ok("create", kind="claude", workspace=workspace, options=options)
    ws.ok("run:attach", runId=reply["runId"], afterSeq=0)
    return reply["session"]


def wait_result(ws, run_id, count=1, timeout=15.0):
    """Waits until `count` claude:result events have arrived; returns them."""
    wait_until(lambda: (ws.pump(0.2), len([e for e in ws.events(run_id) if e["channel"] == "claude:result"]) >= count)[1],
               timeout, f"{count} claude:result event(s)")
    return [e for e in ws.events(run_id) if e["channel"] == "claude:result"]
