"""The JSON API channel (`/api/v1/submissions`): for the mobile app, web pages and other systems.

Thin adapter: check the body's shape, journal the untouched bytes, answer 202 with a tracking code.
Everything else (is it Vietnamese, is anything missing) is the normalizer's job, later.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError
from starlette.concurrency import run_in_threadpool

from channels import completion, identity
from channels.api_payload import SubmissionIn
from channels.completion import NotCompleted
from channels.depends import IntakeDep, RuntimeDep
from channels.intake import Refusal
from channels.loop import take_answer, take_rating
from channels.runtime import Runtime
from channels.web.guard import check_rate, retry_minutes
from pakn import api_errors, edge, tracking
from pakn.contact_changes import (
    ASK_KIND,
    DONE_KIND,
    MAX_WRONG_CODES,
    ConfirmationOutcome,
    State,
)
from pakn.db import utcnow
from pakn.journal.loop import QUESTION_KIND
from pakn.records import Channel, RawSubmission, SentMessage, Status, StoredSubmission
from pakn.responses import JSONResponse
from pakn.secret_keys import completion_token, completion_token_ok

router = APIRouter(prefix="/api/v1", tags=["submissions"])
M = TypeVar("M", bound=BaseModel)


class Accepted(BaseModel):
    tracking_code: str
    status: Status
    status_url: str
    duplicate: bool
    completion_token: str = Field(
        description="Proof for POST .../completion that the sender got this receipt; keep it with the code."
    )


class CompletionAccepted(Accepted):
    contact_change: list[str] = Field(
        default_factory=list,
        description="Contact fields (phone, email) this completion would change: not applied. A code was sent "
        "on the submission's original channel; POST it to .../contact-confirmation to apply the change.",
    )


class ContactConfirmationIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    confirmation_code: StrictStr = Field(
        min_length=1, max_length=32, description="The code sent on the submission's original channel."
    )


class ContactConfirmed(BaseModel):
    tracking_code: str
    status: Literal["confirmed"]
    fields: list[str] = Field(description="The contact fields now changed (phone, email).")


COMPLETION_TOKEN_HEADER = "X-Completion-Token"


def _error(status: int, code: str, message: str, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status)


async def _parse_body(runtime: Runtime, request: Request) -> SubmissionIn | JSONResponse:
    return await _parse_json(runtime, request, SubmissionIn)


async def _parse_json(runtime: Runtime, request: Request, model: type[M]) -> M | JSONResponse:
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
        return model.model_validate_json(body)
    except ValidationError as error:
        return api_errors.validation_response(messages, error)


def _rate_limited(runtime: Runtime, request: Request, bucket: Literal["lookup", "completion"]) -> JSONResponse | None:
    """429 with Retry-After and a Vietnamese message once this client has used up the bucket."""
    wait = check_rate(request, bucket)
    if not wait:
        return None
    message = runtime.catalog.messages.text("api", "rate-limited", minutes=retry_minutes(wait))
    return JSONResponse(
        {"error": "rate-limited", "message": message}, status_code=429, headers={"Retry-After": str(int(wait) + 1)}
    )


def _source_key(runtime: Runtime, parsed: SubmissionIn, request: Request) -> str | JSONResponse:
    """The submission's source identity: the client's key (body, else header), else a random one.
    A malformed header key is refused, never dropped (a retry would then make a second case)."""
    if parsed.idempotency_key:
        return parsed.idempotency_key
    header = request.headers.get("idempotency-key") or None  # an empty header is no key
    if header is None:
        return f"auto-{uuid.uuid4().hex}"
    if not edge.idempotency_key_ok(header):
        message = runtime.catalog.messages.text(
            "api", "invalid-idempotency-key", field="Idempotency-Key", limit=edge.IDEMPOTENCY_KEY_MAX
        )
        return _error(400, "invalid-idempotency-key", message, [{"field": "Idempotency-Key", "message": message}])
    return header


def _status_url(runtime: Runtime, code: str) -> str:
    return f"{runtime.settings.base_url}/api/v1/submissions/{code}"


def _json_body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a view that reads its JSON itself (to answer in its own terms)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


_BODY_DOC = _json_body_doc(SubmissionIn)


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
async def create_submission(request: Request, intake: IntakeDep, runtime: RuntimeDep) -> JSONResponse:
    """Journal a submission and answer with its tracking code (202: stored, checks follow)."""
    parsed = await _parse_body(runtime, request)
    if isinstance(parsed, JSONResponse):
        return parsed
    key = _source_key(runtime, parsed, request)
    if isinstance(key, JSONResponse):
        return key
    receipt = await intake.take(Channel.API, key, await request.body(), "application/json")
    if isinstance(receipt, Refusal):
        return _error(503, "unavailable", runtime.catalog.messages.text("api", "unavailable"))
    status = Status.RECEIVED
    if receipt.duplicate:
        first = await run_in_threadpool(runtime.journal.reading.get, receipt.submission_id)
        status = first.status if first else status
    return JSONResponse(
        {
            "tracking_code": receipt.tracking_code,
            "status": status.value,
            "status_url": _status_url(runtime, receipt.tracking_code),
            "duplicate": receipt.duplicate,
            "completion_token": completion_token(runtime.settings, receipt.tracking_code),
        },
        status_code=202,
    )


@router.get(
    "/submissions/{tracking_code}",
    responses=edge.api_errors(
        {404: "No submission with this tracking code.", 429: "Too many lookups from this client; see Retry-After."}
    ),
)
async def submission_status(tracking_code: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Where a submission stands; never shows the submitter's identity. Rate limited per client."""
    limited = _rate_limited(runtime, request, "lookup")
    if limited is not None:
        return limited
    messages = runtime.catalog.messages
    code = tracking.parse(tracking_code)
    stored = await run_in_threadpool(runtime.journal.reading.get_by_code, code) if code else None
    if stored is None:
        return _error(404, "not-found", messages.text("api", "not-found", tracking_code=tracking_code))
    notifications = await run_in_threadpool(runtime.journal.reading.notifications_of, stored.id)
    # A contact-change code (and the new contact) is for the submitter's own channel, never for whoever
    # holds the tracking code: shown only with the completion token (the only channel API and web form have).
    presented = request.headers.get(COMPLETION_TOKEN_HEADER)
    if not completion_token_ok(runtime.settings, stored.tracking_code, presented):
        # The case store's question may name people or places: for the submitter too (pakn.journal.loop).
        hidden = {kind: messages.text("api", f"{kind}-hidden") for kind in (ASK_KIND, DONE_KIND, QUESTION_KIND)}
        notifications = [
            SentMessage(n.kind, hidden[n.kind], n.created_at) if n.kind in hidden else n for n in notifications
        ]
    answer = await run_in_threadpool(runtime.journal.reading.answer_of, stored.id)
    # The case store's open question and the request to rate: for the submitter (the token) only.
    question = rating_asked = None
    if completion_token_ok(runtime.settings, stored.tracking_code, presented):
        question = await run_in_threadpool(runtime.journal.loop.open_question, stored.id)
        rating_asked = await run_in_threadpool(runtime.journal.ratings.open_request, stored.id) is not None
    reasons = [
        {"code": f.code, "message": f.message, **({"field": f.field} if f.field is not None else {})}
        for f in stored.reasons
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
            "messages": [m.as_json() for m in notifications],
            "answer": answer.as_json() if answer else None,
            **({"question": question.question if question else None} if rating_asked is not None else {}),
            **({"rating_requested": rating_asked} if rating_asked is not None else {}),
        }
    )


