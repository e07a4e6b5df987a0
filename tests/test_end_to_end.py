"""The whole path through real processes: uvicorn web, RQ workers, sweeper, Redis, SQLite/PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tests.conftest import (
    PAKN,
    REPO,
    SYSTEM_REDIS,
    Gateway,
    RedisServer,
    command_line,
    descendants,
    free_port,
    gateway_env,
    process_running,
    wait_until,
)
from tests.samples import submission
from tests.standins.case_store import CaseStoreStandIn, FailurePlan

SECRET = "end-to-end-case-store-secret"


async def _post_all(url: str, bodies: list[dict[str, Any]], concurrency: int = 16) -> list[httpx.Response]:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(body: dict[str, Any]) -> httpx.Response:
            async with limit:
                return await client.post(f"{url}/api/v1/submissions", json=body)

        return await asyncio.gather(*(one(b) for b in bodies))


def post_all(url: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    return asyncio.run(_post_all(url, bodies))


def status(gateway: Gateway, code: str) -> dict[str, Any]:
    response = httpx.get(f"{gateway.url}/api/v1/submissions/{code}", timeout=10)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize("backend", ["sqlite+system-redis", "postgresql+own-redis"])
def test_every_submission_reaches_the_case_store_once(
    backend: str, make_gateway: Callable[..., Gateway], own_redis: RedisServer, postgres_url: str
) -> None:
    if backend == "sqlite+system-redis":
        gateway = make_gateway(REDIS_URL=SYSTEM_REDIS)
    else:
        gateway = make_gateway(REDIS_URL=own_redis.url, DATABASE_URL=postgres_url)
    gateway.start_all(workers=2)
    bodies = [submission(i) for i in range(60)]
    keyed = submission(1000, idempotency_key="app-42-retry")
    responses = post_all(gateway.url, [*bodies, keyed, keyed])
    assert all(r.status_code == 202 for r in responses), [r.text for r in responses if r.status_code != 202]
    codes = [r.json()["tracking_code"] for r in responses]
    assert codes[-1] == codes[-2], "the same idempotency key must give the same tracking code"
    assert responses[-1].json()["duplicate"] != responses[-2].json()["duplicate"]
    assert len(set(codes)) == 61

    cases = wait_until(lambda: len(gateway.cases()) >= 61 and gateway.cases(), 60, "61 cases")
    time.sleep(1.0)  # anything more would be a duplicate
    cases = gateway.cases()
    assert len(cases) == 61
    assert {code for _, code in cases} == set(codes)
    wait_until(lambda: status(gateway, codes[0])["status"] == "forwarded", 10, "status forwarded")

    stats = json.loads(gateway.pakn("stats", "--json").stdout)
    assert stats["total"] == 61
    assert stats["by_status"] == {"forwarded": 61}


def test_bad_input_gets_a_clear_answer_and_nothing_is_stored(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS)
    gateway.start_all()
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        not_json = client.post(
            "/api/v1/submissions", content=b"{content: oops", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 422
        assert not_json.json()["error"] == "invalid-json"
        assert "JSON" in not_json.json()["message"]
        wrong_type = client.post("/api/v1/submissions", json={"content": 42, "confidential": "yes"})
        assert wrong_type.status_code == 422
        fields = {e["field"] for e in wrong_type.json()["errors"]}
        assert fields == {"content", "confidential"}
        not_object = client.post("/api/v1/submissions", json=["a", "b"])
        assert not_object.status_code == 422
        huge = client.post("/api/v1/submissions", content=b'{"content": "' + b"a" * 1_200_000 + b'"}')
        assert huge.status_code == 413
        unknown = client.get("/api/v1/submissions/PAKN-0000-0000")
        assert unknown.status_code == 404
        assert "PAKN-0000-0000" in unknown.json()["message"]
    assert json.loads(gateway.pakn("stats", "--json").stdout)["total"] == 0


def test_needs_information_then_completion_updates_the_same_submission(
    make_gateway: Callable[..., Gateway],
) -> None:
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS)
    gateway.start_all()
    incomplete = submission(3)
    del incomplete["location"]
    del incomplete["incident_time"]
    receipt = post_all(gateway.url, [incomplete])[0].json()
    code, token = receipt["tracking_code"], receipt["completion_token"]
    waiting = wait_until(
        lambda: (s := status(gateway, code))["status"] == "needs_information" and s, 30, "needs_information"
    )
    assert {r["code"] for r in waiting["reasons"]} == {"missing-location", "missing-incident_time"}
    assert all(r["message"] for r in waiting["reasons"])
    assert "name" not in json.dumps(waiting), "the public status never shows the submitter"

    completion = httpx.post(
        f"{gateway.url}/api/v1/submissions/{code}/completion",
        json={"location": "số 4 đường Yersin, phường Nha Trang, tỉnh Khánh Hòa", "incident_time": "sáng hôm qua"},
        headers={"X-Completion-Token": token},
        timeout=10,
    )
    assert completion.status_code == 202, completion.text
    assert completion.json()["tracking_code"] == code
    wait_until(lambda: status(gateway, code)["status"] == "forwarded", 30, "forwarded after completion")
    ((key, stored_code),) = gateway.cases()
    assert (key, stored_code) == (f"pakn-{code}", code)
    again = httpx.post(
        f"{gateway.url}/api/v1/submissions/{code}/completion",
        json={"content": "X"},
        headers={"X-Completion-Token": token},
        timeout=10,
    )
    assert again.status_code == 409


def test_http_sink_retries_a_failing_case_store_and_delivers_once(
    make_gateway: Callable[..., Gateway],
) -> None:
    store = CaseStoreStandIn(SECRET.encode(), FailurePlan(first_failures=4)).start()
    try:
        gateway = make_gateway(
            REDIS_URL=SYSTEM_REDIS, CASE_STORE_SINK="http", CASE_STORE_URL=store.url, CASE_STORE_SECRET=SECRET
        )
        gateway.start_all()
        codes = [r.json()["tracking_code"] for r in post_all(gateway.url, [submission(i) for i in range(3)])]
        wait_until(lambda: len(store.cases) == 3, 30, "3 cases at the stand-in")
        time.sleep(1.0)
        assert len(store.cases) == 3
        assert store.posts >= 3 + 4
        assert store.bad_signatures == 0
        assert store.duplicates == 0
        schema = json.loads((REPO / "docs" / "case-schema.json").read_text())
        for received in store.cases.values():
            jsonschema.validate(received, schema, format_checker=jsonschema.FormatChecker())
        payload = store.cases[f"pakn-{codes[0]}"]
        assert payload["schema_version"] == "1.2" and payload["summary"] is None  # nobody wrote one
        assert payload["level"] in ("province", "commune") and payload["suggested_agency"]
        assert payload["tracking_code"] == codes[0]
        assert payload["submitter"]["phone"] == "+84905000000"
        assert payload["content"].startswith("Đèn đường")
        for code in codes:
            wait_until(lambda c=code: status(gateway, c)["status"] == "forwarded", 10, "forwarded")
    finally:
        store.stop()


def test_a_case_store_pinned_to_contract_1_0_gets_1_0_bodies(make_gateway: Callable[..., Gateway]) -> None:
    """A receiver that validates with the strict 1.0 schema: CASE_STORE_SCHEMA_VERSION=1.0 keeps it working."""
    schema_1_0 = json.loads((REPO / "docs" / "case-schema-1.0.json").read_text())
    store = CaseStoreStandIn(SECRET.encode(), schema=schema_1_0).start()
    try:
        gateway = make_gateway(
            REDIS_URL=SYSTEM_REDIS,
            CASE_STORE_SINK="http",
            CASE_STORE_URL=store.url,
            CASE_STORE_SECRET=SECRET,
            CASE_STORE_SCHEMA_VERSION="1.0",
        )
        gateway.start_all()
        (code,) = [r.json()["tracking_code"] for r in post_all(gateway.url, [submission(5)])]
        wait_until(lambda: status(gateway, code)["status"] == "forwarded", 30, "forwarded to the 1.0 store")
        payload = store.cases[f"pakn-{code}"]
        assert payload["schema_version"] == "1.0" and "suggested_agency" not in payload
        assert store.bad_signatures == 0
    finally:
        store.stop()


def test_a_case_store_refusing_a_case_marks_it_failed_and_replay_sends_it_again(
    make_gateway: Callable[..., Gateway],
) -> None:
    store = CaseStoreStandIn(SECRET.encode(), FailurePlan(reject_status=400)).start()
    try:
        gateway = make_gateway(
            REDIS_URL=SYSTEM_REDIS, CASE_STORE_SINK="http", CASE_STORE_URL=store.url, CASE_STORE_SECRET=SECRET
        )
        gateway.start_all()
        code = post_all(gateway.url, [submission(5)])[0].json()["tracking_code"]
        wait_until(lambda: status(gateway, code)["status"] == "failed", 30, "failed")
        assert store.posts == 1, "a 4xx answer is permanent: no retry"
        store.plan.reject_status = None
        out = gateway.pakn("replay", "--failed").stdout.decode()
        assert "1 lượt chuyển" in out
        wait_until(lambda: len(store.cases) == 1, 30, "delivered after replay")
        wait_until(lambda: status(gateway, code)["status"] == "forwarded", 10, "forwarded")
    finally:
        store.stop()


def test_killed_worker_and_emptied_redis_still_deliver_every_case_exactly_once(
    make_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    redis = RedisServer(tmp_path)
    redis.start()
    store = CaseStoreStandIn(SECRET.encode(), FailurePlan(first_failures=5)).start()
    try:
        gateway = make_gateway(
            REDIS_URL=redis.url, CASE_STORE_SINK="http", CASE_STORE_URL=store.url, CASE_STORE_SECRET=SECRET
        )
        gateway.start_all(workers=2)
        total = 300
        bodies = [submission(i) for i in range(total)]
        results: list[httpx.Response] = []
        poster = threading.Thread(
            target=lambda: results.extend(
                post_all(
                    gateway.url,
                    bodies,
                )
            )
        )
        poster.start()
        wait_until(lambda: len(store.cases) >= 20, 60, "deliveries to begin")
        gateway.kill("worker0")  # SIGKILL in the middle of the batch
        redis.restart_empty()  # every queued job is gone
        gateway.start("worker0", "worker")
        poster.join(300)
        assert not poster.is_alive(), "every POST answered"
        assert len(results) == total and all(r.status_code == 202 for r in results)
        codes = {r.json()["tracking_code"] for r in results}
        wait_until(lambda: len(store.cases) >= total, 120, f"{total} cases at the case store")
        time.sleep(2)
        assert len(store.cases) == total
        assert {case["tracking_code"] for case in store.cases.values()} == codes
        # A body cut off by the SIGKILL is counted apart (store.cut_off): only complete ones are checked.
        assert store.bad_signatures == 0
    finally:
        store.stop()
        redis.stop()


def test_a_worker_whose_redis_is_gone_stops_on_sigterm_at_once(
    make_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    """A worker keeps trying a lost Redis, but SIGTERM still stops it: RQ's last step on stopping (telling
    Redis it is gone) fails like a lost Redis, which must not start the worker again."""
    redis = RedisServer(tmp_path)
    redis.start()
    gateway = make_gateway(REDIS_URL=redis.url)
    gateway.pakn("db", "upgrade")
    gateway.start("worker", "worker")
    wait_until(lambda: "worker listening" in gateway.log("worker"), 60, "the worker to listen")
    redis.stop(hard=True)
    wait_until(lambda: "could not connect to Redis" in gateway.log("worker"), 30, "the worker to miss Redis")
    worker = gateway.processes.pop("worker")
    worker.send_signal(signal.SIGTERM)
    started = time.monotonic()
    assert worker.wait(20) == 0, gateway.log("worker")[-2000:]
    assert time.monotonic() - started < 5
    assert "worker stopped; Redis was out of reach" in gateway.log("worker")


def test_the_case_store_stand_in_tells_a_cut_off_body_from_a_wrong_signature() -> None:
    """What the test above relies on: a sender killed mid-body is not a signing bug."""
    store = CaseStoreStandIn(SECRET.encode()).start()
    try:
        body = json.dumps({"tracking_code": "PAKN-7K2M-Q9XD"}).encode()
        signed = sign(body, SECRET.encode())
        head = (
            f"POST /cases HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nIdempotency-Key: k\r\n"
            f"X-PAKN-Signature: {signed}\r\n\r\n"
        ).encode()
        with socket.create_connection(store.server.server_address[:2], timeout=5) as sock:
            sock.sendall(head + body[:10])  # then the sender is gone
            sock.shutdown(socket.SHUT_WR)
            assert sock.recv(100) == b"", "nobody is answered"
        wait_until(lambda: store.cut_off == 1, 10, "the cut-off body counted")
        assert store.bad_signatures == 0
        wrong = httpx.post(store.url, content=body, headers={"X-PAKN-Signature": sign(body, b"wrong")}, timeout=5)
        assert wrong.status_code == 401
        assert (store.bad_signatures, store.cut_off) == (1, 1)
        right = httpx.post(store.url, content=body, headers={"X-PAKN-Signature": signed, "Idempotency-Key": "k"})
        assert right.status_code == 201
        assert (store.bad_signatures, store.cut_off, store.posts) == (1, 1, 3)
    finally:
        store.stop()


def sign(body: bytes, secret: bytes) -> str:
    """The signature header of docs/case-contract.md."""
    timestamp = int(time.time())
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def test_pakn_run_starts_everything_on_embedded_defaults(tmp_path: Path) -> None:
    port = free_port()
    env = gateway_env(tmp_path, PORT=str(port))
    env.pop("QUEUE_NAME")
    env.pop("PAKN_DATA_DIR")  # the default: var/ of the directory it is started in
    log = tmp_path / "pakn-run.log"
    with log.open("wb") as out:  # a file, not a pipe nobody reads while the test runs
        process = subprocess.Popen(
            [*PAKN, "run", "--workers", "1"], env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, 60, "pakn run to serve HTTP")
        codes = [r.json()["tracking_code"] for r in post_all(url, [submission(i) for i in range(20)])]
        wait_until(lambda: len(_cases_in(tmp_path / "var" / "casestore.db")) == 20, 60, "20 cases")
        assert set(_cases_in(tmp_path / "var" / "casestore.db")) == set(codes)
        assert (tmp_path / "var" / "journal.db").exists()
        assert (tmp_path / "var" / "appendonly.aof").exists(), "the embedded Redis keeps its data in var/"
        everything = descendants(process.pid)
        writers = [pid for pid in everything if "pakn.intake" in command_line(pid)]
        assert writers, "the web process runs its journal writer"
        assert any("redis-server" in command_line(pid) for pid in everything), "the embedded Redis is a child"
    finally:
        process.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        returncode = process.wait(30)
    output = log.read_text(errors="replace")
    assert returncode == 0, output[-3000:]
    assert time.monotonic() - stopping < 12
    assert "embedded redis listening on unix://" in output
    assert f"HTTP API listening on http://127.0.0.1:{port}" in output
    # Every process of `pakn run`: those named after the data folder, the journal writer and redis-server.
    wait_until(lambda: not any(process_running(pid) for pid in everything), 5, "every process to stop with pakn run")
    running = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(tmp_path) not in running, "every process of `pakn run` stops with it"
    socket_dir = output.split("embedded redis listening on unix://", 1)[1].split("/redis.sock", 1)[0]
    assert not Path(socket_dir).exists(), "the socket's temporary folder is removed"


def _cases_in(path: Path) -> list[str]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        try:
            return [row[0] for row in conn.execute("select tracking_code from cases")]
        except sqlite3.OperationalError:
            return []


def test_a_resend_is_linked_to_the_first_case_and_a_copy_by_someone_else_is_related(
    make_gateway: Callable[..., Gateway],
) -> None:
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS)
    gateway.start_all()
    first = post_all(gateway.url, [submission(7)])[0].json()["tracking_code"]
    wait_until(lambda: status(gateway, first)["status"] == "forwarded", 30, "first forwarded")
    again = submission(7, content=submission(7)["content"] + " Rất mong được giải quyết sớm.")
    copy = submission(7, phone="0912000111", email="hangxom@example.vn", name="Lê Thị Hàng Xóm")
    resend_code, copy_code = (r.json()["tracking_code"] for r in post_all(gateway.url, [again, copy]))
    resend = wait_until(lambda: (s := status(gateway, resend_code))["status"] == "rejected" and s, 30, "repeat")
    assert [r["code"] for r in resend["reasons"]] == ["repeat"]
    assert first in resend["reasons"][0]["message"]
    wait_until(lambda: status(gateway, copy_code)["status"] == "forwarded", 30, "copy forwarded")
    cases = dict(gateway.cases())
    assert set(cases.values()) == {first, copy_code}, "the resend made no second case"
    with sqlite3.connect(gateway.data_dir / "casestore.db") as conn:
        (payload,) = conn.execute("select payload from cases where tracking_code = ?", (copy_code,)).fetchone()
    assert json.loads(payload)["related_to"] == [first]


def test_every_verdict_reaches_the_outbox_and_is_sent(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS)
    gateway.start_all()
    incomplete = submission(11)
    del incomplete["location"]
    codes = [r.json()["tracking_code"] for r in post_all(gateway.url, [submission(10), incomplete])]
    wait_until(lambda: len(gateway.journal("select id from notifications where sent_at is not null")) == 2, 30, "sent")
    messages = {code: status(gateway, code)["messages"] for code in codes}
    assert [m["kind"] for m in messages[codes[0]]] == ["accepted"]
    assert [m["kind"] for m in messages[codes[1]]] == ["needs_information"]
    assert codes[1] in messages[codes[1]][0]["message"] and "địa điểm" in messages[codes[1]][0]["message"]


def test_an_unanswered_request_gets_one_reminder_then_closes(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS, REMINDER_AFTER_WORKING_DAYS="2", CLOSE_AFTER_WORKING_DAYS="3")
    gateway.start_all()
    incomplete = submission(12)
    del incomplete["name"]
    code = post_all(gateway.url, [incomplete])[0].json()["tracking_code"]
    wait_until(lambda: status(gateway, code)["status"] == "needs_information", 30, "needs_information")
    # Only the clock is moved: the request was sent three weeks ago.
    gateway.journal("update submissions set waiting_since = datetime('now', '-21 days') where tracking_code = ?", code)
    wait_until(lambda: [m["kind"] for m in status(gateway, code)["messages"]][-1] == "reminder", 30, "reminder")
    assert status(gateway, code)["status"] == "needs_information"
    time.sleep(1.5)
    assert [m["kind"] for m in status(gateway, code)["messages"]].count("reminder") == 1, "one reminder only"
    gateway.journal("update submissions set reminded_at = datetime('now', '-21 days') where tracking_code = ?", code)
    closed = wait_until(lambda: (s := status(gateway, code))["status"] == "rejected" and s, 30, "closed")
    assert closed["reasons"][-1]["code"] == "unanswered"
    assert closed["messages"][-1]["kind"] == "closed"
    assert "không đủ điều kiện" in closed["messages"][-1]["message"]
