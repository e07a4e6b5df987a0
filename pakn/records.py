"""Typed, immutable records passed between the stages (channel → journal → normalizer → dispatcher).

Records are frozen dataclasses: a stage that wants to change one makes a new one with
``dataclasses.replace``.  Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType, MemberDescriptorType
from typing import Any, TypeVar


class Channel(StrEnum):
    """Where a submission came from; also the namespace of its source identity."""

    API = "api"
    WEB = "web"
    EMAIL = "email"
    HOTLINE = "hotline"
    SMS = "sms"
    TELEGRAM = "telegram"
    ZALO = "zalo"
    CHAT = "chat"


class Status(StrEnum):
    """Lifecycle of a submission as the citizen and the IT centre see it."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    NEEDS_INFORMATION = "needs_information"
    REJECTED = "rejected"
    FORWARDED = "forwarded"
    FAILED = "failed"
    HELD = "held"  # accepted, waiting for a person to confirm or correct it (REVIEW_MODE, pakn.journal.review)
    IN_PROGRESS = "in_progress"  # the case store says: being handled
    RESOLVED = "resolved"  # the case store says: answered


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    NEEDS_INFORMATION = "needs_information"
    REJECTED = "rejected"


class Severity(StrEnum):
    """What a finding means for the verdict: the worst severity among all findings wins."""

    INFO = "info"
    NEEDS_INFORMATION = "needs_information"
    REJECT = "reject"


R = TypeVar("R")
_KEEP: Any = object()  # "not given" for a copier's parameters: None is a value a field may take
_COPIERS: dict[type, Callable[..., Any]] = {}


def evolve(record: R, **changes: Any) -> R:
    """``dataclasses.replace`` for our frozen records, without running ``__init__`` again.

    The normalizer copies its case once per rule, so this sits on the hot path: each class gets a
    copier generated once, the way ``dataclasses`` generates ``__init__`` (see ``_make_copier``).
    An unknown field is a ``TypeError``, as with ``replace``.
    """
    cls = type(record)
    copier = _COPIERS.get(cls)
    if copier is None:
        copier = _COPIERS[cls] = _make_copier(cls)
    return copier(record, **changes)


def _make_copier(cls: type) -> Callable[..., Any]:
    """``copy(record, *, field=_KEEP, ...)``: a new instance with every field set straight into its slot.

    One keyword parameter per field (Python rejects unknown ones) and one line per field, no loop: about
    four times faster than a loop of ``getattr``/``object.__setattr__``.  Frozen slots classes are set
    through their slot descriptors, which ``__setattr__`` (the frozen check) does not guard.
    """
    names = [f.name for f in fields(cls)]
    namespace: dict[str, Any] = {"_KEEP": _KEEP, "cls": cls, "new_object": object.__new__}
    for name in names:
        namespace[f"set_{name}"] = _setter(cls, name)
    params = ", ".join(f"{name}=_KEEP" for name in names)
    lines = [f"    set_{name}(new, record.{name} if {name} is _KEEP else {name})" for name in names]
    source = f"def copy(record, *, {params}):\n    new = new_object(cls)\n" + "\n".join(lines) + "\n    return new\n"
    exec(source, namespace)  # generated from the class's own field names only, as dataclasses does
    copier: Callable[..., Any] = namespace["copy"]
    copier.__qualname__ = f"evolve[{cls.__name__}]"
    return copier


def _setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    slot = cls.__dict__.get(name)
    if isinstance(slot, MemberDescriptorType):
        return slot.__set__
    return lambda record, value: object.__setattr__(record, name, value)  # a class without slots


