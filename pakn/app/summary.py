"""The week's summary for the province's leaders: what came in, how it was handled, what is late.

Every SUMMARY_WEEKDAY at SUMMARY_TIME (local) the sweeper sends the ISO week's figures (Monday 00:00 to
the next Monday 00:00, local), beside the previous week's: by mail to SUMMARY_EMAILS (HTML with inline
charts, the XLSX of ``pakn.reports`` attached) and as a short text to SUMMARY_TELEGRAM_CHATS and
SUMMARY_ZALO_USERS.  The figures are ``pakn.reports.build``'s, so they agree with /admin/stats.

Exactly once per week: the journal's ``summaries`` part leases the week to one sender and marks each
recipient as it gets the summary; the week is ``sent`` only when every recipient has it.  A failed
recipient is tried again, alone, when the lease has run out (SUMMARY_LEASE_SECONDS).
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, formataddr, make_msgid
from html import escape
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine

from config.catalog import Messages, load_catalog
from config.settings import Settings
from normalizer import context_from_settings
from pakn import reports
from pakn.db import case_updates, submissions, utcnow
from pakn.journal import Journal
from pakn.mailheaders import set_subject

log = logging.getLogger(__name__)

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_OPEN = tuple(sorted(reports.ELIGIBLE - {"resolved"}))


@dataclass(frozen=True, slots=True)
class Week:
    """An ISO week, e.g. 2026-W48."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week | None:
        found = _WEEK.match(text.strip())
        if not found:
            return None
        week = cls(int(found[1]), int(found[2]))
        try:
            date.fromisocalendar(week.year, week.number, 1)
        except ValueError:
            return None
        return week

    @classmethod
    def of(cls, day: date) -> Week:
        year, number, _ = day.isocalendar()
        return cls(year, number)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    def day(self, weekday: int) -> date:
        return date.fromisocalendar(self.year, self.number, weekday)

    def start(self, zone: ZoneInfo) -> datetime:
        return datetime.combine(self.day(1), time(0), tzinfo=zone)

    def end(self, zone: ZoneInfo) -> datetime:
        return self.start(zone) + timedelta(days=7)

    def previous(self) -> Week:
        return Week.of(self.day(1) - timedelta(days=7))


def due_week(settings: Settings, now: datetime) -> Week | None:
    """This week, once its send time (SUMMARY_WEEKDAY at SUMMARY_TIME, local) has come; else None."""
    zone = ZoneInfo(settings.timezone)
    local = now.astimezone(zone)
    week = Week.of(local.date())
    hours, minutes = (int(part) for part in settings.summary.time.split(":"))
    send_at = datetime.combine(week.day(settings.summary.weekday), time(hours, minutes), tzinfo=zone)
    return week if local >= send_at else None


@dataclass(frozen=True, slots=True)
class Figures:
    """One week's figures: received (by channel), how they were handled, and cases past their due date."""

    received: int
    by_channel: tuple[tuple[str, int], ...]
    accepted: int
    needs_information: int
    rejected: int
    forwarded: int
    resolved: int
    late: int

    def handled(self) -> tuple[tuple[str, int], ...]:
        return tuple((key, getattr(self, key)) for key in HANDLING)


HANDLING = ("accepted", "needs_information", "rejected", "forwarded", "resolved")


def late_cases(engine: Engine, at: datetime) -> int:
    """Cases forwarded or on their way, received in the year before ``at``, past their due time at ``at`` and
    not resolved by then (the due time is the normalizer's, in working days: DUE_WORKING_DAYS)."""
    late: set[int] = set()
    with engine.connect() as conn:
        rows = conn.execute(
            select(submissions.c.id, submissions.c.normalized).where(
                submissions.c.status.in_((*_OPEN, "resolved")),
                submissions.c.received_at < at,
                submissions.c.received_at >= at - timedelta(days=365),
            )
        )
        for submission_id, normalized in rows:
            due = (json.loads(normalized) if normalized else {}).get("due_at")
            if due and datetime.fromisoformat(due) < at:
                late.add(submission_id)
        if late:
            resolved = conn.execute(
                select(case_updates.c.submission_id).where(
                    case_updates.c.status == "resolved", case_updates.c.received_at < at
                )
            ).scalars()
            late -= set(resolved)
    return len(late)


