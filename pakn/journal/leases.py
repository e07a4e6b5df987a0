"""Leased work: the one way a job takes a journal row, and what becomes of it.

Three tables hold work for a job: submissions (to normalize), forwards (to the case store) and
notifications (to citizens).  Each row carries ``due_at``, the moment somebody should look at it again;
a job takes a row by a lease (``lease_until``), so that two workers never work on one row at once, and
each take counts an attempt.  A try that failed comes back after a backoff, until the attempts are spent
(the ``RetryPolicy``); then the row is given up with its error (its failure state), visible to
``pakn dead list`` and ``pakn stats``, until an operator replays it.  A row whose job vanished (Redis
lost its data, a worker was killed) is found by the sweeper once ``due_at`` passes.

``LeasedWork`` is that life cycle for one table, parametrised by what "open", "failed" and "reopened"
mean there; the statements are the same for all three.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Table, false, or_, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.sql.elements import ColumnElement

T = TypeVar("T")

# The longest error text kept with a row.
ERROR_LIMIT = 2000


def chunks(items: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    """``items`` in slices small enough for one statement's parameters."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def backoff(attempt: int, base: float, cap: float) -> timedelta:
    """Exponential backoff with full jitter (AWS architecture blog): spreads the retries of many cases."""
    return timedelta(seconds=random.uniform(0, min(cap, base * 2 ** (attempt - 1))))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a row may be tried, and how long to wait between tries."""

    max_attempts: int
    backoff_base_seconds: float
    backoff_max_seconds: float

    def never_finished(self, attempts: int) -> str | None:
        """Taken more often than allowed without an outcome (its jobs died: worker killed, job
        timeout): the error to give it up with; None while it may still be tried."""
        if attempts > self.max_attempts:
            return f"no outcome after {attempts - 1} attempts: the job never finished"
        return None

    def retry_in(self, attempts: int) -> timedelta | None:
        """When to try again after the try that was attempt ``attempts`` failed; None: give up."""
        if attempts < self.max_attempts:
            return backoff(attempts, self.backoff_base_seconds, self.backoff_max_seconds)
        return None


class LeasedWork:
    """The leased rows of one table.

    ``open``: the rows still to be worked on (a job may take them).  ``waiting``: those the sweeper looks
    for once due (default: ``open``).  ``failed``: the rows given up.  ``failed_values`` and
    ``reopened_values``: what giving up and replaying write besides the lease columns.  ``stamped``: the
    table keeps ``updated_at``, set whenever a row's outcome changes.
    """

    def __init__(
        self,
        engine: Engine,
        writer: Engine,
        table: Table,
        *,
        open: ColumnElement[bool],
        waiting: ColumnElement[bool] | None = None,
        failed: ColumnElement[bool] | None = None,
        failed_values: Mapping[str, Any] | None = None,
        reopened_values: Mapping[str, Any] | None = None,
        stamped: bool = False,
    ) -> None:
        self.engine = engine
        self.writer = writer
        self.table = table
        self.open = open
        self.waiting = open if waiting is None else waiting
        self.failed = false() if failed is None else failed
        self.failed_values = dict(failed_values or {})
        self.reopened_values = dict(reopened_values or {})
        self.stamped = stamped

    def _stamp(self, values: dict[str, Any], now: datetime) -> dict[str, Any]:
        if self.stamped:
            values["updated_at"] = now
        return values

    # --- taking --------------------------------------------------------------------------------------------
    def claim(
        self, conn: Connection, ids: Sequence[int], lease: timedelta, now: datetime, *columns: ColumnElement[Any]
    ) -> list[Row[Any]]:
        """Lease the open rows among ``ids`` that no worker holds (or whose lease ran out); each take is an
        attempt, and the row is due again when the lease ends.  Returns ``columns`` of the rows taken."""
        table = self.table
        taken: list[Row[Any]] = []
        for chunk in chunks(list(ids)):
            taken.extend(
                conn.execute(
                    update(table)
                    .where(
                        table.c.id.in_(chunk),
                        self.open,
                        or_(table.c.lease_until.is_(None), table.c.lease_until < now),
                    )
                    .values(lease_until=now + lease, attempts=table.c.attempts + 1, due_at=now + lease)
                    .returning(*columns)
                ).all()
            )
        return taken

    def release(self, conn: Connection, ids: Sequence[int], due_at: datetime) -> None:
        """Give back open rows a job took but will not work on (that take does not count as an attempt)."""
        table = self.table
        for chunk in chunks(list(ids)):
            conn.execute(
                update(table)
                .where(table.c.id.in_(chunk), self.open)
                .values(lease_until=None, attempts=table.c.attempts - 1, due_at=due_at)
            )

    # --- outcomes ------------------------------------------------------------------------------------------
    def finish(self, conn: Connection, which: ColumnElement[bool], **values: Any) -> int:
        """The work on these rows is done: no lease, never due again, no error; plus ``values``."""
        return int(
            conn.execute(
                update(self.table).where(which).values(lease_until=None, due_at=None, last_error=None, **values)
            ).rowcount
        )

    def retry_later(
        self,
        conn: Connection,
        which: ColumnElement[bool],
        error: str,
        due_at: datetime,
        now: datetime,
        *,
        refund: bool = False,
    ) -> int:
        """A try failed: look again at ``due_at``.  ``refund``: this try never reached anybody, do not count it."""
        values = self._stamp({"lease_until": None, "due_at": due_at, "last_error": error[:ERROR_LIMIT]}, now)
        if refund:
            values["attempts"] = self.table.c.attempts - 1
        return int(conn.execute(update(self.table).where(which).values(**values)).rowcount)

    def give_up(self, conn: Connection, which: ColumnElement[bool], error: str, now: datetime) -> int:
        """The attempts are spent (or trying cannot help): the failure state, kept with its error."""
        values = {**self.failed_values, "lease_until": None, "due_at": None, "last_error": error[:ERROR_LIMIT]}
        return int(conn.execute(update(self.table).where(which).values(**self._stamp(values, now))).rowcount)

    # --- the sweeper and operators -------------------------------------------------------------------------
    def due(self, now: datetime, limit: int = 1000) -> list[int]:
        """Ids of waiting rows past their ``due_at`` whose lease (if any) has run out, the longest due first."""
        table = self.table
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table.c.id)
                .where(
                    self.waiting,
                    table.c.due_at <= now,
                    or_(table.c.lease_until.is_(None), table.c.lease_until < now),
                )
                .order_by(table.c.due_at)
                .limit(limit)
            ).all()
        return [r.id for r in rows]

    def tried_before(self, ids: Sequence[int]) -> set[int]:
        """Those of ``ids`` some job already took (and did not finish)."""
        table = self.table
        found: set[int] = set()
        if not ids:
            return found
        with self.engine.connect() as conn:
            for chunk in chunks(list(ids)):
                found.update(
                    conn.execute(select(table.c.id).where(table.c.id.in_(chunk), table.c.attempts > 0)).scalars()
                )
        return found

    def postpone(self, conn: Connection, ids: Sequence[int], until: datetime) -> None:
        """Jobs were (re-)enqueued for these rows: look again only after ``until``."""
        table = self.table
        for chunk in chunks(list(ids)):
            conn.execute(update(table).where(table.c.id.in_(chunk)).values(due_at=until))

    def wake(self, conn: Connection, which: ColumnElement[bool], now: datetime) -> int:
        """Open rows among ``which`` become due now, whoever held them."""
        return int(
            conn.execute(update(self.table).where(self.open, which).values(due_at=now, lease_until=None)).rowcount
        )

    def replay(
        self, conn: Connection, which: ColumnElement[bool], now: datetime, due_at: datetime | None = None
    ) -> int:
        """Rows among ``which`` are opened again with all their attempts, due at ``due_at`` (default: now)."""
        values = {**self.reopened_values, "attempts": 0, "due_at": due_at or now, "lease_until": None}
        return int(conn.execute(update(self.table).where(which).values(**self._stamp(values, now))).rowcount)
