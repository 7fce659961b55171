"""The JSON protocol over a `websockets` connection."""

from __future__ import annotations

import json
import re
import time

import pytest
from websockets.exceptions import ConnectionClosed


class WSClient:
    """The JSON protocol over a `websockets` connection. Every message received is kept in
    `messages`, in order, so tests can look back at what arrived around a reply."""

    def __init__(self, conn):
        self.conn = conn
        self.messages: list[dict] = []
        self.raw_sizes: list[int] = []
        self._next_id = 0

    def send(self, obj):
        self.conn.send(json.dumps(obj))

    def pump(self, timeout: float) -> dict | None:
        """Receives one message (None on timeout)."""
        try:
            text = self.conn.recv(timeout=max(0.0, timeout))
        except TimeoutError:
            return None
        assert isinstance(text, str), f"binary message from the server: {text[:80]!r}"
        message = json.loads(text)
        self.messages.append(message)
        self.raw_sizes.append(len(text.encode("utf-8")))
        return message

    def wait_for(self, predicate, timeout: float = 5.0, what: str = "a message", start: int = 0) -> dict:
        """The first message (from index `start`) satisfying `predicate`, receiving more as needed."""
        index = start
        deadline = time.monotonic() + timeout
        while True:
            while index < len(self.messages):
                if predicate(self.messages[index]):
                    return self.messages[index]
                index += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                tail = self.messages[-5:]
                pytest.fail(f"timed out after {timeout} s waiting for {what}; last messages: {tail!r}")
            self.pump(remaining)

    def request(self, type_: str, timeout: float = 5.0, **fields) -> dict:
        """Sends a request with a fresh id and returns its reply."""
        self._next_id += 1
        rid = f"r{self._next_id}"
        start = len(self.messages)
        self.send({"type": type_, "id": rid, **fields})
        return self.wait_for(lambda m: m.get("type") == "reply" and m.get("id") == rid, timeout,
                             f"the reply to {type_} {fields!r}", start)

    def ok(self, type_: str, timeout: float = 5.0, **fields) -> dict:
        reply = self.request(type_, timeout, **fields)
        assert reply["ok"] is True, f"{type_} failed: {reply!r}"
        return reply

    def events(self, run_id: str) -> list[dict]:
        return [m for m in self.messages if m.get("type") == "run:event" and m.get("runId") == run_id]

    def output(self, run_id: str) -> str:
        return "".join(e["payload"] for e in self.events(run_id) if e["channel"] == "pty:stdout")

    def wait_output(self, run_id: str, needle: str, timeout: float = 10.0, regex: bool = False) -> str:
        """Waits until the session's output contains `needle` (a regular expression when `regex`)."""
        found = (lambda text: re.search(needle, text)) if regex else (lambda text: needle in text)
        deadline = time.monotonic() + timeout
        while not found(self.output(run_id)):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"timed out after {timeout} s waiting for {needle!r} in the output of {run_id}; "
                            f"output so far: {self.output(run_id)[-500:]!r}")
            self.pump(min(remaining, 0.5))
        return self.output(run_id)

    def wait_event(self, run_id: str, predicate, timeout: float = 10.0, what: str = "an event") -> dict:
        return self.wait_for(lambda m: m.get("type") == "run:event" and m.get("runId") == run_id and predicate(m),
                             timeout, what)

    def drain(self, quiet: float = 0.2, limit: float = 5.0):
        """Receives until nothing arrives for `quiet` seconds (at most `limit` seconds in all)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.pump(quiet) is None:
                return

    def closed_code(self, timeout: float = 5.0) -> int | None:
        """Waits for the server to close the connection; returns the close code it sent."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.pump(deadline - time.monotonic())
            except ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
        pytest.fail(f"the server did not close the WebSocket within {timeout} s")

    def close(self):
        try:
            self.conn.close()
        except Exception:
            pass
