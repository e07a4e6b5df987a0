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
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from channels.web import forms, guard, uploads
from channels.web.checks import Problems, add_findings, check_fields
from channels.web.payload import CONTENT_TYPE, StoredFile, WebPayload
from normalizer.fields.places import DATA_FILE
from pakn import attachments, edge, timefmt, tracking
from pakn.db import utcnow
from pakn.journal import RawSubmission, StoredSubmission
from pakn.records import Channel, Status, SubmissionFields
from pakn.responses import JSONResponse
from pakn.runtime import get_runtime

log = logging.getLogger(__name__)

router = APIRouter(tags=["citizen pages"], include_in_schema=False)
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
timefmt.install(templates.env)
STATIC = {"web.js": "text/javascript", "web.css": "text/css"}
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


def texts() -> dict[str, str]:
    return dict(get_runtime().catalog.messages.sections["web"])


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """A page with the security headers, the [web] texts, and the CSRF cookie when it is new."""
    token, new = guard.csrf_token(request)
    context.setdefault("t", texts())
    context.setdefault("csrf", token)
    context.setdefault("status_texts", dict(get_runtime().catalog.messages.sections["status"]))
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
    message = texts()["rate-limited"].format(minutes=guard.retry_minutes(wait))
    headers = {"Retry-After": str(int(wait) + 1)}
    if as_json:
        return JSONResponse({"error": "rate-limited", "message": message}, status_code=429, headers=headers)
    response = page(request, "message.html", 429, title=texts()["rate-limited-title"], message=message)
    response.headers.update(headers)
    return response


def message_page(request: Request, status: int, message: str, title: str | None = None) -> Response:
    return page(request, "message.html", status, title=title or texts()["form-title"], message=message)


