"""The workspaces, rename and metrics routes: created, listed and announced; bad names refused without
touching the disk; titles changed over REST and WebSocket; metrics counting sessions and stored events."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from support.polling import wait_until
from support.rest import assert_json_error, descriptor, listed, metrics
from support.sessions import attach_running, create_session, typed
from support.workspaces import symlink_out_of_workspaces


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
    with symlink_out_of_workspaces(gateway, tmp_path, "store-escape") as (outside, link):
        status, _, body = gateway.request("POST", "/api/workspaces", {"name": "store-escape"}, auth="bearer")
        assert_json_error(status, body, 400, "store-escape")
        assert list(outside.iterdir()) == [] and link.is_symlink()
        names = [w["name"] for w in gateway.request("GET", "/api/workspaces", auth="bearer")[2]["workspaces"]]
        assert "store-escape" not in names


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

