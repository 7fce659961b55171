"""The two servers, each started here on a free loopback port."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from wsbench.common import BENCH_DIR, GATEWAY, free_port
from wsbench.proc import children, stop_process, wait_for_health
from wsbench.terms import DispatchConnection, DispatchTerm, TerminadoTerm


class DispatchServer:
    name = "dispatch"

    def __init__(self, test_echo: bool = False):
        self.home = Path(tempfile.mkdtemp(prefix="dispatch-bench-"))
        self.port = free_port()
        self.key = secrets.token_urlsafe(32)
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.origin = f"http://127.0.0.1:{self.port}"
        env = {"DISPATCH_HOME": str(self.home), "PORT": str(self.port), "TERMINAL_KEY": self.key,
               "HOME": str(self.home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SHELL": "/bin/bash",
               "LANG": "C.UTF-8", "LOG_LEVEL": "warn"}
        if test_echo:  # the test-only WebSocket echo at /ws-echo, for the client's own floor
            env["DISPATCH_TEST_ECHO"] = "1"
        self.log_file = open(self.home / "gateway.log", "wb")
        self.proc = subprocess.Popen([str(GATEWAY)], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log_file, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        wait_for_health(self.proc, self.port, self.home / "gateway.log")

    async def term(self, flow: bool = False) -> DispatchTerm:
        return await DispatchTerm.create(await DispatchConnection.open(self), flow=flow)

    async def close_term(self, term: DispatchTerm) -> None:
        await term.close()
        await term.conn.close()

    def workers(self) -> list[int]:
        return children(self.pid, "dispatch-worker")

    def worker_of(self, run_id: str) -> int | None:
        for pid in self.workers():
            try:
                if run_id.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
            except OSError:
                pass
        return None

    def stop(self) -> None:
        stop_process(self.proc, 10)
        self.log_file.close()
        shutil.rmtree(self.home, ignore_errors=True)


class TerminadoServer:
    name = "terminado"

    def __init__(self):
        self.home = Path(tempfile.mkdtemp(prefix="terminado-bench-"))
        self.port = free_port()
        self.ws_url = f"ws://127.0.0.1:{self.port}/websocket"
        env = {"HOME": str(self.home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SHELL": "/bin/bash",
               "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen([sys.executable, str(BENCH_DIR / "terminado_server.py"), str(self.port)], env=env,
                                     cwd=self.home, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=open(self.home / "server.log", "wb"), text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            raise RuntimeError(f"terminado did not start; see {self.home / 'server.log'}")
        self.pid = self.proc.pid

    async def term(self, flow: bool = False) -> TerminadoTerm:
        return await TerminadoTerm.open(self)

    async def close_term(self, term: TerminadoTerm) -> None:
        await term.close()

    def stop(self) -> None:
        stop_process(self.proc, 10)
        shutil.rmtree(self.home, ignore_errors=True)
