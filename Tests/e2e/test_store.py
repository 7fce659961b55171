"""The event store end to end: what a session printed survives a `kill -9` and a clean restart of the
gateway, a full or read-only database is reported and holds output back instead of losing it, clients
attached at different points get the same history, bad history requests get clear errors, and the
workspaces, rename and metrics routes.

Tests that kill or break a gateway start their own (`gateways` below); they share one home folder across
a restart by passing it in. Workers and programs a killed gateway leaves behind are killed at the end,
found by that home folder. The database is read with Python's `sqlite3` module only (no `sqlite3` CLI).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from conftest import GatewayProcess, attach_running, create_session, finish_gateway, wait_until

# ---------------------------------------------------------------------------------------------
# Helpers (the same conventions as test_sessions_ws.py)


def typed(ws, run_id, text):
    ws.send({"type": "run:input", "runId": run_id, "data": text})


def assert_gapless(events, first=1):
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(first, first + len(seqs))), f"seqs are not consecutive from {first}: {_seq_summary(seqs)}"


def _seq_summary(seqs):
    gaps = [(a, b) for a, b in zip(seqs, seqs[1:]) if b != a + 1]
    return f"{len(seqs)} seqs, first {seqs[:3]}, last {seqs[-3:]}, breaks {gaps[:10]}"


def signature(events):
    return [(e["seq"], e["channel"], e["payload"], e["ts"]) for e in events]


def stdout_text(events) -> str:
    return "".join(e["payload"] for e in events if e["channel"] == "pty:stdout")


_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def numbered_lines(text: str) -> list[int]:
    """The numbers `seq` printed, one a line, in the order they appear; a last, unfinished line is left out."""
    complete = _ESCAPES.sub("", text[: text.rfind("\n") + 1])
    return [int(line) for line in (raw.strip("\r").rsplit("\r", 1)[-1] for raw in complete.split("\n"))
            if line.isascii() and line.isdigit()]


def assert_counts_up(numbers: list[int], what: str):
    """1, 2, 3, … with nothing missing, repeated or out of order."""
    assert numbers, f"{what}: no numbered line at all"
    if numbers != list(range(1, len(numbers) + 1)):
        breaks = [(i, a, b) for i, (a, b) in enumerate(zip(numbers, numbers[1:])) if b != a + 1]
        pytest.fail(f"{what}: the numbered lines do not count up from 1 by 1 ({len(numbers)} lines, first "
                    f"{numbers[:3]}, breaks (index, line, next) {breaks[:10]})")


def history(gw, run_id, after=0, limit=1000, auth="bearer") -> tuple[list[dict], int | None]:
    """The whole stored history after `after`, page by page over REST; returns it with the first
    page's `historyStart` (None when absent)."""
    events, start, first = [], None, True
    while True:
        status, _, body = gw.request("GET", f"/api/sessions/{run_id}/events?after={after}&limit={limit}", auth=auth,
                                     timeout=20)
        assert status == 200, f"history of {run_id} after {after}: {status} {body!r}"
        assert set(body) <= {"events", "historyStart"}, body.keys()
        if first:
            start, first = body.get("historyStart"), False
        page = body["events"]
        assert len(page) <= limit
        events += page
        if len(page) < limit:
            return events, start
        after = page[-1]["seq"]


def replay(gw, cookie, run_id, after=0, timeout=30.0) -> list[dict]:
    """Every event a fresh WebSocket client gets when it attaches after `after` to a session that no
    longer prints (until nothing arrives for 0.5 s)."""
    ws = gw.ws(cookie=cookie)
    try:
        reply = ws.ok("run:attach", runId=run_id, afterSeq=after, timeout=timeout)
        assert reply["runId"] == run_id
        ws.drain(0.5, timeout)
        return ws.events(run_id)
    finally:
        ws.close()


def descriptor(gw, run_id) -> dict:
    status, _, body = gw.request("GET", f"/api/sessions/{run_id}", auth="bearer")
    assert status == 200, (status, body)
    return body


def listed(gw) -> dict[str, dict]:
    status, _, body = gw.request("GET", "/api/sessions", auth="bearer")
    assert status == 200, (status, body)
    return {s["id"]: s for s in body["sessions"]}


def metrics(gw, auth="bearer") -> dict[str, float]:
    status, headers, body = gw.request("GET", "/metrics", auth=auth)
    assert status == 200, (status, body)
    assert headers["content-type"].startswith("text/plain"), headers
    samples = {}
    for line in body.decode().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        match = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[a-zA-Z_]+="[^"]*"(?:,[a-zA-Z_]+="[^"]*")*\})?) (-?[0-9.e+]+)', line)
        assert match, f"not a Prometheus sample line: {line!r}"
        samples[match.group(1)] = float(match.group(2))
    return samples


def rows_in_file(db: Path) -> int:
    """Events actually in the database file (read-only, beside the gateway's own connection)."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute("SELECT count(*) FROM session_events").fetchone()[0]
    finally:
        connection.close()


def integrity_check(db: Path) -> str:
    connection = sqlite3.connect(str(db), timeout=10)
    try:
        return "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
    finally:
        connection.close()


def pump_together(clients, until, timeout: float, what: str):
    """Receives on every client in turn (so none holds the session back) until `until()` is true."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}; "
                        + "; ".join(f"client {i}: {len(c.messages)} messages, last {c.messages[-1:]!r:.300}"
                                    for i, c in enumerate(clients)))
        for client in clients:
            for _ in range(200):
                if client.pump(0.002) is None:
                    break


