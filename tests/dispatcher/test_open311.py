"""Cases into an Open311 GeoReport v2 system, through a running gateway."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.conftest import SYSTEM_REDIS, Gateway, wait_until
from tests.samples import submission
from tests.standins.open311 import Open311StandIn


def test_cases_flow_into_open311_with_the_mapped_service_code(make_gateway: Callable[..., Gateway]) -> None:
    server = Open311StandIn(api_key="k-123").start()
    try:
        gateway = make_gateway(
            REDIS_URL=SYSTEM_REDIS,
            CASE_STORE_SINK="open311",
            CASE_STORE_URL=server.endpoint,
            OPEN311_API_KEY="k-123",
            CASE_STORE_SECRET="open311-sink-case-store-secret",
        )
        gateway.start_all()
        public, confidential = submission(1), submission(10)  # every tenth sample is confidential
        codes = [
            httpx.post(f"{gateway.url}/api/v1/submissions", json=body, timeout=10).json()["tracking_code"]
            for body in (public, confidential)
        ]
        wait_until(lambda: len(server.requests) == 2, 30, "two Open311 requests")
        by_code = {form["description"][1:15]: form for form in server.requests}
        sent = by_code[codes[0]]
        assert sent["service_code"] == "moi-truong-do-thi"
        assert sent["description"] == f"[{codes[0]}] {public['content']}"
        assert sent["address_string"] == public["location"]
        assert sent["phone"] == "+84905000001" and sent["email"] == public["email"]
        assert sent["first_name"] == "An" and sent["last_name"] == "Trần Văn"
        hidden = by_code[codes[1]]
        assert not {"phone", "email", "first_name", "last_name"} & set(hidden), "confidential: no identity"
        for code in codes:
            wait_until(
                lambda c=code: (
                    httpx.get(f"{gateway.url}/api/v1/submissions/{c}", timeout=5).json()["status"] == "forwarded"
                ),
                10,
                "forwarded",
            )
    finally:
        server.stop()