@router.post(
    "/submissions/{tracking_code}/completion",
    status_code=202,
    response_model=CompletionAccepted,
    openapi_extra=_BODY_DOC,
    responses=edge.api_errors(
        {
            400: "Malformed Idempotency-Key header.",
            403: "Missing or wrong completion_token (X-Completion-Token header or body field).",
            404: "No submission with this tracking code.",
            409: "Not waiting for information (not-waiting), or it would change the submitter's name "
            "(identity-kept); nothing stored.",
            413: edge.TOO_LARGE,
            415: edge.NOT_JSON,
            422: "Not JSON, or a field of the wrong type.",
            429: "Too many completions from this client; see Retry-After.",
        }
    ),
)
async def complete_submission(tracking_code: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Add what was missing to the same submission; the normalizer then looks at it again.

    Needs the receipt's ``completion_token`` (header X-Completion-Token, or the body's field) so that
    holding the code is not enough.  It adds, never silently changes, who the submitter is: another
    name refuses the completion (409 ``identity-kept``, nothing stored); another phone or email is not
    applied but recorded as a pending change, and a code to confirm it is sent on the submission's
    original channel (``contact_change`` in the answer; see ``.../contact-confirmation``).
    """
    limited = _rate_limited(runtime, request, "completion")
    if limited is not None:
        return limited
    messages = runtime.catalog.messages
    parsed = await _parse_body(runtime, request)
    if isinstance(parsed, JSONResponse):
        return parsed
    body = await request.body()
    code = tracking.parse(tracking_code)
    presented = request.headers.get(COMPLETION_TOKEN_HEADER) or _body_token(body)
    if code is None or not completion_token_ok(runtime.settings, code, presented):
        message = messages.text("api", "completion-token", tracking_code=code or tracking_code[:40])
        return _error(403, "completion-token", message)
    stored = await run_in_threadpool(runtime.journal.reading.get_by_code, code)
    if stored is None:
        return _error(404, "not-found", messages.text("api", "not-found", tracking_code=tracking_code))
    key = _source_key(runtime, parsed, request)
    if isinstance(key, JSONResponse):
        return key
    raw = RawSubmission(Channel.API, key, body, "application/json", utcnow())
    done = await completion.complete(runtime, stored, raw, parsed.to_fields())
    if done is NotCompleted.IDENTITY_KEPT:
        return _error(409, "identity-kept", messages.text("api", "identity-kept", fields="name"))
    if done is NotCompleted.NOT_WAITING:
        return _error(409, "not-waiting", messages.text("api", "not-waiting", tracking_code=stored.tracking_code))
    return JSONResponse(
        {
            "tracking_code": stored.tracking_code,
            "status": Status.RECEIVED.value,
            "status_url": _status_url(runtime, stored.tracking_code),
            "duplicate": False,
            "completion_token": completion_token(runtime.settings, stored.tracking_code),
            "contact_change": list(done.contact_change),
        },
        status_code=202,
    )


_CONFIRMATION_DOC = _json_body_doc(ContactConfirmationIn)


@router.post(
    "/submissions/{tracking_code}/contact-confirmation",
    response_model=ContactConfirmed,
    openapi_extra=_CONFIRMATION_DOC,
    responses=edge.api_errors(
        {
            403: f"Wrong confirmation code (contact-code); after {MAX_WRONG_CODES} wrong codes the change is "
            "refused (contact-code-refused) and the contact on file kept.",
            404: "No submission with this tracking code.",
            409: "No contact change waiting for confirmation (never asked, expired, refused or done).",
            413: edge.TOO_LARGE,
            415: edge.NOT_JSON,
            422: "Not JSON, or no confirmation_code.",
            429: "Too many completions and confirmations from this client; see Retry-After.",
        }
    ),
)
async def confirm_contact_change(tracking_code: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Apply the phone or email change a completion asked for, with the code sent on the original channel.

    Rate limited with completions (same per-client bucket); each pending change takes at most
    ``MAX_WRONG_CODES`` wrong codes, then it is refused.  The change, with the old and new values, stays
    in the journal for staff (``pakn contact-changes``); the citizen is told on the original channel.
    """
    limited = _rate_limited(runtime, request, "completion")
    if limited is not None:
        return limited
    messages = runtime.catalog.messages
    parsed = await _parse_json(runtime, request, ContactConfirmationIn)
    if isinstance(parsed, JSONResponse):
        return parsed
    code = tracking.parse(tracking_code)
    stored = await run_in_threadpool(runtime.journal.reading.get_by_code, code) if code else None
    if stored is None:
        return _error(404, "not-found", messages.text("api", "not-found", tracking_code=tracking_code[:40]))
    listed = await run_in_threadpool(runtime.contact_changes.listed, stored.tracking_code)
    pending = [c for c in listed if c.state == State.PENDING]
    done_text = messages.text(
        "notification",
        "contact-changed",
        tracking_code=stored.tracking_code,
        changes=identity.described(runtime, pending),
    )
    result = await run_in_threadpool(runtime.contact_changes.confirm, stored.id, parsed.confirmation_code, done_text)
    if result.outcome is ConfirmationOutcome.NONE_PENDING:
        return _error(
            409, "no-contact-change", messages.text("api", "no-contact-change", tracking_code=stored.tracking_code)
        )
    if result.outcome is ConfirmationOutcome.WRONG_CODE:
        return _error(403, "contact-code", messages.text("api", "contact-code", left=result.attempts_left))
    if result.outcome is ConfirmationOutcome.REFUSED:
        return _error(403, "contact-code-refused", messages.text("api", "contact-code-refused", limit=MAX_WRONG_CODES))
    if result.notification_id is not None:
        with contextlib.suppress(Exception):
            await run_in_threadpool(runtime.queues.enqueue_notify, [result.notification_id])
    return JSONResponse(
        {
            "tracking_code": stored.tracking_code,
            "status": "confirmed",
            "fields": sorted({change.field for change in result.changes}),
        }
    )


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    answer: StrictStr = Field(min_length=1, max_length=20_000, description="The answer to the open question.")


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    rating: Literal["very_satisfied", "satisfied", "acceptable", "unhappy"] = Field(
        description="How satisfied the citizen is with the answer to their case."
    )
    comment: StrictStr | None = Field(None, max_length=4_000, description="Optional comment.")


