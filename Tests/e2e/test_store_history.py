"""Stored history over REST and WebSocket: clients attached at different points get the same suffix,
pages are exact, and bad history and attach requests get clear errors while the gateway goes on serving."""

from __future__ import annotations

import time

import pytest

from support.history import Marker, assert_counts_up, assert_gapless, history, numbered_lines, pump_together, signature, stdout_text
from support.polling import wait_until
from support.rest import assert_json_error, descriptor
from support.sessions import attach_running, create_session, echoed_session, typed


# ---------------------------------------------------------------------------------------------
# Clients attached at different afterSeq while output streams


def test_clients_attached_at_different_after_seq_get_identical_suffixes(gateway, cookie, client):
    run_id = create_session(client, "suffixes")
    attach_running(client, run_id)
    others = []
    try:
        typed(client, run_id, "seq 1 1500000; echo suf''fix-done\r")
        # While it streams: one client from a little behind the live edge, one from nearly the start.
        wait_until(lambda: client.pump(1.0) is not None and len(client.events(run_id)) > 40, 20,
                   "the output to stream", interval=0)
        cuts = [client.events(run_id)[-1]["seq"] - 8, 3]
        for cut in cuts:
            other = gateway.ws(cookie=cookie)
            others.append(other)
            reply = other.ok("run:attach", runId=run_id, afterSeq=cut)
            assert "historyStart" not in reply, reply
            # Let the output run on for a while before the next one attaches.
            until = time.monotonic() + 0.3
            pump_together([client] + others, lambda: time.monotonic() > until, 5, "a pause")
        everyone = [client] + others
        markers = [Marker(c, run_id, "suffix-done\r\n") for c in everyone]
        pump_together(everyone, lambda: all(m() for m in markers), 120, "the end of the output on every client")
        pump_together(everyone, lambda: all(c.pump(0.2) is None for c in everyone), 10, "quiet")

        full = client.events(run_id)
        assert_gapless(full)
        assert_counts_up(numbered_lines(stdout_text(full)), "the first client's output")
        assert numbered_lines(stdout_text(full))[-1] == 1500000
        for cut, other in zip(cuts, others):
            got = other.events(run_id)
            assert got[0]["seq"] == cut + 1, (cut, got[0])
            assert_gapless(got, first=cut + 1)
            expected = [e for e in full if e["seq"] > cut]
            assert got[-1]["seq"] == expected[-1]["seq"], f"attached after {cut}: ends at {got[-1]['seq']}, not {expected[-1]['seq']}"
            assert signature(got) == signature(expected), f"the client attached after {cut} got a different suffix"
        # The stored history is the same again.
        assert signature(history(gateway, run_id)[0]) == signature(full)
    finally:
        for other in others:
            other.close()
        client.request("run:close", runId=run_id)


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.fixture(scope="module")
def printed_session(gateway, cookie):
    """A session with a few events, for the read-only requests below."""
    ws = gateway.ws(cookie=cookie)
    run_id = echoed_session(ws, "bad-input", "one''-two")
    yield run_id
    ws.request("run:close", runId=run_id)
    ws.close()


@pytest.mark.parametrize("query,name", [
    ("after=-1", "after"), ("after=abc", "after"), ("after=", "after"), ("after=1.5", "after"), ("after=1e3", "after"),
    ("after=0x10", "after"), ("after=18446744073709551616", "after"), ("after=99999999999999999999999", "after"),
    ("limit=0", "limit"), ("limit=-1", "limit"), ("limit=1001", "limit"), ("limit=abc", "limit"), ("limit=", "limit"),
    ("limit=99999999999999999999", "limit"), ("after=1&limit=2.5", "limit"),
])
def test_history_with_bad_after_or_limit_is_400(gateway, printed_session, query, name):
    status, _, body = gateway.request("GET", f"/api/sessions/{printed_session}/events?{query}", auth="bearer")
    assert_json_error(status, body, 400, f'"{name}"')
    gateway.assert_serving()


@pytest.mark.parametrize("after", [10 ** 9, 2 ** 63 - 1, 2 ** 63])
def test_history_after_the_end_is_empty(gateway, printed_session, after):
    status, _, body = gateway.request("GET", f"/api/sessions/{printed_session}/events?after={after}", auth="bearer")
    assert status == 200 and body == {"events": []}, (status, body)


def test_history_after_the_largest_number_does_not_crash(gateways):
    gw = gateways.start()
    ws = gw.ws(cookie=gw.login())
    run_id = create_session(ws, "overflow")
    attach_running(ws, run_id)
    ws.close()
    try:
        status, _, body = gw.request("GET", f"/api/sessions/{run_id}/events?after=18446744073709551615", auth="bearer")
    except OSError as error:
        status, body = None, repr(error)
    time.sleep(0.3)
    assert gw.proc.poll() is None, f"the gateway died ({gw.proc.returncode}): {gw.log_text()[-1500:]}"
    assert status == 200 and body == {"events": []}, (status, body)


