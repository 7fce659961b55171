"""The event store when it cannot write: a full disk holds output back instead of losing it and is
reported, a client attaching meanwhile gets no gap, and a read-only database still serves its history.

The database is put on a tmpfs of the test's own (needs root; skipped otherwise).
"""

from __future__ import annotations

import subprocess

import pytest

from support.database import fill, integrity_check, mounted_tmpfs, rows_in_file
from support.gateway import finish_gateway
from support.gateway_pool import Gateways
from support.history import Marker, assert_counts_up, assert_gapless, history, numbered_lines, pump_together, replay, signature, stdout_text
from support.polling import wait_until
from support.rest import descriptor, health, listed, metrics
from support.sessions import attach_running, create_session, echoed_session, typed


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory):
    """The database on a 32 MB tmpfs. A session prints `seq 1 300000` (about 2 MB) after the tmpfs was
    filled; what happens while it is full is recorded, including a second client that attaches then;
    then the filler is deleted and the session finishes. Yields the facts; the gateway stays up."""
    mount_point = tmp_path_factory.mktemp("full-disk") / "db"
    with mounted_tmpfs(mount_point) as mounted:
        gateways = Gateways(tmp_path_factory)
        try:
            gw, cookie, ws = gateways.start_with_client(extra_env={"DATABASE_PATH": str(mounted / "dispatch.db")})
            run_id = echoed_session(ws, "full", "rea''dy")
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
            first, cookie, ws = gateways.start_with_client(extra_env=env)
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

