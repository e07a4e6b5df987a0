"""The citizen's pages: the submission form, the receipt, the lookup, and the live hints behind them.

Server-rendered (Jinja2), mobile first, usable without JavaScript: a post with problems comes back as
the same form with every problem marked (summary at the top linking to each field) and everything
typed kept, uploads included.  Post/Redirect/Get to the receipt; the form's key is the journal's
source identity, so sending twice gives one tracking code.  One small script adds the live hints.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from channels.depends import IntakeDep, RuntimeDep, provided_runtime
from channels.intake import Intake, Refusal
from channels.runtime import Runtime
from channels.web import forms, guard, uploads
from channels.web.checks import Problems, add_findings, check_fields
from channels.web.payload import CONTENT_TYPE, StoredFile, WebPayload
from config.settings import Settings
from normalizer.fields.places import DATA_FILE
from pakn import attachments, edge, timefmt, tracking
from pakn.contact_changes import ASK_KIND, DONE_KIND
from pakn.journal.loop import QUESTION_KIND
from pakn.records import CaseAnswer, Channel, Status, StoredSubmission, SubmissionFields
from pakn.responses import JSONResponse
from pakn.secret_keys import completion_path, completion_token, completion_token_ok, rating_path

log = logging.getLogger(__name__)

router = APIRouter(tags=["citizen pages"], include_in_schema=False)
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
timefmt.install(templates.env)
STATIC = {
    "web.js": "text/javascript", "web.css": "text/css", "triage.js": "text/javascript", "map.js": "text/javascript"
}  # fmt: skip
# No inline script or style anywhere: the browser runs only our own files; no other site may frame us.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
TEXT_FIELDS = ("content", "incident_time", "location", "name", "phone", "email", "address")
_LIMITS = {"content": 20_000, "email": 320, "phone": 64}
_FORM_KEY = re.compile(r"^[0-9a-f]{32}$")
HONEYPOT = "website"


def texts(runtime: Runtime) -> dict[str, str]:
    return dict(runtime.catalog.messages.sections["web"])


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """A page with the security headers, the [web] texts, and the CSRF cookie when it is new."""
    runtime = provided_runtime(request)
    token, new = guard.csrf_token(request)
    context.setdefault("t", texts(runtime))
    context.setdefault("csrf", token)
    context.setdefault("status_texts", dict(runtime.catalog.messages.sections["status"]))
    response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    if new:
        response.set_cookie(
            guard.CSRF_COOKIE, token, httponly=True, samesite="strict", secure=guard.secure_cookies(request),
            path="/", max_age=86_400,
        )  # fmt: skip
    return response


def rate_limited(request: Request, wait: float, *, as_json: bool = False) -> Response:
    """429 with a plain Vietnamese explanation (and Retry-After), never a stack trace."""
    t = texts(provided_runtime(request))
    message = t["rate-limited"].format(minutes=guard.retry_minutes(wait))
    headers = {"Retry-After": str(int(wait) + 1)}
    if as_json:
        return JSONResponse({"error": "rate-limited", "message": message}, status_code=429, headers=headers)
    response = page(request, "message.html", 429, title=t["rate-limited-title"], message=message)
    response.headers.update(headers)
    return response


def message_page(request: Request, status: int, message: str, title: str | None = None) -> Response:
    title = title or texts(provided_runtime(request))["form-title"]
    return page(request, "message.html", status, title=title, message=message)


async def small_form(
    request: Request, names: tuple[str, ...], title: str, *, max_fields: int, strip: bool = False
) -> dict[str, str] | Response:
    """The fields ``names`` of a citizen's small form (completion, answer, rating: no files), or the page
    that refuses it: over the completions' rate limit (429), not our form (400), text not UTF-8 (400)."""
    t = texts(provided_runtime(request))
    wait = guard.check_rate(request, "completion")
    if wait:
        return rate_limited(request, wait)
    try:
        strict = await forms.read_form(request, max_files=0, max_fields=max_fields)
    except Exception:  # not our form
        return message_page(request, 400, t["honeypot"], title)
    form = strict.form
    try:
        values = {name: str(form.get(name) or "") for name in names}
    finally:
        await form.close()
    if strict.not_utf8:
        return message_page(request, 400, t["invalid-utf8"].format(field=", ".join(strict.not_utf8)[:200]))
    return {name: value.strip() for name, value in values.items()} if strip else values


