"""Deployment, part 1: start-up configuration (bad values fail fast with one line naming the variable),
--help/--version/--health-check, and the systemd unit as `systemd-analyze verify` reads it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from support.gateway import GATEWAY_BIN, REPO, GatewayProcess, finish_gateway, free_port

WORKER_BIN = GATEWAY_BIN.parent / "dispatch-worker"
UNIT = REPO / "systemd" / "dispatch.service"


def run_gateway(env: dict, *args: str, timeout: float = 20, prefix: list[str] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, str(GATEWAY_BIN), *args], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


def base_env(tmp_path) -> dict:
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DISPATCH_HOME": str(tmp_path / "home"),
            "PORT": str(free_port()), "TERMINAL_KEY": "k" * 24}


def single_error(result: subprocess.CompletedProcess) -> str:
    """The one log line a refused start prints, as its message."""
    assert result.returncode == 2, f"exit status {result.returncode} (2 for a bad setting): {result.stderr[-2000:]}"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got {lines!r}"
    record = json.loads(lines[0])
    assert record["level"] == "error"
    return record["msg"]


@pytest.mark.parametrize("name,value,says", [
    ("PORT", "abc", "expected a whole number from 0 to 65535"),
    ("PORT", "65536", "expected a whole number from 0 to 65535"),
    ("MAX_SESSIONS", "-3", "expected a whole number"),
    ("LOG_LEVEL", "chatty", "expected debug, info, warn or error"),
    ("LOG_FORMAT", "pretty", "expected json or text"),
    ("ENABLE_TUNNEL", "maybe", "expected true or false"),
    ("LT_SUBDOMAIN", "Not_Valid", "lower-case letters"),
    ("HOST", "", "an address"),
    ("DISPATCH_HOME", "relative/home", "expected an absolute path"),
    ("WORKSPACES_ROOT", "/nonexistent-dispatch-parent/ws", "its parent /nonexistent-dispatch-parent does not exist"),
    ("DATABASE_PATH", "/nonexistent-dispatch-parent/x.db", "its folder /nonexistent-dispatch-parent does not exist"),
])
def test_a_bad_value_stops_the_start_with_one_line_naming_it(tmp_path, name, value, says):
    env = base_env(tmp_path) | {name: value}
    message = single_error(run_gateway(env))
    assert f"{name}={json.dumps(value)} is invalid" in message, message
    assert says in message, message
    assert env["TERMINAL_KEY"] not in message


def test_a_workspace_root_on_a_read_only_parent_is_refused_by_name(tmp_path):
    """The parent exists but cannot be written (a read-only mount: root ignores file modes)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare for a mount namespace")
    locked = tmp_path / "locked"
    locked.mkdir()
    env = base_env(tmp_path) | {"WORKSPACES_ROOT": str(locked / "ws")}
    script = 'mount --make-rprivate / && mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    message = single_error(run_gateway(env, prefix=["unshare", "-m", "sh", "-c", script, "sh", str(locked)]))
    assert message.endswith(f'WORKSPACES_ROOT="{locked}/ws" is invalid: cannot create the folder: {locked} is on a read-only file system'), message


def test_an_unknown_argument_is_refused(tmp_path):
    result = run_gateway(base_env(tmp_path), "--frobnicate")
    assert result.returncode == 2
    assert "--frobnicate" in result.stderr


def test_help_lists_every_variable_with_its_default(tmp_path):
    result = run_gateway(base_env(tmp_path), "--help")
    assert result.returncode == 0
    for name, default in [("PORT", "3030"), ("HOST", "127.0.0.1"), ("TERMINAL_KEY", "unset"), ("TERMINAL_KEY_FILE", "unset"),
                          ("DISPATCH_HOME", "~/.dispatch"), ("WORKSPACES_ROOT", "$DISPATCH_HOME/workspaces"),
                          ("DATABASE_PATH", "$DISPATCH_HOME/dispatch.db"), ("MAX_SESSIONS", "200"), ("RETENTION_DAYS", "30"),
                          ("RETENTION_MB_PER_SESSION", "64"), ("RETENTION_PRUNE_SECONDS", "600"), ("ALLOWED_ORIGINS", "derived"),
                          ("ALLOWED_HOSTS", "loopback"), ("COOKIE_SECURE", "false"), ("LOG_LEVEL", "info"), ("LOG_FORMAT", "json"),
                          ("ENABLE_TUNNEL", "false"), ("LT_SUBDOMAIN", "unset"), ("TUNNEL_COMMAND", "unset"),
                          ("TUNNEL_URL_MATCH", "unset"), ("DISPATCH_WORKER_BIN", "dispatch-worker"), ("DISPATCH_STATIC_DIR", "static")]:
        assert re.search(rf"^\s+{name}\s+\S*{re.escape(default)}", result.stdout, re.M), f"{name} ({default}) not in --help"


