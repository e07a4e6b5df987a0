"""The journal on SQLite and on PostgreSQL: durable, idempotent by source identity, leased work."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from pakn.db import make_engine, submissions
from pakn.journal import Journal
from pakn.migrate import upgrade
from pakn.records import (
    NOT_SENDABLE,
    CaseUpdate,
    Channel,
    NormalizationResult,
    NormalizedCase,
    RawSubmission,
    Status,
    Verdict,
    Verdicted,
)


def raw(source_id: str, body: bytes = b'{"content": "x"}') -> RawSubmission:
    return RawSubmission(Channel.API, source_id, body, "application/json", datetime.now(UTC))


def journal_for(url: str) -> Journal:
    upgrade(url)
    return Journal(make_engine(url), stale_after=timedelta(seconds=30))


def test_a_repeated_source_identity_returns_the_first_code_and_stores_nothing(journal_url: str) -> None:
    journal = journal_for(journal_url)
    first = journal.intake.record([raw("a"), raw("b"), raw("a")])
    assert [r.duplicate for r in first] == [False, False, True]
    assert first[0].tracking_code == first[2].tracking_code != first[1].tracking_code
    again = journal.intake.record([raw("b", b"other bytes")])
    assert again[0].duplicate and again[0].tracking_code == first[1].tracking_code
    assert journal.operators.stats().total == 2
    stored = journal.reading.get(first[1].submission_id)
    assert stored is not None and stored.raw == b'{"content": "x"}', "the first raw payload is kept untouched"


def test_the_same_identity_from_many_threads_makes_one_submission(journal_url: str) -> None:
    journal = journal_for(journal_url)
    codes: list[str] = []

    def send() -> None:
        codes.extend(r.tracking_code for r in journal.intake.record([raw("same-key")]))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(codes) == 8 and len(set(codes)) == 1
    assert journal.operators.stats().total == 1


def test_a_colliding_tracking_code_is_drawn_again_without_losing_the_batch(journal_url: str) -> None:
    (taken,) = journal_for(journal_url).intake.record([raw("first")])
    # The first draw collides with the stored code: the whole batch is rolled back and drawn again.
    drawn = iter([taken.tracking_code, "PAKN-0000-0001", "PAKN-0000-0002", "PAKN-0000-0003"])
    journal = Journal(make_engine(journal_url), new_code=lambda: next(drawn))
    receipts = journal.intake.record([raw("second"), raw("third")])
    assert [r.duplicate for r in receipts] == [False, False], "a code collision is not a repeat"
    assert [r.tracking_code for r in receipts] == ["PAKN-0000-0002", "PAKN-0000-0003"]
    assert journal.operators.stats().total == 3


def test_a_kept_writer_connection_stores_batch_after_batch_like_the_pool(journal_url: str) -> None:
    journal = journal_for(journal_url)
    with journal.intake.writer_connection() as connection:
        first = journal.intake.record([raw("k1"), raw("k2")], connection)
        second = journal.intake.record([raw("k2"), raw("k3")], connection)
    assert [r.duplicate for r in first + second] == [False, False, True, False]
    assert second[0].tracking_code == first[1].tracking_code
    stored = journal.reading.get(second[1].submission_id)
    assert stored is not None and stored.status is Status.RECEIVED and stored.received_at.tzinfo is not None
    assert abs(stored.received_at - datetime.now(UTC)) < timedelta(minutes=1), "times come back as written (UTC)"


def test_the_intake_writes_values_exactly_as_sqlalchemy_does(journal_url: str) -> None:
    """The intake binds values itself (plain SQL): its rows must read like those SQLAlchemy writes."""
    journal = journal_for(journal_url)
    at = datetime(2024, 9, 16, 2, 0, 0, tzinfo=UTC)  # no microseconds: the text form differed there
    (ours,) = journal.intake.record([RawSubmission(Channel.API, "ours", b"{}", "application/json", at)])
    with journal.engine.begin() as conn:
        conn.execute(
            insert(submissions).values(
                tracking_code="PAKN-0000-0000",
                channel="api",
                source_id="core",
                content_type="application/json",
                raw=b"{}",
                raw_sha256="-",
                received_at=at,
                status="received",
                updated_at=at,
            )
        )
        stored = dict(conn.exec_driver_sql("SELECT source_id, received_at FROM submissions").all())
    assert stored["ours"] == stored["core"]
    assert journal.reading.get(ours.submission_id).received_at == at  # type: ignore[union-attr]


def test_only_one_worker_holds_a_submission_and_a_lease_expires(journal_url: str) -> None:
    journal = journal_for(journal_url)
    (receipt,) = journal.intake.record([raw("lease")])
    (other,) = journal.intake.record([raw("other")])
    ids = [receipt.submission_id, other.submission_id]
    assert [
        s.id for s in journal.normalization.claim_submissions([receipt.submission_id], timedelta(seconds=30))
    ] == ids[:1]
    assert [s.id for s in journal.normalization.claim_submissions(ids, timedelta(seconds=30))] == ids[1:], (
        "first one is held"
    )
    (short,) = journal.intake.record([raw("short-lease")])
    assert journal.normalization.claim_submissions([short.submission_id], timedelta(seconds=-1))
    assert journal.normalization.claim_submissions([short.submission_id], timedelta(seconds=30)), (
        "an expired lease frees it"
    )


def test_an_accepted_verdict_creates_exactly_one_forward(journal_url: str) -> None:
    journal = journal_for(journal_url)
    (receipt,) = journal.intake.record([raw("fwd")])
    journal.normalization.claim_submissions([receipt.submission_id], timedelta(seconds=30))
    result = NormalizationResult(Verdict.ACCEPTED, (), NormalizedCase(content="x"))
    verdict = Verdicted(receipt.submission_id, result, "{}", "key-1")
    (forward_id,) = journal.normalization.finish_normalizations([verdict]).forward_ids
    # A second run of the same job (worker killed after commit, job re-enqueued) changes nothing.
    assert journal.normalization.finish_normalizations([verdict]).forward_ids == [forward_id]
    (forward,) = journal.forwards.claim_forwards([forward_id], timedelta(seconds=30))
    assert journal.forwards.claim_forwards([forward_id], timedelta(seconds=30)) == [], "no case is sent by two at once"
    journal.forwards.forwards_delivered([forward])
    assert journal.normalization.finish_normalizations([verdict]).forward_ids == [], (
        "a delivered forward is never sent again"
    )
    stored = journal.reading.get(receipt.submission_id)
    assert stored is not None and stored.status is Status.FORWARDED
    assert journal.operators.stats().forwards == {"delivered": 1}


def test_a_batch_of_verdicts_records_each_submission_once(journal_url: str) -> None:
    journal = journal_for(journal_url)
    ids = [r.submission_id for r in journal.intake.record([raw(f"batch-{i}") for i in range(4)])]
    journal.normalization.claim_submissions(ids, timedelta(seconds=30))
    accepted = NormalizationResult(Verdict.ACCEPTED, (), NormalizedCase(content="x"))
    needs = NormalizationResult(Verdict.NEEDS_INFORMATION, (), NormalizedCase())
    first = journal.normalization.finish_normalizations(
        [
            Verdicted(ids[0], accepted, "{}", "key-0"),
            Verdicted(ids[1], needs, notification=("needs_information", "Thiếu địa điểm.")),
            Verdicted(ids[2], accepted, "{}", "key-2", notification=("accepted", "Đã tiếp nhận.")),
            # A second verdict for a row of the same batch finds it done: nothing more.
            Verdicted(ids[0], needs, notification=("needs_information", "Thiếu thời gian.")),
        ]
    )
    assert len(first.forward_ids) == 2 and len(set(first.forward_ids)) == 2
    assert len(first.notification_ids) == 2
    statuses = [journal.reading.get(i).status for i in ids]  # type: ignore[union-attr]
    assert statuses == [Status.ACCEPTED, Status.NEEDS_INFORMATION, Status.ACCEPTED, Status.RECEIVED]
    assert [m.message for m in journal.reading.notifications_of(ids[1])] == ["Thiếu địa điểm."]
    assert journal.reading.notifications_of(ids[0]) == []
    # The same job run again (its worker killed after the commit), now with the row left over.
    again = journal.normalization.finish_normalizations(
        [
            Verdicted(ids[0], accepted, "{}", "key-0"),
            Verdicted(ids[2], accepted, "{}", "key-2", notification=("accepted", "Đã tiếp nhận.")),
            Verdicted(ids[3], accepted, "{}", "key-3"),
        ]
    )
    assert set(first.forward_ids) < set(again.forward_ids) and len(again.forward_ids) == 3
    assert again.notification_ids == [], "a citizen is told once"
    assert journal.operators.stats().forwards == {"pending": 3}


def test_amendments_only_for_a_submission_waiting_for_information(journal_url: str) -> None:
    journal = journal_for(journal_url)
    (receipt,) = journal.intake.record([raw("amend")])
    assert not journal.intake.amend(receipt.submission_id, raw("completion-1"))
    journal.normalization.claim_submissions([receipt.submission_id], timedelta(seconds=30))
    result = NormalizationResult(Verdict.NEEDS_INFORMATION, (), NormalizedCase())
    journal.normalization.finish_normalizations(
        [Verdicted(receipt.submission_id, result, notification=("needs_information", "."))]
    )
    assert journal.intake.amend(receipt.submission_id, raw("completion-1", b'{"location": "y"}'))
    stored = journal.reading.get(receipt.submission_id)
    assert stored is not None and stored.status is Status.RECEIVED
    found = journal.reading.amendments_of_many([receipt.submission_id])[receipt.submission_id]
    assert [a.raw for a in found] == [b'{"location": "y"}']


def test_a_senders_waiting_submissions_and_a_redelivered_completion_are_found(journal_url: str) -> None:
    """What the SMS channel asks before taking a message: seen before (as a submission, as a completion)?
    And which of this phone's submissions wait for information, latest first."""
    journal = journal_for(journal_url)
    receipts = journal.intake.record([raw("sms-1"), raw("sms-2"), raw("sms-3")])
    ids = [r.submission_id for r in receipts]
    journal.normalization.claim_submissions(ids, timedelta(seconds=30))
    waiting = NormalizationResult(Verdict.NEEDS_INFORMATION, (), NormalizedCase())
    accepted = NormalizationResult(Verdict.ACCEPTED, (), NormalizedCase())
    journal.normalization.finish_normalizations(
        [
            Verdicted(ids[0], waiting, notification=("needs_information", "."), contact_key="+84912345670"),
            Verdicted(ids[1], waiting, notification=("needs_information", "."), contact_key="+84912345670"),
            Verdicted(ids[2], accepted, forward_payload="{}", idempotency_key="k-3", contact_key="+84912345670"),
        ]
    )
    found = journal.reading.waiting_of_contact(Channel.API, "+84912345670")
    assert [w.submission_id for w in found] == [ids[1], ids[0]], "only those waiting, latest first"
    assert journal.reading.waiting_of_contact(Channel.SMS, "+84912345670") == []
    assert journal.reading.waiting_of_contact(Channel.API, "+84999999999") == []
    by_source = journal.reading.get_by_source(Channel.API, "sms-2")
    assert by_source is not None and by_source.id == ids[1]
    assert journal.reading.get_by_source(Channel.SMS, "sms-2") is None
    assert journal.reading.amended_by("reply-1") is None
    assert journal.intake.amend(ids[1], raw("reply-1", b'{"location": "y"}'))
    assert journal.reading.amended_by("reply-1") == ids[1]


