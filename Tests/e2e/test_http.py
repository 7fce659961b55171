"""HTTP/1.1 front: limits and malformed requests get a clear status and never disturb other clients;
the static UI and the REST session routes."""

import json
import socket
import time

import pytest

from support.raw_http import peer_closed, read_response


def head(gateway, request_line: str, headers: list[str] | None = None) -> bytes:
    lines = [request_line, f"Host: {gateway.host_header}", *(headers or [])]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def refused(gateway, data: bytes, status: int, source=None):
    """Sends `data`, expects `status` with a JSON error, and the connection closed after it."""
    response, sock = gateway.raw(data, source=source)
    try:
        assert response.status == status, f"expected {status}, got {response!r}"
        assert response.header("Content-Type").startswith("application/json")
        assert response.header("Connection") == "close"
        error = response.json()["error"]
        assert isinstance(error, str) and error, response.body
        assert peer_closed(sock), "the connection stayed open after a framing error"
        return error
    finally:
        sock.close()


# --- basics -------------------------------------------------------------------------------------


def test_health(gateway):
    status, headers, body = gateway.request("GET", "/health")
    assert status == 200
    assert body["status"] == "ok" and isinstance(body["sessions"], int)
    assert headers["cache-control"] == "no-store"
    assert headers["content-type"].startswith("application/json")


def test_health_refuses_post(gateway):
    status, headers, body = gateway.request("POST", "/health", b"")
    assert status == 405 and "error" in body and "GET" in headers["allow"]
    gateway.assert_serving()


