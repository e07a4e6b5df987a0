"""The JSON API channel (`/api/v1/submissions`): for the mobile app, web pages and other systems.

Thin adapter: check the body's shape, journal the untouched bytes, answer 202 with a tracking code.
Everything else (is it Vietnamese, is anything missing) is the normalizer's job, later.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError
from starlette.concurrency import run_in_threadpool

from channels.web.guard import check_rate, retry_minutes
from pakn import api_errors, edge, tracking
from pakn.db import utcnow
from pakn.journal import RawSubmission, StoredSubmission
from pakn.records import Channel, Status, SubmissionFields
from pakn.responses import JSONResponse
from pakn.runtime import get_runtime
from pakn.secret_keys import completion_token, completion_token_ok

router = APIRouter(prefix="/api/v1", tags=["submissions"])

_LONG = 20_000
_SHORT = 500


class SubmissionIn(BaseModel):
    """A submission as a citizen or an app sends it. Every field may be missing; types are strict."""

    model_config = ConfigDict(extra="ignore")

    content: StrictStr | None = Field(None, max_length=_LONG, description="What happened (nội dung).")
    incident_time: StrictStr | None = Field(
        None, max_length=_SHORT, description="When it happened, as the citizen wrote it or ISO 8601."
    )
    location: StrictStr | None = Field(None, max_length=_SHORT, description="Where it happened (địa điểm).")
    name: StrictStr | None = Field(None, max_length=_SHORT, description="The submitter's full name.")
    phone: StrictStr | None = Field(None, max_length=64)
    email: StrictStr | None = Field(None, max_length=320)
    address: StrictStr | None = Field(None, max_length=_SHORT, description="The submitter's address.")
    confidential: StrictBool = Field(False, description="Hide the submitter's identity (giữ bí mật).")
    idempotency_key: StrictStr | None = Field(
        None,
        min_length=1,
        max_length=edge.IDEMPOTENCY_KEY_MAX,
        pattern=edge.IDEMPOTENCY_KEY.pattern,
        description="The client's key for this submission (printable ASCII, no spaces): sending it again "
        "returns the first answer.",
    )


class Accepted(BaseModel):
    tracking_code: str
    status: Status
    status_url: str
    duplicate: bool
    completion_token: str = Field(
        description="Proof for POST .../completion that the sender got this receipt; keep it with the code."
    )


COMPLETION_TOKEN_HEADER = "X-Completion-Token"
# What identifies the submitter: a completion may add it when missing, never change it.
IDENTITY_FIELDS = ("name", "phone", "email")


def fields_from_raw(payload: bytes) -> SubmissionFields:
    """The fields of a journaled API submission (already validated when it was received)."""
    data = SubmissionIn.model_validate_json(payload)
    return SubmissionFields(
        content=data.content,
        incident_time=data.incident_time,
        location=data.location,
        name=data.name,
        phone=data.phone,
        email=data.email,
        address=data.address,
        confidential=data.confidential,
    )


def _error(status: int, code: str, message: str, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status)


async def _parse_body(request: Request) -> SubmissionIn | JSONResponse:
    runtime = get_runtime()
    messages = runtime.catalog.messages
    if not edge.is_json(request.headers.get("content-type")):
        return _error(415, "unsupported-media-type", messages.text("api", "unsupported-media-type"))
    limit = runtime.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return _error(413, "too-large", messages.text("api", "too-large", limit=limit))
    body = await request.body()
    if len(body) > limit:
        return _error(413, "too-large", messages.text("api", "too-large", limit=limit))
    try:
        return SubmissionIn.model_validate_json(body)
    except ValidationError as error:
        return api_errors.validation_response(messages, error)


def _rate_limited(request: Request, bucket: Literal["lookup", "completion"]) -> JSONResponse | None:
    """429 with Retry-After and a Vietnamese message once this client has used up the bucket."""
    wait = check_rate(request, bucket)
    if not wait:
        return None
    message = get_runtime().catalog.messages.text("api", "rate-limited", minutes=retry_minutes(wait))
    return JSONResponse(
        {"error": "rate-limited", "message": message}, status_code=429, headers={"Retry-After": str(int(wait) + 1)}
    )


def _source_key(parsed: SubmissionIn, request: Request) -> str | JSONResponse:
    """The submission's source identity: the client's key (body, else header), else a random one.
    A malformed header key is refused, never dropped (a retry would then make a second case)."""
    if parsed.idempotency_key:
        return parsed.idempotency_key
    header = request.headers.get("idempotency-key") or None  # an empty header is no key
    if header is None:
        return f"auto-{uuid.uuid4().hex}"
    if not edge.idempotency_key_ok(header):
        message = get_runtime().catalog.messages.text(
            "api", "invalid-idempotency-key", field="Idempotency-Key", limit=edge.IDEMPOTENCY_KEY_MAX
        )
        return _error(400, "invalid-idempotency-key", message, [{"field": "Idempotency-Key", "message": message}])
    return header


def _status_url(code: str) -> str:
    return f"{get_runtime().settings.base_url}/api/v1/submissions/{code}"


_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": SubmissionIn.model_json_schema()}},
    }
}


@router.post(
    "/submissions",
    status_code=202,
    response_model=Accepted,
    openapi_extra=_BODY_DOC,
    responses=edge.api_errors(
        {
            400: "Malformed Idempotency-Key header; nothing was stored.",
            413: edge.TOO_LARGE,
            415: edge.NOT_JSON,
            422: "Not JSON, or a field of the wrong type; nothing was stored.",
            503: "The journal could not store it now; send it again (same key: never twice).",
        }
    ),
)
async def create_submission(request: Request) -> JSONResponse:
    """Journal a submission and answer with its tracking code (202: stored, checks follow)."""
    parsed = await _parse_body(request)
    if isinstance(parsed, JSONResponse):
        return parsed
    body = await request.body()
    key = _source_key(parsed, request)
    if isinstance(key, JSONResponse):
        return key
    raw = RawSubmission(Channel.API, key, body, "application/json", utcnow())
    try:
        receipt = await request.app.state.intake.submit(raw)
    except Exception:
        return _error(503, "unavailable", get_runtime().catalog.messages.text("api", "unavailable"))
    status = Status.RECEIVED
    if receipt.duplicate:
        first = await run_in_threadpool(get_runtime().journal.get, receipt.submission_id)
        status = first.status if first else status
    return JSONResponse(
        {
            "tracking_code": receipt.tracking_code,
            "status": status.value,
            "status_url": _status_url(receipt.tracking_code),
            "duplicate": receipt.duplicate,
            "completion_token": completion_token(get_runtime().settings, receipt.tracking_code),
        },
        status_code=202,
    )


@router.get(
    "/submissions/{tracking_code}",
    responses=edge.api_errors(
        {404: "No submission with this tracking code.", 429: "Too many lookups from this client; see Retry-After."}
    ),
)
async def submission_status(tracking_code: str, request: Request) -> JSONResponse:
    """Where a submission stands; never shows the submitter's identity. Rate limited per client."""
    limited = _rate_limited(request, "lookup")
    if limited is not None:
        return limited
    runtime = get_runtime()
    messages = runtime.catalog.messages
    code = tracking.parse(tracking_code)
    stored = await run_in_threadpool(runtime.journal.get_by_code, code) if code else None
    if stored is None:
        return _error(404, "not-found", messages.text("api", "not-found", tracking_code=tracking_code))
    notifications = await run_in_threadpool(runtime.journal.notifications_of, stored.id)
    answer = await run_in_threadpool(runtime.journal.answer_of, stored.id)
    reasons = [
        {"code": f["code"], "message": f["message"], **({"field": f["field"]} if "field" in f else {})}
        for f in stored.findings
        if f.get("severity") != "info"
    ]
    return JSONResponse(
        {
            "tracking_code": stored.tracking_code,
            "status": stored.status.value,
            "status_text": messages.text("status", stored.status.value),
            "reasons": reasons,
            "channel": stored.channel.value,
            "received_at": stored.received_at.isoformat(),
            "updated_at": stored.updated_at.isoformat(),
            "messages": notifications,
            "answer": answer,
        }
    )


