"""The GeoReport v2 endpoints (``/open311/v2``), each in ``.json`` and ``.xml``; errors in the same format."""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from channels import completion
from channels.completion import NotCompleted
from channels.depends import IntakeDep, RuntimeDep
from channels.intake import Refusal
from channels.open311 import query
from channels.open311.formats import (
    Attribute,
    AttributeValue,
    Created,
    Discovery,
    Endpoint,
    Format,
    Service,
    ServiceDefinition,
    ServiceRequest,
    answer,
    errors,
)
from channels.runtime import Runtime
from channels.web import forms, guard
from channels.web.payload import CONTENT_TYPE, WebPayload
from config.settings import Settings
from normalizer import context_from_settings
from pakn import edge, tracking
from pakn.db import utcnow
from pakn.ratelimit import Bucket
from pakn.records import CaseAnswer, Channel, RawSubmission, SentMessage, Status, StoredSubmission
from pakn.secret_keys import completion_token, completion_token_ok

log = logging.getLogger(__name__)

router = APIRouter(prefix="/open311", tags=["open311"])
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-07 00:00"  # Service Discovery's: when these endpoints last changed (move it on with them)

# GeoReport v2 arguments of POST Service Request (wiki.open311.org/GeoReport_v2): nothing else is read.
POST_FIELDS = (
    "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id", "email",
    "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url",
)  # fmt: skip
# The updates extension reads the same, less what names the request's kind and who sent it from where.
UPDATE_FIELDS = tuple(n for n in POST_FIELDS if n not in ("service_code", "device_id", "account_id", "address_id"))
ATTRIBUTES = (
    Attribute(
        variable=True, code="incident_time", datatype="string", required=False, order=1,
        datatype_description="Ví dụ: 14h30 ngày 12/9/2024, sáng nay; hoặc ISO 8601.",
        description="Thời gian xảy ra sự việc",
    ),
    Attribute(
        variable=True, code="confidential", datatype="singlevaluelist", required=False, order=2,
        datatype_description="true: giữ bí mật thông tin người phản ánh.",
        description="Giữ bí mật thông tin người phản ánh",
        values=(AttributeValue("true", "Có"), AttributeValue("false", "Không")),
    ),
)  # fmt: skip
COMPLETION_TOKEN_HEADER = "X-Completion-Token"
_CLOSED = {Status.REJECTED, Status.RESOLVED}
_LIMITS = {"description": 20_000, "email": 320, "phone": 64, "media_url": 2_000}
_FORMATS = "json, xml"


def _text(runtime: Runtime, key: str, **values: object) -> str:
    """An error's description, in Vietnamese (messages.vi.toml [open311]): an app may show it to the citizen."""
    return runtime.catalog.messages.text("open311", key, **values)


async def _format_of(request: Request) -> Format:
    return Format.XML if request.url.path.endswith(".xml") else Format.JSON


FormatDep = Annotated[Format, Depends(_format_of)]
View = TypeVar("View", bound=Callable[..., Awaitable[Response]])


def _both(method: str, path: str, **options: Any) -> Callable[[View], View]:
    """Serve a view at ``path.json`` and ``path.xml`` (the spec's ``.{format}``); it takes which as ``FormatDep``."""

    def register(endpoint: View) -> View:
        for fmt in Format:
            name = f"{endpoint.__name__}_{fmt.value}"
            router.add_api_route(f"{path}.{fmt.value}", endpoint, methods=[method], name=name, **options)
        return endpoint

    return register


def _rate_limited(runtime: Runtime, request: Request, fmt: Format, bucket: Bucket) -> Response | None:
    wait = guard.check_rate(request, bucket)
    if not wait:
        return None
    text = runtime.catalog.messages.text("api", "rate-limited", minutes=guard.retry_minutes(wait))
    return errors(fmt, 429, text, {"Retry-After": str(int(wait) + 1)})


def _services(settings: Settings) -> tuple[Service, ...]:
    context = context_from_settings(settings)
    return tuple(
        Service(
            service_code=c.code,
            service_name=c.name,
            description=f"Phản ánh, kiến nghị lĩnh vực {c.name}",
            metadata=True,
            type="realtime",
            keywords=", ".join(c.words[:8]),
            group="Phản ánh, kiến nghị",
        )
        for c in context.categories.categories
    )


def _jurisdiction_ok(settings: Settings, given: str | None) -> bool:
    """An empty jurisdiction_id is none (the spec's "optional"); another one than ours is refused (404)."""
    expected = settings.open311.server_jurisdiction_id
    return not given or not expected or given == expected


