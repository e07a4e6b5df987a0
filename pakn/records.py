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
    CHAT = "chat"


class Status(StrEnum):
    """Lifecycle of a submission as the citizen and the IT centre see it."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    NEEDS_INFORMATION = "needs_information"
    REJECTED = "rejected"
    FORWARDED = "forwarded"
    FAILED = "failed"
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