@lru_cache(maxsize=4)
def place_suggestions(province_code: str) -> tuple[str, ...]:
    """Communes of the province as "Phường X, Tỉnh Y" (the place field's suggestions, no script needed)."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    province = next((name for code, name, _ in data["provinces"] if code == province_code), "")
    return tuple(f"{name}, {province}" for _code, prov, name, _ in data["communes"] if prov == province_code)


def _form_page(
    request: Request,
    *,
    values: dict[str, Any] | None = None,
    problems: Problems | None = None,
    kept: list[StoredFile] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    settings = get_runtime().settings
    values = values or {}
    form_key = values.get("form_key") or uuid.uuid4().hex
    return page(
        request,
        "form.html",
        status,
        values=values,
        problems=problems or Problems(),
        kept=[(f, uploads.keep_token(f)) for f in kept or []],
        notice=notice,
        form_key=form_key,
        places=place_suggestions(settings.province_code),
        max_files=settings.web_upload_max_count,
        max_size=uploads.human_size(settings.web_upload_max_bytes),
    )


@router.get("/web/static/{name}")
async def static(name: str) -> FileResponse:
    if name not in STATIC:
        raise HTTPException(404)
    return FileResponse(HERE / "static" / name, media_type=STATIC[name], headers={"Cache-Control": "max-age=3600"})


@router.get("/")
async def form(request: Request) -> Response:
    wait = guard.check_rate(request, "page")
    if wait:
        return rate_limited(request, wait)
    return _form_page(request)


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


async def _judge_files(form: FormData, problems: Problems) -> list[StoredFile]:
    """Kept uploads (carried from an earlier post, then new ones), each checked, stored at once."""
    settings = get_runtime().settings
    t = texts()
    kept = [f for f in (uploads.from_keep_token(str(v)) for v in form.getlist("kept")) if f is not None]
    for item in form.getlist("files"):
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        name = uploads.safe_filename(item.filename)
        data = await item.read(settings.web_upload_max_bytes + 1)
        if len(data) > settings.web_upload_max_bytes:
            problems.add(
                "files",
                t["file-too-large"].format(name=name, size=uploads.human_size(settings.web_upload_max_bytes)),
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
        if len(kept) >= settings.web_upload_max_count:
            problems.add("files", t["file-too-many"].format(count=settings.web_upload_max_count), "file-too-many")
            continue
        name = uploads.name_for(name, content_type)
        stored = await run_in_threadpool(attachments.store, settings.pakn_data_dir, name, content_type, data)
        kept.append(StoredFile(filename=stored.filename, content_type=stored.content_type, size=stored.size,
                               sha256=stored.sha256))  # fmt: skip
    return kept[: settings.web_upload_max_count]


@router.post("/submit")
async def submit(request: Request) -> Response:
    """Check the form (limits, CSRF, honeypot, the normalizer's findings); journal it, or send it back marked."""
    t = texts()
    settings = get_runtime().settings
    wait = guard.check_rate(request, "post")
    if wait:
        return rate_limited(request, wait)
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > settings.web_request_max_bytes:
        size = uploads.human_size(settings.web_request_max_bytes)
        return message_page(request, 413, t["request-too-large"].format(size=size))
    try:
        strict = await forms.read_form(request, max_files=settings.web_upload_max_count * 2, max_fields=64)
    except Exception:  # malformed multipart, too many parts: the browser did not send our form
        return message_page(request, 400, t["honeypot"])
    form = strict.form
    try:
        if strict.not_utf8:
            names = ", ".join(name[:40] for name in strict.not_utf8)
            log.info("web form: fields not UTF-8 refused: %s", names)
            return message_page(request, 400, t["invalid-utf8"].format(field=names))
        return await _submit(request, form)
    finally:
        await form.close()


async def _submit(request: Request, form: FormData) -> Response:
    t = texts()
    values = _values(form)
    problems = Problems()
    if not guard.csrf_ok(request, str(form.get("csrf") or "")):
        log.info("web form: a post without a valid CSRF token was sent back")
        return _form_page(request, values=values, notice=t["csrf"], status=403)
    if str(form.get(HONEYPOT) or "").strip():
        log.warning("web form: honeypot filled in; nothing stored")
        return message_page(request, 400, t["honeypot"])
    kept = await _judge_files(form, problems)
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
    add_findings(problems, await run_in_threadpool(check_fields, payload.fields()))
    if problems:
        return _form_page(request, values=values, problems=problems, kept=kept, status=422)
    raw = RawSubmission(Channel.WEB, f"web:{values['form_key']}", payload.to_bytes(), CONTENT_TYPE, utcnow())
    try:
        receipt = await request.app.state.intake.submit(raw)
    except Exception:
        log.exception("web form: the journal could not store a submission")
        return _form_page(request, values=values, kept=kept, notice=t["unavailable"], status=503)
    return RedirectResponse(f"/receipt/{receipt.tracking_code}", status_code=303)


async def _stored(code_text: str) -> StoredSubmission | None:
    code = tracking.parse(code_text)
    return await run_in_threadpool(get_runtime().journal.get_by_code, code) if code else None


@router.get("/receipt/{tracking_code}")
async def receipt(tracking_code: str, request: Request) -> Response:
    wait = guard.check_rate(request, "lookup")
    if wait:
        return rate_limited(request, wait)
    stored = await _stored(tracking_code)
    if stored is None:
        return message_page(request, 404, texts()["lookup-not-found"].format(code=tracking_code[:40]))
    return page(request, "receipt.html", stored=stored)


def public_view(stored: StoredSubmission, answer: dict[str, Any] | None) -> dict[str, Any]:
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
        "reasons": [f["message"] for f in stored.findings if f.get("severity") not in ("info", None)],
        "answer": answer,
    }


@router.get("/lookup")
async def lookup(request: Request, code: str = "") -> Response:
    wait = guard.check_rate(request, "lookup")
    if wait:
        return rate_limited(request, wait)
    t = texts()
    code = code.strip()[:40]
    if not code:
        return page(request, "lookup.html", code="", error=None, view=None)
    if tracking.parse(code) is None:
        return page(request, "lookup.html", 422, code=code, error=t["lookup-invalid"].format(code=code), view=None)
    stored = await _stored(code)
    if stored is None:
        return page(request, "lookup.html", 404, code=code, error=t["lookup-not-found"].format(code=code), view=None)
    answer = await run_in_threadpool(get_runtime().journal.answer_of, stored.id)
    view = public_view(stored, answer if stored.status is Status.RESOLVED or answer else None)
    return page(request, "lookup.html", code=stored.tracking_code, error=None, view=view)


@router.post("/hints")
async def hints(request: Request) -> Response:
    """The normalizer's findings for the form as typed so far (JSON for the page's script; nothing stored)."""
    wait = guard.check_rate(request, "page")
    if wait:
        return rate_limited(request, wait, as_json=True)
    if not guard.csrf_ok(request, request.headers.get("x-csrf-token")):
        return JSONResponse({"error": "csrf", "message": texts()["csrf"]}, status_code=403)
    if not edge.is_json(request.headers.get("content-type")):
        message = get_runtime().catalog.messages.text("api", "unsupported-media-type")
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
    return JSONResponse(await run_in_threadpool(check_fields, fields))
