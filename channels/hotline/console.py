"""The operator console: sign-in, the keyboard-first call-log form, recent and missed calls.

Server-rendered (Jinja2) with one small script for the live findings and keyboard shortcuts; works as
plain forms without it.  Post/Redirect/Get after saving, so a reload never logs a call twice (the
form's own key is also the journal's source identity).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from channels.depends import IntakeDep, RuntimeDep
from channels.hotline import auth, store
from channels.hotline.calls import Logged, categories, live_findings, log_call, mask_phone
from channels.hotline.payloads import CallLog, CallOutcome
from channels.runtime import Runtime
from pakn import edge, timefmt
from pakn.db import utcnow
from pakn.responses import JSONResponse

log = logging.getLogger(__name__)

router = APIRouter(prefix="/hotline", tags=["hotline console"], include_in_schema=False)
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
timefmt.install(templates.env)
STATIC = {"console.js": "text/javascript", "console.css": "text/css"}
# Pages carry no inline script: the browser runs only our own files, and no other site may frame them.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
OUTCOMES = (
    (CallOutcome.CASE, "Tạo phản ánh"),
    (CallOutcome.INFORMATION, "Chỉ cung cấp thông tin"),
    (CallOutcome.TRANSFERRED, "Chuyển tiếp"),
    (CallOutcome.PRANK, "Gọi quấy rối"),
)
OUTCOME_NAMES = {o.value: name for o, name in OUTCOMES}
FORM_FIELDS = ("phone", "name", "content", "location", "incident_time", "category")


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def _to_login() -> RedirectResponse:
    return RedirectResponse("/hotline/login", status_code=303)


@router.get("/static/{name}")
async def static(name: str) -> FileResponse:
    if name not in STATIC:
        raise HTTPException(404)
    return FileResponse(HERE / "static" / name, media_type=STATIC[name])


@router.get("/login")
async def login_page(request: Request) -> Response:
    token = secrets.token_urlsafe(24)
    response = _page(request, "login.html", csrf=token, error=None)
    response.set_cookie(
        auth.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=auth.secure_cookies(request),
        path=auth.COOKIE_PATH, max_age=3600,
    )  # fmt: skip
    return response


@router.post("/login")
async def login(request: Request, runtime: RuntimeDep) -> Response:
    form = await request.form()
    cookie = request.cookies.get(auth.LOGIN_CSRF_COOKIE, "")
    presented = str(form.get("csrf", ""))
    if not cookie or not secrets.compare_digest(cookie, presented):
        raise HTTPException(403, "CSRF token missing or wrong: reload the sign-in page")
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    operator, locked = await auth.sign_in(request, username, password, "hotline console")
    if locked:
        response = _page(request, "login.html", 429, csrf=presented, error=auth.locked_message(runtime, locked))
        response.headers["Retry-After"] = str(int(locked) + 1)
        return response
    if operator is None:
        log.warning("hotline console: a sign-in failed")
        return _page(request, "login.html", 401, csrf=presented, error="Sai tên đăng nhập hoặc mật khẩu.")
    token, session = await run_in_threadpool(auth.new_session, runtime, operator)
    log.info("hotline console: %s signed in", operator.username)
    response = RedirectResponse("/hotline/", status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE, token, httponly=True, samesite="lax", secure=auth.secure_cookies(request),
        path=auth.COOKIE_PATH, max_age=int((session.expires_at - utcnow()).total_seconds()),
    )  # fmt: skip
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path=auth.COOKIE_PATH)
    return response


@router.post("/logout")
async def logout(request: Request, runtime: RuntimeDep) -> Response:
    session = await auth.current_session(request)
    form = await request.form()
    if session is not None and auth.csrf_ok(session, str(form.get("csrf", ""))):
        await run_in_threadpool(store.end_session, runtime.journal.engine, request.cookies[auth.SESSION_COOKIE])
    response = _to_login()
    response.delete_cookie(auth.SESSION_COOKIE, path=auth.COOKIE_PATH)
    return response


def _shown(call: dict[str, Any]) -> dict[str, Any]:
    """A call as the lists show it: a confidential caller's number never appears."""
    shown = dict(call)
    shown["phone_shown"] = "(giữ bí mật)" if call["confidential"] else (call["from_number"] or "")
    shown["outcome_name"] = OUTCOME_NAMES.get(call["outcome"] or "", "")
    return shown


