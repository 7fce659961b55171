"""Terminal sessions end to end: create, attach, type, resize, several viewers, replay, exit, delete,
UTF-8 integrity and flow control, over the WebSocket (and REST where the API offers it)."""

import time
from pathlib import Path

import pytest

from support.polling import wait_until
from support.sessions import attach_running, create_session


def typed(ws, run_id, text):
    ws.send({"type": "run:input", "runId": run_id, "data": text})


def assert_gapless(events, first=1):
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(first, first + len(seqs))), f"seqs are not consecutive from {first}: {seqs[:50]}"


def signature(events):
    return [(e["seq"], e["channel"], e["payload"]) for e in events]


def session_status(gateway, run_id):
    status, _, body = gateway.request("GET", f"/api/sessions/{run_id}", auth="bearer")
    assert status == 200, body
    return body


@pytest.fixture
def session(gateway, client):
    """A fresh session attached on `client`; closed afterwards."""
    run_id = create_session(client, "sessions")
    attach_running(client, run_id)
    yield run_id
    client.request("run:close", runId=run_id)


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
        assert session_status(gateway, run_id)["status"] == "running"
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


# --- several viewers, replay ----------------------------------------------------------------------


def test_two_clients_see_the_same_events(gateway, cookie, client):
    other = gateway.ws(cookie=cookie)
    try:
        run_id = create_session(client, "two")
        client.ok("run:attach", runId=run_id, afterSeq=0)
        other.ok("run:attach", runId=run_id, afterSeq=0)
        typed(client, run_id, "echo first''-client\r")
        for ws in (client, other):
            ws.wait_output(run_id, "first-client\r\n")
        typed(other, run_id, "echo second''-client\r")
        for ws in (client, other):
            ws.wait_output(run_id, "second-client\r\n")
        client.drain(0.3)
        other.drain(0.3)
        mine, theirs = client.events(run_id), other.events(run_id)
        assert_gapless(mine)
        assert_gapless(theirs)
        common = min(len(mine), len(theirs))
        assert common >= 3
        assert signature(mine[:common]) == signature(theirs[:common])
        assert [e["ts"] for e in mine[:common]] == [e["ts"] for e in theirs[:common]]
        client.ok("run:close", runId=run_id)
    finally:
        other.close()


