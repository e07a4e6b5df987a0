"""The IT centre's statistics page, with CSV and XLSX downloads, for supervisors and admins.

Sign-in reuses the hotline's operator accounts and sessions (``channels.hotline.auth``): the same
argon2 passwords and server-side sessions, with the cookie scoped to ``/admin``.  Charts are SVG drawn
on the server: nothing to fetch from the internet, nothing to run in the browser.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from channels.depends import RuntimeDep, provided_runtime
from channels.hotline import auth, store
from channels.runtime import Runtime
from channels.web import guard
from channels.web.pages import SECURITY_HEADERS, page, texts
from pakn import reports, timefmt
from pakn.db import utcnow

log = logging.getLogger(__name__)

router = APIRouter(prefix="/admin", tags=["statistics"], include_in_schema=False)
COOKIE_PATH = "/admin"
ROLE = "supervisor"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _session(request: Request) -> store.Session | None:
    session = await auth.current_session(request)
    return session if session is not None and session.operator.can(ROLE) else None


def _message(request: Request, status: int, message: str) -> Response:
    """A refusal on the admin pages: the admin layout, not the citizens' site."""
    title = texts(provided_runtime(request))["stats-title"]
    return page(request, "admin_message.html", status, title=title, message=message)


def _to_login() -> RedirectResponse:
    return RedirectResponse("/admin/login", status_code=303)


def next_page(value: str | None) -> str | None:
    """Where to go after signing in, when a page of ours sent the person to sign in: an /admin/ path only."""
    if value and len(value) <= 500 and NEXT.fullmatch(value):
        return value
    return None


NEXT = re.compile(r"/admin/[A-Za-z0-9_.~%/?=&+-]*")


@router.get("/login")
async def login_page(request: Request) -> Response:
    return page(request, "admin_login.html", error=None, next=next_page(request.query_params.get("next")))


@router.post("/login")
async def login(request: Request, runtime: RuntimeDep) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    if not guard.csrf_ok(request, str(form.get("csrf") or "")):
        return page(
            request, "admin_login.html", 403, error=texts(runtime)["csrf"], next=next_page(str(form.get("next") or ""))
        )
    after = next_page(str(form.get("next") or ""))
    username, password = str(form.get("username") or "").strip(), str(form.get("password") or "")
    # Staff sign-ins have their own counters and locks, apart from the citizens' rate limits.
    operator, locked = await auth.sign_in(request, username, password, "statistics")
    if locked:
        response = page(request, "admin_login.html", 429, error=auth.locked_message(runtime, locked), next=after)
        response.headers["Retry-After"] = str(int(locked) + 1)
        return response
    if operator is None or not operator.can(ROLE):
        log.warning("statistics: a sign-in failed or lacked the %s role", ROLE)
        return page(request, "admin_login.html", 401, error=texts(runtime)["login-failed"], next=after)
    token, session = await run_in_threadpool(auth.new_session, runtime, operator)
    response = RedirectResponse(after or "/admin/stats", status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE, token, httponly=True, samesite="lax", secure=guard.secure_cookies(request),
        path=COOKIE_PATH, max_age=int((session.expires_at - utcnow()).total_seconds()),
    )  # fmt: skip
    return response


@router.post("/logout")
async def logout(request: Request, runtime: RuntimeDep) -> Response:
    session = await _session(request)
    form = await request.form(max_files=0, max_fields=10)
    if session is not None and auth.csrf_ok(session, str(form.get("csrf") or "")):
        await run_in_threadpool(store.end_session, runtime.journal.engine, request.cookies[auth.SESSION_COOKIE])
    response = _to_login()
    response.delete_cookie(auth.SESSION_COOKIE, path=COOKIE_PATH)
    return response


# Report dates a journal can hold: far-off ones (0001-01-01) overflow when turned into instants.
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)


def period_of(request: Request, runtime: Runtime) -> tuple[date, date] | Response:
    """[from, to) as local dates; default: this month so far. 400 for what is not a date in range, or
    a period that ends before it starts."""
    zone = ZoneInfo(runtime.settings.timezone)
    t = texts(runtime)
    today = datetime.now(zone).date()
    defaults = {"from": today.replace(day=1), "to": today + timedelta(days=1)}
    found: dict[str, date] = {}
    for name, default in defaults.items():
        given = request.query_params.get(name)
        value = _date(given) if given else default
        if value is None or not EARLIEST <= value <= LATEST:
            label = t["stats-from" if name == "from" else "stats-to"]
            message = t["stats-invalid-date"].format(field=label, value=(given or "")[:40])
            return _message(request, 400, message)
        found[name] = value
    if found["to"] < found["from"]:
        return _message(request, 400, t["stats-invalid-period"])
    return found["from"], found["to"]


def _date(text: str) -> date | None:
    """``yyyy-mm-dd`` (what the date inputs send) or the Vietnamese ``dd/mm/yyyy``; None for anything else."""
    text = text.strip()
    try:
        return date.fromisoformat(text) if "-" in text else datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None


