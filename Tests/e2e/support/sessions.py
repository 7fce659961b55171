"""Terminal sessions driven over the JSON WebSocket client: create, attach, type."""

from __future__ import annotations

import re

from support.ws_client import WSClient

PID_LINE = re.compile(r"shell-pid-(\d+)-(\w+)\r\n")


def create_session(ws: WSClient, workspace: str = "e2e", cols: int = 80, rows: int = 24) -> str:
    reply = ws.ok("create", kind="pty", workspace=workspace, cols=cols, rows=rows)
    assert reply["runId"] == reply["session"]["id"]
    return reply["runId"]


def attach_running(ws: WSClient, run_id: str, flow: bool = False, after: int = 0, timeout: float = 10.0):
    """Attaches and waits until the shell has printed something (its prompt)."""
    ws.ok("run:attach", runId=run_id, afterSeq=after, **({"flow": True} if flow else {}))
    ws.wait_event(run_id, lambda e: e["channel"] == "pty:stdout", timeout, "the first output of the shell")


def typed(ws, run_id, text):
    ws.send({"type": "run:input", "runId": run_id, "data": text})


def echoed_session(ws: WSClient, workspace: str, words: str) -> str:
    """A session attached on `ws` that has echoed `words` (quoted with '' inside, so that the echo of
    the typed command does not match), with the output drained; returns its run id."""
    run_id = create_session(ws, workspace)
    attach_running(ws, run_id)
    typed(ws, run_id, f"echo {words}\r")
    ws.wait_output(run_id, words.replace("''", "") + "\r\n")
    ws.drain(0.3)
    return run_id


def shell_pid(ws: WSClient, run_id: str, tag: str) -> int:
    """The shell's own pid, as it prints it."""
    typed(ws, run_id, f"echo shell-pid-$$-{tag}''\r")
    ws.wait_output(run_id, rf"shell-pid-\d+-{tag}\r\n", 20, regex=True)
    return int(next(m.group(1) for m in PID_LINE.finditer(ws.output(run_id)) if m.group(2) == tag))
