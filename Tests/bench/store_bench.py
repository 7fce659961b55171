#!/usr/bin/env python3
"""Benchmark of Dispatch's event store, measured from the outside by a Python client.

    .build/test-venv/bin/python Tests/bench/store_bench.py [--mb 100] [--replay-mb 10] [--sessions 100]

It builds nothing: it runs `.build/release/dispatch-gateway` when it exists, else `.build/debug/...`, and
says which. Every gateway gets a fresh DISPATCH_HOME (and database) in a temporary folder, removed after.
Figures (1 MB = 1e6 bytes), printed as a markdown table:

  1. storing throughput: one session runs `head -c 100000000 /dev/zero | base64 -w 100 | cat` (135 MB of
     output) as fast as it can; the client counts the output bytes and events from sending the command to
     an end marker. Every event is stored before the worker may send more (the gateway acknowledges only
     stored events), so events/s is also the store's rate. Run with the database on the disk (DISPATCH_HOME
     under $TMPDIR) and on /dev/shm (tmpfs); next to the raw terminal rate: the same producer on a pty read
     by this script with os.read (nothing between, no storing);
  2. database growth per MB of output: the database, -wal and -shm sizes before and after figure 1 (disk),
     after a `PRAGMA wal_checkpoint(TRUNCATE)` from a second connection;
  3. replay of 10 MB of history (`head -c 7500000 /dev/zero | base64 -w 100`) to a new client: from sending
     `run:attach` with afterSeq 0 to the last stored event received, 5 times (median and best); the REST
     history paged with limit=1000 for comparison;
  4. gateway RSS (VmRSS, and the peak VmHWM) idle, with 100 sessions, with 200 WebSocket clients attached
     (2 per session), and after each session printed 2000 lines to both; the workers' total RSS.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from websockets.sync.client import connect

from wsbench.common import free_port, log, marked
from wsbench.proc import children, cpu_seconds, proc_status, read_pty, stop_process, wait_for_health

REPO = Path(__file__).resolve().parents[2]


def pick_binary() -> tuple[Path, str]:
    for flavour in ("release", "debug"):
        path = REPO / ".build" / flavour / "dispatch-gateway"
        if path.exists():
            built = time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))
            return path, f"{flavour} ({path.relative_to(REPO)}, built {built})"
    sys.exit("no dispatch-gateway in .build/release or .build/debug: build it first (this script builds nothing)")


class Gateway:
    def __init__(self, binary: Path, db_dir: Path | None = None):
        self.home = Path(tempfile.mkdtemp(prefix="dispatch-store-bench-"))
        self.db_dir = db_dir
        self.db = (db_dir or self.home) / "dispatch.db"
        self.port = free_port()
        self.key = secrets.token_urlsafe(32)
        self.origin = f"http://127.0.0.1:{self.port}"
        env = {"DISPATCH_HOME": str(self.home), "PORT": str(self.port), "TERMINAL_KEY": self.key,
               "HOME": str(self.home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SHELL": "/bin/bash",
               "LANG": "C.UTF-8", "LOG_LEVEL": "warn", "DATABASE_PATH": str(self.db), "MAX_SESSIONS": "400"}
        self.log_file = open(self.home / "gateway.log", "wb")
        self.proc = subprocess.Popen([str(binary)], env=env, stdin=subprocess.DEVNULL, stdout=self.log_file,
                                     stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        wait_for_health(self.proc, self.port, self.home / "gateway.log")

    def request(self, method, path, body=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Authorization": f"Bearer {self.key}"}
            payload = None
            if body is not None:
                payload = json.dumps(body)
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            ctype = response.getheader("Content-Type", "")
            return response.status, (json.loads(raw) if raw and ctype.startswith("application/json") else raw)
        finally:
            conn.close()

    def ws(self) -> "Client":
        return Client(self)

    def create(self, workspace="bench") -> str:
        status, body = self.request("POST", "/api/sessions", {"kind": "pty", "workspace": workspace, "cols": 120, "rows": 40})
        assert status == 201, (status, body)
        return body["id"]

    def last_seq(self, run_id) -> int:
        return self.request("GET", f"/api/sessions/{run_id}")[1]["lastSeq"]

    def db_bytes(self) -> dict[str, int]:
        sizes = {}
        for suffix in ("", "-wal", "-shm"):
            path = Path(str(self.db) + suffix)
            sizes[suffix or "db"] = path.stat().st_size if path.exists() else 0
        return sizes

    def checkpoint(self):
        connection = sqlite3.connect(str(self.db), timeout=30)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            connection.close()

    def stop(self):
        stop_process(self.proc, 20)
        self.log_file.close()
        shutil.rmtree(self.home, ignore_errors=True)
        if self.db_dir:
            shutil.rmtree(self.db_dir, ignore_errors=True)


class Client:
    """One WebSocket, authenticated with the key; JSON messages."""

    def __init__(self, gw: Gateway):
        self.conn = connect(f"ws://127.0.0.1:{gw.port}/ws", origin=gw.origin, compression=None, proxy=None,
                            open_timeout=10, max_size=8 << 20, max_queue=None)
        self.conn.send(json.dumps({"type": "auth", "key": gw.key}))
        assert json.loads(self.conn.recv(10))["type"] == "auth.success"
        self.ids = 0

    def send(self, obj):
        self.conn.send(json.dumps(obj))

    def request(self, type_, **fields) -> dict:
        self.ids += 1
        rid = f"b{self.ids}"
        self.send({"type": type_, "id": rid, **fields})
        while True:
            message = json.loads(self.conn.recv(30))
            if message.get("type") == "reply" and message.get("id") == rid:
                assert message["ok"], message
                return message

    def close(self):
        try:
            self.conn.close()
        except Exception:
            pass


def wait_prompt(client: Client, run_id: str, quiet: float = 0.3):
    """Receives until the session printed something and then went quiet."""
    got = False
    while True:
        try:
            text = client.conn.recv(quiet if got else 10)
        except TimeoutError:
            if got:
                return
            raise
        m = json.loads(text)
        got = got or (m.get("type") == "run:event" and m.get("runId") == run_id and m["channel"] == "pty:stdout")


def stream(client: Client, run_id: str, command: str, limit: float = 900) -> dict:
    """Types `command`, receives until its end marker; bytes and events of output, seconds."""
    text, marker = marked(command)
    start = time.perf_counter()
    client.send({"type": "run:input", "runId": run_id, "data": text})
    total = events = 0
    tail = ""
    while True:
        remaining = limit - (time.perf_counter() - start)
        if remaining <= 0:
            raise RuntimeError(f"no end marker within {limit} s")
        m = json.loads(client.conn.recv(remaining))
        if m.get("type") != "run:event" or m.get("runId") != run_id or m["channel"] != "pty:stdout":
            continue
        payload = m["payload"]
        events += 1
        total += len(payload.encode())
        if marker in tail + payload:
            return {"seconds": time.perf_counter() - start, "bytes": total, "events": events, "last_seq": m["seq"]}
        tail = payload[-64:]


# ---------------------------------------------------------------------------------------------


def storing_throughput(binary: Path, mb: int, on_shm: bool) -> dict:
    db_dir = Path(tempfile.mkdtemp(prefix="dispatch-store-bench-db-", dir="/dev/shm")) if on_shm else None
    gw = Gateway(binary, db_dir)
    try:
        client = gw.ws()
        run_id = gw.create()
        client.request("run:attach", runId=run_id, afterSeq=0)
        wait_prompt(client, run_id)
        gw.checkpoint()
        before = gw.db_bytes()
        workers = children(gw.pid, "dispatch-worker")
        cpu = (cpu_seconds(gw.pid), sum(cpu_seconds(w) for w in workers), time.process_time())
        result = stream(client, run_id, f"head -c {mb * 1_000_000} /dev/zero | base64 -w 100 | cat")
        result["cpu"] = {"gateway": cpu_seconds(gw.pid) - cpu[0],
                         "worker": sum(cpu_seconds(w) for w in workers) - cpu[1],
                         "client": time.process_time() - cpu[2]}
        time.sleep(0.2)
        stored = gw.last_seq(run_id)
        gw.checkpoint()
        after = gw.db_bytes()
        result.update(before=before, after=after, stored_last_seq=stored, rss_kib=proc_status(gw.pid, "VmHWM"))
        client.close()
        return result
    finally:
        gw.stop()


def replay_time(binary: Path, mb: float, rounds: int = 5) -> dict:
    gw = Gateway(binary)
    try:
        writer = gw.ws()
        run_id = gw.create()
        writer.request("run:attach", runId=run_id, afterSeq=0)
        wait_prompt(writer, run_id)
        produced = stream(writer, run_id, f"head -c {int(mb * 1e6 * 0.75)} /dev/zero | base64 -w 100")
        time.sleep(0.5)  # the prompt after the marker is stored too
        writer.close()
        last = gw.last_seq(run_id)
        times, sizes = [], []
        for _ in range(rounds):
            client = gw.ws()
            start = time.perf_counter()
            client.send({"type": "run:attach", "id": "replay", "runId": run_id, "afterSeq": 0})
            size = 0
            end = f'"seq":{last},'
            # No JSON parsing here: the client's own cost stays out of the figure as far as possible.
            while True:
                text = client.conn.recv(60)
                size += len(text)
                if text.startswith('{"type":"reply"'):
                    assert '"ok":true' in text, text
                elif end in text[:200]:
                    break
            times.append(time.perf_counter() - start)
            sizes.append(size)
            client.close()
        rest = []
        for _ in range(3):
            start = time.perf_counter()
            after, count = 0, 0
            while True:
                status, body = gw.request("GET", f"/api/sessions/{run_id}/events?after={after}&limit=1000")
                assert status == 200, body
                count += len(body["events"])
                if len(body["events"]) < 1000:
                    break
                after = body["events"][-1]["seq"]
            rest.append(time.perf_counter() - start)
        return {"output_bytes": produced["bytes"], "events": last, "median": statistics.median(times), "best": min(times),
                "all": times, "message_bytes": sizes[0], "rest_median": statistics.median(rest)}
    finally:
        gw.stop()


def memory(binary: Path, sessions: int) -> dict:
    gw = Gateway(binary)
    clients: list[Client] = []
    try:
        time.sleep(0.5)
        rss = {"idle": proc_status(gw.pid, "VmRSS")}
        ids = [gw.create(f"mem-{i % 10}") for i in range(sessions)]
        deadline = time.monotonic() + 60
        while sum(1 for s in gw.request("GET", "/api/sessions")[1]["sessions"] if s["status"] == "running") < sessions:
            if time.monotonic() > deadline:
                raise RuntimeError("the sessions did not all start")
            time.sleep(0.2)
        time.sleep(1.0)
        rss["sessions"] = proc_status(gw.pid, "VmRSS")
        for run_id in ids:
            for _ in range(2):
                client = gw.ws()
                client.request("run:attach", runId=run_id, afterSeq=0)
                clients.append(client)
        time.sleep(1.0)
        rss["clients"] = proc_status(gw.pid, "VmRSS")
        for i, run_id in enumerate(ids):
            clients[2 * i].send({"type": "run:input", "runId": run_id, "data": "seq 1 2000; echo mem''-done\r"})
        # Both clients of every session read everything (the marker ends their output).
        for client, run_id in zip(clients, [r for r in ids for _ in range(2)]):
            tail, deadline = "", time.monotonic() + 120
            while "mem-done\r\n" not in tail:
                m = json.loads(client.conn.recv(max(0.1, deadline - time.monotonic())))
                if m.get("type") == "run:event" and m["channel"] == "pty:stdout":
                    tail = (tail + m["payload"])[-64:]
        time.sleep(1.0)
        rss["output"] = proc_status(gw.pid, "VmRSS")
        rss["peak"] = proc_status(gw.pid, "VmHWM")
        workers = children(gw.pid, "dispatch-worker")
        rss["workers"] = sum(proc_status(pid, "VmRSS") for pid in workers)
        rss["worker_count"] = len(workers)
        rss["fds"] = len(os.listdir(f"/proc/{gw.pid}/fd"))
        return rss
    finally:
        for client in clients:
            client.close()
        gw.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=100, help="MB of /dev/zero for the throughput producer (default 100)")
    parser.add_argument("--replay-mb", type=float, default=10, help="MB of history to replay (default 10)")
    parser.add_argument("--sessions", type=int, default=100, help="sessions for the RSS figure (2 clients each)")
    args = parser.parse_args()
    binary, which = pick_binary()
    log(f"using {which}")
    load = os.getloadavg()

    producer = f"head -c {args.mb * 1_000_000} /dev/zero | base64 -w 100 | cat"
    log("raw pty rate ...")
    raw = max((read_pty(producer) for _ in range(3)), key=lambda r: r["bytes"] / r["seconds"])
    log("storing throughput, database on disk ...")
    disk = storing_throughput(binary, args.mb, on_shm=False)
    shm = None
    if os.access("/dev/shm", os.W_OK):
        log("storing throughput, database on /dev/shm ...")
        shm = storing_throughput(binary, args.mb, on_shm=True)
    log("replay ...")
    replay = replay_time(binary, args.replay_mb)
    log(f"RSS with {args.sessions} sessions and {2 * args.sessions} clients ...")
    mem = memory(binary, args.sessions)

    def rate(r):
        return r["bytes"] / r["seconds"] / 1e6

    growth = sum(disk["after"].values()) - sum(disk["before"].values())
    out_mb = disk["bytes"] / 1e6
    rows = [
        ("binary", which),
        ("machine", f"{os.cpu_count()} CPUs, load average {load[0]:.2f} at start"),
        ("raw terminal rate (pty read by Python, no gateway)", f"{rate(raw):.1f} MB/s ({raw['bytes'] / 1e6:.1f} MB in {raw['seconds']:.2f} s)"),
    ]
    for label, r in (("disk", disk), ("/dev/shm", shm)):
        if r is None:
            continue
        rows.append((f"through the gateway, storing on {label}: output",
                     f"{rate(r):.1f} MB/s ({r['bytes'] / 1e6:.1f} MB in {r['seconds']:.2f} s; {100 * rate(r) / rate(raw):.0f}% of raw)"))
        rows.append((f"through the gateway, storing on {label}: events stored",
                     f"{r['events'] / r['seconds']:,.0f} events/s ({r['events']:,} events, avg {r['bytes'] / r['events'] / 1024:.1f} KiB; store's last seq {r['stored_last_seq']:,})"))
        rows.append((f"CPU time during that run ({label})",
                     f"gateway {r['cpu']['gateway']:.2f} s, worker {r['cpu']['worker']:.2f} s, this client {r['cpu']['client']:.2f} s "
                     f"(of {r['seconds']:.2f} s); gateway peak RSS {r['rss_kib'] / 1024:.1f} MB"))
    rows += [
        ("database growth per MB of output (disk run, after a checkpoint)",
         f"{growth / 1e6 / out_mb:.3f} MB/MB ({growth / 1e6:.1f} MB for {out_mb:.1f} MB; db {disk['before']['db'] / 1e6:.2f} → {disk['after']['db'] / 1e6:.1f} MB, -wal {disk['after']['-wal']} B, -shm {disk['after']['-shm']} B)"),
        (f"replay of {replay['output_bytes'] / 1e6:.1f} MB of history ({replay['events']:,} events) to a new client",
         f"median {replay['median'] * 1000:.0f} ms, best {replay['best'] * 1000:.0f} ms (aim ≤ 200 ms; {replay['message_bytes'] / 1e6:.1f} MB of messages; all {', '.join(f'{t * 1000:.0f}' for t in replay['all'])} ms)"),
        ("the same history over REST (limit=1000 pages)", f"median {replay['rest_median'] * 1000:.0f} ms"),
        ("gateway RSS idle", f"{mem['idle'] / 1024:.1f} MB"),
        (f"gateway RSS, {args.sessions} sessions", f"{mem['sessions'] / 1024:.1f} MB"),
        (f"gateway RSS, + {2 * args.sessions} WebSocket clients attached", f"{mem['clients'] / 1024:.1f} MB"),
        ("gateway RSS, after 2000 lines per session to both clients", f"{mem['output'] / 1024:.1f} MB (peak {mem['peak'] / 1024:.1f} MB; {mem['fds']} fds)"),
        (f"workers' RSS, total of {mem['worker_count']}", f"{mem['workers'] / 1024:.1f} MB ({mem['workers'] / 1024 / max(1, mem['worker_count']):.2f} MB each)"),
    ]
    print("| figure | result |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
