"""DESIGN section 6: cross-site WebSocket hijacking, DNS rebinding, keys in URLs and logs, secrets
reaching sessions, static files outside the root, and a connection flood."""

import os
import select
import time
from pathlib import Path

import pytest

from support.gateway import random_key
from support.polling import wait_until
from support.raw_http import peer_closed, read_response
from support.raw_websocket import RawWebSocket
from support.sessions import attach_running, create_session


def other_port(gateway):
    return 1 if gateway.port != 1 else 2


# --- Origin ---------------------------------------------------------------------------------------

BAD_ORIGINS = {
    "foreign": "http://evil.com",
    "foreign-same-port": "http://evil.com:{port}",
    "null": "null",
    "missing": None,
    "other-port": "http://127.0.0.1:{other}",
    "no-port": "http://127.0.0.1",
    "suffix-lookalike": "http://127.0.0.1:{port}.evil.com",
    "prefix-lookalike": "http://evil127.0.0.1:{port}",
    "subdomain-lookalike": "http://127.0.0.1.evil.com:{port}",
    "userinfo": "http://127.0.0.1:{port}@evil.com",
    "other-loopback-name": "http://localhost:{port}",
    "trailing-slash": "http://127.0.0.1:{port}/",
    "path": "http://127.0.0.1:{port}/ws",
    "leading-zero-port": "http://127.0.0.1:0{port}",
    "ws-scheme": "ws://127.0.0.1:{port}",
    "file": "file://",
    "empty": "",
    "two-origins": "http://127.0.0.1:{port}, http://evil.com",
}


def bad_origin(gateway, name):
    template = BAD_ORIGINS[name]
    return None if template is None else template.format(port=gateway.port, other=other_port(gateway))


@pytest.mark.parametrize("name", list(BAD_ORIGINS))
def test_websocket_upgrade_with_a_bad_origin_is_refused_even_with_a_valid_cookie(gateway, cookie, name):
    sock, response = RawWebSocket.open(gateway, cookie=cookie, origin=bad_origin(gateway, name))
    if sock is not None:
        sock.close()
    assert response.status == 403, f"upgrade with Origin {bad_origin(gateway, name)!r}: {response!r}"
    assert response.json()["error"]
    gateway.assert_serving()


@pytest.mark.parametrize("origin", ["http://127.0.0.1:{port}", "https://127.0.0.1:{port}"])
def test_websocket_upgrade_with_our_origin_is_accepted(gateway, cookie, origin):
    sock, response = RawWebSocket.open(gateway, cookie=cookie, origin=origin.format(port=gateway.port))
    assert sock is not None, response
    try:
        assert sock.recv_json() == {"type": "auth.success"}
    finally:
        sock.close()


def test_websocket_origin_follows_the_host_header(gateway, cookie):
    sock, response = RawWebSocket.open(gateway, cookie=cookie, host=f"localhost:{gateway.port}",
                                       origin=f"http://localhost:{gateway.port}")
    assert sock is not None, response
    sock.close()
    # The origin of one loopback name is not valid for another.
    sock, response = RawWebSocket.open(gateway, cookie=cookie, host=f"localhost:{gateway.port}", origin=gateway.origin)
    assert sock is None and response.status == 403, response


@pytest.mark.parametrize("name", ["foreign", "null", "missing", "other-port", "suffix-lookalike", "prefix-lookalike",
                                  "other-loopback-name"])
def test_cookie_state_changes_need_our_origin(gateway, cookie, name):
    origin = bad_origin(gateway, name)
    headers = {"Cookie": cookie}
    if origin is not None:
        headers["Origin"] = origin
    before = len(gateway.request("GET", "/api/sessions", auth="bearer")[2]["sessions"])
    status, _, body = gateway.request("POST", "/api/sessions", {"kind": "pty", "workspace": "csrf"}, headers=headers)
    assert status == 403 and body["error"], (origin, status, body)
    assert len(gateway.request("GET", "/api/sessions", auth="bearer")[2]["sessions"]) == before, "a session was created"
    status, _, body = gateway.request("DELETE", "/api/sessions/whatever", headers=headers)
    assert status == 403, (origin, status, body)
    # Logout is a state change too: refused, and the cookie still works.
    status, _, body = gateway.request("POST", "/api/auth/logout", b"", headers=headers)
    assert status == 403, (origin, status, body)
    assert gateway.request("GET", "/api/auth/check", headers={"Cookie": cookie})[0] == 200
    gateway.assert_serving()