class Marker:
    """Tells when a client's output of a session contains `needle`, looking only at what is new (the
    needle may straddle two events)."""

    def __init__(self, client, run_id: str, needle: str):
        self.client, self.run_id, self.needle = client, run_id, needle
        self.index, self.tail, self.found = 0, "", False

    def __call__(self) -> bool:
        messages = self.client.messages
        while not self.found and self.index < len(messages):
            m = messages[self.index]
            self.index += 1
            if m.get("type") == "run:event" and m.get("runId") == self.run_id and m["channel"] == "pty:stdout":
                text = self.tail + m["payload"]
                self.found = self.needle in text
                self.tail = text[-len(self.needle):]
        return self.found


def health(gw) -> tuple[int, dict]:
    status, _, body = gw.request("GET", "/health")
    return status, body


# ---------------------------------------------------------------------------------------------
# Gateways of the tests' own, which may be killed, restarted on the same home, or started unwell


def workers_of_home(home: Path) -> list[int]:
    socket_arg = f"{home}/run/workers.sock".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                if b"dispatch-worker" in cmdline and socket_arg in cmdline:
                    found.append(int(entry))
    return found


def processes_of_home(home: Path) -> list[int]:
    """Workers of gateways that used `home`, and the programs running in its folders."""
    socket_arg = f"{home}/run/workers.sock".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if socket_arg in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.append(int(entry))
                continue
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if cwd == str(home) or cwd.startswith(f"{home}/"):
            found.append(int(entry))
    return found


def describe_process(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        fields = stat[stat.rindex(")") + 2:].split()
        return f"pid {pid} state {fields[0]} ppid {fields[1]}: {cmdline[:160]}"
    except (OSError, ValueError):
        return f"pid {pid} (gone)"


def kill_processes_of_home(home: Path):
    for pid in processes_of_home(home):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


class StoreGateway(GatewayProcess):
    """A GatewayProcess that registers itself before waiting for /health (so a failed start is still
    cleaned up) and, when `unwell_ok`, accepts a 503 from /health at start."""

    def __init__(self, tmp: Path, registry: list, unwell_ok: bool = False, **kwargs):
        self._registry = registry
        self._unwell_ok = unwell_ok
        super().__init__(tmp, **kwargs)

    def _wait_healthy(self, timeout: float = 10.0):
        self._registry.append(self)
        if not self._unwell_ok:
            return super()._wait_healthy(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"dispatch-gateway exited with {self.proc.returncode} at start:\n{self.log_text()}")
            try:
                self.request("GET", "/health", timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"dispatch-gateway did not answer /health within {timeout} s:\n{self.log_text()}")


class Gateways:
    def __init__(self, tmp_path_factory):
        self.factory = tmp_path_factory
        self.started: list[StoreGateway] = []

    def start(self, home: Path | None = None, key: str | None = None, extra_env: dict | None = None,
              unwell_ok: bool = False, port: int | None = None) -> StoreGateway:
        """A gateway in a fresh folder; with `home`, on that DISPATCH_HOME (a restart); with `port`, on
        that port (a restart that a browser's cookie, named after the port, follows)."""
        env = dict(extra_env or {})
        if home is not None:
            env["DISPATCH_HOME"] = str(home)
        gw = StoreGateway(self.factory.mktemp("store-gateway"), self.started, unwell_ok=unwell_ok, key=key,
                          extra_env=env, port=port)
        if home is not None:
            gw.home = home
        return gw

    def cleanup(self):
        """Stops the living gateways with the usual checks (exit 0, JSON logs, no key in the log); the
        dead ones (killed by a test, or crashed) are only closed. Then nothing of their homes runs."""
        failures = []
        for gw in reversed(self.started):
            if gw.proc.poll() is None:
                try:
                    finish_gateway(gw)
                except BaseException as error:  # pytest.fail raises an outcome exception
                    failures.append(f"{gw.home}: {error}")
            elif not gw._log.closed:
                gw._log.close()
        for home in {gw.home for gw in self.started}:
            kill_processes_of_home(home)
        if failures:
            pytest.fail("\n".join(failures))


@pytest.fixture
def gateways(tmp_path_factory):
    started = Gateways(tmp_path_factory)
    yield started
    started.cleanup()


@contextlib.contextmanager
def mounted_tmpfs(path: Path, size: str = "32m"):
    """A tmpfs of `size` at `path` (needs root), unmounted afterwards; skips when it cannot be mounted."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs for the full/read-only database tests needs root")
    path.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                                capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"cannot mount a tmpfs here: {error}")
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (mount exited {result.returncode}: {result.stderr.strip()})")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(folder: Path) -> Path:
    """Writes a file in `folder` until its file system has no space left; returns the file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 512):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as error:
                assert error.errno == 28, error  # ENOSPC
    finally:
        os.close(fd)
    return filler


# ---------------------------------------------------------------------------------------------
# 1. kill -9 of the gateway while a session prints numbered lines

# (how the session prints, seconds before the kill). "fast": `seq` as fast as the store takes it, killed
# mid-stream. "slow": after 200000 fast lines the numbering goes on one line per 50 ms, and the kill comes
# the moment a line arrives, before its batch (5 ms) could have been written.
KILL_ATTEMPTS = (("fast", 0.6), ("fast", 1.4), ("slow", 0.0), ("slow", 0.3))
FAST = "seq 1 100000000\r"
SLOW = ("seq 1 200000; echo slow''-part; i=200000; while [ $i -lt 100000000 ]; do i=$((i+1)); echo $i; "
        "sleep 0.05; done\r")


