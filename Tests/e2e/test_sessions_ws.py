"""Terminal sessions end to end: create, attach, type, resize, exit, delete, over the WebSocket (and
REST where the API offers it)."""

from pathlib import Path

import pytest

from support.history import assert_gapless, content_signature
from support.polling import wait_until
from support.rest import descriptor
from support.sessions import attach_running, create_session, typed


# --- create and type ----------------------------------------------------------------------------


def test_create_over_rest_attach_over_ws(gateway, client):
    status, _, created = gateway.request("POST", "/api/sessions", {"kind": "pty", "workspace": "rest-ws", "cols": 80, "rows": 24},
                                         auth="bearer")
    assert status == 201, created
    run_id = created["id"]
    try:
        reply = client.ok("run:attach", runId=run_id, afterSeq=0)
        assert reply["runId"] == run_id and "historyStart" not in reply
        first = client.wait_event(run_id, lambda e: True, 10, "the first event")
        assert first["seq"] == 1 and first["channel"] == "system:status", first
        assert first["payload"]["status"] == "started" and first["payload"]["restarts"] == 0
        assert isinstance(first["ts"], int)
        typed(client, run_id, "echo $((6*7))\r")
        client.wait_output(run_id, r"[\r\n]42\r\n", regex=True)
        # The shell runs in the workspace folder.
        typed(client, run_id, "pwd\r")
        client.wait_output(run_id, f"{gateway.home}/workspaces/rest-ws\r\n")
        assert_gapless(client.events(run_id))
        assert descriptor(gateway, run_id)["status"] == "running"
    finally:
        gateway.request("DELETE", f"/api/sessions/{run_id}", auth="bearer")


def test_create_over_ws_with_input_before_it_starts(gateway, cookie, client):
    watcher = gateway.ws(cookie=cookie)
    try:
        reply = client.ok("create", kind="pty", workspace="early", cols=80, rows=24)
        run_id = reply["runId"]
        assert reply["session"]["id"] == run_id and reply["session"]["workspace"] == "early"
        assert reply["session"]["kind"] == "pty"
        # Typed at once, while the session may still be starting: delivered when it starts.
        typed(client, run_id, "echo $((6*7))\r")
        client.ok("run:attach", runId=run_id, afterSeq=0)
        client.wait_output(run_id, r"[\r\n]42\r\n", regex=True)
        assert_gapless(client.events(run_id))
        # Everyone else hears about the new session.
        update = watcher.wait_for(lambda m: m.get("type") == "sessions-updated"
                                  and any(s["id"] == run_id for s in m["sessions"]), 5, "sessions-updated")
        assert {s["id"] for s in update["sessions"]} >= {run_id}
        assert run_id in [s["id"] for s in client.ok("list")["sessions"]]
        client.ok("run:close", runId=run_id)
        watcher.wait_for(lambda m: m.get("type") == "sessions-updated"
                         and any(s["id"] == run_id and s["status"] == "stopped" for s in m["sessions"]), 10,
                         "sessions-updated with the session stopped")
    finally:
        watcher.close()


def test_resize_then_stty_size(client, session):
    client.ok("run:resize", runId=session, cols=100, rows=30)
    typed(client, session, "stty size\r")
    client.wait_output(session, r"[\r\n]30 100\r\n", regex=True)
    client.ok("run:resize", runId=session, cols=1000, rows=1000)
    typed(client, session, "stty size\r")
    client.wait_output(session, r"[\r\n]1000 1000\r\n", regex=True)


@pytest.mark.parametrize("cols,rows", [(0, 0), (10000, 10000), (80, 0), (-5, 24), (1001, 24)])
def test_bad_resize_is_refused(client, session, cols, rows):
    reply = client.request("run:resize", runId=session, cols=cols, rows=rows)
    assert reply["ok"] is False and isinstance(reply["error"], str) and reply["error"], reply
    # The terminal keeps its size and keeps working.
    typed(client, session, "stty size\r")
    client.wait_output(session, r"[\r\n]24 80\r\n", regex=True)


