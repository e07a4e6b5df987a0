"""The JSON a case store receives: a stable, versioned shape (see docs/case-contract.md).

``SCHEMA_VERSION`` changes only with a documented, backwards-compatible addition or a new major version.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from pakn.journal import StoredSubmission
from pakn.records import Attachment, NormalizationResult, Severity

SCHEMA_VERSION = "1.0"


def idempotency_key(stored: StoredSubmission) -> str:
    """One key per submission, forever: a case store that sees it twice already has the case."""
    return f"pakn-{stored.tracking_code}"


def attachment_url(base_url: str, secret: bytes, sha256: str, expires: int) -> str:
    """A link the case store can fetch an attachment with, signed and valid until ``expires``."""
    signature = hmac.new(secret, f"{sha256}.{expires}".encode(), hashlib.sha256).hexdigest()
    return f"{base_url}/api/v1/attachments/{sha256}?expires={expires}&signature={signature}"


def case_payload(
    stored: StoredSubmission,
    result: NormalizationResult,
    attachments: Sequence[Attachment] = (),
    links: AttachmentLinks | None = None,
) -> dict[str, Any]:
    case = result.case
    return {
        "schema": "pakn.case",
        "schema_version": SCHEMA_VERSION,
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


@dataclass(frozen=True, slots=True)
class AttachmentLinks:
    base_url: str
    secret: bytes
    valid_days: int = 30

    def url(self, sha256: str) -> str:
        return attachment_url(self.base_url, self.secret, sha256, int(time.time()) + self.valid_days * 86400)


def encode(payload: dict[str, Any]) -> bytes:
    """Canonical bytes: the signature is computed over exactly what is sent."""
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
