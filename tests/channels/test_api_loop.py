"""The JSON API's side of the agency <-> citizen loop and of satisfaction, through a running gateway (the
embedded `sql` case store): the open question shown with the completion token only, answered by
``POST …/answer``, the resolved case rated by ``POST …/rating``, each once (the same Idempotency-Key again is
the same one), delivered to the case store."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable

import httpx

from dispatcher.sinks import sign
from tests.conftest import SYSTEM_REDIS, Gateway, wait_until
from tests.samples import submission

SECRET = "api-loop-secret-0123456789ab"


def callback(gateway: Gateway, path: str, body: dict[str, object]) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"X-PAKN-Signature": sign(SECRET.encode(), int(time.time()), raw), "content-type": "application/json"}
    return httpx.post(f"{gateway.url}/api/v1/case-store/{path}", content=raw, headers=headers, timeout=10)


def at_store(gateway: Gateway, table: str) -> list[dict[str, object]]:
    path = gateway.data_dir / "casestore.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        try:
            return [json.loads(p) for (p,) in conn.execute(f"select payload from {table}")]
        except sqlite3.OperationalError:
            return []


def test_an_app_answers_the_question_and_rates_the_answer(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS, CASE_STORE_SECRET=SECRET)
    gateway.start_all()
    api = f"{gateway.url}/api/v1/submissions"
    receipt = httpx.post(api, json=submission(31), timeout=10).json()
    code, token = receipt["tracking_code"], receipt["completion_token"]
    mine = {"X-Completion-Token": token}
    wait_until(lambda: httpx.get(f"{api}/{code}", timeout=10).json()["status"] == "forwarded", 60, "forwarded")

    question = "Ông/Bà có ảnh chụp cột đèn không?"
    assert (
        callback(gateway, "questions", {"tracking_code": code, "question_id": "a1", "question": question}).status_code
        == 202
    )
    assert "question" not in httpx.get(f"{api}/{code}", timeout=10).json(), "only for the submitter"
    assert httpx.get(f"{api}/{code}", headers=mine, timeout=10).json()["question"] == question

    answer = {"answer": "Không có ảnh, cột đèn thứ hai từ đầu hẻm."}
    refused = httpx.post(f"{api}/{code}/answer", json=answer, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"] == "completion-token"
    assert httpx.post(f"{api}/{code}/answer", json={}, headers=mine, timeout=10).status_code == 422
    keyed = {**mine, "Idempotency-Key": "answer-a1"}
    first = httpx.post(f"{api}/{code}/answer", json=answer, headers=keyed, timeout=10)
    assert first.status_code == 202 and first.json()["duplicate"] is False
    assert httpx.post(f"{api}/{code}/answer", json=answer, headers=keyed, timeout=10).json()["duplicate"] is True
    other = httpx.post(f"{api}/{code}/answer", json={"answer": "Khác"}, headers=mine, timeout=10)
    assert other.status_code == 409 and other.json()["error"] == "no-question"
    (delivered,) = wait_until(lambda: at_store(gateway, "case_replies"), 60, "the answer at the case store")
    assert delivered["answer"] == answer["answer"] and delivered["channel"] == "api"

    rating = {"rating": "acceptable", "comment": "Sửa hơi chậm."}
    assert httpx.post(f"{api}/{code}/rating", json=rating, headers=mine, timeout=10).status_code == 409
    resolved = {"tracking_code": code, "status": "resolved", "update_id": "r1", "answer": "Đã sửa."}
    assert callback(gateway, "updates", resolved).status_code == 202
    assert httpx.get(f"{api}/{code}", headers=mine, timeout=10).json()["rating_requested"] is True
    assert httpx.post(f"{api}/{code}/rating", json={"rating": "great"}, headers=mine, timeout=10).status_code == 422
    assert httpx.post(f"{api}/{code}/rating", json=rating, headers=mine, timeout=10).status_code == 202
    assert httpx.post(f"{api}/{code}/rating", json=rating, headers=mine, timeout=10).status_code == 409
    (rated,) = wait_until(lambda: at_store(gateway, "case_ratings"), 60, "the rating at the case store")
    assert (rated["rating"], rated["score"], rated["comment"]) == ("acceptable", 2, "Sửa hơi chậm.")
    assert httpx.get(f"{api}/{code}", headers=mine, timeout=10).json()["rating_requested"] is False
