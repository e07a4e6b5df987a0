"""Generic signed chat webhook: single messages from other chat platforms (Zalo OA, ...) as submissions.

A platform (or the small relay in front of it) POSTs one JSON message to ``/api/v1/chat/{platform}``
signed with that platform's own secret (CHAT_WEBHOOK_SECRETS): ``X-PAKN-Signature: sha256=<hex of
HMAC-SHA256(secret, raw body)>``.  The untouched body is journaled; the platform's message id is the
source identity, so a retried delivery returns the first tracking code.  No conversation here: the
normalizer decides, and the citizen follows the status URL.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import ClassVar

from fastapi import APIRouter, Request
from pydantic import ConfigDict, Field, StrictStr, ValidationError

from channels.depends import IntakeDep, RuntimeDep
from channels.fields import FieldsModel
from channels.intake import Refusal
from pakn import api_errors, edge
from pakn.records import Channel, Status, SubmissionFields
from pakn.responses import JSONResponse

CONTENT_TYPE = "application/vnd.pakn.chat+json"
SIGNATURE_HEADER = "X-PAKN-Signature"
_PLATFORM = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_LONG = 20_000
_SHORT = 500

router = APIRouter(prefix="/api/v1", tags=["chatbot"])


class ChatMessageIn(FieldsModel):
    """One message a citizen sent on another chat platform, as its relay forwards it."""

    model_config = ConfigDict(extra="ignore")
    renamed: ClassVar[Mapping[str, str]] = {"text": "content"}

    message_id: StrictStr = Field(
        min_length=1, max_length=128, description="The platform's id of the message: a repeat is recognised by it."
    )
    sender_id: StrictStr = Field(
        min_length=1, max_length=128, description="The platform's id of the sender (kept, never shown)."
    )
    text: StrictStr = Field(min_length=1, max_length=_LONG, description="What the citizen wrote.")
    sent_at: StrictStr | None = Field(None, max_length=64, description="When it was sent (ISO 8601), if known.")
    name: StrictStr | None = Field(None, max_length=_SHORT, description="The sender's name, if the platform knows it.")
    phone: StrictStr | None = Field(None, max_length=64, description="The sender's phone, if shared.")
    location: StrictStr | None = Field(None, max_length=_SHORT, description="A place, if the platform sent one.")
    incident_time: StrictStr | None = Field(None, max_length=_SHORT)


def fields_from_raw(payload: bytes, content_type: str) -> SubmissionFields:
    """The fields of a journaled chat message (``channels.readers`` entry): the text is the content."""
    return ChatMessageIn.model_validate_json(payload).to_fields()


def sign(secret: bytes, body: bytes) -> str:
    """The header value a sender computes (also what the docs show)."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


@router.post(
    "/chat/{platform}",
    status_code=202,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ChatMessageIn.model_json_schema()}},
        },
        "parameters": [
            {
                "name": SIGNATURE_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "sha256=<hex of HMAC-SHA256 over the raw body with the platform's secret>",
            }
        ],
    },
    responses=edge.api_errors(
        {
            401: "Missing or wrong signature; nothing stored.",
            404: "Platform not configured (CHAT_WEBHOOK_SECRETS).",
            413: edge.TOO_LARGE,
            415: edge.NOT_JSON,
            422: "Not JSON, or a field missing or of the wrong type; nothing stored.",
            503: "The journal could not store it now; deliver it again.",
        }
    ),
)
async def chat_message(platform: str, request: Request, intake: IntakeDep, runtime: RuntimeDep) -> JSONResponse:
    """Journal one signed chat message as a submission; 202 with its tracking code (the same for a repeat)."""
    messages = runtime.catalog.messages
    secret = runtime.settings.chatbot.webhook_secrets.get(platform) if _PLATFORM.match(platform) else None
    if secret is None:
        return _error(404, "unknown-platform", messages.text("chat", "unknown-platform", platform=platform[:32]))
    limit = runtime.settings.max_body_bytes
    body = await request.body()
    if len(body) > limit:
        return _error(413, "too-large", messages.text("api", "too-large", limit=limit))
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not hmac.compare_digest(given.encode(), sign(secret.get_secret_value().encode(), body).encode()):
        return _error(401, "bad-signature", messages.text("chat", "bad-signature"))
    if not edge.is_json(request.headers.get("content-type")):
        return _error(415, "unsupported-media-type", messages.text("api", "unsupported-media-type"))
    try:
        parsed = ChatMessageIn.model_validate_json(body)
    except ValidationError as error:
        return api_errors.validation_response(messages, error)
    receipt = await intake.take(Channel.CHAT, f"{platform}:{parsed.message_id}", body, CONTENT_TYPE)
    if isinstance(receipt, Refusal):
        return _error(503, "unavailable", messages.text("api", "unavailable"))
    code = receipt.tracking_code
    return JSONResponse(
        {
            "tracking_code": code,
            "status": Status.RECEIVED.value,
            "status_url": f"{runtime.settings.base_url}/api/v1/submissions/{code}",
            "duplicate": receipt.duplicate,
        },
        status_code=202,
    )
