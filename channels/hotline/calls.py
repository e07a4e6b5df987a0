"""Logging a call, shared by the console and the operator API; and the live findings while typing.

A ``case`` call is journaled as a submission on the hotline channel (the normalizer then checks it like
any other); every call, whatever its outcome, updates its row in ``hotline_calls`` so that it no longer
waits for a call-back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from channels.hotline import store
from channels.hotline.payloads import CALL_CONTENT_TYPE, CallLog, CallOutcome
from channels.intake import Intake, Refusal
from channels.runtime import Runtime
from config.settings import Settings
from normalizer import context_from_settings
from normalizer.fields.phones import normalize_phone
from normalizer.live import live_check
from pakn.db import utcnow
from pakn.records import Channel, Severity


def phone_key(text: str | None) -> str | None:
    """The number calls are matched on: E.164 when it parses ("0905 123 456" → "+84905123456")."""
    if not text or not text.strip():
        return None
    result = normalize_phone(text)
    if result.e164:
        return result.e164
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits or None


def phone_keys(text: str | None) -> tuple[str, ...]:
    key = phone_key(text)
    return (key,) if key else ()


def mask_phone(number: str | None) -> str:
    """What a list shows of a number: enough to tell calls apart, not enough to identify the caller."""
    if not number:
        return ""
    return "•" * max(0, len(number) - 3) + number[-3:]


@dataclass(frozen=True, slots=True)
class Logged:
    call_id: int
    tracking_code: str | None
    duplicate: bool


async def log_call(
    intake: Intake,
    engine: Engine,
    entry: CallLog,
    operator: store.Operator,
    *,
    source: str,
    source_id: str,
    call_key: str,
    existing_call_id: int | None = None,
) -> Logged | Refusal:
    """Journal a ``case`` call (answering only once it is stored) and record the call's outcome.

    A ``case`` call the journal refuses is not recorded at all: the operator saves it again."""
    now = utcnow()
    entry = entry.model_copy(update={"operator": operator.username, "call_key": call_key, "logged_at": now})
    submission_id: int | None = None
    code: str | None = None
    duplicate = False
    if entry.outcome is CallOutcome.CASE:
        payload = entry.model_dump_json(exclude_none=True).encode()
        receipt = await intake.take(Channel.HOTLINE, source_id, payload, CALL_CONTENT_TYPE, now)
        if isinstance(receipt, Refusal):
            return receipt
        submission_id, code, duplicate = receipt.submission_id, receipt.tracking_code, receipt.duplicate
    outcome: dict[str, Any] = {
        "outcome": entry.outcome.value,
        "operator_id": operator.id,
        "answered": True,
        "confidential": entry.confidential,
        "category": entry.category or None,
        "submission_id": submission_id,
        "tracking_code": code,
    }
    if existing_call_id is not None:
        await run_in_threadpool(store.record_outcome, engine, existing_call_id, **outcome)
        return Logged(existing_call_id, code, duplicate)
    call_id = await run_in_threadpool(
        lambda: store.upsert_call(
            engine,
            call_key,
            source,
            from_number=phone_key(entry.phone),
            status="completed",
            started_at=now,
            ended_at=now,
            **outcome,
        )
    )
    return Logged(call_id, code, duplicate)


def live_findings(settings: Settings, entry: CallLog, received_at: datetime | None = None) -> dict[str, Any]:
    """What the normalizer would say about the call as typed so far (nothing is stored).

    The operator sees missing fields, text without diacritics, a place outside the province, the
    suggested field and the agency the case would be suggested to, while the caller is still on the line.
    """
    check = live_check(Channel.HOTLINE, entry.to_fields(), settings, received_at)
    result, category = check.result, check.category
    place = result.case.location
    routing = result.case.routing
    messages = context_from_settings(settings).catalog.messages
    return {
        "verdict": result.verdict.value,
        "findings": [
            {"code": f.code, "severity": f.severity.value, "message": f.message, "field": f.field}
            for f in result.findings
            if f.severity is not Severity.INFO
        ],
        "category": category,
        "urgency": result.case.urgency,
        "place": {"commune": place.commune, "province": place.province} if place else None,
        "routing": {
            "agency": routing.agency,
            "level": routing.level,
            "level_name": messages.text("web", f"report-level-{routing.level}"),
            "reason": routing.reason,
        }
        if routing
        else None,
        "subject": result.case.subject,
    }


def categories(runtime: Runtime) -> list[tuple[str, str]]:
    """The fields an operator may choose from, as (code, name)."""
    return [(c.code, c.name) for c in runtime.context.categories.categories]
