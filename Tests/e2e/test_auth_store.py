"""Logins are kept in the store: a browser's cookie stays valid when the gateway restarts on the same
home and port (SIGUSR2, kill -9), stays dead after a logout, and dies when the gateway comes back with a
different key. The database holds a digest of each token, never the token.

Gateways come from the `gateways` fixture (conftest.py); restarts reuse the port because the cookie's name
carries it (cookies are shared across ports of one host).
"""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

from support.gateway import random_key
from support.sessions import attach_running, create_session, typed


def restart(gateways, gw, how: str, key: str | None = None):
    """Ends `gw` (`usr2`: keeping sessions; `kill9`; `term`) and starts a gateway on its home and port."""
    if how == "kill9":
        os.kill(gw.proc.pid, signal.SIGKILL)
        gw.proc.wait(10)
    else:
        gw.proc.send_signal(signal.SIGUSR2 if how == "usr2" else signal.SIGTERM)
        assert gw.proc.wait(15) == 0, gw.log_text()[-2000:]
    return gateways.start(home=gw.home, key=key or gw.key, port=gw.port)


def logged_in(gw, cookie: str) -> bool:
    """What the gateway makes of the cookie, asked two ways that must agree."""
    checked = gw.request("GET", "/api/auth/check", auth=cookie)[2]["authenticated"]
    listed = gw.request("GET", "/api/sessions", auth=cookie)[0]
    assert listed == (200 if checked else 401), (checked, listed)
    return checked


def logout(gw, cookie: str):
    status, _, body = gw.request("POST", "/api/auth/logout", b"", auth=cookie)
    assert status == 200, body


def log_messages(gw) -> list[str]:
    return [record["msg"] for record in gw.log_records()]


def test_a_login_lives_through_sigusr2_and_kill9_restarts(gateways):
    first = gateways.start()
    cookie = first.login()
    second = restart(gateways, first, "usr2")
    assert logged_in(second, cookie)
    assert "logins restored" in log_messages(second)
    third = restart(gateways, second, "kill9")
    assert logged_in(third, cookie)
    ws = third.ws(cookie=cookie)  # auth.success at the upgrade
    ws.ok("list")
    ws.close()


def test_a_cookie_socket_reconnects_after_sigusr2_and_gets_what_was_printed_meanwhile(gateways):
    first, cookie, ws = gateways.start_with_client()
    run_id = create_session(ws, "auth-store")
    attach_running(ws, run_id)
    folder = Path(ws.ok("list")["sessions"][0]["meta"]["cwd"])
    typed(ws, run_id, "while [ ! -e go ]; do sleep 0.05; done; echo away''-$((6*7))\r")
    ws.drain(0.3)
    first.proc.send_signal(signal.SIGUSR2)
    assert first.proc.wait(15) == 0, first.log_text()[-2000:]
    ws.close()
    (folder / "go").touch()

    second = gateways.start(home=first.home, key=first.key, port=first.port)
    again = second.ws(cookie=cookie)
    again.ok("run:attach", runId=run_id, afterSeq=0)
    again.wait_output(run_id, "away-42\r\n", 20)
    again.close()


def test_a_logout_stays_final_across_restarts(gateways):
    first = gateways.start()
    gone, kept = first.login(), first.login()
    logout(first, gone)
    # Killed right after the logout: it was written at once, not in a later batch.
    second = restart(gateways, first, "kill9")
    assert not logged_in(second, gone)
    assert logged_in(second, kept)
    logout(second, kept)
    third = restart(gateways, second, "usr2")
    assert not logged_in(third, kept)
    assert not logged_in(third, gone)
    assert logged_in(third, third.login())


def test_another_key_revokes_every_stored_login(gateways):
    first = gateways.start()
    cookies = [first.login(), first.login()]
    rotated = restart(gateways, first, "term", key=random_key())
    for cookie in cookies:
        assert not logged_in(rotated, cookie)
    assert "the access key changed: stored logins revoked" in log_messages(rotated)
    fresh = rotated.login()
    # The old key again: the logins revoked by the rotation stay revoked.
    back = restart(gateways, rotated, "usr2", key=first.key)
    for cookie in cookies + [fresh]:
        assert not logged_in(back, cookie)
    same = restart(gateways, back, "usr2")
    assert not logged_in(same, fresh)


def test_the_database_holds_token_digests_never_tokens(gateways):
    first = gateways.start()
    cookies = [first.login() for _ in range(3)]
    for cookie in cookies:
        assert logged_in(first, cookie)
    second = restart(gateways, first, "usr2")
    for cookie in cookies:
        assert logged_in(second, cookie)
    logout(second, cookies[0])
    files = [second.home / name for name in ("dispatch.db", "dispatch.db-wal", "dispatch.db-shm")]
    stored = b"".join(path.read_bytes() for path in files if path.exists())
    assert second.key.encode() not in stored
    for cookie in cookies:
        token = cookie.split("=", 1)[1]
        assert token.encode() not in stored, "a cookie token (hex) is in the database"
        assert bytes.fromhex(token) not in stored, "a cookie token (raw) is in the database"
    # What is stored instead: the digests of the living logins (so the files read are the right ones).
    for cookie in cookies[1:]:
        assert hashlib.sha256(bytes.fromhex(cookie.split("=", 1)[1])).digest() in stored
