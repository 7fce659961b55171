"""Sessions survive a gateway restart: the workers of a gateway that is killed (or restarts with
SIGUSR2) keep their programs, hold their output, and are re-adopted by the next gateway on the same
DISPATCH_HOME, which replays everything with no gap and no duplicate. SIGTERM still ends everything;
a worker nobody adopts ends its program after the orphan timeout; nothing without the worker's secret
(and pid) is taken for it; a session whose worker is gone is restarted by the usual rules.

Gateways come from the `gateways` fixture (conftest.py): restarted on the same home, cleaned up at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
from pathlib import Path

from websockets.exceptions import ConnectionClosed

from support.history import assert_counts_up, assert_gapless, numbered_lines
from support.polling import wait_until
from support.processes import alive, describe_process, workers_of_home
from support.rest import descriptor
from support.sessions import attach_running, create_session, shell_pid, typed

def close_quietly(ws):
    try:
        while ws.pump(0.2) is not None:
            pass
    except ConnectionClosed:
        pass
    ws.close()


def running_session(gateways, workspace: str, flow: bool = False, extra_env: dict | None = None):
    """A gateway of the test's own with one attached shell session: (gateway, client, run id, shell pid)."""
    gw = gateways.start(extra_env=extra_env)
    ws = gw.ws(cookie=gw.login())
    run_id = create_session(ws, workspace)
    attach_running(ws, run_id, flow=flow)
    return gw, ws, run_id, shell_pid(ws, run_id, workspace)


def kill_gateway(gw, ws):
    os.kill(gw.proc.pid, signal.SIGKILL)
    gw.proc.wait(10)
    close_quietly(ws)


def attached_after_restart(gateways, gw, run_id):
    """A new gateway on `gw`'s home, and a client attached to `run_id` from the start."""
    second = gateways.start(home=gw.home, key=gw.key)
    client = second.ws(cookie=second.login())
    client.ok("run:attach", runId=run_id, afterSeq=0)
    return second, client


def statuses(events) -> list[dict]:
    return [e["payload"] for e in events if e["channel"] == "system:status"]


def test_kill9_of_the_gateway_keeps_the_shell_and_loses_no_line(gateways):
    gw, ws, run_id, before = running_session(gateways, "kill9")
    typed(ws, run_id, "for i in $(seq 1 50000); do echo $i; done; echo loop''-done\r")
    # Killed mid-stream: some numbers arrived, far from all.
    ws.wait_output(run_id, r"\r\n1000\r\n", 30, regex=True)
    kill_gateway(gw, ws)
    assert "loop-done" not in ws.output(run_id), "the loop ended before the kill; nothing was tested"

    second, client = attached_after_restart(gateways, gw, run_id)
    client.wait_output(run_id, "loop-done\r\n", 120)
    events = client.events(run_id)
    assert_gapless(events)
    numbers = numbered_lines(client.output(run_id))
    assert_counts_up(numbers, "the numbers after the restart")
    assert numbers[-1] == 50000, numbers[-3:]
    after = shell_pid(client, run_id, "after")
    assert after == before, f"the shell changed: pid {before} before the kill, {after} after"
    assert descriptor(second, run_id)["status"] == "running"
    assert descriptor(second, run_id)["meta"]["pid"] == before
    changes = statuses(client.events(run_id))
    assert changes[0]["status"] == "started" and not changes[0].get("adopted"), changes
    assert changes[-1] == {"status": "started", "restarts": 0, "adopted": True}, changes
    assert [c["status"] for c in changes] == ["started", "started"], changes
    assert any(r["msg"] == "worker re-adopted" for r in second.log_records())
    client.close()


def test_sigusr2_restarts_keeping_the_session_and_what_it_printed_meanwhile(gateways):
    gw, ws, run_id, before = running_session(gateways, "usr2")
    folder = Path(descriptor(gw, run_id)["meta"]["cwd"])
    # The shell waits for a file the test creates once the gateway is gone, then prints.
    typed(ws, run_id, "while [ ! -e go ]; do sleep 0.05; done; echo while''-away-$((6*7)); touch printed\r")
    ws.drain(0.3)
    gw.proc.send_signal(signal.SIGUSR2)
    assert gw.proc.wait(15) == 0, gw.log_text()[-2000:]
    close_quietly(ws)
    assert any(r["msg"] == "workers released for the next gateway" for r in gw.log_records())
    (folder / "go").touch()
    wait_until(lambda: (folder / "printed").exists(), 10, "the shell printing while no gateway runs")
    assert alive(before)

    second, client = attached_after_restart(gateways, gw, run_id)
    client.wait_output(run_id, "while-away-42\r\n", 20)
    assert_gapless(client.events(run_id))
    assert shell_pid(client, run_id, "after") == before
    client.close()


def test_sigterm_ends_every_session(gateways):
    gw, ws, run_id, pid = running_session(gateways, "term")
    workers = workers_of_home(gw.home)
    assert len(workers) == 1, workers
    gw.proc.send_signal(signal.SIGTERM)
    assert gw.proc.wait(15) == 0
    close_quietly(ws)
    assert not alive(pid), describe_process(pid)
    assert not [w for w in workers if alive(w)], [describe_process(w) for w in workers]
    assert not list((gw.home / "run" / "workers").iterdir()), "identity files left after a full stop"

    second = gateways.start(home=gw.home, key=gw.key)
    assert descriptor(second, run_id)["status"] == "stopped"


