"""The figures of the provincial PAKN reports, for any period: from the journal and the case store's callbacks.

What the six-monthly report of the province counts (``/work/shared/seeds``: received, eligible and
forwarded, answered, satisfied or not, late, by field and by level of unit): here for any period of
receipt, computed from the journal so it is right across processes and restarts.

* received — submissions journaled in the period (every channel);
* eligible — accepted by the rules (on their way to or at the case store); forwarded — delivered;
* not eligible — rejected, with the reasons (finding codes, incl. closed for not completing);
* needs-information rate — share of received ones that were asked for more at least once;
* repeats — resends of a case already open (linked, not counted twice downstream);
* receipt → forwarding time — from the forwards' recorded latency;
* automatic — mail no person wrote (bounces, auto-replies, newsletters, notices, our own address: see
  ``dispatcher.jobs.verdict_for``), by kind; journaled, but outside every figure above, which count
  citizens' submissions only;
* on time / late and satisfaction — from the case store's callbacks (``case_updates``): the latest
  report per case counts.

Grouping is done in Python over the period's rows (two columns of JSON per row): provincial volumes are
thousands per month, and one code path serves SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, true
from sqlalchemy.engine import Engine

from pakn import timefmt
from pakn.db import case_updates, forwards, notifications, submissions
from pakn.records import Status

ELIGIBLE = frozenset(
    {
        Status.ACCEPTED.value,
        Status.FORWARDED.value,
        Status.FAILED.value,
        Status.IN_PROGRESS.value,
        Status.RESOLVED.value,
    }
)


@dataclass
class ChannelFigures:
    received: int = 0
    eligible: int = 0
    not_eligible: int = 0


@dataclass
class Report:
    """One period's figures; ``as_json`` is what `pakn stats --json` prints."""

    period_from: str | None
    period_to: str | None
    received: int = 0
    eligible: int = 0
    forwarded: int = 0
    forward_failed: int = 0
    not_eligible: int = 0
    needs_information_now: int = 0
    being_checked: int = 0
    asked_for_information: int = 0
    repeats: int = 0
    resolved: int = 0
    on_time: int = 0
    late: int = 0
    rated: int = 0
    satisfied: int = 0
    neutral: int = 0
    dissatisfied: int = 0
    forwarding_hours_median: float | None = None
    forwarding_hours_p90: float | None = None
    forwarding_hours_mean: float | None = None
    not_eligible_reasons: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, ChannelFigures] = field(default_factory=dict)
    by_field: dict[str, int] = field(default_factory=dict)
    by_unit: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    automatic: dict[str, int] = field(default_factory=dict)

    @property
    def needs_information_rate(self) -> float | None:
        return _ratio(self.asked_for_information, self.received)

    @property
    def late_rate(self) -> float | None:
        return _ratio(self.late, self.on_time + self.late)

    @property
    def dissatisfied_rate(self) -> float | None:
        return _ratio(self.dissatisfied, self.rated)

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["needs_information_rate"] = self.needs_information_rate
        out["late_rate"] = self.late_rate
        out["dissatisfied_rate"] = self.dissatisfied_rate
        return out


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _automatic_kind(findings: str | None) -> str | None:
    """The kind of an automatic mail (its ``automatic-mail`` finding), None for a citizen's submission."""
    if not findings or "automatic-mail" not in findings:
        return None
    for finding in json.loads(findings):
        if finding.get("code") == "automatic-mail":
            return str((finding.get("detail") or {}).get("kind") or "-")
    return None


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def build(engine: Engine, since: datetime | None, until: datetime | None) -> Report:
    """The report for submissions received in [since, until) (either end open when None)."""
    conditions = []
    if since is not None:
        conditions.append(submissions.c.received_at >= since)
    if until is not None:
        conditions.append(submissions.c.received_at < until)
    in_period = and_(*conditions) if conditions else true()
    report = Report(since.isoformat() if since else None, until.isoformat() if until else None)
    fields_seen: Counter[str] = Counter()
    units: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    automatic: Counter[str] = Counter()
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                submissions.c.channel,
                submissions.c.status,
                submissions.c.category,
                submissions.c.findings,
                submissions.c.normalized,
                submissions.c.repeat_of,
                submissions.c.verdict,
            ).where(in_period)
        )
        for row in rows:
            if row.status == Status.REJECTED.value and (kind := _automatic_kind(row.findings)):
                automatic[kind] += 1
                continue
            report.received += 1
            statuses[row.status] += 1
            channel = report.by_channel.setdefault(row.channel, ChannelFigures())
            channel.received += 1
            if row.repeat_of:
                report.repeats += 1
            # `failed` without an accepted verdict: the normalizer gave up on it (staff look at it), not a case.
            if row.status in ELIGIBLE and (row.status != Status.FAILED.value or row.verdict == "accepted"):
                report.eligible += 1
                channel.eligible += 1
                fields_seen[row.category or "-"] += 1
                place = (json.loads(row.normalized) if row.normalized else {}).get("location") or {}
                units[place.get("commune") or place.get("province") or "-"] += 1
            elif row.status == Status.REJECTED.value:
                report.not_eligible += 1
                channel.not_eligible += 1
                found = [f for f in json.loads(row.findings or "[]") if f.get("severity") != "info"]
                decisive = [f["code"] for f in found if f.get("severity") == "reject"] or [
                    f["code"] for f in found if f.get("code") == "unanswered"
                ]
                reasons.update(set(decisive or [f["code"] for f in found] or ["-"]))
            elif row.status == Status.NEEDS_INFORMATION.value:
                report.needs_information_now += 1
            else:
                report.being_checked += 1
        report.asked_for_information = len(
            conn.execute(
                select(notifications.c.submission_id)
                .join(submissions, submissions.c.id == notifications.c.submission_id)
                .where(in_period, notifications.c.kind == "needs_information")
                .distinct()
            ).all()
        )
        hours: list[float] = []
        for state, latency in conn.execute(
            select(forwards.c.state, forwards.c.latency_seconds)
            .join(submissions, submissions.c.id == forwards.c.submission_id)
            .where(in_period)
        ):
            if state == "delivered":
                report.forwarded += 1
                if latency is not None:
                    hours.append(latency / 3600)
            elif state == "failed":
                report.forward_failed += 1
        if hours:
            report.forwarding_hours_median = round(statistics.median(hours), 3)
            report.forwarding_hours_p90 = round(_percentile(hours, 0.9), 3)
            report.forwarding_hours_mean = round(statistics.fmean(hours), 3)
        latest_on_time: dict[int, bool] = {}
        latest_rating: dict[int, int] = {}
        resolved: set[int] = set()
        for update in conn.execute(
            select(
                case_updates.c.submission_id, case_updates.c.status, case_updates.c.on_time, case_updates.c.satisfaction
            )
            .join(submissions, submissions.c.id == case_updates.c.submission_id)
            .where(in_period)
            .order_by(case_updates.c.id)
        ):
            if update.status == "resolved":
                resolved.add(update.submission_id)
            if update.on_time is not None:
                latest_on_time[update.submission_id] = bool(update.on_time)
            if update.satisfaction is not None:
                latest_rating[update.submission_id] = int(update.satisfaction)
    report.resolved = len(resolved)
    report.on_time = sum(latest_on_time.values())
    report.late = len(latest_on_time) - report.on_time
    report.rated = len(latest_rating)
    report.satisfied = sum(1 for r in latest_rating.values() if r >= 4)
    report.neutral = sum(1 for r in latest_rating.values() if r == 3)
    report.dissatisfied = sum(1 for r in latest_rating.values() if r <= 2)
    report.not_eligible_reasons = dict(reasons.most_common())
    report.by_field = dict(fields_seen.most_common())
    report.by_unit = dict(units.most_common())
    report.by_status = dict(sorted(statuses.items()))
    report.automatic = dict(automatic.most_common())
    report.by_channel = dict(sorted(report.by_channel.items()))
    return report


