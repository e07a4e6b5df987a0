"""Request bodies are bounded while they stream in, on every endpoint, before any signature check.

A real uvicorn; a client streams a chunked 1 GB body (a generator: nothing is held in the test either)
and gets 413 in the endpoint's own error shape, while the web process's resident memory hardly moves.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from channels.chat import sign as chat_sign
from config.settings import Settings, WebSettings
from dispatcher.sinks import sign as store_sign
from pakn.bodylimit import limits_of
from tests.conftest import SYSTEM_REDIS, Gateway, free_port, gateway_env

CHUNK = b"x" * 65_536
GIGABYTE = 1 << 30
OPEN311_KEY = "body-limit-open311-key"


def gigabyte() -> Iterator[bytes]:
    for _ in range(GIGABYTE // len(CHUNK)):
        yield CHUNK


def rss_bytes(pid: int) -> int:
    for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data_dir = tmp_path_factory.mktemp("bodylimit")
    port = free_port()
    env = gateway_env(
        data_dir,
        PORT=str(port),
        REDIS_URL=SYSTEM_REDIS,
        WEB_REQUEST_MAX_BYTES="2000000",
        CHAT_WEBHOOK_SECRETS=json.dumps({"zalo": "chat-secret-for-tests"}),
        CASE_STORE_SECRET="case-store-secret-for-tests",
        HOTLINE_TWILIO_AUTH_TOKEN="twilio-token",
        OPEN311_API_KEYS=json.dumps({"app": OPEN311_KEY}),
    )
    gw = Gateway(data_dir, env, port)
    gw.start_all(workers=0)
    yield gw
    gw.stop()


def csrf(client: httpx.Client) -> str:
    assert client.get("/").status_code == 200
    return client.cookies["pakn_web_csrf"]


# path, content type, the shape of the 413 body
ENDPOINTS = [
    ("/api/v1/submissions", "application/json", "api"),
    ("/api/v1/case-store/updates", "application/json", "api"),
    ("/api/v1/chat/zalo", "application/json", "api"),
    ("/hotline/twilio/sms", "application/x-www-form-urlencoded", "text"),
    ("/hotline/twilio/voice", "application/x-www-form-urlencoded", "text"),
    ("/hints", "application/json", "api"),
    ("/open311/v2/requests.json", "application/x-www-form-urlencoded", "open311"),
    ("/submit", "multipart/form-data; boundary=xyz", "page"),
]


def assert_shape(response: httpx.Response, shape: str) -> None:
    assert response.status_code == 413, (response.status_code, response.text[:300])
    if shape == "api":
        body = response.json()
        assert body["error"] == "too-large" and "quá lớn" in body["message"]
    elif shape == "open311":
        body = response.json()
        assert body[0]["code"] == 413 and "quá lớn" in body[0]["description"]
    elif shape == "page":
        assert "text/html" in response.headers["content-type"] and "quá lớn" in response.text


def test_a_chunked_gigabyte_is_refused_early_on_every_endpoint(gateway: Gateway) -> None:
    pid = gateway.processes["web"].pid
    with httpx.Client(base_url=gateway.url, timeout=60) as client:
        token = csrf(client)
        for path, content_type, _ in ENDPOINTS:  # warm every route up before the baseline
            client.post(path, content=b"{}", headers={"content-type": content_type, "x-csrf-token": token})
        before = rss_bytes(pid)
        for path, content_type, shape in ENDPOINTS:
            response = client.post(
                path, content=gigabyte(), headers={"content-type": content_type, "x-csrf-token": token}
            )
            assert_shape(response, shape)
            grown = rss_bytes(pid) - before
            assert grown < 50_000_000, f"{path}: the web process grew by {grown} bytes"


def test_a_declared_length_over_the_limit_is_refused_before_the_body(gateway: Gateway) -> None:
    for path, content_type, shape in ENDPOINTS:
        with httpx.Client(base_url=gateway.url, timeout=60) as client:
            response = client.post(
                path,
                content=gigabyte(),
                headers={"content-type": content_type, "content-length": str(GIGABYTE), "x-csrf-token": "x"},
            )
        assert_shape(response, shape)
        assert response.headers["connection"] == "close"


def test_a_body_a_few_times_over_the_limit_gets_its_413_not_a_reset_connection(gateway: Gateway) -> None:
    """An async client sends the whole body before it reads: closing on its unread bytes reset the
    connection and lost the 413 (ReadError in the fault run's poison mix); the rest is read first."""
    body = json.dumps({"content": "Đèn đường hỏng", "padding": "x" * 5_000_000}).encode()

    async def post_twice() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=gateway.url, timeout=60) as client:
            headers = {"content-type": "application/json"}
            declared = await client.post("/api/v1/submissions", content=body, headers=headers)

            async def chunks() -> AsyncIterator[bytes]:
                for i in range(0, len(body), 65_536):
                    yield body[i : i + 65_536]

            streamed = await client.post("/api/v1/submissions", content=chunks(), headers=headers)
            return [declared, streamed]

    for response in asyncio.run(post_twice()):
        assert_shape(response, "api")


