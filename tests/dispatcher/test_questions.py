"""The agency <-> citizen loop through a running gateway and the case-store stand-in: a signed question from the
case store, relayed to the citizen (here on the web lookup page, with the completion token), the citizen's
answer posted with the page's form (no script), delivered back signed, exactly once, after retries."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import jsonschema

from dispatcher.sinks import sign
from tests.conftest import SYSTEM_REDIS, Gateway, wait_until
from tests.samples import submission
from tests.standins.case_store import CaseStoreStandIn, FailurePlan

SECRET = "loop-secret-0123456789abcdef"
REPO = Path(__file__).resolve().parents[2]
ANSWER_SCHEMA = json.loads((REPO / "docs" / "answer-schema.json").read_text())
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def ask(gateway: Gateway, body: dict[str, object], secret: str = SECRET) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"X-PAKN-Signature": sign(secret.encode(), int(time.time()), raw), "content-type": "application/json"}
    return httpx.post(f"{gateway.url}/api/v1/case-store/questions", content=raw, headers=headers, timeout=10)


def status(gateway: Gateway, code: str) -> dict[str, object]:
    return dict(httpx.get(f"{gateway.url}/api/v1/submissions/{code}", timeout=10).json())


def test_a_question_reaches_the_lookup_page_and_the_answer_reaches_the_case_store_once(
    make_gateway: Callable[..., Gateway],
) -> None:
    store = CaseStoreStandIn(SECRET.encode()).start()
    try:
        gateway = make_gateway(
            REDIS_URL=SYSTEM_REDIS, CASE_STORE_SINK="http", CASE_STORE_URL=store.url, CASE_STORE_SECRET=SECRET
        )
        gateway.start_all()
        body = {**submission(11), "confidential": True}
        receipt = httpx.post(f"{gateway.url}/api/v1/submissions", json=body, timeout=10).json()
        code, token = receipt["tracking_code"], receipt["completion_token"]
        wait_until(lambda: status(gateway, code)["status"] == "forwarded", 60, "forwarded")

        question = "Ông/Bà cho biết cột đèn hỏng nằm bên trái hay bên phải đường, tính từ chợ?"
        asked = {"tracking_code": code, "question_id": "q-17", "question": question}
        assert httpx.post(f"{gateway.url}/api/v1/case-store/questions", json=asked, timeout=10).status_code == 403
        assert ask(gateway, asked, "another-secret-0123456789").status_code == 403
        assert ask(gateway, {**asked, "tracking_code": "PAKN-0000-0000"}).status_code == 404
        assert ask(gateway, {**asked, "question": ""}).status_code == 422
        first = ask(gateway, asked)
        assert first.status_code == 202 and first.json()["duplicate"] is False
        assert ask(gateway, asked).json()["duplicate"] is True, "a resent question is recognised"
        kinds = [m["kind"] for m in status(gateway, code)["messages"]]  # type: ignore[union-attr]
        assert kinds.count("case-question") == 1

        # The next two POSTs to the case store fail: the answer is retried with backoff, then delivered.
        store.plan = FailurePlan(first_failures=store.posts + 2)
        posts_before = store.posts

        with httpx.Client(base_url=gateway.url, timeout=20) as client:
            public = client.get("/lookup", params={"code": code})
            assert 'id="question"' not in public.text, "no reply form without the receipt's token"
            assert question not in public.text, "the question (it may name people) only for the submitter"
            assert question not in str(status(gateway, code)["messages"])
            mine = client.get(f"/api/v1/submissions/{code}", headers={"X-Completion-Token": token}).json()
            assert question in str(mine["messages"]) and mine["question"] == question
            page = client.get("/lookup", params={"code": code, "token": token})
            assert page.status_code == 200 and 'id="question"' in page.text and question in page.text
            csrf = CSRF.search(page.text)
            assert csrf
            form = {"answer": "Bên phải, cách chợ khoảng 50 mét.", "token": token, "csrf": csrf.group(1)}
            refused = client.post(f"/answer/{code}", data={**form, "token": "AAAAAAAAAAAAAAAAAAAAAAAA"})
            assert refused.status_code == 403 and "Đường liên kết trả lời" in refused.text
            assert client.post(f"/answer/{code}", data={**form, "csrf": "forged"}).status_code == 403
            sent = client.post(f"/answer/{code}", data=form)
            assert sent.status_code == 303 and sent.headers["location"].startswith(f"/lookup?code={code}&token=")
            again = client.post(f"/answer/{code}", data={**form, "answer": "Một câu trả lời khác"})
            assert again.status_code == 409, "one answer per question: the first one wins"

            wait_until(lambda: store.answers, 60, "the answer at the case store")
            ((key, delivered),) = store.answers.items()
            assert delivered["tracking_code"] == code and delivered["question_id"] == "q-17"
            assert delivered["answer"] == "Bên phải, cách chợ khoảng 50 mét."
            assert delivered["schema"] == "pakn.answer" and delivered["channel"] == "web"
            jsonschema.Draft202012Validator(ANSWER_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(
                delivered
            )
            assert key == delivered["idempotency_key"] and key.startswith("pakn-answer-")
            raw = json.dumps(delivered, ensure_ascii=False)
            assert "submitter" not in delivered and body["name"] not in raw and body["phone"] not in raw
            assert store.posts - posts_before >= 3, "two refused tries, then the delivery"
            assert store.bad_signatures == 0
            wait_until(
                lambda: gateway.journal("select state from citizen_replies") == [("delivered",)], 30, "delivered"
            )
            assert store.answer_arrivals[key] == 1, "delivered once"

            shown = client.get("/lookup", params={"code": code, "token": token}).text
            assert "Bên phải, cách chợ khoảng 50 mét." in shown and 'id="question"' not in shown
            assert "Bên phải" not in client.get("/lookup", params={"code": code}).text, "the answer needs the token"
        kinds = [m["kind"] for m in status(gateway, code)["messages"]]  # type: ignore[union-attr]
        assert kinds.count("case-answered") == 1
    finally:
        store.stop()


def test_answers_go_to_the_embedded_case_store_too(make_gateway: Callable[..., Gateway]) -> None:
    """The `sql` sink keeps answers in its `case_replies` table, one per key; replayed rows change nothing."""
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS, CASE_STORE_SECRET=SECRET)
    gateway.start_all()
    receipt = httpx.post(f"{gateway.url}/api/v1/submissions", json=submission(12), timeout=10).json()
    code, token = receipt["tracking_code"], receipt["completion_token"]
    wait_until(lambda: status(gateway, code)["status"] == "forwarded", 60, "forwarded")
    assert (
        ask(gateway, {"tracking_code": code, "question_id": "7", "question": "Ông/Bà ở số nhà nào?"}).status_code == 202
    )
    with httpx.Client(base_url=gateway.url, timeout=20) as client:
        page = client.get("/lookup", params={"code": code, "token": token})
        csrf = CSRF.search(page.text)
        assert csrf
        form = {"answer": "Số 14 đường Trần Phú.", "token": token, "csrf": csrf.group(1)}
        assert client.post(f"/answer/{code}", data=form).status_code == 303

    def stored() -> list[tuple[str, str]]:
        with sqlite3.connect(gateway.data_dir / "casestore.db") as conn:
            try:
                return conn.execute("select tracking_code, payload from case_replies").fetchall()
            except sqlite3.OperationalError:
                return []

    rows = wait_until(stored, 60, "the answer in the embedded case store")
    assert len(rows) == 1 and rows[0][0] == code and json.loads(rows[0][1])["answer"] == "Số 14 đường Trần Phú."
    # Delivered again (a replayed row): the store already has the key, nothing is added.
    gateway.journal("update citizen_replies set state = 'pending', due_at = '2000-01-01 00:00:00', lease_until = null")
    wait_until(lambda: gateway.journal("select state from citizen_replies") == [("delivered",)], 30, "delivered again")
    assert len(stored()) == 1


def test_an_answer_the_case_store_refuses_is_listed_dead_and_replayed(make_gateway: Callable[..., Gateway]) -> None:
    store = CaseStoreStandIn(SECRET.encode()).start()
    try:
        gateway = make_gateway(
            REDIS_URL=SYSTEM_REDIS, CASE_STORE_SINK="http", CASE_STORE_URL=store.url, CASE_STORE_SECRET=SECRET
        )
        gateway.start_all()
        receipt = httpx.post(f"{gateway.url}/api/v1/submissions", json=submission(13), timeout=10).json()
        code, token = receipt["tracking_code"], receipt["completion_token"]
        wait_until(lambda: status(gateway, code)["status"] == "forwarded", 60, "forwarded")
        assert ask(gateway, {"tracking_code": code, "question_id": "d1", "question": "Ở đâu?"}).status_code == 202
        store.plan = FailurePlan(reject_status=400)  # the store refuses for good: final, no retry
        answered = httpx.post(
            f"{gateway.url}/api/v1/submissions/{code}/answer",
            json={"answer": "Trước cổng chợ."},
            headers={"X-Completion-Token": token},
            timeout=10,
        )
        assert answered.status_code == 202
        dead = wait_until(
            lambda: [d for d in json.loads(gateway.pakn("dead", "list", "--json").stdout) if d["kind"] == "answer"],
            60,
            "the refused answer in the dead list",
        )
        assert dead[0]["tracking_code"] == code and "HTTP 400" in dead[0]["error"]
        assert store.answers == {}
        store.plan = FailurePlan()
        gateway.pakn("replay", "--failed")
        wait_until(lambda: store.answers, 60, "the replayed answer at the case store")
        ((_, delivered),) = store.answers.items()
        assert delivered["answer"] == "Trước cổng chợ."
        assert not [d for d in json.loads(gateway.pakn("dead", "list", "--json").stdout) if d["kind"] == "answer"]
    finally:
        store.stop()
