"""One real gateway for the Open311 tests: two apps with keys of their own, and a jurisdiction_id of its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.channels.web.conftest import client_for
from tests.conftest import REPO, SYSTEM_REDIS, Gateway, free_port, gateway_env

FIXTURES = REPO / "tests" / "fixtures" / "open311"
BASE = "/open311/v2"
APP_KEY = "open311-test-key-0123456789"
OTHER_APP_KEY = "open311-other-app-key-987654"
JURISDICTION = "khanhhoa.gov.vn"


@pytest.fixture(scope="session")
def open311_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data_dir: Path = tmp_path_factory.mktemp("open311")
    port = free_port()
    env = gateway_env(
        data_dir,
        PORT=str(port),
        REDIS_URL=SYSTEM_REDIS,
        WEB_TRUSTED_PROXIES="127.0.0.1",
        OPEN311_API_KEYS=json.dumps({"mobile-app": APP_KEY, "other-app": OTHER_APP_KEY}),
        OPEN311_SERVER_JURISDICTION_ID=JURISDICTION,
        WEB_RATE_LIMIT_LOOKUPS="100000",  # the tests poll for verdicts; the limit itself is tested with the web form
    )
    gateway = Gateway(data_dir, env, port)
    gateway.start_all()
    yield gateway
    gateway.stop()


def client(gateway: Gateway) -> httpx.Client:
    """A client of its own address: each test keeps its own rate-limit allowance."""
    return client_for(gateway)


def report(**changes: str) -> dict[str, str]:
    """A complete GeoReport v2 POST form (Vietnamese, as the app sends it); an empty value drops the field."""
    form = {
        "api_key": APP_KEY,
        "service_code": "moi-truong-do-thi",
        "description": "Cây xanh trước số 20 đường Trần Phú bị gãy cành, đè lên vỉa hè, người đi bộ phải xuống đường.",
        "address_string": "số 20 đường Trần Phú, phường Nha Trang, tỉnh Khánh Hòa",
        "lat": "12.2388",
        "long": "109.1967",
        "first_name": "Văn Bình",
        "last_name": "Lê",
        "phone": "0905777888",
        "attribute[incident_time]": "7h sáng ngày 10/9/2024",
        "attribute[confidential]": "true",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v}