FIELD_NAMES = ("content", "incident_time", "location", "name", "phone", "email", "address")


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that came with a submission; its bytes are stored by SHA-256 under PAKN_DATA_DIR/attachments."""

    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Defect:
    """Something a channel found broken in what it received, and what it was about (a file name, a part)."""

    code: str
    about: str = ""


@dataclass(frozen=True, slots=True)
class SubmissionFields:
    """What the submitter said, field by field, as the channel received it.

    Values are ``str`` when the channel already knows the text, or ``bytes`` of an unknown charset
    (an email part with no declared charset, a legacy-encoded file); the normalizer decodes them.
    ``None`` means the channel did not get that field.
    """

    content: str | bytes | None = None
    incident_time: str | bytes | None = None
    location: str | bytes | None = None
    name: str | bytes | None = None
    phone: str | bytes | None = None
    email: str | bytes | None = None
    address: str | bytes | None = None
    confidential: bool = False
    attachments: tuple[Attachment, ...] = ()
    # The field (lĩnh vực) a person chose, e.g. a hotline operator; it wins over the classifier's guess.
    category: str | None = None
    # What the channel saw wrong in the message it read (a broken MIME structure, damaged text or file):
    # the content was recovered as far as it could be; the worker records each as an INFO finding.
    defects: tuple[Defect, ...] = ()
    # Mail no person wrote (a bounce, an auto-reply, a newsletter, a notice, our own address): its kind.
    # Such a submission is journaled but never becomes a case (see dispatcher.jobs.verdict_for).
    automatic: str | None = None

    def overlaid_with(self, later: SubmissionFields) -> SubmissionFields:
        """The fields after a completion: every value the citizen sent later replaces the earlier one."""
        changes: dict[str, Any] = {
            name: getattr(later, name) for name in FIELD_NAMES if _has_value(getattr(later, name))
        }
        if later.confidential:
            changes["confidential"] = True
        if later.attachments:
            changes["attachments"] = self.attachments + later.attachments
        if later.category:
            changes["category"] = later.category
        if later.defects:
            changes["defects"] = self.defects + later.defects
        return replace(self, **changes)

    def as_json(self) -> dict[str, Any]:
        """JSON-safe view; bytes are shown as latin-1 so nothing is lost."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("attachments", "defects"):
                value = [dataclasses.asdict(a) for a in value]
            out[f.name] = value.decode("latin-1") if isinstance(value, bytes) else value
        return out


def _has_value(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, bytes | str):
        return bool(value.strip())
    return True


