"""GET requests' arguments as the spec defines them, read into what the journal is asked.

``service_request_id`` (comma list) overrides everything else.  Otherwise ``start_date``/``end_date``
(w3c datetimes with a time zone) span at most 90 days; one of them alone reaches 90 days from it, none
means the last 90 days.  ``service_code`` and ``status`` (``open``, ``closed``) are comma lists.  At most
1000 results, newest first.  An empty argument is no argument (the spec's "optional").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from pakn.records import Status

MAX_RESULTS = 1000
MAX_IDS = 100
WINDOW = timedelta(days=90)
# GeoReport's two states over ours: closed once answered or refused, open before.
STATUSES = {
    "open": (
        Status.RECEIVED, Status.ACCEPTED, Status.NEEDS_INFORMATION, Status.FORWARDED, Status.FAILED,
        Status.IN_PROGRESS,
    ),
    "closed": (Status.REJECTED, Status.RESOLVED),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ByCode:
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Search:
    since: datetime
    until: datetime
    statuses: tuple[Status, ...] = ()
    service_codes: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Problem:
    """A 400: the ``[open311]`` message's key and its values."""

    key: str
    values: dict[str, object] = field(default_factory=dict)


def _list(text: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))


def w3c_datetime(text: str, zone: tzinfo) -> datetime | None:
    """A W3C-note datetime with its time zone (``2010-01-01T00:00:00Z``, ``...+07:00``); None otherwise.
    A bare date (``2010-01-01``, also W3C) is that day's start in the gateway's time zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        if "T" in text.upper():
            return None  # a time without a zone: which instant is unknowable
        moment = moment.replace(tzinfo=zone)
    return moment


def parse(params: Mapping[str, str], now: datetime, zone: tzinfo) -> ByCode | Search | Problem:
    codes = _list(params.get("service_request_id"))
    if codes:
        if len(codes) > MAX_IDS:
            return Problem("too-many-ids", {"limit": MAX_IDS})
        return ByCode(codes)
    bounds: dict[str, datetime | None] = {}
    for name in ("start_date", "end_date"):
        given = (params.get(name) or "").strip()
        bounds[name] = w3c_datetime(given, zone) if given else None
        if given and bounds[name] is None:
            return Problem("bad-date", {"field": name})
    start, end = bounds["start_date"], bounds["end_date"]
    if start is None and end is None:
        start, end = now - WINDOW, now
    elif start is None:
        assert end is not None
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    if end < start or end - start > WINDOW:
        return Problem("bad-date-range", {"days": WINDOW.days})
    statuses: list[Status] = []
    for word in _list(params.get("status")):
        if word.lower() not in STATUSES:
            return Problem("bad-status")
        statuses.extend(STATUSES[word.lower()])
    return Search(start, end, tuple(dict.fromkeys(statuses)), _list(params.get("service_code")))