@pytest.fixture(scope="module")
def killed_runs(tmp_path_factory):
    """Per attempt: a session prints numbered lines to an attached client, the gateway gets SIGKILL,
    the client keeps everything the gateway sent before dying, the database is checked, and a new
    gateway starts on the same home. Yields one record per attempt; the new gateways stay up."""
    gateways = Gateways(tmp_path_factory)
    runs = []
    try:
        for mode, settle in KILL_ATTEMPTS:
            gw = gateways.start()
            ws = gw.ws(cookie=gw.login())
            run_id = create_session(ws, "crash")
            attach_running(ws, run_id)
            typed(ws, run_id, FAST if mode == "fast" else SLOW)
            start = time.monotonic()
            if mode == "fast":
                while time.monotonic() - start < settle or len(ws.events(run_id)) < 40:
                    assert time.monotonic() - start < 30, "the session printed too little to be killed mid-stream"
                    ws.pump(1.0)
            else:
                slow_part = Marker(ws, run_id, "slow-part\r\n")
                wait_until(lambda: ws.pump(1.0) is not None and slow_part(), 60, "the slow part", interval=0)
                until = time.monotonic() + settle
                count = len(ws.events(run_id))
                while time.monotonic() < until or len(ws.events(run_id)) < count + 3:
                    assert time.monotonic() - start < 60, "the slow part printed nothing"
                    ws.pump(1.0)
                # Right after a line arrived.
                message = None
                while not (message and message.get("type") == "run:event" and message["channel"] == "pty:stdout"):
                    message = ws.pump(5.0)
            os.kill(gw.proc.pid, signal.SIGKILL)
            gw.proc.wait(10)
            # Everything the gateway sent before it died is what this client saw.
            try:
                while ws.pump(2.0) is not None:
                    pass
            except ConnectionClosed:
                pass
            ws.close()
            seen = ws.events(run_id)
            # Its worker would wait for the next gateway to adopt it (test_restart.py): killed here, so
            # the next gateway restarts the session by the usual rules, and it is closed to settle its history.
            kill_processes_of_home(gw.home)
            integrity = integrity_check(gw.home / "dispatch.db")
            restarted = gateways.start(home=gw.home, key=gw.key)
            cookie = restarted.login()
            closer = restarted.ws(cookie=cookie)
            closer.ok("run:close", runId=run_id)
            wait_until(lambda: descriptor(restarted, run_id)["status"] == "stopped", 15, "the restarted session to stop")
            closer.close()
            runs.append({"run_id": run_id, "seen": seen, "integrity": integrity, "gateway": restarted,
                         "cookie": cookie, "what": f"{mode} printing, {settle} s"})
        yield runs
    finally:
        gateways.cleanup()


def test_kill9_then_restart_lists_the_session_stopped_with_a_sound_history(killed_runs):
    for run in killed_runs:
        gw, run_id, seen = run["gateway"], run["run_id"], run["seen"]
        what = f"killed while {run['what']}"
        assert run["integrity"] == "ok", f"{what}: PRAGMA integrity_check after the kill: {run['integrity']}"
        assert health(gw)[0] == 200, health(gw)
        sessions = listed(gw)
        assert run_id in sessions, f"{what}: the session is not listed after the restart: {sessions!r}"
        assert sessions[run_id]["status"] == "stopped", sessions[run_id]
        assert descriptor(gw, run_id)["status"] == "stopped"

        stored, start = history(gw, run_id)
        assert start is None, f"{what}: historyStart {start} without any pruning"
        assert_gapless(stored)
        assert len(stored) > 10, f"{what}: only {len(stored)} events stored"
        assert sessions[run_id]["lastSeq"] == stored[-1]["seq"], (sessions[run_id], stored[-1]["seq"])
        assert stored[0]["channel"] == "system:status" and stored[0]["payload"]["status"] == "started"
        # In order, no duplicate, nothing missing inside what was stored.
        assert_counts_up(numbered_lines(stdout_text(stored)), f"{what}: stored history")
        # What was stored is exactly what the client was shown for the same seqs.
        assert_gapless(seen)
        common = min(len(seen), len(stored))
        assert signature(stored[:common]) == signature(seen[:common]), f"{what}: stored events differ from those shown"
        # A WebSocket replay from 0 gives the same history as the REST pages.
        assert signature(replay(gw, run["cookie"], run_id)) == signature(stored)


def test_kill9_loses_no_line_the_client_saw(killed_runs):
    lost = []
    for run in killed_runs:
        stored, _ = history(run["gateway"], run["run_id"])
        seen_last, stored_last = run["seen"][-1]["seq"], stored[-1]["seq"]
        seen_lines, stored_lines = numbered_lines(stdout_text(run["seen"])), numbered_lines(stdout_text(stored))
        if stored_last < seen_last or len(stored_lines) < len(seen_lines):
            lost.append(f"killed while {run['what']}: the client saw seqs up to {seen_last} (line "
                        f"{seen_lines[-1] if seen_lines else None}), the store has up to {stored_last} (line "
                        f"{stored_lines[-1] if stored_lines else None})")
    assert not lost, "lines the client saw are missing after the restart:\n" + "\n".join(lost)