class FeedbackTaken(BaseModel):
    tracking_code: str
    status: Literal["recorded"]
    duplicate: bool


_FEEDBACK_ERRORS = edge.api_errors(
    {
        400: "Malformed Idempotency-Key header.",
        403: "Missing or wrong X-Completion-Token.",
        404: "No submission with this tracking code.",
        409: "Nothing waiting: no open question (answer), not asked to rate or rated already (rating).",
        413: edge.TOO_LARGE,
        415: edge.NOT_JSON,
        422: "Not JSON, or a field missing or of the wrong type.",
        429: "Too many completions from this client; see Retry-After.",
    }
)


async def _proven(
    runtime: Runtime, request: Request, tracking_code: str
) -> tuple[StoredSubmission, str] | JSONResponse:
    """The submission the completion token proves its sender for, with the request's source identity."""
    messages = runtime.catalog.messages
    code = tracking.parse(tracking_code)
    presented = request.headers.get(COMPLETION_TOKEN_HEADER)
    if code is None or not completion_token_ok(runtime.settings, code, presented):
        message = messages.text("api", "completion-token", tracking_code=code or tracking_code[:40])
        return _error(403, "completion-token", message)
    stored = await run_in_threadpool(runtime.journal.reading.get_by_code, code)
    if stored is None:
        return _error(404, "not-found", messages.text("api", "not-found", tracking_code=tracking_code[:40]))
    header = request.headers.get("idempotency-key") or None
    if header is not None and not edge.idempotency_key_ok(header):
        message = messages.text(
            "api", "invalid-idempotency-key", field="Idempotency-Key", limit=edge.IDEMPOTENCY_KEY_MAX
        )
        return _error(400, "invalid-idempotency-key", message, [{"field": "Idempotency-Key", "message": message}])
    return stored, f"api:{stored.tracking_code}:{header or uuid.uuid4().hex}"


