"""PBX call-detail records into ``hotline_calls``: Asterisk's ``Master.csv`` or a documented generic CSV.

Each record gets a key (``pbx:<uniqueid>``, or ``pbx:sha:<hash of the record>`` when Asterisk does not
log unique ids), so importing the same file again creates nothing.  An inbound call with no call logged
from the console or the API by the same number around the same time becomes a missed call for
call-back; an answered outbound call to a number clears that number's missed calls (it was called back).

Asterisk ``cdr_csv`` (no header; ``loguniqueid``/``loguserfield``/``newcdrcolumns`` add columns)::

    accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata,
    start, answer, end, duration, billsec, disposition, amaflags[, uniqueid][, userfield]
    [, peeraccount, linkedid, sequence]

Times are the PBX's local time (``usegmtime=no``), read in the province's time zone unless ``--utc``.

Generic CSV (UTF-8, a header row, columns in any order; only ``call_id`` and ``caller`` are required)::

    call_id, caller, called, started_at, answered_at, ended_at, duration_seconds,
    status (answered | no-answer | busy | failed), direction (inbound | outbound), recording_url

``started_at`` etc. are ISO 8601 (``2024-11-12T14:02:10+07:00``; without an offset: province time).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from channels.hotline import store
from channels.hotline.calls import phone_keys
from pakn.db import utcnow, writer

_UNIQUEID = re.compile(r"^\d+\.\d+$")
_DISPOSITIONS = {"ANSWERED": "completed", "NO ANSWER": "no-answer", "BUSY": "busy", "FAILED": "failed"}
_GENERIC_STATUS = {"answered": "completed", "no-answer": "no-answer", "busy": "busy", "failed": "failed"}


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One PBX call, whatever the file format."""

    key: str
    caller: str
    called: str
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: int | None
    answered: bool
    status: str
    direction: str
    recording_url: str | None = None


@dataclass
class ImportSummary:
    read: int = 0
    imported: int = 0
    already_imported: int = 0
    missed: int = 0
    linked: int = 0
    called_back: int = 0
    unreadable: list[int] = field(default_factory=list)  # line numbers

    def as_json(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "imported": self.imported,
            "already_imported": self.already_imported,
            "missed": self.missed,
            "linked_to_logged_calls": self.linked,
            "missed_calls_closed_by_call_back": self.called_back,
            "unreadable_lines": self.unreadable,
        }


def _time(text: str, zone: ZoneInfo) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() else None


def _internal(number: str) -> bool:
    """An extension of the call centre (a short number), not a citizen's phone."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return 0 < len(digits) <= 6


def asterisk_record(row: list[str], zone: ZoneInfo) -> CallRecord:
    if len(row) < 16:
        raise ValueError("an Asterisk CDR has at least 16 columns")
    src, dst = row[1].strip(), row[2].strip()
    start = _time(row[9], zone)
    if start is None:
        raise ValueError("no start time")
    uniqueid = row[16].strip() if len(row) > 16 and _UNIQUEID.match(row[16].strip()) else None
    key = f"pbx:{uniqueid}" if uniqueid else "pbx:sha:" + hashlib.sha256("\x1f".join(row[:16]).encode()).hexdigest()
    disposition = row[14].strip().upper()
    return CallRecord(
        key=key,
        caller=src,
        called=dst,
        started_at=start,
        ended_at=_time(row[11], zone),
        duration_seconds=_int(row[12]),
        answered=disposition == "ANSWERED",
        status=_DISPOSITIONS.get(disposition, "failed"),
        direction="outbound" if _internal(src) and not _internal(dst) else "inbound",
    )


def generic_record(row: dict[str, str], zone: ZoneInfo) -> CallRecord:
    call_id, caller = (row.get("call_id") or "").strip(), (row.get("caller") or "").strip()
    if not call_id or not caller:
        raise ValueError("call_id and caller are required")
    status = _GENERIC_STATUS.get((row.get("status") or "").strip().lower(), "completed")
    start = _time(row.get("started_at") or "", zone) or utcnow()
    return CallRecord(
        key=f"pbx:{call_id}",
        caller=caller,
        called=(row.get("called") or "").strip(),
        started_at=start,
        ended_at=_time(row.get("ended_at") or "", zone),
        duration_seconds=_int(row.get("duration_seconds")),
        answered=status == "completed",
        status=status,
        direction=(row.get("direction") or "inbound").strip().lower() or "inbound",
        recording_url=(row.get("recording_url") or "").strip() or None,
    )


def read_records(data: bytes, fmt: str, zone: ZoneInfo, summary: ImportSummary) -> list[tuple[int, CallRecord]]:
    """Parse the whole file first (a broken line is reported, not fatal), so the progress bar has a length."""
    text = data.decode("utf-8-sig", errors="replace")
    first = text.lstrip().split("\n", 1)[0].lower()
    if fmt == "auto":
        fmt = "generic" if "call_id" in first and "caller" in first else "asterisk"
    records: list[tuple[int, CallRecord]] = []
    if fmt == "generic":
        reader: Iterable[Any] = csv.DictReader(io.StringIO(text))
        parse: Callable[[Any], CallRecord] = lambda row: generic_record(row, zone)  # noqa: E731
        start_line = 2
    else:
        reader = csv.reader(io.StringIO(text))
        parse = lambda row: asterisk_record(row, zone)  # noqa: E731
        start_line = 1
    for line, row in enumerate(reader, start=start_line):
        if not row or (isinstance(row, list) and not any(cell.strip() for cell in row)):
            continue
        summary.read += 1
        try:
            records.append((line, parse(row)))
        except (ValueError, TypeError):
            summary.unreadable.append(line)
    return records


def import_records(
    engine: Engine,
    records: list[tuple[int, CallRecord]],
    match_window: timedelta,
    summary: ImportSummary,
    progress: Callable[[int], None] = lambda _n: None,
    chunk: int = 200,
) -> ImportSummary:
    """Store new records (in transactions of ``chunk``); known keys are skipped."""
    for offset in range(0, len(records), chunk):
        batch = records[offset : offset + chunk]
        with writer(engine).begin() as conn:
            for _line, record in batch:
                _import_one(conn, record, match_window, summary)
        progress(len(batch))
    return summary


def _import_one(conn: Any, record: CallRecord, window: timedelta, summary: ImportSummary) -> None:
    now = utcnow()
    inbound = record.direction != "outbound"
    caller_keys = phone_keys(record.caller)
    row: dict[str, Any] = {
        "call_key": record.key,
        "source": "pbx",
        "direction": "inbound" if inbound else "outbound",
        "from_number": caller_keys[0] if caller_keys else None,
        "to_number": record.called or None,
        "status": record.status,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "duration_seconds": record.duration_seconds,
        "answered": record.answered,
        "recording_url": record.recording_url,
        "confidential": False,
        "missed": False,
        "created_at": now,
        "updated_at": now,
    }
    logged = None
    if inbound:
        end = record.ended_at or record.started_at
        logged = store.logged_call_near(conn, caller_keys, record.started_at - window, end + window)
        if logged is not None:
            row.update(
                outcome=logged.outcome,
                operator_id=logged.operator_id,
                submission_id=logged.submission_id,
                tracking_code=logged.tracking_code,
                confidential=logged.confidential,
                category=logged.category,
            )
        else:
            row["missed"] = True
    if not store.insert_pbx_call(conn, row):
        summary.already_imported += 1
        return
    summary.imported += 1
    summary.missed += int(row["missed"])
    summary.linked += int(logged is not None)
    if not inbound and record.answered:
        summary.called_back += store.close_missed_calls_of(conn, phone_keys(record.called), record.started_at, now)
