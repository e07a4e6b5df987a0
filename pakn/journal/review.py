"""The triage inbox's side of the journal: submissions held for a person, what staff did to them, and the
audit trail of every action (``review_actions``).

A held submission (``Status.HELD``) already has its forward row, written with the verdict by the normalize
job in state ``ForwardState.HELD``: never due, so no job or sweeper sends it.  Confirming turns both into
what the normalize job writes for an accepted case (``accepted`` / ``pending``) with one conditional
``UPDATE`` on the submission's status: of two people confirming at once, one changes the row and the
other changes nothing and is told what the first did.  Corrections are applied to the normalized case
and to the held forward's payload, so what goes out is what the person saw.

Each action is one transaction (SQLite: the write lock taken up front; PostgreSQL: the submission's row
locked first), its audit line included.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

from pakn.db import forwards, review_actions, submissions, utcnow
from pakn.journal.outbox import add_message
from pakn.journal.storage import Storage
from pakn.records import (
    Finding,
    ForwardState,
    ReviewAction,
    ReviewActionKind,
    ReviewOutcome,
    Severity,
    Status,
    Verdict,
)

# Fields a person may correct: (key in the normalized case, key in the case store's payload).
CORRECTABLE: Mapping[str, tuple[str, str]] = {
    "category": ("category", "category"),
    "kind": ("kind", "kind"),
    "urgency": ("urgency", "urgency"),
    "place": ("location", "place"),
    # The suggested agency: the case's whole routing ({agency, level, reason, step}); in the payload its
    # keys suggested_agency, level and routing_reason (contract 1.1; a 1.0 body has none of them).
    "agency": ("routing", "suggested_agency"),
    # A summary of the content staff write (the citizen's content is kept as written); contract 1.2.
    "summary": ("summary", "summary"),
}


@dataclass(frozen=True, slots=True)
class Correction:
    """One field of a held case as a person corrected it (``CORRECTABLE``); ``derived``: it follows from
    another correction (the agency suggested anew), so it overrides no rule of the normalizer."""

    field: str
    value: Any
    derived: bool = False


# The payload's keys of a routing, by the routing's own.
ROUTING_PAYLOAD: Mapping[str, str] = {"agency": "suggested_agency", "level": "level", "reason": "routing_reason"}
# The normalizer's rule that set each correctable field: what a correction says about the rules' quality.
RULE_OF_FIELD: Mapping[str, str] = {
    "category": "classification",
    "urgency": "classification",
    "kind": "kind",
    "place": "place",
    "agency": "routing",
}
# States a person may reopen (and accept) a submission from.
REOPENABLE = (Status.REJECTED.value, Status.NEEDS_INFORMATION.value)
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


class Review:
    def __init__(self, storage: Storage) -> None:
        self.engine = storage.engine
        self._writer = storage.writer
        self.stale_after = storage.stale_after

    # --- reading ------------------------------------------------------------------------------------
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
            return _actions(conn, submission_id)

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

    # --- actions ------------------------------------------------------------------------------------
    def correct(
        self,
        submission_id: int,
        actor: str,
        field: str,
        value: Any,
        reason: str = "",
        derived: bool = False,
        seen: int | None = None,
    ) -> ReviewOutcome:
        """Change one field of a held submission's case (``CORRECTABLE``), recorded before → after.

        ``derived``: the change follows from another one (the agency suggested anew for a corrected field or
        place), so it overrides no rule of the normalizer and is not counted against one."""
        return self.correct_all(submission_id, actor, [Correction(field, value, derived)], reason, seen)

    def correct_all(
        self,
        submission_id: int,
        actor: str,
        corrections: Sequence[Correction],
        reason: str = "",
        seen: int | None = None,
    ) -> ReviewOutcome:
        """The fields one person corrected in one form, all in one transaction: all applied (each its own
        line of the audit trail) or, when someone acted since the page was read (``seen``), none."""
        now = utcnow()
        with self._writer.begin() as conn:
            row = _lock(conn, submission_id)
            if row is None or row.status != Status.HELD.value or _changed_since(conn, submission_id, seen):
                return _refused(conn, submission_id, row)
            normalized = json.loads(row.normalized) if row.normalized else {}
            changed: list[tuple[Correction, Any]] = []
            for correction in corrections:
                case_key = CORRECTABLE[correction.field][0]
                before = normalized.get(case_key)
                if before != correction.value:
                    normalized[case_key] = correction.value
                    changed.append((correction, before))
            if not changed:
                return ReviewOutcome(False, Status.HELD, _last(conn, submission_id))
            values: dict[str, Any] = {"normalized": _dumps(normalized), "updated_at": now}
            if "category" in {c.field for c, _ in changed}:
                values["category"] = normalized["category"]
            conn.execute(update(submissions).where(submissions.c.id == submission_id).values(**values))
            held_forward = and_(forwards.c.submission_id == submission_id, forwards.c.state == ForwardState.HELD)
            payload = conn.execute(select(forwards.c.payload).where(held_forward)).scalar()
            if payload is not None:
                body = json.loads(payload)
                for correction, _ in changed:
                    payload_key = CORRECTABLE[correction.field][1]
                    if correction.field == "agency":
                        body.update({k: correction.value.get(r) for r, k in ROUTING_PAYLOAD.items() if k in body})
                    elif payload_key in body:  # a body of an older contract version has no key for it
                        body[payload_key] = correction.value
                conn.execute(update(forwards).where(held_forward).values(payload=_dumps(body, sort=True)))
            for correction, before in changed:
                rule = None if correction.derived else RULE_OF_FIELD.get(correction.field)  # a summary: no rule
                _record(
                    conn, submission_id, actor, now, ReviewActionKind.CORRECT, correction.field, before,
                    correction.value, reason, rule,
                )  # fmt: skip
            return ReviewOutcome(True, Status.HELD, _last(conn, submission_id))

    def confirm(
        self, submission_id: int, actor: str, message: tuple[str, str] | None = None, seen: int | None = None
    ) -> ReviewOutcome:
        """Accept a held submission: its forward becomes due, exactly as the normalize job writes one.

        The caller enqueues the returned forward (and message); if it cannot, the sweeper finds them due.
        ``seen`` (every action here takes one): the last audit line the person saw; if someone acted since
        (a correction they did not see), nothing is done and they are shown what it was.
        """
        now = utcnow()
        with self._writer.begin() as conn:
            row = _lock(conn, submission_id)
            if _changed_since(conn, submission_id, seen):
                return _refused(conn, submission_id, row)
            changed = conn.execute(
                update(submissions)
                .where(submissions.c.id == submission_id, submissions.c.status == Status.HELD.value)
                .values(status=Status.ACCEPTED.value, updated_at=now)
            ).rowcount
            if not changed:
                return _refused(conn, submission_id, row)
            forward_id = conn.execute(
                update(forwards)
                .where(forwards.c.submission_id == submission_id, forwards.c.state == ForwardState.HELD)
                .values(state=ForwardState.PENDING, due_at=now + self.stale_after)
                .returning(forwards.c.id)
            ).scalar()
            notification_id = add_message(conn, submission_id, *message, now, now) if message else None
            _record(conn, submission_id, actor, now, ReviewActionKind.CONFIRM)
            return ReviewOutcome(True, Status.ACCEPTED, _last(conn, submission_id), forward_id, notification_id)

    def reject(
        self,
        submission_id: int,
        actor: str,
        reason_code: str,
        reason: str,
        message: tuple[str, str] | None,
        seen: int | None = None,
    ) -> ReviewOutcome:
        """Reject a held submission with a reason from the editable list; its held forward is never sent."""
        finding = Finding(f"staff-{reason_code}", Severity.REJECT, reason, rule="review")
        return self._decide(
            submission_id, actor, Status.REJECTED, Verdict.REJECTED, finding, ReviewActionKind.REJECT, message, seen
        )

    def send_back(
        self, submission_id: int, actor: str, reason: str, message: tuple[str, str] | None, seen: int | None = None
    ) -> ReviewOutcome:
        """Ask the citizen for more (needs information, on their channel, reminded and closed as usual)."""
        finding = Finding("staff-needs-information", Severity.NEEDS_INFORMATION, reason, rule="review")
        return self._decide(
            submission_id,
            actor,
            Status.NEEDS_INFORMATION,
            Verdict.NEEDS_INFORMATION,
            finding,
            ReviewActionKind.SEND_BACK,
            message,
            seen,
        )

    def note_retry(self, submission_id: int, actor: str, touched: int) -> ReviewOutcome:
        """Record that a person made a failed submission's work due again (``Operators.replay``, which the
        caller ran: ``touched`` rows).  Safe to repeat: the jobs lease their rows and the case store's
        idempotency key keeps a forward single, so two people retrying at once only write two lines."""
        now = utcnow()
        with self._writer.begin() as conn:
            if not touched:
                return _refused(conn, submission_id, _lock(conn, submission_id))
            _record(conn, submission_id, actor, now, ReviewActionKind.RETRY, "status", Status.FAILED.value)
            row = _lock(conn, submission_id)
            return ReviewOutcome(True, Status(row.status) if row else None, _last(conn, submission_id))

    def reopen(
        self,
        submission_id: int,
        actor: str,
        reason: str,
        forward: tuple[str, str] | None = None,
        seen: int | None = None,
    ) -> ReviewOutcome:
        """Take a rejected or needs-information submission back into review, as accepted and held.

        ``forward`` (idempotency key, payload) is written as its held forward when it has none (the
        normalizer rejected it); one kept from an earlier hold is used as it is.
        """
        now = utcnow()
        with self._writer.begin() as conn:
            row = _lock(conn, submission_id)
            if _changed_since(conn, submission_id, seen):
                return _refused(conn, submission_id, row)
            changed = conn.execute(
                update(submissions)
                .where(submissions.c.id == submission_id, submissions.c.status.in_(REOPENABLE))
                .values(
                    status=Status.HELD.value,
                    verdict=Verdict.ACCEPTED.value,
                    waiting_since=None,
                    reminded_at=None,
                    updated_at=now,
                )
            ).rowcount
            if not changed:
                return _refused(conn, submission_id, row)
            existing = conn.execute(
                select(forwards.c.id, forwards.c.state).where(forwards.c.submission_id == submission_id)
            ).first()
            if existing is None and forward is not None:
                conn.execute(
                    insert(forwards).values(
                        submission_id=submission_id,
                        idempotency_key=forward[0],
                        payload=forward[1],
                        state=ForwardState.HELD,
                        attempts=0,
                        due_at=None,
                        created_at=now,
                    )
                )
            assert row is not None
            # The findings that made the verdict (not staff's own): the rules this person overrides.
            overridden = sorted(
                {
                    str(f["code"])
                    for f in json.loads(row.findings or "[]")
                    if f.get("severity") != Severity.INFO.value and f.get("rule") != "review"
                }
            )
            _record(
                conn, submission_id, actor, now, ReviewActionKind.REOPEN, "status", row.status, "held", reason,
                ",".join(overridden) or None,
            )  # fmt: skip
            return ReviewOutcome(True, Status.HELD, _last(conn, submission_id))

    def _decide(
        self,
        submission_id: int,
        actor: str,
        status: Status,
        verdict: Verdict,
        finding: Finding,
        action: ReviewActionKind,
        message: tuple[str, str] | None,
        seen: int | None = None,
    ) -> ReviewOutcome:
        now = utcnow()
        with self._writer.begin() as conn:
            row = _lock(conn, submission_id)
            if row is None or row.status != Status.HELD.value or _changed_since(conn, submission_id, seen):
                return _refused(conn, submission_id, row)
            findings = [*json.loads(row.findings or "[]"), finding.as_json()]
            waiting = status is Status.NEEDS_INFORMATION
            changed = conn.execute(
                update(submissions)
                .where(submissions.c.id == submission_id, submissions.c.status == Status.HELD.value)
                .values(
                    status=status.value,
                    verdict=verdict.value,
                    findings=_dumps(findings),
                    waiting_since=now if waiting else None,
                    reminded_at=None,
                    updated_at=now,
                )
            ).rowcount
            if not changed:
                return _refused(conn, submission_id, _lock(conn, submission_id))
            notification_id = add_message(conn, submission_id, *message, now, now) if message else None
            _record(
                conn, submission_id, actor, now, action, "status", Status.HELD.value, status.value, finding.message,
                "verdict",
            )  # fmt: skip
            return ReviewOutcome(True, status, _last(conn, submission_id), None, notification_id)


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


def record_held(conn: Connection, held: Sequence[tuple[int, tuple[str, ...]]], now: datetime) -> None:
    """Audit lines for submissions the normalize job held, in its transaction: the reasons, for the inbox."""
    if held:
        conn.execute(
            insert(review_actions),
            [
                {
                    "submission_id": submission_id,
                    "actor": "pakn",
                    "acted_at": now,
                    "action": ReviewActionKind.HELD.value,
                    "field": None,
                    "before": None,
                    "after": None,
                    "reason": ",".join(reasons),
                }
                for submission_id, reasons in held
            ],
        )


def _like(text: str) -> str:
    """Text to find with LIKE: its wildcards taken as themselves would need ESCAPE; they are dropped."""
    return text.replace("%", "").replace("_", "")


def _lock(conn: Connection, submission_id: int) -> Any:
    """The submission's row, locked until the transaction ends (PostgreSQL; SQLite's writer holds the lock)."""
    return conn.execute(
        select(submissions.c.id, submissions.c.status, submissions.c.normalized, submissions.c.findings)
        .where(submissions.c.id == submission_id)
        .with_for_update()
    ).first()


def _changed_since(conn: Connection, submission_id: int, seen: int | None) -> bool:
    """Someone acted on the submission after the audit line ``seen`` (None: the caller saw nothing to check)."""
    if seen is None:
        return False
    newer = conn.execute(
        select(review_actions.c.id)
        .where(review_actions.c.submission_id == submission_id, review_actions.c.id > seen)
        .limit(1)
    ).first()
    return newer is not None


def _refused(conn: Connection, submission_id: int, row: Any) -> ReviewOutcome:
    return ReviewOutcome(False, Status(row.status) if row is not None else None, _last(conn, submission_id))


def _record(
    conn: Connection,
    submission_id: int,
    actor: str,
    now: datetime,
    action: ReviewActionKind,
    field: str | None = None,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    rule: str | None = None,
) -> None:
    conn.execute(
        insert(review_actions).values(
            submission_id=submission_id,
            actor=actor,
            acted_at=now,
            action=action.value,
            field=field,
            before=_shown(before),
            after=_shown(after),
            reason=reason or None,
            rule=rule,
        )
    )


def _shown(value: Any) -> str | None:
    """A value as the audit trail keeps it: text as it is, a place or other structure as JSON."""
    if value is None or isinstance(value, str):
        return value
    return _dumps(value)


def _dumps(value: Any, sort: bool = False) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=sort, separators=(",", ":") if sort else None)


def _actions(conn: Connection, submission_id: int) -> list[ReviewAction]:
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


def _last(conn: Connection, submission_id: int) -> ReviewAction | None:
    actions = _actions(conn, submission_id)
    return actions[-1] if actions else None
