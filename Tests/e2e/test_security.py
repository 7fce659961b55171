"""DESIGN section 6: keys in URLs and logs, secrets reaching sessions, and workspaces and static files
outside their roots."""

from pathlib import Path

import pytest

from support.gateway import random_key
from support.polling import wait_until
from support.raw_websocket import RawWebSocket
from support.sessions import attach_running, create_session
from support.workspaces import symlink_out_of_workspaces


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
    with symlink_out_of_workspaces(gateway, tmp_path, "escape") as (outside, _):
        status, _, body = gateway.request("POST", "/api/sessions", {"kind": "pty", "workspace": "escape"}, auth="bearer")
        assert status == 400 and "escape" in body["error"], (status, body)
        assert list(outside.iterdir()) == []
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