@router.post(
    "/submissions/{tracking_code}/completion",
    status_code=202,
    response_model=Accepted,
    openapi_extra=_BODY_DOC,
    responses=edge.api_errors(
        {
            400: "Malformed Idempotency-Key header.",
            403: "Missing or wrong completion_token (X-Completion-Token header or body field).",
            404: "No submission with this tracking code.",
            409: "Not waiting for information, or it would change the submitter's name, phone or email.",
            413: edge.TOO_LARGE,
            415: edge.NOT_JSON,
            422: "Not JSON, or a field of the wrong type.",
            429: "Too many completions from this client; see Retry-After.",
        }
    ),
)
async def complete_submission(tracking_code: str, request: Request) -> JSONResponse:
    """Add what was missing to the same submission; the normalizer then looks at it again.

    Needs the receipt's ``completion_token`` (header X-Completion-Token, or the body's field) so that
    holding the code is not enough.  It adds, never changes, who the submitter is: a name, phone or
    email already there and different refuses the completion (409 ``identity-kept``), nothing stored.
    """
    limited = _rate_limited(request, "completion")
    if limited is not None:
        return limited
    runtime = get_runtime()
    messages = runtime.catalog.messages
    parsed = await _parse_body(request)
    if isinstance(parsed, JSONResponse):
        return parsed
    body = await request.body()
    code = tracking.parse(tracking_code)
    presented = request.headers.get(COMPLETION_TOKEN_HEADER) or _body_token(body)
    if code is None or not completion_token_ok(runtime.settings, code, presented):
        message = messages.text("api", "completion-token", tracking_code=code or tracking_code[:40])
        return _error(403, "completion-token", message)
    stored = await run_in_threadpool(runtime.journal.get_by_code, code)
    if stored is None:
        return _error(404, "not-found", messages.text("api", "not-found", tracking_code=tracking_code))
    changed = await run_in_threadpool(_identity_changes, stored, parsed)
    if changed:
        return _error(409, "identity-kept", messages.text("api", "identity-kept", fields=", ".join(changed)))
    key = _source_key(parsed, request)
    if isinstance(key, JSONResponse):
        return key
    raw = RawSubmission(Channel.API, key, body, "application/json", utcnow())
    if not await run_in_threadpool(runtime.journal.amend, stored.id, raw):
        return _error(409, "not-waiting", messages.text("api", "not-waiting", tracking_code=stored.tracking_code))
    # Stored already: if Redis is down, the sweeper enqueues it once it is due.
    with contextlib.suppress(Exception):
        await run_in_threadpool(runtime.queues.enqueue_normalize, [stored.id])
    return JSONResponse(
        {
            "tracking_code": stored.tracking_code,
            "status": Status.RECEIVED.value,
            "status_url": _status_url(stored.tracking_code),
            "duplicate": False,
            "completion_token": completion_token(runtime.settings, stored.tracking_code),
        },
        status_code=202,
    )


def _body_token(body: bytes) -> str | None:
    with contextlib.suppress(ValueError):
        data = json.loads(body)
        if isinstance(data, dict) and isinstance(data.get("completion_token"), str):
            return str(data["completion_token"])
    return None


def _same(field: str, before: str, after: str) -> bool:
    if field == "phone":
        digits = ["".join(c for c in value if c.isdigit()) for value in (before, after)]
        return digits[0][-9:] == digits[1][-9:]
    return " ".join(before.split()).casefold() == " ".join(after.split()).casefold()


def _identity_changes(stored: StoredSubmission, completion: SubmissionIn) -> list[str]:
    """The identity fields the completion would change (present before, and different)."""
    from channels import submission_from_journal

    amendments = get_runtime().journal.amendments_of_many([stored.id]).get(stored.id, [])
    try:
        current = submission_from_journal(stored, amendments).fields
    except Exception:  # unreadable original: nothing known to protect
        return []
    changed = []
    for field in IDENTITY_FIELDS:
        before, after = getattr(current, field), getattr(completion, field)
        if isinstance(before, bytes):
            before = before.decode("utf-8", "replace")
        if before and before.strip() and after and after.strip() and not _same(field, before, after):
            changed.append(field)
    return changed
