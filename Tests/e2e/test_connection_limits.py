"""DESIGN section 6: a connection flood. A thousand connections at once, the total connection limit,
and slow or silent clients timed out; the gateway goes on serving."""

import os
import select
import time

from support.polling import wait_until
from support.raw_http import peer_closed, read_response
from support.raw_websocket import RawWebSocket
from support.sessions import attach_running, create_session


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