def test_stats_count_messages_sent_waiting_and_not_sendable(journal_url: str) -> None:
    journal = journal_for(journal_url)
    receipts = journal.intake.record([raw("n1"), raw("n2"), raw("n3")])
    ids = [r.submission_id for r in receipts]
    journal.normalization.claim_submissions(ids, timedelta(seconds=30))
    result = NormalizationResult(Verdict.ACCEPTED, (), NormalizedCase(content="x"))
    verdicts = [Verdicted(i, result, "{}", f"key-{i}", notification=("accepted", "Đã tiếp nhận.")) for i in ids]
    done = journal.normalization.finish_normalizations(verdicts)
    sent, unsendable, waiting = done.notification_ids
    journal.outbox.notifications_sent([sent])
    journal.outbox.notification_retry_later(unsendable, f"{NOT_SENDABLE}no Twilio", None)
    assert journal.operators.stats().notifications == {"sent": 1, "not_sendable": 1, "waiting": 1}
    assert journal.outbox.due_notifications(datetime.now(UTC) + timedelta(days=1)) == [waiting], "never retried"


def test_a_status_is_read_with_the_newest_message_that_told_it(journal_url: str) -> None:
    """A chat's lookup answer goes after the messages read with its status and before later ones
    (channels/telegram/order.py): the status and that message id come from one read."""
    journal = journal_for(journal_url)
    (receipt,) = journal.intake.record([raw("told")])
    code = receipt.tracking_code
    found = journal.reading.get_by_code_as_told(code)
    assert found is not None and found[0].status is Status.RECEIVED and found[1] is None, "nothing told yet"
    assert journal.reading.get_by_code_as_told("PAKN-0000-0000") is None

    known, first = journal.updates.record_case_update(CaseUpdate(code, "in_progress", "u1"), "Đang xử lý.")
    known, second = journal.updates.record_case_update(CaseUpdate(code, "resolved", "u2"), "Đã giải quyết.")
    assert known and first is not None and second is not None and second > first
    found = journal.reading.get_by_code_as_told(code)
    assert found is not None and found[1] == second
    assert found[0].status is Status.RESOLVED
