"""Login, cookies, bearer keys, logout and the login rate limiter.

The shared gateway's limiter allows 5 failures per client address and 30 a minute overall, so tests
there make their few wrong guesses from addresses of their own (127.0.0.x), and the test that
exhausts the limiter runs its own gateway."""

import re
import secrets

import pytest

from support.gateway import OTHER_SOURCE, random_key


def test_login_sets_a_strict_session_cookie(gateway):
    status, headers, body = gateway.request("POST", "/api/auth/login", {"key": gateway.key})
    assert status == 200 and body == {"ok": True}
    assert headers["cache-control"] == "no-store"
    [set_cookie] = headers["_set_cookies"]
    parts = [p.strip() for p in set_cookie.split(";")]
    assert re.fullmatch(rf"dispatch_session_{gateway.port}=[0-9a-f]{{64}}", parts[0]), parts[0]
    attributes = {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else True) for p in parts[1:]}
    assert attributes.get("path") == "/"
    assert attributes.get("httponly") is True
    assert attributes.get("samesite") == "Strict"
    assert int(attributes["max-age"]) > 0
    assert "secure" not in attributes  # plain HTTP on loopback
    # Each login is a new random token.
    assert gateway.login() != parts[0]
    status, _, body = gateway.request("GET", "/api/auth/check", auth=parts[0])
    assert status == 200


def test_login_with_allowed_origin_is_fine_and_foreign_origin_is_403(gateway):
    status, _, _ = gateway.request("POST", "/api/auth/login", {"key": gateway.key}, headers={"Origin": gateway.origin})
    assert status == 200
    for origin in ("http://evil.com", "null", f"http://localhost:{gateway.port}"):
        status, headers, body = gateway.request("POST", "/api/auth/login", {"key": gateway.key}, headers={"Origin": origin})
        assert status == 403, (origin, status, body)
        assert headers["_set_cookies"] == [], "a refused login set a cookie"
    gateway.assert_serving()


@pytest.mark.parametrize("source,body", [
    ("127.0.0.30", {"key": "wrong-key-but-long-enough"}),
    ("127.0.0.31", {"key": ""}),
    ("127.0.0.32", {"nokey": 1}),
    ("127.0.0.33", {"key": 12345}),
    ("127.0.0.34", b"not json"),
], ids=["wrong", "empty", "missing", "number", "not-json"])
def test_wrong_key_is_401(gateway, source, body):
    # From an address of its own: these failures count against the client that made them.
    status, headers, reply = gateway.request("POST", "/api/auth/login", body, source=source)
    assert status == 401 and reply == {"error": "wrong key"}, (status, reply)
    assert headers["_set_cookies"] == []
    gateway.assert_serving()
    # Someone else logs in as usual.
    gateway.login()


def test_key_prefix_and_extension_are_wrong(gateway):
    for index, candidate in enumerate([gateway.key[:-1], gateway.key + "x", gateway.key.upper(), " " + gateway.key]):
        if candidate == gateway.key:
            continue
        status, _, reply = gateway.request("POST", "/api/auth/login", {"key": candidate}, source=f"127.0.0.{40 + index}")
        assert status == 401, (candidate, reply)


def test_too_many_wrong_keys_are_throttled_per_client(own_gateway):
    gw = own_gateway()
    for attempt in range(5):
        status, headers, body = gw.request("POST", "/api/auth/login", {"key": random_key()}, source=OTHER_SOURCE)
        assert status == 401, (attempt, status, body)
        assert "retry-after" not in headers
    status, headers, body = gw.request("POST", "/api/auth/login", {"key": random_key()}, source=OTHER_SOURCE)
    assert status == 429, (status, body)
    retry_after = int(headers["retry-after"])
    assert 1 <= retry_after <= 15, retry_after
    assert isinstance(body["error"], str) and body["error"]
    # While limited, even the right key is refused (the limiter is checked before the key).
    status, headers, body = gw.request("POST", "/api/auth/login", {"key": gw.key}, source=OTHER_SOURCE)
    assert status == 429 and "retry-after" in headers, (status, body)
    assert headers["_set_cookies"] == []
    # ... also over the WebSocket.
    ws = gw.ws(key_auth=True, source=OTHER_SOURCE, expect_auth=False)
    try:
        reply = ws.wait_for(lambda m: m.get("type") in ("auth.success", "auth.error"), 5, "the auth answer")
        assert reply["type"] == "auth.error", reply
        assert 1 <= reply.get("retryAfter", 0) <= 15, reply
        # The socket stays usable but unauthenticated.
        ws.send({"type": "list", "id": 1})
        assert ws.wait_for(lambda m: m.get("type") in ("auth.error", "reply"), 5)["type"] == "auth.error"
    finally:
        ws.close()
    # Another client is not affected, over HTTP nor over the WebSocket.
    cookie = gw.login()
    status, _, _ = gw.request("GET", "/api/sessions", auth=cookie)
    assert status == 200
    ws = gw.ws(key_auth=True)
    ws.ok("list")
    ws.close()
    # Bearer requests are not logins and keep working from the limited address.
    status, _, _ = gw.request("GET", "/api/sessions", auth="bearer", source=OTHER_SOURCE)
    assert status == 200
    gw.assert_serving()
    # The log says a login failed, with the address, and never the candidate.
    failures = [r for r in gw.log_records() if r.get("msg") == "login failed"]
    assert len(failures) == 5 and all(r.get("peer") == OTHER_SOURCE for r in failures), failures


