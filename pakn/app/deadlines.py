"""Submissions waiting for the citizen: one reminder after N working days, then closed as not eligible."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from config.catalog import Catalog
from normalizer import Context
from normalizer.fields.workdays import add_working_days
from pakn.deps import JournalDeps
from pakn.records import Finding, Severity

log = logging.getLogger(__name__)


class DeadlineDeps(JournalDeps, Protocol):
    """What reminding and closing work with (``pakn.app.runtime.Runtime`` is one)."""

    @property
    def catalog(self) -> Catalog: ...

    @property
    def context(self) -> Context: ...


def remind_and_close(runtime: DeadlineDeps, now: datetime) -> tuple[int, int]:
    settings = runtime.settings
    messages = runtime.catalog.messages
    holidays = runtime.context.calendar  # built once per process: the calendar spans forty years
    zone = ZoneInfo(settings.timezone)
    reminded = closed = 0
    # Working days are never fewer than calendar days: only rows this old can be due.
    shortest = min(settings.deadlines.reminder_after_working_days, settings.deadlines.close_after_working_days)
    for stored in runtime.journal.waiting.waiting_for_information(now - timedelta(days=shortest)):
        if stored.waiting_since is None:
            continue
        reasons = "\n".join(f"- {f.message}" for f in stored.reasons)
        if stored.reminded_at is None:
            due = add_working_days(
                stored.waiting_since.astimezone(zone), settings.deadlines.reminder_after_working_days, holidays
            )
            if now >= due:
                text = messages.text("notification", "reminder", tracking_code=stored.tracking_code, reasons=reasons)
                reminded += runtime.journal.waiting.remind(stored.id, text)
            continue
        due = add_working_days(
            stored.reminded_at.astimezone(zone), settings.deadlines.close_after_working_days, holidays
        )
        if now >= due:
            reason = messages.text("finding", "unanswered")
            finding = Finding("unanswered", Severity.REJECT, reason, rule="deadline")
            text = messages.text("notification", "closed", tracking_code=stored.tracking_code, reason=reason)
            closed += runtime.journal.waiting.close_unanswered(stored.id, finding, text)
    if reminded or closed:
        log.info("deadlines: %d reminders, %d closed", reminded, closed)
    return reminded, closed
