"""Reading the journal: submissions, what was added to them, told about them, and answered."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from pakn.db import amendments, case_updates, notifications, submissions
from pakn.journal.leases import chunks
from pakn.journal.storage import Storage, stored_submission
from pakn.records import (
    CaseAnswer,
    Channel,
    EarlierCase,
    SentMessage,
    Status,
    StoredAmendment,
    StoredSubmission,
    WaitingSubmission,
)

# Submissions that became (or are becoming) cases: what a repeat is linked to.
_CASE_STATUSES = (Status.ACCEPTED.value, Status.HELD.value, Status.FORWARDED.value, Status.FAILED.value)


class Reading:
    def __init__(self, storage: Storage) -> None:
        self.engine = storage.engine

    def get(self, submission_id: int) -> StoredSubmission | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(submissions).where(submissions.c.id == submission_id)).first()
        return stored_submission(row) if row else None

    def get_by_code(self, tracking_code: str) -> StoredSubmission | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(submissions).where(submissions.c.tracking_code == tracking_code)).first()
        return stored_submission(row) if row else None

    def get_by_code_as_told(self, tracking_code: str) -> tuple[StoredSubmission, int | None] | None:
        """A submission with the newest message its outbox held at that moment, read in one statement.

        A status and the message telling it are written together, so every message up to that id told a
        status no newer than the one read, and any later one a status no older."""
        last_message = (
            select(func.max(notifications.c.id))
            .where(notifications.c.submission_id == submissions.c.id)
            .scalar_subquery()
            .label("last_message_id")
        )
        with self.engine.connect() as conn:
            row = conn.execute(
                select(submissions, last_message).where(submissions.c.tracking_code == tracking_code)
            ).first()
        return (stored_submission(row), row.last_message_id) if row else None

    def get_by_source(self, channel: Channel, source_id: str) -> StoredSubmission | None:
        """The submission a channel's message became (a redelivery is recognised before anything else)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(submissions).where(submissions.c.channel == channel.value, submissions.c.source_id == source_id)
            ).first()
        return stored_submission(row) if row else None

    def amendments_of_many(self, submission_ids: Sequence[int]) -> dict[int, list[StoredAmendment]]:
        found: dict[int, list[StoredAmendment]] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(list(submission_ids)):
                rows = conn.execute(
                    select(amendments).where(amendments.c.submission_id.in_(chunk)).order_by(amendments.c.id)
                )
                for r in rows:
                    found.setdefault(r.submission_id, []).append(
                        StoredAmendment(r.source_id, r.content_type, r.raw, r.received_at)
                    )
        return found

    def has_amendment(self, submission_id: int, source_id: str) -> bool:
        """Whether what this source sent was added to the submission already."""
        with self.engine.connect() as conn:
            seen = conn.execute(
                select(amendments.c.id).where(
                    amendments.c.submission_id == submission_id, amendments.c.source_id == source_id
                )
            ).first()
        return seen is not None

    def latest_waiting(self, channel: Channel, source_prefix: str) -> WaitingSubmission | None:
        """The latest submission of ``channel`` whose source identity starts with ``source_prefix`` (a chat)
        that waits for its author to add information."""
        found = self._waiting(channel, submissions.c.source_id.startswith(source_prefix, autoescape=True), 1)
        return found[0] if found else None

    def waiting_of_contact(self, channel: Channel, contact_key: str, limit: int = 20) -> list[WaitingSubmission]:
        """Submissions of ``channel`` from this phone or e-mail (the normalizer's ``contact_key``) that wait
        for information, latest first: the channel checks which its sender may complete."""
        return self._waiting(channel, submissions.c.contact_key == contact_key, limit)

    def _waiting(self, channel: Channel, whose: ColumnElement[bool], limit: int) -> list[WaitingSubmission]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(submissions.c.id, submissions.c.tracking_code, submissions.c.raw, submissions.c.content_type)
                .where(
                    submissions.c.channel == channel.value,
                    submissions.c.status == Status.NEEDS_INFORMATION.value,
                    whose,
                )
                .order_by(submissions.c.id.desc())
                .limit(limit)
            ).all()
        return [WaitingSubmission(r.id, r.tracking_code, r.raw, r.content_type) for r in rows]

    def amended_by(self, source_id: str) -> int | None:
        """The submission a message with this source identity was added to (a redelivered completion)."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(amendments.c.submission_id).where(amendments.c.source_id == source_id).limit(1)
            ).scalar_one_or_none()

    def received_from(
        self,
        source_prefix: str,
        since: datetime,
        until: datetime,
        statuses: Sequence[Status] = (),
        categories: Sequence[str] = (),
        limit: int = 1000,
    ) -> list[StoredSubmission]:
        """Submissions whose source identity starts with ``source_prefix`` (an Open311 app), received in
        [since, until], newest first; ``statuses`` and ``categories`` narrow it when given (a submission
        not yet categorised is kept for the caller to judge)."""
        query = select(submissions).where(
            submissions.c.source_id.startswith(source_prefix, autoescape=True),
            submissions.c.received_at >= since,
            submissions.c.received_at <= until,
        )
        if statuses:
            query = query.where(submissions.c.status.in_([s.value for s in statuses]))
        if categories:
            query = query.where(or_(submissions.c.category.in_(list(categories)), submissions.c.category.is_(None)))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(submissions.c.received_at.desc(), submissions.c.id.desc()).limit(limit))
            return [stored_submission(row) for row in rows]

    def notifications_of(self, submission_id: int) -> list[SentMessage]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(notifications.c.kind, notifications.c.message, notifications.c.created_at)
                .where(notifications.c.submission_id == submission_id)
                .order_by(notifications.c.id)
            ).all()
        return [SentMessage(r.kind, r.message, r.created_at) for r in rows]

    def answer_of(self, submission_id: int) -> CaseAnswer | None:
        """The case store's latest answer to a submission, for the public status view."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(case_updates.c.answer, case_updates.c.reported_at, case_updates.c.received_at)
                .where(
                    case_updates.c.submission_id == submission_id,
                    case_updates.c.status == "resolved",
                    case_updates.c.answer.is_not(None),
                )
                .order_by(case_updates.c.id.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        return CaseAnswer(row.answer, row.reported_at or row.received_at)

    def earlier_cases(
        self,
        contact_keys: Sequence[str],
        content_keys: Sequence[str],
        since: datetime,
        limit: int | None = None,
    ) -> list[EarlierCase]:
        """Recent cases from these people, or with this content, that new ones may repeat (newest first)."""
        conditions: list[ColumnElement[bool]] = []
        if contact_keys:
            conditions.append(submissions.c.contact_key.in_(list(contact_keys)))
        if content_keys:
            conditions.append(submissions.c.content_key.in_(list(content_keys)))
        if not conditions:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    submissions.c.tracking_code,
                    submissions.c.received_at,
                    submissions.c.contact_key,
                    submissions.c.content_key,
                    submissions.c.normalized,
                )
                .where(
                    or_(*conditions),
                    submissions.c.received_at >= since,
                    submissions.c.status.in_(_CASE_STATUSES),
                    submissions.c.repeat_of.is_(None),
                )
                .order_by(submissions.c.received_at.desc())
                .limit(limit)
            ).all()
        return [
            EarlierCase(
                tracking_code=r.tracking_code,
                received_at=r.received_at,
                contact_key=r.contact_key,
                content=json.loads(r.normalized or "{}").get("content", ""),
                content_key=r.content_key,
            )
            for r in rows
        ]
