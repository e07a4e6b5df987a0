"""The JSON a case store receives: a stable, versioned shape (see docs/case-contract.md).

``SCHEMA_VERSION`` changes only with a documented, backwards-compatible addition or a new major version.
1.1 added the routing suggestion and the subject (behaviour or regulations), 1.2 the staff's summary; a
case store pinned to an older version (``CASE_STORE_SCHEMA_VERSION=1.0`` or ``1.1``, for a receiver that
rejects unknown keys) gets that version's body exactly.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from pakn.records import RATINGS, Attachment, NormalizationResult, Rating, Reply, Severity, StoredSubmission

SCHEMA_VERSION = "1.2"
SCHEMA_VERSIONS = ("1.0", "1.1", "1.2")  # what the gateway can send; the additions of each are below


def idempotency_key(stored: StoredSubmission) -> str:
    """One key per submission, forever: a case store that sees it twice already has the case."""
    return f"pakn-{stored.tracking_code}"


REPLY_SCHEMA_VERSION = "1.0"


def reply_payload(reply: Reply) -> dict[str, Any]:
    """The citizen's answer to a question of the case store (docs/case-contract.md, "Questions and answers").

    Only the answer's text and where it came from: never who the citizen is (the case store has the
    submitter, as the contract allows, with the case; a confidential one is not named again here)."""
    return {
        "schema": "pakn.answer",
        "schema_version": REPLY_SCHEMA_VERSION,
        "tracking_code": reply.tracking_code,
        "idempotency_key": reply.idempotency_key,
        "question_id": reply.question_id,
        "answer": reply.answer,
        "channel": reply.channel.value,
        "answered_at": reply.answered_at.isoformat(),
    }


RATING_SCHEMA_VERSION = "1.0"


def rating_payload(rating: Rating) -> dict[str, Any]:
    """The citizen's rating of the answer to their case (docs/case-contract.md, "Satisfaction").

    ``score``: 4 very satisfied … 1 unhappy.  No identity, as with answers."""
    return {
        "schema": "pakn.rating",
        "schema_version": RATING_SCHEMA_VERSION,
        "tracking_code": rating.tracking_code,
        "idempotency_key": rating.idempotency_key,
        "rating": rating.rating,
        "score": len(RATINGS) - RATINGS.index(rating.rating),
        "comment": rating.comment,
        "channel": rating.channel.value,
        "rated_at": rating.rated_at.isoformat(),
    }


def attachment_url(base_url: str, secret: bytes, sha256: str, expires: int) -> str:
    """A link the case store can fetch an attachment with, signed and valid until ``expires``."""
    signature = hmac.new(secret, f"{sha256}.{expires}".encode(), hashlib.sha256).hexdigest()
    return f"{base_url}/api/v1/attachments/{sha256}?expires={expires}&signature={signature}"


def case_payload(
    stored: StoredSubmission,
    result: NormalizationResult,
    attachments: Sequence[Attachment] = (),
    links: AttachmentLinks | None = None,
    version: str = SCHEMA_VERSION,
) -> dict[str, Any]:
    """The case as the case store receives it, in ``version`` (each older one leaves out what later ones added)."""
    if version not in SCHEMA_VERSIONS:
        raise ValueError(f"schema version {version!r} is not one of {SCHEMA_VERSIONS}")
    case = result.case
    payload = {
        "schema": "pakn.case",
        "schema_version": version,
        "tracking_code": stored.tracking_code,
        "idempotency_key": idempotency_key(stored),
        "channel": stored.channel.value,
        "received_at": stored.received_at.isoformat(),
        "submitter": {
            "name": case.name,
            "phone": case.phone,
            "phone_as_written": case.phone_text,
            "email": case.email,
            "address": case.address,
            "confidential": case.confidential,
        },
        "content": case.content,
        "incident_time": case.incident_time.isoformat() if case.incident_time else None,
        "incident_time_as_written": case.incident_time_text,
        "place": case.location.as_json() if case.location else None,
        "category": case.category,
        "kind": case.kind,
        "urgency": case.urgency,
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "language": case.language,
        "findings": [f.as_json() for f in result.findings if f.severity is Severity.INFO],
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "url": links.url(a.sha256) if links else None,
            }
            for a in attachments
        ],
        "repeat_of": case.repeat_of,
        "related_to": list(case.related_to),
        "source": {
            "channel": stored.channel.value,
            "id": stored.source_id,
            "content_type": stored.content_type,
        },
    }
    if version != "1.0":
        routing = case.routing
        payload["suggested_agency"] = routing.agency if routing else None
        payload["level"] = routing.level if routing else None
        payload["routing_reason"] = routing.reason if routing else None
        payload["subject"] = case.subject
    if version not in ("1.0", "1.1"):
        payload["summary"] = case.summary
    return payload


@dataclass(frozen=True, slots=True)
class AttachmentLinks:
    base_url: str
    secret: bytes
    valid_days: int = 30
    clock: Callable[[], float] = time.time  # passed in so two bodies built for one case can carry one expiry

    def url(self, sha256: str) -> str:
        return attachment_url(self.base_url, self.secret, sha256, int(self.clock()) + self.valid_days * 86400)


def encode(payload: dict[str, Any]) -> bytes:
    """Canonical bytes: the signature is computed over exactly what is sent."""
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
