"""The live map's figures (``/admin/map``): cases with a location pin, and every case counted per commune.

Read from the journal for one period and the filters staff chose (field, status, channel).  A pin is what
the citizen's channel journaled (a Telegram or Zalo location, the web form's or an Open311 app's
``lat``/``long``), read by the readers the app passes in (``channels.pins``): this module knows no channel.
The commune is the one the normalizer resolved the place to (post-2025 code); its point on the map is the
commune's representative point (``config/data/commune_points.json``) or, for a code that file lacks, the
mean of the commune's own pins; a commune with neither is counted without a point.

Nothing personal leaves here: no name, phone, e-mail, address or text, and a confidential submitter's pin
is not shown at all (the case still counts in its commune).  Confidentiality is the normalized case's (a
completion may add it), so a pin is shown only once the normalizer has read its submission.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, and_, case, select

import config
from pakn.db import submissions
from pakn.records import GeoPoint, Status

log = logging.getLogger(__name__)

PinReader = Callable[[bytes], GeoPoint | None]
SHIPPED_POINTS = Path(config.__file__).resolve().parent / "data" / "commune_points.json"


@dataclass(frozen=True, slots=True)
class MapFilter:
    """Submissions received in [since, until), narrowed by field (category code), status and channel."""

    since: datetime
    until: datetime
    category: str | None = None
    status: str | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class MapPin:
    """One case with coordinates: nothing about who sent it."""

    tracking_code: str
    channel: str
    status: str
    category: str | None
    received_at: datetime
    point: GeoPoint
    commune_code: str | None
    commune: str | None


@dataclass(frozen=True, slots=True)
class CommuneCount:
    """How many of the filtered cases the normalizer placed in one commune, and where to draw it.

    ``point_from`` is ``data`` (the commune's representative point), ``pins`` (the mean of its pins) or
    ``""`` (no point: listed, not drawn)."""

    code: str
    name: str
    province: str | None
    count: int
    point: GeoPoint | None
    point_from: str


@dataclass(frozen=True, slots=True)
class LiveMap:
    matched: int  # submissions that pass the filters
    pins: tuple[MapPin, ...]  # newest first, at most the limit
    pins_left_out: int  # pins beyond the limit
    hidden_pins: int  # pins not shown because the submitter asked for confidentiality
    communes: tuple[CommuneCount, ...]  # most cases first
    without_commune: int  # matched submissions with no resolved commune


def load_points(path: Path = SHIPPED_POINTS) -> Mapping[str, GeoPoint]:
    """Commune code → representative point, from a ``commune_points.json`` (scripts/build_commune_points.py)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    points = {}
    for code, pair in data["points"].items():
        point = GeoPoint.checked(*pair) if isinstance(pair, list) and len(pair) == 2 else None
        if point is not None:
            points[str(code)] = point
    return points


def _automatic(status: str, findings: str | None) -> bool:
    """A mail no person wrote (rejected as automatic): not a case, as in the statistics (pakn.reports)."""
    return status == Status.REJECTED.value and bool(findings) and "automatic-mail" in (findings or "")


def build(
    engine: Engine,
    query: MapFilter,
    pins: Mapping[str, PinReader],
    points: Mapping[str, GeoPoint],
    limit: int,
) -> LiveMap:
    conditions = [submissions.c.received_at >= query.since, submissions.c.received_at < query.until]
    if query.category is not None:
        conditions.append(submissions.c.category == query.category)
    if query.status is not None:
        conditions.append(submissions.c.status == query.status)
    if query.channel is not None:
        conditions.append(submissions.c.channel == query.channel)
    # Only the payloads that can hold a pin are read (not every mail's bytes).
    raw = case((submissions.c.content_type.in_(list(pins)), submissions.c.raw), else_=None).label("raw")
    statement = (
        select(
            submissions.c.tracking_code, submissions.c.channel, submissions.c.status, submissions.c.category,
            submissions.c.received_at, submissions.c.confidential, submissions.c.normalized,
            submissions.c.findings, submissions.c.content_type, raw,
        )
        .where(and_(*conditions))
        .order_by(submissions.c.received_at.desc(), submissions.c.id.desc())
    )  # fmt: skip
    matched = without_commune = hidden = left_out = 0
    shown: list[MapPin] = []
    counts: Counter[str] = Counter()
    names: dict[str, tuple[str, str | None]] = {}
    pins_by_commune: dict[str, list[GeoPoint]] = defaultdict(list)
    with engine.connect() as conn:
        for row in conn.execute(statement):
            if _automatic(row.status, row.findings):
                continue
            matched += 1
            place = (json.loads(row.normalized).get("location") if row.normalized else None) or {}
            code = place.get("commune_code")
            if code:
                counts[code] += 1
                names.setdefault(code, (str(place.get("commune") or code), place.get("province")))
            else:
                without_commune += 1
            # Until the normalizer has read a submission, whether its submitter asked for confidentiality is
            # not known (the column is the normalized case's): its pin waits for the verdict.
            point = _pin(pins, row.content_type, row.raw) if row.normalized else None
            if point is None:
                continue
            if row.confidential:
                hidden += 1
                continue
            if code:
                pins_by_commune[code].append(point)
            if len(shown) >= limit:
                left_out += 1
                continue
            shown.append(
                MapPin(
                    tracking_code=row.tracking_code, channel=row.channel, status=row.status, category=row.category,
                    received_at=row.received_at, point=point, commune_code=code or None,
                    commune=names[code][0] if code else None,
                )
            )  # fmt: skip
    communes = []
    for code, count in counts.most_common():
        name, province = names[code]
        point, source = points.get(code), "data"
        if point is None and pins_by_commune.get(code):
            own = pins_by_commune[code]
            point = GeoPoint(sum(p.latitude for p in own) / len(own), sum(p.longitude for p in own) / len(own))
            source = "pins"
        communes.append(CommuneCount(code, name, province, count, point, source if point else ""))
    return LiveMap(matched, tuple(shown), left_out, hidden, tuple(communes), without_commune)


def _pin(pins: Mapping[str, PinReader], content_type: str, raw: bytes | None) -> GeoPoint | None:
    reader = pins.get(content_type)
    if reader is None or raw is None:
        return None
    try:
        return reader(bytes(raw))
    except (ValueError, TypeError, KeyError):  # a payload its reader cannot read has no pin to show
        log.warning("live map: a %s payload has an unreadable pin", content_type)
        return None
