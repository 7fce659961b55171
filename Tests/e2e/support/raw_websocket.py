"""Hand-made WebSocket frames over a plain socket, for frames no library would send."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import struct
import time
from typing import TYPE_CHECKING

from support.raw_http import peer_closed, read_response

if TYPE_CHECKING:
    from support.gateway import GatewayProcess


def encode_frame(opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0, mask: bool = True,
                 mask_key: bytes | None = None, declared_length: int | None = None) -> bytes:
    """A client frame. `rsv` is the 3 reserved bits (0-7); `declared_length` lies about the length."""
    length = len(payload) if declared_length is None else declared_length
    first = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0x0F)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        header = struct.pack("!BB", first, mask_bit | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, length)
    if not mask:
        return header + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if len(payload) < 4096 else _mask_fast(payload, key)
    return header + key + masked


def _mask_fast(payload: bytes, key: bytes) -> bytes:
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class RawWebSocket:
    """A WebSocket client on a plain socket, for frames no library would send."""

    def __init__(self, sock: socket.socket, leftover: bytes = b""):
        self.sock = sock
        self.buffer = leftover

    @classmethod
    def open(cls, gw: "GatewayProcess", *, cookie: str | None = None, origin: str | None = "default",
             path: str = "/ws", source: str | None = None, extra_headers: list[tuple[str, str]] = (),
             host: str | None = None):
        """Performs the upgrade; returns (RawWebSocket or None, the handshake response)."""
        sock = gw.connect(source=source)
        key = base64.b64encode(os.urandom(16)).decode()
        headers = [("Host", host or gw.host_header), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                   ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13")]
        if origin == "default":
            origin = gw.origin
        if origin is not None:
            headers.append(("Origin", origin))
        if cookie:
            headers.append(("Cookie", cookie))
        headers += list(extra_headers)
        request = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        sock.sendall(request.encode())
        response = read_response(sock, head_only=True)
        if response.status != 101:
            # Read the error body too, for the assertion messages.
            length = int(response.header("Content-Length") or 0)
            body = response.leftover
            sock.settimeout(3)
            while len(body) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                body += chunk
            response.body = body[:length]
            sock.close()
            return None, response
        expected = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        assert response.header("Sec-WebSocket-Accept") == expected, "wrong Sec-WebSocket-Accept"
        return cls(sock, response.leftover), response

    def send_frame(self, opcode: int, payload: bytes = b"", **kwargs):
        self.sock.sendall(encode_frame(opcode, payload, **kwargs))

    def send_raw(self, data: bytes):
        self.sock.sendall(data)

    def send_json(self, obj):
        self.send_frame(OP_TEXT, json.dumps(obj).encode())

    def _fill(self, count: int, deadline: float):
        while len(self.buffer) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no complete frame in time")
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"connection closed; {len(self.buffer)} bytes buffered")
            self.buffer += chunk

    def recv_frame(self, timeout: float = 5.0) -> tuple[int, bool, bytes]:
        """(opcode, fin, payload) of the next server frame, which must be unmasked."""
        deadline = time.monotonic() + timeout
        self._fill(2, deadline)
        first, second = self.buffer[0], self.buffer[1]
        assert second & 0x80 == 0, "server frames must not be masked"
        assert first & 0x70 == 0, "server set reserved bits"
        length, offset = second & 0x7F, 2
        if length == 126:
            self._fill(4, deadline)
            length, offset = struct.unpack("!H", self.buffer[2:4])[0], 4
        elif length == 127:
            self._fill(10, deadline)
            length, offset = struct.unpack("!Q", self.buffer[2:10])[0], 10
        self._fill(offset + length, deadline)
        payload = self.buffer[offset:offset + length]
        self.buffer = self.buffer[offset + length:]
        return first & 0x0F, bool(first & 0x80), payload

    def recv_json(self, timeout: float = 5.0):
        """The next text message as JSON (pings are answered, other control frames skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            opcode, fin, payload = self.recv_frame(max(0.01, deadline - time.monotonic()))
            if opcode == OP_PING:
                self.send_frame(OP_PONG, payload)
                continue
            if opcode == OP_CLOSE:
                raise AssertionError(f"server closed: {parse_close(payload)}")
            assert opcode == OP_TEXT and fin, f"unexpected frame opcode={opcode} fin={fin}"
            return json.loads(payload.decode("utf-8"))

    def expect_close(self, code: int, timeout: float = 5.0) -> str:
        """Skips to the server's close frame, asserts its code, answers it, and expects EOF."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                opcode, _, payload = self.recv_frame(max(0.01, deadline - time.monotonic()))
            except (EOFError, TimeoutError, ConnectionResetError) as error:
                raise AssertionError(f"expected a close frame with code {code}, got {error!r}") from None
            if opcode == OP_CLOSE:
                break
        got, reason = parse_close(payload)
        assert got == code, f"close code {got} ({reason!r}), expected {code}"
        try:
            self.send_frame(OP_CLOSE, payload[:2])
        except OSError:
            pass
        assert peer_closed(self.sock, 6.0), "the server did not close the TCP connection after the close frame"
        self.sock.close()
        return reason

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse_close(payload: bytes) -> tuple[int | None, str]:
    if len(payload) < 2:
        return None, ""
    return struct.unpack("!H", payload[:2])[0], payload[2:].decode("utf-8", "replace")