def test_missing_invalid_and_foreign_cookies_are_401(gateway, cookie):
    token = cookie.split("=", 1)[1]
    for value in [None, f"{gateway.cookie_name}={secrets.token_hex(32)}", f"{gateway.cookie_name}=",
                  f"{gateway.cookie_name}={token[:-1]}", f"{gateway.cookie_name}={token.upper()}",
                  f"{gateway.cookie_name}=../../{token}", f"dispatch_session_1={token}", f"dispatch_session={token}",
                  f"x{gateway.cookie_name}={token}"]:
        status, headers, body = gateway.request("GET", "/api/sessions", headers={"Cookie": value} if value else {})
        assert status == 401, (value, status, body)
        assert isinstance(body["error"], str)
        assert headers["cache-control"] == "no-store"
        status, headers, body = gateway.request("GET", "/api/auth/check", headers={"Cookie": value} if value else {})
        assert (status, body) == (200, {"authenticated": False}), (value, status, body)
        assert headers["cache-control"] == "no-store"
    # The real cookie among others works.
    status, _, _ = gateway.request("GET", "/api/sessions", headers={"Cookie": f"a=b; {cookie}; c=d"})
    assert status == 200
    gateway.assert_serving()


def test_wrong_bearer_is_401(gateway):
    for value in [f"Bearer {gateway.key[:-1]}", f"Bearer {gateway.key}x", "Bearer ", f"Basic {gateway.key}",
                  gateway.key, f"Bearer  {gateway.key}"]:
        status, _, body = gateway.request("GET", "/api/sessions", headers={"Authorization": value})
        assert status == 401, (value, status, body)
    status, _, _ = gateway.request("GET", "/api/sessions", auth="bearer")
    assert status == 200
    gateway.assert_serving()


def test_logout_revokes_the_cookie_and_closes_its_websockets(gateway, cookie):
    mine = gateway.login()
    ws = gateway.ws(cookie=mine)
    other = gateway.ws(cookie=cookie)  # another login's socket must survive
    try:
        ws.ok("list")
        status, headers, body = gateway.request("POST", "/api/auth/logout", b"", auth=mine)
        assert status == 200, body
        [cleared] = headers["_set_cookies"]
        assert cleared.startswith(f"{gateway.cookie_name}=;") and "Max-Age=0" in cleared, cleared
        assert "Path=/" in cleared and "HttpOnly" in cleared, cleared
        assert ws.closed_code(5) == 1008
        # The cookie is dead everywhere.
        assert gateway.request("GET", "/api/sessions", auth=mine)[0] == 401
        assert gateway.request("GET", "/api/auth/check", auth=mine)[2] == {"authenticated": False}
        status, _, _ = gateway.request("POST", "/api/sessions", {"kind": "pty", "workspace": "x"}, auth=mine)
        assert status == 401
        late = gateway.ws(cookie=mine, expect_auth=False)
        try:
            late.send({"type": "list", "id": "x"})
            answer = late.wait_for(lambda m: m.get("type") in ("auth.success", "auth.error", "reply"), 5)
            assert answer["type"] == "auth.error", answer
        finally:
            late.close()
        # The other login is untouched.
        other.ok("list")
        status, _, _ = gateway.request("GET", "/api/auth/check", auth=cookie)
        assert status == 200
    finally:
        ws.close()
        other.close()
    gateway.assert_serving()


def test_websocket_key_auth(gateway):
    ws = gateway.ws(expect_auth=False)
    try:
        ws.send({"type": "list", "id": "before"})
        answer = ws.wait_for(lambda m: m.get("type") in ("auth.error", "reply"), 5)
        assert answer["type"] == "auth.error" and answer["error"], answer
        start = len(ws.messages)
        ws.send({"type": "auth", "key": gateway.key})
        answer = ws.wait_for(lambda m: m.get("type") in ("auth.success", "auth.error"), 5, start=start)
        assert answer["type"] == "auth.success", answer
        assert isinstance(ws.ok("list")["sessions"], list)
    finally:
        ws.close()


def test_websocket_wrong_key_then_right_key(gateway):
    ws = gateway.ws(expect_auth=False, source="127.0.0.50")
    try:
        ws.send({"type": "auth", "key": "definitely-not-the-key"})
        answer = ws.wait_for(lambda m: m.get("type") in ("auth.success", "auth.error"), 5)
        assert answer["type"] == "auth.error" and answer["error"], answer
        start = len(ws.messages)
        ws.send({"type": "create", "id": 1, "kind": "pty", "workspace": "nope"})
        answer = ws.wait_for(lambda m: m.get("type") in ("auth.error", "reply"), 5, start=start)
        assert answer["type"] == "auth.error", answer
        ws.send({"type": "auth", "key": gateway.key})
        assert ws.wait_for(lambda m: m.get("type") == "auth.success", 5)
        ws.ok("list")
    finally:
        ws.close()
    gateway.assert_serving()


def test_auth_check(gateway, cookie):
    # 200 either way (a logged-out page probes it; browsers log a 4xx as a console error).
    status, _, body = gateway.request("GET", "/api/auth/check")
    assert (status, body) == (200, {"authenticated": False})
    for auth in (cookie, "bearer"):
        status, _, body = gateway.request("GET", "/api/auth/check", auth=auth)
        assert (status, body) == (200, {"authenticated": True}), auth