def test_cookie_state_change_with_our_origin_and_bearer_without_origin(gateway, cookie):
    status, _, body = gateway.request("POST", "/api/sessions", {"kind": "pty", "workspace": "csrf-ok"},
                                      headers={"Cookie": cookie, "Origin": gateway.origin})
    assert status == 201, body
    status, _, body = gateway.request("DELETE", f"/api/sessions/{body['id']}", headers={"Cookie": cookie, "Origin": gateway.origin})
    assert status == 200, body
    status, _, body = gateway.request("POST", "/api/sessions", {"kind": "pty", "workspace": "bearer-ok"},
                                      headers={"Authorization": f"Bearer {gateway.key}"})
    assert status == 201, body
    status, _, body = gateway.request("DELETE", f"/api/sessions/{body['id']}", headers={"Authorization": f"Bearer {gateway.key}"})
    assert status == 200, body
    # Reads with a cookie need no Origin.
    assert gateway.request("GET", "/api/sessions", headers={"Cookie": cookie})[0] == 200


# --- Host (DNS rebinding) ----------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.com", "127.0.0.1.nip.io", "evil.com:{port}", "localhost.evil.com",
                                  "127.0.0.1.nip.io:{port}", "localhost:{port}.evil.com", "", "0x7f.0.0.1", "127.1",
                                  "127.000.000.001", "127.0.0.1:0{port}", "127.0.0.1:99999", "[::1", "evil.com@127.0.0.1"])
def test_foreign_host_is_403(gateway, host, cookie):
    host = host.format(port=gateway.port)
    for method, path, auth in [("GET", "/health", None), ("GET", "/", None), ("GET", "/api/sessions", "bearer"),
                               ("GET", "/api/auth/check", cookie)]:
        headers = {"Host": host}
        if auth == "bearer":
            headers["Authorization"] = f"Bearer {gateway.key}"
        elif auth:
            headers["Cookie"] = auth
        status, _, body = gateway.request(method, path, headers=headers)
        assert status == 403, (host, path, status, body)
        assert body["error"]
    status, _, body = gateway.request("POST", "/api/auth/login", {"key": gateway.key}, headers={"Host": host})
    assert status == 403 and body["error"], (host, status, body)
    # A rebound name cannot open a WebSocket either, whatever Origin it claims.
    sock, response = RawWebSocket.open(gateway, cookie=cookie, host=host, origin=f"http://{host}")
    assert sock is None and response.status == 403, response
    gateway.assert_serving()


@pytest.mark.parametrize("host", ["localhost", "localhost:{port}", "LOCALHOST:{port}", "127.0.0.1", "127.0.0.1:{port}",
                                  "[::1]", "[::1]:{port}", "10.1.2.3", "192.168.0.1:{port}"])
def test_loopback_and_ip_hosts_are_allowed(gateway, host):
    host = host.format(port=gateway.port)
    status, _, body = gateway.request("GET", "/health", headers={"Host": host})
    assert status == 200, (host, body)


# --- keys in URLs, logs and sessions -----------------------------------------------------------------


@pytest.mark.parametrize("query", ["key={key}", "token={key}", "access_token={key}", "TERMINAL_KEY={key}", "auth={key}"])
def test_key_in_query_string_is_ignored(gateway, query):
    query = query.format(key=gateway.key)
    status, _, body = gateway.request("GET", f"/api/sessions?{query}")
    assert status == 401, (status, body)
    status, _, body = gateway.request("GET", f"/api/auth/check?{query}")
    assert (status, body) == (200, {"authenticated": False}), body
    status, _, body = gateway.request("POST", f"/api/sessions?{query}", {"kind": "pty", "workspace": "q"},
                                      headers={"Origin": gateway.origin})
    assert status == 401, body
    # A WebSocket opened with the key in its URL is upgraded but not authenticated.
    sock, response = RawWebSocket.open(gateway, path=f"/ws?{query}")
    assert sock is not None, response
    try:
        sock.send_json({"type": "list", "id": "q"})
        answer = sock.recv_json()
        assert answer["type"] == "auth.error", answer
    finally:
        sock.close()
    assert gateway.key not in gateway.log_text(), "a URL carrying the key was logged"


