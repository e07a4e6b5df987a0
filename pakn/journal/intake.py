"""The journal's intake: raw submissions stored durably, before anyone is acknowledged, and amendments."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from pakn import tracking
from pakn.db import DriverSql, amendments, submissions, utcnow
from pakn.journal.leases import chunks
from pakn.journal.storage import Storage, sha256
from pakn.records import RawSubmission, Receipt, Status

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


class Intake:
    def __init__(self, storage: Storage, new_code: Callable[[], str] = tracking.new_code) -> None:
        """``new_code`` draws tracking codes (random); a test passes a fixed sequence to force a collision."""
        self._storage = storage
        self._writer = storage.writer
        self._new_code = new_code
        self._sql = DriverSql(storage.engine)
        self._insert_submission = self._sql.insert(
            submissions, _INTAKE_COLUMNS, on_conflict_do_nothing=True, returning=("id", "tracking_code")
        )

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
        due_at = now + self._storage.stale_after
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
                for chunk in chunks(source_ids, 400):
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

    def amend(self, submission_id: int, raw: RawSubmission, also: Callable[[Connection], object] | None = None) -> bool:
        """Add what the citizen sent later to the same submission and send it back to the normalizer.

        Returns False when the submission is not waiting for information (nothing is stored then).
        ``also`` runs in the same transaction once the amendment is stored (a contact change it asks for).
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
                if also is not None:
                    also(conn)
            # Back to the normalizer, with all its attempts.
            self._storage.normalizing.replay(
                conn, submissions.c.id == submission_id, now, due_at=now + self._storage.stale_after
            )
        return True
