"""The live map for the IT centre and leaders (``/admin/map``): cases as pins, counts per commune.

Same accounts and role as the statistics (``channels.web.admin``).  The page draws with Leaflet, served by
the gateway from where ``scripts/setup.sh`` installed it (``npm ci`` into ``node_modules/``, never a CDN),
and polls ``/admin/map.json`` every ``MAP_POLL_SECONDS``: a filter changes what is shown without a reload.
Tiles come from ``MAP_TILE_URL`` when it is set (the page's CSP then allows that server's images); without
it, or when the tiles cannot be reached, the pins and communes are drawn on a plain background.

The JSON carries no personal data: tracking code, channel, status, field, commune, time and coordinates
only; a confidential submitter's pin is never in it (``pakn.livemap``).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from channels.depends import RuntimeDep
from channels.hotline import auth, store
from channels.pins import PINS
from channels.runtime import Runtime
from channels.web import admin
from channels.web.pages import SECURITY_HEADERS, page, texts
from normalizer.fields.places import DATA_FILE
from pakn import livemap, timefmt
from pakn.db import utcnow
from pakn.records import Channel, GeoPoint, Status
from pakn.responses import JSONResponse

log = logging.getLogger(__name__)

router = APIRouter(tags=["live map"], include_in_schema=False)
ROLE = admin.ROLE
DEFAULT_DAYS = 30  # the period shown when none is asked for: the last 30 days, today included
LEAFLET_FILES = {"leaflet.js": "text/javascript", "leaflet.css": "text/css"}
REPO = Path(__file__).resolve().parents[2]


def leaflet_dir(runtime: Runtime) -> Path:
    return runtime.settings.map.leaflet_dir or REPO / "node_modules" / "leaflet" / "dist"


@lru_cache(maxsize=4)
def _points(path: Path) -> dict[str, GeoPoint]:
    return dict(livemap.load_points(path))


def commune_points(runtime: Runtime) -> dict[str, GeoPoint]:
    """The communes' points: CONFIG_DATA_DIR's ``commune_points.json`` if it has one, else the shipped file."""
    own = runtime.settings.data_dir / "commune_points.json"
    return _points(own if own.is_file() else livemap.SHIPPED_POINTS)


def _choices(runtime: Runtime) -> dict[str, dict[str, str]]:
    """What each filter may be, with the labels staff read."""
    sections = runtime.catalog.messages.sections
    web = sections["web"]
    return {
        "field": {c.code: c.name for c in runtime.context.categories.categories},
        "status": {s.value: sections["status"].get(s.value, s.value) for s in Status},
        "channel": {c.value: web.get(f"channel-{c.value}", c.value) for c in Channel},
    }


def _date(text: str) -> date | None:
    text = text.strip()
    try:
        return date.fromisoformat(text) if "-" in text else datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None


def map_filter(request: Request, runtime: Runtime) -> tuple[livemap.MapFilter, date, date] | str:
    """The filter of the query string (from/to are local dates, both days included), or what is wrong."""
    t = texts(runtime)
    zone = ZoneInfo(runtime.settings.timezone)
    today = datetime.now(zone).date()
    params = request.query_params
    days: dict[str, date] = {}
    for name, default in (("from", today - timedelta(days=DEFAULT_DAYS - 1)), ("to", today)):
        given = (params.get(name) or "").strip()
        value = _date(given) if given else default
        if value is None or not admin.EARLIEST <= value <= admin.LATEST - timedelta(days=1):
            label = t["map-from" if name == "from" else "map-to"]
            return t["stats-invalid-date"].format(field=label, value=given[:40])
        days[name] = value
    if days["to"] < days["from"]:
        return t["stats-invalid-period"]
    chosen: dict[str, str | None] = {}
    for name, allowed in _choices(runtime).items():
        picked = (params.get(name) or "").strip() or None
        if picked is not None and picked not in allowed:
            return t["map-invalid-filter"].format(detail=f"{t['map-' + name]} = {picked[:40]}")
        chosen[name] = picked
    since = datetime.combine(days["from"], datetime.min.time(), zone)
    until = datetime.combine(days["to"] + timedelta(days=1), datetime.min.time(), zone)
    query = livemap.MapFilter(since, until, chosen["field"], chosen["status"], chosen["channel"])
    return query, days["from"], days["to"]


def tile_origin(url: str) -> str:
    """The origin the page's CSP must allow images from, for a tile URL template ({s} subdomains: *)."""
    parts = urlsplit(url)
    host = re.sub(r"\{s\}", "*", parts.netloc)
    return f"{parts.scheme}://{host}" if parts.scheme and host and "{" not in host else ""


def map_headers(runtime: Runtime) -> dict[str, str]:
    """The security headers, with the tile server's images allowed when one is set."""
    origin = tile_origin(runtime.settings.map.tile_url)
    headers = dict(SECURITY_HEADERS)
    if origin:
        csp = headers["Content-Security-Policy"]
        headers["Content-Security-Policy"] = csp.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")
    return headers


