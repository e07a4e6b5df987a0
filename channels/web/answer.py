"""The reply form on the lookup page: a citizen answers the case store's question on the web.

Whatever channel the submission came by, the lookup page opened with the receipt's completion token
(``/lookup?code=…&token=…``, the link in the message relaying the question) shows the open question and a
plain form (no script needed) posting here, CSRF-protected and in the completions' rate limit.  Without the
right token: 403, in Vietnamese.  The answer goes to the case store through ``channels.loop``; then
Post/Redirect/Get back to the lookup page.
"""

from __future__ import annotations

import logging
import re
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from channels.depends import RuntimeDep
from channels.loop import take_answer
from channels.web import guard
from channels.web.pages import linked_submission, message_page, small_form, texts
from pakn.records import Channel

log = logging.getLogger(__name__)

router = APIRouter(tags=["citizen pages"], include_in_schema=False)

_FORM_KEY = re.compile(r"^[0-9a-f]{32}$")


@router.post("/answer/{tracking_code}")
async def answer_post(tracking_code: str, request: Request, runtime: RuntimeDep) -> Response:
    t = texts(runtime)
    values = await small_form(request, ("answer", "token", "csrf", "form_key"), t["answer-title"], max_fields=8)
    if isinstance(values, Response):
        return values
    stored = await linked_submission(request, runtime, tracking_code, values["token"], "answer")
    if isinstance(stored, Response):
        return stored
    code = stored.tracking_code
    back = f"/lookup?code={code}&token={values['token']}#question"
    if not guard.csrf_ok(request, values["csrf"]):
        log.info("answer form: a post without a valid CSRF token was refused")
        return message_page(request, 403, t["csrf"], t["answer-title"])
    if not values["answer"].strip():
        return message_page(request, 422, t["answer-empty"], t["answer-title"])
    question = await run_in_threadpool(runtime.journal.loop.open_question, stored.id)
    if question is None:
        return message_page(request, 409, t["answer-none"].format(tracking_code=code), t["answer-title"])
    key = values["form_key"] if _FORM_KEY.match(values["form_key"]) else uuid.uuid4().hex
    taken = await run_in_threadpool(take_answer, runtime, question, Channel.WEB, f"web-answer:{key}", values["answer"])
    if not taken:
        return message_page(request, 409, t["answer-none"].format(tracking_code=code), t["answer-title"])
    return RedirectResponse(back, status_code=303)
