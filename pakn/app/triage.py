"""The IT centre's triage inbox (``/admin/triage``): people check and correct what the normalizer decided.

Supervisors (and admins) sign in at ``/admin/login`` like for the statistics; an operator's session gets
403.  Every action is a POST with the session's CSRF token, recorded in the journal's audit trail
(``pakn.journal.review``; the lists and the trail are read with ``pakn.journal.triage_inbox``), and refused
with what happened instead when someone else acted first.  Pages are plain HTML with access keys and a
natural focus order: no script needed.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from channels.depends import RuntimeDep, provided_runtime
from channels.hotline import auth, store
from channels.readers import READERS
from channels.runtime import Runtime
from channels.web import admin, triage_view
from channels.web.pages import SECURITY_HEADERS, page, templates, texts
from dispatcher import review as review_mode
from dispatcher.contract import AttachmentLinks, case_payload, encode, idempotency_key
from normalizer.fields.phones import normalize_phone
from normalizer.fields.places import match_place
from normalizer.fields.routing import agency_at, route
from pakn import timefmt
from pakn.db import utcnow
from pakn.journal.review import CORRECTABLE, Correction
from pakn.journal.triage_inbox import INBOX_STATES, SORTS, InboxQuery, InboxRow
from pakn.records import (
    NormalizationResult,
    NormalizedCase,
    ReviewOutcome,
    Routing,
    Severity,
    Status,
    StoredSubmission,
    Verdict,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix="/admin/triage", tags=["triage"], include_in_schema=False)
ROLE = "supervisor"
AGES = (1, 3, 7)  # the age filter's choices, in days
DUES = {"overdue": 0, "1": 1, "3": 3}  # the due filter's choices: due before now + this many days
_PHONE_MARKS = str.maketrans("", "", " .-()+")


def _phones(search: str) -> tuple[str, ...]:
    """A search that is a phone number, as the journal may hold it: as E.164 and as written in the
    national form (0…) and as the digits typed; empty when the search is not a phone number."""
    digits = search.strip().translate(_PHONE_MARKS)
    if len(digits) < 8 or not digits.isdigit():
        return ()
    e164 = normalize_phone(search.strip()).e164
    forms = [digits]
    if e164:
        forms += [e164, "0" + e164[3:] if e164.startswith("+84") else e164]
    return tuple(dict.fromkeys(forms))


async def _staff(request: Request) -> store.Session | Response:
    """The signed-in supervisor's session; otherwise to the sign-in page, or 403 for an operator."""
    session = await auth.current_session(request)
    if session is None:
        return RedirectResponse("/admin/login", status_code=303)
    if not session.operator.can(ROLE):
        t = texts(provided_runtime(request))
        return page(request, "admin_message.html", 403, title=t["triage-title"], message=t["triage-forbidden"])
    return session


def _readable(row: InboxRow) -> InboxRow:
    """A row with no normalized case (its normalization failed) shows the content its channel's reader finds
    in the journaled bytes; bytes it cannot read show as they are."""
    if row.raw is None or row.content:
        return row
    try:
        content = READERS.fields_of(row.raw, row.content_type).content or ""
    except Exception:
        content = row.raw[:2000]
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    return replace(row, content=text, raw=None)


def _lists(runtime: Runtime) -> dict[str, Any]:
    """The labels the pages show, from the catalogs."""
    sections = runtime.catalog.messages.sections
    return {
        "statuses": dict(sections["status"]),
        "reject_reasons": dict(sections["triage-reject-reasons"]),
        "send_back_reasons": dict(sections["triage-send-back-reasons"]),
        "held_reasons": dict(sections["triage-held-reasons"]),
        "field_names": dict(sections["triage-fields"]),
        "kinds": dict(sections["triage-kinds"]),
        "urgencies": dict(sections["triage-urgency"]),
        "actions": dict(sections["triage-actions"]),
        "categories": {c.code: c.name for c in runtime.context.categories.categories},
        "channels": {k.removeprefix("channel-"): v for k, v in sections["web"].items() if k.startswith("channel-")},
        "raw_labels": {**sections["api-field"], **sections["triage-raw"]},
        "subjects": {
            **{s.code: s.name for s in runtime.context.subjects.subjects},
            runtime.context.subjects.none: sections["web"]["report-subject-none"],
        },
        "levels": {
            k.removeprefix("report-level-"): v for k, v in sections["web"].items() if k.startswith("report-level-")
        },
        "rules": dict(sections["triage-rules"]),
    }