@router.get("/admin/map")
async def map_page(request: Request, runtime: RuntimeDep) -> Response:
    session = await auth.current_session(request)
    if session is None:  # back here, filters and all, once signed in
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/admin/login?next={quote(here, safe='')}", status_code=303)
    t = texts(runtime)
    if not session.operator.can(ROLE):
        return page(request, "admin_message.html", 403, title=t["map-title"], message=t["map-forbidden"])
    found = map_filter(request, runtime)
    if isinstance(found, str):
        return page(request, "admin_message.html", 400, title=t["map-title"], message=found)
    query, start, end = found
    settings = runtime.settings.map
    response = page(
        request,
        "map.html",
        operator=session.operator,
        session_csrf=session.csrf_token,
        start=start,
        end=end,
        chosen={"field": query.category, "status": query.status, "channel": query.channel},
        choices=_choices(runtime),
        leaflet=(leaflet_dir(runtime) / "leaflet.js").is_file(),
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        tile_max_zoom=settings.tile_max_zoom,
        poll_seconds=settings.poll_seconds,
        province_bounds=_province_bounds(runtime),
    )
    response.headers.update(map_headers(runtime))
    return response


def _province_bounds(runtime: Runtime) -> str:
    """south,west,north,east of the province's communes: where the map opens before it has any data."""
    prefix = runtime.settings.province_code
    codes = {code for code, prov in _commune_provinces().items() if prov == prefix}
    own = [p for code, p in commune_points(runtime).items() if code in codes]
    if not own:
        return "8.4,102.1,23.4,109.5"  # the whole country
    lats, lons = [p.latitude for p in own], [p.longitude for p in own]
    return f"{min(lats)},{min(lons)},{max(lats)},{max(lons)}"


@lru_cache(maxsize=1)
def _commune_provinces() -> dict[str, str]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {code: province for code, province, _name, _aliases in data["communes"]}


def _refusal(status: int, error: str, message: str) -> Response:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=SECURITY_HEADERS)


@router.get("/admin/map.json")
async def map_data(request: Request, runtime: RuntimeDep) -> Response:
    """What the map shows for the filters: signed-in supervisors and admins only (401, 403 otherwise)."""
    session: store.Session | None = await auth.current_session(request)
    t = texts(runtime)
    if session is None:
        return _refusal(401, "sign-in", t["map-sign-in"])
    if not session.operator.can(ROLE):
        return _refusal(403, "forbidden", t["map-forbidden"])
    found = map_filter(request, runtime)
    if isinstance(found, str):
        return _refusal(400, "invalid-filter", found)
    query, start, end = found
    points = commune_points(runtime)
    figures = await run_in_threadpool(
        livemap.build, runtime.journal.engine, query, PINS, points, runtime.settings.map.max_pins
    )
    return JSONResponse(_as_json(runtime, figures, start, end), headers=SECURITY_HEADERS)


def _as_json(runtime: Runtime, figures: livemap.LiveMap, start: date, end: date) -> dict[str, Any]:
    """The response at the edge: labels for people, codes for the script; nothing about who sent a case."""
    choices = _choices(runtime)
    zone = runtime.settings.timezone
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "matched": figures.matched,
        "without_commune": figures.without_commune,
        "hidden_pins": figures.hidden_pins,
        "pins_left_out": figures.pins_left_out,
        "generated": timefmt.local_time(utcnow(), timezone=zone),
        "pins": [
            {
                "code": pin.tracking_code,
                "lat": pin.point.latitude,
                "lon": pin.point.longitude,
                "status": pin.status,
                "status_label": choices["status"].get(pin.status, pin.status),
                "channel": pin.channel,
                "channel_label": choices["channel"].get(pin.channel, pin.channel),
                "field": pin.category,
                "field_label": choices["field"].get(pin.category or "", pin.category or ""),
                "commune": pin.commune,
                "received": timefmt.local_time(pin.received_at, timezone=zone),
            }
            for pin in figures.pins
        ],
        "communes": [
            {
                "code": c.code,
                "name": c.name,
                "province": c.province,
                "count": c.count,
                "lat": c.point.latitude if c.point else None,
                "lon": c.point.longitude if c.point else None,
                "point_from": c.point_from,
            }
            for c in figures.communes
        ],
    }


@router.get("/web/vendor/leaflet/{name}")
async def leaflet_file(name: str, runtime: RuntimeDep) -> FileResponse:
    """Leaflet's own files, from where npm installed them (never a CDN)."""
    path = leaflet_dir(runtime) / name
    if name not in LEAFLET_FILES or not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, media_type=LEAFLET_FILES[name], headers={"Cache-Control": "max-age=3600"})
