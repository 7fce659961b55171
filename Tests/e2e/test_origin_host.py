"""DESIGN section 6: cross-site WebSocket hijacking (the Origin of upgrades and cookie state changes)
and DNS rebinding (the Host header)."""

import pytest

from support.raw_websocket import RawWebSocket


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


