"""The triage inbox's journal (``pakn.journal.review`` acts, ``pakn.journal.triage_inbox`` reads) on SQLite and
PostgreSQL: held cases, staff's actions, their audit trail, and exactly one forward when two people confirm at
once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from pakn.db import forwards, make_engine, notifications
from pakn.journal import Journal
from pakn.journal.review import Correction
from pakn.journal.triage_inbox import InboxQuery
from pakn.migrate import upgrade
from pakn.records import (
    Channel,
    Finding,
    ForwardState,
    NormalizationResult,
    NormalizedCase,
    RawSubmission,
    ReviewActionKind,
    ReviewOutcome,
    Severity,
    Status,
    Verdict,
    Verdicted,
)


def journal_for(url: str) -> Journal:
    upgrade(url)
    return Journal(make_engine(url), stale_after=timedelta(seconds=30))


def held_submission(journal: Journal, source_id: str, content: str = "Đèn đường hỏng") -> int:
    """A submission the normalize job accepted and held for review, as it records one."""
    body = json.dumps({"content": content}).encode()
    (receipt,) = journal.intake.record(
        [RawSubmission(Channel.API, source_id, body, "application/json", datetime.now(UTC))]
    )
    journal.normalization.claim_submissions([receipt.submission_id], timedelta(seconds=30))
    case = NormalizedCase(content=content, category="linh-vuc-khac", kind="phan_anh_kien_nghi")
    result = NormalizationResult(Verdict.ACCEPTED, (), case)
    payload = json.dumps({"tracking_code": receipt.tracking_code, "category": "linh-vuc-khac", "kind": case.kind})
    verdict = Verdicted(receipt.submission_id, result, payload, f"pakn-{receipt.tracking_code}", held_for=("no-field",))
    recorded = journal.normalization.finish_normalizations([verdict])
    assert recorded.forward_ids == [] and recorded.notification_ids == [], "nothing goes out while held"
    return receipt.submission_id


def forward_rows(journal: Journal, submission_id: int) -> list[tuple[str, str]]:
    with journal.engine.connect() as conn:
        return [
            (row.state, row.payload)
            for row in conn.execute(
                select(forwards.c.state, forwards.c.payload).where(forwards.c.submission_id == submission_id)
            )
        ]


def test_a_held_case_waits_unsent_then_a_correction_goes_out_with_the_confirmed_forward(journal_url: str) -> None:
    journal = journal_for(journal_url)
    submission_id = held_submission(journal, "held-1")
    stored = journal.reading.get(submission_id)
    assert stored is not None and stored.status is Status.HELD
    assert [r.id for r in journal.triage_inbox.inbox(InboxQuery(Status.HELD))] == [submission_id]
    assert [r.id for r in journal.triage_inbox.inbox(InboxQuery(Status.HELD, search="ĐÈN ĐƯỜNG".lower()))] == [
        submission_id
    ]
    assert journal.triage_inbox.inbox(InboxQuery(Status.HELD, channel="email")) == []
    assert journal.forwards.due_forwards(datetime.now(UTC) + timedelta(days=1)) == [], "a held forward is never due"
    ((state, _),) = forward_rows(journal, submission_id)
    assert state == ForwardState.HELD

    corrected = journal.review.correct(submission_id, "truongca", "category", "giao-thong", "đèn giao thông")
    assert corrected.done
    again = journal.review.correct(submission_id, "truongca", "category", "giao-thong")
    assert not again.done, "the same value twice is no change"
    outcome = journal.review.confirm(submission_id, "truongca", ("accepted", "Đã tiếp nhận"))
    assert outcome.done and outcome.forward_id is not None and outcome.notification_id is not None
    ((state, payload),) = forward_rows(journal, submission_id)
    assert state == ForwardState.PENDING and json.loads(payload)["category"] == "giao-thong"
    stored = journal.reading.get(submission_id)
    assert stored is not None and stored.status is Status.ACCEPTED
    assert stored.normalized is not None and stored.normalized["category"] == "giao-thong"
    trail = journal.triage_inbox.actions(submission_id)
    assert [(a.action, a.field, a.before, a.after, a.actor) for a in trail] == [
        (ReviewActionKind.HELD, None, None, None, "pakn"),
        (ReviewActionKind.CORRECT, "category", "linh-vuc-khac", "giao-thong", "truongca"),
        (ReviewActionKind.CONFIRM, None, None, None, "truongca"),
    ]
    assert trail[0].reason == "no-field" and trail[1].reason == "đèn giao thông"
    hour = timedelta(hours=1)
    counts = journal.triage_inbox.corrections(datetime.now(UTC) - hour, datetime.now(UTC) + hour)
    assert counts == {"correct:category": 1, "confirm": 1}
    overridden = journal.triage_inbox.overrides(datetime.now(UTC) - hour, datetime.now(UTC) + hour)
    assert overridden == {"classification": 1}, "the field was the classification rule's decision"
    # Now it is an ordinary accepted case: the dispatcher takes it, once.
    (forward,) = journal.forwards.claim_forwards([outcome.forward_id], timedelta(seconds=30))
    journal.forwards.forwards_delivered([forward])
    late = journal.review.confirm(submission_id, "nguoikhac")
    assert not late.done and late.status is Status.FORWARDED


def test_two_people_confirming_at_once_make_one_forward_and_the_second_sees_the_first(journal_url: str) -> None:
    journal = journal_for(journal_url)
    ids = [held_submission(journal, f"race-{i}") for i in range(5)]
    for submission_id in ids:
        barrier = threading.Barrier(2)
        outcomes: dict[str, ReviewOutcome] = {}

        def confirm(actor: str, submission_id: int, barrier: threading.Barrier, into: dict[str, ReviewOutcome]) -> None:
            barrier.wait()
            into[actor] = journal.review.confirm(submission_id, actor, ("accepted", "Đã tiếp nhận"))

        threads = [
            threading.Thread(target=confirm, args=(actor, submission_id, barrier, outcomes)) for actor in ("an", "binh")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done = [actor for actor, outcome in outcomes.items() if outcome.done]
        assert len(done) == 1, outcomes
        (other,) = {"an", "binh"} - set(done)
        refused = outcomes[other]
        assert refused.status is Status.ACCEPTED and refused.last is not None
        assert (refused.last.actor, refused.last.action) == (done[0], ReviewActionKind.CONFIRM), "who did it first"
        assert [state for state, _ in forward_rows(journal, submission_id)] == [ForwardState.PENDING]
        with journal.engine.connect() as conn:
            sent = conn.execute(select(notifications.c.id).where(notifications.c.submission_id == submission_id)).all()
        assert len(sent) == 1, "the citizen is told once"


def test_reject_send_back_and_reopen_are_recorded_and_tell_the_citizen(journal_url: str) -> None:
    journal = journal_for(journal_url)
    rejected = held_submission(journal, "rej")
    outcome = journal.review.reject(rejected, "an", "not-pakn", "Không phải phản ánh", ("rejected", "Không nhận"))
    assert outcome.done and outcome.notification_id is not None
    stored = journal.reading.get(rejected)
    assert stored is not None and stored.status is Status.REJECTED and stored.verdict == "rejected"
    assert [f.code for f in stored.findings] == ["staff-not-pakn"]
    assert not journal.review.confirm(rejected, "binh").done, "a rejected case is not confirmed"
    assert [state for state, _ in forward_rows(journal, rejected)] == [ForwardState.HELD], "never sent"
    # A person reopens it: held again, its kept forward confirmed and sent.
    assert journal.review.reopen(rejected, "binh", "Từ chối nhầm").status is Status.HELD
    confirmed = journal.review.confirm(rejected, "binh")
    assert confirmed.done and confirmed.forward_id is not None

    asked = held_submission(journal, "ask")
    outcome = journal.review.send_back(asked, "an", "Xin cho biết số nhà", ("needs_information", "Cần bổ sung"))
    assert outcome.done and outcome.status is Status.NEEDS_INFORMATION
    stored = journal.reading.get(asked)
    assert stored is not None and stored.status is Status.NEEDS_INFORMATION and stored.waiting_since is not None
    assert [w.id for w in journal.waiting.waiting_for_information(datetime.now(UTC) + timedelta(days=1))] == [asked]
    trail = journal.triage_inbox.actions(asked)
    assert (trail[-1].action, trail[-1].before, trail[-1].after, trail[-1].reason) == (
        ReviewActionKind.SEND_BACK,
        "held",
        "needs_information",
        "Xin cho biết số nhà",
    )


def test_reopening_a_case_the_normalizer_rejected_writes_its_forward_held(journal_url: str) -> None:
    journal = journal_for(journal_url)
    body = b'{"content": "x"}'
    (receipt,) = journal.intake.record([RawSubmission(Channel.API, "nr", body, "application/json", datetime.now(UTC))])
    journal.normalization.claim_submissions([receipt.submission_id], timedelta(seconds=30))
    outside = Finding("outside-jurisdiction", Severity.REJECT, "Ngoài tỉnh", rule="place")
    result = NormalizationResult(Verdict.REJECTED, (outside,), NormalizedCase(content="x"))
    journal.normalization.finish_normalizations([Verdicted(receipt.submission_id, result)])
    assert forward_rows(journal, receipt.submission_id) == []
    outcome = journal.review.reopen(receipt.submission_id, "an", "Không phải trùng", ("pakn-key", '{"a":1}'))
    assert outcome.done and forward_rows(journal, receipt.submission_id) == [(ForwardState.HELD, '{"a":1}')]
    assert not journal.review.reopen(receipt.submission_id, "binh", "lần hai").done, "already reopened"
    hour = timedelta(hours=1)
    overridden = journal.triage_inbox.overrides(datetime.now(UTC) - hour, datetime.now(UTC) + hour)
    assert overridden == {"outside-jurisdiction": 1}, "a reopening overrides the findings that rejected it"


def test_replay_never_sends_a_held_forward_and_a_completion_after_a_send_back_replaces_it(journal_url: str) -> None:
    journal = journal_for(journal_url)
    submission_id = held_submission(journal, "replayed")
    stored = journal.reading.get(submission_id)
    assert stored is not None
    assert journal.operators.replay(failed=True, stuck=True, tracking_code=stored.tracking_code)[1] == 0
    assert journal.operators.replay(failed=True, stuck=True) == (0, 0)
    assert [state for state, _ in forward_rows(journal, submission_id)] == [ForwardState.HELD]
    # Sent back; the citizen completes it; the normalizer accepts it and this time does not hold it.
    assert journal.review.send_back(submission_id, "an", "Xin cho biết số nhà", None).done
    completion = RawSubmission(Channel.API, "replayed-2", b'{"address": "5"}', "application/json", datetime.now(UTC))
    assert journal.intake.amend(submission_id, completion)
    journal.normalization.claim_submissions([submission_id], timedelta(seconds=30))
    result = NormalizationResult(Verdict.ACCEPTED, (), NormalizedCase(content="x", category="xay-dung"))
    payload = '{"category":"xay-dung"}'
    recorded = journal.normalization.finish_normalizations(
        [Verdicted(submission_id, result, payload, f"pakn-{stored.tracking_code}")]
    )
    assert forward_rows(journal, submission_id) == [(ForwardState.PENDING, payload)]
    assert len(recorded.forward_ids) == 1


def test_a_chosen_agency_goes_out_in_the_payloads_routing_keys_and_a_derived_one_counts_against_no_rule(
    journal_url: str,
) -> None:
    journal = journal_for(journal_url)
    submission_id = held_submission(journal, "agency-1")
    suggested = {"agency": "UBND phường Nha Trang", "level": "commune", "reason": "Vụ việc tại địa bàn", "step": "x"}
    # A corrected field has the agency suggested anew: recorded, but no one overrode the routing rule.
    assert journal.review.correct(submission_id, "an", "agency", suggested, derived=True).done
    chosen = {"agency": "Sở Xây dựng", "level": "province", "reason": "Cán bộ duyệt chọn", "step": "review"}
    assert journal.review.correct(submission_id, "an", "agency", chosen, "Công trình cấp tỉnh").done
    ((state, payload),) = forward_rows(journal, submission_id)
    # The held payload had no routing keys (a 1.0 body): none are added; the case keeps the routing.
    assert state == ForwardState.HELD and "suggested_agency" not in json.loads(payload)
    stored = journal.reading.get(submission_id)
    assert stored is not None and stored.normalized is not None and stored.normalized["routing"] == chosen
    hour = timedelta(hours=1)
    since, until = datetime.now(UTC) - hour, datetime.now(UTC) + hour
    assert journal.triage_inbox.corrections(since, until) == {"correct:agency": 1}
    assert journal.triage_inbox.overrides(since, until) == {"routing": 1}
    trail = journal.triage_inbox.actions(submission_id)
    assert [(a.field, a.reason) for a in trail if a.action is ReviewActionKind.CORRECT] == [
        ("agency", None), ("agency", "Công trình cấp tỉnh")
    ]  # fmt: skip

    # A 1.1 body has the routing keys: they follow the chosen agency.
    other = held_submission(journal, "agency-2")
    with journal.engine.begin() as conn:
        body = {"tracking_code": "x", "suggested_agency": "UBND", "level": "commune", "routing_reason": "r"}
        conn.execute(forwards.update().where(forwards.c.submission_id == other).values(payload=json.dumps(body)))
    assert journal.review.correct(other, "an", "agency", chosen).done
    ((_, payload),) = forward_rows(journal, other)
    sent = json.loads(payload)
    assert (sent["suggested_agency"], sent["level"], sent["routing_reason"]) == (
        "Sở Xây dựng",
        "province",
        "Cán bộ duyệt chọn",
    )


def test_a_summary_staff_write_goes_out_in_a_1_2_body_only_and_overrides_no_rule(journal_url: str) -> None:
    journal = journal_for(journal_url)
    hour = timedelta(hours=1)
    since, until = datetime.now(UTC) - hour, datetime.now(UTC) + hour
    summary = "Cống thoát nước số 35 Nguyễn Thiện Thuật vỡ nắp, nguy hiểm cho người đi đường."
    bodies = {"1.1": {"tracking_code": "x", "subject": None}, "1.2": {"tracking_code": "x", "summary": None}}
    for version, body in bodies.items():
        held = held_submission(journal, f"summary-{version}")
        with journal.engine.begin() as conn:
            conn.execute(forwards.update().where(forwards.c.submission_id == held).values(payload=json.dumps(body)))
        assert journal.review.correct(held, "an", "summary", summary, "Nội dung dài").done
        ((state, payload),) = forward_rows(journal, held)
        sent = json.loads(payload)
        # A body pinned to 1.1 gets no key it does not know; a 1.2 body carries the summary.
        assert state == ForwardState.HELD and sent.get("summary") == (summary if version == "1.2" else None)
        assert ("summary" in sent) is (version == "1.2")
        stored = journal.reading.get(held)
        assert stored is not None and stored.normalized is not None and stored.normalized["summary"] == summary
        (action,) = [a for a in journal.triage_inbox.actions(held) if a.action is ReviewActionKind.CORRECT]
        assert (action.field, action.after, action.reason) == ("summary", summary, "Nội dung dài")
    assert journal.triage_inbox.corrections(since, until) == {"correct:summary": 2}
    assert journal.triage_inbox.overrides(since, until) == {}, "writing a summary corrects no rule of the normalizer"


def test_the_fields_of_one_form_are_corrected_all_or_none(journal_url: str) -> None:
    """One form's corrections in one transaction: someone acting since the page was read refuses them all,
    not the fields after the first; read afresh, all are applied, each its own line of the trail."""
    journal = journal_for(journal_url)
    held = held_submission(journal, "all-or-none")
    (seen,) = [a.id for a in journal.triage_inbox.actions(held)]  # the hold's own line: what the page showed
    shown = journal.reading.get(held)
    assert shown is not None and shown.normalized is not None and shown.normalized["category"] != "xay-dung"
    assert journal.review.correct(held, "binh", "urgency", "urgent", "Nguy hiểm", seen=seen).done  # another person
    form = [Correction("category", "xay-dung"), Correction("kind", "khieu_nai"), Correction("summary", "Tóm tắt")]
    late = journal.review.correct_all(held, "an", form, "Sửa theo nội dung", seen=seen)
    assert not late.done and late.last is not None and late.last.actor == "binh"
    stored = journal.reading.get(held)
    assert stored is not None and stored.normalized is not None
    assert stored.normalized == {**shown.normalized, "urgency": "urgent"}, "none of the late form's applied"
    fresh = journal.review.correct_all(held, "an", form, "Sửa theo nội dung", seen=late.last.id)
    assert fresh.done
    trail = [
        (a.actor, a.field, a.after) for a in journal.triage_inbox.actions(held) if a.action is ReviewActionKind.CORRECT
    ]
    assert trail == [
        ("binh", "urgency", "urgent"), ("an", "category", "xay-dung"), ("an", "kind", "khieu_nai"),
        ("an", "summary", "Tóm tắt"),
    ]  # fmt: skip
    again = journal.review.correct_all(held, "an", form, seen=fresh.last.id if fresh.last else None)
    assert not again.done, "nothing changed: nothing recorded"


def held_case(journal: Journal, source_id: str, case: NormalizedCase) -> int:
    body = json.dumps({"content": case.content}).encode()
    (receipt,) = journal.intake.record(
        [RawSubmission(Channel.API, source_id, body, "application/json", datetime.now(UTC))]
    )
    journal.normalization.claim_submissions([receipt.submission_id], timedelta(seconds=30))
    result = NormalizationResult(Verdict.ACCEPTED, (), case)
    verdict = Verdicted(receipt.submission_id, result, "{}", f"pakn-{receipt.tracking_code}", held_for=("no-field",))
    journal.normalization.finish_normalizations([verdict])
    return receipt.submission_id


def test_the_lists_filter_by_due_time_sort_by_it_and_find_a_phone_and_every_word(journal_url: str) -> None:
    journal = journal_for(journal_url)
    zone = timezone(timedelta(hours=7))
    now = datetime.now(zone)
    late = held_case(journal, "late", NormalizedCase(content="Cống thoát nước bị tắc", due_at=now - timedelta(days=1)))
    soon = held_case(
        journal, "soon",
        NormalizedCase(content="Đèn đường hỏng", due_at=now + timedelta(hours=20), phone="+84905123456",
                       phone_text="0905 123 456"),
    )  # fmt: skip
    later = held_case(journal, "later", NormalizedCase(content="Rác thải ven đường", due_at=now + timedelta(days=5)))
    undated = held_case(journal, "undated", NormalizedCase(content="Tiếng ồn công trình"))

    def ids(**query: object) -> list[int]:
        return [r.id for r in journal.triage_inbox.inbox(InboxQuery(Status.HELD, **query))]  # type: ignore[arg-type]

    assert ids() == [late, soon, later, undated], "the longest waiting first"
    assert ids(sort="newest") == [undated, later, soon, late]
    assert ids(sort="due") == [late, soon, later, undated], "nearest due first, none last"
    assert ids(due_before=now) == [late], "overdue"
    assert ids(due_before=now + timedelta(days=1)) == [late, soon]
    assert ids(phones=("+84905123456", "0905123456")) == [soon]
    assert ids(search="đường hỏng") == [soon], "each word, anywhere"
    assert ids(search="đường tắc") == []
    assert journal.triage_inbox.counts()[Status.HELD] == 4 and journal.triage_inbox.counts()[Status.FAILED] == 0
    # Why each was held is on its row, and a list of one reason is one filter away.
    assert {r.held_for for r in journal.triage_inbox.inbox(InboxQuery(Status.HELD))} == {("no-field",)}
    assert ids(held_for="no-field") == [late, soon, later, undated] and ids(held_for="no-commune") == []


def test_a_failed_submission_is_made_due_again_and_the_retry_recorded_only_while_it_is_failed(journal_url: str) -> None:
    journal = journal_for(journal_url)
    body = '{"content": "Cống tắc", "phone": "0905111222"}'.encode()
    (receipt,) = journal.intake.record([RawSubmission(Channel.API, "f", body, "application/json", datetime.now(UTC))])
    journal.normalization.claim_submissions([receipt.submission_id], timedelta(seconds=30))
    journal.normalization.normalization_failed(receipt.submission_id, "boom", None)
    (row,) = journal.triage_inbox.inbox(InboxQuery(Status.FAILED))
    assert row.id == receipt.submission_id and (row.raw, row.content_type) == (body, "application/json")
    # No normalized case to search: its journaled bytes are (a phone as written, a code).
    assert [r.id for r in journal.triage_inbox.inbox(InboxQuery(Status.FAILED, phones=("0905111222",)))] == [row.id]
    assert journal.triage_inbox.inbox(InboxQuery(Status.FAILED, phones=("0905999999",))) == []
    subs, fwds = journal.operators.replay(failed=True, stuck=True, tracking_code=receipt.tracking_code)
    outcome = journal.review.note_retry(receipt.submission_id, "an", subs + fwds)
    assert outcome.done and outcome.status is Status.RECEIVED
    assert outcome.last is not None and outcome.last.action is ReviewActionKind.RETRY
    assert journal.triage_inbox.inbox(InboxQuery(Status.FAILED)) == []
    # Nothing was touched (it was no longer failed): refused, nothing recorded.
    refused = journal.review.note_retry(receipt.submission_id, "binh", 0)
    assert not refused.done and refused.last is not None and refused.last.actor == "an"
    hour = timedelta(hours=1)
    assert journal.triage_inbox.corrections(datetime.now(UTC) - hour, datetime.now(UTC) + hour) == {"retry:status": 1}


def test_an_action_on_a_page_older_than_the_last_change_is_refused_and_shows_that_change(journal_url: str) -> None:
    journal = journal_for(journal_url)
    submission_id = held_submission(journal, "seen-1")
    (held,) = journal.triage_inbox.actions(submission_id)
    corrected = journal.review.correct(submission_id, "an", "category", "xay-dung", seen=held.id)
    assert corrected.done and corrected.last is not None
    # Binh opened the page before An's correction: nothing of hers is done, and she is shown An's.
    for refused in (
        journal.review.confirm(submission_id, "binh", seen=held.id),
        journal.review.reject(submission_id, "binh", "repeat", "Trùng", None, seen=held.id),
        journal.review.send_back(submission_id, "binh", "Xin bổ sung", None, seen=held.id),
        journal.review.correct(submission_id, "binh", "kind", "khieu_nai", seen=held.id),
    ):
        assert not refused.done and refused.status is Status.HELD
        assert refused.last is not None and refused.last.actor == "an"
    assert [a.actor for a in journal.triage_inbox.actions(submission_id)] == ["pakn", "an"]
    confirmed = journal.review.confirm(submission_id, "binh", seen=corrected.last.id)
    assert confirmed.done and confirmed.forward_id is not None


def test_a_failed_mail_of_undecodable_bytes_is_listed_and_found_by_the_phone_in_it(journal_url: str) -> None:
    journal = journal_for(journal_url)
    raw = b"Subject: \xff\xfe h\xe1ng 0905111333\r\n\r\n\xc0 body"  # 8-bit, not UTF-8: what made it fail
    (receipt,) = journal.intake.record([RawSubmission(Channel.EMAIL, "m", raw, "message/rfc822", datetime.now(UTC))])
    journal.normalization.claim_submissions([receipt.submission_id], timedelta(seconds=30))
    journal.normalization.normalization_failed(receipt.submission_id, "boom", None)
    found = journal.triage_inbox.inbox(InboxQuery(Status.FAILED, phones=("0905111333",)))
    assert [r.id for r in found] == [receipt.submission_id] and found[0].raw == raw
    assert journal.triage_inbox.inbox(InboxQuery(Status.FAILED, search="0905111444")) == []
    assert [r.id for r in journal.triage_inbox.inbox(InboxQuery(Status.FAILED, search="BODY"))] == [
        receipt.submission_id
    ]