def test_key_in_login_url_is_ignored(gateway):
    status, headers, body = gateway.request("POST", f"/api/auth/login?key={gateway.key}", b"{}", source="127.0.0.60")
    assert status == 401 and headers["_set_cookies"] == [], body
    assert gateway.key not in gateway.log_text()


def test_failed_logins_and_the_key_leave_no_trace(own_gateway):
    gw = own_gateway()
    session_cookie = gw.login()
    token = session_cookie.split("=", 1)[1]
    candidates = [random_key() for _ in range(48)] + [gw.key[:-1] + ("x" if gw.key[-1] != "x" else "y"), "x" + gw.key]
    statuses = []
    for index, candidate in enumerate(candidates):
        source = f"127.0.1.{index + 1}"
        if index % 5 == 4:  # every fifth over the WebSocket
            ws = gw.ws(source=source, expect_auth=False)
            ws.send({"type": "auth", "key": candidate})
            answer = ws.wait_for(lambda m: m.get("type") in ("auth.success", "auth.error"), 5, "the auth answer")
            ws.close()
            assert answer["type"] == "auth.error", answer
            statuses.append(429 if "retryAfter" in answer else 401)
        else:
            status, _, body = gw.request("POST", "/api/auth/login", {"key": candidate}, source=source)
            assert status in (401, 429), (candidate, status, body)
            statuses.append(status)
    assert statuses.count(401) >= 5, statuses

    # A session with a grandchild, so that every level of descendants is looked at.
    status, _, created = gw.request("POST", "/api/sessions", {"kind": "pty", "workspace": "secrets"}, auth="bearer")
    assert status == 201, created
    # The global limiter now refuses every login for a minute; the cookie from before still works.
    ws = gw.ws(cookie=session_cookie)
    attach_running(ws, created["id"])
    ws.send({"type": "run:input", "runId": created["id"], "data": "sleep 30 & echo bg''-started\r"})
    ws.wait_output(created["id"], "bg-started\r\n")

    def comms():
        names = []
        for pid in gw.descendants():
            try:
                names.append(Path(f"/proc/{pid}/comm").read_text().strip())
            except OSError:
                pass
        return "sleep" in names and "bash" in names and len(names) >= 3 and names

    names = wait_until(comms, 5, "the worker, the shell and its sleep among the gateway's descendants")
    secrets_ = [gw.key.encode(), token.encode()]
    checked = 0
    for pid in gw.descendants():
        for part in ("cmdline", "environ"):
            try:
                data = Path(f"/proc/{pid}/{part}").read_bytes()
            except (FileNotFoundError, ProcessLookupError):
                continue
            checked += 1
            for secret in secrets_:
                assert secret not in data, f"a secret is in /proc/{pid}/{part} ({names})"
            assert b"TERMINAL_KEY" not in data, f"TERMINAL_KEY is named in /proc/{pid}/{part}"
    assert checked >= 6, checked
    ws.close()

    log = gw.log_text()
    for candidate in candidates:
        assert candidate not in log, "a candidate key was logged"
    assert gw.key not in log and token not in log
    failures = [r for r in gw.log_records() if r.get("msg") == "login failed"]
    assert len(failures) == statuses.count(401)
    # Nothing under DISPATCH_HOME keeps a candidate, the key or the token in clear.
    for path in gw.home.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            for secret in [c.encode() for c in candidates] + secrets_:
                assert secret not in data, f"a secret is stored in {path}"


