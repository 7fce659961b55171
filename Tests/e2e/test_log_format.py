"""LOG_FORMAT: JSON lines by default (every other test's finish_gateway checks that), human-readable text
lines on request, from the gateway and from the workers it starts alike; a bad value stops the start."""

from __future__ import annotations

import subprocess

from support.gateway import GATEWAY_BIN, TEXT_LOG_LINE, free_port
from support.polling import wait_until


def start_and_end_a_session(gw, workspace: str) -> str:
    """A shell session that starts, prints its prompt and is closed: what its worker logs along the way."""
    ws = gw.ws(cookie=gw.login())
    run_id = ws.ok("create", kind="pty", workspace=workspace, cols=80, rows=24)["runId"]
    ws.ok("run:attach", runId=run_id, afterSeq=0)
    ws.wait_event(run_id, lambda e: e["channel"] == "pty:stdout", what="the shell's prompt")
    ws.ok("run:close", runId=run_id)
    ws.wait_event(run_id, lambda e: e["channel"] == "system:status" and e["payload"]["status"] == "stopped",
                  what="the session's end")
    ws.close()
    return run_id


def test_text_lines_come_from_the_gateway_and_its_workers(own_gateway):
    gw = own_gateway(extra_env={"LOG_FORMAT": "text"})
    run_id = start_and_end_a_session(gw, "logs")
    # "gateway closed the session" is only ever written by the worker.
    worker_line = wait_until(lambda: next((line for line in gw.log_text().splitlines()
                                           if "gateway closed the session" in line), None), 10, "the worker's log line")
    assert TEXT_LOG_LINE.match(worker_line), worker_line
    assert f" INFO  gateway closed the session session={run_id} reason=\"closed by user\"" in worker_line, worker_line
    lines = gw.log_text().splitlines()
    assert any(f" INFO  worker started session={run_id} pid=" in line for line in lines), lines
    assert any(" INFO  dispatch-gateway listening url=http://127.0.0.1:" in line for line in lines), lines
    assert all(TEXT_LOG_LINE.match(line) for line in lines if line.strip()), lines
    assert gw.key not in gw.log_text()
    gw.assert_serving()
    # finish_gateway (the fixture's teardown) checks every line again, the shutdown's included.


def test_workers_keep_to_the_gateways_log_level(own_gateway):
    """LOG_LEVEL=warn: the info lines a session's worker writes (its start, its end) are left out too."""
    gw = own_gateway(extra_env={"LOG_LEVEL": "warn"})
    start_and_end_a_session(gw, "quiet")
    assert "gateway closed the session" not in gw.log_text(), "an info line of the worker"
    assert '"level":"info"' not in gw.log_text()


def run_gateway(tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DISPATCH_HOME": str(tmp_path / "home"),
            "PORT": str(free_port()), "TERMINAL_KEY": "k" * 24}
    return subprocess.run([str(GATEWAY_BIN)], env=base | env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)


def test_a_bad_log_format_stops_the_start_with_one_line_naming_it(tmp_path):
    result = run_gateway(tmp_path, LOG_FORMAT="pretty")
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and 'LOG_FORMAT=\\"pretty\\" is invalid: expected json or text' in lines[0], lines


def test_another_bad_setting_is_told_in_the_chosen_format(tmp_path):
    result = run_gateway(tmp_path, LOG_FORMAT="text", PORT="abc")
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and TEXT_LOG_LINE.match(lines[0]), lines
    assert ' ERROR "dispatch-gateway cannot start: PORT=\\"abc\\" is invalid: expected a whole number' in lines[0], lines
    assert "k" * 24 not in result.stderr