def _report(runtime: Runtime, start: date, end: date) -> reports.Report:
    zone = ZoneInfo(runtime.settings.timezone)
    since = datetime.combine(start, datetime.min.time(), zone)
    until = datetime.combine(end, datetime.min.time(), zone)
    return reports.build(runtime.journal.engine, since, until)


def _corrections(runtime: Runtime, start: date, end: date) -> list[tuple[str, int]]:
    """What people overrode in the triage inbox, per action and corrected field: how often each of the
    gateway's decisions (field, kind, urgency, place, the verdict) was changed, most frequent first."""
    zone = ZoneInfo(runtime.settings.timezone)
    since = datetime.combine(start, datetime.min.time(), zone)
    until = datetime.combine(end, datetime.min.time(), zone)
    counts = runtime.journal.triage_inbox.corrections(since, until)
    sections = runtime.catalog.messages.sections
    actions, fields = sections["triage-actions"], sections["triage-fields"]
    named = []
    for key, count in counts.items():
        action, _, field = key.partition(":")
        label = actions.get(action, action) + (f": {fields.get(field, field)}" if field and field != "status" else "")
        named.append((label, count))
    return sorted(named, key=lambda item: (-item[1], item[0]))


def _overrides(runtime: Runtime, start: date, end: date) -> list[tuple[str, int]]:
    """How often a person overrode each of the normalizer's rules (a corrected field's rule, an accepted
    verdict, the findings of a reopened case): the rules' quality, most overridden first."""
    zone = ZoneInfo(runtime.settings.timezone)
    since = datetime.combine(start, datetime.min.time(), zone)
    until = datetime.combine(end, datetime.min.time(), zone)
    sections = runtime.catalog.messages.sections
    rules, web = sections["triage-rules"], sections["web"]
    named = [
        (rules.get(rule) or web.get(f"reason-{rule}") or rule, count)
        for rule, count in runtime.journal.triage_inbox.overrides(since, until).items()
    ]
    return sorted(named, key=lambda item: (-item[1], item[0]))


def bars(items: list[tuple[str, int]], limit: int = 15) -> dict[str, Any]:
    """A horizontal bar chart: each row's whole label, its value, and its bar as a share (0-100) of the largest."""
    shown = items[:limit]
    top = max((v for _, v in shown), default=0) or 1
    return {"rows": [{"label": label, "value": value, "share": round(100 * value / top, 1)} for label, value in shown]}


@router.get("/stats")
async def stats_page(request: Request, runtime: RuntimeDep) -> Response:
    session = await _session(request)
    if session is None:
        return _to_login()
    period = period_of(request, runtime)
    if isinstance(period, Response):
        return period
    start, end = period
    report = await run_in_threadpool(_report, runtime, start, end)
    labels = reports.labels_for(runtime.settings, runtime.context)
    corrections = await run_in_threadpool(_corrections, runtime, start, end)
    overrides = await run_in_threadpool(_overrides, runtime, start, end)
    charts = {
        "corrections": bars(corrections),
        "overrides": bars(overrides),
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
        # The citizens' own ratings (asked once per resolved case), and where the unhappy ones are.
        "ratings": bars([(labels.figures.get(f"rating-{k}", k), v) for k, v in report.ratings.items()]),
        "unhappy_by_agency": bars(
            sorted(
                (
                    (k if k != "-" else labels.figures["unknown_agency"], v["unhappy"])
                    for k, v in report.satisfaction_by_agency.items()
                    if v.get("unhappy")
                ),
                key=lambda item: (-item[1], item[0]),
            )
        ),
    }
    query = f"from={start.isoformat()}&to={end.isoformat()}"
    zone = runtime.settings.timezone
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
        shown_from=timefmt.local_date(start),
        shown_to=timefmt.local_date(max(start, end - timedelta(days=1))),  # the last day counted
        generated=timefmt.local_time(utcnow(), timezone=zone),
    )


async def _download(request: Request, runtime: Runtime, kind: str) -> Response:
    session = await _session(request)
    if session is None:
        return _to_login()
    period = period_of(request, runtime)
    if isinstance(period, Response):
        return period
    start, end = period
    report = await run_in_threadpool(_report, runtime, start, end)
    labels = reports.labels_for(runtime.settings, runtime.context)
    name = f"pakn-thong-ke-{start.isoformat()}-{end.isoformat()}.{kind}"
    if kind == "csv":
        body, media = reports.to_csv(report, labels), "text/csv; charset=utf-8"
    else:
        body, media = await run_in_threadpool(reports.to_xlsx, report, labels), XLSX
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=media, headers=headers)


@router.get("/stats.csv")
async def stats_csv(request: Request, runtime: RuntimeDep) -> Response:
    return await _download(request, runtime, "csv")


@router.get("/stats.xlsx")
async def stats_xlsx(request: Request, runtime: RuntimeDep) -> Response:
    return await _download(request, runtime, "xlsx")