@dataclass(frozen=True, slots=True)
class Labels:
    """Names to show: figures, channels, fields, statuses and reasons (Vietnamese, from the catalogs)."""

    figures: dict[str, str]
    channels: dict[str, str]
    fields: dict[str, str]
    statuses: dict[str, str]
    reasons: dict[str, str]
    timezone: str = "Asia/Ho_Chi_Minh"  # the period is shown in local time, dd/mm/yyyy HH:MM

    def of(self, table: dict[str, str], key: str) -> str:
        return table.get(key, key)


def _moment(value: str | None, labels: Labels, open_end: str) -> str:
    return timefmt.local_time(value, timezone=labels.timezone) if value else open_end


def rows(report: Report, labels: Labels) -> list[tuple[str, str, str, Any]]:
    """The report as (section, key, label, value) rows: one shape for the CLI, CSV, XLSX and the page."""
    f = labels.figures
    out: list[tuple[str, str, str, Any]] = [
        ("period", "from", f["from"], _moment(report.period_from, labels, f["from-open"])),
        ("period", "to", f["to"], _moment(report.period_to, labels, f["to-open"])),
    ]
    summary = (
        "received", "eligible", "forwarded", "forward_failed", "not_eligible", "needs_information_now",
        "being_checked", "asked_for_information", "needs_information_rate", "repeats",
        "forwarding_hours_median", "forwarding_hours_p90", "forwarding_hours_mean", "resolved", "on_time", "late",
        "late_rate", "rated", "satisfied", "neutral", "dissatisfied", "dissatisfied_rate",
    )  # fmt: skip
    for key in summary:
        out.append(("summary", key, f[key], getattr(report, key)))
    for code, count in report.not_eligible_reasons.items():
        out.append(("not_eligible_reasons", code, labels.of(labels.reasons, code), count))
    for channel, figures in report.by_channel.items():
        name = labels.of(labels.channels, channel)
        out.append(("by_channel", channel, name, figures.received))
        out.append(("by_channel_eligible", channel, name, figures.eligible))
        out.append(("by_channel_not_eligible", channel, name, figures.not_eligible))
    for code, count in report.by_field.items():
        out.append(("by_field", code, labels.of(labels.fields, code), count))
    for unit, count in report.by_unit.items():
        out.append(("by_unit", unit, unit if unit != "-" else f["unknown_unit"], count))
    for status, count in report.by_status.items():
        out.append(("by_status", status, labels.of(labels.statuses, status), count))
    for kind, count in report.automatic.items():
        out.append(("automatic", kind, labels.of(labels.reasons, f"automatic-{kind}"), count))
    return out


