"""Deployment, part 2: the gateway's duties to what runs it. Readiness, status and watchdog pings to
systemd's notify socket; PID 1 in a fresh PID namespace (orphans reaped, SIGTERM ends everything and
exits 0); a read-only root file system with only DISPATCH_HOME and /tmp writable."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path

import pytest

from support.gateway import REPO, GatewayProcess, finish_gateway
from support.polling import wait_until
from support.processes import descendants_of
from support.sessions import attach_running, create_session, typed


def needs_root_and_unshare():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare (util-linux) for PID and mount namespaces")


# --- sd_notify ------------------------------------------------------------------------------------


class NotifySocket:
    """What systemd listens on: a datagram socket; every state received is kept in order."""

    def __init__(self, address: str):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.states: list[str] = []

    def wait_for(self, predicate, timeout: float, what: str) -> str:
        """The first state (from the start) satisfying `predicate`, receiving more as needed."""
        index = 0

        def look():
            nonlocal index
            while index < len(self.states):
                index += 1
                if predicate(self.states[index - 1]):
                    return self.states[index - 1]
            self.sock.settimeout(0.2)
            try:
                self.states.append(self.sock.recv(4096).decode())
            except socket.timeout:
                pass
            return None

        return wait_until(look, timeout, what, interval=0)

    def count(self, line: str) -> int:
        return sum(line in state.split("\n") for state in self.states)


@pytest.mark.parametrize("abstract", [False, True])
def test_notify_ready_after_listening_then_status_watchdog_and_stopping(tmp_path, abstract):
    address = f"@dispatch-e2e-{os.getpid()}-{abstract}" if abstract else str(tmp_path / "notify")
    notify = NotifySocket(address)
    gw = GatewayProcess(tmp_path, extra_env={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "200000"})
    try:
        ready = notify.wait_for(lambda s: "READY=1" in s.split("\n"), 10, "READY=1")
        assert "STATUS=serving http://127.0.0.1:" in ready and "0 sessions running" in ready, ready
        # READY=1 came first thing after the listener was up: the port accepts at once.
        socket.create_connection(("127.0.0.1", gw.port), timeout=2).close()
        notify.wait_for(lambda s: notify.count("WATCHDOG=1") >= 3, 10, "three WATCHDOG=1 pings")
        # The status follows the sessions.
        status, _, body = gw.request("POST", "/api/sessions", {"kind": "pty", "workspace": "notify"}, auth="bearer")
        assert status == 201, body
        notify.wait_for(lambda s: "STATUS=serving" in s and "1 session running" in s, 10, "STATUS with 1 session")
        before = len(notify.states)
        gw.proc.send_signal(signal.SIGTERM)
        stopping = notify.wait_for(lambda s: "STOPPING=1" in s.split("\n"), 10, "STOPPING=1")
        assert notify.states.index(stopping) >= before
    finally:
        finish_gateway(gw)
        notify.sock.close()
    assert notify.count("READY=1") == 1, "READY=1 is said once"


def test_no_watchdog_pings_for_another_pid(tmp_path):
    """WATCHDOG_PID names the process the watchdog is for; a child told someone else's pid stays quiet."""
    notify = NotifySocket(str(tmp_path / "notify"))
    gw = GatewayProcess(tmp_path, extra_env={"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "200000",
                                             "WATCHDOG_PID": "1"})
    try:
        notify.wait_for(lambda s: "READY=1" in s, 10, "READY=1")
        gw.proc.send_signal(signal.SIGTERM)
        notify.wait_for(lambda s: "STOPPING=1" in s, 10, "STOPPING=1")
    finally:
        finish_gateway(gw)
        notify.sock.close()
    assert notify.count("WATCHDOG=1") == 0, notify.states


# --- PID 1 ----------------------------------------------------------------------------------------


def adopted_sleeps(gateway_pid: int) -> list[int]:
    return [pid for pid, (ppid, _, name) in descendants_of(gateway_pid).items() if name == "sleep" and ppid == gateway_pid]