@router.get("")
async def inbox(request: Request, runtime: RuntimeDep) -> Response:
    session = await _staff(request)
    if isinstance(session, Response):
        return session
    params = request.query_params
    states = {s.value: s for s in INBOX_STATES}
    state = states.get(params.get("state", ""), Status.HELD)
    lists = _lists(runtime)
    channel = params.get("channel") if params.get("channel") in lists["channels"] else None
    category = params.get("field") if params.get("field") in lists["categories"] else None
    age = int(params["age"]) if params.get("age", "").isdigit() and int(params["age"]) in AGES else None
    due = params.get("due") if params.get("due") in DUES else None
    search = params.get("q", "")[:200]
    now = utcnow()
    query = InboxQuery(
        status=state,
        channel=channel,
        category=category,
        older_than=now - timedelta(days=age) if age else None,
        search=search,
        phones=_phones(search),
        due_before=(now + timedelta(days=DUES[due])).astimezone(ZoneInfo(runtime.settings.timezone)) if due else None,
        sort=sort if (sort := params.get("sort", "")) in SORTS else "received",
        held_for=reason if (reason := params.get("held_for", "")) in review_mode.REASONS else None,
    )
    rows = [_readable(row) for row in await run_in_threadpool(runtime.journal.triage_inbox.inbox, query)]
    counts = await run_in_threadpool(runtime.journal.triage_inbox.counts)
    return page(
        request,
        "triage_list.html",
        operator=session.operator,
        session_csrf=session.csrf_token,
        rows=rows,
        query=query,
        age=age,
        ages=AGES,
        due=due,
        dues=DUES,
        sorts=SORTS,
        counts=counts,
        held_reasons_codes=review_mode.REASONS,
        now=now,
        states=INBOX_STATES,
        **lists,
    )


@router.get("/actions.csv")
async def actions_csv(request: Request, runtime: RuntimeDep) -> Response:
    """The audit trail of a period (``from``/``to`` as on the statistics page), for the reports: one row per
    action, in the order they happened.  UTF-8 with a byte order mark, so that Excel shows Vietnamese."""
    session = await _staff(request)
    if isinstance(session, Response):
        return session
    period = admin.period_of(request, runtime)
    if isinstance(period, Response):
        return period
    start, end = period
    zone = ZoneInfo(runtime.settings.timezone)
    since = datetime.combine(start, datetime.min.time(), zone)
    until = datetime.combine(end, datetime.min.time(), zone)
    trail = await run_in_threadpool(runtime.journal.triage_inbox.trail_between, since, until)
    t, lists = texts(runtime), _lists(runtime)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [t["triage-code"], t["triage-audit-when"], t["triage-audit-who"], t["triage-audit-action"],
         t["triage-audit-field"], t["triage-audit-before"], t["triage-audit-after"], t["triage-audit-reason"]]
    )  # fmt: skip
    for code, action in trail:
        writer.writerow(
            [
                code,
                timefmt.local_time(action.acted_at, timezone=runtime.settings.timezone),
                action.actor,
                lists["actions"].get(action.action.value, action.action.value),
                lists["field_names"].get(action.field or "", action.field or ""),
                shown(action.before),
                shown(action.after),
                action.reason or "",
            ]
        )
    name = f"pakn-duyet-{start.isoformat()}-{end.isoformat()}.csv"
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    body = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/{code}")
async def detail(request: Request, runtime: RuntimeDep, code: str) -> Response:
    session = await _staff(request)
    if isinstance(session, Response):
        return session
    return await _detail(request, runtime, session, code)


async def _detail(
    request: Request, runtime: Runtime, session: store.Session, code: str, status: int = 200, notice: str = ""
) -> Response:
    stored = await run_in_threadpool(runtime.journal.reading.get_by_code, code)
    t = texts(runtime)
    if stored is None:
        return page(request, "admin_message.html", 404, title=t["triage-title"], message=t["triage-not-found"])
    trail = await run_in_threadpool(runtime.journal.triage_inbox.actions, stored.id)
    amendments = await run_in_threadpool(runtime.journal.reading.amendments_of_many, [stored.id])
    held_for = [a.reason for a in trail if a.action == "held" and a.reason]
    lists = _lists(runtime)
    originals = await run_in_threadpool(triage_view.views, stored, amendments.get(stored.id, []), lists["raw_labels"])
    return page(
        request,
        "triage_detail.html",
        status,
        operator=session.operator,
        session_csrf=session.csrf_token,
        stored=stored,
        originals=originals,
        case=stored.normalized or {},
        trail=trail,
        held_for=held_for[-1].split(",") if held_for else [],
        notice=notice or (t["triage-done"] if request.query_params.get("done") else ""),
        correctable=list(CORRECTABLE),
        agencies=_agencies(runtime, dict(stored.normalized or {})),
        **lists,
    )


