"""Processes and the machine as /proc shows them, and waiting until the machine is quiet."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from wsbench.common import log


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_status(pid: int, field: str) -> int:
    """A `VmRSS:`-style field of /proc/pid/status in KiB (0 when gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def stop_process(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM, and SIGKILL when it is still there after `timeout` s; waits for it either way."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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


def read_pty(command: str) -> dict:
    """`command` on a fresh pty, its master read with os.read as fast as it goes: seconds, bytes, reads."""
    master, slave = pty.openpty()
    start = time.perf_counter()
    proc = subprocess.Popen(["bash", "-c", command], stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    total = reads = 0
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        total += len(chunk)
        reads += 1
    seconds = time.perf_counter() - start
    proc.wait()
    os.close(master)
    return {"seconds": seconds, "bytes": total, "reads": reads}


def wait_for_health(proc: subprocess.Popen, port: int, log_path: Path, timeout: float = 20) -> None:
    """Until the gateway on `port` answers /health with 200; raises, naming its log, when it exits first or
    takes more than `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"dispatch-gateway did not start; see {log_path}")
        time.sleep(0.05)
