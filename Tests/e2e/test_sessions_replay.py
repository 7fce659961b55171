"""Several viewers of one terminal session: they see the same events, an attach after a seq replays
exactly the rest (or says where pruned history starts), and a detach stops the events."""

import time

from support.history import assert_gapless, content_signature
from support.sessions import attach_running, create_session, typed


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
        assert content_signature(mine[:common]) == content_signature(theirs[:common])
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
        assert content_signature(replayed[:common]) == content_signature(expected[:common])
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
        assert content_signature(again) == content_signature([e for e in client.events(run_id) if e["seq"] <= again[-1]["seq"]])
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
        assert content_signature(replayed[:len([e for e in full if e["seq"] >= start])]) == content_signature([e for e in full if e["seq"] >= start])
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

