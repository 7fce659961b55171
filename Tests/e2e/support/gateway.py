"""A real dispatch-gateway on a free loopback port, with an HTTP and WebSocket client for it."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import string
import subprocess
import time
from pathlib import Path

import pytest
from websockets.sync.client import connect as ws_connect

from support.processes import descendants_of
from support.raw_http import RawResponse, read_response
from support.ws_client import WSClient

REPO = Path(__file__).resolve().parents[3]
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


def gateway_env(home: Path, port: int, key: str, static_dir: Path, folder: Path) -> dict[str, str]:
    """What a test's gateway runs with: its own home, loopback port and key; HOME is the test's `folder`."""
    return {
        "DISPATCH_HOME": str(home),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "TERMINAL_KEY": key,
        "DISPATCH_STATIC_DIR": str(static_dir),
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": str(folder),
    }


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
        env = gateway_env(self.home, self.port, self.key, STATIC_DIR, tmp) | (extra_env or {})
        self.log_format = env.get("LOG_FORMAT", "json")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([*command_prefix, str(GATEWAY_BIN)], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, cwd=str(tmp), pass_fds=pass_fds)
        self.host_header = f"127.0.0.1:{self.port}"
        self.origin = f"http://127.0.0.1:{self.port}"
        self.cookie_name = f"dispatch_session_{self.port}"
        try:
            self._wait_healthy()
        except BaseException:
            # Nobody holds this object yet to stop it: a gateway that failed its start is not left running.
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self._log.close()
            raise

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
