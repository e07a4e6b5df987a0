"""The sinks against real servers: the case-store stand-in over HTTP, SQLite/PostgreSQL for `sql`."""

from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from dispatcher.sinks import CircuitBreaker, DeliveryOutcome, HttpSink, Open311Sink, SqlSink, sign
from pakn.db import case_ratings, case_replies, cases
from pakn.migrate import create_case_store
from tests.standins.case_store import CaseStoreStandIn, FailurePlan, verify_signature

SECRET = b"s3cret"


class Clock:
    """The only thing faked: time, so a cooldown passes without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def parcel(n: int) -> tuple[str, str, bytes]:
    return (f"pakn-PAKN-000{n}", f"PAKN-000{n}", json.dumps({"tracking_code": f"PAKN-000{n}"}).encode())


def test_signature_follows_the_documented_recipe() -> None:
    body = b'{"a": 1}'
    header = sign(SECRET, 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    assert not verify_signature(SECRET, header, body), "outside the replay window"
    fresh = sign(SECRET, int(time.time()), body)
    assert verify_signature(SECRET, fresh, body)
    assert not verify_signature(SECRET, fresh, body + b" "), "any change to the body breaks it"
    assert not verify_signature(b"other", fresh, body)


def test_answers_map_to_delivered_retry_or_permanent() -> None:
    store = CaseStoreStandIn(SECRET, FailurePlan(first_failures=1)).start()
    try:
        sink = HttpSink(store.url, SECRET, timeout=2, breaker=CircuitBreaker(5, 10))
        first = sink.deliver(*parcel(1))
        assert first.outcome is DeliveryOutcome.RETRY and "500" in first.detail
        assert sink.deliver(*parcel(1)).outcome is DeliveryOutcome.DELIVERED
        again = sink.deliver(*parcel(1))
        assert (again.outcome, again.detail) == (DeliveryOutcome.DELIVERED, "409"), "already have it = delivered"
        assert len(store.cases) == 1 and store.bad_signatures == 0
        store.plan.reject_status = 422
        refused = sink.deliver(*parcel(2))
        assert refused.outcome is DeliveryOutcome.PERMANENT and "422" in refused.detail
    finally:
        store.stop()


def test_a_hanging_case_store_is_a_retry_not_a_stuck_worker() -> None:
    store = CaseStoreStandIn(SECRET, FailurePlan(hang_rate=1.0, hang_seconds=1.5)).start()
    try:
        sink = HttpSink(store.url, SECRET, timeout=0.3, breaker=CircuitBreaker(50, 10))
        results = sink.deliver_many([parcel(n) for n in range(4)])
        assert [r.outcome for r in results] == [DeliveryOutcome.RETRY] * 4
        assert all("Timeout" in r.detail for r in results)
    finally:
        store.stop()


def test_the_circuit_opens_after_repeated_failures_and_closes_by_itself() -> None:
    store = CaseStoreStandIn(SECRET, FailurePlan(error_rate=1.0)).start()
    clock = Clock()
    try:
        sink = HttpSink(store.url, SECRET, timeout=2, concurrency=1, breaker=CircuitBreaker(3, 10, clock=clock))
        results = [sink.deliver(*parcel(n)) for n in range(6)]
        assert store.posts == 3, "after 3 failures the case store is left alone"
        assert [r.attempted for r in results] == [True, True, True, False, False, False]
        assert sink.breaker.state == "open"
        clock.now += 11
        assert sink.breaker.state == "half-open"
        assert sink.deliver(*parcel(7)).attempted and store.posts == 4, "one trial request"
        assert sink.breaker.state == "open", "the trial failed: open again"
        store.plan.error_rate = 0.0
        clock.now += 11
        assert sink.deliver(*parcel(8)).outcome is DeliveryOutcome.DELIVERED
        assert sink.breaker.state == "closed"
        assert sink.deliver(*parcel(9)).outcome is DeliveryOutcome.DELIVERED
    finally:
        store.stop()


def test_sql_sink_stores_each_key_once(journal_url: str) -> None:
    create_case_store(journal_url)
    sink = SqlSink(journal_url)
    assert [d.outcome for d in sink.deliver_many([parcel(1), parcel(2), parcel(1)])] == [DeliveryOutcome.DELIVERED] * 3
    assert [d.outcome for d in sink.deliver_many([parcel(2), parcel(3)])] == [DeliveryOutcome.DELIVERED] * 2
    with sink.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 3
    # Answers and ratings in tables of their own, once per key as well.
    assert [d.outcome for d in sink.deliver_replies([parcel(1), parcel(1)])] == [DeliveryOutcome.DELIVERED] * 2
    assert [d.outcome for d in sink.deliver_ratings([parcel(1)])] == [DeliveryOutcome.DELIVERED]
    with sink.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(case_replies)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(case_ratings)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 3


def test_answers_and_ratings_go_to_their_own_urls_signed_and_open311_sends_them_only_where_told() -> None:
    store = CaseStoreStandIn(SECRET).start()
    try:
        sink = HttpSink(store.url, SECRET, timeout=2, breaker=CircuitBreaker(5, 10))
        assert [d.outcome for d in sink.deliver_replies([parcel(3)])] == [DeliveryOutcome.DELIVERED]
        assert [d.outcome for d in sink.deliver_ratings([parcel(4), parcel(4)])] == [DeliveryOutcome.DELIVERED] * 2
        assert list(store.answers) == ["pakn-PAKN-0003"] and list(store.ratings) == ["pakn-PAKN-0004"]
        assert store.cases == {} and store.bad_signatures == 0, "apart from the cases, signed like them"
        assert store.rating_arrivals["pakn-PAKN-0004"] == 2, "the second delivery was the store's 409"

        geo = Open311Sink(store.url, "k", {}, "other", None, secret=SECRET, timeout=2)
        (refused,) = geo.deliver_replies([parcel(5)])
        assert refused.outcome is DeliveryOutcome.PERMANENT and "CASE_STORE_ANSWERS_URL" in refused.detail
        (refused,) = geo.deliver_ratings([parcel(5)])
        assert refused.outcome is DeliveryOutcome.PERMANENT and "CASE_STORE_RATINGS_URL" in refused.detail
        told = Open311Sink(store.url, "k", {}, "other", None, secret=SECRET, timeout=2, ratings_url=store.ratings_url)
        assert [d.outcome for d in told.deliver_ratings([parcel(6)])] == [DeliveryOutcome.DELIVERED]
        assert "pakn-PAKN-0006" in store.ratings
    finally:
        store.stop()