# ---------------------------------------------------------------------------------------------
# 2. A full disk, and a read-only database


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory):
    """The database on a 32 MB tmpfs. A session prints `seq 1 300000` (about 2 MB) after the tmpfs was
    filled; what happens while it is full is recorded, including a second client that attaches then;
    then the filler is deleted and the session finishes. Yields the facts; the gateway stays up."""
    mount_point = tmp_path_factory.mktemp("full-disk") / "db"
    with mounted_tmpfs(mount_point) as mounted:
        gateways = Gateways(tmp_path_factory)
        try:
            gw = gateways.start(extra_env={"DATABASE_PATH": str(mounted / "dispatch.db")})
            cookie = gw.login()
            ws = gw.ws(cookie=cookie)
            run_id = create_session(ws, "full")
            attach_running(ws, run_id)
            typed(ws, run_id, "echo rea''dy\r")
            ws.wait_output(run_id, "ready\r\n")
            ws.drain(0.3)
            facts = {"gateway": gw, "cookie": cookie, "run_id": run_id, "db": mounted / "dispatch.db"}
            filler = fill(mounted)

            typed(ws, run_id, "seq 1 300000; echo fin''ished\r")
            finished = Marker(ws, run_id, "finished\r\n")
            unwell = []

            def store_reported():
                ws.drain(0.05, 0.2)
                status, body = health(gw)
                unwell[:] = [status, body]
                return status == 503

            wait_until(store_reported, 15, "/health to report the full store")
            facts["health_while_full"] = tuple(unwell)
            # The program is held back: its output stops arriving although it has far more to print.
            counts = []

            def output_stopped():
                ws.drain(0.1, 0.5)
                counts.append(len(ws.events(run_id)))
                return len(counts) >= 8 and len(set(counts[-8:])) == 1

            wait_until(output_stopped, 20, "the output to stop while the store cannot write", interval=0)
            facts["finished_while_full"] = finished()
            facts["status_while_full"] = descriptor(gw, run_id)["status"]
            facts["seen_while_full"] = len(ws.events(run_id))
            facts["health_while_held"] = health(gw)
            # Other requests are served meanwhile.
            facts["served"] = {
                "GET /api/sessions": gw.request("GET", "/api/sessions", auth="bearer")[0],
                "GET /api/auth/check": gw.request("GET", "/api/auth/check", auth="bearer")[0],
                "GET /api/workspaces": gw.request("GET", "/api/workspaces", auth="bearer")[0],
                "GET history": gw.request("GET", f"/api/sessions/{run_id}/events?after=0&limit=5", auth="bearer")[0],
                "login": gw.request("POST", "/api/auth/login", {"key": gw.key})[0],
            }
            other = gw.ws(cookie=cookie)
            facts["ws list while full"] = other.request("list")["ok"]
            other.close()
            # The REST history also shows events held for retry; what is in the file is counted there.
            facts["metrics_while_full"] = metrics(gw)
            facts["rows_while_full"] = rows_in_file(facts["db"])
            # A second client attaches from the start while events are held in the gateway.
            late = gw.ws(cookie=cookie)
            facts["late_reply"] = late.request("run:attach", runId=run_id, afterSeq=0)
            late.drain(0.3)

            filler.unlink()
            late_finished = Marker(late, run_id, "finished\r\n")
            pump_together([ws, late], lambda: finished() and late_finished(), 60,
                          "the output to finish once space is free")
            pump_together([ws, late], lambda: ws.pump(0) is None and late.pump(0.3) is None, 10, "quiet")
            facts["seen"] = ws.events(run_id)
            facts["late_seen"] = late.events(run_id)
            facts["health_after"] = wait_until(lambda: health(gw)[0] == 200 and health(gw), 10,
                                               "/health to be 200 again once space is free")
            ws.close()
            late.close()
            yield facts
        finally:
            gateways.cleanup()


def test_full_disk_holds_output_back_and_recovers(full_disk):
    facts, gw, run_id = full_disk, full_disk["gateway"], full_disk["run_id"]
    status, body = facts["health_while_full"]
    assert status == 503 and body["status"] != "ok", body
    assert any("store" in problem for problem in body["problems"]), f"no problem names the store: {body!r}"
    assert facts["health_while_held"][0] == 503, facts["health_while_held"]
    # Held back, not lost: the program stopped with most of its output still to print, and runs on.
    assert not facts["finished_while_full"], "the whole output went through while nothing could be stored"
    assert facts["status_while_full"] == "running"
    assert facts["served"] == {k: 200 for k in facts["served"]}, facts["served"]
    assert facts["ws list while full"] is True
    assert facts["late_reply"]["ok"] is True, facts["late_reply"]
    # Space is back: everything is stored, in order, and /health is fine.
    assert facts["health_after"][1]["status"] == "ok", facts["health_after"]
    stored, start = history(gw, run_id)
    assert start is None
    assert_gapless(stored)
    seen = facts["seen"]
    assert_gapless(seen)
    assert signature(stored[:len(seen)]) == signature(seen), "the stored history differs from what the client saw"
    lines = numbered_lines(stdout_text(stored))
    assert_counts_up(lines, "stored history")
    assert lines[-1] == 300000, lines[-3:]
    assert "finished" in stdout_text(stored)
    # The full store left no damage.
    assert integrity_check(facts["db"]) == "ok"
    # Every event of this run is now counted once as stored.
    all_stored = sum(len(history(gw, sid)[0]) for sid in listed(gw))
    assert metrics(gw)["dispatch_events_stored_total"] == all_stored


def test_full_disk_a_client_attaching_meanwhile_gets_no_gap(full_disk):
    late = full_disk["late_seen"]
    assert late, "the late client got nothing"
    assert_gapless(late)
    assert signature(late) == signature(full_disk["seen"][:len(late)])


def test_full_disk_metrics_count_only_stored_events(full_disk):
    counted = full_disk["metrics_while_full"]["dispatch_events_stored_total"]
    stored = full_disk["rows_while_full"]
    assert counted == stored, f"dispatch_events_stored_total is {counted} while {stored} events are stored"


