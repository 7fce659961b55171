"""Deployment, part 3: the tunnel. A fake tunnel client prints a URL; /public-url serves it; killed,
it is restarted and the new URL served; browsers coming through it are let in; it gets the session
allow-list environment (never the key) and ends with the gateway. No `lt` is a warning, not a failure."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from support.gateway import GatewayProcess, finish_gateway
from support.polling import wait_until

FAKE_TUNNEL = """#!/bin/sh
# Dumps its environment, says its URL (on stderr, as some clients do) and then stays up.
env > "$1.$$"
echo "connecting to the tunnel server for port $PORT"
echo "your url is: https://fake-$$.example.test" >&2
exec sleep 1000
"""


def public_url(gw: GatewayProcess):
    status, _, body = gw.request("GET", "/public-url", auth="bearer")
    assert status == 200, body
    return body["url"]


def tunnel_pid(url: str) -> int:
    return int(url.removeprefix("https://fake-").removesuffix(".example.test"))


@pytest.fixture
def tunneled(tmp_path):
    script = tmp_path / "fake-tunnel"
    script.write_text(FAKE_TUNNEL)
    script.chmod(0o755)
    gw = GatewayProcess(tmp_path, extra_env={"ENABLE_TUNNEL": "true", "TUNNEL_COMMAND": f"exec {script} {tmp_path}/tunnel-env"})
    yield gw
    finish_gateway(gw)


def test_the_printed_url_is_served_and_a_killed_tunnel_comes_back(tunneled):
    gw = tunneled
    first = wait_until(lambda: public_url(gw), 10, "the tunnel's URL at /public-url")
    assert first.startswith("https://fake-"), first
    pid = tunnel_pid(first)
    os.kill(pid, signal.SIGKILL)
    second = wait_until(lambda: (lambda url: url if url and url != first else None)(public_url(gw)), 15,
                        "a new URL from the restarted tunnel")
    assert tunnel_pid(second) != pid
    assert any(r["msg"] == "tunnel ended; restarting it" for r in gw.log_records())
    assert any(r["msg"] == "tunnel is up" and r.get("url") == second for r in gw.log_records())


def test_public_url_needs_a_login(tunneled):
    gw = tunneled
    wait_until(lambda: public_url(gw), 10, "the tunnel's URL")
    status, _, body = gw.request("GET", "/public-url")
    assert status == 401, body
    cookie = gw.login()
    status, headers, body = gw.request("GET", "/public-url", headers={"Cookie": cookie})
    assert status == 200 and body["url"].startswith("https://fake-"), body
    assert headers["cache-control"] == "no-store"
    assert gw.request("POST", "/public-url", b"", auth="bearer")[0] == 405


def test_browsers_coming_through_the_tunnel_are_let_in_only_while_it_runs(tunneled):
    gw = tunneled
    url = wait_until(lambda: public_url(gw), 10, "the tunnel's URL")
    name = url.removeprefix("https://")
    assert gw.request("GET", "/health", headers={"Host": name})[0] == 200
    assert gw.request("GET", "/health", headers={"Host": "other.example.test"})[0] == 403
    # A WebSocket opened by the page served through the tunnel (Origin https://<name>).
    ws = gw.ws(key_auth=True, origin=url)
    ws.close()
    os.kill(tunnel_pid(url), signal.SIGKILL)
    wait_until(lambda: (lambda now: now and now != url)(public_url(gw)), 15, "the restarted tunnel's URL")
    assert gw.request("GET", "/health", headers={"Host": name})[0] == 403, "the old tunnel's name is still let in"


def test_the_tunnel_gets_the_allow_list_environment_and_ends_with_the_gateway(tunneled, tmp_path):
    gw = tunneled
    pid = tunnel_pid(wait_until(lambda: public_url(gw), 10, "the tunnel's URL"))
    environment = dict(line.split("=", 1) for line in (tmp_path / f"tunnel-env.{pid}").read_text().splitlines() if "=" in line)
    assert environment["PORT"] == str(gw.port)
    assert gw.key not in (tmp_path / f"tunnel-env.{pid}").read_text()
    assert not {"TERMINAL_KEY", "DISPATCH_HOME", "ENABLE_TUNNEL", "TUNNEL_COMMAND"} & environment.keys(), environment.keys()
    finish_gateway(gw)
    assert not Path(f"/proc/{pid}").exists(), "the tunnel outlived the gateway"


def test_without_lt_the_gateway_warns_and_serves(tmp_path):
    path = "/usr/bin:/bin"
    if shutil.which("lt", path=path):
        pytest.skip("LocalTunnel's lt is installed in /usr/bin or /bin here")
    gw = GatewayProcess(tmp_path, extra_env={"ENABLE_TUNNEL": "true", "PATH": path})
    try:
        gw.assert_serving()
        assert public_url(gw) is None
        warnings = [r["msg"] for r in gw.log_records() if r["level"] == "warn"]
        assert any("lt is not installed" in m and "TUNNEL_COMMAND" in m for m in warnings), warnings
    finally:
        finish_gateway(gw)


def test_a_tunnel_command_that_fails_is_retried_and_the_gateway_serves_on(tmp_path):
    gw = GatewayProcess(tmp_path, extra_env={"ENABLE_TUNNEL": "true", "TUNNEL_COMMAND": "echo no route to the tunnel server; exit 3"})
    try:
        wait_until(lambda: sum(r["msg"] == "tunnel ended; restarting it" for r in gw.log_records()) >= 2, 15,
                   "two restarts of the failing tunnel")
        gw.assert_serving()
        assert public_url(gw) is None
    finally:
        finish_gateway(gw)
