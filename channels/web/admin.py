"""The IT centre's statistics page, with CSV and XLSX downloads, for supervisors and admins.

Sign-in reuses the hotline's operator accounts and sessions (``channels.hotline.auth``): the same
argon2 passwords and server-side sessions, with the cookie scoped to ``/admin``.  Charts are SVG drawn
on the server: nothing to fetch from the internet, nothing to run in the browser.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from channels.hotline import auth, store
from channels.web import guard
from channels.web.pages import SECURITY_HEADERS, message_page, page, texts
from pakn import reports
from pakn.db import utcnow
from pakn.runtime import get_runtime

log = logging.getLogger(__name__)

router = APIRouter(prefix="/admin", tags=["statistics"], include_in_schema=False)
COOKIE_PATH = "/admin"
ROLE = "supervisor"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _session(request: Request) -> store.Session | None:
    session = await auth.current_session(request)
    return session if session is not None and session.operator.can(ROLE) else None


def _to_login() -> RedirectResponse:
    return RedirectResponse("/admin/login", status_code=303)


@router.get("/login")
async def login_page(request: Request) -> Response:
    return page(request, "admin_login.html", error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    if not guard.csrf_ok(request, str(form.get("csrf") or "")):
        return page(request, "admin_login.html", 403, error=texts()["csrf"])
    username, password = str(form.get("username") or "").strip(), str(form.get("password") or "")
    # Staff sign-ins have their own counters and locks, apart from the citizens' rate limits.
    operator, locked = await auth.sign_in(request, username, password, "statistics")
    if locked:
        response = page(request, "admin_login.html", 429, error=auth.locked_message(locked))
        response.headers["Retry-After"] = str(int(locked) + 1)
        return response
    if operator is None or not operator.can(ROLE):
        log.warning("statistics: a sign-in failed or lacked the %s role", ROLE)
        return page(request, "admin_login.html", 401, error=texts()["login-failed"])
    token, session = await run_in_threadpool(auth.new_session, operator)
    response = RedirectResponse("/admin/stats", status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE, token, httponly=True, samesite="lax", secure=guard.secure_cookies(request),
        path=COOKIE_PATH, max_age=int((session.expires_at - utcnow()).total_seconds()),
    )  # fmt: skip
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    session = await _session(request)
    form = await request.form(max_files=0, max_fields=10)
    if session is not None and auth.csrf_ok(session, str(form.get("csrf") or "")):
        await run_in_threadpool(store.end_session, get_runtime().journal.engine, request.cookies[auth.SESSION_COOKIE])
    response = _to_login()
    response.delete_cookie(auth.SESSION_COOKIE, path=COOKIE_PATH)
    return response


# Report dates a journal can hold: far-off ones (0001-01-01) overflow when turned into instants.
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)


def _period(request: Request) -> tuple[date, date] | Response:
    """[from, to) as local dates; default: this month so far. 400 for what is not a date in range, or
    a period that ends before it starts."""
    zone = ZoneInfo(get_runtime().settings.timezone)
    today = datetime.now(zone).date()
    defaults = {"from": today.replace(day=1), "to": today + timedelta(days=1)}
    found: dict[str, date] = {}
    for name, default in defaults.items():
        given = request.query_params.get(name)
        try:
            value = date.fromisoformat(given) if given else default
        except ValueError:
            value = None
        if value is None or not EARLIEST <= value <= LATEST:
            message = texts()["stats-invalid-date"].format(field=name, value=(given or "")[:40])
            return message_page(request, 400, message, title=texts()["stats-title"])
        found[name] = value
    if found["to"] < found["from"]:
        message = texts()["stats-invalid-period"]
        return message_page(request, 400, message, title=texts()["stats-title"])
    return found["from"], found["to"]


def _report(start: date, end: date) -> reports.Report:
    zone = ZoneInfo(get_runtime().settings.timezone)
    since = datetime.combine(start, datetime.min.time(), zone)
    until = datetime.combine(end, datetime.min.time(), zone)
    return reports.build(get_runtime().journal.engine, since, until)


def bars(items: list[tuple[str, int]], limit: int = 15) -> dict[str, Any]:
    """Geometry of a horizontal bar chart, drawn by the template as SVG."""
    shown = items[:limit]
    top = max((v for _, v in shown), default=0) or 1
    row, label_width, bar_width = 30, 290, 320
    return {
        "height": row * max(1, len(shown)) + 10,
        "rows": [
            {"y": 5 + i * row, "label": label, "value": value, "width": round(bar_width * value / top, 1)}
            for i, (label, value) in enumerate(shown)
        ],
        "label_width": label_width,
        "row": row,
    }


@router.get("/stats")
async def stats_page(request: Request) -> Response:
    session = await _session(request)
    if session is None:
        return _to_login()
    period = _period(request)
    if isinstance(period, Response):
        return period
    start, end = period
    report = await run_in_threadpool(_report, start, end)
    labels = reports.labels_for(get_runtime().settings)
    charts = {
        "by_channel": bars([(labels.of(labels.channels, k), v.received) for k, v in report.by_channel.items()]),
        "outcome": bars(
            [
                (labels.figures["eligible"], report.eligible),
                (labels.figures["not_eligible"], report.not_eligible),
                (labels.figures["needs_information_now"], report.needs_information_now),
                (labels.figures["being_checked"], report.being_checked),
            ]
        ),
        "by_field": bars([(labels.of(labels.fields, k), v) for k, v in report.by_field.items()]),
        "by_unit": bars([(k if k != "-" else labels.figures["unknown_unit"], v) for k, v in report.by_unit.items()]),
        "reasons": bars([(labels.of(labels.reasons, k), v) for k, v in report.not_eligible_reasons.items()]),
        "satisfaction": bars(
            [
                (labels.figures["satisfied"], report.satisfied),
                (labels.figures["neutral"], report.neutral),
                (labels.figures["dissatisfied"], report.dissatisfied),
            ]
        ),
    }
    query = f"from={start.isoformat()}&to={end.isoformat()}"
    return page(
        request,
        "stats.html",
        operator=session.operator,
        session_csrf=session.csrf_token,
        start=start,
        end=end,
        query=query,
        report=report,
        rows=reports.rows(report, labels),
        labels=labels,
        charts=charts,
    )


async def _download(request: Request, kind: str) -> Response:
    session = await _session(request)
    if session is None:
        return _to_login()
    period = _period(request)
    if isinstance(period, Response):
        return period
    start, end = period
    report = await run_in_threadpool(_report, start, end)
    labels = reports.labels_for(get_runtime().settings)
    name = f"pakn-thong-ke-{start.isoformat()}-{end.isoformat()}.{kind}"
    if kind == "csv":
        body, media = reports.to_csv(report, labels), "text/csv; charset=utf-8"
    else:
        body, media = await run_in_threadpool(reports.to_xlsx, report, labels), XLSX
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=media, headers=headers)


@router.get("/stats.csv")
async def stats_csv(request: Request) -> Response:
    return await _download(request, "csv")


@router.get("/stats.xlsx")
async def stats_xlsx(request: Request) -> Response:
    return await _download(request, "xlsx")