async def _console(
    request: Request,
    runtime: Runtime,
    session: store.Session,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    engine = runtime.journal.engine
    operator = session.operator
    params = request.query_params
    call: dict[str, Any] | None = None
    if values is None:
        values = {"outcome": CallOutcome.CASE.value}
        if params.get("call", "").isdigit():
            call = await run_in_threadpool(store.call_by_id, engine, int(params["call"]))
            if call is not None and call["outcome"] is None:
                values["phone"] = call["from_number"] or ""
                values["call_id"] = call["id"]
    saved = None
    if params.get("saved", "").isdigit():
        saved_call = await run_in_threadpool(store.call_by_id, engine, int(params["saved"]))
        if saved_call is not None and saved_call["operator_id"] == operator.id:
            saved = _shown(saved_call)
    own = None if operator.can("supervisor") else operator.id
    recent = [_shown(c) for c in await run_in_threadpool(store.recent_calls, engine, own)]
    missed = [_shown(c) for c in await run_in_threadpool(store.missed_calls, engine)]
    ringing = await run_in_threadpool(store.ringing_calls, engine, utcnow() - timedelta(hours=1))
    return _page(
        request,
        "console.html",
        status,
        operator=operator,
        role_name=runtime.catalog.messages.text("hotline", f"role-{operator.role}"),
        csrf=session.csrf_token,
        values=values,
        form_key=values.get("form_key") or uuid.uuid4().hex,
        error=error,
        saved=saved,
        recent=recent,
        missed=missed,
        ringing=ringing,
        outcomes=OUTCOMES,
        categories=categories(runtime),
        mask_phone=mask_phone,
    )


@router.get("/")
async def console(request: Request, runtime: RuntimeDep) -> Response:
    session = await auth.current_session(request)
    if session is None:
        return _to_login()
    return await _console(request, runtime, session)


@router.post("/calls")
async def save_call(request: Request, intake: IntakeDep, runtime: RuntimeDep) -> Response:
    """Save the form: a ``case`` call is journaled and gets its tracking code; the call stops being missed."""
    session = await auth.current_session(request)
    if session is None:
        return _to_login()
    form = await request.form()
    if not auth.csrf_ok(session, str(form.get("csrf", ""))):
        raise HTTPException(403, "CSRF token missing or wrong")
    values: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in FORM_FIELDS}
    values["confidential"] = form.get("confidential") == "on"
    values["outcome"] = str(form.get("outcome", CallOutcome.CASE.value))
    values["form_key"] = str(form.get("form_key", "")) or uuid.uuid4().hex
    if not edge.idempotency_key_ok(values["form_key"]):  # it becomes the journal's source id and call key
        values["form_key"] = uuid.uuid4().hex
        return await _console(request, runtime, session, values=values, error="Dữ liệu chưa hợp lệ.", status=422)
    call_id = str(form.get("call_id", ""))
    values["call_id"] = int(call_id) if call_id.isdigit() else None
    try:
        entry = CallLog.model_validate({k: (v or None) if isinstance(v, str) else v for k, v in values.items()})
    except ValidationError:
        return await _console(request, runtime, session, values=values, error="Dữ liệu chưa hợp lệ.", status=422)
    if entry.outcome is CallOutcome.CASE and not entry.content:
        return await _console(
            request, runtime, session, values=values, error="Nội dung phản ánh còn trống: xin ghi nội dung.", status=422
        )
    if entry.outcome is CallOutcome.CASE and not entry.category:
        suggested = await run_in_threadpool(live_findings, runtime.settings, entry)
        entry = entry.model_copy(update={"category": (suggested["category"] or {}).get("code")})
    engine = runtime.journal.engine
    existing = await run_in_threadpool(store.call_by_id, engine, values["call_id"]) if values["call_id"] else None
    call_key = existing["call_key"] if existing else f"console:{values['form_key']}"
    try:
        logged = await log_call(
            intake,
            engine,
            entry,
            session.operator,
            source="console",
            source_id=f"console:{values['form_key']}",
            call_key=call_key,
            existing_call_id=existing["id"] if existing else None,
        )
    except Exception:
        log.exception("hotline console: a call could not be saved")
        logged = None
    if not isinstance(logged, Logged):
        return await _console(
            request, runtime, session, values=values, error="Chưa lưu được cuộc gọi, xin bấm lưu lại.", status=503
        )
    log.info("hotline console: call %d logged by %s (%s)", logged.call_id, session.operator.username, entry.outcome)
    return RedirectResponse(f"/hotline/?saved={logged.call_id}", status_code=303)


@router.post("/findings")
async def findings(request: Request, runtime: RuntimeDep) -> Response:
    """The normalizer's findings for the form as typed so far (JSON; nothing is stored)."""
    session = await auth.current_session(request)
    if session is None:
        raise HTTPException(401, "sign in again")
    if not auth.csrf_ok(session, request.headers.get("x-csrf-token")):
        raise HTTPException(403, "CSRF token missing or wrong")
    try:
        entry = CallLog.model_validate_json(await request.body())
    except ValidationError:
        return JSONResponse({"error": "invalid"}, status_code=422)
    return JSONResponse(await run_in_threadpool(live_findings, runtime.settings, entry))


@router.post("/missed/{call_id}/done")
async def called_back(call_id: int, request: Request, runtime: RuntimeDep) -> Response:
    session = await auth.current_session(request)
    if session is None:
        return _to_login()
    form = await request.form()
    if not auth.csrf_ok(session, str(form.get("csrf", ""))):
        raise HTTPException(403, "CSRF token missing or wrong")
    await run_in_threadpool(store.mark_called_back, runtime.journal.engine, call_id)
    return RedirectResponse("/hotline/", status_code=303)
