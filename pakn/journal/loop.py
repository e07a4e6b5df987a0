"""The agency <-> citizen loop: the case store's questions about a case, and the citizen's answers to them.

A question (``record_question``, from the signed callback ``POST /api/v1/case-store/questions``) is stored
once by its key, with the outbox row that relays it to the citizen on their channel, in one transaction.
The citizen's answer (``record_answer``, from whichever channel took it) closes the question with one
conditional ``UPDATE`` (the first answer wins, even with two channels answering at once) and writes a
``citizen_replies`` row: leased work like a forward, delivered to the case store by ``dispatcher.jobs.relay``
with its idempotency key, retried with backoff, given up after ``FORWARD_MAX_ATTEMPTS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from pakn.db import case_questions, citizen_replies, notifications, submissions, utcnow
from pakn.journal.leases import chunks
from pakn.journal.outbox import add_message
from pakn.journal.rows import record_of
from pakn.journal.storage import Storage
from pakn.records import CaseQuestion, Channel, CitizenAnswer, FailedWork, OpenQuestion, Reply, ReplyState

# The outbox kind of a relayed question: channels find the question their citizen answers by it.
QUESTION_KIND = "case-question"
# The outbox kind of the note that the answer was passed on.
ANSWERED_KIND = "case-answered"


def reply_key(question_key: str) -> str:
    """The idempotency key of the answer to one question: the same on every attempt, for ever."""
    return f"pakn-answer-{question_key[:40]}"


_OPEN_COLUMNS = (
    case_questions.c.id,
    case_questions.c.submission_id,
    submissions.c.tracking_code,
    case_questions.c.question_id,
    case_questions.c.question,
    case_questions.c.received_at,
    case_questions.c.notification_id,
    notifications.c.sent_at.label("relayed_at"),
)


class Loop:
    def __init__(self, storage: Storage) -> None:
        self.engine = storage.engine
        self._writer = storage.writer
        self.work = storage.replying
        self.stale_after = storage.stale_after

    # --- questions -----------------------------------------------------------------------------------------
    def record_question(self, question: CaseQuestion, message: str) -> tuple[bool, int | None]:
        """Store a question once (by its key) with the message relaying it; returns (known case, message id).

        The message id is None for a resend of a question already stored."""
        now = utcnow()
        with self._writer.begin() as conn:
            row = conn.execute(
                select(submissions.c.id).where(submissions.c.tracking_code == question.tracking_code)
            ).first()
            if row is None:
                return (False, None)
            seen = conn.execute(
                select(case_questions.c.id).where(case_questions.c.question_key == question.key)
            ).first()
            if seen is not None:
                return (True, None)
            notification_id = add_message(conn, row.id, QUESTION_KIND, message, now, now + self.stale_after)
            conn.execute(
                insert(case_questions).values(
                    submission_id=row.id,
                    question_key=question.key,
                    question_id=question.question_id,
                    question=question.question,
                    asked_at=question.asked_at,
                    received_at=now,
                    notification_id=notification_id,
                )
            )
            return (True, notification_id)

    def open_question(self, submission_id: int) -> OpenQuestion | None:
        """The latest question to this submission's citizen that has no answer yet."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*_OPEN_COLUMNS)
                .join(submissions, submissions.c.id == case_questions.c.submission_id)
                .outerjoin(notifications, notifications.c.id == case_questions.c.notification_id)
                .where(case_questions.c.submission_id == submission_id, case_questions.c.answered_at.is_(None))
                .order_by(case_questions.c.id.desc())
                .limit(1)
            ).first()
        return record_of(OpenQuestion, row) if row else None

    def open_question_relayed_by(self, notification_ids: Sequence[int]) -> OpenQuestion | None:
        """The unanswered question one of these outbox rows relayed (a reply mail names our message)."""
        if not notification_ids:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*_OPEN_COLUMNS)
                .join(submissions, submissions.c.id == case_questions.c.submission_id)
                .outerjoin(notifications, notifications.c.id == case_questions.c.notification_id)
                .where(
                    case_questions.c.notification_id.in_(list(notification_ids)),
                    case_questions.c.answered_at.is_(None),
                )
                .order_by(case_questions.c.id.desc())
                .limit(1)
            ).first()
        return record_of(OpenQuestion, row) if row else None

    def open_question_of_source(self, channel: Channel, source_prefix: str) -> OpenQuestion | None:
        """The latest open question to a submission of ``channel`` whose source identity starts with
        ``source_prefix`` (a chat: ``"<chat id>:"``)."""
        return self._latest_open(
            submissions.c.channel == channel.value,
            submissions.c.source_id.startswith(source_prefix, autoescape=True),
        )

    def open_question_of_contact(self, channels: Sequence[Channel], contact_key: str) -> OpenQuestion | None:
        """The latest open question to a submission of these channels from this phone or e-mail (the
        normalizer's ``contact_key``): an SMS from the number a question was texted to."""
        return self._latest_open(
            submissions.c.channel.in_([c.value for c in channels]), submissions.c.contact_key == contact_key
        )

    def _latest_open(self, *whose: ColumnElement[bool]) -> OpenQuestion | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*_OPEN_COLUMNS)
                .join(submissions, submissions.c.id == case_questions.c.submission_id)
                .outerjoin(notifications, notifications.c.id == case_questions.c.notification_id)
                .where(*whose, case_questions.c.answered_at.is_(None))
                .order_by(case_questions.c.id.desc())
                .limit(1)
            ).first()
        return record_of(OpenQuestion, row) if row else None

    # --- answers -------------------------------------------------------------------------------------------
    def record_answer(self, answer: CitizenAnswer, ack: str | None = None) -> tuple[int | None, int | None]:
        """Close the question with this answer and queue it for the case store, in one transaction.

        Returns (reply id, id of the message ``ack`` to the citizen); (None, None) when the question was
        answered already (by this message before, or by another): nothing is stored."""
        now = utcnow()
        question = answer.question
        with self._writer.begin() as conn:
            closed = conn.execute(
                update(case_questions)
                .where(case_questions.c.id == question.id, case_questions.c.answered_at.is_(None))
                .values(answered_at=answer.answered_at)
            ).rowcount
            if closed != 1:
                return (None, None)
            key = conn.execute(
                select(case_questions.c.question_key).where(case_questions.c.id == question.id)
            ).scalar_one()
            reply_id = conn.execute(
                insert(citizen_replies)
                .values(
                    submission_id=question.submission_id,
                    question_id=question.id,
                    idempotency_key=reply_key(key),
                    source_id=answer.source_id[:255],
                    channel=answer.channel.value,
                    answer=answer.text,
                    answered_at=answer.answered_at,
                    state=ReplyState.PENDING,
                    attempts=0,
                    due_at=now + self.stale_after,
                    created_at=now,
                )
                .returning(citizen_replies.c.id)
            ).scalar_one()
            ack_id = None
            if ack is not None:
                ack_id = add_message(conn, question.submission_id, ANSWERED_KIND, ack, now, now + self.stale_after)
        return (int(reply_id), ack_id)

    def answered_by(self, source_id: str) -> tuple[int, str] | None:
        """(submission id, tracking code) of the answer a channel's message gave, if it gave one."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(citizen_replies.c.submission_id, submissions.c.tracking_code)
                .join(submissions, submissions.c.id == citizen_replies.c.submission_id)
                .where(citizen_replies.c.source_id == source_id[:255])
                .limit(1)
            ).first()
        return (int(row.submission_id), str(row.tracking_code)) if row else None

    def answers_of(self, submission_id: int) -> list[tuple[str, str | None]]:
        """Each question to this submission's citizen, oldest first, with the answer given (None: none yet)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(case_questions.c.question, citizen_replies.c.answer)
                .outerjoin(citizen_replies, citizen_replies.c.question_id == case_questions.c.id)
                .where(case_questions.c.submission_id == submission_id)
                .order_by(case_questions.c.id)
            ).all()
        return [(r.question, r.answer) for r in rows]

    # --- delivery to the case store (leased work) ----------------------------------------------------------
    def claim_replies(self, reply_ids: Sequence[int], lease: timedelta) -> list[Reply]:
        with self._writer.begin() as conn:
            taken = [row.id for row in self.work.claim(conn, reply_ids, lease, utcnow(), citizen_replies.c.id)]
            rows = [
                row
                for chunk in chunks(taken)
                for row in conn.execute(
                    select(
                        citizen_replies.c.id,
                        citizen_replies.c.submission_id,
                        submissions.c.tracking_code,
                        case_questions.c.question_id,
                        citizen_replies.c.idempotency_key,
                        citizen_replies.c.channel,
                        citizen_replies.c.answer,
                        citizen_replies.c.answered_at,
                        citizen_replies.c.attempts,
                    )
                    .join(submissions, submissions.c.id == citizen_replies.c.submission_id)
                    .join(case_questions, case_questions.c.id == citizen_replies.c.question_id)
                    .where(citizen_replies.c.id.in_(chunk))
                )
            ]
        return sorted((record_of(Reply, r, channel=Channel(r.channel)) for r in rows), key=lambda r: r.id)

    def replies_delivered(self, reply_ids: Sequence[int]) -> None:
        if not reply_ids:
            return
        now = utcnow()
        with self._writer.begin() as conn:
            for chunk in chunks(list(reply_ids)):
                self.work.finish(conn, citizen_replies.c.id.in_(chunk), state=ReplyState.DELIVERED, delivered_at=now)

    def reply_retry_later(self, reply_id: int, error: str, delay: timedelta, refund: bool = False) -> None:
        now = utcnow()
        with self._writer.begin() as conn:
            self.work.retry_later(conn, citizen_replies.c.id == reply_id, error, now + delay, now, refund=refund)

    def reply_failed(self, reply_id: int, error: str) -> None:
        with self._writer.begin() as conn:
            self.work.give_up(conn, citizen_replies.c.id == reply_id, error, utcnow())

    def due_replies(self, now: datetime, limit: int = 1000) -> list[int]:
        return self.work.due(now, limit)

    def failed_replies(self) -> list[FailedWork]:
        """Answers the case store refused or never took, for ``pakn dead list``."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(submissions.c.tracking_code, citizen_replies.c.attempts, citizen_replies.c.last_error)
                .join(submissions, submissions.c.id == citizen_replies.c.submission_id)
                .where(self.work.failed)
                .order_by(citizen_replies.c.id)
            ).all()
        return [FailedWork("answer", r.tracking_code, r.attempts, r.last_error) for r in rows]

    def replay_failed(self) -> int:
        """Failed answers are sent again with all their attempts (``pakn replay --failed``)."""
        with self._writer.begin() as conn:
            return self.work.replay(conn, self.work.failed, utcnow())