async def _form(request: Request) -> tuple[store.Session, dict[str, str]] | Response:
    """The signed-in supervisor and the posted form, or the refusal (sign-in, 403, bad CSRF token)."""
    session = await _staff(request)
    if isinstance(session, Response):
        return session
    form = await request.form(max_files=0, max_fields=10)
    values = {key: str(value) for key, value in form.items()}
    if not auth.csrf_ok(session, values.get("csrf")):
        t = texts(provided_runtime(request))
        return page(request, "admin_message.html", 403, title=t["triage-title"], message=t["csrf"])
    return session, values


async def _after(
    request: Request, runtime: Runtime, session: store.Session, code: str, outcome: ReviewOutcome
) -> Response:
    """Done: back to the submission (POST-redirect-GET).  Not done: 409 with what the other person did."""
    if outcome.done:
        _wake(runtime, outcome)
        return RedirectResponse(f"/admin/triage/{code}?done=1", status_code=303)
    t = texts(runtime)
    lists = _lists(runtime)
    last = outcome.last
    if last is None or last.action == "held":
        return await _detail(request, runtime, session, code, 409, t["triage-unchanged"])
    key = "triage-changed" if outcome.status is Status.HELD else "triage-stale"
    notice = t[key].format(
        status=lists["statuses"].get(outcome.status.value if outcome.status else "", ""),
        action=lists["actions"].get(last.action.value, last.action.value),
        actor=last.actor,
        when=timefmt.local_time(last.acted_at, timezone=runtime.settings.timezone),
    )
    return await _detail(request, runtime, session, code, 409, notice)


def _wake(runtime: Runtime, outcome: ReviewOutcome) -> None:
    """Hand the new forward and message to the workers now; if Redis is away the sweeper finds them due."""
    try:
        if outcome.forward_id is not None:
            runtime.queues.enqueue_dispatch([outcome.forward_id])
        if outcome.notification_id is not None:
            runtime.queues.enqueue_notify([outcome.notification_id])
    except Exception:
        log.warning("triage: enqueueing failed; the sweeper will pick the work up", exc_info=True)


async def _submission(runtime: Runtime, code: str) -> StoredSubmission | None:
    return await run_in_threadpool(runtime.journal.reading.get_by_code, code)


@dataclass(frozen=True, slots=True)
class _Action:
    """A posted action on one submission: who acts, what they posted, on which submission, in which words."""

    session: store.Session
    form: dict[str, str]
    stored: StoredSubmission
    texts: dict[str, str]

    @property
    def seen(self) -> int | None:
        """The last audit line the person's page showed (``seen``): acting refuses if there is a newer one."""
        seen = self.form.get("seen", "")
        return int(seen) if seen.isdigit() else None


async def _action(request: Request, runtime: Runtime, code: str) -> _Action | Response:
    """The signed-in supervisor's form and the submission it acts on, or the refusal (sign-in, 403, 404)."""
    got = await _form(request)
    if isinstance(got, Response):
        return got
    session, form = got
    stored = await _submission(runtime, code)
    t = texts(runtime)
    if stored is None:
        return page(request, "admin_message.html", 404, title=t["triage-title"], message=t["triage-not-found"])
    return _Action(session, form, stored, t)


# The longest summary a person may write (docs/case-schema.json's maxLength for summary).
SUMMARY_MAX = 2000
# What the routing table reads: a correction of one of them has the agency suggested anew.
ROUTED_BY = frozenset({"category", "kind", "urgency", "place"})