def figures_of(report: reports.Report, late: int) -> Figures:
    return Figures(
        received=report.received,
        by_channel=tuple((channel, f.received) for channel, f in report.by_channel.items()),
        accepted=report.eligible,
        needs_information=report.asked_for_information,
        rejected=report.not_eligible,
        forwarded=report.forwarded,
        resolved=report.resolved,
        late=late,
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """A week's summary, ready to be shown or sent."""

    week: Week
    start: datetime  # local
    end: datetime
    this: Figures
    previous: Figures
    xlsx: bytes
    labels: reports.Labels


def build(settings: Settings, engine: Engine, week: Week, now: datetime) -> Summary:
    zone = ZoneInfo(settings.timezone)
    start, end = week.start(zone), week.end(zone)
    before = week.previous()
    report = reports.build(engine, start, end)
    earlier = reports.build(engine, before.start(zone), before.end(zone))
    labels = reports.labels_for(settings, context_from_settings(settings))
    return Summary(
        week=week,
        start=start,
        end=end,
        this=figures_of(report, late_cases(engine, min(now, end))),
        previous=figures_of(earlier, late_cases(engine, min(now, start))),
        xlsx=reports.to_xlsx(report, labels, generated=now),
        labels=labels,
    )


def _span(summary: Summary) -> dict[str, str]:
    last = summary.end - timedelta(days=1)
    return {"week": summary.week.label, "start": summary.start.strftime("%d/%m/%Y"), "end": last.strftime("%d/%m/%Y")}


def _rows(summary: Summary, messages: Messages) -> Iterator[tuple[str, int, int]]:
    """(label, this week, previous week) for each figure, in the order people read them."""
    this, previous = summary.this, summary.previous
    yield messages.text("summary", "received"), this.received, previous.received
    for key, count in this.handled():
        yield messages.text("summary", key.replace("_", "-")), count, getattr(previous, key)
    yield messages.text("summary", "late"), this.late, previous.late


def text(summary: Summary, messages: Messages) -> str:
    """The short text for chats (and the CLI): the figures, then the channels."""
    lines = [messages.text("summary", "title", **_span(summary))]
    for label, count, before in _rows(summary, messages):
        lines.append(messages.text("summary", "line", label=label, count=count, previous=before))
    if summary.this.by_channel:
        channels = ", ".join(
            f"{summary.labels.of(summary.labels.channels, channel)} {count}"
            for channel, count in summary.this.by_channel
        )
        lines.append(messages.text("summary", "by-channel", channels=channels))
    return "\n".join(lines)


def bar_chart_svg(title: str, rows: list[tuple[str, int, int]], this_name: str, previous_name: str) -> bytes:
    """Horizontal bars, this week (blue) beside the previous one (grey): drawn here, no chart library needed."""
    top = max([max(a, b) for _, a, b in rows] or [0]) or 1
    width, label_w, bar_w, row_h = 640, 260, 300, 34
    height = 60 + row_h * len(rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="Arial,sans-serif" '
        'font-size="13">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="8" y="20" font-size="15" font-weight="bold" fill="#{reports.XLSX_BLUE}">{escape(title)}</text>',
        f'<rect x="{label_w}" y="30" width="10" height="10" fill="#{reports.XLSX_BLUE}"/>'
        f'<text x="{label_w + 14}" y="39">{escape(this_name)}</text>',
        f'<rect x="{label_w + 140}" y="30" width="10" height="10" fill="#b0b7c3"/>'
        f'<text x="{label_w + 154}" y="39">{escape(previous_name)}</text>',
    ]
    for index, (label, this, previous) in enumerate(rows):
        y = 52 + index * row_h
        parts.append(f'<text x="8" y="{y + 16}">{escape(label[:38])}</text>')
        for offset, (value, colour) in enumerate(((this, reports.XLSX_BLUE), (previous, "b0b7c3"))):
            length = round(bar_w * value / top)
            bar_y = y + offset * 13
            parts.append(f'<rect x="{label_w}" y="{bar_y}" width="{max(length, 1)}" height="11" fill="#{colour}"/>')
            parts.append(f'<text x="{label_w + length + 6}" y="{bar_y + 10}" font-size="11">{value}</text>')
    parts.append("</svg>")
    return "".join(parts).encode()


def charts(summary: Summary, messages: Messages) -> list[tuple[str, bytes]]:
    """(content id, SVG) of the two charts: the handling figures, and the channels."""
    this_name, previous_name = messages.text("summary", "this-week"), messages.text("summary", "previous-week")
    handling = list(_rows(summary, messages))
    before = dict(summary.previous.by_channel)
    channels = [
        (summary.labels.of(summary.labels.channels, channel), count, before.get(channel, 0))
        for channel, count in sorted({**dict.fromkeys(before, 0), **dict(summary.this.by_channel)}.items())
    ]
    return [
        ("handling", bar_chart_svg(messages.text("summary", "chart-handling"), handling, this_name, previous_name)),
        ("channels", bar_chart_svg(messages.text("summary", "chart-channels"), channels, this_name, previous_name)),
    ]


def html(summary: Summary, messages: Messages, cids: dict[str, str]) -> str:
    span = _span(summary)
    head = (
        messages.text("summary", "figure"),
        messages.text("summary", "this-week"),
        messages.text("summary", "previous-week"),
    )
    cells = "".join(f"<th style='text-align:left;padding:4px 10px'>{escape(h)}</th>" for h in head)
    lines = [
        "<html><body style='font-family:Arial,sans-serif'>",
        f"<h2 style='color:#{reports.XLSX_BLUE}'>{escape(messages.text('summary', 'title', **span))}</h2>",
        f"<table style='border-collapse:collapse'><tr style='background:#{reports.XLSX_BLUE};color:#fff'>{cells}</tr>",
    ]
    for label, count, before in _rows(summary, messages):
        lines.append(
            f"<tr><td style='padding:4px 10px'>{escape(label)}</td><td style='padding:4px 10px'>{count}</td>"
            f"<td style='padding:4px 10px'>{before}</td></tr>"
        )
    lines.append("</table>")
    for name, cid in cids.items():
        lines.append(f"<p><img src='cid:{cid[1:-1]}' alt='{escape(name)}'></p>")
    lines.append(f"<p>{escape(messages.text('summary', 'attached'))}</p></body></html>")
    return "\n".join(lines)


def mail(summary: Summary, messages: Messages, settings: Settings, recipient: str) -> EmailMessage:
    """One leader's mail: plain text, HTML with the charts inline (multipart/related), the XLSX attached."""
    drawn = charts(summary, messages)
    cids = {name: make_msgid(domain=settings.email.hostname) for name, _ in drawn}
    message = EmailMessage()
    message["From"] = formataddr((settings.email.from_name, from_address(settings)))
    message["To"] = recipient
    set_subject(message, messages.text("summary", "subject", **_span(summary)))
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=settings.email.hostname)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text(summary, messages))
    message.add_alternative(html(summary, messages, cids), subtype="html")
    html_part = message.get_body(("html",))
    assert isinstance(html_part, MIMEPart)  # the alternative just added
    for name, svg in drawn:
        html_part.add_related(svg, "image", "svg+xml", cid=cids[name], filename=f"{name}.svg", disposition="inline")
    message.add_attachment(
        summary.xlsx, *XLSX_TYPE, filename=messages.text("summary", "xlsx-name", week=summary.week.label)
    )
    return message