def test_history_pages_are_exact(gateway, printed_session):
    everything, start = history(gateway, printed_session)
    assert start is None and len(everything) >= 3
    assert_gapless(everything)
    for after, limit in [(0, 1), (1, 2), (len(everything) - 1, 1000), (0, 1000)]:
        status, _, body = gateway.request("GET", f"/api/sessions/{printed_session}/events?after={after}&limit={limit}",
                                          auth="bearer")
        assert status == 200
        assert signature(body["events"]) == signature(everything[after:after + limit])
    # Defaults: after 0, limit 100.
    status, _, body = gateway.request("GET", f"/api/sessions/{printed_session}/events", auth="bearer")
    assert status == 200 and signature(body["events"]) == signature(everything[:100])
    for event in everything:
        assert set(event) == {"seq", "channel", "payload", "ts"} and isinstance(event["ts"], int)


@pytest.mark.parametrize("run_id", ["no-such-session", "00000000-0000-0000-0000-000000000000", "%00", "a%00b",
                                    "%2e%2e%2fx", "x" * 4000, "..", "%2F", "%"])
def test_unknown_or_malformed_session_ids_are_404(gateway, run_id):
    for method, path, body in [("GET", f"/api/sessions/{run_id}/events", None), ("GET", f"/api/sessions/{run_id}", None),
                               ("PATCH", f"/api/sessions/{run_id}", {"title": "x"}), ("DELETE", f"/api/sessions/{run_id}", None)]:
        status, _, reply = gateway.request(method, path, body, auth="bearer")
        assert_json_error(status, reply, 404)
    gateway.assert_serving()


@pytest.mark.parametrize("path", ["/api/sessions/../x/events", "/api/sessions//events", "/api/sessions/a/b/events",
                                  "/api/sessions/x/events/", "/api/sessions/x/events/1"])
def test_odd_history_paths_are_404(gateway, path):
    status, _, body = gateway.request("GET", path, auth="bearer")
    assert_json_error(status, body, 404)


def test_raw_bytes_in_the_session_id_are_refused(gateway):
    for raw_id in (b"\x00", b"a\x00b", b"\xff\xfe", b"a b"):
        response, sock = gateway.raw(b"GET /api/sessions/" + raw_id + b"/events HTTP/1.1\r\nHost: "
                                     + gateway.host_header.encode() + b"\r\nAuthorization: Bearer "
                                     + gateway.key.encode() + b"\r\nConnection: close\r\n\r\n")
        sock.close()
        assert response.status in (400, 404), (raw_id, response)
        assert isinstance(response.json()["error"], str)
    gateway.assert_serving()


def test_very_long_session_id_is_414_beyond_the_request_line_limit(gateway):
    status, _, body = gateway.request("GET", "/api/sessions/" + "x" * 9000 + "/events", auth="bearer")
    assert_json_error(status, body, 414)
    gateway.assert_serving()


def test_history_needs_authentication(gateway, printed_session):
    status, _, body = gateway.request("GET", f"/api/sessions/{printed_session}/events")
    assert_json_error(status, body, 401)
    status, _, body = gateway.request("POST", f"/api/sessions/{printed_session}/events", {}, auth="bearer")
    assert status in (404, 405), (status, body)


@pytest.mark.parametrize("after", [-1, -(2 ** 63), "3", 1.5, None, True, [], {}, 2 ** 64, 10 ** 30])
def test_attach_with_a_bad_after_seq_fails_clearly(gateway, cookie, printed_session, after):
    ws = gateway.ws(cookie=cookie)
    try:
        reply = ws.request("run:attach", runId=printed_session, afterSeq=after)
        assert reply["ok"] is False and "afterSeq" in reply["error"], reply
        ws.drain(0.2)
        assert ws.events(printed_session) == [], "events arrived after a refused attach"
        assert ws.ok("list")
    finally:
        ws.close()


def test_attach_to_unknown_or_malformed_ids_fails_clearly(client):
    for run_id in ["no-such", "../x", "", "\u0000", "x" * 5000]:
        reply = client.request("run:attach", runId=run_id, afterSeq=0)
        assert reply["ok"] is False and isinstance(reply["error"], str) and reply["error"], reply
    for bad in [5, None, ["x"]]:
        reply = client.request("run:attach", runId=bad, afterSeq=0)
        assert reply["ok"] is False and "runId" in reply["error"], reply


def test_attach_after_the_end_gets_only_live_events(gateway, cookie, printed_session):
    ws = gateway.ws(cookie=cookie)
    try:
        last = descriptor(gateway, printed_session)["lastSeq"]
        for after in (last, last + 1000, 8 * 10 ** 15):  # JSON whole numbers reach 9e15
            reply = ws.ok("run:attach", runId=printed_session, afterSeq=after)
            assert "historyStart" not in reply, reply
        ws.drain(0.3)
        assert ws.events(printed_session) == []
    finally:
        ws.close()