def test_an_orphaned_worker_ends_its_program_after_the_orphan_timeout(gateways):
    # A viewer with flow control that never acknowledges: the worker's window fills and it stops reading.
    gw, ws, run_id, pid = running_session(gateways, "orphan", flow=True, extra_env={"DISPATCH_ORPHAN_TIMEOUT": "2"})
    typed(ws, run_id, "seq 1 100000000\r")
    ws.drain(1.0, 15)
    workers = workers_of_home(gw.home)
    assert len(workers) == 1, workers
    kill_gateway(gw, ws)
    # Alone, the worker keeps its program for the orphan timeout, then ends it and exits.
    assert alive(workers[0]) and alive(pid)
    wait_until(lambda: not alive(workers[0]) and not alive(pid), 20, "the worker and its shell to end")
    assert "no gateway came back within the orphan timeout" in gw.log_text()


def hello_frame(session: str, secret: bytes, pid: int, last_seq: int = 0) -> bytes:
    """A hello as the wire codec encodes it (see Tests/DispatchGatewayTests/Fixtures/rogue-worker)."""
    body = struct.pack(">IH", 0x44535057, 1) + struct.pack(">I", len(session)) + session.encode() \
        + struct.pack(">I", len(secret)) + secret + struct.pack(">iQ", pid, last_seq)
    return struct.pack(">IB", len(body) + 1, 0x01) + body


def refused(socket_path: Path, frame: bytes) -> bool:
    """Connects like a worker, sends `frame`, and tells whether the gateway hung up on it."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(socket_path))
        sock.sendall(frame)
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return True
            data += chunk
            assert data[4:5] != b"\x02", f"the gateway welcomed an impostor: {data!r}"


def test_impostors_are_refused_and_an_absent_worker_is_replaced_after_the_adoption_timeout(gateways):
    gw, ws, run_id, pid = running_session(gateways, "impostor")
    [worker] = workers_of_home(gw.home)
    kill_gateway(gw, ws)
    # The worker cannot come back in time: it is stopped.
    os.kill(worker, signal.SIGSTOP)
    identity = json.loads((gw.home / "run" / "workers" / f"{run_id}.json").read_text())
    assert identity["pid"] == worker and identity["session"] == run_id
    assert oct((gw.home / "run" / "workers" / f"{run_id}.json").stat().st_mode & 0o777) == "0o600"

    second = gateways.start(home=gw.home, key=gw.key)
    assert descriptor(second, run_id)["status"] == "starting"
    socket_path = second.home / "run" / "workers.sock"
    secret = bytes.fromhex(identity["secret"])
    # No secret, a wrong secret, and the right secret from the wrong process: all refused and logged.
    assert refused(socket_path, hello_frame(run_id, b"", os.getpid()))
    assert refused(socket_path, hello_frame(run_id, bytes(32), os.getpid()))
    assert refused(socket_path, hello_frame(run_id, secret, os.getpid()))
    assert refused(socket_path, b"\x00\x00\x00\x05\xeegarbage")
    refusals = [r for r in second.log_records() if r["msg"] == "refused a worker connection"]
    assert len(refusals) >= 3, refusals
    assert second.proc.poll() is None

    # Past the adoption timeout (10 s) the stopped worker counts as dead: a new one starts in the same folder.
    client = second.ws(cookie=second.login())
    client.ok("run:attach", runId=run_id, afterSeq=0)
    client.wait_event(run_id, lambda e: e["channel"] == "system:status" and e["payload"]["status"] == "restarted", 30,
                      "the restart")
    wait_until(lambda: not alive(worker), 10, "the stopped worker to be killed")
    changes = [c["status"] for c in statuses(client.events(run_id))]
    assert changes == ["started", "crashed", "restarted"], changes
    assert_gapless(client.events(run_id))
    new_pid = shell_pid(client, run_id, "replaced")
    assert new_pid != pid
    wait_until(lambda: not alive(pid), 10, "the old shell to end with its worker")
    client.close()


def test_a_session_whose_worker_died_meanwhile_is_restarted(gateways):
    gw, ws, run_id, _ = running_session(gateways, "died")
    [worker] = workers_of_home(gw.home)
    kill_gateway(gw, ws)
    os.kill(worker, signal.SIGKILL)
    wait_until(lambda: not alive(worker), 10, "the worker to die")

    second, client = attached_after_restart(gateways, gw, run_id)
    client.wait_event(run_id, lambda e: e["channel"] == "system:status" and e["payload"]["status"] == "restarted", 20,
                      "the restart")
    changes = statuses(client.events(run_id))
    assert [c["status"] for c in changes] == ["started", "crashed", "restarted"], changes
    assert changes[1]["detail"] == "the worker did not outlive the gateway"
    assert_gapless(client.events(run_id))
    shell_pid(client, run_id, "second")
    assert descriptor(second, run_id)["status"] == "running"
    client.close()
