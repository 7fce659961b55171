#!/usr/bin/env python3
"""End-to-end benchmark of Dispatch against Jupyter's terminado, run side by side on loopback.

    python3 -m venv .build/bench-venv && .build/bench-venv/bin/pip install -r Tests/bench/requirements.txt
    swift build -c release --static-swift-stdlib
    .build/bench-venv/bin/python Tests/bench/ws_bench.py [--mb 200] [--only dispatch|terminado]

Both servers are started here on free loopback ports and driven through their WebSocket by the same
Python client (`websockets`): Dispatch (`.build/release/dispatch-gateway`, JSON messages of its README)
and terminado (Tests/bench/terminado_server.py: UniqueTermManager(["bash"]) and TermSocket, with
TCP_NODELAY). Every figure is measured in 3 rounds, the servers taking turns within each round so that
the machine's noise hits both alike; the best round is reported, and the ratio Dispatch/terminado comes
from this one run. Results go to Tests/bench/RESULTS.md (and the raw rounds to RESULTS.json).

Figures:
  1. output throughput of a block producer (`head -c N /dev/zero | base64 -w 100 | cat`) and a line
     producer (the same without `| cat`), MB/s (1 MB = 1e6 bytes) of terminal output received, from the
     command's send to a unique end marker; next to the raw pty ceiling (os.read on a pty master here);
  2. keystroke echo p50/p99: one byte to `cat` on a raw, non-echoing pty, 500 samples;
  3. create (terminado: connect) to the first output byte, 20 samples, p50;
  4. Ctrl-C in a `yes` flood until output stops (time of the last byte after ^C), p50 of 5;
  5. server RSS while a client that reads one message every 20 ms watches `yes` for 8 s;
  6. Dispatch only: 1, 10 and 100 sessions flooding at once (block producer), total MB/s and CPU time.
Figures 5 and 6 run on a fresh server in each round. For echo, two floors are measured too: a bare pty
to `cat` and back, and this client to the gateway's test-only WebSocket echo (DISPATCH_TEST_ECHO=1, a
separate gateway), so that the client's own share is visible.

Before each round the run waits (at most --wait seconds in all) while a dispatch-bench, a swift build
or test, or a browser runs, or while a third of the machine is busy; it syncs dirty pages first, so the
event store's writes of one round are not paid by the next. A run takes about 6-7 minutes when quiet.
`--from-json RESULTS.json` rewrites the report from an earlier run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import pty
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
GATEWAY = REPO / ".build" / "release" / "dispatch-gateway"
ROUNDS = 3
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# ttyd, measured on this machine type (issue 3, DESIGN section 7): the C reference, not run here.
TTYD = {"block": 45.0, "line": 21.0, "echo_p50": 0.18, "echo_p99": 0.28, "first": 4.0, "ctrlc": 1.4,
        "rss": "flat at 5 MB"}


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (its threads included, reaped children not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except OSError:
        return 0.0


def children(pid: int, comm: str | None = None) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                head, tail = f.read().rsplit(")", 1)
            if int(tail.split()[1]) == pid and (comm is None or head.split("(", 1)[1] == comm):
                found.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return found


BUSY_NAMES = {"dispatch-bench", "swift-build", "swift-frontend", "swiftc", "xctest", "chromium", "chrome"}


def busy_processes() -> list[str]:
    """Other CPU-heavy work that would disturb the measurement: a dispatch-bench run, a swift build or
    test run, a browser test."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    busy = []
    for line in out.splitlines():
        pid, _, args = line.strip().partition(" ")
        if int(pid) == os.getpid():
            continue
        words = args.split()
        if not words:
            continue
        name = os.path.basename(words[0])
        if name in BUSY_NAMES or name.endswith(".xctest") or (
                name == "swift" and len(words) > 1 and words[1] in ("build", "test")):
            busy.append(line.strip()[:120])
    return busy


_wait_budget = [0.0]


