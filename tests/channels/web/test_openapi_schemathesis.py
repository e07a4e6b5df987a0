"""schemathesis (as a library) against the running gateway's /openapi.json: generated requests for every
documented operation, none may get a server error.  Examples are bounded so the run stays short."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.channels.web.conftest import web_gateway
from tests.conftest import Gateway

__all__ = ["web_gateway"]
EXAMPLES_PER_OPERATION = 25


def test_no_generated_request_gets_a_server_error(web_gateway: Gateway) -> None:
    schema = schemathesis.openapi.from_url(f"{web_gateway.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {operation.path for operation in operations}
    assert {"/api/v1/submissions", "/open311/v2/requests.json", "/open311/v2/services.json"} <= paths
    assert "/open311/v2/requests/{service_request_id}.json" in paths
    failures: list[str] = []
    seen: dict[str, set[int]] = {}
    for operation in operations:
        label = operation.label

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            response = case.call(base_url=web_gateway.url, timeout=10)
            seen.setdefault(case.operation.label, set()).add(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.operation.label}: {response.status_code} {response.text[:200]}")

        call()
        assert label in seen, f"{label} was never called"
    assert not failures, failures
