#!/usr/bin/env python3
"""Benchmark of gateway restarts that keep sessions, measured from the outside.

    /work/main/.build/test-venv/bin/python Tests/bench/restart_bench.py [--sessions 50] [--rounds 3]

It runs `.build/debug/dispatch-gateway` (through Tests/e2e/support/gateway.py) with a fresh DISPATCH_HOME, and prints:

  1. re-adoption time: N shell sessions run; the gateway restarts (SIGUSR2, or kill -9) and a new one
     starts on the same home; from starting the new process to every session `running` again (polled over
     REST every 10 ms), and to the last "worker re-adopted" log line. Orphaned workers retry the socket with
     backoff (50 ms doubling to 2 s), so the figure depends on how long no gateway ran: measured with the
     new gateway started right away, and 10 s later (workers at the 2 s backoff ceiling);
  2. memory held by an orphaned worker: VmRSS / RssAnon of a worker whose window is full (a `yes` flood
     to a viewer that never acknowledges, then kill -9 of the gateway), next to an idle orphaned worker.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from support.gateway import GATEWAY_BIN, GatewayProcess  # noqa: E402
from support.processes import workers_of_home  # noqa: E402
from support.sessions import attach_running, create_session  # noqa: E402


def sessions_running(gw, ids) -> bool:
    status, _, body = gw.request("GET", "/api/sessions", auth="bearer")
    if status != 200:
        return False
    states = {s["id"]: s["status"] for s in body["sessions"]}
    return all(states.get(i) == "running" for i in ids)


def wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.01)


def restart(old: GatewayProcess, tmp: Path, ids, how: str, pause: float) -> tuple[float, float]:
    """Ends `old` (SIGUSR2 or SIGKILL), waits `pause`, starts a new gateway on its home; returns (seconds to
    every session running over REST, seconds to the last re-adoption in the log) and the new gateway."""
    if how == "usr2":
        old.proc.send_signal(signal.SIGUSR2)
    else:
        old.proc.send_signal(signal.SIGKILL)
    old.proc.wait(30)
    old._log.close()
    time.sleep(pause)
    started = time.time()
    gw = GatewayProcess(tmp, key=old.key, extra_env={"DISPATCH_HOME": str(old.home)})
    gw.home = old.home
    wait(lambda: sessions_running(gw, ids), 60, "every session running")
    running = time.time() - started
    adopted = [r["ts"] for r in gw.log_records() if r.get("msg") == "worker re-adopted"]
    assert len(adopted) == len(ids), f"{len(adopted)} re-adopted of {len(ids)}"
    return running, max(adopted) - started, gw


def memory(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon", "RssFile"):
            fields[name] = int(value.split()[0])
    return fields


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"# restart benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, {platform.release()}; "
          f"gateway {GATEWAY_BIN}; load {open('/proc/loadavg').read().split()[:3]}")
    with tempfile.TemporaryDirectory(prefix="dsp-bench-") as folder:
        root = Path(folder)
        (root / "g0").mkdir()
        gw = GatewayProcess(root / "g0")
        ws = gw.ws(cookie=gw.login())
        ids = [ws.ok("create", kind="pty", workspace=f"w{i}", cols=80, rows=24)["runId"] for i in range(args.sessions)]
        ws.close()
        wait(lambda: sessions_running(gw, ids), 60, "the sessions to start")
        print(f"\n## 1. {args.sessions} sessions re-adopted (seconds from starting the new gateway)\n")
        print("| restart | pause before the new gateway | all running (REST) | last re-adoption (log) |")
        print("|---|---|---|---|")
        round_number = 0
        for how, pause in (("usr2", 0.0), ("kill9", 0.0), ("usr2", 10.0)):
            results = []
            for _ in range(args.rounds):
                round_number += 1
                (root / f"r{round_number}").mkdir()
                running, adopted, gw = restart(gw, root / f"r{round_number}", ids, how, pause)
                results.append((running, adopted))
            for running, adopted in results:
                print(f"| {'SIGUSR2' if how == 'usr2' else 'kill -9'} | {pause:.0f} s | {running:.3f} | {adopted:.3f} |")
            print(f"| median | | {statistics.median(r for r, _ in results):.3f} | {statistics.median(a for _, a in results):.3f} |")
        gw.stop()

        print("\n## 2. memory of an orphaned worker (kB)\n")
        (root / "m").mkdir()
        gw = GatewayProcess(root / "m")
        ws = gw.ws(cookie=gw.login())
        idle = create_session(ws, "idle")
        attach_running(ws, idle)
        flood = create_session(ws, "flood")
        attach_running(ws, flood, flow=True)  # never acknowledges: the worker's window fills
        ws.send({"type": "run:input", "runId": flood, "data": "yes\r"})
        time.sleep(3)
        by_session = {}
        for pid in workers_of_home(gw.home):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            by_session[cmdline[cmdline.index(b"--session") + 1].decode()] = pid
        connected = {name: memory(by_session[run]) for name, run in (("idle", idle), ("full window", flood))}
        gw.proc.send_signal(signal.SIGKILL)
        gw.proc.wait(10)
        time.sleep(3)
        print("| worker | connected VmRSS | orphaned VmRSS | orphaned RssAnon |")
        print("|---|---|---|---|")
        for name, run in (("idle", idle), ("full window (256 KiB)", flood)):
            orphaned = memory(by_session[run])
            print(f"| {name} | {connected['idle' if name == 'idle' else 'full window']['VmRSS']} | {orphaned['VmRSS']} "
                  f"| {orphaned['RssAnon']} |")
        for pid in workers_of_home(gw.home):
            os.kill(pid, signal.SIGTERM)


if __name__ == "__main__":
    main()