def test_static_ui_security_headers_and_etag(gateway):
    status, headers, body = gateway.request("GET", "/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    csp = [part.strip() for part in headers["content-security-policy"].split(";")]
    assert "script-src 'self'" in csp, csp
    assert "frame-ancestors 'none'" in csp, csp
    assert not any("unsafe-inline" in part or "unsafe-eval" in part for part in csp if part.startswith("script-src"))
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    etag = headers["etag"]
    assert etag.startswith('"') and etag.endswith('"'), etag

    status, headers2, body2 = gateway.request("GET", "/", headers={"If-None-Match": etag})
    assert status == 304 and body2 == b""
    assert headers2["etag"] == etag
    status, _, body3 = gateway.request("GET", "/index.html", headers={"If-None-Match": '"other"'})
    assert status == 200 and body3 == body


def test_static_head_has_no_body(gateway):
    response, sock = gateway.raw(head(gateway, "HEAD / HTTP/1.1"), head_only=True)
    try:
        assert response.status == 200
        assert int(response.header("Content-Length")) > 0
        # A HEAD response is only a head: the next bytes must be the next response, so send one.
        sock.sendall(head(gateway, "GET /health HTTP/1.1"))
        data = response.leftover
        sock.settimeout(5)
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        assert data.startswith(b"HTTP/1.1 200"), data[:80]
    finally:
        sock.close()


def test_static_unknown_file_is_404(gateway):
    status, headers, body = gateway.request("GET", "/no-such-file.js")
    assert status == 404 and "error" in body


def test_api_responses_are_not_cached(gateway, cookie):
    for path, auth in [("/api/sessions", cookie), ("/api/auth/check", cookie), ("/api/auth/check", None),
                       ("/api/sessions", None), ("/api/nope", cookie), ("/api/sessions/unknown", cookie)]:
        status, headers, _ = gateway.request("GET", path, auth=auth)
        assert headers.get("cache-control") == "no-store", (path, status, headers)


def test_pipelined_requests_are_answered_in_order(gateway):
    response, sock = gateway.raw(head(gateway, "GET /health HTTP/1.1") + head(gateway, "GET /nope.txt HTTP/1.1")
                                 + head(gateway, "GET /health HTTP/1.1"))
    try:
        assert response.status == 200
        sock2 = _Prefixed(sock, response.leftover)
        second = read_response(sock2)
        assert second.status == 404
        sock2.prefix = second.leftover
        third = read_response(sock2)
        assert third.status == 200
    finally:
        sock.close()


class _Prefixed:
    """A socket whose first recv returns bytes already read."""

    def __init__(self, sock, prefix):
        self.sock, self.prefix = sock, prefix

    def settimeout(self, t):
        self.sock.settimeout(t)

    def recv(self, n):
        if self.prefix:
            data, self.prefix = self.prefix, b""
            return data
        return self.sock.recv(n)


# --- limits and malformed requests --------------------------------------------------------------


def test_request_line_too_long_is_414(gateway):
    # Not even a line end: the limit must trip while the line is still arriving.
    sock = gateway.connect()
    try:
        sock.sendall(b"GET /" + b"a" * (8 * 1024 + 100))
        response = read_response(sock)
        assert response.status == 414, response
        assert peer_closed(sock)
    finally:
        sock.close()
    refused(gateway, head(gateway, "GET /" + "a" * 9000 + " HTTP/1.1"), 414)
    gateway.assert_serving()


def test_headers_too_large_is_431(gateway):
    refused(gateway, head(gateway, "GET /health HTTP/1.1", ["X-Big: " + "b" * (17 * 1024)]), 431)
    many = [f"X-H{i}: {'v' * 190}" for i in range(90)]  # 90 lines of ~200 bytes: 18 KB in all
    refused(gateway, head(gateway, "GET /health HTTP/1.1", many), 431)
    gateway.assert_serving()


def test_too_many_headers_is_431(gateway):
    refused(gateway, head(gateway, "GET /health HTTP/1.1", [f"X-H{i}: 1" for i in range(101)]), 431)
    # 99 headers plus Host is still fine.
    response, sock = gateway.raw(head(gateway, "GET /health HTTP/1.1", [f"X-H{i}: 1" for i in range(99)]))
    sock.close()
    assert response.status == 200
    gateway.assert_serving()


def test_body_too_large_is_413_before_the_body_is_sent(gateway, cookie):
    data = head(gateway, "POST /api/sessions HTTP/1.1",
                ["Content-Type: application/json", f"Content-Length: {2 * 1024 * 1024}", f"Cookie: {cookie}",
                 f"Origin: {gateway.origin}"])
    # Only the head goes out: the answer must not wait for two megabytes that never come.
    refused(gateway, data, 413)
    # Just over the limit, body actually sent.
    sock = gateway.connect()
    try:
        body = b"x" * (1024 * 1024 + 1)
        sock.sendall(head(gateway, "POST /api/auth/login HTTP/1.1", [f"Content-Length: {len(body)}"]))
        try:
            sock.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = read_response(sock)
        assert response.status == 413, response
    finally:
        sock.close()
    gateway.assert_serving()


def test_body_at_the_limit_is_read(gateway):
    body = json.dumps({"key": "x" * (1024 * 1024 - 20)}).encode()
    body += b" " * (1024 * 1024 - len(body))
    assert len(body) == 1024 * 1024
    # From its own address: a wrong key counts against the client that sent it.
    response, sock = gateway.raw(head(gateway, "POST /api/auth/login HTTP/1.1", [f"Content-Length: {len(body)}"]) + body,
                                 source="127.0.0.20")
    sock.close()
    assert response.status == 401, response
    gateway.assert_serving()


def test_post_without_content_length_is_411(gateway):
    refused(gateway, head(gateway, "POST /api/auth/login HTTP/1.1", ["Content-Type: application/json"]), 411)
    gateway.assert_serving()


def test_transfer_encoding_is_501(gateway):
    data = head(gateway, "POST /api/auth/login HTTP/1.1", ["Transfer-Encoding: chunked"]) + b"5\r\nhello\r\n0\r\n\r\n"
    refused(gateway, data, 501)
    # Together with a Content-Length (the classic smuggling pair) it is refused just the same.
    data = head(gateway, "POST /api/auth/login HTTP/1.1", ["Content-Length: 5", "Transfer-Encoding: chunked"]) + b"0\r\n\r\n"
    refused(gateway, data, 501)
    gateway.assert_serving()


def test_http2_is_505(gateway):
    refused(gateway, head(gateway, "GET /health HTTP/2.0"), 505)
    refused(gateway, head(gateway, "GET /health HTTP/3.0"), 505)
    gateway.assert_serving()


@pytest.mark.parametrize("data", [
    b"HELLO\r\n\r\n",
    b"GET /health\r\n\r\n",
    b"GET  /health HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /health HTTP/1.1 extra\r\n\r\n",
    b"\x00\x01\x02\x03 \xff\xfe \x80\r\n\r\n",
    b"GET http://evil.com/ HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /health HTTP/1.1\r\n\r\n",  # no Host in HTTP/1.1
    b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost : a\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
    b"POST /api/auth/login HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
    b"POST /api/auth/login HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
], ids=["no-spaces", "http09", "double-space", "extra-part", "binary", "absolute-form", "no-host", "two-hosts",
        "space-before-colon", "obs-fold", "negative-length", "conflicting-lengths"])
def test_malformed_requests_are_400(gateway, data):
    refused(gateway, data.replace(b"Host: a", f"Host: {gateway.host_header}".encode())
            .replace(b"Host: x", f"Host: {gateway.host_header}".encode()), 400)
    gateway.assert_serving()


def test_half_sent_request_does_not_block_others(gateway):
    slow = gateway.connect()
    try:
        slow.sendall(f"GET /health HTTP/1.1\r\nHost: {gateway.host_header}\r\nX-Slow: ".encode())
        started = time.monotonic()
        for _ in range(5):
            gateway.assert_serving()
        assert time.monotonic() - started < 5
        # Nothing was answered on the half-sent request yet ...
        slow.settimeout(0.3)
        with pytest.raises(socket.timeout):
            slow.recv(1)
        # ... and it completes normally.
        slow.sendall(b"1\r\n\r\n")
        assert read_response(slow).status == 200
    finally:
        slow.close()


# --- REST sessions --------------------------------------------------------------------------------

DESCRIPTOR_KEYS = {"id", "kind", "status", "workspace", "title", "createdAt", "updatedAt", "restarts", "lastSeq", "meta"}


def test_rest_session_create_get_list(gateway):
    status, headers, created = gateway.request("POST", "/api/sessions",
                                               {"kind": "pty", "workspace": "rest-one", "cols": 80, "rows": 24},
                                               auth="bearer")
    assert status == 201, created
    assert DESCRIPTOR_KEYS <= set(created), created
    assert created["kind"] == "pty" and created["workspace"] == "rest-one"
    assert created["status"] in ("starting", "running")
    assert created["restarts"] == 0 and isinstance(created["lastSeq"], int)
    assert headers["cache-control"] == "no-store"
    run_id = created["id"]
    try:
        status, _, listed = gateway.request("GET", "/api/sessions", auth="bearer")
        assert status == 200 and run_id in [s["id"] for s in listed["sessions"]]
        status, _, one = gateway.request("GET", f"/api/sessions/{run_id}", auth="bearer")
        assert status == 200 and one["id"] == run_id and DESCRIPTOR_KEYS <= set(one)
        # The workspace folder is where the session runs.
        assert one["meta"]["cwd"].endswith("/workspaces/rest-one")
        assert (gateway.home / "workspaces" / "rest-one").is_dir()
    finally:
        gateway.request("DELETE", f"/api/sessions/{run_id}", auth="bearer")


def test_rest_unknown_session_is_404(gateway, cookie):
    for method in ("GET", "DELETE"):
        status, headers, body = gateway.request(method, "/api/sessions/no-such-session", auth=cookie)
        assert status == 404 and isinstance(body["error"], str), (method, status, body)
        assert headers["cache-control"] == "no-store"
    gateway.assert_serving()


@pytest.mark.parametrize("workspace", ["../x", "a/b", ".hidden", "w" * 65, "..", "/abs", "a b", "é", "a\\b", "a\u0000b"])
def test_rest_invalid_workspace_is_400(gateway, workspace):
    before = set((gateway.home / "workspaces").iterdir()) if (gateway.home / "workspaces").exists() else set()
    status, _, body = gateway.request("POST", "/api/sessions", {"kind": "pty", "workspace": workspace, "cols": 80, "rows": 24},
                                      auth="bearer")
    assert status == 400, body
    assert "workspace" in body["error"], body
    after = set((gateway.home / "workspaces").iterdir())
    assert after == before, f"a folder was created for an invalid workspace: {after - before}"
    assert not (gateway.home / "x").exists()
    gateway.assert_serving()


def test_rest_workspace_name_of_64_chars_is_fine(gateway):
    name = "w" * 64
    status, _, body = gateway.request("POST", "/api/sessions", {"kind": "pty", "workspace": name, "cols": 80, "rows": 24},
                                      auth="bearer")
    assert status == 201, body
    gateway.request("DELETE", f"/api/sessions/{body['id']}", auth="bearer")


@pytest.mark.parametrize("cols,rows", [(0, 0), (10000, 10000), (80, 0), (0, 24), (-1, 24), (80, 1001), ("80", 24), (80.5, 24)])
def test_rest_bad_size_is_400(gateway, cols, rows):
    status, _, body = gateway.request("POST", "/api/sessions", {"kind": "pty", "workspace": "sizes", "cols": cols, "rows": rows},
                                      auth="bearer")
    assert status == 400, body
    assert isinstance(body["error"], str)
    gateway.assert_serving()


@pytest.mark.parametrize("kind", ["claude", "bogus", ""])
def test_rest_unavailable_kind_is_400(gateway, kind):
    status, _, body = gateway.request("POST", "/api/sessions", {"kind": kind, "workspace": "kinds", "cols": 80, "rows": 24},
                                      auth="bearer")
    assert status == 400, body
    assert isinstance(body["error"], str)
    gateway.assert_serving()


@pytest.mark.parametrize("body", [b"not json", b"[1,2]", b"", b'{"kind":', b"\xff\xfe"])
def test_rest_bad_body_is_400(gateway, body):
    status, _, reply = gateway.request("POST", "/api/sessions", body, auth="bearer")
    assert status == 400, reply
    assert isinstance(reply["error"], str)
    gateway.assert_serving()


def test_rest_wrong_method_and_route(gateway):
    status, headers, body = gateway.request("PUT", "/api/sessions", b"{}", auth="bearer")
    assert status == 405 and "error" in body and "POST" in headers["allow"]
    status, headers, body = gateway.request("POST", "/api/sessions/abc", b"{}", auth="bearer")
    assert status == 405 and "DELETE" in headers["allow"]
    status, _, body = gateway.request("GET", "/api/no-such-route", auth="bearer")
    assert status == 404 and "error" in body
    gateway.assert_serving()


def test_connection_close_and_http10(gateway):
    response, sock = gateway.raw(head(gateway, "GET /health HTTP/1.1", ["Connection: close"]))
    try:
        assert response.status == 200 and response.header("Connection") == "close"
        assert peer_closed(sock), "Connection: close was not honoured"
    finally:
        sock.close()
    response, sock = gateway.raw(head(gateway, "GET /health HTTP/1.0"))
    try:
        assert response.status == 200
        assert peer_closed(sock), "an HTTP/1.0 request without keep-alive left the connection open"
    finally:
        sock.close()


def test_header_names_are_case_insensitive(gateway):
    body = b"{}"
    data = (f"POST /api/sessions HTTP/1.1\r\nhost: {gateway.host_header}\r\nauthorization: Bearer {gateway.key}\r\n"
            f"content-length: {len(body)}\r\nCONTENT-TYPE: application/json\r\n\r\n").encode() + body
    response, sock = gateway.raw(data)
    sock.close()
    assert response.status == 201, response
    gateway.request("DELETE", f"/api/sessions/{response.json()['id']}", auth="bearer")


def test_session_limit_is_a_clear_error(own_gateway):
    gw = own_gateway(extra_env={"MAX_SESSIONS": "2"})
    ids = []
    for index in range(2):
        status, _, body = gw.request("POST", "/api/sessions", {"kind": "pty", "workspace": f"s{index}"}, auth="bearer")
        assert status == 201, body
        ids.append(body["id"])
    status, _, body = gw.request("POST", "/api/sessions", {"kind": "pty", "workspace": "s3"}, auth="bearer")
    assert status == 503 and isinstance(body["error"], str) and body["error"], (status, body)
    ws = gw.ws(key_auth=True)
    try:
        reply = ws.request("create", kind="pty", workspace="s3")
        assert reply["ok"] is False and reply["error"], reply
        assert len(ws.ok("list")["sessions"]) == 2
        # The sessions that exist are untouched.
        ws.ok("run:attach", runId=ids[0], afterSeq=0)
        ws.send({"type": "run:input", "runId": ids[0], "data": "echo $((6*7))\r"})
        ws.wait_output(ids[0], r"[\r\n]42\r\n", regex=True)
    finally:
        ws.close()
    gw.assert_serving()