def test_as_pid_one_orphans_are_reaped_and_sigterm_ends_everything(tmp_path):
    needs_root_and_unshare()
    gw = GatewayProcess(tmp_path, command_prefix=["unshare", "--pid", "--fork", "--mount-proc"])
    gateway_pid = None
    try:
        gateway_pid = wait_until(lambda: next(iter(descendants_of(gw.proc.pid)), None), 5, "the gateway under unshare")
        nspid = next(line for line in Path(f"/proc/{gateway_pid}/status").read_text().splitlines() if line.startswith("NSpid:"))
        assert nspid.split()[-1] == "1", f"the gateway is PID 1 in its namespace: {nspid}"
        ws = gw.ws(cookie=gw.login())

        # A shell leaves two orphans behind (one in its own session, one ignoring the hang-up) and exits.
        orphans_run = create_session(ws, "pid1")
        attach_running(ws, orphans_run)
        typed(ws, orphans_run, "setsid sleep 2 & (trap '' HUP; exec sleep 2) & exit\r")
        adopted = wait_until(lambda: (lambda found: found if len(found) == 2 else None)(adopted_sleeps(gateway_pid)),
                             10, "both sleeps adopted by the gateway")
        # Once they end, nothing is left under PID 1: no zombie, no stray process, no restarted session.
        wait_until(lambda: not descendants_of(gateway_pid), 15, "an empty namespace below the gateway")
        for pid in adopted:
            assert not Path(f"/proc/{pid}").exists(), f"orphan {pid} was not reaped"
        status, _, session = gw.request("GET", f"/api/sessions/{orphans_run}", auth="bearer")
        assert (session["status"], session["restarts"]) == ("stopped", 0), session

        # A running program hears the shutdown (it traps the hang-up); the gateway exits 0.
        marker = tmp_path / "program-ended"
        program_run = create_session(ws, "pid1")
        attach_running(ws, program_run)
        typed(ws, program_run, f"bash -c 'trap \"echo ended > {marker}; exit 0\" HUP TERM; echo trap''-set; "
                               "while sleep 0.1; do :; done'\r")
        ws.wait_output(program_run, "trap-set")
        below = descendants_of(gateway_pid)
        assert any(name == "dispatch-worker" for _, _, name in below.values()), below
        os.kill(gateway_pid, signal.SIGTERM)
        # unshare exits with its child's status.
        assert gw.proc.wait(20) == 0, gw.log_text()[-3000:]
        assert marker.read_text() == "ended\n", "the program was killed without its hang-up"
        for pid in below:
            assert not Path(f"/proc/{pid}").exists(), f"{pid} {below[pid]} outlived the gateway"
        ws.close()
    finally:
        # unshare does not pass SIGTERM on: a gateway still running is stopped directly.
        if gw.proc.poll() is None and gateway_pid:
            os.kill(gateway_pid, signal.SIGTERM)
        finish_gateway(gw)


# --- read-only root -------------------------------------------------------------------------------

READ_ONLY_ROOT = """
set -e
home="$1"; shift
mount --make-rprivate /
mount --bind "$home" "$home"
# /tmp stays writable as a mount of its own (a tmpfs over it would hide a checkout that lives in /tmp).
mount --bind /tmp /tmp
mount -o remount,bind,ro /
exec "$@"
"""


def test_on_a_read_only_root_it_starts_serves_and_runs_sessions(tmp_path):
    """As `docker run --read-only --tmpfs /tmp -v data:/data`: only DISPATCH_HOME and /tmp can be written."""
    needs_root_and_unshare()
    # DISPATCH_HOME outside /tmp, so that it is writable only through its own mount.
    home = Path(tempfile.mkdtemp(prefix="e2e-readonly-", dir=REPO / ".build"))
    try:
        gw = GatewayProcess(tmp_path, extra_env={"DISPATCH_HOME": str(home), "HOME": str(home)},
                            command_prefix=["unshare", "-m", "sh", "-c", READ_ONLY_ROOT, "read-only-root", str(home)])
        try:
            gw.assert_serving()
            ws = gw.ws(cookie=gw.login())
            run_id = create_session(ws, "ro")
            attach_running(ws, run_id)
            typed(ws, run_id, "echo h''i; touch /etc/dispatch-probe; echo tmp > /tmp/probe-$$ && cat /tmp/probe-$$ && rm /tmp/probe-$$; "
                              "touch ~/probe && echo home''-ok\r")
            output = ws.wait_output(run_id, "home-ok")
            assert "hi\r\n" in output
            assert "Read-only file system" in output, "the root was writable in the namespace"
            assert "tmp\r\n" in output
            assert (home / "probe").exists()
            ws.close()
        finally:
            finish_gateway(gw)
    finally:
        shutil.rmtree(home, ignore_errors=True)