@_both("GET", "/discovery", summary="Open311 Service Discovery: where GeoReport v2 is, in which formats")
async def discovery(fmt: FormatDep, runtime: RuntimeDep) -> Response:
    base = runtime.settings.base_url.rstrip("/")
    formats = tuple(f.media_type for f in (Format.XML, Format.JSON))
    endpoint = Endpoint(SPECIFICATION, f"{base}/open311/v2", CHANGESET, "production", formats)
    about = Discovery(
        CHANGESET,
        _text(runtime, "discovery-contact", base_url=base),
        _text(runtime, "discovery-key-service", base_url=base),
        (endpoint,),
    )
    return answer(fmt, "discovery", about)


_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "unknown format, jurisdiction_id, service_code or service_request_id"}
}


@_both("GET", "/v2/services", responses=_NOT_FOUND, summary="GeoReport v2: service list (the fields of feedback)")
async def services(fmt: FormatDep, runtime: RuntimeDep, jurisdiction_id: str | None = None) -> Response:
    if not _jurisdiction_ok(runtime.settings, jurisdiction_id):
        return errors(fmt, 404, _text(runtime, "unknown-jurisdiction"))
    return answer(fmt, "services", _services(runtime.settings))


@_both("GET", "/v2/services/{service_code}", responses=_NOT_FOUND, summary="GeoReport v2: a service's attributes")
async def service_definition(
    service_code: str, fmt: FormatDep, runtime: RuntimeDep, jurisdiction_id: str | None = None
) -> Response:
    settings = runtime.settings
    if not _jurisdiction_ok(settings, jurisdiction_id):
        return errors(fmt, 404, _text(runtime, "unknown-jurisdiction"))
    if service_code not in {s.service_code for s in _services(settings)}:
        return errors(fmt, 404, _text(runtime, "unknown-service", service_code=service_code[:64]))
    return answer(fmt, "service_definition", ServiceDefinition(service_code, ATTRIBUTES))