@router.post("/{code}/correct")
async def correct(request: Request, runtime: RuntimeDep, code: str) -> Response:
    """The correction form shows every correctable field with its value; each one changed is applied and
    recorded on its own line of the audit trail.  A corrected field, kind, urgency or place has the agency
    suggested anew, as the normalizer would (a line of its own, counted against no rule), unless the person
    chose the other level's agency in the same form."""
    acting = await _action(request, runtime, code)
    if isinstance(acting, Response):
        return acting
    session, form, stored, t = acting.session, acting.form, acting.stored, acting.texts
    case = dict(stored.normalized or {})
    routing = case.get("routing") or {}
    current = {
        "category": case.get("category") or "",
        "kind": case.get("kind") or "",
        "urgency": case.get("urgency") or "",
        "place": (case.get("location") or {}).get("text") or "",
        "summary": case.get("summary") or "",
    }
    changes: dict[str, Any] = {}
    for field in CORRECTABLE:
        text = form.get(field, "").strip()
        if field == "agency" or field not in form or text == current[field]:
            continue
        if field == "summary" and len(text) <= SUMMARY_MAX:  # emptied: no summary (null in the body)
            changes[field] = text or None
            continue
        value = _value(runtime, field, text)
        if value is None:
            message = t["triage-place-unmatched" if field == "place" and text else "triage-bad-value"]
            return await _detail(request, runtime, session, code, 400, message)
        changes[field] = value
    corrected = review_mode.case_from_json({**case, **{CORRECTABLE[f][0]: v for f, v in changes.items()}})
    level = form.get("agency", "").strip()
    derived = False
    if level:  # the person chose a level's agency (the select's first choice, "", leaves it to the rules)
        context = runtime.context
        agency = agency_at(context.routes, corrected.category, corrected.location, level, context.province_name)
        if not agency:
            return await _detail(request, runtime, session, code, 400, t["triage-bad-value"])
        if (agency, level) != (routing.get("agency"), routing.get("level")):
            changes["agency"] = Routing(agency, level, t["triage-agency-chosen"], "review").as_json()
    elif changes.keys() & ROUTED_BY:  # suggested anew for what was corrected
        suggested = _route(runtime, corrected).as_json()
        if suggested != routing:
            changes["agency"], derived = suggested, True
    if not changes:
        return await _detail(request, runtime, session, code, 400, t["triage-unchanged"])
    corrections = [Correction(f, value, derived and f == "agency") for f, value in changes.items()]
    outcome = await run_in_threadpool(
        runtime.journal.review.correct_all,
        stored.id,
        session.operator.username,
        corrections,
        form.get("reason", ""),
        acting.seen,
    )
    return await _after(request, runtime, session, code, outcome)


def _route(runtime: Runtime, case: NormalizedCase) -> Routing:
    """The agency the normalizer's routing rule suggests for ``case`` (``normalizer.rules.routing``)."""
    context = runtime.context
    return route(
        context.routes,
        case.category,
        case.location,
        kind=case.kind,
        urgent=case.urgency == "urgent",
        subject=case.subject,
        province=context.province_name,
    )


def _agencies(runtime: Runtime, case: dict[str, Any]) -> dict[str, str]:
    """The agency of each level for a case's field and place (level → name), for the correction form."""
    parsed = review_mode.case_from_json(case)
    context = runtime.context
    named = {
        level: agency_at(context.routes, parsed.category, parsed.location, level, context.province_name)
        for level in ("commune", "province")
    }
    return {level: name for level, name in named.items() if name}


def _value(runtime: Runtime, field: str, text: str) -> Any:
    """The corrected value as the normalized case keeps it, or None when it is not one the field takes."""
    lists = _lists(runtime)
    if field == "category":
        return text if text in lists["categories"] else None
    if field == "kind":
        return text if text in lists["kinds"] else None
    if field == "urgency":
        return text if text in lists["urgencies"] else None
    if field == "place":
        match = match_place(text, hint_province=runtime.settings.province_code) if text else None
        return match.as_json() if match is not None else None
    return None


@router.post("/{code}/confirm")
async def confirm(request: Request, runtime: RuntimeDep, code: str) -> Response:
    acting = await _action(request, runtime, code)
    if isinstance(acting, Response):
        return acting
    session, stored = acting.session, acting.stored
    message = ("accepted", runtime.catalog.messages.text("notification", "accepted", tracking_code=code))
    outcome = await run_in_threadpool(
        runtime.journal.review.confirm, stored.id, session.operator.username, message, acting.seen
    )
    return await _after(request, runtime, session, code, outcome)


@router.post("/{code}/reject")
async def reject(request: Request, runtime: RuntimeDep, code: str) -> Response:
    acting = await _action(request, runtime, code)
    if isinstance(acting, Response):
        return acting
    session, form, stored, t = acting.session, acting.form, acting.stored, acting.texts
    reasons = _lists(runtime)["reject_reasons"]
    reason_code = form.get("reason", "")
    if reason_code not in reasons:
        return await _detail(request, runtime, session, code, 400, t["triage-reason-needed"])
    text = runtime.catalog.messages.text(
        "notification", "rejected", tracking_code=code, reasons=f"- {reasons[reason_code]}"
    )
    outcome = await run_in_threadpool(
        runtime.journal.review.reject,
        stored.id,
        session.operator.username,
        reason_code,
        reasons[reason_code],
        ("rejected", text),
        acting.seen,
    )
    return await _after(request, runtime, session, code, outcome)