def test_attach_after_seq_replays_exactly_the_rest(gateway, cookie, client):
    run_id = create_session(client, "replay")
    attach_running(client, run_id)
    for word in ("alpha", "beta", "gamma"):
        typed(client, run_id, f"echo {word}''-out\r")
        client.wait_output(run_id, f"{word}-out\r\n")
    client.drain(0.3)
    before = client.events(run_id)
    assert_gapless(before)
    assert len(before) >= 4, before
    cut = before[len(before) // 2]["seq"]
    late = gateway.ws(cookie=cookie)
    try:
        reply = late.ok("run:attach", runId=run_id, afterSeq=cut)
        assert "historyStart" not in reply, reply
        late.wait_event(run_id, lambda e: e["seq"] == before[-1]["seq"], 5, "the replay up to the last seq")
        # Live events continue on both without a gap or a duplicate at the seam.
        typed(late, run_id, "echo delta''-out\r")
        for ws in (client, late):
            ws.wait_output(run_id, "delta-out\r\n")
        client.drain(0.3)
        late.drain(0.3)
        replayed = late.events(run_id)
        assert replayed[0]["seq"] == cut + 1, replayed[0]
        assert_gapless(replayed, first=cut + 1)
        full = client.events(run_id)
        assert_gapless(full)
        expected = [e for e in full if e["seq"] > cut]
        common = min(len(expected), len(replayed))
        assert signature(replayed[:common]) == signature(expected[:common])
        assert common >= len(before) - len(before) // 2
        # Attaching again from the very end replays nothing.
        last = late.events(run_id)[-1]["seq"]
        count = len(late.events(run_id))
        late.ok("run:attach", runId=run_id, afterSeq=last)
        late.drain(0.3)
        assert len(late.events(run_id)) == count
        # Re-attaching from 0 replays everything from seq 1.
        start = len(late.messages)
        late.ok("run:attach", runId=run_id, afterSeq=0)
        late.wait_for(lambda m: m.get("type") == "run:event" and m["seq"] == last, 5, "the full replay", start)
        again = [m for m in late.messages[start:] if m.get("type") == "run:event"]
        assert_gapless(again)
        assert signature(again) == signature([e for e in client.events(run_id) if e["seq"] <= again[-1]["seq"]])
    finally:
        late.close()
        client.ok("run:close", runId=run_id)


def test_attach_reports_where_pruned_history_starts(own_gateway):
    """More output than retention keeps (1 MiB per session, pruned every second): a replay from 0 says
    where the history now starts, then has no gap; the REST history says the same."""
    gateway = own_gateway(extra_env={"RETENTION_MB_PER_SESSION": "1", "RETENTION_PRUNE_SECONDS": "1"})
    cookie = gateway.login()
    client = gateway.ws(cookie=cookie)
    run_id = create_session(client, "history")
    attach_running(client, run_id)
    typed(client, run_id, "head -c 3000000 /dev/zero | tr '\\0' a; echo; echo hist''-done\r")
    client.wait_output(run_id, "hist-done\r\n", timeout=30)
    client.drain(0.3)
    full = client.events(run_id)
    assert_gapless(full)
    deadline = time.monotonic() + 10
    while True:
        status, _, history = gateway.request("GET", f"/api/sessions/{run_id}/events?after=0&limit=5", auth=cookie)
        assert status == 200, history
        if history.get("historyStart", 1) > 1:
            break
        assert time.monotonic() < deadline, f"history was not pruned: {history!r}"
        time.sleep(0.3)
    assert history["events"][0]["seq"] == history["historyStart"]
    late = gateway.ws(cookie=cookie)
    try:
        reply = late.ok("run:attach", runId=run_id, afterSeq=0)
        start = reply.get("historyStart")
        assert isinstance(start, int) and start > 1, reply
        late.wait_event(run_id, lambda e: e["seq"] == full[-1]["seq"], 10, "the replay up to the last seq")
        replayed = [e for e in late.events(run_id) if e["seq"] >= start]
        assert replayed[0]["seq"] == start
        assert_gapless(replayed, first=start)
        assert signature(replayed[:len([e for e in full if e["seq"] >= start])]) == signature([e for e in full if e["seq"] >= start])
        reply = late.ok("run:attach", runId=run_id, afterSeq=full[-2]["seq"])
        assert "historyStart" not in reply, reply
    finally:
        late.close()
        client.ok("run:close", runId=run_id)
        client.close()


def test_detach_stops_the_events(gateway, cookie, client):
    run_id = create_session(client, "detach")
    attach_running(client, run_id)
    other = gateway.ws(cookie=cookie)
    try:
        attach_running(other, run_id)
        other.ok("run:detach", runId=run_id)
        other.drain(0.2)
        count = len(other.events(run_id))
        typed(client, run_id, "echo after''-detach\r")
        client.wait_output(run_id, "after-detach\r\n")
        other.drain(0.3)
        assert len(other.events(run_id)) == count, "events kept coming after run:detach"
    finally:
        other.close()
        client.ok("run:close", runId=run_id)


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
    descriptor = wait_until(lambda: (d := session_status(gateway, run_id))["status"] == "stopped" and d, 5, "status stopped")
    assert descriptor["lastSeq"] == events[-1]["seq"]
    assert descriptor["restarts"] == 0, "a clean exit must not restart the session"
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
        assert signature(late.events(run_id)) == signature(events)
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
    wait_until(lambda: session_status(gateway, run_id)["status"] == "stopped", 5, "status stopped after DELETE")
    reply = client.request("run:input", runId=run_id, data="echo x\r")
    assert reply["ok"] is False and reply["error"], reply
    # Its worker and shell are gone.
    pid = created["meta"].get("pid") or session_status(gateway, run_id)["meta"].get("pid")
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
    wait_until(lambda: session_status(gateway, run_id)["status"] == "stopped", 5, "status stopped after run:close")


# --- output integrity and flow control --------------------------------------------------------------


def test_output_never_splits_a_multibyte_character(client, session):
    lines = 20000
    chars = "\\303\\251\\342\\202\\254\\360\\237\\230\\200"
    # Typed as ASCII (octal escapes), printed as é€😀 (2, 3 and 4 bytes) on every line, with 1-3 ASCII
    # bytes in front so that chunk boundaries fall at every offset within the characters.
    typed(client, session, f"for p in a ab abc; do yes \"$p$(printf '{chars}')\" | head -n {lines}; done; echo mb''-done\r")
    client.wait_output(session, "mb-done\r\n", timeout=30)
    events = [e for e in client.events(session) if e["channel"] == "pty:stdout"]
    assert len(events) > 5, "expected the output to arrive in many chunks"
    print(f"multibyte: {len(events)} output events")
    for event in events:
        payload = event["payload"]
        assert "\ufffd" not in payload, f"U+FFFD in event {event['seq']}: {payload[:80]!r}...{payload[-80:]!r}"
        payload.encode("utf-8")  # no lone surrogates either
    output = client.output(session)
    for prefix in ("a", "ab", "abc"):
        assert output.count(f"{prefix}é€😀\r\n") == lines, prefix
    assert_gapless(client.events(session))


def _pid_named(gateway, name):
    for pid in gateway.descendants():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                return pid
        except OSError:
            continue
    return None


def _written(pid):
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar in /proc/pid/io")


def test_flow_control_blocks_the_program_until_acknowledged(gateway, cookie):
    window = 512 * 1024
    ws = gateway.ws(cookie=cookie)
    try:
        run_id = create_session(ws, "flow")
        attach_running(ws, run_id, flow=True)
        ws.drain(0.3)
        start = len(ws.messages)
        typed(ws, run_id, "yes\r")

        def received_bytes():
            return sum(size for message, size in zip(ws.messages[start:], ws.raw_sizes[start:])
                       if message.get("type") == "run:event")

        # Read everything that comes, acknowledging nothing, until the stream stalls.
        deadline = time.monotonic() + 15
        while ws.pump(1.0) is not None:
            assert received_bytes() < 4 * window, f"flow control did not hold: {received_bytes()} bytes unacknowledged"
            assert time.monotonic() < deadline, "the output never stalled without acknowledgements"
        plateau = received_bytes()
        print(f"flow control: plateau at {plateau} bytes of run:event messages")
        assert window <= plateau <= 3 * window, f"unacknowledged bytes at the plateau: {plateau}"

        # The program itself is blocked on write, not merely unread.
        pid = wait_until(lambda: _pid_named(gateway, "yes"), 5, "the yes process")
        written = _written(pid)
        time.sleep(0.5)
        assert _written(pid) == written, "yes kept writing while the viewer acknowledged nothing"
        assert ws.pump(0.2) is None and received_bytes() == plateau

        # Acknowledging what arrived lets more through.
        last_seq = ws.events(run_id)[-1]["seq"]
        ws.send({"type": "run:ack", "runId": run_id, "seq": last_seq})
        ws.wait_event(run_id, lambda e: e["seq"] > last_seq, 5, "more output after run:ack")
        ws.drain(0.5, limit=10)
        assert received_bytes() > plateau
        assert _written(pid) > written, "yes did not resume after run:ack"
        assert received_bytes() - plateau <= 3 * window, "the window after one ack is larger than expected"
        assert_gapless(ws.events(run_id))
        typed(ws, run_id, "\x03")
        ws.ok("run:close", runId=run_id)
    finally:
        ws.close()
    gateway.assert_serving()


def test_slow_session_does_not_hold_back_another(gateway, cookie, client, session):
    """A flow-controlled viewer that stops acknowledging holds its own session, not the others."""
    slow = gateway.ws(cookie=cookie)
    try:
        run_id = create_session(slow, "held")
        attach_running(slow, run_id, flow=True)
        typed(slow, run_id, "yes\r")
        deadline = time.monotonic() + 15
        while slow.pump(1.0) is not None:
            assert time.monotonic() < deadline, "the held session never stalled"
        typed(client, session, "echo still''-here\r")
        client.wait_output(session, "still-here\r\n", timeout=5)
        typed(slow, run_id, "\x03")
        slow.ok("run:close", runId=run_id)
    finally:
        slow.close()
