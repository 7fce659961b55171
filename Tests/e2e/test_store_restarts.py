"""The event store across restarts of the gateway: what a session printed survives a `kill -9` and a
clean restart (SIGTERM); the restarted gateway lists past sessions stopped, with their full history, and
replays it exactly.

Tests start their own gateways (the `gateways` fixture, or `Gateways` for a module's fixture) and share a
home folder across a restart by passing it in. The database is read with Python's `sqlite3` module only.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from websockets.exceptions import ConnectionClosed

from support.database import integrity_check
from support.gateway import finish_gateway
from support.gateway_pool import Gateways
from support.history import Marker, assert_counts_up, assert_gapless, history, numbered_lines, replay, signature, stdout_text
from support.polling import wait_until
from support.processes import kill_processes_of_home
from support.rest import descriptor, health, listed
from support.sessions import attach_running, create_session, typed

# ---------------------------------------------------------------------------------------------
# kill -9 of the gateway while a session prints numbered lines

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
# A clean restart (SIGTERM)


def test_clean_restart_keeps_stopped_sessions_and_their_full_history(gateways):
    first, cookie, ws = gateways.start_with_client()
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