async def _feedback(
    runtime: Runtime, request: Request, tracking_code: str, model: type[M]
) -> tuple[M, StoredSubmission, str] | JSONResponse:
    """What an answer and a rating are checked for first, in this order: the completions' rate limit, the
    body, the completion token (``_proven``)."""
    limited = _rate_limited(runtime, request, "completion")
    if limited is not None:
        return limited
    parsed = await _parse_json(runtime, request, model)
    if isinstance(parsed, JSONResponse):
        return parsed
    proven = await _proven(runtime, request, tracking_code)
    if isinstance(proven, JSONResponse):
        return proven
    return parsed, *proven


def _recorded(stored: StoredSubmission, duplicate: bool) -> JSONResponse:
    return JSONResponse({"tracking_code": stored.tracking_code, "status": "recorded", "duplicate": duplicate}, 202)


@router.post(
    "/submissions/{tracking_code}/answer",
    status_code=202,
    response_model=FeedbackTaken,
    openapi_extra=_json_body_doc(AnswerIn),
    responses=_FEEDBACK_ERRORS,
)
async def answer_question(tracking_code: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """The answer to the case store's open question about this submission (the question is in the status view's
    ``question`` with the token), passed on signed, exactly once; the same Idempotency-Key again is that answer."""
    checked = await _feedback(runtime, request, tracking_code, AnswerIn)
    if isinstance(checked, JSONResponse):
        return checked
    parsed, stored, source = checked
    if await run_in_threadpool(runtime.journal.loop.answered_by, source) is not None:
        return _recorded(stored, duplicate=True)
    question = await run_in_threadpool(runtime.journal.loop.open_question, stored.id)
    if question is None or not await run_in_threadpool(
        take_answer, runtime, question, Channel.API, source, parsed.answer
    ):
        message = runtime.catalog.messages.text("api", "no-question", tracking_code=stored.tracking_code)
        return _error(409, "no-question", message)
    return _recorded(stored, duplicate=False)


@router.post(
    "/submissions/{tracking_code}/rating",
    status_code=202,
    response_model=FeedbackTaken,
    openapi_extra=_json_body_doc(RatingIn),
    responses=_FEEDBACK_ERRORS,
)
async def rate_answer(tracking_code: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """The citizen's rating of the answer to their resolved case (asked once, the first rating counts), passed on
    signed, exactly once; the same Idempotency-Key again is that rating."""
    checked = await _feedback(runtime, request, tracking_code, RatingIn)
    if isinstance(checked, JSONResponse):
        return checked
    parsed, stored, source = checked
    if await run_in_threadpool(runtime.journal.ratings.rated_by, source) is not None:
        return _recorded(stored, duplicate=True)
    asked = await run_in_threadpool(runtime.journal.ratings.open_request, stored.id)
    if asked is None or not await run_in_threadpool(
        take_rating, runtime, asked, parsed.rating, parsed.comment, Channel.API, source
    ):
        message = runtime.catalog.messages.text("api", "not-rating", tracking_code=stored.tracking_code)
        return _error(409, "not-rating", message)
    return _recorded(stored, duplicate=False)


def _body_token(body: bytes) -> str | None:
    with contextlib.suppress(ValueError):
        data = json.loads(body)
        if isinstance(data, dict) and isinstance(data.get("completion_token"), str):
            return str(data["completion_token"])
    return None
