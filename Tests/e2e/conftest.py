"""End-to-end fixtures: a real dispatch-gateway shared by the session, gateways of a test's own, and
logged-in clients. The helpers behind them are in `support/`.
"""

from __future__ import annotations

import pytest

from support.gateway import GatewayProcess, finish_gateway, make_gateway
from support.gateway_pool import Gateways
from support.sessions import attach_running, create_session


@pytest.fixture(scope="session")
def gateway(tmp_path_factory):
    gw = make_gateway(tmp_path_factory, "gateway")
    yield gw
    finish_gateway(gw)


@pytest.fixture
def own_gateway(tmp_path_factory):
    """A gateway of the test's own (for tests that exhaust the login limiter or flood it)."""
    started = []

    def start(**kwargs) -> GatewayProcess:
        gw = make_gateway(tmp_path_factory, "own-gateway", **kwargs)
        started.append(gw)
        return gw

    yield start
    for gw in started:
        finish_gateway(gw)


@pytest.fixture(scope="session")
def cookie(gateway) -> str:
    return gateway.login()


@pytest.fixture
def client(gateway, cookie):
    ws = gateway.ws(cookie=cookie)
    yield ws
    ws.close()


@pytest.fixture
def gateways(tmp_path_factory):
    """Gateways that may be killed, restarted on the same home (by passing it in), or started unwell."""
    started = Gateways(tmp_path_factory)
    yield started
    started.cleanup()


@pytest.fixture
def session(gateway, client):
    """A fresh session attached on `client`; closed afterwards."""
    run_id = create_session(client, "sessions")
    attach_running(client, run_id)
    yield run_id
    client.request("run:close", runId=run_id)