def test_both_executables_say_their_version():
    for binary, name in [(GATEWAY_BIN, "dispatch-gateway"), (WORKER_BIN, "dispatch-worker")]:
        result = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=10)
        assert result.returncode == 0 and re.fullmatch(rf"{name} \d+\.\d+\.\d+\n", result.stdout), result


def test_health_check_probe(tmp_path):
    """`--health-check` is Docker's HEALTHCHECK: 0 against a healthy gateway, also one bound to every
    address (it then needs a name from ALLOWED_HOSTS), 1 when nothing listens."""
    gw = GatewayProcess(tmp_path, extra_env={"HOST": "0.0.0.0", "ALLOWED_HOSTS": "localhost,127.0.0.1"})
    try:
        env = base_env(tmp_path) | {"PORT": str(gw.port), "HOST": "0.0.0.0", "ALLOWED_HOSTS": "localhost,127.0.0.1"}
        result = run_gateway(env, "--health-check")
        assert (result.returncode, result.stdout) == (0, "healthy\n"), result
        refused = run_gateway(env | {"ALLOWED_HOSTS": "dispatch.example.test"}, "--health-check")
        assert refused.returncode == 1 and "403" in refused.stdout, refused
    finally:
        finish_gateway(gw)
    down = run_gateway(base_env(tmp_path), "--health-check")
    assert down.returncode == 1 and down.stdout.startswith("unhealthy: cannot connect"), down


def unit_directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def verify(unit_text: str, tmp_path) -> subprocess.CompletedProcess:
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is missing: install Debian's `systemd` package (.ci/run should)")
    unit = tmp_path / "dispatch.service"
    unit.write_text(unit_text)
    return subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=120)


def test_the_unit_file_passes_systemd_analyze_verify(tmp_path):
    text = UNIT.read_text()
    assert "ExecStart=/usr/local/bin/dispatch-gateway\n" in text
    # verify checks that ExecStart exists: point it at the binary this checkout built.
    result = verify(text.replace("/usr/local/bin/dispatch-gateway", str(GATEWAY_BIN)), tmp_path)
    # An unknown or misspelt key only warns (exit 0), so any output fails too.
    assert result.returncode == 0 and result.stderr.strip() == "" and result.stdout.strip() == "", result
    directives = unit_directives(text)
    for key, value in [("Type", "notify"), ("KillMode", "process"), ("FileDescriptorStoreMax", "4"), ("Restart", "on-failure"),
                       ("EnvironmentFile", "/etc/dispatch/dispatch.env"), ("User", "dispatch"), ("StateDirectory", "dispatch"),
                       ("RuntimeDirectory", "dispatch"), ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("PrivateTmp", "yes"),
                       ("ProtectKernelTunables", "yes"), ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6")]:
        assert directives.get(key) == [value], f"{key}: {directives.get(key)}"
    assert "WatchdogSec" in directives and "LimitNOFILE" in directives and "ReadWritePaths" in directives


def test_the_verify_check_catches_a_misspelt_key(tmp_path):
    text = UNIT.read_text().replace("/usr/local/bin/dispatch-gateway", str(GATEWAY_BIN)).replace("KillMode=", "KilMode=")
    result = verify(text, tmp_path)
    assert "KilMode" in result.stderr, result


def test_the_example_env_file_names_only_known_variables(tmp_path):
    help_text = run_gateway(base_env(tmp_path), "--help").stdout
    names = re.findall(r"^#?([A-Z][A-Z_]+)=", (REPO / "etc" / "dispatch.env").read_text(), re.M)
    assert "PORT" in names and "ENABLE_TUNNEL" in names
    for name in names:
        assert re.search(rf"^\s+{name}\s", help_text, re.M), f"etc/dispatch.env sets {name}, which --help does not know"
