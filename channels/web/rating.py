"""The rating page: a citizen rates the answer to their resolved case, whatever channel it came by.

``/rate/{code}?token=…`` is linked from the request to rate (mail, SMS, chat: ``pakn.notify.text_as_sent``)
and from the lookup page opened with the receipt's completion token; without the right token it refuses in
Vietnamese (403).  A plain form (no script needed): four choices and an optional comment, CSRF-protected and
in the completions' rate limit.  The first rating counts (``channels.loop.take_rating``); then
Post/Redirect/Get to the lookup page.
"""

from __future__ import annotations

import logging
import re
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from channels.depends import RuntimeDep
from channels.loop import take_rating
from channels.runtime import Runtime
from channels.web import guard
from channels.web.pages import linked_submission, message_page, page, rate_limited, small_form, texts
from pakn.records import RATINGS, Channel, RatingRequest

log = logging.getLogger(__name__)

router = APIRouter(tags=["citizen pages"], include_in_schema=False)

_FORM_KEY = re.compile(r"^[0-9a-f]{32}$")


async def _request(request: Request, runtime: Runtime, code_text: str, token: str) -> RatingRequest | Response:
    t = texts(runtime)
    stored = await linked_submission(request, runtime, code_text, token, "rate")
    if isinstance(stored, Response):
        return stored
    asked = await run_in_threadpool(runtime.journal.ratings.open_request, stored.id)
    if asked is None:
        return message_page(
            request, 409, t["rate-not-asked"].format(tracking_code=stored.tracking_code), t["rate-title"]
        )
    return asked


@router.get("/rate/{tracking_code}")
async def rating_form(tracking_code: str, request: Request, runtime: RuntimeDep, token: str = "") -> Response:
    wait = guard.check_rate(request, "completion")
    if wait:
        return rate_limited(request, wait)
    asked = await _request(request, runtime, tracking_code, token)
    if isinstance(asked, Response):
        return asked
    answer = await run_in_threadpool(runtime.journal.reading.answer_of, asked.submission_id)
    choices = [(r, runtime.catalog.messages.text("notification", f"rating-{r}")) for r in RATINGS]
    return page(
        request, "rate.html", asked=asked, answer=answer, token=token, choices=choices, form_key=uuid.uuid4().hex
    )


@router.post("/rate/{tracking_code}")
async def rating_post(tracking_code: str, request: Request, runtime: RuntimeDep) -> Response:
    t = texts(runtime)
    names = ("rating", "comment", "token", "csrf", "form_key")
    values = await small_form(request, names, t["rate-title"], max_fields=8)
    if isinstance(values, Response):
        return values
    asked = await _request(request, runtime, tracking_code, values["token"])
    if isinstance(asked, Response):
        return asked
    if not guard.csrf_ok(request, values["csrf"]):
        log.info("rating page: a post without a valid CSRF token was refused")
        return message_page(request, 403, t["csrf"], t["rate-title"])
    if values["rating"] not in RATINGS:
        return message_page(request, 422, t["rate-choose"], t["rate-title"])
    key = values["form_key"] if _FORM_KEY.match(values["form_key"]) else uuid.uuid4().hex
    taken = await run_in_threadpool(
        take_rating, runtime, asked, values["rating"], values["comment"], Channel.WEB, f"web-rating:{key}"
    )
    if not taken:
        return message_page(request, 409, t["rate-not-asked"].format(tracking_code=asked.tracking_code))
    return RedirectResponse(f"/lookup?code={asked.tracking_code}&token={values['token']}", status_code=303)