@dataclass(frozen=True, slots=True)
class Submission:
    """One submission as the normalizer sees it: the channel's parse of the journaled raw payload."""

    channel: Channel
    received_at: datetime
    fields: SubmissionFields
    attachments: tuple[Attachment, ...] = ()
    source_id: str = ""
    tracking_code: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """One observation of one rule: a stable code, its weight, and what the citizen is told."""

    code: str
    severity: Severity
    message: str
    rule: str = ""
    field: str | None = None
    message_en: str | None = None
    detail: Mapping[str, Any] = dataclasses.field(default_factory=lambda: MappingProxyType({}))

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "rule": self.rule,
        }
        if self.field is not None:
            out["field"] = self.field
        if self.message_en is not None:
            out["message_en"] = self.message_en
        if self.detail:
            out["detail"] = dict(self.detail)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        """A finding as the journal stored it (``as_json``)."""
        return cls(
            code=data["code"],
            severity=Severity(data.get("severity", Severity.INFO.value)),
            message=data.get("message", ""),
            rule=data.get("rule", ""),
            field=data.get("field"),
            message_en=data.get("message_en"),
            detail=MappingProxyType(dict(data.get("detail") or {})),
        )


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A point on the map (WGS 84 degrees): a citizen's location pin, or a commune's representative point."""

    latitude: float
    longitude: float

    @classmethod
    def checked(cls, latitude: object, longitude: object) -> GeoPoint | None:
        """The point, or None unless both are finite numbers within range (a journaled value may be anything)."""
        if isinstance(latitude, bool) or isinstance(longitude, bool):
            return None
        if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
            return None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # NaN fails both comparisons
            return None
        return cls(float(latitude), float(longitude))


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """A place as written and the administrative unit (post-2025, two levels) it was matched to."""

    text: str
    province: str | None = None
    province_code: str | None = None
    commune: str | None = None
    commune_code: str | None = None
    old_text: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "province": self.province,
            "province_code": self.province_code,
            "commune": self.commune,
            "commune_code": self.commune_code,
            "old_text": self.old_text,
        }


@dataclass(frozen=True, slots=True)
class Routing:
    """A suggestion of who should handle a case, and why (config/data/routing.toml).

    ``step`` is which step of the table's decision chose the level (no-commune, regulation, kind, urgent,
    default): a stable code for statistics; ``reason`` is the same in Vietnamese for staff.
    """

    agency: str
    level: str  # province | commune (two levels since 1 July 2025)
    reason: str
    step: str

    def as_json(self) -> dict[str, Any]:
        return {"agency": self.agency, "level": self.level, "reason": self.reason, "step": self.step}


@dataclass(frozen=True, slots=True)
class NormalizedCase:
    """The submission after repair, extraction and classification: what goes to the case store."""

    content: str = ""
    incident_time: datetime | None = None
    incident_time_text: str | None = None
    location: PlaceMatch | None = None
    name: str | None = None
    phone: str | None = None
    phone_text: str | None = None
    email: str | None = None
    address: str | None = None
    confidential: bool = False
    language: str | None = None
    category: str | None = None
    urgency: str = "normal"
    due_at: datetime | None = None
    kind: str = "phan_anh_kien_nghi"
    repeat_of: str | None = None
    related_to: tuple[str, ...] = ()
    subject: str | None = None  # hanh_vi | quy_dinh | khong_xac_dinh (config/data/subjects.toml)
    routing: Routing | None = None
    summary: str | None = None  # written by staff in the triage inbox (contract 1.2); the normalizer writes none

    def as_json(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "incident_time": self.incident_time.isoformat() if self.incident_time else None,
            "incident_time_text": self.incident_time_text,
            "location": self.location.as_json() if self.location else None,
            "name": self.name,
            "phone": self.phone,
            "phone_text": self.phone_text,
            "email": self.email,
            "address": self.address,
            "confidential": self.confidential,
            "language": self.language,
            "category": self.category,
            "urgency": self.urgency,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "kind": self.kind,
            "repeat_of": self.repeat_of,
            "related_to": list(self.related_to),
            "subject": self.subject,
            "routing": self.routing.as_json() if self.routing else None,
            "summary": self.summary,
        }


@dataclass(frozen=True, slots=True)
class EarlierCase:
    """A recent case a new submission may repeat (same person) or relate to (same content)."""

    tracking_code: str
    received_at: datetime
    contact_key: str | None
    content: str
    content_key: str | None = None


@dataclass(frozen=True, slots=True)
class NormalizationResult:
    verdict: Verdict
    findings: tuple[Finding, ...]
    case: NormalizedCase

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "reasons": [f.as_json() for f in self.findings if f.severity is not Severity.INFO],
            "findings": [f.as_json() for f in self.findings],
            "case": self.case.as_json(),
        }


# --- what the journal keeps and hands between the stages --------------------------------------------------


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
    """A journaled submission with its state; ``findings`` and ``normalized`` once the normalizer ran."""

    id: int
    tracking_code: str
    channel: Channel
    source_id: str
    content_type: str
    raw: bytes
    received_at: datetime
    status: Status
    verdict: str | None
    findings: tuple[Finding, ...]
    normalized: dict[str, Any] | None
    updated_at: datetime
    attempts: int
    waiting_since: datetime | None
    reminded_at: datetime | None

    @property
    def reasons(self) -> tuple[Finding, ...]:
        """The findings the citizen is told of (all but ``info``)."""
        return tuple(f for f in self.findings if f.severity is not Severity.INFO)


@dataclass(frozen=True, slots=True)
class StoredAmendment:
    """What the citizen sent later to complete a submission."""

    source_id: str
    content_type: str
    raw: bytes
    received_at: datetime


@dataclass(frozen=True, slots=True)
class WaitingSubmission:
    """A submission that waits for its author to add information (what a channel needs to amend it)."""

    submission_id: int
    tracking_code: str
    raw: bytes
    content_type: str


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
    # Why an accepted case waits for a person instead of going out (REVIEW_MODE); empty: forward it.
    held_for: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording verdicts created: forwards to dispatch and messages to send."""

    forward_ids: list[int]
    notification_ids: list[int]


@dataclass(frozen=True, slots=True)
class Forward:
    """One accepted case to deliver to the case store."""

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
    HELD = "held"  # written with the verdict, sent only once a person confirms (never due until then)


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


@dataclass(frozen=True, slots=True)
class CaseQuestion:
    """A question the case store asks about one case, to be relayed to the citizen on their channel."""

    tracking_code: str
    question_id: str  # the case store's own id, sent back with the answer
    key: str  # unique per question: repeats of the same callback are recognised
    question: str
    asked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    """A question relayed to a citizen and not answered yet: what a channel needs to take the answer."""

    id: int
    submission_id: int
    tracking_code: str
    question_id: str
    question: str
    received_at: datetime
    notification_id: int | None
    relayed_at: datetime | None = None  # when the message relaying it was sent (None: not yet)


@dataclass(frozen=True, slots=True)
class CitizenAnswer:
    """The citizen's answer to an open question, as a channel took it (``source_id``: its message)."""

    question: OpenQuestion
    channel: Channel
    source_id: str
    text: str
    answered_at: datetime


