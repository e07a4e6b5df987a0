"""Times as people in Vietnam read them: local (TIMEZONE) and ``02/12/2026 10:16``.

The journal keeps UTC; every page, list and report a person reads goes through here, so that nobody has
to add seven hours in their head. Templates use the ``local_time`` / ``local_date`` filters that
``install`` registers on a Jinja environment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from config.settings import get_settings

DATE_TIME = "%d/%m/%Y %H:%M"
DATE = "%d/%m/%Y"


def _zone(timezone: str | None) -> ZoneInfo:
    if timezone is None:
        timezone = get_settings().timezone
    return ZoneInfo(timezone)


def _moment(value: datetime | date | str | None) -> datetime | date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def local_time(value: datetime | date | str | None, fmt: str = DATE_TIME, timezone: str | None = None) -> str:
    """``dd/mm/yyyy HH:MM`` in the gateway's time zone; a time without an offset is UTC (the journal's)."""
    moment = _moment(value)
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return moment.strftime(DATE)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone(timezone)).strftime(fmt)


def local_date(value: datetime | date | str | None, timezone: str | None = None) -> str:
    return local_time(value, DATE, timezone)


def install(environment: Any) -> None:
    """Register the filters on a Jinja environment (``Jinja2Templates(...).env``)."""
    environment.filters["local_time"] = local_time
    environment.filters["local_date"] = local_date