def test_read_only_database_is_reported_and_its_history_stays_readable(tmp_path_factory, gateways):
    """A database that can only be read (its file system remounted read-only between two runs): the
    gateway starts, says 503 with a problem naming the store, lists the earlier sessions and replays
    their history, and serves other requests; nothing crashes."""
    mount_point = tmp_path_factory.mktemp("read-only") / "db"
    with mounted_tmpfs(mount_point) as mounted:
        try:
            env = {"DATABASE_PATH": str(mounted / "dispatch.db")}
            first = gateways.start(extra_env=env)
            cookie = first.login()
            ws = first.ws(cookie=cookie)
            run_id = create_session(ws, "ro")
            attach_running(ws, run_id)
            typed(ws, run_id, "echo kept''-line; exit 4\r")
            ws.wait_event(run_id, lambda e: e["channel"] == "pty:exit", 10, "the exit")
            ws.close()
            before, _ = history(first, run_id)
            finish_gateway(first)
            result = subprocess.run(["mount", "-o", "remount,ro", str(mounted)], capture_output=True, text=True)
            assert result.returncode == 0, result.stderr

            gw = gateways.start(home=first.home, key=first.key, extra_env=env, unwell_ok=True)
            status, body = health(gw)
            assert status == 503, (status, body)
            assert any("store" in p for p in body["problems"]), body
            sessions = listed(gw)
            assert sessions[run_id]["status"] == "stopped", sessions
            assert signature(history(gw, run_id)[0]) == signature(before)
            # Logins work from memory, with a warning, when the store cannot keep them.
            cookie = gw.login()
            assert any(r["msg"].startswith("cannot store logins") for r in gw.log_records()), gw.log_text()[-2000:]
            assert signature(replay(gw, cookie, run_id)) == signature(before)
            assert "kept-line" in stdout_text(before)
            other = gw.ws(cookie=cookie)
            assert other.ok("list")["sessions"]
            other.close()
            assert gw.proc.poll() is None, gw.log_text()[-2000:]
        finally:
            gateways.cleanup()
            gateways.started.clear()


# ---------------------------------------------------------------------------------------------
# 3. Clients attached at different afterSeq while output streams


def test_clients_attached_at_different_after_seq_get_identical_suffixes(gateway, cookie, client):
    run_id = create_session(client, "suffixes")
    attach_running(client, run_id)
    others = []
    try:
        typed(client, run_id, "seq 1 1500000; echo suf''fix-done\r")
        # While it streams: one client from a little behind the live edge, one from nearly the start.
        wait_until(lambda: client.pump(1.0) is not None and len(client.events(run_id)) > 40, 20,
                   "the output to stream", interval=0)
        cuts = [client.events(run_id)[-1]["seq"] - 8, 3]
        for cut in cuts:
            other = gateway.ws(cookie=cookie)
            others.append(other)
            reply = other.ok("run:attach", runId=run_id, afterSeq=cut)
            assert "historyStart" not in reply, reply
            # Let the output run on for a while before the next one attaches.
            until = time.monotonic() + 0.3
            pump_together([client] + others, lambda: time.monotonic() > until, 5, "a pause")
        everyone = [client] + others
        markers = [Marker(c, run_id, "suffix-done\r\n") for c in everyone]
        pump_together(everyone, lambda: all(m() for m in markers), 120, "the end of the output on every client")
        pump_together(everyone, lambda: all(c.pump(0.2) is None for c in everyone), 10, "quiet")

        full = client.events(run_id)
        assert_gapless(full)
        assert_counts_up(numbered_lines(stdout_text(full)), "the first client's output")
        assert numbered_lines(stdout_text(full))[-1] == 1500000
        for cut, other in zip(cuts, others):
            got = other.events(run_id)
            assert got[0]["seq"] == cut + 1, (cut, got[0])
            assert_gapless(got, first=cut + 1)
            expected = [e for e in full if e["seq"] > cut]
            assert got[-1]["seq"] == expected[-1]["seq"], f"attached after {cut}: ends at {got[-1]['seq']}, not {expected[-1]['seq']}"
            assert signature(got) == signature(expected), f"the client attached after {cut} got a different suffix"
        # The stored history is the same again.
        assert signature(history(gateway, run_id)[0]) == signature(full)
    finally:
        for other in others:
            other.close()
        client.request("run:close", runId=run_id)


# ---------------------------------------------------------------------------------------------
# 4. Bad input


@pytest.fixture(scope="module")
def printed_session(gateway, cookie):
    """A session with a few events, for the read-only requests below."""
    ws = gateway.ws(cookie=cookie)
    run_id = create_session(ws, "bad-input")
    attach_running(ws, run_id)
    typed(ws, run_id, "echo one''-two\r")
    ws.wait_output(run_id, "one-two\r\n")
    ws.drain(0.3)
    yield run_id
    ws.request("run:close", runId=run_id)
    ws.close()


def assert_json_error(status, body, expected_status, *words):
    assert status == expected_status, (status, body)
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    for word in words:
        assert word in body["error"], (word, body)


@pytest.mark.parametrize("query,name", [
    ("after=-1", "after"), ("after=abc", "after"), ("after=", "after"), ("after=1.5", "after"), ("after=1e3", "after"),
    ("after=0x10", "after"), ("after=18446744073709551616", "after"), ("after=99999999999999999999999", "after"),
    ("limit=0", "limit"), ("limit=-1", "limit"), ("limit=1001", "limit"), ("limit=abc", "limit"), ("limit=", "limit"),
    ("limit=99999999999999999999", "limit"), ("after=1&limit=2.5", "limit"),
])
def test_history_with_bad_after_or_limit_is_400(gateway, printed_session, query, name):
    status, _, body = gateway.request("GET", f"/api/sessions/{printed_session}/events?{query}", auth="bearer")
    assert_json_error(status, body, 400, f'"{name}"')
    gateway.assert_serving()


@pytest.mark.parametrize("after", [10 ** 9, 2 ** 63 - 1, 2 ** 63])
def test_history_after_the_end_is_empty(gateway, printed_session, after):
    status, _, body = gateway.request("GET", f"/api/sessions/{printed_session}/events?after={after}", auth="bearer")
    assert status == 200 and body == {"events": []}, (status, body)


def test_history_after_the_largest_number_does_not_crash(gateways):
    gw = gateways.start()
    ws = gw.ws(cookie=gw.login())
    run_id = create_session(ws, "overflow")
    attach_running(ws, run_id)
    ws.close()
    try:
        status, _, body = gw.request("GET", f"/api/sessions/{run_id}/events?after=18446744073709551615", auth="bearer")
    except OSError as error:
        status, body = None, repr(error)
    time.sleep(0.3)
    assert gw.proc.poll() is None, f"the gateway died ({gw.proc.returncode}): {gw.log_text()[-1500:]}"
    assert status == 200 and body == {"events": []}, (status, body)


