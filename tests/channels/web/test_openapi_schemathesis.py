"""schemathesis (as a library) against the running gateway's /openapi.json: generated requests for every
documented operation, none may get a server error, and every status code answered is one the schema
documents.  The operator API and Open311 are fuzzed signed in (a real operator token, the app's key), so
what lies behind the authentication is exercised too.  Examples are bounded so the run stays short."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.channels.web.conftest import OPEN311_KEY, web_gateway
from tests.conftest import Gateway

__all__ = ["web_gateway"]
EXAMPLES_PER_OPERATION = 25


def operator_token(gateway: Gateway) -> str:
    gateway.pakn(
        "operators", "add", "fuzzer", "--name", "Kiểm thử tự động", "--role", "operator", "--password-stdin",
        input=b"mat-khau-kiem-thu-dai-du\n",
    )  # fmt: skip
    return gateway.pakn("operators", "token", "fuzzer").stdout.decode().strip()


def signed_in(case: Any, token: str) -> None:
    """The credentials a real client has: the operator's bearer token, the Open311 app's key."""
    if case.operation.path.startswith("/hotline/api/"):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    if case.operation.path.startswith("/open311/") and case.operation.method.upper() == "POST":
        if isinstance(case.body, dict):
            case.body = {**case.body, "api_key": OPEN311_KEY}
        case.query = {**(case.query or {}), "api_key": OPEN311_KEY}


def test_no_generated_request_gets_a_server_error(web_gateway: Gateway) -> None:
    schema = schemathesis.openapi.from_url(f"{web_gateway.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {operation.path for operation in operations}
    assert {"/api/v1/submissions", "/open311/v2/requests.json", "/open311/v2/services.json"} <= paths
    assert "/open311/v2/requests/{service_request_id}.json" in paths
    assert "/hotline/api/v1/calls" in paths
    token = operator_token(web_gateway)
    failures: list[str] = []
    undocumented: set[str] = set()
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
            signed_in(case, token)
            response = case.call(base_url=web_gateway.url, timeout=10)
            seen.setdefault(case.operation.label, set()).add(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.operation.label}: {response.status_code} {response.text[:200]}")
            documented = {str(code) for code in case.operation.definition.raw.get("responses", {})}
            if str(response.status_code) not in documented and "default" not in documented:
                undocumented.add(f"{case.operation.label}: {response.status_code}")

        call()
        assert label in seen, f"{label} was never called"
    assert not failures, failures
    assert not undocumented, sorted(undocumented)
    hotline = {code for label, codes in seen.items() if "/hotline/api/" in label for code in codes}
    assert hotline - {401, 403}, "the operator API was reached behind its authentication"
