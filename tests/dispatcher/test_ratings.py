"""Satisfaction through a running gateway and the case-store stand-in: a case resolved by the store's signed
callback asks its citizen once to rate the answer; the rating page (completion token, no script needed)
takes one rating with a comment, which reaches the case store signed, exactly once, after retries, with no
identity, and counts in `pakn stats` by field, agency and channel."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import jsonschema

from dispatcher.sinks import sign
from tests.conftest import SYSTEM_REDIS, Gateway, wait_until
from tests.samples import submission
from tests.standins.case_store import CaseStoreStandIn, FailurePlan

SECRET = "rating-secret-0123456789abcdef"
RATING_SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "rating-schema.json").read_text())
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def update(gateway: Gateway, body: dict[str, object]) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"X-PAKN-Signature": sign(SECRET.encode(), int(time.time()), raw), "content-type": "application/json"}
    return httpx.post(f"{gateway.url}/api/v1/case-store/updates", content=raw, headers=headers, timeout=10)


def kinds(gateway: Gateway, code: str) -> list[str]:
    view = httpx.get(f"{gateway.url}/api/v1/submissions/{code}", timeout=10).json()
    return [m["kind"] for m in view["messages"]]


def test_a_resolved_case_is_rated_once_on_the_web_and_the_rating_reaches_the_store_and_the_stats(
    make_gateway: Callable[..., Gateway],
) -> None:
    store = CaseStoreStandIn(SECRET.encode()).start()
    try:
        gateway = make_gateway(
            REDIS_URL=SYSTEM_REDIS, CASE_STORE_SINK="http", CASE_STORE_URL=store.url, CASE_STORE_SECRET=SECRET
        )
        gateway.start_all()
        body = {**submission(21), "confidential": True}
        receipt = httpx.post(f"{gateway.url}/api/v1/submissions", json=body, timeout=10).json()
        code, token = receipt["tracking_code"], receipt["completion_token"]
        wait_until(lambda: "accepted" in kinds(gateway, code) and len(store.cases) == 1, 60, "forwarded")

        with httpx.Client(base_url=gateway.url, timeout=20) as client:
            assert client.get(f"/rate/{code}?token={token}").status_code == 409, "not resolved: nothing to rate"
            in_progress = {"tracking_code": code, "status": "in_progress", "update_id": "u1"}
            assert update(gateway, in_progress).status_code == 202
            assert "rating-request" not in kinds(gateway, code)
            answer = "Đã thay bóng đèn ngày 20/9/2024."
            resolved = {"tracking_code": code, "status": "resolved", "update_id": "u2", "answer": answer}
            assert update(gateway, resolved).status_code == 202
            assert update(gateway, {**resolved, "update_id": "u3"}).status_code == 202, "resolved again"
            assert kinds(gateway, code).count("rating-request") == 1, "asked once"

            # The next two POSTs to the case store fail: the rating is retried, then delivered.
            store.plan = FailurePlan(first_failures=store.posts + 2)
            posts_before = store.posts

            assert 'id="rate-link"' not in client.get("/lookup", params={"code": code}).text
            lookup = client.get("/lookup", params={"code": code, "token": token}).text
            assert f'href="/rate/{code}?token={token}"' in lookup
            refused = client.get(f"/rate/{code}?token=AAAAAAAAAAAAAAAAAAAAAAAA")
            assert refused.status_code == 403 and "Đường liên kết đánh giá" in refused.text
            page = client.get(f"/rate/{code}?token={token}")
            assert page.status_code == 200 and answer in page.text
            assert page.text.count('type="radio" name="rating"') == 4
            csrf = CSRF.search(page.text)
            assert csrf
            form = {"token": token, "csrf": csrf.group(1), "comment": "Đèn lại hỏng sau hai ngày."}
            assert client.post(f"/rate/{code}", data=form).status_code == 422, "a rating must be chosen"
            sent = client.post(f"/rate/{code}", data={**form, "rating": "unhappy"})
            assert sent.status_code == 303
            again = client.post(f"/rate/{code}", data={**form, "rating": "very_satisfied"})
            assert again.status_code == 409, "the first rating counts"

            wait_until(lambda: store.ratings, 60, "the rating at the case store")
            ((key, rated),) = store.ratings.items()
            assert key == rated["idempotency_key"] == f"pakn-rating-{code}"
            assert (rated["schema"], rated["rating"], rated["score"]) == ("pakn.rating", "unhappy", 1)
            assert rated["channel"] == "web"
            jsonschema.Draft202012Validator(RATING_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(rated)
            assert rated["comment"] == "Đèn lại hỏng sau hai ngày." and rated["tracking_code"] == code
            raw = json.dumps(rated, ensure_ascii=False)
            assert body["name"] not in raw and body["phone"] not in raw and "submitter" not in rated
            assert store.posts - posts_before >= 3 and store.bad_signatures == 0
            wait_until(lambda: gateway.journal("select state from ratings") == [("delivered",)], 30, "delivered")
            assert store.rating_arrivals[key] == 1
            shown = client.get("/lookup", params={"code": code, "token": token}).text
            assert 'id="rated"' in shown and "Không hài lòng" in shown and 'id="rate-link"' not in shown

        stats = json.loads(gateway.pakn("stats", "--json").stdout)["report"]
        assert stats["ratings"] == {"unhappy": 1}
        assert stats["rated"] == 1 and stats["dissatisfied"] == 1
        (field,) = stats["satisfaction_by_field"]
        assert stats["satisfaction_by_field"][field] == {"unhappy": 1} and field in stats["by_field"]
        (agency,) = stats["satisfaction_by_agency"]
        assert agency in stats["by_agency"]
        assert stats["satisfaction_by_channel"] == {"api": {"unhappy": 1}}
        text = gateway.pakn("stats").stdout.decode()
        assert "Đánh giá theo kênh tiếp nhận" in text and "Không hài lòng" in text

        # The statistics page (a supervisor signed in) lists them too.
        gateway.pakn(
            "operators", "add", "thongke", "--name", "Phạm Thống Kê", "--role", "supervisor", "--password-stdin",
            input=b"mat-khau-thong-ke-2026\n",
        )  # fmt: skip
        with httpx.Client(base_url=gateway.url, timeout=20, follow_redirects=True) as admin:
            login = admin.get("/admin/login")
            csrf = CSRF.search(login.text)
            assert csrf
            form = {"username": "thongke", "password": "mat-khau-thong-ke-2026", "csrf": csrf.group(1)}
            admin.post("/admin/login", data=form)
            stats_page = admin.get("/admin/stats").text
        assert 'data-section="satisfaction_by_channel" data-key="api/unhappy"' in stats_page
        assert 'data-section="ratings" data-key="unhappy"' in stats_page
        chart = re.search(r'id="unhappy-by-agency-chart".*?</ul>', stats_page, re.DOTALL)
        assert chart and agency in chart.group(0) and '<span class="bar-value">1</span>' in chart.group(0)
    finally:
        store.stop()
