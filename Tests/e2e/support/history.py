"""What sessions printed, as clients saw it and as the store keeps it: seqs without gaps, numbered
lines that count up, identical histories, replays."""

from __future__ import annotations

import re
import time

import pytest


def assert_gapless(events, first=1):
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(first, first + len(seqs))), f"seqs are not consecutive from {first}: {_seq_summary(seqs)}"


def _seq_summary(seqs):
    gaps = [(a, b) for a, b in zip(seqs, seqs[1:]) if b != a + 1]
    return f"{len(seqs)} seqs, first {seqs[:3]}, last {seqs[-3:]}, breaks {gaps[:10]}"


def signature(events):
    return [(e["seq"], e["channel"], e["payload"], e["ts"]) for e in events]


def content_signature(events):
    """`signature` without the timestamps."""
    return [(e["seq"], e["channel"], e["payload"]) for e in events]


def stdout_text(events) -> str:
    return "".join(e["payload"] for e in events if e["channel"] == "pty:stdout")


_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def numbered_lines(text: str) -> list[int]:
    """The numbers `seq` printed, one a line, in the order they appear; a last, unfinished line is left out."""
    complete = _ESCAPES.sub("", text[: text.rfind("\n") + 1])
    return [int(line) for line in (raw.strip("\r").rsplit("\r", 1)[-1] for raw in complete.split("\n"))
            if line.isascii() and line.isdigit()]


def assert_counts_up(numbers: list[int], what: str):
    """1, 2, 3, … with nothing missing, repeated or out of order."""
    assert numbers, f"{what}: no numbered line at all"
    if numbers != list(range(1, len(numbers) + 1)):
        breaks = [(i, a, b) for i, (a, b) in enumerate(zip(numbers, numbers[1:])) if b != a + 1]
        pytest.fail(f"{what}: the numbered lines do not count up from 1 by 1 ({len(numbers)} lines, first "
                    f"{numbers[:3]}, breaks (index, line, next) {breaks[:10]})")


def history(gw, run_id, after=0, limit=1000, auth="bearer") -> tuple[list[dict], int | None]:
    """The whole stored history after `after`, page by page over REST; returns it with the first
    page's `historyStart` (None when absent)."""
    events, start, first = [], None, True
    while True:
        status, _, body = gw.request("GET", f"/api/sessions/{run_id}/events?after={after}&limit={limit}", auth=auth,
                                     timeout=20)
        assert status == 200, f"history of {run_id} after {after}: {status} {body!r}"
        assert set(body) <= {"events", "historyStart"}, body.keys()
        if first:
            start, first = body.get("historyStart"), False
        page = body["events"]
        assert len(page) <= limit
        events += page
        if len(page) < limit:
            return events, start
        after = page[-1]["seq"]


def replay(gw, cookie, run_id, after=0, timeout=30.0) -> list[dict]:
    """Every event a fresh WebSocket client gets when it attaches after `after` to a session that no
    longer prints (until nothing arrives for 0.5 s)."""
    ws = gw.ws(cookie=cookie)
    try:
        reply = ws.ok("run:attach", runId=run_id, afterSeq=after, timeout=timeout)
        assert reply["runId"] == run_id
        ws.drain(0.5, timeout)
        return ws.events(run_id)
    finally:
        ws.close()


def pump_together(clients, until, timeout: float, what: str):
    """Receives on every client in turn (so none holds the session back) until `until()` is true."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}; "
                        + "; ".join(f"client {i}: {len(c.messages)} messages, last {c.messages[-1:]!r:.300}"
                                    for i, c in enumerate(clients)))
        for client in clients:
            for _ in range(200):
                if client.pump(0.002) is None:
                    break


class Marker:
    """Tells when a client's output of a session contains `needle`, looking only at what is new (the
    needle may straddle two events)."""

    def __init__(self, client, run_id: str, needle: str):
        self.client, self.run_id, self.needle = client, run_id, needle
        self.index, self.tail, self.found = 0, "", False

    def __call__(self) -> bool:
        messages = self.client.messages
        while not self.found and self.index < len(messages):
            m = messages[self.index]
            self.index += 1
            if m.get("type") == "run:event" and m.get("runId") == self.run_id and m["channel"] == "pty:stdout":
                text = self.tail + m["payload"]
                self.found = self.needle in text
                self.tail = text[-len(self.needle):]
        return self.found