def to_csv(report: Report, labels: Labels) -> bytes:
    """UTF-8 with a byte order mark, so that Excel shows the Vietnamese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [labels.figures["section"], labels.figures["key"], labels.figures["label"], labels.figures["value"]]
    )
    for section, key, label, value in rows(report, labels):
        writer.writerow([labels.figures.get("section-" + section, section), key, label, "" if value is None else value])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: Report, labels: Labels) -> bytes:
    """One sheet per section, numbers as numbers (rates as percentages)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    first = book.active
    sheets: dict[str, Any] = {}
    for section, key, label, value in rows(report, labels):
        sheet = sheets.get(section)
        if sheet is None:
            title = labels.figures.get("section-" + section, section)[:31]
            sheet = first if not sheets and first is not None else book.create_sheet()
            sheet.title = title.replace("/", "-")
            sheet.append([labels.figures["label"], labels.figures["key"], labels.figures["value"]])
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            sheet.column_dimensions["A"].width = 48
            sheet.column_dimensions["B"].width = 28
            sheet.column_dimensions["C"].width = 16
            sheets[section] = sheet
        sheet.append([label, key, value])
        if key.endswith("_rate") and isinstance(value, float):
            sheet.cell(row=sheet.max_row, column=3).number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def labels_for(settings: Any) -> Labels:
    """The Vietnamese names of everything in a report, from ``messages.vi.toml`` and ``categories.toml``."""
    from config.catalog import load_catalog
    from normalizer import context_from_settings

    messages = load_catalog(settings.data_dir).messages.sections
    web = messages["web"]
    return Labels(
        figures={key.removeprefix("report-"): text for key, text in web.items() if key.startswith("report-")},
        channels={key.removeprefix("channel-"): text for key, text in web.items() if key.startswith("channel-")},
        fields={c.code: c.name for c in context_from_settings(settings).categories.categories},
        statuses=dict(messages["status"]),
        reasons={key.removeprefix("reason-"): text for key, text in web.items() if key.startswith("reason-")},
        timezone=settings.timezone,
    )
