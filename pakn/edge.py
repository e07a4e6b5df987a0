"""Checks every channel makes when a request arrives, so that bad input is refused with a clear 4xx
naming the field, never stored (or failing a batch of other people's submissions later).

Column sizes come from the tables themselves (``pakn.db``): a limit here cannot drift from the schema.
"""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import urlsplit

from pydantic import BaseModel, Field
from sqlalchemy import Column, String

from pakn.db import submissions


def _length(column: Column[Any]) -> int:
    length = cast(String, column.type).length
    assert length is not None, column
    return length


SOURCE_ID_MAX = _length(submissions.c.source_id)
CONTENT_TYPE_MAX = _length(submissions.c.content_type)
# A client's key for one submission: printable ASCII without spaces, short enough for any source id
# prefix ("open311:<app>:", "api:") to fit the journal's column.
IDEMPOTENCY_KEY_MAX = 128
IDEMPOTENCY_KEY = re.compile(rf"^[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_MAX}}}$")


def idempotency_key_ok(key: str) -> bool:
    return bool(IDEMPOTENCY_KEY.match(key))


def is_json(content_type: str | None) -> bool:
    """``application/json`` or ``application/<anything>+json``, parameters (charset) allowed."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def is_web_url(value: str) -> bool:
    """An absolute http(s) URL with a host and no spaces or control characters: never ``javascript:``,
    ``data:`` or ``file:``, which a page or an app showing it back would follow."""
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


class ApiError(BaseModel):
    """The JSON APIs' error body: a stable code, a Vietnamese message, and per-field details if any."""

    error: str = Field(description="Stable code, e.g. too-large, unsupported-media-type, invalid-fields.")
    message: str = Field(description="What went wrong, in Vietnamese, for a person.")
    errors: list[dict[str, Any]] | None = Field(None, description="One entry per field at fault: field, message.")


TOO_LARGE = "The body passed the endpoint's limit (MAX_BODY_BYTES, BODY_MAX_BYTES_BY_PATH); nothing was stored."
NOT_JSON = "The body is not application/json (or no Content-Type); nothing was stored."


def api_errors(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """FastAPI ``responses=`` for the status codes an endpoint may answer, in the API's error shape."""
    return {code: {"model": ApiError, "description": text} for code, text in descriptions.items()}