async def linked_submission(
    request: Request, runtime: Runtime, code_text: str, token: str, page_name: str
) -> StoredSubmission | Response:
    """The submission a citizen's link (completion, answer, rating) names, if ``token`` is its own; else the
    page that refuses it: 403 for a missing or wrong token, 404 for no such code.  ``page_name`` picks the
    page's texts (``<page_name>-token``, ``<page_name>-title``)."""
    t = texts(runtime)
    code = tracking.parse(code_text)
    shown = code or code_text[:40]
    if code is None or not completion_token_ok(runtime.settings, code, token):
        log.info("%s page: a missing or wrong token was refused", page_name)
        return message_page(request, 403, t[f"{page_name}-token"].format(tracking_code=shown), t[f"{page_name}-title"])
    stored = await run_in_threadpool(runtime.journal.reading.get_by_code, code)
    if stored is None:
        return message_page(request, 404, t["lookup-not-found"].format(code=shown), t[f"{page_name}-title"])
    return stored


@lru_cache(maxsize=4)
def place_suggestions(province_code: str) -> tuple[str, ...]:
    """Communes of the province as "Phường X, Tỉnh Y" (the place field's suggestions, no script needed)."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    province = next((name for code, name, _ in data["provinces"] if code == province_code), "")
    return tuple(f"{name}, {province}" for _code, prov, name, _ in data["communes"] if prov == province_code)


def _form_page(
    request: Request,
    settings: Settings,
    *,
    values: dict[str, Any] | None = None,
    problems: Problems | None = None,
    kept: list[StoredFile] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    values = values or {}
    form_key = values.get("form_key") or uuid.uuid4().hex
    return page(
        request,
        "form.html",
        status,
        values=values,
        problems=problems or Problems(),
        kept=[(f, uploads.keep_token(f, settings)) for f in kept or []],
        notice=notice,
        form_key=form_key,
        places=place_suggestions(settings.province_code),
        max_files=settings.web.upload_max_count,
        max_size=uploads.human_size(settings.web.upload_max_bytes),
    )


@router.get("/web/static/{name}")
async def static(name: str) -> FileResponse:
    if name not in STATIC:
        raise HTTPException(404)
    return FileResponse(HERE / "static" / name, media_type=STATIC[name], headers={"Cache-Control": "max-age=3600"})


@router.get("/")
async def form(request: Request, runtime: RuntimeDep) -> Response:
    wait = guard.check_rate(request, "page")
    if wait:
        return rate_limited(request, wait)
    return _form_page(request, runtime.settings)


def _values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: str(form.get(name) or "").strip() for name in TEXT_FIELDS}
    values["latitude"] = str(form.get("latitude") or "").strip()
    values["longitude"] = str(form.get("longitude") or "").strip()
    values["confidential"] = form.get("confidential") == "on"
    key = str(form.get("form_key") or "")
    values["form_key"] = key if _FORM_KEY.match(key) else uuid.uuid4().hex
    return values


def _coordinate(text: str, bound: float) -> float | str | None:
    """The number, None when empty, or "" when it is not a number within ±bound."""
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return ""
    return value if -bound <= value <= bound and value == value else ""


async def _judge_files(runtime: Runtime, form: FormData, problems: Problems) -> list[StoredFile]:
    """Kept uploads (carried from an earlier post, then new ones), each checked, stored at once."""
    t = texts(runtime)
    settings = runtime.settings
    carried = [f for f in (uploads.from_keep_token(str(v), settings) for v in form.getlist("kept")) if f is not None]
    kept = []
    for earlier in carried:
        # Still on disk, and made young again while the form is in use; gone (the sweeper removes uploads
        # nobody sent after ABANDONED_UPLOAD_HOURS): the citizen is asked to choose it again.
        if await run_in_threadpool(attachments.touch, settings.pakn_data_dir, earlier.sha256):
            kept.append(earlier)
        else:
            problems.add("files", t["file-gone"].format(name=earlier.filename), "file-gone")
    for item in form.getlist("files"):
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        name = uploads.safe_filename(item.filename)
        data = await item.read(settings.web.upload_max_bytes + 1)
        if len(data) > settings.web.upload_max_bytes:
            problems.add(
                "files",
                t["file-too-large"].format(name=name, size=uploads.human_size(settings.web.upload_max_bytes)),
                "file-too-large",
            )
            continue
        if not data:
            problems.add("files", t["file-empty"].format(name=name), "file-empty")
            continue
        content_type = uploads.sniff(data)
        if content_type is None or not uploads.well_formed(data, content_type):
            problems.add("files", t["file-type"].format(name=name), "file-type")
            continue
        if len(kept) >= settings.web.upload_max_count:
            problems.add("files", t["file-too-many"].format(count=settings.web.upload_max_count), "file-too-many")
            continue
        name = uploads.name_for(name, content_type)
        stored = await run_in_threadpool(attachments.store, settings.pakn_data_dir, name, content_type, data)
        kept.append(StoredFile(filename=stored.filename, content_type=stored.content_type, size=stored.size,
                               sha256=stored.sha256))  # fmt: skip
    return kept[: settings.web.upload_max_count]


@router.post("/submit")
async def submit(request: Request, intake: IntakeDep, runtime: RuntimeDep) -> Response:
    """Check the form (limits, CSRF, honeypot, the normalizer's findings); journal it, or send it back marked."""
    t = texts(runtime)
    settings = runtime.settings
    wait = guard.check_rate(request, "post")
    if wait:
        return rate_limited(request, wait)
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > settings.web.request_max_bytes:
        size = uploads.human_size(settings.web.request_max_bytes)
        return message_page(request, 413, t["request-too-large"].format(size=size))
    try:
        strict = await forms.read_form(request, max_files=settings.web.upload_max_count * 2, max_fields=64)
    except Exception:  # malformed multipart, too many parts: the browser did not send our form
        return message_page(request, 400, t["honeypot"])
    form = strict.form
    try:
        if strict.not_utf8:
            names = ", ".join(name[:40] for name in strict.not_utf8)
            log.info("web form: fields not UTF-8 refused: %s", names)
            return message_page(request, 400, t["invalid-utf8"].format(field=names))
        return await _submit(request, intake, runtime, form)
    finally:
        await form.close()


async def _submit(request: Request, intake: Intake, runtime: Runtime, form: FormData) -> Response:
    t = texts(runtime)
    settings = runtime.settings
    values = _values(form)
    problems = Problems()
    if not guard.csrf_ok(request, str(form.get("csrf") or "")):
        log.info("web form: a post without a valid CSRF token was sent back")
        return _form_page(request, settings, values=values, notice=t["csrf"], status=403)
    if str(form.get(HONEYPOT) or "").strip():
        log.warning("web form: honeypot filled in; nothing stored")
        return message_page(request, 400, t["honeypot"])
    kept = await _judge_files(runtime, form, problems)
    for name in TEXT_FIELDS:
        limit = _LIMITS.get(name, 500)
        if len(values[name]) > limit:
            problems.add(name, t["too-long"].format(limit=limit), "too-long")
    latitude = _coordinate(values["latitude"], 90)
    longitude = _coordinate(values["longitude"], 180)
    if latitude == "":
        problems.add("latitude", t["invalid-latitude"], "invalid-latitude")
    if longitude == "":
        problems.add("latitude", t["invalid-longitude"], "invalid-longitude")
    if (latitude is None) != (longitude is None) and "" not in (latitude, longitude):
        problems.add("latitude", t["pin-incomplete"], "pin-incomplete")
    typed: dict[str, Any] = {name: values[name][: _LIMITS.get(name, 500)] or None for name in TEXT_FIELDS}
    payload = WebPayload(
        via="web",
        **typed,
        latitude=latitude if isinstance(latitude, float) and isinstance(longitude, float) else None,
        longitude=longitude if isinstance(latitude, float) and isinstance(longitude, float) else None,
        confidential=values["confidential"],
        attachments=kept,
    )
    add_findings(problems, await run_in_threadpool(check_fields, payload.to_fields(), settings))
    if problems:
        return _form_page(request, settings, values=values, problems=problems, kept=kept, status=422)
    receipt = await intake.take(Channel.WEB, f"web:{values['form_key']}", payload.to_bytes(), CONTENT_TYPE)
    if isinstance(receipt, Refusal):
        log.error("web form: the journal could not store a submission (%s)", receipt.detail)
        return _form_page(request, settings, values=values, kept=kept, notice=t["unavailable"], status=503)
    # The receipt's link carries the completion token, as the API's receipt does: the page may then link
    # to the completion page should the normalizer ask for more (channels.web.completion).
    token = completion_token(settings, receipt.tracking_code)
    return RedirectResponse(f"/receipt/{receipt.tracking_code}?token={token}", status_code=303)


async def _stored(runtime: Runtime, code_text: str) -> StoredSubmission | None:
    code = tracking.parse(code_text)
    return await run_in_threadpool(runtime.journal.reading.get_by_code, code) if code else None


@dataclass(frozen=True, slots=True)
class CompletionLinks:
    """With the receipt's token: the lookup link keeps it, and the completion page's link while it waits."""

    token: str | None = None
    complete_url: str | None = None


def completion_links(runtime: Runtime, stored: StoredSubmission, token: str) -> CompletionLinks:
    if not completion_token_ok(runtime.settings, stored.tracking_code, token):
        return CompletionLinks()
    waiting = stored.status is Status.NEEDS_INFORMATION
    url = completion_path(runtime.settings, stored.tracking_code) if waiting else None
    return CompletionLinks(completion_token(runtime.settings, stored.tracking_code), url)


@router.get("/receipt/{tracking_code}")
async def receipt(tracking_code: str, request: Request, runtime: RuntimeDep, token: str = "") -> Response:
    wait = guard.check_rate(request, "lookup")
    if wait:
        return rate_limited(request, wait)
    stored = await _stored(runtime, tracking_code)
    if stored is None:
        return message_page(request, 404, texts(runtime)["lookup-not-found"].format(code=tracking_code[:40]))
    return page(request, "receipt.html", stored=stored, links=completion_links(runtime, stored, token))


def public_view(stored: StoredSubmission, answer: CaseAnswer | None) -> dict[str, Any]:
    """What anyone holding the code may see: never a phone, email or address; no name when confidential."""
    normalized = stored.normalized or {}
    confidential = bool(normalized.get("confidential"))
    if stored.content_type == CONTENT_TYPE:
        try:
            confidential = confidential or WebPayload.model_validate_json(stored.raw).confidential
        except ValueError:
            confidential = True
    place = normalized.get("location") or {}
    return {
        "tracking_code": stored.tracking_code,
        "status": stored.status.value,
        "channel": stored.channel.value,
        "received_at": stored.received_at,
        "updated_at": stored.updated_at,
        "confidential": confidential,
        "name": None if confidential else normalized.get("name"),
        "content": normalized.get("content"),
        "location": place.get("text"),
        "reasons": [f.message for f in stored.reasons],
        "answer": answer.as_json() if answer else None,
    }


@router.get("/lookup")
async def lookup(request: Request, runtime: RuntimeDep, code: str = "", token: str = "") -> Response:
    wait = guard.check_rate(request, "lookup")
    if wait:
        return rate_limited(request, wait)
    t = texts(runtime)
    code = code.strip()[:40]
    if not code:
        return page(request, "lookup.html", code="", error=None, view=None)
    if tracking.parse(code) is None:
        return page(request, "lookup.html", 422, code=code, error=t["lookup-invalid"].format(code=code), view=None)
    stored = await _stored(runtime, code)
    if stored is None:
        return page(request, "lookup.html", 404, code=code, error=t["lookup-not-found"].format(code=code), view=None)
    answer = await run_in_threadpool(runtime.journal.reading.answer_of, stored.id)
    view = public_view(stored, answer if stored.status is Status.RESOLVED or answer else None)
    links = completion_links(runtime, stored, token)
    # What the submission was told (the web form's only way of hearing back: a reminder, its closing); never
    # a contact-change code, which is for the submitter's own channel.
    sent = await run_in_threadpool(runtime.journal.reading.notifications_of, stored.id)
    # The case store's questions only with the token (below, with the answers given): they may name people.
    told = [m for m in sent if m.kind not in (ASK_KIND, DONE_KIND, QUESTION_KIND)]
    # The case store's questions, the citizen's answers and the reply form: only with the receipt's token (an
    # answer may say who the citizen is).
    exchanges = await run_in_threadpool(runtime.journal.loop.answers_of, stored.id) if links.token else []
    question = await run_in_threadpool(runtime.journal.loop.open_question, stored.id) if links.token else None
    # With the token: the rating page's link while the citizen is asked to rate, else the rating they gave.
    rating_url = rated = None
    if links.token:
        if await run_in_threadpool(runtime.journal.ratings.open_request, stored.id) is not None:
            rating_url = rating_path(runtime.settings, stored.tracking_code)
        given = await run_in_threadpool(runtime.journal.ratings.rating_of, stored.id)
        if given is not None:
            rated = (runtime.catalog.messages.text("notification", f"rating-{given[0]}"), given[1])
    return page(
        request,
        "lookup.html",
        code=stored.tracking_code,
        error=None,
        view=view,
        links=links,
        told=told,
        exchanges=exchanges,
        question=question,
        form_key=uuid.uuid4().hex,
        rating_url=rating_url,
        rated=rated,
    )


@router.post("/hints")
async def hints(request: Request, runtime: RuntimeDep) -> Response:
    """The normalizer's findings for the form as typed so far (JSON for the page's script; nothing stored)."""
    wait = guard.check_rate(request, "page")
    if wait:
        return rate_limited(request, wait, as_json=True)
    if not guard.csrf_ok(request, request.headers.get("x-csrf-token")):
        return JSONResponse({"error": "csrf", "message": texts(runtime)["csrf"]}, status_code=403)
    if not edge.is_json(request.headers.get("content-type")):
        message = runtime.catalog.messages.text("api", "unsupported-media-type")
        return JSONResponse({"error": "unsupported-media-type", "message": message}, status_code=415)
    body = await request.body()
    try:
        if len(body) > 64_000:
            raise ValueError("too large")
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        typed: dict[str, Any] = {
            name: str(data[name])[: _LIMITS.get(name, 500)] for name in TEXT_FIELDS if data.get(name)
        }
        fields = SubmissionFields(
            **typed,
            confidential=data.get("confidential") is True,
        )
    except ValueError:
        return JSONResponse({"error": "invalid"}, status_code=422)
    return JSONResponse(await run_in_threadpool(check_fields, fields, runtime.settings))