def test_history_pages_are_exact(gateway, printed_session):
    everything, start = history(gateway, printed_session)
    assert start is None and len(everything) >= 3
    assert_gapless(everything)
    for after, limit in [(0, 1), (1, 2), (len(everything) - 1, 1000), (0, 1000)]:
        status, _, body = gateway.request("GET", f"/api/sessions/{printed_session}/events?after={after}&limit={limit}",
                                          auth="bearer")
        assert status == 200
        assert signature(body["events"]) == signature(everything[after:after + limit])
    # Defaults: after 0, limit 100.
    status, _, body = gateway.request("GET", f"/api/sessions/{printed_session}/events", auth="bearer")
    assert status == 200 and signature(body["events"]) == signature(everything[:100])
    for event in everything:
        assert set(event) == {"seq", "channel", "payload", "ts"} and isinstance(event["ts"], int)


@pytest.mark.parametrize("run_id", ["no-such-session", "00000000-0000-0000-0000-000000000000", "%00", "a%00b",
                                    "%2e%2e%2fx", "x" * 4000, "..", "%2F", "%"])
def test_unknown_or_malformed_session_ids_are_404(gateway, run_id):
    for method, path, body in [("GET", f"/api/sessions/{run_id}/events", None), ("GET", f"/api/sessions/{run_id}", None),
                               ("PATCH", f"/api/sessions/{run_id}", {"title": "x"}), ("DELETE", f"/api/sessions/{run_id}", None)]:
        status, _, reply = gateway.request(method, path, body, auth="bearer")
        assert_json_error(status, reply, 404)
    gateway.assert_serving()


@pytest.mark.parametrize("path", ["/api/sessions/../x/events", "/api/sessions//events", "/api/sessions/a/b/events",
                                  "/api/sessions/x/events/", "/api/sessions/x/events/1"])
def test_odd_history_paths_are_404(gateway, path):
    status, _, body = gateway.request("GET", path, auth="bearer")
    assert_json_error(status, body, 404)


def test_raw_bytes_in_the_session_id_are_refused(gateway):
    for raw_id in (b"\x00", b"a\x00b", b"\xff\xfe", b"a b"):
        response, sock = gateway.raw(b"GET /api/sessions/" + raw_id + b"/events HTTP/1.1\r\nHost: "
                                     + gateway.host_header.encode() + b"\r\nAuthorization: Bearer "
                                     + gateway.key.encode() + b"\r\nConnection: close\r\n\r\n")
        sock.close()
        assert response.status in (400, 404), (raw_id, response)
        assert isinstance(response.json()["error"], str)
    gateway.assert_serving()


def test_very_long_session_id_is_414_beyond_the_request_line_limit(gateway):
    status, _, body = gateway.request("GET", "/api/sessions/" + "x" * 9000 + "/events", auth="bearer")
    assert_json_error(status, body, 414)
    gateway.assert_serving()


def test_history_needs_authentication(gateway, printed_session):
    status, _, body = gateway.request("GET", f"/api/sessions/{printed_session}/events")
    assert_json_error(status, body, 401)
    status, _, body = gateway.request("POST", f"/api/sessions/{printed_session}/events", {}, auth="bearer")
    assert status in (404, 405), (status, body)


@pytest.mark.parametrize("after", [-1, -(2 ** 63), "3", 1.5, None, True, [], {}, 2 ** 64, 10 ** 30])
def test_attach_with_a_bad_after_seq_fails_clearly(gateway, cookie, printed_session, after):
    ws = gateway.ws(cookie=cookie)
    try:
        reply = ws.request("run:attach", runId=printed_session, afterSeq=after)
        assert reply["ok"] is False and "afterSeq" in reply["error"], reply
        ws.drain(0.2)
        assert ws.events(printed_session) == [], "events arrived after a refused attach"
        assert ws.ok("list")
    finally:
        ws.close()


def test_attach_to_unknown_or_malformed_ids_fails_clearly(client):
    for run_id in ["no-such", "../x", "", "\u0000", "x" * 5000]:
        reply = client.request("run:attach", runId=run_id, afterSeq=0)
        assert reply["ok"] is False and isinstance(reply["error"], str) and reply["error"], reply
    for bad in [5, None, ["x"]]:
        reply = client.request("run:attach", runId=bad, afterSeq=0)
        assert reply["ok"] is False and "runId" in reply["error"], reply


def test_attach_after_the_end_gets_only_live_events(gateway, cookie, printed_session):
    ws = gateway.ws(cookie=cookie)
    try:
        last = descriptor(gateway, printed_session)["lastSeq"]
        for after in (last, last + 1000, 8 * 10 ** 15):  # JSON whole numbers reach 9e15
            reply = ws.ok("run:attach", runId=printed_session, afterSeq=after)
            assert "historyStart" not in reply, reply
        ws.drain(0.3)
        assert ws.events(printed_session) == []
    finally:
        ws.close()


# ---------------------------------------------------------------------------------------------
# 5. Workspaces, rename, metrics


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.exists() else set()


def test_workspaces_are_created_listed_and_announced(gateway, cookie, client):
    root = gateway.home / "workspaces"
    name = f"ws-{os.getpid()}-{time.monotonic_ns() % 100000}"
    start = len(client.messages)
    status, _, body = gateway.request("POST", "/api/workspaces", {"name": name}, auth="bearer")
    assert status == 201 and body == {"name": name}, (status, body)
    assert (root / name).is_dir() and not (root / name).is_symlink()
    client.wait_for(lambda m: m.get("type") == "sessions-updated", 5, "sessions-updated after a new workspace", start)
    # Creating it again is fine; with the cookie too.
    status, _, body = gateway.request("POST", "/api/workspaces", {"name": name}, auth=cookie)
    assert status == 201 and body == {"name": name}
    status, _, body = gateway.request("GET", "/api/workspaces", auth=cookie)
    assert status == 200
    names = [w["name"] for w in body["workspaces"]]
    assert name in names and names == sorted(names), names
    assert all(set(w) == {"name"} for w in body["workspaces"])
    # A session in that workspace runs in its folder.
    run_id = create_session(client, name)
    attach_running(client, run_id)
    typed(client, run_id, "pwd\r")
    client.wait_output(run_id, f"{root / name}\r\n")
    client.ok("run:close", runId=run_id)


