"""End-to-end fixtures and helpers: a real dispatch-gateway on a free loopback port, raw HTTP and
hand-made WebSocket frames over plain sockets, and a small JSON client on top of `websockets`.

Every wait is bounded and fails with a message saying what was awaited.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import string
import struct
import subprocess
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

REPO = Path(__file__).resolve().parents[2]
GATEWAY_BIN = REPO / ".build" / "debug" / "dispatch-gateway"
STATIC_DIR = REPO / "static"

# A second loopback address: the login rate limiter counts per client address.
OTHER_SOURCE = "127.0.0.2"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def random_key(length: int = 32) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def wait_until(predicate, timeout: float, what: str, interval: float = 0.02):
    """Polls `predicate` until it returns something truthy; fails naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what} (last value: {last!r})")
        time.sleep(interval)


def process_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state letter, command name) of every process in /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces.
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), fields[0], stat[stat.index("(") + 1:stat.rindex(")")])
    return table


def descendants_of(root: int) -> dict[int, tuple[int, str, str]]:
    """Every process below `root`, as in `process_table`."""
    table = process_table()
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, row in table.items():
            if row[0] == parent and pid not in found:
                found[pid] = row
                frontier.append(pid)
    return found


# ---------------------------------------------------------------------------------------------
# Raw HTTP


class RawResponse:
    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes):
        self.status = status
        self.reason = reason
        self.header_list = headers
        self.body = body

    def header(self, name: str) -> str | None:
        for key, value in self.header_list:
            if key.lower() == name.lower():
                return value
        return None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<RawResponse {self.status} {self.reason} {self.body[:200]!r}>"


def read_response(sock: socket.socket, timeout: float = 5.0, head_only: bool = False) -> RawResponse:
    """Reads one HTTP/1.1 response (Content-Length framed) from `sock`."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before a complete response head; got {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status, *reason = lines[0].split(" ", 2)
    assert version == "HTTP/1.1", f"unexpected status line {lines[0]!r}"
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    response = RawResponse(int(status), reason[0] if reason else "", headers, b"")
    length = 0 if head_only or response.status in (101, 204, 304) else int(response.header("Content-Length") or 0)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed in the middle of a response body ({len(rest)}/{length})")
        rest += chunk
    response.body = rest[:length]
    response.leftover = rest[length:]
    return response


def peer_closed(sock: socket.socket, timeout: float = 3.0) -> bool:
    """True when the peer closes (EOF or reset) within `timeout`, discarding any bytes before that."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sock.settimeout(remaining)
        try:
            if not sock.recv(65536):
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


# ---------------------------------------------------------------------------------------------
# Hand-made WebSocket frames


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


# ---------------------------------------------------------------------------------------------
# JSON WebSocket client


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


# ---------------------------------------------------------------------------------------------
# The gateway process