def _form_doc(required: list[str], names: tuple[str, ...]) -> dict[str, Any]:
    properties: dict[str, Any] = {name: {"type": "string"} for name in names}
    properties |= {
        "lat": {"type": "number"},
        "long": {"type": "number"},
        "attribute[incident_time]": {"type": "string"},
        "attribute[confidential]": {"type": "string", "enum": ["true", "false"]},
    }
    schema = {"type": "object", "required": required, "properties": properties}
    return {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": schema}}}}


def _app_of(settings: Settings, api_key: str) -> str | None:
    for app, secret in settings.open311.api_keys.items():
        if hmac.compare_digest(secret.get_secret_value().encode(), api_key.encode()):
            return app
    return None


def _float(text: str, bound: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if -bound <= value <= bound else None


@dataclass(frozen=True, slots=True)
class Sent:
    """A posted form, checked: the app it came from and the payload to journal."""

    app: str
    payload: WebPayload
    completion_token: str | None  # the updates extension's proof, when sent in the form


async def _read(
    request: Request, runtime: Runtime, fmt: Format, names: tuple[str, ...], needs_place: bool
) -> Sent | Response:
    """Read and check a GeoReport form (POST requests, and the updates extension): one error or what to journal."""
    settings = runtime.settings
    messages = runtime.catalog.messages
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.max_body_bytes:
        return errors(fmt, 413, _text(runtime, "too-large"))
    try:
        strict = await forms.read_form(request, max_files=0, max_fields=64)
    except forms.UnsupportedForm:
        return errors(fmt, 415, _text(runtime, "not-a-form"))
    except Exception:
        return errors(fmt, 400, _text(runtime, "not-a-form"))
    if strict.not_utf8:
        return errors(fmt, 400, messages.text("api", "invalid-utf8", field=", ".join(n[:40] for n in strict.not_utf8)))
    form: FormData = strict.form
    args = {name: str(form.get(name) or "").strip() for name in POST_FIELDS}
    args |= {name: "" for name in POST_FIELDS if name not in names}
    app = _app_of(settings, args["api_key"]) if args["api_key"] else None
    if app is None:
        return errors(fmt, 403, _text(runtime, "invalid-api-key"))
    if not _jurisdiction_ok(settings, args["jurisdiction_id"] or None):
        return errors(fmt, 404, _text(runtime, "unknown-jurisdiction"))
    if "service_code" in names and not args["service_code"]:
        return errors(fmt, 400, _text(runtime, "service-required"))
    if "service_code" in names and args["service_code"] not in {s.service_code for s in _services(settings)}:
        return errors(fmt, 404, _text(runtime, "unknown-service", service_code=args["service_code"][:64]))
    for name, limit in _LIMITS.items():
        if len(args[name]) > limit:
            return errors(fmt, 400, _text(runtime, "too-long", field=name, limit=limit))
    if args["media_url"] and not edge.is_web_url(args["media_url"]):
        return errors(fmt, 400, messages.text("api", "invalid-url", field="media_url"))
    lat, long = _float(args["lat"], 90), _float(args["long"], 180)
    if (args["lat"] or args["long"]) and (lat is None or long is None):
        return errors(fmt, 400, _text(runtime, "bad-coordinates"))
    if needs_place and not (args["address_string"] or args["address_id"] or lat is not None):
        return errors(fmt, 400, _text(runtime, "location-required"))
    confidential = str(form.get("attribute[confidential]") or "").strip().lower()
    if confidential not in ("", "true", "false"):
        return errors(fmt, 400, _text(runtime, "bad-confidential"))
    name = " ".join(part for part in (args["last_name"], args["first_name"]) if part)  # Vietnamese order
    location = args["address_string"] or args["address_id"]
    if not location and lat is not None and long is not None:
        location = messages.text("telegram", "location-pin", latitude=lat, longitude=long)
    try:
        payload = WebPayload(
            via="open311",
            app=app,
            service_code=args["service_code"] or None,
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
        return errors(fmt, 400, _text(runtime, "invalid-argument"))
    token = form.get("completion_token")
    return Sent(app, payload, token.strip() if isinstance(token, str) else None)


def _idempotency_key(request: Request, runtime: Runtime, fmt: Format) -> str | Response | None:
    """The app's Idempotency-Key header (a retry returns the first answer); a malformed one is refused."""
    key = request.headers.get("idempotency-key") or None  # an empty header is no key
    if key is not None and not edge.idempotency_key_ok(key):
        text = runtime.catalog.messages.text(
            "api", "invalid-idempotency-key", field="Idempotency-Key", limit=edge.IDEMPOTENCY_KEY_MAX
        )
        return errors(fmt, 400, text)
    return key


@_both(
    "POST",
    "/v2/requests",
    status_code=201,
    summary="GeoReport v2: create a service request (journaled; service_request_id is the tracking code)",
    openapi_extra=_form_doc(["api_key", "service_code"], POST_FIELDS),
    responses={
        201: {"description": "created; the X-Completion-Token header is the proof the updates extension asks for"},
        400: {"description": "missing or invalid argument (text not UTF-8, media_url not http(s), Idempotency-Key)"},
        403: {"description": "invalid api_key"},
        404: {"description": "unknown service_code or jurisdiction_id"},
        413: {"description": "body too large"},
        415: {"description": "body not application/x-www-form-urlencoded (or multipart/form-data)"},
        429: {"description": "too many requests from this client"},
    },
)
async def create_request(fmt: FormatDep, request: Request, intake: IntakeDep, runtime: RuntimeDep) -> Response:
    limited = _rate_limited(runtime, request, fmt, "post")
    if limited is not None:
        return limited
    key = _idempotency_key(request, runtime, fmt)
    if isinstance(key, Response):
        return key
    sent = await _read(request, runtime, fmt, POST_FIELDS, needs_place=True)
    if isinstance(sent, Response):
        return sent
    source_id = f"open311:{sent.app}:{key or uuid.uuid4().hex}"
    receipt = await intake.take(Channel.API, source_id[: edge.SOURCE_ID_MAX], sent.payload.to_bytes(), CONTENT_TYPE)
    messages = runtime.catalog.messages
    if isinstance(receipt, Refusal):
        log.error("open311: the journal could not store a request (%s)", receipt.detail)
        return errors(fmt, 503, messages.text("api", "unavailable"))
    created = Created(receipt.tracking_code, messages.text("status", Status.RECEIVED.value), None)
    token = completion_token(runtime.settings, receipt.tracking_code)
    return answer(fmt, "service_requests", (created,), 201, {COMPLETION_TOKEN_HEADER: token})


def _time(settings: Settings, value: datetime | str | None) -> str | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(ZoneInfo(settings.timezone)).isoformat(timespec="seconds")


# What the gateway told the citizen about a request left waiting: GeoReport has no push, so an app reads
# the reminder (and then the closing) in the request's status_notes, the newest one, as the citizen would.
_TOLD_IN_NOTES = ("reminder", "closed")


def request_view(
    runtime: Runtime,
    stored: StoredSubmission,
    answer: CaseAnswer | None,
    names: Mapping[str, str],
    told: Sequence[SentMessage] = (),
) -> ServiceRequest:
    """One service request as GeoReport v2 shows it (``names``: service names by code; ``told``: the messages
    the gateway stored for its submitter); no submitter identity (GeoReport has none to show)."""
    messages = runtime.catalog.messages
    normalized = stored.normalized or {}
    payload: dict[str, Any] = {}
    if stored.content_type == CONTENT_TYPE:
        try:
            payload = WebPayload.model_validate_json(stored.raw).model_dump()
        except ValidationError:
            payload = {}
    code = normalized.get("category") or payload.get("service_code")
    notes = [messages.text("status", stored.status.value)]
    notes += [f.message for f in stored.reasons]
    waiting = [m.message for m in told if m.kind in _TOLD_IN_NOTES]
    if waiting:
        notes.append(waiting[-1])
    if answer:
        notes.append(answer.answer)
    place = normalized.get("location") or {}
    return ServiceRequest(
        service_request_id=stored.tracking_code,
        status="closed" if stored.status in _CLOSED else "open",
        status_notes="\n".join(notes),
        service_name=names.get(code or ""),
        service_code=code,
        description=normalized.get("content") or payload.get("content"),
        agency_responsible=None,
        service_notice=None,
        requested_datetime=_time(runtime.settings, stored.received_at),
        updated_datetime=_time(runtime.settings, stored.updated_at),
        expected_datetime=_time(runtime.settings, normalized.get("due_at")),
        address=place.get("text") or payload.get("location"),
        address_id=None,
        zipcode=None,
        lat=payload.get("latitude"),
        long=payload.get("longitude"),
        # Rows stored before media_url was checked may hold javascript: or data: URLs: never served back.
        media_url=payload.get("media_url") if edge.is_web_url(payload.get("media_url") or "") else None,
    )


def _by_codes(runtime: Runtime, codes: list[str]) -> list[StoredSubmission]:
    """Runs in the thread pool: the requests of these codes that exist, in the order asked."""
    found = (runtime.journal.reading.get_by_code(code) for code in codes)
    return [stored for stored in found if stored is not None]


def _views(runtime: Runtime, found: list[StoredSubmission]) -> list[ServiceRequest]:
    """Runs in the thread pool: each request with the case store's answer, if any."""
    reading = runtime.journal.reading
    names = {s.service_code: s.service_name for s in _services(runtime.settings)}
    return [
        request_view(runtime, stored, reading.answer_of(stored.id), names, reading.notifications_of(stored.id))
        for stored in found
    ]


@_both(
    "GET",
    "/v2/requests",
    summary="GeoReport v2: service requests (by service_request_id; else an app's own, with its api_key)",
    responses={
        **_NOT_FOUND,
        400: {"description": "invalid start_date, end_date (w3c, with time zone; 90 days at most), status or list"},
        403: {"description": "no valid api_key for a search without service_request_id"},
        429: {"description": "too many lookups from this client"},
    },
)
async def search_requests(fmt: FormatDep, request: Request, runtime: RuntimeDep) -> Response:
    """Requests by ``service_request_id`` (comma list: anyone holding the codes, as for one request), or else
    the requests the app of ``api_key`` sent, filtered as the spec says: the citizens' text is not public."""
    limited = _rate_limited(runtime, request, fmt, "lookup")
    if limited is not None:
        return limited
    settings = runtime.settings
    params = request.query_params
    if not _jurisdiction_ok(settings, params.get("jurisdiction_id") or None):
        return errors(fmt, 404, _text(runtime, "unknown-jurisdiction"))
    # A list argument may be repeated as well as comma-separated (the spec allows both).
    joined = {name: ",".join(params.getlist(name)) for name in params}
    asked = query.parse(joined, utcnow(), ZoneInfo(settings.timezone))
    if isinstance(asked, query.Problem):
        return errors(fmt, 400, _text(runtime, asked.key, **asked.values))
    reading = runtime.journal.reading
    if isinstance(asked, query.ByCode):
        codes = [c for c in (tracking.parse(given) for given in asked.codes) if c]
        found = await run_in_threadpool(_by_codes, runtime, codes)
    else:
        app = _app_of(settings, params.get("api_key") or "") if params.get("api_key") else None
        if app is None:
            return errors(fmt, 403, _text(runtime, "list-needs-api-key"))
        found = await run_in_threadpool(
            reading.received_from,
            f"open311:{app}:",
            asked.since,
            asked.until,
            asked.statuses,
            asked.service_codes,
            query.MAX_RESULTS,
        )
    views = await run_in_threadpool(_views, runtime, found)
    if isinstance(asked, query.Search) and asked.service_codes:
        views = [v for v in views if v.service_code in asked.service_codes]  # those not yet categorised
    return answer(fmt, "service_requests", tuple(views))


@_both(
    "GET",
    "/v2/requests/{service_request_id}",
    summary="GeoReport v2: one service request",
    responses={**_NOT_FOUND, 429: {"description": "too many lookups from this client"}},
)
async def get_request(
    service_request_id: str, fmt: FormatDep, request: Request, runtime: RuntimeDep, jurisdiction_id: str | None = None
) -> Response:
    limited = _rate_limited(runtime, request, fmt, "lookup")
    if limited is not None:
        return limited
    if not _jurisdiction_ok(runtime.settings, jurisdiction_id):
        return errors(fmt, 404, _text(runtime, "unknown-jurisdiction"))
    code = tracking.parse(service_request_id)
    stored = await run_in_threadpool(runtime.journal.reading.get_by_code, code) if code else None
    if stored is None:
        return errors(fmt, 404, _text(runtime, "unknown-request", service_request_id=service_request_id[:40]))
    return answer(fmt, "service_requests", tuple(await run_in_threadpool(_views, runtime, [stored])))


@_both(
    "POST",
    "/v2/requests/{service_request_id}/updates",
    status_code=202,
    summary="Extension: add what was asked for to a request that needs information (the same request)",
    openapi_extra=_form_doc(["api_key", "completion_token"], (*UPDATE_FIELDS, "completion_token")),
    responses={
        202: {"description": "added; the request is checked again (same service_request_id)"},
        400: {"description": "missing or invalid argument, or nothing to add"},
        403: {"description": "invalid api_key, or missing or wrong completion_token (POST's X-Completion-Token)"},
        404: {"description": "unknown format, jurisdiction_id or service_request_id"},
        409: {"description": "the request does not wait for information, or the update would change the name"},
        429: {"description": "too many completions from this client"},
    },
)
async def update_request(service_request_id: str, fmt: FormatDep, request: Request, runtime: RuntimeDep) -> Response:
    """GeoReport v2 has no update: this is ours (docs/open311.md).  Proof is the POST's completion token, as for
    the JSON API's completion, and it goes the same way (``channels.completion``)."""
    limited = _rate_limited(runtime, request, fmt, "completion")
    if limited is not None:
        return limited
    key = _idempotency_key(request, runtime, fmt)
    if isinstance(key, Response):
        return key
    sent = await _read(request, runtime, fmt, UPDATE_FIELDS, needs_place=False)
    if isinstance(sent, Response):
        return sent
    messages = runtime.catalog.messages
    code = tracking.parse(service_request_id)
    presented = request.headers.get(COMPLETION_TOKEN_HEADER) or sent.completion_token
    if code is None or not completion_token_ok(runtime.settings, code, presented):
        text = messages.text("api", "completion-token", tracking_code=code or service_request_id[:40])
        return errors(fmt, 403, text)
    stored = await run_in_threadpool(runtime.journal.reading.get_by_code, code)
    if stored is None:
        return errors(fmt, 404, _text(runtime, "unknown-request", service_request_id=service_request_id[:40]))
    fields = sent.payload.to_fields()
    if fields == type(fields)() and not sent.payload.media_url:
        return errors(fmt, 400, _text(runtime, "nothing-to-add"))
    source_id = f"open311:{sent.app}:update:{key or uuid.uuid4().hex}"
    raw = RawSubmission(Channel.API, source_id[: edge.SOURCE_ID_MAX], sent.payload.to_bytes(), CONTENT_TYPE, utcnow())
    done = await completion.complete(runtime, stored, raw, fields)
    if done is NotCompleted.IDENTITY_KEPT:
        return errors(fmt, 409, messages.text("api", "identity-kept", fields="first_name, last_name"))
    if done is NotCompleted.NOT_WAITING:
        return errors(fmt, 409, messages.text("api", "not-waiting", tracking_code=stored.tracking_code))
    notice = messages.text("status", Status.RECEIVED.value)
    if done.contact_change:
        notice += "\n" + messages.text("api", "contact-change-hidden")
    created = Created(stored.tracking_code, notice, None)
    return answer(fmt, "service_requests", (created,), 202)


@router.api_route("/v2/{unknown:path}", methods=["GET", "POST"], include_in_schema=False)
async def unknown(fmt: FormatDep, runtime: RuntimeDep) -> Response:
    """Any other address is GeoReport's 404 too (a format other than json or xml included)."""
    return errors(fmt, 404, _text(runtime, "unknown-resource", formats=_FORMATS))
