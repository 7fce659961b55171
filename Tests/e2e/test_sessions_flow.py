"""What a terminal session prints, end to end: UTF-8 characters are never split, and flow control holds
the program back until the client acknowledges, without holding back another session."""

import time
from pathlib import Path

from support.history import assert_gapless
from support.polling import wait_until
from support.sessions import attach_running, create_session, typed


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

