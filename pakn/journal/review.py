"""The triage inbox's acting side: what staff do to a submission held for a person (correct, confirm,
reject, send back, retry, reopen), each action with its line of the audit trail (``review_actions``).
What staff read (the lists, the trail and its counts) is ``pakn.journal.triage_inbox``.

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

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection

from pakn.db import forwards, review_actions, submissions, utcnow
from pakn.journal.outbox import add_message
from pakn.journal.storage import Storage
from pakn.journal.triage_inbox import RULE_OF_FIELD, actions_of
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
# States a person may reopen (and accept) a submission from.
REOPENABLE = (Status.REJECTED.value, Status.NEEDS_INFORMATION.value)


class Review:
    """What staff do in the triage inbox: one transaction per action, refused if someone acted first."""

    def __init__(self, storage: Storage) -> None:
        self._writer = storage.writer
        self.stale_after = storage.stale_after

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


def _last(conn: Connection, submission_id: int) -> ReviewAction | None:
    actions = actions_of(conn, submission_id)
    return actions[-1] if actions else None
