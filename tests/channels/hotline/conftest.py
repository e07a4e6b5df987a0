"""One real gateway (uvicorn, RQ worker, sweeper, Redis, SQLite) for the hotline tests, with the real
`twilio` client pointed at a local stand-in of Twilio's REST API, and requests signed by the real
RequestValidator."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import REPO, SYSTEM_REDIS, Gateway, free_port, gateway_env
from tests.standins.twilio_api import TwilioApiStandIn

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "hotline-test-auth-token-1234567"
FROM_NUMBER = "+842583822222"
FIXTURES = REPO / "tests" / "fixtures" / "hotline"
ARTIFACTS = REPO / "artifacts"


def fixture_body(name: str, **changes: str) -> bytes:
    """A webhook body as Twilio sent it (fixtures/hotline/NAME.form), with some parameters changed."""
    text = (FIXTURES / f"{name}.form").read_text()
    if not changes:
        return text.encode()
    from urllib.parse import urlencode

    pairs = [(k, changes.pop(k) if k in changes else v) for k, v in parse_qsl(text, keep_blank_values=True)]
    return urlencode(pairs + list(changes.items())).encode()


def sign(url: str, body: bytes, token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature as Twilio computes it (the twilio library's own algorithm)."""
    return RequestValidator(token).compute_signature(url, dict(parse_qsl(body.decode(), keep_blank_values=True)))


def post_signed(
    gateway: Gateway, path: str, body: bytes, *, signed_url: str | None = None, token: str = AUTH_TOKEN
) -> httpx.Response:
    url = f"{gateway.url}{path}"
    return httpx.post(
        url,
        content=body,
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": sign(signed_url or url, body, token),
        },
        timeout=10,
    )


def journal_rows(gateway: Gateway, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(gateway.data_dir / "journal.db") as conn:
        return conn.execute(query, args).fetchall()


@pytest.fixture(scope="session")
def twilio_api() -> Iterator[TwilioApiStandIn]:
    stand_in = TwilioApiStandIn(ACCOUNT_SID, AUTH_TOKEN, fail_first=1).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="session")
def hotline(tmp_path_factory: pytest.TempPathFactory, twilio_api: TwilioApiStandIn) -> Iterator[Gateway]:
    """The gateway with the hotline configured; shared by the hotline tests (each uses its own numbers)."""
    data_dir: Path = tmp_path_factory.mktemp("hotline")
    port = free_port()
    env = gateway_env(
        data_dir,
        PORT=str(port),
        REDIS_URL=SYSTEM_REDIS,
        HOTLINE_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        HOTLINE_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        HOTLINE_TWILIO_FROM_NUMBER=FROM_NUMBER,
        HOTLINE_TWILIO_API_BASE_URL=twilio_api.url,
    )
    gateway = Gateway(data_dir, env, port)
    gateway.start_all()
    yield gateway
    gateway.stop()
