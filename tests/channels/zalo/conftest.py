"""The Zalo channel's servers: the OA API stand-in, and a gateway (web + worker + sweeper) pointed at
it, shared by the tests of this package (each test writes as a Zalo user of its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.channels.zalo.citizen import APP_ID, APP_SECRET_KEY, OA_SECRET_KEY, REFRESH_TOKEN, ZaloCitizen
from tests.conftest import SYSTEM_REDIS, Gateway, free_port, gateway_env
from tests.standins.zalo_api import ZaloApiStandIn


def zalo_env(api: ZaloApiStandIn, **overrides: str) -> dict[str, str]:
    return {
        "ZALO_APP_ID": APP_ID,
        "ZALO_OA_SECRET_KEY": OA_SECRET_KEY,
        "ZALO_APP_SECRET_KEY": APP_SECRET_KEY,
        "ZALO_REFRESH_TOKEN": REFRESH_TOKEN,
        "ZALO_API_BASE_URL": api.base_url,
        "ZALO_OAUTH_BASE_URL": api.base_url,
        "CHATBOT_SWEEP_INTERVAL_SECONDS": "0.3",
        **overrides,
    }


def zalo_gateway(data_dir: Path, api: ZaloApiStandIn, **overrides: str) -> Gateway:
    port = free_port()
    env = gateway_env(data_dir, PORT=str(port), REDIS_URL=SYSTEM_REDIS, **zalo_env(api, **overrides))
    return Gateway(data_dir, env, port)


@pytest.fixture(scope="package")
def zalo_api() -> Iterator[ZaloApiStandIn]:
    api = ZaloApiStandIn(APP_ID, APP_SECRET_KEY, REFRESH_TOKEN).start()
    yield api
    api.stop()


@pytest.fixture
def own_api() -> Iterator[ZaloApiStandIn]:
    """A stand-in of a test's own, for a gateway of its own: a new journal spends the initial refresh token."""
    api = ZaloApiStandIn(APP_ID, APP_SECRET_KEY, REFRESH_TOKEN).start()
    yield api
    api.stop()


@pytest.fixture(scope="package")
def gateway(tmp_path_factory: pytest.TempPathFactory, zalo_api: ZaloApiStandIn) -> Iterator[Gateway]:
    running = zalo_gateway(tmp_path_factory.mktemp("zalo-gw"), zalo_api)
    running.start_all()
    yield running
    running.stop()


@pytest.fixture
def citizen(zalo_api: ZaloApiStandIn, gateway: Gateway) -> ZaloCitizen:
    return ZaloCitizen(zalo_api, gateway)