@router.post("/{code}/send-back")
async def send_back(request: Request, runtime: RuntimeDep, code: str) -> Response:
    acting = await _action(request, runtime, code)
    if isinstance(acting, Response):
        return acting
    session, form, stored, t = acting.session, acting.form, acting.stored, acting.texts
    reasons = _lists(runtime)["send_back_reasons"]
    # A reason of the person's own words, else the one chosen from the list.
    reason = " ".join(form.get("reason_text", "").split())[:500] or reasons.get(form.get("reason", ""), "")
    if not reason:
        return await _detail(request, runtime, session, code, 400, t["triage-reason-needed"])
    text = runtime.catalog.messages.text("notification", "needs_information", tracking_code=code, reasons=f"- {reason}")
    outcome = await run_in_threadpool(
        runtime.journal.review.send_back,
        stored.id,
        session.operator.username,
        reason,
        ("needs_information", text),
        acting.seen,
    )
    return await _after(request, runtime, session, code, outcome)


@router.post("/{code}/retry")
async def retry(request: Request, runtime: RuntimeDep, code: str) -> Response:
    """A failed submission (its normalization or its forward gave up): its work due again, as ``pakn replay
    CODE`` does; the sweeper hands it to the workers."""
    acting = await _action(request, runtime, code)
    if isinstance(acting, Response):
        return acting
    session, stored = acting.session, acting.stored
    touched = 0
    if stored.status is Status.FAILED:
        subs, fwds = await run_in_threadpool(
            lambda: runtime.journal.operators.replay(failed=True, stuck=True, tracking_code=stored.tracking_code)
        )
        touched = subs + fwds
    outcome = await run_in_threadpool(runtime.journal.review.note_retry, stored.id, session.operator.username, touched)
    return await _after(request, runtime, session, code, outcome)


@router.post("/{code}/reopen")
async def reopen(request: Request, runtime: RuntimeDep, code: str) -> Response:
    acting = await _action(request, runtime, code)
    if isinstance(acting, Response):
        return acting
    session, form, stored, t = acting.session, acting.form, acting.stored, acting.texts
    reason = form.get("reason", "").strip()[:500]
    if not reason:
        return await _detail(request, runtime, session, code, 400, t["triage-reason-needed"])
    forward = (idempotency_key(stored), await run_in_threadpool(_payload, runtime, stored))
    outcome = await run_in_threadpool(
        runtime.journal.review.reopen, stored.id, session.operator.username, reason, forward, acting.seen
    )
    return await _after(request, runtime, session, code, outcome)


def _payload(runtime: Runtime, stored: StoredSubmission) -> str:
    """The case a person accepts after the normalizer did not: its normalized case and informative findings.

    Used only when the submission has no forward kept from an earlier hold.  Its attachments are those its
    journaled payloads name, read as the normalizer reads them (``channels.readers``)."""
    case = review_mode.case_from_json(dict(stored.normalized or {}))
    findings = tuple(f for f in stored.findings if f.severity is Severity.INFO)
    result = NormalizationResult(Verdict.ACCEPTED, findings, case)
    amendments = runtime.journal.reading.amendments_of_many([stored.id]).get(stored.id, [])
    try:
        attachments = READERS.submission(stored, amendments).attachments
    except Exception:  # a payload its channel cannot read: the case goes without links, as the worker's would
        log.warning("triage: the payload of %s could not be read for its attachments", stored.tracking_code)
        attachments = ()
    settings = runtime.settings
    links = AttachmentLinks(settings.base_url, settings.case_store.secret.get_secret_value().encode())
    return encode(case_payload(stored, result, attachments, links)).decode()


def shown(value: Any) -> str:
    """A value of the audit trail for people: a place by its text, other values as they are."""
    if value is None:
        return ""
    try:
        data = json.loads(value) if isinstance(value, str) and value.startswith("{") else value
    except ValueError:
        return str(value)
    if isinstance(data, dict):  # a place by its text, a routing by its agency
        return str(data.get("text") or data.get("agency") or "")
    return str(data)


templates.env.filters["triage_shown"] = shown