def test_key_is_gone_from_the_gateways_own_environment(gateway, client):
    # What a shell in a session (same user) can read about the gateway.
    run_id = create_session(client, "peek")
    attach_running(client, run_id)
    client.send({"type": "run:input", "runId": run_id,
                 "data": f"tr '\\0' '\\n' < /proc/{gateway.proc.pid}/environ | grep -c ^TERMINAL_KEY=; echo peek''-done\r"})
    output = client.wait_output(run_id, "peek-done\r\n")
    client.ok("run:close", runId=run_id)
    assert gateway.key.encode() not in Path(f"/proc/{gateway.proc.pid}/environ").read_bytes(), \
        "the key is readable in /proc/<gateway pid>/environ"
    assert gateway.key not in output


def test_workspace_symlink_out_of_the_root_is_refused(gateway, tmp_path):
    outside = tmp_path / "outside-ws"
    outside.mkdir()
    link = gateway.home / "workspaces" / "escape"
    link.symlink_to(outside)
    try:
        status, _, body = gateway.request("POST", "/api/sessions", {"kind": "pty", "workspace": "escape"}, auth="bearer")
        assert status == 400 and "escape" in body["error"], (status, body)
        assert list(outside.iterdir()) == []
    finally:
        link.unlink()
    gateway.assert_serving()


# --- static files --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/../etc/passwd", "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                                  "/.%2e/.%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/%2Fetc%2Fpasswd",
                                  "//etc/passwd", "/.git/config", "/.hidden", "/index.html/..", "/..\\..\\etc\\passwd"])
def test_static_paths_stay_inside_the_root(gateway, path):
    response, sock = gateway.raw(f"GET {path} HTTP/1.1\r\nHost: {gateway.host_header}\r\n\r\n".encode())
    sock.close()
    assert response.status in (400, 404), (path, response)
    assert b"root:" not in response.body
    gateway.assert_serving()