class ReplyState:
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Reply:
    """One citizen's answer to deliver to the case store (leased work, like ``Forward``)."""

    id: int
    submission_id: int
    tracking_code: str
    question_id: str  # the case store's id of the question answered
    idempotency_key: str
    channel: Channel
    answer: str
    answered_at: datetime
    attempts: int


# The citizen's rating of the answer to their case, best first (a chat's "1".."4", the web form's choices).
RATINGS = ("very_satisfied", "satisfied", "acceptable", "unhappy")


class RatingState:
    ASKED = "asked"  # the citizen was asked; no rating yet
    PENDING = "pending"  # rated, on its way to the case store
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RatingRequest:
    """A citizen asked to rate the answer to their case, not rated yet."""

    id: int
    submission_id: int
    tracking_code: str
    asked_at: datetime
    relayed_at: datetime | None = None  # when the message asking was sent (None: not yet)


@dataclass(frozen=True, slots=True)
class Rating:
    """One citizen's rating to deliver to the case store (leased work, like ``Forward``)."""

    id: int
    submission_id: int
    tracking_code: str
    idempotency_key: str
    rating: str
    comment: str | None
    channel: Channel
    rated_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class CaseAnswer:
    """The case store's answer to a submission, for the public status views."""

    answer: str
    answered_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"answer": self.answer, "answered_at": self.answered_at.isoformat()}


@dataclass(frozen=True, slots=True)
class Notification:
    """One message to one citizen, with what a channel needs to reach them and to thread the answer."""

    id: int
    submission_id: int
    tracking_code: str
    channel: Channel
    source_id: str  # the submission's source identity (Message-ID, chat id:update id, CallSid, ...)
    raw: bytes  # the submission's journaled raw payload: the sender's address, chat id, phone, ...
    content_type: str
    kind: str  # accepted | needs_information | rejected | reminder | closed | forwarded | status
    message: str  # Vietnamese text from config/data/messages.vi.toml, already filled in
    created_at: datetime
    attempts: int


# The journal's last_error of a message kept as not sendable starts with this (see `pakn stats --json`).
NOT_SENDABLE = "not-sendable: "


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the journal holds for a submission, as its status view lists it."""

    kind: str
    message: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "created_at": self.created_at.isoformat()}


@dataclass(frozen=True, slots=True)
class FailedWork:
    """A submission or forward given up after its attempts, for ``pakn dead list``."""

    kind: str  # submission | forward | answer | rating
    tracking_code: str
    attempts: int
    error: str | None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "tracking_code": self.tracking_code, "attempts": self.attempts, "error": self.error}


@dataclass(frozen=True, slots=True)
class JournalCounts:
    """What the journal holds, counted (``pakn stats --json``): submissions in a period by channel, status
    and category; forwards by state and messages by outcome (all periods)."""

    total: int
    by_channel: Mapping[str, int]
    by_status: Mapping[str, int]
    by_category: Mapping[str, int]
    forwards: Mapping[str, int]
    notifications: Mapping[str, int]  # sent | waiting | not_sendable | failed

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_channel": dict(self.by_channel),
            "by_status": dict(self.by_status),
            "by_category": dict(self.by_category),
            "forwards": dict(self.forwards),
            "notifications": dict(self.notifications),
        }


class ReviewActionKind(StrEnum):
    """What a person did to a submission in the triage inbox (``pakn.journal.review``)."""

    HELD = "held"  # the gateway held it for review (REVIEW_MODE), with the reasons
    CORRECT = "correct"
    CONFIRM = "confirm"
    REJECT = "reject"
    SEND_BACK = "send_back"
    REOPEN = "reopen"
    RETRY = "retry"  # a failed submission's work made due again (as `pakn replay CODE`)


@dataclass(frozen=True, slots=True)
class ReviewAction:
    """One line of a submission's audit trail: who did what, when, from what to what, and why."""

    id: int
    submission_id: int
    actor: str
    acted_at: datetime
    action: ReviewActionKind
    field: str | None = None
    before: str | None = None
    after: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """What a review action did: ``done`` False when the submission was no longer in a state that allows it
    (another person acted first: ``status`` and ``last`` say what they did)."""

    done: bool
    status: Status | None
    last: ReviewAction | None = None
    forward_id: int | None = None
    notification_id: int | None = None