def machine_busy_fraction(seconds: float = 0.5) -> float:
    """The share of all cores busy over `seconds` (from /proc/stat), while this benchmark is idle."""
    def sample():
        values = list(map(int, open("/proc/stat").readline().split()[1:]))
        return sum(values) - values[3] - values[4], sum(values)
    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_for_quiet_machine(budget: float) -> None:
    """Waits while other CPU-heavy work runs (known names, or more than a third of the machine busy
    while this benchmark idles), at most `budget` seconds over the whole run."""
    os.sync()  # the dirty pages of a previous run (Dispatch's event store) are written back now, not later
    while True:
        busy = busy_processes()
        if not busy:
            share = machine_busy_fraction()
            if share < 0.33:
                return
            busy = [f"{share:.0%} of the machine busy"]
        if _wait_budget[0] >= budget:
            log(f"warning: measuring while other work runs (wait budget spent): {busy[0]}")
            return
        log(f"waiting for other CPU-heavy work to finish: {busy[0]}")
        time.sleep(5)
        _wait_budget[0] += 5


def load_average() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


# ---------------------------------------------------------------------------------------------------
# Terminals: one WebSocket watching one shell, the same interface for both servers.


class SessionEnded(Exception):
    pass


class Term:
    """A shell reached through a WebSocket. `read()` returns the next chunk of terminal output."""

    ws = None

    async def write(self, data: str) -> None:
        raise NotImplementedError

    async def read(self) -> str:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def read_for(self, seconds: float) -> int:
        """Reads everything that arrives within `seconds`; returns the number of characters."""
        total = 0
        deadline = time.perf_counter() + seconds
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                return total
            try:
                total += len(await asyncio.wait_for(self.read(), left))
            except asyncio.TimeoutError:
                return total

    async def settle(self, quiet: float = 0.25, limit: float = 10.0) -> None:
        """Reads until nothing arrives for `quiet` seconds (the prompt is drawn)."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            try:
                await asyncio.wait_for(self.read(), quiet)
            except asyncio.TimeoutError:
                return
        raise RuntimeError("the terminal never went quiet")

    async def wait_for_text(self, text: str, limit: float) -> float:
        """Reads until `text` has arrived; returns (arrival time by perf_counter, characters read)."""
        tail = ""
        total = 0
        deadline = time.perf_counter() + limit
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise RuntimeError(f"timed out waiting for {text!r}")
            chunk = await asyncio.wait_for(self.read(), left)
            total += len(chunk)
            window = tail + chunk
            if text in window:
                return time.perf_counter(), total
            tail = window[-len(text):]


class DispatchConnection:
    """One authenticated WebSocket to the gateway."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 1
        self.backlog: list[dict] = []

    @classmethod
    async def open(cls, server: "DispatchServer") -> "DispatchConnection":
        ws = await connect(server.ws_url, origin=server.origin, compression=None, max_size=None,
                           open_timeout=30, ping_interval=None)
        conn = cls(ws)
        await ws.send(json.dumps({"type": "auth", "key": server.key}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if message.get("type") == "auth.success":
                return conn
            if message.get("type") == "auth.error":
                raise RuntimeError(f"auth refused: {message}")

    async def request(self, message_type: str, limit: float = 30.0, **fields) -> dict:
        request_id = self.next_id
        self.next_id += 1
        await self.ws.send(json.dumps({"type": message_type, "id": request_id, **fields}))
        deadline = time.perf_counter() + limit
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise RuntimeError(f"no reply to {message_type}")
            message = json.loads(await asyncio.wait_for(self.ws.recv(), left))
            if message.get("type") == "reply" and message.get("id") == request_id:
                if not message.get("ok"):
                    raise RuntimeError(f"{message_type} failed: {message}")
                return message
            if message.get("type") == "run:event":
                self.backlog.append(message)

    async def close(self) -> None:
        await self.ws.close()


class DispatchTerm(Term):
    def __init__(self, conn: DispatchConnection, run_id: str, flow: bool = False):
        self.conn = conn
        self.ws = conn.ws
        self.run_id = run_id
        self.flow = flow  # acknowledge every event as it is read, as a browser does once xterm.js rendered it

    @classmethod
    async def create(cls, conn: DispatchConnection, flow: bool = False) -> "DispatchTerm":
        reply = await conn.request("create", kind="pty", cols=120, rows=40)
        term = cls(conn, reply["runId"], flow)
        await conn.request("run:attach", runId=term.run_id, afterSeq=0, flow=flow)
        return term

    async def write(self, data: str) -> None:
        await self.ws.send(json.dumps({"type": "run:input", "runId": self.run_id, "data": data}))

    async def _output(self, message: dict) -> str | None:
        if message.get("type") != "run:event" or message.get("runId") != self.run_id:
            return None
        if self.flow:
            await self.ws.send(json.dumps({"type": "run:ack", "runId": self.run_id, "seq": message["seq"]}))
        channel = message.get("channel")
        if channel == "pty:stdout":
            return message["payload"]
        if channel == "pty:exit":
            raise SessionEnded(str(message.get("payload")))
        return None

    async def read(self) -> str:
        while self.conn.backlog:
            text = await self._output(self.conn.backlog.pop(0))
            if text is not None:
                return text
        while True:
            text = await self._output(json.loads(await self.ws.recv()))
            if text is not None:
                return text

    async def close(self) -> None:
        try:
            await self.conn.request("run:close", limit=15, runId=self.run_id)
        except (RuntimeError, ConnectionClosed, asyncio.TimeoutError) as error:
            log(f"  (closing {self.run_id}: {error})")


class TerminadoTerm(Term):
    def __init__(self, ws):
        self.ws = ws

    @classmethod
    async def open(cls, server: "TerminadoServer") -> "TerminadoTerm":
        ws = await connect(server.ws_url, compression=None, max_size=None, open_timeout=30, ping_interval=None)
        term = cls(ws)
        await ws.send(json.dumps(["set_size", 40, 120]))
        return term

    async def write(self, data: str) -> None:
        await self.ws.send(json.dumps(["stdin", data]))

    async def read(self) -> str:
        while True:
            message = json.loads(await self.ws.recv())
            if message[0] == "stdout":
                return message[1]
            if message[0] == "disconnect":
                raise SessionEnded("disconnect")

    async def close(self) -> None:
        await self.ws.close()


# ---------------------------------------------------------------------------------------------------
# Servers


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
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dispatch-gateway did not start; see {self.home / 'gateway.log'}")
            time.sleep(0.05)

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
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
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
        self.proc = subprocess.Popen([sys.executable, str(HERE / "terminado_server.py"), str(self.port)], env=env,
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
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.home, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# Figures

PRODUCERS = {
    "block": "head -c {n} /dev/zero | base64 -w 100 | cat",
    "line": "head -c {n} /dev/zero | base64 -w 100",
}
_marker_serial = 0


def marked(command: str) -> tuple[str, str]:
    """The command followed by an end marker that only its output (not its echo) contains."""
    global _marker_serial
    _marker_serial += 1
    value = 700000 + _marker_serial
    return f"{command}; echo BENCH_END_$(({value - 1}+1))_\r", f"BENCH_END_{value}_"


def raw_pty_throughput(command: str) -> tuple[float, int]:
    """The pty ceiling: the producer on a fresh pty, its master read with os.read as fast as it goes."""
    master, slave = pty.openpty()
    start = time.perf_counter()
    proc = subprocess.Popen(["bash", "-c", command], stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    total = 0
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        total += len(chunk)
    elapsed = time.perf_counter() - start
    proc.wait()
    os.close(master)
    return total / elapsed / 1e6, total


async def throughput(server, producer: str, mb: int) -> dict:
    term = await server.term(flow=False)
    try:
        await term.settle()
        command, marker = marked(PRODUCERS[producer].format(n=mb * 1_000_000))
        start = time.perf_counter()
        await term.write(command)
        end, total = await term.wait_for_text(marker, limit=600)
        elapsed = end - start
        return {"mbps": total / elapsed / 1e6, "bytes": total, "seconds": elapsed}
    finally:
        await server.close_term(term)


async def echo_latency(server, samples: int = 500) -> dict:
    term = await server.term(flow=False)
    try:
        await term.settle()
        await term.write("stty raw -echo; cat\r")
        await term.settle(quiet=0.3)
        times = []
        for i in range(samples):
            byte = "abcdefghijklmnopqrstuvwxyz"[i % 26]
            start = time.perf_counter()
            await term.write(byte)
            got = ""
            while byte not in got:
                got = await asyncio.wait_for(term.read(), 5)
            times.append((time.perf_counter() - start) * 1000)
        return {"p50": percentile(times, 50), "p99": percentile(times, 99), "samples": len(times)}
    finally:
        await term.write("\x03")
        await server.close_term(term)


def pty_echo_floor(samples: int = 500) -> dict:
    """Keystroke echo without any server: one byte through a bare pty to `cat` and back (os.read here)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(["bash", "-c", "stty raw -echo; exec cat"], stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    time.sleep(0.3)
    times = []
    for i in range(samples):
        byte = b"abcdefghijklmnopqrstuvwxyz"[i % 26:i % 26 + 1]
        start = time.perf_counter()
        os.write(master, byte)
        while byte not in os.read(master, 1024):
            pass
        times.append((time.perf_counter() - start) * 1000)
    proc.kill()
    proc.wait()
    os.close(master)
    return {"p50": percentile(times, 50), "p99": percentile(times, 99)}


async def websocket_echo_floor(server: DispatchServer, samples: int = 500) -> dict:
    """The client and loopback alone: a `run:input`-sized JSON message to the gateway's test echo and back."""
    ws = await connect(f"ws://127.0.0.1:{server.port}/ws-echo", origin=server.origin, compression=None,
                       ping_interval=None)
    times = []
    try:
        message = json.dumps({"type": "run:input", "runId": "0" * 36, "data": "x"})
        for _ in range(samples):
            start = time.perf_counter()
            await ws.send(message)
            json.loads(await ws.recv())
            times.append((time.perf_counter() - start) * 1000)
    finally:
        await ws.close()
    return {"p50": percentile(times, 50), "p99": percentile(times, 99)}


async def first_output(server, samples: int = 20) -> dict:
    firsts, with_connect = [], []
    for _ in range(samples):
        if isinstance(server, DispatchServer):
            t0 = time.perf_counter()
            conn = await DispatchConnection.open(server)
            t1 = time.perf_counter()
            term = await DispatchTerm.create(conn)
            await asyncio.wait_for(term.read(), 10)
            t2 = time.perf_counter()
            firsts.append((t2 - t1) * 1000)
            with_connect.append((t2 - t0) * 1000)
        else:
            t0 = time.perf_counter()
            term = await TerminadoTerm.open(server)
            await asyncio.wait_for(term.read(), 10)
            t2 = time.perf_counter()
            firsts.append((t2 - t0) * 1000)
            with_connect.append((t2 - t0) * 1000)
        await server.close_term(term)
    return {"p50": statistics.median(firsts), "p50_with_connect": statistics.median(with_connect),
            "samples": samples}


async def ctrl_c(server, samples: int = 5, flow: bool = False) -> dict:
    term = await server.term(flow=flow)
    stops, after = [], []
    try:
        await term.settle()
        for _ in range(samples):
            await term.write("yes\r")
            await term.read_for(1.0)
            start = time.perf_counter()
            await term.write("\x03")
            last = start
            received = 0
            while True:
                try:
                    received += len(await asyncio.wait_for(term.read(), 0.2))
                    last = time.perf_counter()
                except asyncio.TimeoutError:
                    break
            stops.append((last - start) * 1000)
            after.append(received)
        return {"p50": statistics.median(stops), "all": stops, "bytes_after_p50": statistics.median(after)}
    finally:
        await server.close_term(term)


async def slow_reader(server, seconds: float = 8.0, every: float = 0.02) -> dict:
    term = await server.term(flow=False)
    await term.settle()
    worker = server.worker_of(term.run_id) if isinstance(server, DispatchServer) else None
    samples = []  # (t, server KiB, worker KiB)

    def sample(t):
        samples.append((t, rss_kib(server.pid), rss_kib(worker) if worker else 0))

    start = time.perf_counter()
    sample(0.0)
    await term.write("yes\r")
    next_sample = start + 0.5
    end = start + seconds
    messages = 0
    while True:
        now = time.perf_counter()
        if now >= next_sample:
            sample(now - start)
            next_sample += 0.5
        if now >= end:
            break
        await asyncio.wait_for(term.read(), 10)
        messages += 1
        await asyncio.sleep(every)
    # Stop the flood: Dispatch through a second connection (this one is clogged by design).
    if isinstance(server, DispatchServer):
        control = await DispatchConnection.open(server)
        await control.request("run:close", runId=term.run_id)
        await control.close()
        await term.conn.close()
    else:
        await term.close()
    kib = [s[1] for s in samples]
    out = {"start": kib[0] / 1024, "max": max(kib) / 1024, "end": kib[-1] / 1024, "messages": messages,
           "series": [round(k / 1024, 1) for k in kib]}
    if worker:
        wk = [s[2] for s in samples]
        out["worker"] = {"start": wk[0] / 1024, "max": max(wk) / 1024, "end": wk[-1] / 1024,
                         "series": [round(k / 1024, 1) for k in wk]}
    return out


async def many_sessions(server: DispatchServer, count: int, mb_each: int) -> dict:
    # Sessions are created on one control connection, then each gets a WebSocket of its own (as if each
    # were a browser tab); `sessions-updated` goes to every open connection, so no change of the session
    # list happens while the viewers are connected.
    control = await DispatchConnection.open(server)
    run_ids = [(await control.request("create", kind="pty", cols=120, rows=40))["runId"] for _ in range(count)]
    conns = list(await asyncio.gather(*(DispatchConnection.open(server) for _ in range(count))))
    terms = [DispatchTerm(conn, run_id) for conn, run_id in zip(conns, run_ids)]
    try:
        await asyncio.gather(*(t.conn.request("run:attach", runId=t.run_id, afterSeq=0, flow=False) for t in terms))
        await asyncio.gather(*(t.settle(quiet=0.5, limit=60) for t in terms))
        commands = [marked(PRODUCERS["block"].format(n=mb_each * 1_000_000)) for _ in terms]
        workers = server.workers()
        gw_cpu0 = cpu_seconds(server.pid)
        wk_cpu0 = sum(cpu_seconds(p) for p in workers)
        start = time.perf_counter()
        await asyncio.gather(*(t.write(c) for t, (c, _) in zip(terms, commands)))
        results = await asyncio.gather(*(t.wait_for_text(m, limit=600) for t, (_, m) in zip(terms, commands)))
        end = max(r[0] for r in results)
        gw_cpu = cpu_seconds(server.pid) - gw_cpu0
        wk_cpu = sum(cpu_seconds(p) for p in workers) - wk_cpu0
        total = sum(r[1] for r in results)
        elapsed = end - start
        return {"sessions": count, "mb_each": mb_each, "mbps": total / elapsed / 1e6, "bytes": total,
                "seconds": elapsed, "gateway_cpu": gw_cpu, "workers_cpu": wk_cpu,
                "gateway_cpu_per_gb": gw_cpu / (total / 1e9), "workers_seen": len(workers)}
    finally:
        await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
        for run_id in run_ids:
            try:
                await control.request("run:close", limit=15, runId=run_id)
            except (RuntimeError, ConnectionClosed, asyncio.TimeoutError) as error:
                log(f"  (closing {run_id}: {error})")
        await control.close()


# ---------------------------------------------------------------------------------------------------
# Report


def machine_facts() -> dict:
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "python": platform.python_version()}


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}f}"


def ratio(d, t, digits=2):
    if d is None or t is None or t == 0:
        return "–"
    return f"{d / t:.{digits}f}"


def aims(results: dict) -> list[str]:
    """DESIGN section 7's aims, judged on this run (ttyd's figures are the ones measured on this machine type)."""
    d = results.get("dispatch", {})
    out = []
    if d.get("block") and d.get("line"):
        ok = d["block"]["mbps"] >= TTYD["block"] and d["line"]["mbps"] >= TTYD["line"]
        out.append(f"- Throughput at or above ttyd's ({TTYD['block']:.0f} / {TTYD['line']:.0f} MB/s): "
                   f"{'met' if ok else 'missed'} ({d['block']['mbps']:.1f} / {d['line']['mbps']:.1f} MB/s).")
    if d.get("echo"):
        limit50, limit99 = 1.3 * TTYD["echo_p50"], 1.3 * TTYD["echo_p99"]
        ok = d["echo"]["p50"] <= limit50 and d["echo"]["p99"] <= limit99
        out.append(f"- Echo within 1.3x of ttyd's ({limit50:.3f} / {limit99:.3f} ms): {'met' if ok else 'missed'} "
                   f"({d['echo']['p50']:.3f} / {d['echo']['p99']:.3f} ms; {d['echo']['p50'] / TTYD['echo_p50']:.2f}x at p50). "
                   "ttyd was not run with this client: the client's own share is in the floor rows.")
    if d.get("slow"):
        series = d["slow"]["series"]
        half = series[len(series) // 2:]
        growth = max(half) - half[0]
        ok = growth <= max(2.0, 0.1 * series[0])
        out.append(f"- Memory flat under the slow reader: {'met' if ok else 'missed'} (gateway {series[0]:.1f} MB idle, "
                   f"{max(series):.1f} MB at most, {growth:+.1f} MB over the last {(len(series) - 1) * 0.25:.0f} s of the "
                   f"{(len(series) - 1) * 0.5:.0f} s).")
    if out:
        out = ["Aims of DESIGN section 7, judged on this run:", ""] + out + [""]
    return out


def write_report(results: dict, args) -> str:
    m = results["machine"]
    d = results.get("dispatch", {})
    t = results.get("terminado", {})
    raw = results.get("raw_pty", {})
    lines = [
        "# End-to-end benchmark: Dispatch and terminado side by side",
        "",
        f"Command: `.build/bench-venv/bin/python Tests/bench/ws_bench.py --mb {args.mb}`"
        + (f" `--only {args.only}`" if args.only else "") + " (after `swift build -c release --static-swift-stdlib`"
        " and `.build/bench-venv/bin/pip install -r Tests/bench/requirements.txt`).",
        "",
        f"Machine: {m['nproc']} cores, {m['cpu']}, Linux {m['kernel']}, Python {m['python']}, {m['date']}. "
        "Shared and noisy: each figure is the best of 3 rounds, the two servers taking turns within a round, "
        "so the ratio comes from one run. ttyd was not run here: its figures are those measured on this "
        "machine type (issue 3, DESIGN section 7). "
        f"Load average at the start {results.get('load_start', '?')}, at the end {results.get('load_end', '?')}.",
        "",
        "Loopback, one Python `websockets` client for both servers; Dispatch attaches with `flow:false`. "
        "Throughput is MB/s (1e6 bytes) of terminal output received, from the command's send to its end marker. "
        "The pty column: the same producer on a bare pty read with `os.read` here (throughput), one byte through a "
        "bare pty to `cat` and back (echo).",
        "",
        "| figure | Dispatch | terminado | Dispatch/terminado | ttyd (reference) | bare pty here |",
        "|---|---|---|---|---|---|",
    ]

    def row(label, key, sub, digits, ref, ceiling="", higher_better=True):
        dv = d.get(key, {}).get(sub) if d else None
        tv = t.get(key, {}).get(sub) if t else None
        lines.append(f"| {label} | {fmt(dv, digits)} | {fmt(tv, digits)} | {ratio(dv, tv)} | {ref} | {ceiling} |")

    row(f"output, block producer, {args.mb} MB (MB/s)", "block", "mbps", 1, fmt(TTYD["block"]),
        fmt(raw.get("block")))
    row(f"output, line producer, {args.mb} MB (MB/s)", "line", "mbps", 1, fmt(TTYD["line"]), fmt(raw.get("line")))
    floors = results.get("echo_floors", {})
    pty_floor = floors.get("pty", {})
    row("keystroke echo p50 (ms)", "echo", "p50", 3, fmt(TTYD["echo_p50"], 2), fmt(pty_floor.get("p50"), 3))
    row("keystroke echo p99 (ms)", "echo", "p99", 3, fmt(TTYD["echo_p99"], 2), fmt(pty_floor.get("p99"), 3))
    if floors.get("websocket"):
        lines.append(f"| echo floor: this client to the gateway's test WebSocket echo, no worker or pty, p50 / p99 (ms) | "
                     f"{fmt(floors['websocket']['p50'], 3)} / {fmt(floors['websocket']['p99'], 3)} | | | | |")
    row("create (terminado: connect) to first output, p50 (ms)", "first", "p50", 1, fmt(TTYD["first"], 0))
    row("Ctrl-C in a `yes` flood until output stops, p50 (ms)", "ctrlc", "p50", 1, fmt(TTYD["ctrlc"]))
    row("bytes received after the ^C, p50 (same round)", "ctrlc", "bytes_after_p50", 0, "")
    if d.get("ctrlc_flow"):
        lines.append(f"| same, Dispatch client with `flow:true` acking every event (ms) | "
                     f"{fmt(d['ctrlc_flow']['p50'])} | | | | |")
    for label, sub in (("start", "start"), ("max", "max"), ("end", "end")):
        row(f"server RSS under a slow reader, {label} (MB)", "slow", sub, 1, TTYD["rss"] if sub == "max" else "")
    if d.get("slow", {}).get("worker"):
        w = d["slow"]["worker"]
        lines.append(f"| Dispatch worker RSS under the slow reader, start / max / end (MB) | "
                     f"{fmt(w['start'])} / {fmt(w['max'])} / {fmt(w['end'])} | | | | |")
    lines.append("")
    if d.get("first"):
        lines.append(f"Dispatch's create-to-first-output excludes the WebSocket handshake and `auth` (done before "
                     f"`create`); with them it is {fmt(d['first']['p50_with_connect'])} ms p50. Terminado's figure "
                     "includes its handshake (it starts the shell on connect).")
        lines.append("")
    if d.get("slow") or t.get("slow"):
        lines.append("The slow reader runs on a fresh server in each round (best round: the lowest max). "
                     "RSS series of that round (MB, every 0.5 s):")
        lines.append("")
        if d.get("slow"):
            lines.append(f"- Dispatch gateway: {d['slow']['series']}")
            if d["slow"].get("worker"):
                lines.append(f"- Dispatch worker: {d['slow']['worker']['series']}")
        if t.get("slow"):
            lines.append(f"- terminado: {t['slow']['series']}")
        lines.append("")
    if results.get("many"):
        lines += [
            "Dispatch with many sessions at once (block producer, every session flooding concurrently, one "
            "WebSocket per session, best of 3):",
            "",
            "| sessions | MB each | total MB/s | seconds | gateway CPU s | gateway CPU s per GB | workers CPU s |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in results["many"]:
            lines.append(f"| {r['sessions']} | {r['mb_each']} | {fmt(r['mbps'])} | {fmt(r['seconds'], 2)} | "
                         f"{fmt(r['gateway_cpu'], 2)} | {fmt(r['gateway_cpu_per_gb'], 2)} | {fmt(r['workers_cpu'], 2)} |")
        lines.append("")
    lines += aims(results)
    lines.append(f"All rounds are in `{Path(args.out).with_suffix('.json').name}` next to this file.")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------


def best(rounds: list[dict], key: str, higher: bool) -> dict:
    return (max if higher else min)(rounds, key=lambda r: r[key])


async def run(args) -> dict:
    servers = []
    if args.only in (None, "dispatch"):
        if not GATEWAY.exists():
            sys.exit(f"{GATEWAY} is missing: run `swift build -c release --static-swift-stdlib` first")
        servers.append(DispatchServer())
    if args.only in (None, "terminado"):
        servers.append(TerminadoServer())
    results: dict = {"machine": machine_facts(), "rounds": {}, "load_start": load_average()}
    for s in servers:
        results[s.name] = {}
        results["rounds"][s.name] = {}

    def record(server, figure, value):
        results["rounds"][server.name].setdefault(figure, []).append(value)

    try:
        wait_for_quiet_machine(args.wait)
        figures = args.figures.split(",")
        if "throughput" in figures:
            raw = {}
            for producer in PRODUCERS:
                values = [raw_pty_throughput(PRODUCERS[producer].format(n=args.mb * 1_000_000))[0]
                          for _ in range(ROUNDS)]
                raw[producer] = max(values)
                log(f"raw pty {producer}: {[round(v, 1) for v in values]} MB/s")
            results["raw_pty"] = raw
            for producer in PRODUCERS:
                for i in range(ROUNDS):
                    wait_for_quiet_machine(args.wait)
                    for s in servers:
                        r = await throughput(s, producer, args.mb)
                        record(s, producer, r)
                        log(f"{s.name} {producer} round {i + 1}: {r['mbps']:.1f} MB/s ({r['bytes']} B in {r['seconds']:.2f} s)")
                for s in servers:
                    results[s.name][producer] = best(results["rounds"][s.name][producer], "mbps", True)
        if "echo" in figures:
            for i in range(ROUNDS):
                wait_for_quiet_machine(args.wait)
                for s in servers:
                    r = await echo_latency(s)
                    record(s, "echo", r)
                    log(f"{s.name} echo round {i + 1}: p50 {r['p50']:.3f} ms, p99 {r['p99']:.3f} ms")
            for s in servers:
                results[s.name]["echo"] = best(results["rounds"][s.name]["echo"], "p50", False)
            floors = {"pty": min((pty_echo_floor() for _ in range(ROUNDS)), key=lambda r: r["p50"])}
            if any(isinstance(s, DispatchServer) for s in servers):
                echo_server = DispatchServer(test_echo=True)
                try:
                    floors["websocket"] = min([await websocket_echo_floor(echo_server) for _ in range(ROUNDS)],
                                              key=lambda r: r["p50"])
                finally:
                    echo_server.stop()
            results["echo_floors"] = floors
            log(f"echo floors: {floors}")
        if "first" in figures:
            for i in range(ROUNDS):
                wait_for_quiet_machine(args.wait)
                for s in servers:
                    r = await first_output(s)
                    record(s, "first", r)
                    log(f"{s.name} first output round {i + 1}: p50 {r['p50']:.1f} ms")
            for s in servers:
                results[s.name]["first"] = best(results["rounds"][s.name]["first"], "p50", False)
        if "ctrlc" in figures:
            for i in range(ROUNDS):
                wait_for_quiet_machine(args.wait)
                for s in servers:
                    r = await ctrl_c(s)
                    record(s, "ctrlc", r)
                    log(f"{s.name} ctrl-c round {i + 1}: p50 {r['p50']:.1f} ms {[round(x, 1) for x in r['all']]}")
                    if isinstance(s, DispatchServer):
                        r = await ctrl_c(s, flow=True)
                        record(s, "ctrlc_flow", r)
                        log(f"{s.name} ctrl-c (flow) round {i + 1}: p50 {r['p50']:.1f} ms {[round(x, 1) for x in r['all']]}")
            for s in servers:
                results[s.name]["ctrlc"] = best(results["rounds"][s.name]["ctrlc"], "p50", False)
                if "ctrlc_flow" in results["rounds"][s.name]:
                    results[s.name]["ctrlc_flow"] = best(results["rounds"][s.name]["ctrlc_flow"], "p50", False)
        if "slow" in figures:
            # Each round on a fresh server, so that start/max/end describe this reader alone.
            for i in range(ROUNDS):
                wait_for_quiet_machine(args.wait)
                for s in servers:
                    fresh = type(s)()
                    try:
                        r = await slow_reader(fresh)
                    finally:
                        fresh.stop()
                    record(s, "slow", r)
                    extra = (f"; worker {r['worker']['start']:.1f} / {r['worker']['max']:.1f} / {r['worker']['end']:.1f}"
                             if r.get("worker") else "")
                    log(f"{s.name} slow reader round {i + 1}: RSS start {r['start']:.1f} max {r['max']:.1f} "
                        f"end {r['end']:.1f} MB ({r['messages']} messages){extra}")
            for s in servers:
                results[s.name]["slow"] = best(results["rounds"][s.name]["slow"], "max", False)
        if "many" in figures and any(isinstance(s, DispatchServer) for s in servers):
            # Each round on a fresh gateway: nothing left over from the figures or rounds before.
            results["many"] = []
            for count, mb_each in ((1, args.mb), (10, max(1, args.mb // 10)), (100, max(1, args.mb // 100))):
                rounds = []
                for i in range(ROUNDS):
                    wait_for_quiet_machine(args.wait)
                    dispatch = DispatchServer()
                    try:
                        r = await many_sessions(dispatch, count, mb_each)
                    finally:
                        dispatch.stop()
                    rounds.append(r)
                    log(f"dispatch {count} sessions x {mb_each} MB round {i + 1}: {r['mbps']:.1f} MB/s total, "
                        f"gateway CPU {r['gateway_cpu']:.2f} s, workers {r['workers_cpu']:.2f} s in {r['seconds']:.2f} s")
                results["rounds"].setdefault("many", []).extend(rounds)
                results["many"].append(best(rounds, "mbps", True))
    finally:
        for s in servers:
            s.stop()
        results["load_end"] = load_average()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=200, help="MB of /dev/zero per throughput run (default 200)")
    parser.add_argument("--only", choices=["dispatch", "terminado"], help="run one server only")
    parser.add_argument("--figures", default="throughput,echo,first,ctrlc,slow,many",
                        help="comma-separated subset of throughput,echo,first,ctrlc,slow,many")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure, the best reported (default 3)")
    parser.add_argument("--wait", type=float, default=600,
                        help="seconds in all to wait for other CPU-heavy work (dispatch-bench, swift build or test, "
                             "a browser) to finish before measuring (default 600)")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"), help="where to write the report")
    parser.add_argument("--from-json", help="rewrite the report from a RESULTS.json of an earlier run, measuring nothing")
    args = parser.parse_args()
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
        args.mb = results.get("args", {}).get("mb", args.mb)
        args.only = results.get("args", {}).get("only", args.only)
        report = write_report(results, args)
        Path(args.out).write_text(report)
        print(report)
        return
    global ROUNDS
    ROUNDS = args.rounds
    started = time.monotonic()
    results = asyncio.run(run(args))
    results["elapsed_seconds"] = round(time.monotonic() - started, 1)
    results["args"] = {"mb": args.mb, "only": args.only}
    report = write_report(results, args)
    Path(args.out).write_text(report)
    Path(args.out).with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    print(report)
    log(f"done in {results['elapsed_seconds']} s; wrote {args.out}")


if __name__ == "__main__":
    main()
