"""The case store's side, through a running gateway: status callbacks, attachments, metrics, dead list."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx

from dispatcher.contract import attachment_url
from dispatcher.sinks import sign
from pakn import attachments
from tests.conftest import SYSTEM_REDIS, Gateway, wait_until
from tests.samples import submission
from tests.standins.case_store import CaseStoreStandIn, FailurePlan

SECRET = "callback-secret-0123456789"


def signed_post(gateway: Gateway, body: dict[str, object], secret: str = SECRET) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"X-PAKN-Signature": sign(secret.encode(), int(time.time()), raw), "content-type": "application/json"}
    return httpx.post(f"{gateway.url}/api/v1/case-store/updates", content=raw, headers=headers, timeout=10)


def status(gateway: Gateway, code: str) -> dict[str, object]:
    return dict(httpx.get(f"{gateway.url}/api/v1/submissions/{code}", timeout=10).json())


def test_case_store_updates_move_the_case_forward_and_reach_the_citizen(
    make_gateway: Callable[..., Gateway],
) -> None:
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS, CASE_STORE_SECRET=SECRET)
    gateway.start_all()
    code = httpx.post(f"{gateway.url}/api/v1/submissions", json=submission(2), timeout=10).json()["tracking_code"]
    wait_until(lambda: status(gateway, code)["status"] == "forwarded", 30, "forwarded")

    unsigned = httpx.post(
        f"{gateway.url}/api/v1/case-store/updates",
        json={"tracking_code": code, "status": "resolved", "update_id": "x", "answer": "Giả mạo"},
        timeout=10,
    )
    assert unsigned.status_code == 403
    assert (
        signed_post(gateway, {"tracking_code": code, "status": "resolved", "update_id": "x"}, "wrong").status_code
        == 403
    )
    assert (
        signed_post(gateway, {"tracking_code": "PAKN-0000-0000", "status": "received", "update_id": "1"}).status_code
        == 404
    )

    assert signed_post(gateway, {"tracking_code": code, "status": "in_progress", "update_id": "u1"}).status_code == 202
    assert status(gateway, code)["status"] == "in_progress"
    answer = "Đã thay bóng đèn đường ngày 20/9/2024. Cảm ơn ông/bà đã phản ánh."
    resolved = {"tracking_code": code, "status": "resolved", "update_id": "u2", "answer": answer, "on_time": True}
    assert signed_post(gateway, resolved).json()["duplicate"] is False
    assert signed_post(gateway, resolved).json()["duplicate"] is True, "a resent callback is recognised"
    respelled = {**resolved, "tracking_code": code.lower().replace("-", " ")}
    assert signed_post(gateway, respelled).json()["duplicate"] is True, "however its code is spelled"
    late = {"tracking_code": code, "status": "in_progress", "update_id": "u0"}
    assert signed_post(gateway, late).status_code == 202
    view = status(gateway, code)
    assert view["status"] == "resolved", "an update arriving late never moves the case back"
    assert view["answer"]["answer"] == answer  # type: ignore[index]
    kinds = [m["kind"] for m in view["messages"]]  # type: ignore[union-attr]
    # The first `resolved` also asks the citizen, once, to rate the answer (tests/dispatcher/test_ratings.py).
    assert kinds == ["accepted", "case-in_progress", "case-resolved", "rating-request", "case-in_progress"]
    assert answer in view["messages"][2]["message"]  # type: ignore[index]


def test_attachment_links_are_signed_and_expire(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS, CASE_STORE_SECRET=SECRET)
    gateway.start_all()
    photo = attachments.store(gateway.data_dir, "o-ga.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 fake jpeg bytes")
    good = attachment_url(gateway.url, SECRET.encode(), photo.sha256, int(time.time()) + 60)
    response = httpx.get(good, timeout=10)
    assert response.status_code == 200 and response.content == b"\xff\xd8\xff\xe0 fake jpeg bytes"
    expired = attachment_url(gateway.url, SECRET.encode(), photo.sha256, int(time.time()) - 1)
    assert httpx.get(expired, timeout=10).status_code == 403
    forged = attachment_url(gateway.url, b"guess", photo.sha256, int(time.time()) + 60)
    assert httpx.get(forged, timeout=10).status_code == 403


def test_metrics_and_dead_list_show_what_happened(make_gateway: Callable[..., Gateway]) -> None:
    store = CaseStoreStandIn(SECRET.encode(), FailurePlan(reject_status=400)).start()
    try:
        gateway = make_gateway(
            REDIS_URL=SYSTEM_REDIS, CASE_STORE_SINK="http", CASE_STORE_URL=store.url, CASE_STORE_SECRET=SECRET
        )
        gateway.start_all()
        incomplete = submission(4)
        del incomplete["location"]
        for body in (submission(3), incomplete):
            httpx.post(f"{gateway.url}/api/v1/submissions", json=body, timeout=10)
        dead = wait_until(lambda: json.loads(gateway.pakn("dead", "list", "--json").stdout), 30, "a dead forward")
        assert len(dead) == 1 and "HTTP 400" in dead[0]["error"]
        text = httpx.get(f"{gateway.url}/metrics", timeout=10).text
        assert 'pakn_submissions_received_total{channel="api"} 2.0' in text
        assert 'pakn_verdicts_total{channel="api",verdict="accepted"} 1.0' in text
        assert 'pakn_verdicts_total{channel="api",verdict="needs_information"} 1.0' in text
        assert 'pakn_dead_forwards{channel="api"} 1.0' in text
        assert "pakn_queue_depth{" in text and "pakn_forward_latency_seconds_bucket" in text
    finally:
        store.stop()