def test_bodies_within_the_limit_still_reach_the_handler(gateway: Gateway) -> None:
    stored = gateway.journal("select count(*) from submissions")[0][0]
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        body = json.dumps({"content": "Đèn đường hỏng", "padding": "x" * 900_000}).encode()
        chunks = (body[i : i + 4096] for i in range(0, len(body), 4096))
        response = client.post("/api/v1/submissions", content=chunks, headers={"content-type": "application/json"})
        assert response.status_code == 202, response.text
        over = json.dumps({"content": "Đèn đường hỏng", "padding": "x" * 1_100_000}).encode()
        response = client.post(
            "/api/v1/submissions",
            content=(over[i : i + 4096] for i in range(0, len(over), 4096)),
            headers={"content-type": "application/json"},
        )
        assert_shape(response, "api")
        assert gateway.journal("select count(*) from submissions")[0][0] == stored + 1


def test_the_openapi_schema_lists_the_status_codes_each_endpoint_answers(gateway: Gateway) -> None:
    paths = httpx.get(f"{gateway.url}/openapi.json", timeout=10).json()["paths"]
    expected = {
        ("/api/v1/submissions", "post"): {"202", "400", "413", "415", "422", "503"},
        ("/api/v1/submissions/{tracking_code}", "get"): {"404"},
        ("/api/v1/submissions/{tracking_code}/completion", "post"): {"400", "404", "409", "413", "415", "422"},
        ("/api/v1/case-store/updates", "post"): {"403", "404", "413", "422"},
        ("/api/v1/chat/{platform}", "post"): {"401", "404", "413", "422"},
        ("/open311/v2/requests.json", "post"): {"400", "403", "404", "413", "415"},
        ("/hotline/api/v1/calls", "post"): {"401", "413", "422"},
    }
    for (path, method), codes in expected.items():
        documented = set(paths[path][method]["responses"])
        assert codes <= documented, (path, method, codes - documented)
    error = paths["/api/v1/submissions"]["post"]["responses"]["413"]["content"]["application/json"]["schema"]
    assert error["$ref"].endswith("/ApiError")


def test_limits_are_per_path_prefix_longest_first() -> None:
    settings = Settings(
        max_body_bytes=100,
        web=WebSettings(request_max_bytes=1000),
        body_max_bytes_by_path={"/hints": 10, "/api/v1/chat/": 5},
    )
    limit = limits_of(settings)
    assert limit("/hints") == 10 and limit("/hintsx") == 100
    assert limit("/submit") == 1000 and limit("/submit/x") == 1000
    assert limit("/api/v1/chat/zalo") == 5 and limit("/api/v1/submissions") == 100


def test_json_webhooks_take_json_only(gateway: Gateway) -> None:
    """Once the signature checks out, a body that is not declared JSON is refused with 415."""
    body = b'{"message_id": "m-415", "sender_id": "u", "text": "R\xc3\xa1c th\xe1\xba\xa3i"}'
    chat_headers = {"X-PAKN-Signature": chat_sign(b"chat-secret-for-tests", body)}
    update = b'{"tracking_code": "PAKN-0000-0000", "status": "received", "update_id": "u-415"}'
    store_headers = {"X-PAKN-Signature": store_sign(b"case-store-secret-for-tests", int(time.time()), update)}
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        for content_type in ("text/plain", None):
            extra = {"content-type": content_type} if content_type else {}
            chat = client.post("/api/v1/chat/zalo", content=body, headers={**chat_headers, **extra})
            assert chat.status_code == 415 and chat.json()["error"] == "unsupported-media-type", chat.text
            store = client.post("/api/v1/case-store/updates", content=update, headers={**store_headers, **extra})
            assert store.status_code == 415 and store.json()["error"] == "unsupported-media-type", store.text
        json_type = {"content-type": "application/json"}
        assert client.post("/api/v1/chat/zalo", content=body, headers={**chat_headers, **json_type}).status_code == 202
        found = client.post("/api/v1/case-store/updates", content=update, headers={**store_headers, **json_type})
        assert found.status_code == 404  # past the checks: no such submission
        token = csrf(client)
        hints = client.post("/hints", content=b'{"content": "x"}', headers={"x-csrf-token": token})
        assert hints.status_code == 415
