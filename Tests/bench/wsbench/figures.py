"""The figures: each measures one server (or a floor without one) and returns its numbers."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import statistics
import subprocess
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from wsbench.common import log, marked, percentile
from wsbench.proc import cpu_seconds, proc_status, read_pty
from wsbench.terms import DispatchConnection, DispatchTerm, TerminadoTerm
from wsbench.servers import DispatchServer


PRODUCERS = {
    "block": "head -c {n} /dev/zero | base64 -w 100 | cat",
    "line": "head -c {n} /dev/zero | base64 -w 100",
}
def raw_pty_throughput(command: str) -> tuple[float, int]:
    """The pty ceiling: the producer on a fresh pty, its master read with os.read as fast as it goes."""
    read = read_pty(command)
    return read["bytes"] / read["seconds"] / 1e6, read["bytes"]


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
        t0 = time.perf_counter()
        if isinstance(server, DispatchServer):
            conn = await DispatchConnection.open(server)
            t1 = time.perf_counter()
            term = await DispatchTerm.create(conn)
        else:  # terminado makes the terminal as it connects
            t1 = t0
            term = await TerminadoTerm.open(server)
        await asyncio.wait_for(term.read(), 10)
        t2 = time.perf_counter()
        firsts.append((t2 - t1) * 1000)
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
        samples.append((t, proc_status(server.pid, "VmRSS"), proc_status(worker, "VmRSS") if worker else 0))

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
