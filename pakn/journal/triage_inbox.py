"""The triage inbox's reading side: the lists of submissions staff look at, their counts, and the audit
trail (``review_actions``) with its counts per action and per overridden rule.

Kept apart from ``pakn.journal.review`` (what staff do): reading takes no lock and writes nothing, so the
pages, the audit export and the reports share it without touching the actions' transactions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

from pakn.db import forwards, review_actions, submissions
from pakn.journal.storage import Storage
from pakn.records import ForwardState, ReviewAction, ReviewActionKind, Status

# The normalizer's rule that set each correctable field: what a correction says about the rules' quality
# (written on a correction's audit line by ``pakn.journal.review``, counted here).
RULE_OF_FIELD: Mapping[str, str] = {
    "category": "classification",
    "urgency": "classification",
    "kind": "kind",
    "place": "place",
    "agency": "routing",
}
# The inbox's lists: the states a person looks at.
INBOX_STATES = (Status.HELD, Status.NEEDS_INFORMATION, Status.REJECTED, Status.FAILED)


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One submission in a list of the triage inbox."""

    id: int
    tracking_code: str
    channel: str
    status: Status
    received_at: datetime
    category: str | None
    content: str
    due_at: datetime | None = None  # when the case is due, as the normalizer set it (working days)
    # A submission with no normalized case (its normalization failed): its journaled bytes, for the page
    # to read the content with the channel's reader.
    raw: bytes | None = None
    content_type: str = ""
    held_for: tuple[str, ...] = ()  # why the gateway held it (dispatcher.review.REASONS), while held


# How a list is ordered: the longest waiting first, the newest first, or the nearest due time first.
SORTS = ("received", "newest", "due")


@dataclass(frozen=True, slots=True)
class InboxQuery:
    """A list's filters: its state, a channel, a field, received before ``older_than``, due before
    ``due_before`` (an aware time in the gateway's zone, as the normalizer writes ``due_at``), words to find
    (each of them, in the code or the normalized case), or any of ``phones`` (a number as written and as
    E.164), and the order (``SORTS``)."""

    status: Status = Status.HELD
    channel: str | None = None
    category: str | None = None
    older_than: datetime | None = None
    search: str = ""
    phones: tuple[str, ...] = ()
    due_before: datetime | None = None
    sort: str = "received"
    held_for: str | None = None  # one of the reasons a case is held (no-field, no-commune, ...)
    limit: int = 200


