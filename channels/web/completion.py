"""The completion page: a citizen adds what their submission lacks, on the web, whatever channel it came by.

``/complete/{code}?token=…`` is linked from the web receipt, the lookup page and the needs-information
message; the link carries the receipt's completion token (``pakn.secret_keys``: an HMAC of the code, the
same the JSON API asks for), without which the page refuses in Vietnamese (403).  A plain form (no script
needed), CSRF-protected and rate limited like the submission form; it asks only for the fields the
normalizer found missing or wrong, and goes through ``journal.intake.amend`` like every completion
(``channels.followup.complete``): another name is refused, another phone or e-mail confirmed by a code
on the original channel (``channels.identity``).  Then Post/Redirect/Get to the receipt.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from channels import identity
from channels.depends import RuntimeDep
from channels.followup import Completes, complete
from channels.runtime import Runtime
from channels.web import guard
from channels.web.pages import (
    TEXT_FIELDS,
    linked_submission,
    message_page,
    page,
    place_suggestions,
    rate_limited,
    small_form,
    texts,
)
from channels.web.payload import CONTENT_TYPE, WebPayload
from pakn.db import utcnow
from pakn.records import Channel, RawSubmission, Status, StoredSubmission
from pakn.secret_keys import completion_token

log = logging.getLogger(__name__)

router = APIRouter(tags=["citizen pages"], include_in_schema=False)

_FORM_KEY = re.compile(r"^[0-9a-f]{32}$")
_LIMITS = {"content": 20_000, "email": 320, "phone": 64}
# A finding's field → the form's fields that answer it ("contact": a phone or an e-mail).
_ANSWERED_BY = {"contact": ("phone", "email")}


def asked_fields(stored: StoredSubmission) -> tuple[str, ...]:
    """The fields to ask for: those the normalizer's reasons name, in the form's order (all when none)."""
    named = {answer for f in stored.reasons if f.field for answer in _ANSWERED_BY.get(f.field, (f.field,))}
    asked = tuple(name for name in TEXT_FIELDS if name in named)
    return asked or TEXT_FIELDS


async def _waiting(request: Request, runtime: Runtime, code_text: str, token: str) -> StoredSubmission | Response:
    """The submission the link is for, if the token is its own and it waits for information; else the page."""
    t = texts(runtime)
    stored = await linked_submission(request, runtime, code_text, token, "complete")
    if isinstance(stored, Response):
        return stored
    if stored.status is not Status.NEEDS_INFORMATION:
        message = t["complete-not-waiting"].format(tracking_code=stored.tracking_code)
        return message_page(request, 409, message, t["complete-title"])
    return stored


def _form(
    request: Request,
    runtime: Runtime,
    stored: StoredSubmission,
    token: str,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "complete.html",
        status,
        stored=stored,
        token=token,
        asked=asked_fields(stored),
        values=values or {},
        error=error,
        form_key=(values or {}).get("form_key") or uuid.uuid4().hex,
        places=place_suggestions(runtime.settings.province_code),
    )


@router.get("/complete/{tracking_code}")
async def completion_form(tracking_code: str, request: Request, runtime: RuntimeDep, token: str = "") -> Response:
    wait = guard.check_rate(request, "completion")
    if wait:
        return rate_limited(request, wait)
    stored = await _waiting(request, runtime, tracking_code, token)
    if isinstance(stored, Response):
        return stored
    return _form(request, runtime, stored, token)


@router.post("/complete/{tracking_code}")
async def completion_post(tracking_code: str, request: Request, runtime: RuntimeDep) -> Response:
    """Add what the citizen typed to the same submission; the normalizer then looks at it again."""
    t = texts(runtime)
    names = (*TEXT_FIELDS, "form_key", "token", "csrf")
    values = await small_form(request, names, t["complete-title"], max_fields=32, strip=True)
    if isinstance(values, Response):
        return values
    stored = await _waiting(request, runtime, tracking_code, values["token"])
    if isinstance(stored, Response):
        return stored
    if not guard.csrf_ok(request, values["csrf"]):
        log.info("completion page: a post without a valid CSRF token was sent back")
        return _form(request, runtime, stored, values["token"], values=values, error=t["csrf"], status=403)
    typed: dict[str, Any] = {name: values[name][: _LIMITS.get(name, 500)] or None for name in asked_fields(stored)}
    if not any(typed.values()):
        return _form(request, runtime, stored, values["token"], values=values, error=t["complete-empty"], status=422)
    payload = WebPayload(via="web", **typed)
    assessment = await run_in_threadpool(identity.assess, runtime, stored, payload.to_fields())
    if assessment.name is not None:
        return _form(request, runtime, stored, values["token"], values=values, error=t["complete-name"], status=409)
    key = values["form_key"] if _FORM_KEY.match(values["form_key"]) else uuid.uuid4().hex
    raw = RawSubmission(Channel.WEB, f"web-completion:{key}", payload.to_bytes(), CONTENT_TYPE, utcnow())
    target = Completes(stored.id, stored.tracking_code)
    if not await run_in_threadpool(complete, runtime, target, raw, payload.to_fields()):
        return message_page(
            request, 409, t["complete-not-waiting"].format(tracking_code=stored.tracking_code), t["complete-title"]
        )
    log.info("completion page: submission %d completed", stored.id)
    token = completion_token(runtime.settings, stored.tracking_code)
    return RedirectResponse(f"/receipt/{stored.tracking_code}?token={token}", status_code=303)