def test_static_files_never_follow_a_symlink_out_of_the_root(own_gateway, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<!doctype html><title>t</title>")
    secret_dir = tmp_path / "outside"
    secret_dir.mkdir()
    (secret_dir / "secret.txt").write_text("TOP-SECRET")
    (static / "leak.txt").symlink_to(secret_dir / "secret.txt")
    (static / "sub").symlink_to(secret_dir)
    gw = own_gateway(extra_env={"DISPATCH_STATIC_DIR": str(static)})
    assert gw.request("GET", "/")[0] == 200
    for path in ("/leak.txt", "/sub/secret.txt"):
        status, _, body = gw.request("GET", path)
        assert status == 404 and b"TOP-SECRET" not in (body if isinstance(body, bytes) else str(body).encode()), \
            f"GET {path} followed a symlink out of the static root: {status} {body!r}"


# --- a connection flood ------------------------------------------------------------------------------


def _fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_thousand_connections_at_once(own_gateway):
    gw = own_gateway()
    # Already connected before the flood: a terminal session and a keep-alive HTTP connection.
    ws = gw.ws(key_auth=True)
    run_id = create_session(ws, "flood")
    attach_running(ws, run_id)
    keep = gw.connect()
    keep.sendall(f"GET /health HTTP/1.1\r\nHost: {gw.host_header}\r\n\r\n".encode())
    assert read_response(keep).status == 200
    baseline_fds = _fd_count(gw.proc.pid)

    flood = []
    try:
        for _ in range(1000):
            flood.append(gw.connect(timeout=10))
        # Collect what each flood connection gets within a bounded time: a 503 and a close, or nothing.
        received = {s.fileno(): b"" for s in flood}
        ended = set()
        poller = select.poll()
        by_fd = {s.fileno(): s for s in flood}
        for s in flood:
            poller.register(s, select.POLLIN)
        deadline = time.monotonic() + 10
        quiet_since = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - quiet_since < 1.0:
            events = poller.poll(200)
            if events:
                quiet_since = time.monotonic()
            for fd, _ in events:
                try:
                    chunk = by_fd[fd].recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if chunk:
                    received[fd] += chunk
                else:
                    ended.add(fd)
                    poller.unregister(fd)
        refused = [fd for fd, data in received.items() if data]
        silent = [fd for fd, data in received.items() if not data]
        assert len(refused) >= 1000 - 256, f"only {len(refused)} of 1000 connections were refused"
        assert len(silent) <= 256, f"{len(silent)} connections were accepted beyond the unauthenticated limit"
        for fd in refused:
            data = received[fd]
            assert data.startswith(b"HTTP/1.1 503"), data[:100]
            assert b'"error":"too many' in data, data
            assert fd in ended, "a refused connection was left open"
        assert not (set(silent) & ended), "an accepted idle connection was closed early"

        # The gateway is alive, the connected clients are still served.
        assert gw.proc.poll() is None
        keep.sendall(f"GET /health HTTP/1.1\r\nHost: {gw.host_header}\r\n\r\n".encode())
        assert read_response(keep).status == 200
        ws.send({"type": "run:input", "runId": run_id, "data": "echo during''-flood\r"})
        ws.wait_output(run_id, "during-flood\r\n", timeout=5)
        # A new connection while the unauthenticated slots are full is refused cleanly, not hung.
        status, _, body = gw.request("GET", "/health")
        assert status in (200, 503), (status, body)
    finally:
        for s in flood:
            s.close()

    # Once the flood is gone everybody gets in again, and the gateway holds no leftover sockets.
    wait_until(lambda: gw.request("GET", "/health")[0] == 200, 5, "/health on a new connection after the flood")
    wait_until(lambda: _fd_count(gw.proc.pid) <= baseline_fds + 1, 5,
               f"the gateway's open fds to return to {baseline_fds} after the flood")
    keep.close()
    ws.ok("run:close", runId=run_id)
    ws.close()
    gw.assert_serving()


def test_total_connection_limit(own_gateway):
    """Authenticated WebSockets do not count as unauthenticated, but every connection counts towards the total."""
    gw = own_gateway()
    cookie = gw.login()
    sockets = []
    try:
        refused_at = None
        for index in range(1100):
            sock, response = RawWebSocket.open(gw, cookie=cookie)
            if sock is None:
                refused_at = index
                assert response.status == 503 and "too many" in response.json()["error"], response
                break
            sockets.append(sock)
        assert refused_at is not None, "1100 WebSockets were accepted: no total connection limit"
        assert 1000 <= refused_at <= 1024, f"the total limit refused connection number {refused_at + 1}"
        # Everybody connected is still served.
        first, last = sockets[0], sockets[-1]
        for sock in (first, last):
            assert sock.recv_json() == {"type": "auth.success"}
            sock.send_json({"type": "list", "id": "still"})
            reply = sock.recv_json()
            while reply.get("type") != "reply":
                reply = sock.recv_json()
            assert reply["ok"] is True
        assert gw.proc.poll() is None
    finally:
        for sock in sockets:
            sock.close()
    wait_until(lambda: gw.request("GET", "/health")[0] == 200, 5, "/health once the WebSockets are gone")
    gw.assert_serving()


def test_slow_and_silent_clients_are_timed_out(gateway, cookie):
    """One wait covers the 10 s timeouts: a half-sent request gets 408, an unauthenticated WebSocket is
    closed with 1008, an authenticated one stays."""
    started = time.monotonic()
    slow = gateway.connect()
    slow.sendall(f"GET /health HTTP/1.1\r\nHost: {gateway.host_header}\r\n".encode())
    anonymous, response = RawWebSocket.open(gateway)
    assert anonymous is not None, response
    member = gateway.ws(cookie=cookie)
    try:
        response = read_response(slow, timeout=14)
        assert response.status == 408, response
        assert peer_closed(slow)
        anonymous.expect_close(1008, timeout=max(0.5, 14 - (time.monotonic() - started)))
        elapsed = time.monotonic() - started
        assert 9 <= elapsed <= 14, f"timeouts fired after {elapsed:.1f} s, expected about 10 s"
        member.ok("list")
    finally:
        slow.close()
        anonymous.close()
        member.close()
    gateway.assert_serving()
