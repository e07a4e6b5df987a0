"""`pakn normalize`: the normalizer's public, scriptable face, with the same code path as the worker.

Output of one verdict (stable; documented in docs/normalize-cli.md)::

    {"verdict": "accepted" | "needs_information" | "rejected",
     "reasons": [{"code", "severity", "message", "rule", "field"?, "message_en"?, "detail"?}],
     "findings": [... every finding, informational ones included ...],
     "case": {... the normalized case ...}}

An input that cannot be read gives ``{"verdict": null, "error": {"code", "message"}}`` in its place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from channels.readers import READERS
from config.catalog import load_catalog
from config.settings import Settings
from normalizer import context_from_settings, normalize
from pakn.api_errors import validation_errors
from pakn.records import Channel, Submission


def normalize_document(
    payload: bytes, content_type: str, channel: str, received_at: datetime, settings: Settings
) -> dict[str, Any]:
    try:
        fields = READERS.fields_of(payload, content_type)
    except ValidationError as error:
        return _unreadable(settings, error)
    except ValueError:
        return _unreadable(settings, None)
    submission = Submission(channel=Channel(channel), received_at=received_at, fields=fields)
    return normalize(submission, context_from_settings(settings)).as_json()


def _unreadable(settings: Settings, error: ValidationError | None) -> dict[str, Any]:
    """The verdict's place for an input that cannot be read: said in Vietnamese, per field, never pydantic's English."""
    messages = load_catalog(settings.data_dir).messages
    problems = error.errors(include_url=False, include_input=False) if error is not None else []
    if any(p["type"] in ("json_invalid", "json_type") for p in problems) or (error is None):
        return {"verdict": None, "error": {"code": "unreadable", "message": messages.text("finding", "unreadable")}}
    details = validation_errors(messages, problems)
    message = " ".join(d["message"] for d in details)
    return {"verdict": None, "error": {"code": "unreadable", "message": message, "errors": details}}


def normalize_lines(
    lines: Iterable[bytes], channel: str, received_at: datetime, settings: Settings
) -> Iterator[dict[str, Any]]:
    for line in lines:
        yield normalize_document(line, "application/json", channel, received_at, settings)