def test_workspaces_need_authentication_and_the_right_method(gateway):
    assert gateway.request("GET", "/api/workspaces")[0] == 401
    assert gateway.request("POST", "/api/workspaces", {"name": "anon"})[0] == 401
    assert not (gateway.home / "workspaces" / "anon").exists()
    status, headers, _ = gateway.request("PUT", "/api/workspaces", {"name": "put"}, auth="bearer")
    assert status == 405 and "POST" in headers.get("allow", ""), status
    status, _, _ = gateway.request("DELETE", "/api/workspaces", auth="bearer")
    assert status == 405


BAD_WORKSPACE_BODIES = [
    {"name": ".."}, {"name": "."}, {"name": "../escape"}, {"name": "../workspaces-sibling"}, {"name": "a/b"},
    {"name": "/tmp/dispatch-absolute-workspace"}, {"name": "a\u0000b"}, {"name": "x" * 65}, {"name": ""},
    {"name": ".hidden"}, {"name": "a b"}, {"name": "caf\u00e9"}, {"name": "a\\b"}, {"name": "tab\t"},
    {"name": 5}, {"name": None}, {"name": ["x"]}, {}, [], "name", b"{not json",
]


@pytest.mark.parametrize("body", BAD_WORKSPACE_BODIES, ids=range(len(BAD_WORKSPACE_BODIES)))
def test_invalid_workspace_names_are_400_and_create_nothing(gateway, body):
    root = gateway.home / "workspaces"
    before_root, before_home = _tree(root), set(os.listdir(gateway.home))
    before_tmp = set(os.listdir("/tmp"))
    status, _, reply = gateway.request("POST", "/api/workspaces", body, auth="bearer")
    assert_json_error(status, reply, 400)
    assert _tree(root) == before_root
    assert set(os.listdir(gateway.home)) == before_home
    assert "dispatch-absolute-workspace" not in set(os.listdir("/tmp")) - before_tmp


def test_workspace_symlink_out_of_the_root_is_400_and_untouched(gateway, tmp_path):
    outside = tmp_path / "outside-workspace"
    outside.mkdir()
    link = gateway.home / "workspaces" / "store-escape"
    link.symlink_to(outside)
    try:
        status, _, body = gateway.request("POST", "/api/workspaces", {"name": "store-escape"}, auth="bearer")
        assert_json_error(status, body, 400, "store-escape")
        assert list(outside.iterdir()) == [] and link.is_symlink()
        names = [w["name"] for w in gateway.request("GET", "/api/workspaces", auth="bearer")[2]["workspaces"]]
        assert "store-escape" not in names
    finally:
        link.unlink()


def test_rename_over_rest_and_websocket_is_announced(gateway, cookie, client):
    watcher = gateway.ws(cookie=cookie)
    run_id = create_session(client, "rename")
    try:
        start = len(watcher.messages)
        status, _, body = gateway.request("PATCH", f"/api/sessions/{run_id}", {"title": "build \u2713"}, auth="bearer")
        assert status == 200 and body["id"] == run_id and body["title"] == "build \u2713", (status, body)
        assert body["workspace"] == "rename"
        watcher.wait_for(lambda m: m.get("type") == "sessions-updated"
                         and any(s["id"] == run_id and s["title"] == "build \u2713" for s in m["sessions"]),
                         5, "sessions-updated with the REST title", start)
        assert descriptor(gateway, run_id)["title"] == "build \u2713"

        start = len(watcher.messages)
        client.ok("rename", runId=run_id, title="t" * 200)
        watcher.wait_for(lambda m: m.get("type") == "sessions-updated"
                         and any(s["id"] == run_id and s["title"] == "t" * 200 for s in m["sessions"]),
                         5, "sessions-updated with the WebSocket title", start)
        assert listed(gateway)[run_id]["title"] == "t" * 200
        # With the cookie (and our Origin) too.
        status, _, body = gateway.request("PATCH", f"/api/sessions/{run_id}", {"title": "cookie"}, auth=cookie)
        assert status == 200 and body["title"] == "cookie"

        for bad in ["", "t" * 201, "line\nbreak", "bell\u0007", 5, None, ["x"]]:
            status, _, body = gateway.request("PATCH", f"/api/sessions/{run_id}", {"title": bad}, auth="bearer")
            assert_json_error(status, body, 400, "title")
            reply = client.request("rename", runId=run_id, title=bad)
            assert reply["ok"] is False and "title" in reply["error"], (bad, reply)
        for body in [{}, [], b"not json"]:
            status, _, reply = gateway.request("PATCH", f"/api/sessions/{run_id}", body, auth="bearer")
            assert_json_error(status, reply, 400)
        assert descriptor(gateway, run_id)["title"] == "cookie"

        status, _, body = gateway.request("PATCH", "/api/sessions/no-such-session", {"title": "x"}, auth="bearer")
        assert_json_error(status, body, 404)
        reply = client.request("rename", runId="no-such-session", title="x")
        assert reply["ok"] is False and reply["error"], reply
        assert gateway.request("PATCH", f"/api/sessions/{run_id}", {"title": "anon"})[0] == 401
    finally:
        watcher.close()
        client.request("run:close", runId=run_id)


