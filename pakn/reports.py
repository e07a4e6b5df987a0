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
  report per case counts; a rating the citizen gave the gateway itself (``ratings``: very satisfied,
  satisfied, acceptable, unhappy; asked once when the case is resolved) counts before the store's, and is
  also counted by field, suggested agency and channel (``ratings``, ``satisfaction_by_*``).

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
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select, true
from sqlalchemy.engine import Engine

from config.catalog import load_catalog
from pakn import timefmt
from pakn.db import case_updates, forwards, notifications, ratings, submissions
from pakn.journal import triage_inbox
from pakn.records import RATINGS, Status

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
    # The routing suggestion and the subject of each eligible case (case contract 1.1).
    by_level: dict[str, int] = field(default_factory=dict)
    by_agency: dict[str, int] = field(default_factory=dict)
    by_subject: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    automatic: dict[str, int] = field(default_factory=dict)
    # The triage inbox's work in the period (by when staff acted): actions per kind and corrected field,
    # and how often each of the normalizer's rules was overridden (pakn.journal.triage_inbox).
    reviewed: dict[str, int] = field(default_factory=dict)
    overridden: dict[str, int] = field(default_factory=dict)
    # The citizens' own ratings on their channel (pakn.journal.ratings): by level, and by field, agency, channel.
    ratings: dict[str, int] = field(default_factory=dict)
    satisfaction_by_field: dict[str, dict[str, int]] = field(default_factory=dict)
    satisfaction_by_agency: dict[str, dict[str, int]] = field(default_factory=dict)
    satisfaction_by_channel: dict[str, dict[str, int]] = field(default_factory=dict)

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
    levels: Counter[str] = Counter()
    agencies: Counter[str] = Counter()
    subjects: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    automatic: Counter[str] = Counter()
    with engine.connect() as conn:
        groups: dict[int, tuple[str, str, str]] = {}  # submission id → (field, agency, channel) of each case
        rows = conn.execute(
            select(
                submissions.c.id,
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
                normalized = json.loads(row.normalized) if row.normalized else {}
                place = normalized.get("location") or {}
                units[place.get("commune") or place.get("province") or "-"] += 1
                routing = normalized.get("routing") or {}  # absent in cases normalized before it existed
                levels[routing.get("level") or "-"] += 1
                agencies[routing.get("agency") or "-"] += 1
                groups[row.id] = (row.category or "-", routing.get("agency") or "-", row.channel)
                subjects[normalized.get("subject") or "-"] += 1
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
        given: Counter[str] = Counter()
        by_group: tuple[dict[str, Counter[str]], ...] = ({}, {}, {})
        for rated in conn.execute(
            select(ratings.c.submission_id, ratings.c.rating)
            .join(submissions, submissions.c.id == ratings.c.submission_id)
            .where(in_period, ratings.c.rating.is_not(None))
        ):
            given[rated.rating] += 1
            # On the case store's 1–5 scale, so that both count alike: 5, 4, 3, 1.
            latest_rating[rated.submission_id] = (5, 4, 3, 1)[RATINGS.index(rated.rating)]
            for counts, key in zip(by_group, groups.get(rated.submission_id, ("-", "-", "-")), strict=True):
                counts.setdefault(key, Counter())[rated.rating] += 1
    report.ratings = {r: given[r] for r in RATINGS if given[r]}
    report.satisfaction_by_field, report.satisfaction_by_agency, report.satisfaction_by_channel = (
        {key: {r: c[r] for r in RATINGS if c[r]} for key, c in sorted(counts.items())} for counts in by_group
    )
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
    report.by_level = dict(levels.most_common())
    report.by_agency = dict(agencies.most_common())
    report.by_subject = dict(subjects.most_common())
    report.by_status = dict(sorted(statuses.items()))
    report.automatic = dict(automatic.most_common())
    report.by_channel = dict(sorted(report.by_channel.items()))
    with engine.connect() as conn:
        report.reviewed = triage_inbox.correction_counts(conn, since, until)
        report.overridden = triage_inbox.override_counts(conn, since, until)
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
    subjects: dict[str, str] = field(default_factory=dict)  # behaviour / regulations, from subjects.toml
    reviewed: dict[str, str] = field(default_factory=dict)  # staff's actions (and corrected fields) by key
    rules: dict[str, str] = field(default_factory=dict)  # the normalizer's rules and finding codes

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
    for level, count in report.by_level.items():
        out.append(("by_level", level, f.get(f"level-{level}", level), count))
    for agency, count in report.by_agency.items():
        out.append(("by_agency", agency, agency if agency != "-" else f["unknown_agency"], count))
    for subject, count in report.by_subject.items():
        out.append(("by_subject", subject, labels.of(labels.subjects, subject), count))
    for status, count in report.by_status.items():
        out.append(("by_status", status, labels.of(labels.statuses, status), count))
    for rating, count in report.ratings.items():
        out.append(("ratings", rating, f.get(f"rating-{rating}", rating), count))
    for section, table, names in (
        ("satisfaction_by_field", report.satisfaction_by_field, labels.fields),
        ("satisfaction_by_agency", report.satisfaction_by_agency, {"-": f["unknown_agency"]}),
        ("satisfaction_by_channel", report.satisfaction_by_channel, labels.channels),
    ):
        for group, counts in table.items():
            for rating, count in counts.items():
                label = f"{labels.of(names, group)} – {f.get(f'rating-{rating}', rating)}"
                out.append((section, f"{group}/{rating}", label, count))
    for kind, count in report.automatic.items():
        out.append(("automatic", kind, labels.of(labels.reasons, f"automatic-{kind}"), count))
    for key, count in report.reviewed.items():
        out.append(("reviewed", key, labels.of(labels.reviewed, key), count))
    for rule, count in report.overridden.items():
        out.append(("overridden", rule, labels.rules.get(rule) or labels.of(labels.reasons, rule), count))
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


# The statistics page's look in the workbook: its blue, its labels whole, numbers as people read them.
XLSX_BLUE = "0B4FA0"
XLSX_HEADER_ROW = 5
XLSX_FORMATS = {"rate": "0.0%", "hours": "0.00", "count": "#,##0", "moment": "dd/mm/yyyy hh:mm"}
XLSX_CHARTED = (
    "not_eligible_reasons", "by_channel", "by_field", "by_unit", "by_level", "by_agency", "by_subject", "by_status",
    "automatic", "reviewed", "overridden",
)  # fmt: skip


def _local_moment(value: str | None, labels: Labels) -> datetime | str | None:
    """A period end as a local date and time without offset (what a spreadsheet shows), None when open."""
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(ZoneInfo(labels.timezone)).replace(tzinfo=None)


def _number_format(key: str, value: Any) -> str | None:
    if key.endswith("_rate"):
        return XLSX_FORMATS["rate"]
    if key.startswith("forwarding_hours"):
        return XLSX_FORMATS["hours"]
    return XLSX_FORMATS["count"] if isinstance(value, int) else None


def to_xlsx(report: Report, labels: Labels, generated: datetime | None = None) -> bytes:
    """The statistics page as a workbook: one sheet per section, each headed by the report's title and
    period (real dates, dd/mm/yyyy hh:mm), a coloured header row, whole labels in a wide wrapped column,
    numbers as numbers (rates as percentages, hours with two decimals), and the page's horizontal bar
    chart beside each breakdown."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Font, PatternFill

    f = labels.figures
    book = Workbook()
    first = book.active
    sheets: dict[str, Any] = {}
    moments = [
        (f["from"], _local_moment(report.period_from, labels) or f["from-open"]),
        (f["to"], _local_moment(report.period_to, labels) or f["to-open"]),
        (f["generated"], _local_moment((generated or datetime.now().astimezone()).isoformat(), labels)),
    ]
    widest: dict[str, int] = {}
    for section, key, label, value in rows(report, labels):
        if section == "period":  # on top of every sheet instead
            continue
        sheet = sheets.get(section)
        if sheet is None:
            title = f.get("section-" + section, section)
            sheet = first if not sheets and first is not None else book.create_sheet()
            sheet.title = title[:31].replace("/", "-")
            sheet["A1"] = f"{f['title']} – {title}"
            sheet["A1"].font = Font(bold=True, size=14, color=XLSX_BLUE)
            for offset, (name, moment) in enumerate(moments):
                sheet.cell(row=2 + offset, column=1, value=name).font = Font(bold=True)
                cell = sheet.cell(row=2 + offset, column=2, value=moment)
                cell.alignment = Alignment(horizontal="left")
                if isinstance(moment, datetime):
                    cell.number_format = XLSX_FORMATS["moment"]
            for column, text in enumerate((f["label"], f["value"], f["key"]), start=1):
                cell = sheet.cell(row=XLSX_HEADER_ROW, column=column, value=text)
                cell.font = Font(bold=True, color="FFFFFF")
                cell.fill = PatternFill("solid", start_color=XLSX_BLUE, end_color=XLSX_BLUE)
                cell.alignment = Alignment(vertical="center", wrap_text=True)
            sheet.freeze_panes = f"A{XLSX_HEADER_ROW + 1}"  # the title, period and header stay in view
            sheets[section] = sheet
        sheet.append([label, value, key])
        row = sheet.max_row
        sheet.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        if (number_format := _number_format(key, value)) is not None:
            sheet.cell(row=row, column=2).number_format = number_format
        widest[section] = max(widest.get(section, 0), len(label))
    for section, sheet in sheets.items():
        # Column A fits the longest label (up to 60 characters, longer ones wrap); B the dates and figures.
        sheet.column_dimensions["A"].width = max(28, min(60, widest[section] + 2))
        sheet.column_dimensions["B"].width = 18
        sheet.column_dimensions["C"].width = 26
        last = sheet.max_row
        if section in XLSX_CHARTED and last > XLSX_HEADER_ROW:
            chart = BarChart()
            chart.type = "bar"  # horizontal bars, like the page: long Vietnamese labels stay readable
            chart.style = 10
            chart.title = f.get("section-" + section, section)
            chart.legend = None
            chart.y_axis.title = f["value"]
            chart.x_axis.scaling.orientation = "maxMin"  # the largest first, as in the table
            chart.add_data(Reference(sheet, min_col=2, min_row=XLSX_HEADER_ROW, max_row=last), titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=XLSX_HEADER_ROW + 1, max_row=last))
            chart.series[0].graphicalProperties.solidFill = XLSX_BLUE
            chart.width, chart.height = 22, max(6.0, 1.0 * (last - XLSX_HEADER_ROW) + 3)
            sheet.add_chart(chart, f"E{XLSX_HEADER_ROW}")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def labels_for(settings: Any, context: Any) -> Labels:
    """The Vietnamese names of everything in a report, from ``messages.vi.toml`` and ``categories.toml``.

    ``context`` is the normalizer's (``normalizer.Context``: its fields and subjects), passed in by whoever
    asks, so that the core uses nothing of ours but the configuration.
    """
    messages = load_catalog(settings.data_dir).messages.sections
    web = messages["web"]
    subjects = {s.code: s.name for s in context.subjects.subjects}
    return Labels(
        figures={key.removeprefix("report-"): text for key, text in web.items() if key.startswith("report-")},
        channels={key.removeprefix("channel-"): text for key, text in web.items() if key.startswith("channel-")},
        fields={c.code: c.name for c in context.categories.categories},
        statuses=dict(messages["status"]),
        reasons={key.removeprefix("reason-"): text for key, text in web.items() if key.startswith("reason-")},
        timezone=settings.timezone,
        subjects={**subjects, context.subjects.none: web["report-subject-none"], "-": web["report-subject-unknown"]},
        reviewed=_reviewed_labels(messages),
        rules=dict(messages["triage-rules"]),
    )


def _reviewed_labels(messages: Any) -> dict[str, str]:
    """``correct:category`` → "Chỉnh sửa: Lĩnh vực"; an action on the status alone by the action's name."""
    actions, fields = messages["triage-actions"], messages["triage-fields"]
    named = dict(actions)
    for action, name in actions.items():
        named.update({f"{action}:{f}": name if f == "status" else f"{name}: {text}" for f, text in fields.items()})
    return named