class GatewayProcess:
    def __init__(self, tmp: Path, key: str | None = None, extra_env: dict | None = None, command_prefix: list[str] = (),
                 pass_fds: tuple[int, ...] = (), port: int | None = None):
        """`command_prefix` runs the gateway under a wrapper (`unshare ...`); `proc` is then the wrapper.
        `pass_fds` stay open in it (as systemd passes stored descriptors); `port` reuses a port (a restart)."""
        assert GATEWAY_BIN.exists(), f"{GATEWAY_BIN} is missing: run `swift build` first"
        self.tmp = tmp
        self.key = key or random_key()
        self.port = port or free_port()
        self.home = tmp / "dispatch-home"
        self.log_path = tmp / "gateway.log"
        env = {
            "DISPATCH_HOME": str(self.home),
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "TERMINAL_KEY": self.key,
            "DISPATCH_STATIC_DIR": str(STATIC_DIR),
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": str(tmp),
        }
        env.update(extra_env or {})
        self.log_format = env.get("LOG_FORMAT", "json")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([*command_prefix, str(GATEWAY_BIN)], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, cwd=str(tmp), pass_fds=pass_fds)
        self.host_header = f"127.0.0.1:{self.port}"
        self.origin = f"http://127.0.0.1:{self.port}"
        self.cookie_name = f"dispatch_session_{self.port}"
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"dispatch-gateway exited with {self.proc.returncode} at start:\n{self.log_text()}")
            try:
                status, _, _ = self.request("GET", "/health", timeout=1)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        pytest.fail(f"dispatch-gateway did not answer /health within {timeout} s:\n{self.log_text()}")

    # -- processes and logs

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def log_records(self) -> list[dict]:
        records = []
        for line in self.log_text().splitlines():
            if line.strip():
                records.append(json.loads(line))
        return records

    def descendants(self) -> list[int]:
        """Pids of every living process below the gateway (workers, shells, their children)."""
        return list(descendants_of(self.proc.pid))

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._log.close()
                pytest.fail(f"dispatch-gateway did not stop within {timeout} s of SIGTERM")
        self._log.close()
        return self.proc.returncode

    # -- HTTP

    def connect(self, source: str | None = None, timeout: float = 5.0) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout,
                                        source_address=(source, 0) if source else None)

    def request(self, method: str, path: str, body=None, headers: dict | None = None, *, source: str | None = None,
                timeout: float = 5.0, auth: str | None = None):
        """One request on a fresh connection: (status, headers dict with lower-case names, parsed body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=(source, 0) if source else None)
        try:
            all_headers = dict(headers or {})
            if auth == "bearer":
                all_headers["Authorization"] = f"Bearer {self.key}"
            elif auth:
                all_headers["Cookie"] = auth
                all_headers.setdefault("Origin", self.origin)
            payload = None
            if body is not None:
                payload = body if isinstance(body, (bytes, str)) else json.dumps(body)
                all_headers.setdefault("Content-Type", "application/json")
            elif method in ("POST", "PUT", "PATCH"):
                payload = b""
            conn.request(method, path, body=payload, headers=all_headers)
            response = conn.getresponse()
            raw = response.read()
            response_headers = {k.lower(): v for k, v in response.getheaders()}
            response_headers["_set_cookies"] = response.headers.get_all("Set-Cookie") or []
            ctype = response_headers.get("content-type", "")
            parsed = json.loads(raw) if raw and ctype.startswith("application/json") else raw
            return response.status, response_headers, parsed
        finally:
            conn.close()

    def raw(self, data: bytes, *, source: str | None = None, timeout: float = 5.0,
            head_only: bool = False) -> tuple[RawResponse, socket.socket]:
        """Sends raw bytes on a fresh connection and reads one response; returns it with the open socket."""
        sock = self.connect(source=source, timeout=timeout)
        sock.sendall(data)
        return read_response(sock, timeout, head_only), sock

    def login(self, source: str | None = None) -> str:
        """Logs in with the key; returns the Cookie header value."""
        status, headers, body = self.request("POST", "/api/auth/login", {"key": self.key}, source=source)
        assert status == 200 and body == {"ok": True}, f"login failed: {status} {body!r}"
        cookies = headers["_set_cookies"]
        assert len(cookies) == 1, cookies
        return cookies[0].split(";", 1)[0]

    def assert_serving(self):
        """A new client is still served, and the gateway process is alive."""
        assert self.proc.poll() is None, f"dispatch-gateway died:\n{self.log_text()[-3000:]}"
        status, _, body = self.request("GET", "/health")
        assert status == 200 and body["status"] == "ok", f"/health: {status} {body!r}"

    # -- WebSocket

    def ws(self, *, cookie: str | None = None, key_auth: bool = False, origin: str | None = "default",
           source: str | None = None, expect_auth: bool = True, max_queue=None) -> WSClient:
        """A JSON WebSocket client. With `cookie`, authenticated at the upgrade; with `key_auth`, by an
        `auth` message; the `auth.success` is consumed when `expect_auth`."""
        headers = {}
        if cookie:
            headers["Cookie"] = cookie
        kwargs = {}
        if source:
            kwargs["source_address"] = (source, 0)
        conn = ws_connect(f"ws://127.0.0.1:{self.port}/ws", origin=gw_origin(self, origin),
                          additional_headers=headers, compression=None, proxy=None, open_timeout=5,
                          max_size=4 << 20, max_queue=max_queue, **kwargs)
        client = WSClient(conn)
        if key_auth:
            client.send({"type": "auth", "key": self.key})
        if expect_auth and (cookie or key_auth):
            message = client.wait_for(lambda m: m.get("type") in ("auth.success", "auth.error"), 5, "auth.success")
            assert message["type"] == "auth.success", message
        return client


def gw_origin(gw: GatewayProcess, origin):
    return gw.origin if origin == "default" else origin


def make_gateway(tmp_path_factory, name: str, **kwargs) -> GatewayProcess:
    return GatewayProcess(tmp_path_factory.mktemp(name), **kwargs)


# LOG_FORMAT=text: time, level, message, then key=value fields; nothing a terminal would act on.
TEXT_LOG_LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |ERROR) [^\x00-\x1f\x7f-\x9f]+\Z")


def finish_gateway(gw: GatewayProcess):
    """Stops the gateway, then checks the exit code, the log format and that the key never reached the log."""
    code = gw.stop()
    text = gw.log_text()
    assert code == 0, f"dispatch-gateway exited with {code} after SIGTERM:\n{text[-3000:]}"
    for line in text.splitlines():
        if not line.strip():
            continue
        if gw.log_format == "text":
            assert TEXT_LOG_LINE.match(line), f"a log line is not in the text format: {line!r}"
            continue
        try:
            json.loads(line)
        except ValueError:
            pytest.fail(f"a log line is not JSON: {line!r}")
    assert gw.key not in text, "the key appears in the gateway's log"


@pytest.fixture(scope="session")
def gateway(tmp_path_factory):
    gw = make_gateway(tmp_path_factory, "gateway")
    yield gw
    finish_gateway(gw)


@pytest.fixture
def own_gateway(tmp_path_factory):
    """A gateway of the test's own (for tests that exhaust the login limiter or flood it)."""
    started = []

    def start(**kwargs) -> GatewayProcess:
        gw = make_gateway(tmp_path_factory, "own-gateway", **kwargs)
        started.append(gw)
        return gw

    yield start
    for gw in started:
        finish_gateway(gw)


@pytest.fixture(scope="session")
def cookie(gateway) -> str:
    return gateway.login()


@pytest.fixture
def client(gateway, cookie):
    ws = gateway.ws(cookie=cookie)
    yield ws
    ws.close()


def create_session(ws: WSClient, workspace: str = "e2e", cols: int = 80, rows: int = 24) -> str:
    reply = ws.ok("create", kind="pty", workspace=workspace, cols=cols, rows=rows)
    assert reply["runId"] == reply["session"]["id"]
    return reply["runId"]


def attach_running(ws: WSClient, run_id: str, flow: bool = False, after: int = 0, timeout: float = 10.0):
    """Attaches and waits until the shell has printed something (its prompt)."""
    ws.ok("run:attach", runId=run_id, afterSeq=after, **({"flow": True} if flow else {}))
    ws.wait_event(run_id, lambda e: e["channel"] == "pty:stdout", timeout, "the first output of the shell")
