"""Gateways of the tests' own, which may be killed, restarted on the same home, or started unwell;
whatever of their homes still runs is killed at the end."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from support.gateway import GatewayProcess, finish_gateway
from support.processes import kill_processes_of_home
from support.ws_client import WSClient


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

    def start_with_client(self, **kwargs) -> tuple[StoreGateway, str, WSClient]:
        """A gateway as `start` makes it, logged in: (gateway, cookie, a client authenticated with it)."""
        gw = self.start(**kwargs)
        cookie = gw.login()
        return gw, cookie, gw.ws(cookie=cookie)

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
