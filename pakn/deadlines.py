"""Submissions waiting for the citizen: one reminder after N working days, then closed as not eligible."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pakn.runtime import Runtime

log = logging.getLogger(__name__)


def remind_and_close(runtime: Runtime, now: datetime) -> tuple[int, int]:
    from normalizer.fields.workdays import add_working_days

    settings = runtime.settings
    messages = runtime.catalog.messages
    holidays = runtime.context.calendar  # built once per process: the calendar spans forty years
    zone = ZoneInfo(settings.timezone)
    reminded = closed = 0
    # Working days are never fewer than calendar days: only rows this old can be due.
    shortest = min(settings.reminder_after_working_days, settings.close_after_working_days)
    for stored in runtime.journal.waiting_for_information(now - timedelta(days=shortest)):
        if stored.waiting_since is None:
            continue
        reasons = "\n".join(f"- {f['message']}" for f in stored.findings if f.get("severity") != "info")
        if stored.reminded_at is None:
            due = add_working_days(
                stored.waiting_since.astimezone(zone), settings.reminder_after_working_days, holidays
            )
            if now >= due:
                text = messages.text("notification", "reminder", tracking_code=stored.tracking_code, reasons=reasons)
                reminded += runtime.journal.remind(stored.id, text)
            continue
        due = add_working_days(stored.reminded_at.astimezone(zone), settings.close_after_working_days, holidays)
        if now >= due:
            reason = messages.text("finding", "unanswered")
            finding = {"code": "unanswered", "severity": "reject", "message": reason, "rule": "deadline"}
            text = messages.text("notification", "closed", tracking_code=stored.tracking_code, reason=reason)
            closed += runtime.journal.close_unanswered(stored.id, finding, text)
    if reminded or closed:
        log.info("deadlines: %d reminders, %d closed", reminded, closed)
    return reminded, closed
