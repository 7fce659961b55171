"""Terminals: one WebSocket watching one shell, the same interface for both servers."""

from __future__ import annotations

import asyncio
import json
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from wsbench.common import log


class SessionEnded(Exception):
    pass


class Term:
    """A shell reached through a WebSocket. `read()` returns the next chunk of terminal output."""

    ws = None

    async def write(self, data: str) -> None:
        raise NotImplementedError

    async def read(self) -> str:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def read_for(self, seconds: float) -> int:
        """Reads everything that arrives within `seconds`; returns the number of characters."""
        total = 0
        deadline = time.perf_counter() + seconds
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                return total
            try:
                total += len(await asyncio.wait_for(self.read(), left))
            except asyncio.TimeoutError:
                return total

    async def settle(self, quiet: float = 0.25, limit: float = 10.0) -> None:
        """Reads until nothing arrives for `quiet` seconds (the prompt is drawn)."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            try:
                await asyncio.wait_for(self.read(), quiet)
            except asyncio.TimeoutError:
                return
        raise RuntimeError("the terminal never went quiet")

    async def wait_for_text(self, text: str, limit: float) -> float:
        """Reads until `text` has arrived; returns (arrival time by perf_counter, characters read)."""
        tail = ""
        total = 0
        deadline = time.perf_counter() + limit
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise RuntimeError(f"timed out waiting for {text!r}")
            chunk = await asyncio.wait_for(self.read(), left)
            total += len(chunk)
            window = tail + chunk
            if text in window:
                return time.perf_counter(), total
            tail = window[-len(text):]


class DispatchConnection:
    """One authenticated WebSocket to the gateway."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 1
        self.backlog: list[dict] = []

    @classmethod
    async def open(cls, server: "DispatchServer") -> "DispatchConnection":
        ws = await connect(server.ws_url, origin=server.origin, compression=None, max_size=None,
                           open_timeout=30, ping_interval=None)
        conn = cls(ws)
        await ws.send(json.dumps({"type": "auth", "key": server.key}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if message.get("type") == "auth.success":
                return conn
            if message.get("type") == "auth.error":
                raise RuntimeError(f"auth refused: {message}")

    async def request(self, message_type: str, limit: float = 30.0, **fields) -> dict:
        request_id = self.next_id
        self.next_id += 1
        await self.ws.send(json.dumps({"type": message_type, "id": request_id, **fields}))
        deadline = time.perf_counter() + limit
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise RuntimeError(f"no reply to {message_type}")
            message = json.loads(await asyncio.wait_for(self.ws.recv(), left))
            if message.get("type") == "reply" and message.get("id") == request_id:
                if not message.get("ok"):
                    raise RuntimeError(f"{message_type} failed: {message}")
                return message
            if message.get("type") == "run:event":
                self.backlog.append(message)

    async def close(self) -> None:
        await self.ws.close()


class DispatchTerm(Term):
    def __init__(self, conn: DispatchConnection, run_id: str, flow: bool = False):
        self.conn = conn
        self.ws = conn.ws
        self.run_id = run_id
        self.flow = flow  # acknowledge every event as it is read, as a browser does once xterm.js rendered it

    @classmethod
    async def create(cls, conn: DispatchConnection, flow: bool = False) -> "DispatchTerm":
        reply = await conn.request("create", kind="pty", cols=120, rows=40)
        term = cls(conn, reply["runId"], flow)
        await conn.request("run:attach", runId=term.run_id, afterSeq=0, flow=flow)
        return term

    async def write(self, data: str) -> None:
        await self.ws.send(json.dumps({"type": "run:input", "runId": self.run_id, "data": data}))

    async def _output(self, message: dict) -> str | None:
        if message.get("type") != "run:event" or message.get("runId") != self.run_id:
            return None
        if self.flow:
            await self.ws.send(json.dumps({"type": "run:ack", "runId": self.run_id, "seq": message["seq"]}))
        channel = message.get("channel")
        if channel == "pty:stdout":
            return message["payload"]
        if channel == "pty:exit":
            raise SessionEnded(str(message.get("payload")))
        return None

    async def read(self) -> str:
        while self.conn.backlog:
            text = await self._output(self.conn.backlog.pop(0))
            if text is not None:
                return text
        while True:
            text = await self._output(json.loads(await self.ws.recv()))
            if text is not None:
                return text

    async def close(self) -> None:
        try:
            await self.conn.request("run:close", limit=15, runId=self.run_id)
        except (RuntimeError, ConnectionClosed, asyncio.TimeoutError) as error:
            log(f"  (closing {self.run_id}: {error})")


class TerminadoTerm(Term):
    def __init__(self, ws):
        self.ws = ws

    @classmethod
    async def open(cls, server: "TerminadoServer") -> "TerminadoTerm":
        ws = await connect(server.ws_url, compression=None, max_size=None, open_timeout=30, ping_interval=None)
        term = cls(ws)
        await ws.send(json.dumps(["set_size", 40, 120]))
        return term

    async def write(self, data: str) -> None:
        await self.ws.send(json.dumps(["stdin", data]))

    async def read(self) -> str:
        while True:
            message = json.loads(await self.ws.recv())
            if message[0] == "stdout":
                return message[1]
            if message[0] == "disconnect":
                raise SessionEnded("disconnect")

    async def close(self) -> None:
        await self.ws.close()
