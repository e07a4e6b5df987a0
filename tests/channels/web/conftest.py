"""One real gateway (uvicorn, RQ worker, sweeper, Redis, SQLite) for the web, Open311 and report tests.

Rate limits are low (3 posts per client) and 127.0.0.1 is a trusted proxy, so each test names its own
client with X-Forwarded-For and never eats another test's allowance.
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import REPO, SYSTEM_REDIS, Gateway, free_port, gateway_env

FIXTURES = REPO / "tests" / "fixtures" / "web"
ARTIFACTS = REPO / "artifacts"
OPEN311_KEY = "open311-test-key-0123456789"
CASE_STORE_SECRET = "web-tests-case-store-secret"
POSTS_PER_CLIENT = 3
_clients = itertools.count(10)


def new_ip() -> str:
    """A client address of its own (TEST-NET-3), for X-Forwarded-For."""
    n = next(_clients)
    return f"203.0.113.{n}" if n < 250 else f"198.51.100.{n - 240}"


def form_values(name: str) -> dict[str, str]:
    return dict(json.loads((FIXTURES / f"{name}.json").read_text()))


def journal_rows(gateway: Gateway, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(gateway.data_dir / "journal.db") as conn:
        return conn.execute(query, args).fetchall()


def client_for(gateway: Gateway, ip: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, headers={"X-Forwarded-For": ip or new_ip()}, timeout=20)


def receipt_code(response: httpx.Response) -> str:
    """The tracking code of the receipt a post was sent on to (its completion token is in the query)."""
    return urlsplit(response.headers["location"]).path.rsplit("/", 1)[-1]


def open_form(client: httpx.Client) -> tuple[str, str]:
    """GET the form as a browser would: (csrf token, form key); the CSRF cookie stays in the client."""
    page = client.get("/")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    key = re.search(r'name="form_key" value="([^"]+)"', page.text)
    assert csrf and key
    return csrf.group(1), key.group(1)


@pytest.fixture(scope="session")
def web_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data_dir: Path = tmp_path_factory.mktemp("web")
    port = free_port()
    env = gateway_env(
        data_dir,
        PORT=str(port),
        REDIS_URL=SYSTEM_REDIS,
        WEB_RATE_LIMIT_POSTS=str(POSTS_PER_CLIENT),
        WEB_TRUSTED_PROXIES="127.0.0.1",
        WEB_UPLOAD_MAX_BYTES="200000",
        WEB_REQUEST_MAX_BYTES="1000000",
        OPEN311_API_KEYS=json.dumps({"mobile-app": OPEN311_KEY}),
        CASE_STORE_SECRET=CASE_STORE_SECRET,
    )
    gateway = Gateway(data_dir, env, port)
    gateway.start_all()
    yield gateway
    gateway.stop()
