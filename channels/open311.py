"""Open311 GeoReport v2 on the gateway, for the mobile app and other systems (``/open311/v2``).

* ``GET services.json`` — the fields (lĩnh vực) of ``config/data/categories.toml`` as services; each has
  metadata: the two attributes GeoReport lacks and the provincial rules require (``incident_time``) or
  allow (``confidential``), described by ``GET services/{service_code}.json``.
* ``POST requests.json`` — form-encoded as the spec says, with an ``api_key`` per app
  (OPEN311_API_KEYS); journaled like the web form (``channels.web.payload``, channel ``api``) before the
  answer, whose ``service_request_id`` is the tracking code.  An ``Idempotency-Key`` header makes a
  retry return the same code.
* ``GET requests/{service_request_id}.json`` — its status; never the submitter's identity.

Errors are GeoReport's: a list of ``{"code", "description"}`` with the HTTP status.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from channels.web import forms, guard
from channels.web.pages import rate_limited
from channels.web.payload import CONTENT_TYPE, WebPayload
from normalizer import context_from_settings
from pakn import edge, tracking
from pakn.db import utcnow
from pakn.journal import RawSubmission, StoredSubmission
from pakn.records import Channel, Status
from pakn.responses import JSONResponse
from pakn.runtime import get_runtime

log = logging.getLogger(__name__)

router = APIRouter(prefix="/open311/v2", tags=["open311"])

# GeoReport v2 arguments of POST Service Request (wiki.open311.org/GeoReport_v2): nothing else is read.
POST_FIELDS = (
    "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id", "email",
    "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url",
)  # fmt: skip
# Fields of a GeoReport v2 service request as GET requests returns them.
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
)  # fmt: skip
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
ATTRIBUTES = (
    {
        "variable": True, "code": "incident_time", "datatype": "string", "required": False, "order": 1,
        "datatype_description": "Ví dụ: 14h30 ngày 12/9/2024, sáng nay; hoặc ISO 8601.",
        "description": "Thời gian xảy ra sự việc",
    },
    {
        "variable": True, "code": "confidential", "datatype": "singlevaluelist", "required": False, "order": 2,
        "datatype_description": "true: giữ bí mật thông tin người phản ánh.",
        "description": "Giữ bí mật thông tin người phản ánh",
        "values": [{"key": "true", "name": "Có"}, {"key": "false", "name": "Không"}],
    },
)  # fmt: skip
_CLOSED = {Status.REJECTED, Status.RESOLVED}
_LIMITS = {"description": 20_000, "email": 320, "phone": 64, "media_url": 2_000}


def _errors(status: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": description}], status_code=status)


def _services() -> list[dict[str, Any]]:
    context = context_from_settings(get_runtime().settings)
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": f"Phản ánh, kiến nghị lĩnh vực {c.name}",
            "metadata": True,
            "type": "realtime",
            "keywords": ", ".join(c.words[:8]),
            "group": "Phản ánh, kiến nghị",
        }
        for c in context.categories.categories
    ]


def _jurisdiction_ok(given: str | None) -> bool:
    expected = get_runtime().settings.open311_server_jurisdiction_id
    return not given or not expected or given == expected


@router.get(
    "/services.json",
    responses={404: {"description": "unknown jurisdiction_id or service_code"}},
    summary="GeoReport v2: service list (the fields of feedback)",
)
async def services(jurisdiction_id: str | None = None) -> Response:
    if not _jurisdiction_ok(jurisdiction_id):
        return _errors(404, "unknown jurisdiction_id")
    return JSONResponse(_services())


@router.get(
    "/services/{service_code}.json",
    responses={404: {"description": "unknown jurisdiction_id or service_code"}},
    summary="GeoReport v2: service definition (its attributes)",
)
async def service_definition(service_code: str, jurisdiction_id: str | None = None) -> Response:
    if not _jurisdiction_ok(jurisdiction_id) or service_code not in {s["service_code"] for s in _services()}:
        return _errors(404, f"unknown service_code {service_code[:64]}")
    return JSONResponse({"service_code": service_code, "attributes": list(ATTRIBUTES)})


_POST_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["api_key", "service_code"],
                    "properties": {
                        **{name: {"type": "string"} for name in POST_FIELDS},
                        "lat": {"type": "number"},
                        "long": {"type": "number"},
                        "attribute[incident_time]": {"type": "string"},
                        "attribute[confidential]": {"type": "string", "enum": ["true", "false"]},
                    },
                }
            }
        },
    }
}


def _app_of(api_key: str) -> str | None:
    for app, secret in get_runtime().settings.open311_api_keys.items():
        if hmac.compare_digest(secret.get_secret_value().encode(), api_key.encode()):
            return app
    return None


def _float(text: str, bound: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if -bound <= value <= bound else None


@router.post(
    "/requests.json",
    status_code=201,
    summary="GeoReport v2: create a service request (journaled; service_request_id is the tracking code)",
    openapi_extra=_POST_DOC,
    responses={
        400: {"description": "missing or invalid argument (text not UTF-8, media_url not http(s), Idempotency-Key)"},
        403: {"description": "invalid api_key"},
        404: {"description": "unknown jurisdiction_id"},
        413: {"description": "body too large"},
        415: {"description": "body not application/x-www-form-urlencoded (or multipart/form-data)"},
        429: {"description": "too many requests from this client"},
    },
)
async def create_request(request: Request) -> Response:
    wait = guard.check_rate(request, "post")
    if wait:
        return rate_limited(request, wait, as_json=True)
    settings = get_runtime().settings
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.max_body_bytes:
        return _errors(413, "request too large")
    messages = get_runtime().catalog.messages
    key = request.headers.get("idempotency-key") or None  # an empty header is no key
    if key is not None and not edge.idempotency_key_ok(key):
        text = messages.text("api", "invalid-idempotency-key", field="Idempotency-Key", limit=edge.IDEMPOTENCY_KEY_MAX)
        return _errors(400, text)
    try:
        strict = await forms.read_form(request, max_files=0, max_fields=64)
    except forms.UnsupportedForm:
        return _errors(415, "the body must be application/x-www-form-urlencoded")
    except Exception:
        return _errors(400, "the body must be application/x-www-form-urlencoded")
    if strict.not_utf8:
        return _errors(400, messages.text("api", "invalid-utf8", field=", ".join(n[:40] for n in strict.not_utf8)))
    form = strict.form
    args = {name: str(form.get(name) or "").strip() for name in POST_FIELDS}
    app = _app_of(args["api_key"]) if args["api_key"] else None
    if app is None:
        return _errors(403, "invalid api_key")
    if not _jurisdiction_ok(args["jurisdiction_id"] or None):
        return _errors(404, "unknown jurisdiction_id")
    if args["service_code"] not in {s["service_code"] for s in _services()}:
        return _errors(400, "service_code missing or unknown: GET services.json lists them")
    for name, limit in _LIMITS.items():
        if len(args[name]) > limit:
            return _errors(400, f"{name} longer than {limit} characters")
    if args["media_url"] and not edge.is_web_url(args["media_url"]):
        return _errors(400, messages.text("api", "invalid-url", field="media_url"))
    lat, long = _float(args["lat"], 90), _float(args["long"], 180)
    if (args["lat"] or args["long"]) and (lat is None or long is None):
        return _errors(400, "lat and long must both be decimal degrees")
    if not (args["address_string"] or args["address_id"] or lat is not None):
        return _errors(400, "a location is required: lat and long, address_string or address_id")
    confidential = str(form.get("attribute[confidential]") or "").strip().lower()
    if confidential not in ("", "true", "false"):
        return _errors(400, "attribute[confidential] must be true or false")
    name = " ".join(part for part in (args["last_name"], args["first_name"]) if part)  # Vietnamese order
    location = args["address_string"] or args["address_id"]
    if not location and lat is not None and long is not None:
        location = get_runtime().catalog.messages.text("telegram", "location-pin", latitude=lat, longitude=long)
    try:
        payload = WebPayload(
            via="open311",
            app=app,
            service_code=args["service_code"],
            content=args["description"] or None,
            incident_time=str(form.get("attribute[incident_time]") or "").strip()[:500] or None,
            location=location[:500] or None,
            latitude=lat,
            longitude=long,
            name=name[:500] or None,
            phone=args["phone"] or None,
            email=args["email"] or None,
            address=None,
            confidential=confidential == "true",
            media_url=args["media_url"] or None,
            device_id=args["device_id"][:200] or None,
            account_id=args["account_id"][:200] or None,
        )
    except ValidationError:
        return _errors(400, "invalid argument")
    source_id = f"open311:{app}:{key or uuid.uuid4().hex}"
    raw = RawSubmission(Channel.API, source_id[: edge.SOURCE_ID_MAX], payload.to_bytes(), CONTENT_TYPE, utcnow())
    try:
        receipt = await request.app.state.intake.submit(raw)
    except Exception:
        log.exception("open311: the journal could not store a request")
        return _errors(503, get_runtime().catalog.messages.text("api", "unavailable"))
    notice = get_runtime().catalog.messages.text("status", Status.RECEIVED.value)
    return JSONResponse(
        [{"service_request_id": receipt.tracking_code, "service_notice": notice, "account_id": None}],
        status_code=201,
    )


def _time(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(ZoneInfo(get_runtime().settings.timezone)).isoformat(timespec="seconds")


def request_view(stored: StoredSubmission, answer: dict[str, Any] | None) -> dict[str, Any]:
    """One service request as GeoReport v2 shows it; no submitter identity (GeoReport has none to show)."""
    runtime = get_runtime()
    messages = runtime.catalog.messages
    normalized = stored.normalized or {}
    payload: dict[str, Any] = {}
    if stored.content_type == CONTENT_TYPE:
        try:
            payload = WebPayload.model_validate_json(stored.raw).model_dump()
        except ValidationError:
            payload = {}
    names = {s["service_code"]: s["service_name"] for s in _services()}
    code = normalized.get("category") or payload.get("service_code")
    notes = [messages.text("status", stored.status.value)]
    notes += [f["message"] for f in stored.findings if f.get("severity") not in ("info", None)]
    if answer:
        notes.append(answer["answer"])
    place = normalized.get("location") or {}
    view = {
        "service_request_id": stored.tracking_code,
        "status": "closed" if stored.status in _CLOSED else "open",
        "status_notes": "\n".join(notes),
        "service_name": names.get(code or ""),
        "service_code": code,
        "description": normalized.get("content") or payload.get("content"),
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": _time(stored.received_at),
        "updated_datetime": _time(stored.updated_at),
        "expected_datetime": _time(normalized.get("due_at")),
        "address": place.get("text") or payload.get("location"),
        "address_id": None,
        "zipcode": None,
        "lat": payload.get("latitude"),
        "long": payload.get("longitude"),
        # Rows stored before media_url was checked may hold javascript: or data: URLs: never served back.
        "media_url": payload.get("media_url") if edge.is_web_url(payload.get("media_url") or "") else None,
    }
    return view


@router.get(
    "/requests/{service_request_id}.json",
    summary="GeoReport v2: one service request",
    responses={404: {"description": "unknown service request or jurisdiction_id"}, 429: {"description": "too many"}},
)
async def get_request(service_request_id: str, request: Request, jurisdiction_id: str | None = None) -> Response:
    wait = guard.check_rate(request, "lookup")
    if wait:
        return rate_limited(request, wait, as_json=True)
    if not _jurisdiction_ok(jurisdiction_id):
        return _errors(404, "unknown jurisdiction_id")
    code = tracking.parse(service_request_id)
    journal = get_runtime().journal
    stored = await run_in_threadpool(journal.get_by_code, code) if code else None
    if stored is None:
        return _errors(404, f"no service request {service_request_id[:40]}")
    answer = await run_in_threadpool(journal.answer_of, stored.id)
    return JSONResponse([request_view(stored, answer)])
