"""The case store's side of the contract: signed status callbacks, and signed attachment downloads.

The routes take what they work with (``CaseStoreDeps``) from the provider the web application passes to
``make_router``: nothing here looks the process's runtime up.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Literal, Protocol, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from config.catalog import Catalog
from config.settings import Settings
from dispatcher.sinks import SIGNATURE_HEADER, verify
from pakn import api_errors, attachments, edge, tracking
from pakn.deps import QueuedDeps
from pakn.records import CaseQuestion, CaseUpdate
from pakn.responses import JSONResponse

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


class CaseStoreQuestion(BaseModel):
    """A question the case store asks the citizen about a case (relayed on the citizen's channel)."""

    tracking_code: str = Field(max_length=64, description="The case's tracking code, as the gateway sent it.")
    question_id: str = Field(
        min_length=1, max_length=64, description="Unique per question; a resend is ignored; sent back with the answer."
    )
    question: str = Field(min_length=1, max_length=4_000, description="The question, in Vietnamese, to the citizen.")
    asked_at: datetime | None = None


class CaseStoreDeps(QueuedDeps, Protocol):
    """What the case store's routes work with (``pakn.app.runtime.Runtime`` is one)."""

    @property
    def catalog(self) -> Catalog: ...


M = TypeVar("M", bound=BaseModel)


async def _signed(request: Request, runtime: CaseStoreDeps, model: type[M]) -> M | JSONResponse:
    """A call of the case store, checked in this order: its signature over the body as sent (403), a JSON
    content type (415), the body as ``model`` (422)."""
    messages = runtime.catalog.messages
    body = await request.body()
    secret = _secret(runtime.settings)
    if not secret or not verify(secret, request.headers.get(SIGNATURE_HEADER, ""), body):
        return JSONResponse({"error": "bad-signature", "message": messages.text("api", "bad-signature")}, 403)
    if not edge.is_json(request.headers.get("content-type")):
        message = messages.text("api", "unsupported-media-type")
        return JSONResponse({"error": "unsupported-media-type", "message": message}, 415)
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        return api_errors.validation_response(messages, error)


def _secret(settings: Settings) -> bytes:
    """The case store's key: set, or generated for the `sql` sink; empty (nothing is accepted) otherwise."""
    return settings.case_store.secret.get_secret_value().encode()


def make_router(deps: Callable[[], CaseStoreDeps]) -> APIRouter:
    """The case store's routes, on what ``deps`` gives (called per request: a FastAPI dependency)."""
    router = APIRouter(prefix="/api/v1", tags=["case store"])

    async def current() -> CaseStoreDeps:  # a coroutine: FastAPI would run a plain function in its thread pool
        return deps()

    provided = Depends(current)

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
    async def case_store_update(request: Request, runtime: CaseStoreDeps = provided) -> JSONResponse:
        """Signed like the gateway's own POSTs (X-PAKN-Signature, see docs/case-contract.md)."""
        messages = runtime.catalog.messages
        report = await _signed(request, runtime, CaseStoreUpdate)
        if isinstance(report, JSONResponse):
            return report
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
        # The first `resolved` asks the citizen, once, to rate the answer (pakn.journal.ratings).
        asking = None
        if report.status == "resolved":
            asking = messages.text("notification", "rating-request", tracking_code=change.tracking_code)
        record = runtime.journal.updates.record_case_update_ids
        known, notification_ids = await run_in_threadpool(record, change, message, asking)
        if not known:
            return JSONResponse(
                {
                    "error": "not-found",
                    "message": messages.text("api", "not-found", tracking_code=report.tracking_code),
                },
                404,
            )
        if notification_ids:
            await run_in_threadpool(runtime.queues.enqueue_notify, notification_ids)
        return JSONResponse({"status": "recorded", "duplicate": not notification_ids}, 202)

    @router.post(
        "/case-store/questions",
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
    async def case_store_question(request: Request, runtime: CaseStoreDeps = provided) -> JSONResponse:
        """A question for the citizen, signed like the status callbacks; their answer comes back signed to
        CASE_STORE_ANSWERS_URL (docs/case-contract.md, "Questions and answers")."""
        messages = runtime.catalog.messages
        asked = await _signed(request, runtime, CaseStoreQuestion)
        if isinstance(asked, JSONResponse):
            return asked
        code = tracking.parse(asked.tracking_code) or asked.tracking_code
        question = CaseQuestion(
            tracking_code=code,
            question_id=asked.question_id,
            key=hashlib.sha256(f"{code}:{asked.question_id}".encode()).hexdigest(),
            question=asked.question.strip(),
            asked_at=asked.asked_at,
        )
        message = messages.text("notification", "case-question", tracking_code=code, question=question.question)
        known, notification_id = await run_in_threadpool(runtime.journal.loop.record_question, question, message)
        if not known:
            return JSONResponse(
                {
                    "error": "not-found",
                    "message": messages.text("api", "not-found", tracking_code=asked.tracking_code),
                },
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
    async def attachment(sha256: str, expires: int, signature: str, runtime: CaseStoreDeps = provided) -> Response:
        """An attachment of a forwarded case, for whoever holds the signed link from the case payload."""
        secret = _secret(runtime.settings)
        expected = hmac.new(secret, f"{sha256}.{expires}".encode(), hashlib.sha256).hexdigest()
        if (
            not secret
            or not _SHA256.match(sha256)
            or expires < time.time()
            or not hmac.compare_digest(expected, signature)
        ):
            return JSONResponse({"error": "bad-signature"}, 403)
        path = attachments.path_for(runtime.settings.pakn_data_dir, sha256)
        if not path.exists():
            return JSONResponse({"error": "not-found"}, 404)
        return FileResponse(path, media_type="application/octet-stream")

    return router
