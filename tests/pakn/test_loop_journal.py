"""The journal's side of the agency <-> citizen loop, on SQLite and PostgreSQL: a question stored once with
the message relaying it, the first answer closing it (also when two answers race), the answer's delivery as
leased work (claimed once, retried, given up, replayed)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from pakn.journal.loop import ANSWERED_KIND, QUESTION_KIND
from pakn.journal.ratings import RATING_KIND
from pakn.records import RATINGS, CaseQuestion, CaseUpdate, Channel, CitizenAnswer
from tests.pakn.test_journal import journal_for, raw


def question(code: str, question_id: str = "q1", text: str = "Ông/Bà ở số nhà nào?") -> CaseQuestion:
    return CaseQuestion(code, question_id, f"{code}:{question_id}", text)


def test_a_question_is_stored_once_with_its_message_and_closed_by_the_first_answer(journal_url: str) -> None:
    journal = journal_for(journal_url)
    (receipt,) = journal.intake.record([raw("loop-1")])
    code = receipt.tracking_code
    assert journal.loop.record_question(question("PAKN-0000-0000"), "x") == (False, None)
    known, message_id = journal.loop.record_question(question(code), "Câu hỏi")
    assert known and message_id is not None
    assert journal.loop.record_question(question(code), "Câu hỏi") == (True, None), "a resend stores nothing"
    assert [m.kind for m in journal.reading.notifications_of(receipt.submission_id)] == [QUESTION_KIND]

    open_question = journal.loop.open_question(receipt.submission_id)
    assert open_question is not None and open_question.question_id == "q1" and open_question.tracking_code == code
    assert journal.loop.open_question_relayed_by([message_id]) == open_question
    assert journal.loop.open_question_relayed_by([message_id + 1000]) is None

    now = datetime.now(UTC)
    answers = [CitizenAnswer(open_question, Channel.EMAIL, f"mail-{n}", f"Trả lời {n}", now) for n in range(6)]
    results: list[tuple[int | None, int | None]] = []
    threads = [
        threading.Thread(target=lambda a=a: results.append(journal.loop.record_answer(a, "Đã chuyển"))) for a in answers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = [r for r in results if r[0] is not None]
    assert len(taken) == 1, "one answer per question, however many arrive at once"
    assert journal.loop.open_question(receipt.submission_id) is None
    kinds = [m.kind for m in journal.reading.notifications_of(receipt.submission_id)]
    assert kinds == [QUESTION_KIND, ANSWERED_KIND]
    ((asked, answered),) = journal.loop.answers_of(receipt.submission_id)
    assert asked == "Ông/Bà ở số nhà nào?" and answered is not None and answered.startswith("Trả lời ")

    # A second question opens again; the latest unanswered one is the open one.
    journal.loop.record_question(question(code, "q2", "Lúc mấy giờ?"), "Câu hỏi 2")
    again = journal.loop.open_question(receipt.submission_id)
    assert again is not None and again.question_id == "q2"


def test_an_answer_is_leased_work_delivered_once(journal_url: str) -> None:
    journal = journal_for(journal_url)
    (receipt,) = journal.intake.record([raw("loop-2")])
    journal.loop.record_question(question(receipt.tracking_code), "Câu hỏi")
    open_question = journal.loop.open_question(receipt.submission_id)
    assert open_question is not None
    answer = CitizenAnswer(open_question, Channel.TELEGRAM, "tg:1", "Số 14", datetime.now(UTC))
    reply_id, ack_id = journal.loop.record_answer(answer)
    assert reply_id is not None and ack_id is None

    lease = timedelta(seconds=30)
    (reply,) = journal.loop.claim_replies([reply_id], lease)
    assert (reply.tracking_code, reply.question_id, reply.answer, reply.channel) == (
        receipt.tracking_code,
        "q1",
        "Số 14",
        Channel.TELEGRAM,
    )
    assert reply.attempts == 1 and reply.idempotency_key.startswith("pakn-answer-")
    assert journal.loop.claim_replies([reply_id], lease) == [], "a leased answer is not taken twice"
    journal.loop.reply_retry_later(reply_id, "HTTP 503", timedelta(0))
    assert reply_id in journal.loop.due_replies(datetime.now(UTC) + timedelta(seconds=1))
    (again,) = journal.loop.claim_replies([reply_id], lease)
    assert again.attempts == 2 and again.idempotency_key == reply.idempotency_key, "the same key on every try"
    journal.loop.reply_failed(reply_id, "HTTP 400")
    assert journal.loop.due_replies(datetime.now(UTC) + timedelta(days=1)) == []
    assert journal.loop.replay_failed() == 1
    (replayed,) = journal.loop.claim_replies([reply_id], lease)
    assert replayed.attempts == 1
    journal.loop.replies_delivered([reply_id])
    assert journal.loop.claim_replies([reply_id], lease) == []
    assert journal.loop.due_replies(datetime.now(UTC) + timedelta(days=1)) == []


def test_a_resolved_case_asks_for_a_rating_once_and_the_first_rating_counts(journal_url: str) -> None:
    journal = journal_for(journal_url)
    (receipt,) = journal.intake.record([raw("rate-1")])
    code = receipt.tracking_code
    known, ids = journal.updates.record_case_update_ids(CaseUpdate(code, "in_progress", "k0"), "Đang xử lý", "Đánh giá")
    assert known and len(ids) == 1, "only a resolved case is asked"
    assert journal.ratings.open_request(receipt.submission_id) is None
    known, ids = journal.updates.record_case_update_ids(
        CaseUpdate(code, "resolved", "k1", answer="Xong"), "Xong", "Đánh giá"
    )
    assert len(ids) == 2, "the update's message, then the request to rate"
    known, ids = journal.updates.record_case_update_ids(
        CaseUpdate(code, "resolved", "k2", answer="Xong"), "Xong", "Đánh giá"
    )
    assert len(ids) == 1, "resolved again: not asked again"
    kinds = [m.kind for m in journal.reading.notifications_of(receipt.submission_id)]
    assert kinds.count(RATING_KIND) == 1

    request = journal.ratings.open_request(receipt.submission_id)
    assert request is not None and request.tracking_code == code
    results: dict[int, tuple[bool, int | None]] = {}

    def rate(n: int) -> None:
        assert request is not None
        comment, source = f"ý kiến {n}", f"sms-{n}"
        results[n] = journal.ratings.record_rating(request, RATINGS[n % 4], comment, Channel.SMS, source, "Cảm ơn")

    threads = [threading.Thread(target=rate, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Any of the six may win the race (the threads' order is the scheduler's): exactly one does.
    (winner,) = [n for n, (taken, _) in results.items() if taken]
    assert len(results) == 6, "one rating per case"
    assert journal.ratings.open_request(receipt.submission_id) is None
    assert journal.ratings.rating_of(receipt.submission_id) == (RATINGS[winner % 4], f"ý kiến {winner}")
    assert journal.ratings.rated_by(f"sms-{winner}") == (receipt.submission_id, code)
    assert [n for n in range(6) if journal.ratings.rated_by(f"sms-{n}") is not None] == [winner]

    (rating,) = journal.ratings.claim_ratings([request.id], timedelta(seconds=30))
    assert rating.idempotency_key == f"pakn-rating-{code}" and rating.channel is Channel.SMS
    assert journal.ratings.claim_ratings([request.id], timedelta(seconds=30)) == []
    journal.ratings.rating_failed(request.id, "HTTP 400")
    assert journal.ratings.replay_failed() == 1
    journal.ratings.ratings_delivered([request.id])
    assert journal.ratings.due_ratings(datetime.now(UTC) + timedelta(days=1)) == []