def test_metrics_need_authentication_and_count_sessions_and_stored_events(gateway, cookie, client):
    assert gateway.request("GET", "/metrics")[0] == 401
    assert gateway.request("GET", "/metrics", headers={"Authorization": "Bearer wrong-key-0123456789"})[0] == 401
    assert gateway.request("GET", "/metrics?key=" + gateway.key)[0] == 401
    assert gateway.request("POST", "/metrics", b"", auth="bearer")[0] == 405
    run_id = create_session(client, "metrics")
    attach_running(client, run_id)
    try:
        before = metrics(gateway)
        for name in ['dispatch_sessions{status="running"}', 'dispatch_sessions{status="stopped"}',
                     "dispatch_events_stored_total", "dispatch_store_bytes", "dispatch_websocket_connections",
                     "dispatch_output_bytes_total", "dispatch_input_bytes_total", "dispatch_login_failures_total",
                     "dispatch_worker_restarts_total"]:
            assert name in before, f"{name} is missing from /metrics: {sorted(before)}"
        running = sum(1 for s in listed(gateway).values() if s["status"] == "running")
        assert before['dispatch_sessions{status="running"}'] == running >= 1
        assert before["dispatch_websocket_connections"] >= 1 and before["dispatch_store_bytes"] > 0
        typed(client, run_id, "for i in 1 2 3 4 5; do echo metric-$i; done\r")
        client.wait_output(run_id, "metric-5\r\n")
        client.drain(0.2)
        after = metrics(gateway, auth=cookie)
        assert after["dispatch_events_stored_total"] > before["dispatch_events_stored_total"]
        assert after["dispatch_output_bytes_total"] > before["dispatch_output_bytes_total"]
        assert after["dispatch_input_bytes_total"] > before["dispatch_input_bytes_total"]
    finally:
        client.ok("run:close", runId=run_id)
    wait_until(lambda: metrics(gateway)['dispatch_sessions{status="running"}'] == running - 1, 10,
               "the running gauge to go down after the session ended")


# ---------------------------------------------------------------------------------------------
# 6. A clean restart (SIGTERM)


def test_clean_restart_keeps_stopped_sessions_and_their_full_history(gateways):
    first = gateways.start()
    cookie = first.login()
    ws = first.ws(cookie=cookie)
    # One that ended on its own, one still running at the restart (renamed), one without a workspace.
    ended = create_session(ws, "ended")
    attach_running(ws, ended)
    typed(ws, ended, "seq 1 20000; exit 3\r")
    ws.wait_event(ended, lambda e: e["channel"] == "pty:exit", 20, "the exit")
    running = create_session(ws, "running")
    attach_running(ws, running)
    typed(ws, running, "seq 1 5000; echo run''ning-done\r")
    ws.wait_output(running, "running-done\r\n", 20)
    ws.ok("rename", runId=running, title="kept title")
    fresh = ws.ok("create", kind="pty", cols=80, rows=24)["runId"]
    ws.ok("run:attach", runId=fresh, afterSeq=0)
    ws.wait_event(fresh, lambda e: e["channel"] == "pty:stdout", 10, "the fresh session's prompt")
    ws.drain(0.3)
    before = listed(first)
    finish_gateway(first)  # SIGTERM: exit 0
    try:
        while ws.pump(1.0) is not None:
            pass
    except ConnectionClosed:
        pass
    ws.close()
    seen = {run_id: ws.events(run_id) for run_id in (ended, running, fresh)}
    assert integrity_check(first.home / "dispatch.db") == "ok"

    second = gateways.start(home=first.home, key=first.key)
    assert health(second)[0] == 200
    after = listed(second)
    for run_id in (ended, running, fresh):
        assert run_id in after, f"{run_id} is not listed after the restart: {sorted(after)}"
        now, then = after[run_id], before[run_id]
        assert now["status"] == "stopped", now
        for field in ("kind", "workspace", "title", "createdAt"):
            assert now[field] == then[field], (field, then, now)
        stored, start = history(second, run_id)
        assert start is None
        assert_gapless(stored)
        assert now["lastSeq"] == stored[-1]["seq"], (now, stored[-1])
        # Everything the client saw is stored, and nothing else before it.
        assert signature(stored[:len(seen[run_id])]) == signature(seen[run_id]), f"history of {run_id} differs"
        assert len(stored) >= len(seen[run_id])
    assert after[running]["title"] == "kept title"
    assert after[fresh]["workspace"].startswith("session-")
    ended_history = history(second, ended)[0]
    assert_counts_up(numbered_lines(stdout_text(ended_history)), "the ended session's history")
    assert numbered_lines(stdout_text(ended_history))[-1] == 20000
    exits = [e for e in ended_history if e["channel"] == "pty:exit"]
    assert [e["payload"] for e in exits] == [{"exitCode": 3, "signal": None}], exits
    assert "running-done" in stdout_text(history(second, running)[0])

    cookie = second.login()
    # Replays from 0 and from part-way match the REST history.
    full = history(second, running)[0]
    assert signature(replay(second, cookie, running)) == signature(full)
    cut = full[-3]["seq"]
    assert signature(replay(second, cookie, running, after=cut)) == signature(full[-2:])
    # Nothing runs: input is refused clearly; a past session can still be renamed.
    ws = second.ws(cookie=cookie)
    try:
        reply = ws.request("run:input", runId=running, data="echo nope\r")
        assert reply["ok"] is False and reply["error"], reply
        ws.ok("rename", runId=ended, title="renamed later")
        assert descriptor(second, ended)["title"] == "renamed later"
    finally:
        ws.close()
    # Past sessions survive a second restart too, with the new title.
    finish_gateway(second)
    third = gateways.start(home=first.home, key=first.key)
    again = listed(third)
    assert set(again) >= {ended, running, fresh}
    assert again[ended]["title"] == "renamed later"
    assert signature(history(third, ended)[0]) == signature(ended_history)