def from_address(settings: Settings) -> str:
    own = [a for a in settings.email.addresses if not a.startswith("@")]
    return settings.email.from_address or (own[0] if own else f"pakn@{settings.email.hostname}")


@dataclass(frozen=True, slots=True)
class Senders:
    """How a summary reaches a leader: a composed mail; a text to a Telegram chat; a text to a Zalo user."""

    mail: Callable[[EmailMessage], None]
    telegram: Callable[[str, str], None]
    zalo: Callable[[str, str], None]


def recipients(settings: Settings) -> list[str]:
    s = settings.summary
    return [
        *(f"email:{a}" for a in s.emails),
        *(f"telegram:{c}" for c in s.telegram_chats),
        *(f"zalo:{u}" for u in s.zalo_users),
    ]


class SummaryDeps(Protocol):
    """What sending a summary works with (``pakn.app.runtime.Runtime`` is one)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def journal(self) -> Journal: ...


@dataclass(frozen=True, slots=True)
class Sent:
    """What one send did: recipients reached now, those that had it already, and those that failed."""

    week: str
    sent: tuple[str, ...]
    skipped: tuple[str, ...]
    failed: tuple[str, ...]


def owner_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def send_week(deps: SummaryDeps, week: Week, now: datetime, senders: Senders, *, again: bool = False) -> Sent | None:
    """Send ``week``'s summary to every recipient that does not have it; None when the week is sent already
    (unless ``again``) or another sender holds it."""
    settings, summaries = deps.settings, deps.journal.summaries
    owner = owner_name()
    lease = timedelta(seconds=settings.summary.lease_seconds)
    if not summaries.claim(week.label, owner, now, lease, again=again):
        return None
    messages = load_catalog(settings.data_dir).messages
    summary = build(settings, deps.journal.engine, week, now)
    short = text(summary, messages)
    have = summaries.sent_to(week.label)
    sent, failed = [], []
    for recipient in recipients(settings):
        if recipient in have:
            continue
        kind, _, address = recipient.partition(":")
        try:
            if kind == "email":
                senders.mail(mail(summary, messages, settings, address))
            elif kind == "telegram":
                senders.telegram(address, short)
            else:
                senders.zalo(address, short)
        except Exception:
            log.warning("summary %s: sending to %s failed; tried again later", week.label, recipient, exc_info=True)
            failed.append(recipient)
            continue
        summaries.mark_sent(week.label, recipient, utcnow())
        sent.append(recipient)
    if not failed:
        summaries.finish(week.label, owner, utcnow())
    log.info("summary %s: sent to %d, failed %d", week.label, len(sent), len(failed))
    return Sent(week.label, tuple(sent), tuple(sorted(have)), tuple(failed))


def send_if_due(deps: SummaryDeps, now: datetime, senders: Callable[[], Senders]) -> Sent | None:
    """The sweeper's step: this week's summary once its time has come, if anyone is to get it."""
    settings = deps.settings
    if not recipients(settings):
        return None
    week = due_week(settings, now)
    if week is None or deps.journal.summaries.state(week.label) == "sent":
        return None
    return send_week(deps, week, now, senders())
