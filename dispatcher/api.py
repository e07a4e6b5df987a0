"""The case store's side of the contract: signed status callbacks, and signed attachment downloads."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from dispatcher.sinks import SIGNATURE_HEADER, verify
from pakn import api_errors, attachments, edge, tracking
from pakn.journal import CaseUpdate
from pakn.responses import JSONResponse
from pakn.runtime import get_runtime

router = APIRouter(prefix="/api/v1", tags=["case store"])
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class CaseStoreUpdate(BaseModel):
    """What the case store reports about a case it received from the gateway."""

    tracking_code: str = Field(max_length=64, description="The case's tracking code, as the gateway sent it.")
    status: Literal["received", "in_progress", "resolved"]
    update_id: str = Field(min_length=1, max_length=64, description="Unique per update; a resend is ignored.")
    answer: str | None = Field(None, max_length=20_000, description="The answer to the citizen (resolved).")
    on_time: bool | None = Field(None, description="Whether the case was resolved within its deadline.")
    satisfaction: int | None = Field(None, ge=1, le=5, description="The citizen's rating, when reported.")
    reported_at: datetime | None = None


def _secret() -> bytes:
    """The case store's key: set, or generated for the `sql` sink; empty (nothing is accepted) otherwise."""
    return get_runtime().settings.case_store_secret.get_secret_value().encode()


@router.post(
    "/case-store/updates",
    status_code=202,
    responses=edge.api_errors(
        {
            403: "Missing or wrong X-PAKN-Signature.",
            404: "No submission with this tracking code.",
            413: edge.TOO_LARGE,
            415: edge.NOT_JSON,
            422: "Not JSON, or a field missing or of the wrong type.",
        }
    ),
)
async def case_store_update(request: Request) -> JSONResponse:
    """Signed like the gateway's own POSTs (X-PAKN-Signature, see docs/case-contract.md)."""
    runtime = get_runtime()
    messages = runtime.catalog.messages
    body = await request.body()
    secret = _secret()
    if not secret or not verify(secret, request.headers.get(SIGNATURE_HEADER, ""), body):
        return JSONResponse({"error": "bad-signature", "message": messages.text("api", "bad-signature")}, 403)
    if not edge.is_json(request.headers.get("content-type")):
        message = messages.text("api", "unsupported-media-type")
        return JSONResponse({"error": "unsupported-media-type", "message": message}, 415)
    try:
        report = CaseStoreUpdate.model_validate_json(body)
    except ValidationError as error:
        return api_errors.validation_response(messages, error)
    code = tracking.parse(report.tracking_code)
    text_key = f"case-{report.status}"
    message = messages.text("notification", text_key, tracking_code=code, answer=report.answer or "")
    change = CaseUpdate(
        tracking_code=code or report.tracking_code,
        status=report.status,
        key=hashlib.sha256(f"{code or report.tracking_code}:{report.update_id}".encode()).hexdigest(),
        answer=report.answer,
        on_time=report.on_time,
        satisfaction=report.satisfaction,
        reported_at=report.reported_at,
    )
    known, notification_id = await run_in_threadpool(runtime.journal.record_case_update, change, message)
    if not known:
        return JSONResponse(
            {"error": "not-found", "message": messages.text("api", "not-found", tracking_code=report.tracking_code)},
            404,
        )
    if notification_id is not None:
        await run_in_threadpool(runtime.queues.enqueue_notify, [notification_id])
    return JSONResponse({"status": "recorded", "duplicate": notification_id is None}, 202)


@router.get(
    "/attachments/{sha256}",
    response_model=None,
    responses={403: {"description": "Wrong or expired signature."}, 404: {"description": "No such attachment."}},
)
async def attachment(sha256: str, expires: int, signature: str) -> Response:
    """An attachment of a forwarded case, for whoever holds the signed link from the case payload."""
    secret = _secret()
    expected = hmac.new(secret, f"{sha256}.{expires}".encode(), hashlib.sha256).hexdigest()
    if not secret or not _SHA256.match(sha256) or expires < time.time() or not hmac.compare_digest(expected, signature):
        return JSONResponse({"error": "bad-signature"}, 403)
    path = attachments.path_for(get_runtime().settings.pakn_data_dir, sha256)
    if not path.exists():
        return JSONResponse({"error": "not-found"}, 404)
    return FileResponse(path, media_type="application/octet-stream")
