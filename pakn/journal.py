"""The journal: every raw submission, durably, before anyone is acknowledged; and the state of each.

The journal, not Redis, is the source of truth.  Each row carries ``due_at``: the moment somebody
should look at it again.  A job that takes a row holds a lease (``lease_until``) so that two workers
never work on one row at once; a row whose job vanished (Redis lost its data, a worker was killed) is
found by the sweeper once ``due_at`` passes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Table, and_, bindparam, case, func, insert, or_, select, true, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.sql.elements import ColumnElement

from pakn import tracking
from pakn.db import DriverSql, amendments, case_updates, forwards, notifications, submissions, utcnow, writer
from pakn.notify import NOT_SENDABLE, Notification
from pakn.records import Channel, EarlierCase, NormalizationResult, Status, Verdict

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RawSubmission:
    """What a channel journals: the untouched payload and the identity of its source."""

    channel: Channel
    source_id: str
    payload: bytes
    content_type: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Receipt:
    """The journal's answer to a channel: the tracking code, and whether this was a repeat."""

    submission_id: int
    tracking_code: str
    duplicate: bool


@dataclass(frozen=True, slots=True)
class StoredSubmission:
    id: int
    tracking_code: str
    channel: Channel
    source_id: str
    content_type: str
    raw: bytes
    received_at: datetime
    status: Status
    verdict: str | None
    findings: list[dict[str, Any]]
    normalized: dict[str, Any] | None
    updated_at: datetime
    attempts: int
    waiting_since: datetime | None
    reminded_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredAmendment:
    source_id: str
    content_type: str
    raw: bytes
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Verdicted:
    """The normalizer's result for one submission, ready to be recorded."""

    submission_id: int
    result: NormalizationResult
    forward_payload: str | None = None
    idempotency_key: str | None = None
    notification: tuple[str, str] | None = None
    contact_key: str | None = None
    content_key: str | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording verdicts created: forwards to dispatch and messages to send."""

    forward_ids: list[int]
    notification_ids: list[int]


@dataclass(frozen=True, slots=True)
class CaseUpdate:
    """A status update from the case store about one case."""

    tracking_code: str
    status: str  # received | in_progress | resolved
    key: str  # unique per update: repeats of the same callback are recognised
    answer: str | None = None
    on_time: bool | None = None
    satisfaction: int | None = None
    reported_at: datetime | None = None


_STATUS_OF_UPDATE = {"received": Status.FORWARDED, "in_progress": Status.IN_PROGRESS, "resolved": Status.RESOLVED}
# How far a case has come: an update never moves it back.
_PROGRESS = [
    Status.RECEIVED,
    Status.NEEDS_INFORMATION,
    Status.REJECTED,
    Status.ACCEPTED,
    Status.FAILED,
    Status.FORWARDED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
]

# Submissions that became (or are becoming) cases: what a repeat is linked to.
_CASE_STATUSES = (Status.ACCEPTED.value, Status.FORWARDED.value, Status.FAILED.value)

# A submission `failed` in the normalizer has no forward; one `failed` at the case store has one.
FAILED_BEFORE_VERDICT = and_(
    submissions.c.status == Status.FAILED.value,
    ~select(forwards.c.id).where(forwards.c.submission_id == submissions.c.id).exists(),
)

_STATUS_OF_VERDICT = {
    Verdict.ACCEPTED: Status.ACCEPTED,
    Verdict.NEEDS_INFORMATION: Status.NEEDS_INFORMATION,
    Verdict.REJECTED: Status.REJECTED,
}


@dataclass(frozen=True, slots=True)
class Forward:
    id: int
    submission_id: int
    idempotency_key: str
    payload: str
    state: str
    attempts: int
    created_at: datetime


class ForwardState:
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


# What the intake writes for a new submission (in this order); the rest waits for the normalizer.
_INTAKE_COLUMNS = (
    "tracking_code",
    "channel",
    "source_id",
    "content_type",
    "raw",
    "raw_sha256",
    "received_at",
    "status",
    "confidential",
    "attempts",
    "due_at",
    "updated_at",
)


class _CodeCollision(Exception):
    """A new submission drew a tracking code already in use; the batch is rolled back and retried."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Journal:
    def __init__(
        self,
        engine: Engine,
        stale_after: timedelta = timedelta(seconds=30),
        new_code: Callable[[], str] = tracking.new_code,
    ) -> None:
        """``new_code`` draws tracking codes (random); a test passes a fixed sequence to force a collision."""
        self.engine = engine
        self._writer = writer(engine)
        self.stale_after = stale_after
        self._new_code = new_code
        self._sql = DriverSql(engine)
        self._insert_submission = self._sql.insert(
            submissions, _INTAKE_COLUMNS, on_conflict_do_nothing=True, returning=("id", "tracking_code")
        )

    # --- intake ----------------------------------------------------------------------------------------
    def writer_connection(self) -> Connection:
        """A connection for a writer that stores batch after batch (the group-commit writer, pakn/intake.py).

        Checking a connection out of the pool for every batch was a third of the writer's time.
        """
        return self._writer.connect()

    def record(self, raws: Sequence[RawSubmission], connection: Connection | None = None) -> list[Receipt]:
        """Store a batch in one transaction; a source identity seen before returns its first receipt.

        Committed before it returns: a channel may acknowledge the sender only after this call.
        ``connection`` (from ``writer_connection``) is used instead of one from the pool.
        """
        for _attempt in range(5):
            try:
                return self._record_once(raws, connection)
            except _CodeCollision:
                # Astronomically rarely a tracking code collided: nothing was stored, draw again.  (A
                # source identity stored in between by another process is no error: the insert skips
                # it and the read-back finds it.)
                continue
        return self._record_once(raws, connection)

    @contextmanager
    def _transaction(self, connection: Connection | None) -> Iterator[Connection]:
        if connection is None:
            with self._writer.begin() as conn:
                yield conn
        else:
            with connection.begin():
                yield connection

    def _record_once(self, raws: Sequence[RawSubmission], connection: Connection | None) -> list[Receipt]:
        now = utcnow()
        due_at = now + self.stale_after
        code_of: dict[tuple[str, str], str] = {}  # source identity -> the tracking code it gets if new
        rows: list[tuple[Any, ...]] = []
        for raw in raws:
            key = (raw.channel.value, raw.source_id)
            if key in code_of:
                continue
            code_of[key] = code = self._new_code()
            rows.append(
                (
                    code,
                    raw.channel.value,
                    raw.source_id,
                    raw.content_type,
                    raw.payload,
                    sha256(raw.payload),
                    raw.received_at,
                    Status.RECEIVED.value,
                    False,
                    0,
                    due_at,
                    now,
                )
            )
        known: dict[tuple[str, str], tuple[int, str]] = {}
        # Plain SQL on the driver's cursor: see DriverSql.
        with self._transaction(connection) as conn, closing(conn.connection.cursor()) as cursor:
            # A source identity stored before is left as it is (ON CONFLICT DO NOTHING), so what comes
            # back is exactly the new rows, known by the codes we drew.
            stored = {code: submission_id for submission_id, code in self._insert_submission.execute(cursor, rows)}
            by_channel: dict[str, list[str]] = {}
            for key, code in code_of.items():
                if code in stored:
                    known[key] = (stored[code], code)
                else:
                    by_channel.setdefault(key[0], []).append(key[1])
            # The others were sent before: their first id and code.  One channel at a time: `channel = ?
            # AND source_id IN (...)` searches the unique index, where a row-value IN scanned it whole.
            for channel, source_ids in by_channel.items():
                for chunk in _chunks(source_ids, 400):
                    cursor.execute(
                        "SELECT source_id, id, tracking_code FROM submissions"
                        f" WHERE channel = {self._sql.mark} AND source_id IN ({self._sql.marks(len(chunk))})",
                        (channel, *chunk),
                    )
                    for source_id, submission_id, code in cursor.fetchall():
                        known[(channel, source_id)] = (submission_id, code)
            if len(known) < len(code_of):
                # Only a colliding tracking code keeps a new row out: roll back and draw new codes.
                raise _CodeCollision
        receipts: list[Receipt] = []
        first_seen: set[tuple[str, str]] = set()
        for raw in raws:
            key = (raw.channel.value, raw.source_id)
            submission_id, code = known[key]
            duplicate = code != code_of[key] or key in first_seen
            first_seen.add(key)
            receipts.append(Receipt(submission_id, code, duplicate))
        return receipts

    def amend(self, submission_id: int, raw: RawSubmission) -> bool:
        """Add what the citizen sent later to the same submission and send it back to the normalizer.

        Returns False when the submission is not waiting for information (nothing is stored then).
        """
        now = utcnow()
        with self._writer.begin() as conn:
            status = conn.execute(
                select(submissions.c.status).where(submissions.c.id == submission_id)
            ).scalar_one_or_none()
            if status != Status.NEEDS_INFORMATION.value:
                return False
            seen = conn.execute(
                select(amendments.c.id).where(
                    amendments.c.submission_id == submission_id, amendments.c.source_id == raw.source_id
                )
            ).first()
            if seen is None:
                conn.execute(
                    insert(amendments).values(
                        submission_id=submission_id,
                        source_id=raw.source_id,
                        content_type=raw.content_type,
                        raw=raw.payload,
                        raw_sha256=sha256(raw.payload),
                        received_at=raw.received_at,
                    )
                )
            conn.execute(
                update(submissions)
                .where(submissions.c.id == submission_id)
                .values(
                    status=Status.RECEIVED.value,
                    attempts=0,
                    due_at=now + self.stale_after,
                    lease_until=None,
                    updated_at=now,
                )
            )
        return True

    # --- reading ---------------------------------------------------------------------------------------
    def get(self, submission_id: int) -> StoredSubmission | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(submissions).where(submissions.c.id == submission_id)).first()
        return _stored(row) if row else None

    def get_by_code(self, tracking_code: str) -> StoredSubmission | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(submissions).where(submissions.c.tracking_code == tracking_code)).first()
        return _stored(row) if row else None

    def notifications_of(self, submission_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(notifications.c.kind, notifications.c.message, notifications.c.created_at)
                .where(notifications.c.submission_id == submission_id)
                .order_by(notifications.c.id)
            ).all()
        return [{"kind": r.kind, "message": r.message, "created_at": r.created_at.isoformat()} for r in rows]

    # --- normalization ---------------------------------------------------------------------------------
    def claim_submissions(self, submission_ids: Sequence[int], lease: timedelta) -> list[StoredSubmission]:
        """Take received submissions for normalization, except those another worker holds (one transaction)."""
        with self._writer.begin() as conn:
            rows = self._claim(
                conn, submissions, submission_ids, submissions.c.status == Status.RECEIVED.value, lease, *submissions.c
            )
        return sorted((_stored(row) for row in rows), key=lambda stored: stored.id)

    @staticmethod
    def _claim(
        conn: Connection,
        table: Table,
        ids: Sequence[int],
        unfinished: ColumnElement[bool],
        lease: timedelta,
        *columns: ColumnElement[Any],
    ) -> list[Row[Any]]:
        """Lease the unfinished rows among ``ids`` that no worker holds (or whose lease ran out)."""
        now = utcnow()
        taken: list[Row[Any]] = []
        for chunk in _chunks(list(ids), 500):
            taken.extend(
                conn.execute(
                    update(table)
                    .where(
                        table.c.id.in_(chunk),
                        unfinished,
                        or_(table.c.lease_until.is_(None), table.c.lease_until < now),
                    )
                    .values(lease_until=now + lease, attempts=table.c.attempts + 1, due_at=now + lease)
                    .returning(*columns)
                ).all()
            )
        return taken

    def amendments_of_many(self, submission_ids: Sequence[int]) -> dict[int, list[StoredAmendment]]:
        found: dict[int, list[StoredAmendment]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(submission_ids), 500):
                rows = conn.execute(
                    select(amendments).where(amendments.c.submission_id.in_(chunk)).order_by(amendments.c.id)
                )
                for r in rows:
                    found.setdefault(r.submission_id, []).append(
                        StoredAmendment(r.source_id, r.content_type, r.raw, r.received_at)
                    )
        return found

    def finish_normalizations(self, verdicts: Sequence[Verdicted]) -> Recorded:
        """Record verdicts, the forward of each accepted one and the message to each citizen, in one
        transaction.

        A verdict for a submission that is no longer ``received`` (another run got there first) changes
        nothing.  Returns the forwards to dispatch (new, or existing and still pending) and the new
        messages to send.

        A few statements for the whole batch, each with many rows, and the values made before the
        transaction begins: it holds the journal's write lock, which every channel's intake waits for
        (one statement per verdict held it ~1.6 ms per verdict, ~180 ms per job under load).
        """
        now = utcnow()
        batch: dict[int, Verdicted] = {}
        for verdict in verdicts:
            batch.setdefault(verdict.submission_id, verdict)  # a second verdict for one row would find it done
        changes = {submission_id: self._verdict_values(v, now) for submission_id, v in batch.items()}
        wanted = [v for v in batch.values() if v.forward_payload is not None and v.idempotency_key is not None]
        recorded = Recorded([], [])
        with self._writer.begin() as conn:
            received: set[int] = set()
            for chunk in _chunks(list(batch), 500):
                received.update(
                    conn.execute(
                        select(submissions.c.id)
                        .where(submissions.c.id.in_(chunk), submissions.c.status == Status.RECEIVED.value)
                        .with_for_update()  # PostgreSQL: no other transaction changes them before ours ends
                    ).scalars()
                )
            if received:
                conn.execute(
                    update(submissions).where(submissions.c.id == bindparam("target_id")),
                    [changes[submission_id] for submission_id in received],
                )
            messages = [
                (v.submission_id, *v.notification)
                for v in batch.values()
                if v.notification is not None and v.submission_id in received
            ]
            recorded.notification_ids.extend(self._notify_many(conn, messages, now, now + self.stale_after))
            existing: dict[int, Any] = {}  # submission id -> (submission_id, id, state)
            for chunk in _chunks([v.submission_id for v in wanted], 500):
                existing.update(
                    (row.submission_id, row)
                    for row in conn.execute(
                        select(forwards.c.submission_id, forwards.c.id, forwards.c.state).where(
                            forwards.c.submission_id.in_(chunk)
                        )
                    )
                )
            recorded.forward_ids.extend(int(row.id) for row in existing.values() if row.state == ForwardState.PENDING)
            new = [
                {
                    "submission_id": v.submission_id,
                    "idempotency_key": v.idempotency_key,
                    "payload": v.forward_payload,
                    "state": ForwardState.PENDING,
                    "attempts": 0,
                    "due_at": now + self.stale_after,
                    "created_at": now,
                }
                for v in wanted
                if v.submission_id not in existing and v.submission_id in received
            ]
            if new:
                recorded.forward_ids.extend(
                    conn.execute(insert(forwards).returning(forwards.c.id, sort_by_parameter_order=True), new).scalars()
                )
        return recorded

    @staticmethod
    def _verdict_values(verdict: Verdicted, now: datetime) -> dict[str, Any]:
        result = verdict.result
        status = _STATUS_OF_VERDICT[result.verdict]
        return {
            "target_id": verdict.submission_id,
            "status": status.value,
            "verdict": result.verdict.value,
            "findings": json.dumps([f.as_json() for f in result.findings], ensure_ascii=False),
            "normalized": json.dumps(result.case.as_json(), ensure_ascii=False),
            "category": result.case.category,
            "confidential": result.case.confidential,
            "lease_until": None,
            "due_at": None,
            "updated_at": now,
            "waiting_since": now if status is Status.NEEDS_INFORMATION else None,
            "reminded_at": None,
            "contact_key": verdict.contact_key,
            "content_key": verdict.content_key,
            "repeat_of": result.case.repeat_of,
        }

    @staticmethod
    def _notify(conn: Connection, submission_id: int, kind: str, message: str, now: datetime, due: datetime) -> int:
        (notification_id,) = Journal._notify_many(conn, [(submission_id, kind, message)], now, due)
        return notification_id

    @staticmethod
    def _notify_many(
        conn: Connection, messages: Sequence[tuple[int, str, str]], now: datetime, due: datetime
    ) -> list[int]:
        """Store messages (submission id, kind, text) to send; their ids, in the same order."""
        if not messages:
            return []
        rows = [
            {"submission_id": submission_id, "kind": kind, "message": message, "created_at": now, "due_at": due}
            for submission_id, kind, message in messages
        ]
        return [
            int(i)
            for i in conn.execute(
                insert(notifications).returning(notifications.c.id, sort_by_parameter_order=True), rows
            ).scalars()
        ]

    def release_submissions(self, submission_ids: Sequence[int]) -> None:
        """Give back rows a job took but will not work on (that take does not count as an attempt)."""
        now = utcnow()
        with self._writer.begin() as conn:
            for chunk in _chunks(list(submission_ids), 500):
                conn.execute(
                    update(submissions)
                    .where(submissions.c.id.in_(chunk), submissions.c.status == Status.RECEIVED.value)
                    .values(lease_until=None, attempts=submissions.c.attempts - 1, due_at=now + self.stale_after)
                )

    def normalization_failed(
        self, submission_id: int, error: str, retry_in: timedelta | None, message: tuple[str, str] | None = None
    ) -> int | None:
        """A submission whose normalization raised: try it again after ``retry_in``, or (``None``) give up.

        Giving up marks it ``failed`` with the error (``pakn dead list``) and stores ``message`` (kind,
        text) for the citizen unless one of that kind was stored before; returns that message's id.  A
        row no longer ``received`` is left alone.
        """
        now = utcnow()
        error = error[:2000]
        still_received = and_(submissions.c.id == submission_id, submissions.c.status == Status.RECEIVED.value)
        with self._writer.begin() as conn:
            if retry_in is not None:
                conn.execute(
                    update(submissions)
                    .where(still_received)
                    .values(lease_until=None, due_at=now + retry_in, last_error=error, updated_at=now)
                )
                return None
            changed = conn.execute(
                update(submissions)
                .where(still_received)
                .values(status=Status.FAILED.value, lease_until=None, due_at=None, last_error=error, updated_at=now)
            ).rowcount
            if not changed or message is None:
                return None
            told = conn.execute(
                select(notifications.c.id).where(
                    notifications.c.submission_id == submission_id, notifications.c.kind == message[0]
                )
            ).first()
            if told is not None:  # failed again after a replay: the citizen was told once, that is enough
                return None
            return self._notify(conn, submission_id, *message, now, now)

    # --- forwarding ------------------------------------------------------------------------------------
    def claim_forwards(self, forward_ids: Sequence[int], lease: timedelta) -> list[Forward]:
        """Take pending forwards, except those another worker holds: no case is sent by two at once."""
        with self._writer.begin() as conn:
            rows = self._claim(
                conn,
                forwards,
                forward_ids,
                forwards.c.state == ForwardState.PENDING,
                lease,
                forwards.c.id,
                forwards.c.submission_id,
                forwards.c.idempotency_key,
                forwards.c.payload,
                forwards.c.state,
                forwards.c.attempts,
                forwards.c.created_at,
            )
        return sorted((Forward(**row._mapping) for row in rows), key=lambda forward: forward.id)

    def forwards_delivered(self, delivered: Sequence[Forward]) -> None:
        """Mark forwards delivered and their submissions forwarded, in one transaction."""
        if not delivered:
            return
        now = utcnow()
        with self._writer.begin() as conn:
            received = {
                row.id: row.received_at
                for chunk in _chunks([f.submission_id for f in delivered], 500)
                for row in conn.execute(
                    select(submissions.c.id, submissions.c.received_at).where(submissions.c.id.in_(chunk))
                )
            }
            for forward in delivered:
                conn.execute(
                    update(forwards)
                    .where(forwards.c.id == forward.id)
                    .values(
                        state=ForwardState.DELIVERED,
                        delivered_at=now,
                        lease_until=None,
                        due_at=None,
                        last_error=None,
                        latency_seconds=(now - received.get(forward.submission_id, now)).total_seconds(),
                    )
                )
            for chunk in _chunks([f.submission_id for f in delivered], 500):
                conn.execute(
                    update(submissions)
                    .where(submissions.c.id.in_(chunk))
                    .values(status=Status.FORWARDED.value, updated_at=now)
                )

    def forward_retry_later(self, forward: Forward, error: str, delay: timedelta, refund: bool = False) -> None:
        """Try again after ``delay``; ``refund``: this try never reached the case store, do not count it."""
        now = utcnow()
        with self._writer.begin() as conn:
            conn.execute(
                update(forwards)
                .where(forwards.c.id == forward.id)
                .values(
                    lease_until=None,
                    due_at=now + delay,
                    last_error=error[:2000],
                    attempts=forwards.c.attempts - 1 if refund else forwards.c.attempts,
                )
            )

    def forward_failed(self, forward: Forward, error: str) -> None:
        now = utcnow()
        with self._writer.begin() as conn:
            conn.execute(
                update(forwards)
                .where(forwards.c.id == forward.id)
                .values(state=ForwardState.FAILED, lease_until=None, due_at=None, last_error=error[:2000])
            )
            conn.execute(
                update(submissions)
                .where(submissions.c.id == forward.submission_id)
                .values(status=Status.FAILED.value, updated_at=now)
            )

    # --- the outbox: messages to citizens -----------------------------------------------------------------
    def claim_notifications(self, notification_ids: Sequence[int], lease: timedelta) -> list[Notification]:
        with self._writer.begin() as conn:
            unsent = and_(notifications.c.sent_at.is_(None), notifications.c.due_at.is_not(None))
            taken = [
                row.id for row in self._claim(conn, notifications, notification_ids, unsent, lease, notifications.c.id)
            ]
            rows = [
                row
                for chunk in _chunks(taken, 500)
                for row in conn.execute(
                    select(
                        notifications.c.id,
                        notifications.c.submission_id,
                        notifications.c.kind,
                        notifications.c.message,
                        notifications.c.created_at,
                        notifications.c.attempts,
                        submissions.c.tracking_code,
                        submissions.c.channel,
                        submissions.c.source_id,
                        submissions.c.raw,
                        submissions.c.content_type,
                    )
                    .join(submissions, submissions.c.id == notifications.c.submission_id)
                    .where(notifications.c.id.in_(chunk))
                )
            ]
        return sorted(
            (
                Notification(
                    id=r.id,
                    submission_id=r.submission_id,
                    tracking_code=r.tracking_code,
                    channel=Channel(r.channel),
                    source_id=r.source_id,
                    raw=r.raw,
                    content_type=r.content_type,
                    kind=r.kind,
                    message=r.message,
                    created_at=r.created_at,
                    attempts=r.attempts,
                )
                for r in rows
            ),
            key=lambda n: n.id,
        )

    def notifications_sent(self, notification_ids: Sequence[int]) -> None:
        if not notification_ids:
            return
        now = utcnow()
        with self._writer.begin() as conn:
            for chunk in _chunks(list(notification_ids), 500):
                conn.execute(
                    update(notifications)
                    .where(notifications.c.id.in_(chunk))
                    .values(sent_at=now, lease_until=None, due_at=None, last_error=None)
                )

    def notification_retry_later(self, notification_id: int, error: str, delay: timedelta | None) -> None:
        """Try again after ``delay``; ``None``: give up (kept with its error for `pakn stats`)."""
        now = utcnow()
        with self._writer.begin() as conn:
            conn.execute(
                update(notifications)
                .where(notifications.c.id == notification_id)
                .values(lease_until=None, due_at=now + delay if delay else None, last_error=error[:2000])
            )

    def due_notifications(self, now: datetime, limit: int = 1000) -> list[int]:
        return self._due(notifications, notifications.c.sent_at.is_(None), now, limit)

    # --- repeats ---------------------------------------------------------------------------------------------
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

    # --- what the case store tells us ---------------------------------------------------------------------
    def record_case_update(self, change: CaseUpdate, message: str | None) -> tuple[bool, int | None]:
        """Record a case store's status update once (by its key); returns (known case, message id).

        A case never moves backwards (an in-progress that arrives after the answer changes nothing
        but is kept); the citizen is told of each new update.
        """
        now = utcnow()
        with self._writer.begin() as conn:
            row = conn.execute(
                select(submissions.c.id, submissions.c.status).where(
                    submissions.c.tracking_code == change.tracking_code
                )
            ).first()
            if row is None:
                return (False, None)
            seen = conn.execute(select(case_updates.c.id).where(case_updates.c.update_key == change.key)).first()
            if seen is not None:
                return (True, None)
            conn.execute(
                insert(case_updates).values(
                    submission_id=row.id,
                    update_key=change.key,
                    status=change.status,
                    answer=change.answer,
                    on_time=change.on_time,
                    satisfaction=change.satisfaction,
                    reported_at=change.reported_at,
                    received_at=now,
                )
            )
            new_status = _STATUS_OF_UPDATE.get(change.status)
            if new_status is not None and _PROGRESS.index(new_status) > _PROGRESS.index(Status(row.status)):
                conn.execute(
                    update(submissions)
                    .where(submissions.c.id == row.id)
                    .values(status=new_status.value, updated_at=now)
                )
            if message is None:
                return (True, None)
            return (True, self._notify(conn, row.id, f"case-{change.status}", message, now, now + self.stale_after))

    def answer_of(self, submission_id: int) -> dict[str, Any] | None:
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
        when = row.reported_at or row.received_at
        return {"answer": row.answer, "answered_at": when.isoformat()}

    # --- the sweeper's view ------------------------------------------------------------------------------
    def due_submissions(self, now: datetime, limit: int = 1000) -> list[int]:
        """Received submissions nobody is working on whose time to be looked at has come."""
        return self._due(submissions, submissions.c.status == Status.RECEIVED.value, now, limit)

    def tried_before(self, submission_ids: Sequence[int]) -> set[int]:
        """Those of ``submission_ids`` some job already took (and did not finish): retried one per job."""
        found: set[int] = set()
        if not submission_ids:
            return found
        with self.engine.connect() as conn:
            for chunk in _chunks(list(submission_ids), 500):
                found.update(
                    conn.execute(
                        select(submissions.c.id).where(submissions.c.id.in_(chunk), submissions.c.attempts > 0)
                    ).scalars()
                )
        return found

    def due_forwards(self, now: datetime, limit: int = 1000) -> list[int]:
        return self._due(forwards, forwards.c.state == ForwardState.PENDING, now, limit)

    def _due(self, table: Table, unfinished: ColumnElement[bool], now: datetime, limit: int) -> list[int]:
        """Ids of unfinished rows past their ``due_at`` whose lease (if any) has run out."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table.c.id)
                .where(
                    unfinished,
                    table.c.due_at <= now,
                    or_(table.c.lease_until.is_(None), table.c.lease_until < now),
                )
                .order_by(table.c.due_at)
                .limit(limit)
            ).all()
        return [r.id for r in rows]

    def postpone(
        self,
        submission_ids: Iterable[int],
        forward_ids: Iterable[int],
        until: datetime,
        notification_ids: Iterable[int] = (),
    ) -> None:
        """Note that jobs were (re-)enqueued for these rows: look again only after ``until``."""
        work = [
            (submissions, list(submission_ids)),
            (forwards, list(forward_ids)),
            (notifications, list(notification_ids)),
        ]
        if not any(ids for _, ids in work):
            return
        with self._writer.begin() as conn:
            for table, ids in work:
                for chunk in _chunks(ids, 500):
                    conn.execute(update(table).where(table.c.id.in_(chunk)).values(due_at=until))

    def waiting_for_information(self, since_before: datetime) -> list[StoredSubmission]:
        """Submissions waiting for the citizen whose last step (request or reminder) is older than that."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(submissions).where(
                    submissions.c.status == Status.NEEDS_INFORMATION.value,
                    or_(
                        and_(submissions.c.reminded_at.is_(None), submissions.c.waiting_since <= since_before),
                        submissions.c.reminded_at <= since_before,
                    ),
                )
            ).all()
        return [_stored(r) for r in rows]

    def remind(self, submission_id: int, message: str) -> bool:
        now = utcnow()
        with self._writer.begin() as conn:
            done = conn.execute(
                update(submissions)
                .where(
                    submissions.c.id == submission_id,
                    submissions.c.status == Status.NEEDS_INFORMATION.value,
                    submissions.c.reminded_at.is_(None),
                )
                .values(reminded_at=now, updated_at=now)
            ).rowcount
            if done:
                self._notify(conn, submission_id, "reminder", message, now, now)
        return bool(done)

    def close_unanswered(self, submission_id: int, finding: dict[str, Any], message: str) -> bool:
        """Close a submission whose author never completed it, as not eligible, saying why."""
        now = utcnow()
        with self._writer.begin() as conn:
            # The lease: one atomic UPDATE that only a row still waiting matches.  Of two sweepers, the
            # second one's UPDATE (PostgreSQL: after the first commits) finds it closed and sends nothing.
            row = conn.execute(
                update(submissions)
                .where(
                    submissions.c.id == submission_id,
                    submissions.c.status == Status.NEEDS_INFORMATION.value,
                )
                .values(status=Status.REJECTED.value, verdict=Verdict.REJECTED.value, updated_at=now)
                .returning(submissions.c.findings)
            ).first()
            if row is None:
                return False
            findings = [*json.loads(row.findings or "[]"), finding]
            conn.execute(
                update(submissions)
                .where(submissions.c.id == submission_id)
                .values(findings=json.dumps(findings, ensure_ascii=False))
            )
            self._notify(conn, submission_id, "closed", message, now, now)
        return True

    # --- operators -----------------------------------------------------------------------------------------
    def replay(self, *, failed: bool, stuck: bool, tracking_code: str | None = None) -> tuple[int, int]:
        """Make failed forwards and stuck submissions due now; returns (submissions, forwards) touched."""
        now = utcnow()
        sub_count = fwd_count = 0
        with self._writer.begin() as conn:
            if tracking_code is not None:
                sub_id = conn.execute(
                    select(submissions.c.id).where(submissions.c.tracking_code == tracking_code)
                ).scalar_one_or_none()
                if sub_id is None:
                    return (0, 0)
                fwd_count += conn.execute(
                    update(forwards)
                    .where(forwards.c.submission_id == sub_id, forwards.c.state != ForwardState.DELIVERED)
                    .values(state=ForwardState.PENDING, attempts=0, due_at=now, lease_until=None)
                ).rowcount
                sub_count += conn.execute(
                    update(submissions)
                    .where(submissions.c.id == sub_id, submissions.c.status == Status.RECEIVED.value)
                    .values(due_at=now, lease_until=None)
                ).rowcount
                if fwd_count:
                    conn.execute(
                        update(submissions)
                        .where(submissions.c.id == sub_id, submissions.c.status == Status.FAILED.value)
                        .values(status=Status.ACCEPTED.value, updated_at=now)
                    )
                else:
                    sub_count += self._replay_failed_normalizations(conn, now, submissions.c.id == sub_id)
                return (sub_count, fwd_count)
            if failed:
                failed_ids = [
                    r.submission_id
                    for r in conn.execute(
                        select(forwards.c.submission_id).where(forwards.c.state == ForwardState.FAILED)
                    )
                ]
                fwd_count += conn.execute(
                    update(forwards)
                    .where(forwards.c.state == ForwardState.FAILED)
                    .values(state=ForwardState.PENDING, attempts=0, due_at=now, lease_until=None)
                ).rowcount
                for chunk in _chunks(failed_ids, 500):
                    conn.execute(
                        update(submissions)
                        .where(submissions.c.id.in_(chunk))
                        .values(status=Status.ACCEPTED.value, updated_at=now)
                    )
                sub_count += self._replay_failed_normalizations(conn, now, true())
            if stuck:
                sub_count += conn.execute(
                    update(submissions)
                    .where(submissions.c.status == Status.RECEIVED.value)
                    .values(due_at=now, lease_until=None)
                ).rowcount
                fwd_count += conn.execute(
                    update(forwards)
                    .where(forwards.c.state == ForwardState.PENDING)
                    .values(due_at=now, lease_until=None)
                ).rowcount
        return (sub_count, fwd_count)

    @staticmethod
    def _replay_failed_normalizations(conn: Connection, now: datetime, which: ColumnElement[bool]) -> int:
        """Submissions that failed before a verdict (no forward was ever made) go back to ``received``."""
        return int(
            conn.execute(
                update(submissions)
                .where(which, FAILED_BEFORE_VERDICT)
                .values(status=Status.RECEIVED.value, attempts=0, due_at=now, lease_until=None, updated_at=now)
            ).rowcount
        )

    def failed_submissions(self) -> list[dict[str, Any]]:
        """Submissions whose normalization failed NORMALIZE_MAX_ATTEMPTS times, with the last error."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(submissions.c.tracking_code, submissions.c.attempts, submissions.c.last_error)
                .where(FAILED_BEFORE_VERDICT)
                .order_by(submissions.c.id)
            ).all()
        return [{"tracking_code": r.tracking_code, "attempts": r.attempts, "error": r.last_error} for r in rows]

    def failed_forwards(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(submissions.c.tracking_code, forwards.c.attempts, forwards.c.last_error)
                .join(submissions, submissions.c.id == forwards.c.submission_id)
                .where(forwards.c.state == ForwardState.FAILED)
                .order_by(forwards.c.id)
            ).all()
        return [{"tracking_code": r.tracking_code, "attempts": r.attempts, "error": r.last_error} for r in rows]

    def stats(self, since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
        """Counts by channel, by status and by category, for ``pakn stats`` and reports."""
        conditions = []
        if since is not None:
            conditions.append(submissions.c.received_at >= since)
        if until is not None:
            conditions.append(submissions.c.received_at < until)
        where = and_(*conditions) if conditions else true()
        out: dict[str, Any] = {}
        with self.engine.connect() as conn:
            out["total"] = conn.execute(select(func.count()).select_from(submissions).where(where)).scalar_one()
            for name, column in (
                ("by_channel", submissions.c.channel),
                ("by_status", submissions.c.status),
                ("by_category", submissions.c.category),
            ):
                rows = conn.execute(select(column, func.count()).where(where).group_by(column).order_by(column)).all()
                out[name] = {(key if key is not None else "-"): count for key, count in rows}
            out["forwards"] = {
                state: count
                for state, count in conn.execute(
                    select(forwards.c.state, func.count()).group_by(forwards.c.state)
                ).all()
            }
            state = case(
                (notifications.c.sent_at.is_not(None), "sent"),
                (notifications.c.due_at.is_not(None), "waiting"),
                (notifications.c.last_error.like(f"{NOT_SENDABLE}%"), "not_sendable"),
                else_="failed",
            )
            out["notifications"] = {
                name: count for name, count in conn.execute(select(state, func.count()).group_by(state))
            }
        return out


def _stored(row: Row[Any]) -> StoredSubmission:
    return StoredSubmission(
        id=row.id,
        tracking_code=row.tracking_code,
        channel=Channel(row.channel),
        source_id=row.source_id,
        content_type=row.content_type,
        raw=row.raw,
        received_at=row.received_at,
        status=Status(row.status),
        verdict=row.verdict,
        findings=json.loads(row.findings) if row.findings else [],
        normalized=json.loads(row.normalized) if row.normalized else None,
        updated_at=row.updated_at,
        attempts=row.attempts,
        waiting_since=row.waiting_since,
        reminded_at=row.reminded_at,
    )


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