class TriageInbox:
    """What staff read in the triage inbox: lists, counts and the audit trail (``pakn.journal.review`` acts)."""

    def __init__(self, storage: Storage) -> None:
        self.engine = storage.engine

    def _due_at(self) -> Any:
        """The normalized case's ``due_at`` as text (ISO 8601 in one zone: ordered as the instants are)."""
        if self.engine.dialect.name == "postgresql":
            return cast(submissions.c.normalized, JSONB)["due_at"].astext
        return func.json_extract(submissions.c.normalized, "$.due_at")

    def _raw_like(self, pattern: str) -> Any:
        """The journaled bytes contain ``pattern`` (a phone, a code or an address in ASCII is found as it was
        written).  PostgreSQL: the bytes as text with escapes past ASCII; SQLite: the bytes as they are,
        compared by LIKE itself (case-blind for ASCII), never handed to a function that must decode them."""
        if self.engine.dialect.name == "postgresql":
            return func.encode(submissions.c.raw, "escape").ilike(pattern)
        return cast(submissions.c.raw, Text).like(pattern)

    def counts(self) -> dict[Status, int]:
        """How many submissions each list of the inbox holds."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(submissions.c.status, func.count())
                .where(submissions.c.status.in_([s.value for s in INBOX_STATES]))
                .group_by(submissions.c.status)
            ).all()
        counted = {Status(status): int(n) for status, n in rows}
        return {state: counted.get(state, 0) for state in INBOX_STATES}

    def inbox(self, query: InboxQuery) -> list[InboxRow]:
        """Submissions in one state, in the query's order (by default the longest waiting first)."""
        conditions = [submissions.c.status == query.status.value]
        if query.channel:
            conditions.append(submissions.c.channel == query.channel)
        if query.category:
            conditions.append(submissions.c.category == query.category)
        if query.older_than is not None:
            conditions.append(submissions.c.received_at < query.older_than)
        due_at = self._due_at()
        if query.due_before is not None:
            conditions.append(due_at < query.due_before.isoformat())
        normalized = func.lower(func.coalesce(submissions.c.normalized, ""))
        # A submission with no normalized case (its normalization failed) is searched in its journaled bytes.

        def found(pattern: str) -> Any:
            return or_(normalized.like(pattern), and_(submissions.c.normalized.is_(None), self._raw_like(pattern)))

        if query.phones:
            conditions.append(or_(*(found(f"%{_like(p.lower())}%") for p in query.phones)))
        else:
            # A code or words of the content (or a place, a name): each word somewhere in the code or the case.
            for word in query.search.lower().split():
                pattern = f"%{_like(word)}%"
                conditions.append(or_(func.lower(submissions.c.tracking_code).like(pattern), found(pattern)))
        # Why the gateway held it (its latest `held` line), shown and filtered on.
        latest = (
            select(review_actions.c.submission_id, func.max(review_actions.c.id).label("id"))
            .where(review_actions.c.action == ReviewActionKind.HELD.value)
            .group_by(review_actions.c.submission_id)
            .subquery()
        )
        held = review_actions.alias("held")
        if query.held_for:
            conditions.append(held.c.reason.like(f"%{_like(query.held_for)}%"))
        order = {
            "newest": (submissions.c.received_at.desc(), submissions.c.id.desc()),
            "due": (due_at.is_(None), due_at, submissions.c.received_at, submissions.c.id),
        }.get(query.sort, (submissions.c.received_at, submissions.c.id))
        statement = (
            select(
                submissions.c.id,
                submissions.c.tracking_code,
                submissions.c.channel,
                submissions.c.status,
                submissions.c.received_at,
                submissions.c.category,
                submissions.c.normalized,
                submissions.c.content_type,
                # only the rows that have no normalized case need their bytes
                case((submissions.c.normalized.is_(None), submissions.c.raw), else_=None).label("raw"),
                held.c.reason.label("held_for"),
            )
            .select_from(
                submissions.outerjoin(latest, latest.c.submission_id == submissions.c.id).outerjoin(
                    held, held.c.id == latest.c.id
                )
            )
            .where(*conditions)
            .order_by(*order)
            .limit(query.limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(statement).all()
        rows_found = []
        for row in rows:
            normalized_case = json.loads(row.normalized) if row.normalized else {}
            due = normalized_case.get("due_at")
            rows_found.append(
                InboxRow(
                    row.id,
                    row.tracking_code,
                    row.channel,
                    Status(row.status),
                    row.received_at,
                    row.category,
                    str(normalized_case.get("content") or ""),
                    datetime.fromisoformat(due) if due else None,
                    row.raw,
                    row.content_type,
                    tuple(row.held_for.split(",")) if row.held_for and row.status == Status.HELD.value else (),
                )
            )
        return rows_found

    def actions(self, submission_id: int) -> list[ReviewAction]:
        """The audit trail of one submission, oldest first."""
        with self.engine.connect() as conn:
            return actions_of(conn, submission_id)

    def held_payload(self, submission_id: int) -> str | None:
        """The forward a held submission will send once confirmed (corrections applied)."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(forwards.c.payload).where(
                    forwards.c.submission_id == submission_id, forwards.c.state == ForwardState.HELD
                )
            ).scalar()

    def trail_between(self, since: datetime, until: datetime) -> list[tuple[str, ReviewAction]]:
        """Every action of a period with its submission's tracking code, in order: the audit export."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(submissions.c.tracking_code, review_actions)
                .join(submissions, submissions.c.id == review_actions.c.submission_id)
                .where(review_actions.c.acted_at >= since, review_actions.c.acted_at < until)
                .order_by(review_actions.c.id)
            ).all()
        return [(row.tracking_code, _action(row)) for row in rows]

    def corrections(self, since: datetime | None, until: datetime | None) -> dict[str, int]:
        """How often a person overrode the gateway, per corrected field and per action, in a period."""
        with self.engine.connect() as conn:
            return correction_counts(conn, since, until)

    def overrides(self, since: datetime | None, until: datetime | None) -> dict[str, int]:
        """How often a person overrode each rule of the normalizer in a period (``RULE_OF_FIELD``,
        ``verdict``, or a reopened case's finding codes): the rules' quality, measured."""
        with self.engine.connect() as conn:
            return override_counts(conn, since, until)


def _acted_in(since: datetime | None, until: datetime | None) -> list[Any]:
    conditions = []
    if since is not None:
        conditions.append(review_actions.c.acted_at >= since)
    if until is not None:
        conditions.append(review_actions.c.acted_at < until)
    return conditions


def correction_counts(conn: Connection, since: datetime | None, until: datetime | None) -> dict[str, int]:
    """Staff's actions taken in [since, until) (either end open when None), per action and corrected field
    (``correct:category``, ``confirm``, ``reject:status``, ...), most frequent first; the gateway's own
    holds and the agencies suggested anew for a corrected field or place are no one's override (a summary,
    which no rule writes, is counted)."""
    rows = conn.execute(
        select(review_actions.c.action, review_actions.c.field, func.count())
        .where(
            *_acted_in(since, until),
            review_actions.c.action != ReviewActionKind.HELD.value,
            or_(
                review_actions.c.action != ReviewActionKind.CORRECT.value,
                review_actions.c.rule.is_not(None),
                review_actions.c.field.not_in(list(RULE_OF_FIELD)),  # a field no rule sets: the summary
            ),
        )
        .group_by(review_actions.c.action, review_actions.c.field)
    ).all()
    counts = {f"{action}:{field}" if field else action: int(n) for action, field, n in rows}
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def override_counts(conn: Connection, since: datetime | None, until: datetime | None) -> dict[str, int]:
    """How often a person overrode each rule of the normalizer in [since, until), most overridden first."""
    counts: dict[str, int] = {}
    rules = conn.execute(
        select(review_actions.c.rule).where(*_acted_in(since, until), review_actions.c.rule.is_not(None))
    ).scalars()
    for joined in rules:
        for rule in joined.split(","):
            counts[rule] = counts.get(rule, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _like(text: str) -> str:
    """Text to find with LIKE: its wildcards taken as themselves would need ESCAPE; they are dropped."""
    return text.replace("%", "").replace("_", "")


def actions_of(conn: Connection, submission_id: int) -> list[ReviewAction]:
    """One submission's audit trail, oldest first, in the caller's transaction (an action returns its last line)."""
    rows = conn.execute(
        select(review_actions).where(review_actions.c.submission_id == submission_id).order_by(review_actions.c.id)
    ).all()
    return [_action(row) for row in rows]


def _action(row: Any) -> ReviewAction:
    return ReviewAction(
        row.id,
        row.submission_id,
        row.actor,
        row.acted_at,
        ReviewActionKind(row.action),
        row.field,
        row.before,
        row.after,
        row.reason,
    )
