"""systemd restart versus stop: both reach the gateway as SIGTERM. Under a service manager the gateway
keeps a lifeline pipe in the service's file-descriptor store (FDSTORE=1) and every worker inherits its
read end. A restart hands the store back (LISTEN_FDS): the next gateway adopts the sessions. A stop
releases the store: the workers read end-of-file and end their programs. Here the test plays systemd."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
from pathlib import Path

from support.gateway import GatewayProcess, finish_gateway
from support.polling import wait_until
from support.processes import alive
from support.sessions import attach_running, create_session, shell_pid


class FakeServiceManager:
    """A notify socket that keeps the descriptors stored with FDSTORE=1, by FDNAME, as systemd does."""

    def __init__(self, path: Path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.store: dict[str, int] = {}

    def receive(self):
        try:
            message, fds, _, _ = socket.recv_fds(self.sock, 4096, 8)
        except socket.timeout:
            return
        fields = dict(line.split("=", 1) for line in message.decode().split("\n") if "=" in line)
        if fields.get("FDSTORE") == "1" and fds:
            # Well above 4, so that the wrapper can move them to 3 and 4 without stepping on either.
            self.store[fields["FDNAME"]] = fcntl.fcntl(fds[0], fcntl.F_DUPFD, 100)
            for fd in fds:
                os.close(fd)

    def wait_for_lifeline(self):
        wait_until(lambda: (self.receive(), {"lifeline-read", "lifeline-write"} <= set(self.store))[1], 10,
                   "both ends of the lifeline in the fd store")

    def restart_command(self) -> tuple[list[str], tuple[int, ...]]:
        """How systemd starts the next gateway: the stored descriptors from fd 3, named, for its pid."""
        read, write = self.store["lifeline-read"], self.store["lifeline-write"]
        script = (f"exec 3<&{read} 4>&{write} {read}<&- {write}>&-; export LISTEN_PID=$$ LISTEN_FDS=2 "
                  "LISTEN_FDNAMES=lifeline-read:lifeline-write; exec \"$0\"")
        return ["bash", "-c", script], (read, write)

    def release(self):
        """`systemctl stop`: the store is closed."""
        for fd in self.store.values():
            os.close(fd)
        self.store.clear()

    def close(self):
        self.release()
        self.sock.close()


def test_restart_keeps_sessions_and_stop_ends_them(tmp_path):
    manager = FakeServiceManager(tmp_path / "notify")
    home = tmp_path / "home"
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = GatewayProcess(tmp_path / "first", extra_env={"NOTIFY_SOCKET": manager.path, "DISPATCH_HOME": str(home)})
    try:
        manager.wait_for_lifeline()
        ws = first.ws(cookie=first.login())
        run_id = create_session(ws, "lifeline")
        attach_running(ws, run_id)
        pid = shell_pid(ws, run_id, "before")
        ws.close()

        # systemctl restart: SIGTERM, and the store stays.
        first.proc.send_signal(signal.SIGTERM)
        assert first.proc.wait(15) == 0
        assert alive(pid), "SIGTERM under a service manager keeps the sessions"
        prefix, fds = manager.restart_command()
        second = GatewayProcess(tmp_path / "second", key=first.key, command_prefix=prefix, pass_fds=fds,
                                extra_env={"NOTIFY_SOCKET": manager.path, "DISPATCH_HOME": str(home)})
        ws = second.ws(cookie=second.login())
        attach_running(ws, run_id)
        assert shell_pid(ws, run_id, "after") == pid, "the same shell, adopted by the next gateway"
        ws.close()
        assert "lifeline taken back" in second.log_text()

        # systemctl stop: SIGTERM, then the store is released and the workers end their programs.
        second.proc.send_signal(signal.SIGTERM)
        assert second.proc.wait(15) == 0
        assert alive(pid)
        manager.release()
        wait_until(lambda: not alive(pid), 10, "the shell ended once the lifeline closed")
    finally:
        manager.close()
        for gw in (first, locals().get("second")):
            if gw is not None and gw.proc.poll() is None:
                finish_gateway(gw)