def test_requests_for_unknown_sessions_fail(client, gateway):
    for type_, fields in [("run:input", {"data": "x"}), ("run:attach", {"afterSeq": 0}),
                          ("run:resize", {"cols": 80, "rows": 24}), ("run:close", {})]:
        reply = client.request(type_, runId="no-such-session", **fields)
        assert reply["ok"] is False and isinstance(reply["error"], str) and reply["error"], (type_, reply)
    client.ok("list")
    gateway.assert_serving()


# --- ending sessions --------------------------------------------------------------------------------


def test_exit_status_stops_the_session(gateway, client):
    run_id = create_session(client, "exit")
    attach_running(client, run_id)
    typed(client, run_id, "exit 3\r")
    exit_event = client.wait_event(run_id, lambda e: e["channel"] == "pty:exit", 10, "pty:exit")
    assert exit_event["payload"] == {"exitCode": 3, "signal": None}
    stopped = client.wait_event(run_id, lambda e: e["channel"] == "system:status" and e["payload"]["status"] == "stopped",
                                10, "system:status stopped")
    assert stopped["seq"] > exit_event["seq"]
    assert stopped["payload"]["restarts"] == 0
    events = client.events(run_id)
    assert_gapless(events)
    described = wait_until(lambda: (d := descriptor(gateway, run_id))["status"] == "stopped" and d, 5, "status stopped")
    assert described["lastSeq"] == events[-1]["seq"]
    assert described["restarts"] == 0, "a clean exit must not restart the session"
    # A stopped session takes no input nor resize; the connection goes on.
    reply = client.request("run:input", runId=run_id, data="echo x\r")
    assert reply["ok"] is False and reply["error"], reply
    reply = client.request("run:resize", runId=run_id, cols=90, rows=20)
    assert reply["ok"] is False and reply["error"], reply
    # Its history can still be replayed.
    late = gateway.ws(key_auth=True)
    try:
        late.ok("run:attach", runId=run_id, afterSeq=0)
        late.wait_event(run_id, lambda e: e["seq"] == events[-1]["seq"], 5, "the replay of a stopped session")
        assert content_signature(late.events(run_id)) == content_signature(events)
    finally:
        late.close()


def test_delete_ends_a_session(gateway, cookie, client):
    status, _, created = gateway.request("POST", "/api/sessions", {"kind": "pty", "workspace": "delete-me"}, auth=cookie)
    assert status == 201, created
    run_id = created["id"]
    attach_running(client, run_id)
    status, _, body = gateway.request("DELETE", f"/api/sessions/{run_id}", auth=cookie)
    assert status == 200 and body["id"] == run_id, body
    client.wait_event(run_id, lambda e: e["channel"] == "system:status" and e["payload"]["status"] == "stopped", 10,
                      "system:status stopped after DELETE")
    assert_gapless(client.events(run_id))
    wait_until(lambda: descriptor(gateway, run_id)["status"] == "stopped", 5, "status stopped after DELETE")
    reply = client.request("run:input", runId=run_id, data="echo x\r")
    assert reply["ok"] is False and reply["error"], reply
    # Its worker and shell are gone.
    pid = created["meta"].get("pid") or descriptor(gateway, run_id)["meta"].get("pid")
    if pid:
        wait_until(lambda: not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3],
                   5, f"the shell {pid} to end")
    gateway.assert_serving()


def test_run_close_over_ws(gateway, client):
    run_id = create_session(client, "close-me")
    attach_running(client, run_id)
    client.ok("run:close", runId=run_id)
    client.wait_event(run_id, lambda e: e["channel"] == "system:status" and e["payload"]["status"] == "stopped", 10,
                      "system:status stopped after run:close")
    assert_gapless(client.events(run_id))
    wait_until(lambda: descriptor(gateway, run_id)["status"] == "stopped", 5, "status stopped after run:close")

