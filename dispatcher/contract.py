"""The JSON a case store receives: a stable, versioned shape (see docs/case-contract.md).

``SCHEMA_VERSION`` changes only with a documented, backwards-compatible addition or a new major version.
"""

from __future__ import annotations

from typing import Any

import orjson

from pakn.journal import StoredSubmission
from pakn.records import NormalizationResult, Severity

SCHEMA_VERSION = "1.0"


def idempotency_key(stored: StoredSubmission) -> str:
    """One key per submission, forever: a case store that sees it twice already has the case."""
    return f"pakn-{stored.tracking_code}"


def case_payload(stored: StoredSubmission, result: NormalizationResult) -> dict[str, Any]:
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
        "repeat_of": case.repeat_of,
        "related_to": list(case.related_to),
        "source": {
            "channel": stored.channel.value,
            "id": stored.source_id,
            "content_type": stored.content_type,
        },
    }


def encode(payload: dict[str, Any]) -> bytes:
    """Canonical bytes: the signature is computed over exactly what is sent."""
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
