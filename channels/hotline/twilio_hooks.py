"""Twilio webhooks: voice (TwiML, status and recording callbacks) and incoming SMS.

Every request must carry a valid ``X-Twilio-Signature`` (the ``twilio`` library's RequestValidator).
The URL it is checked against is ``HOTLINE_PUBLIC_URL`` + path when set, else the URL the caller used,
rebuilt from ``X-Forwarded-Proto``/``X-Forwarded-Host``/``X-Forwarded-Port`` behind a reverse proxy.
Trusting those headers costs nothing in security: without the auth token nobody can sign any URL.
The form body is read byte for byte with blank values kept, since the signature covers all of them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Dial, VoiceResponse

from channels.depends import IntakeDep, RuntimeDep
from channels.hotline import sms_replies, store
from channels.hotline.calls import phone_key
from channels.hotline.payloads import SMS_CONTENT_TYPE, form_params
from channels.intake import Refusal
from channels.runtime import Runtime
from pakn.db import utcnow
from pakn.records import Channel

log = logging.getLogger(__name__)

router = APIRouter(prefix="/hotline/twilio", tags=["hotline"], include_in_schema=False)

_DEFAULT_PORTS = {"http": "80", "https": "443"}


class FormParams:
    """Twilio's parameters with every value of repeated keys (what RequestValidator signs)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._values[key].append(value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def getlist(self, key: str) -> list[str]:
        return self._values.get(key, [])

    def get(self, key: str, default: str = "") -> str:
        values = self._values.get(key)
        return values[0] if values else default


def _first(value: str | None) -> str | None:
    return value.split(",")[0].strip() if value else None


def signed_url(request: Request, public: str | None) -> str:
    """The URL Twilio requested, as Twilio saw it (that is what it signed)."""
    path = request.url.path
    query = request.scope.get("query_string", b"").decode("latin-1")
    tail = path + (f"?{query}" if query else "")
    if public:
        return public.rstrip("/") + tail
    headers = request.headers
    proto = _first(headers.get("x-forwarded-proto")) or request.url.scheme
    host = _first(headers.get("x-forwarded-host")) or headers.get("host") or request.url.netloc
    port = _first(headers.get("x-forwarded-port"))
    if port and ":" not in host.rsplit("]", 1)[-1] and port != _DEFAULT_PORTS.get(proto):
        host = f"{host}:{port}"
    return f"{proto}://{host}{tail}"


async def twilio_params(request: Request, runtime: RuntimeDep) -> FormParams:
    """The request's form parameters once its signature checks out; 403 (and a log line) otherwise."""
    settings = runtime.settings
    body = await request.body()
    url = signed_url(request, settings.hotline.public_url)
    signature = request.headers.get("x-twilio-signature")
    token = settings.hotline.twilio_auth_token
    if token is None:
        log.warning("twilio webhook %s refused: HOTLINE_TWILIO_AUTH_TOKEN is not set", request.url.path)
        raise HTTPException(403, "Twilio webhooks are not configured")
    if not signature:
        log.warning("twilio webhook %s refused: no X-Twilio-Signature (checked URL %s)", request.url.path, url)
        raise HTTPException(403, "missing signature")
    try:
        params = FormParams(form_params(body))
    except UnicodeDecodeError:
        log.warning("twilio webhook %s refused: body is not UTF-8", request.url.path)
        raise HTTPException(403, "unreadable body") from None
    algorithm = get_signature_algorithm(request.headers.get("x-twilio-webhooks-signature-settings"))
    valid = RequestValidator(token.get_secret_value()).validate(url, params, signature, algorithm)
    if not valid:
        log.warning("twilio webhook %s refused: wrong signature for URL %s", request.url.path, url)
        raise HTTPException(403, "invalid signature")
    return params


Signed = Annotated[FormParams, Depends(twilio_params)]


def _twiml(document: VoiceResponse | MessagingResponse) -> Response:
    return Response(str(document), media_type="application/xml")


def _say(runtime: Runtime, response: VoiceResponse, key: str) -> None:
    response.say(runtime.catalog.messages.text("hotline", key), language="vi-VN")


def _record(runtime: Runtime, response: VoiceResponse) -> None:
    """Ask for a message and record it; the recording comes back on the recording callback."""
    _say(runtime, response, "leave-message")
    response.record(
        max_length=runtime.settings.hotline.max_recording_seconds,
        play_beep=True,
        action="voice/recorded",
        method="POST",
        recording_status_callback="voice/recording",
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )


async def _update(runtime: Runtime, call_sid: str, **changes: object) -> int:
    engine = runtime.journal.engine
    return await run_in_threadpool(lambda: store.upsert_call(engine, call_sid, "twilio", **changes))


def _call_sid(params: FormParams) -> str:
    sid = params.get("CallSid")
    if not sid:
        raise HTTPException(400, "CallSid missing")
    return sid


@router.post("/voice")
async def voice(params: Signed, runtime: RuntimeDep) -> Response:
    """A call comes in: log it, greet in Vietnamese, ring an operator or take a message."""
    sid = _call_sid(params)
    await _update(
        runtime,
        sid,
        from_number=phone_key(params.get("From")),
        to_number=params.get("To") or None,
        status=params.get("CallStatus") or "ringing",
    )
    log.info("hotline call %s: incoming", sid)
    settings = runtime.settings
    response = VoiceResponse()
    _say(runtime, response, "greeting")
    if settings.hotline.operator_dial:
        dial = Dial(timeout=settings.hotline.dial_timeout_seconds, action="voice/dial", method="POST")
        target = settings.hotline.operator_dial
        if target.startswith("sip:"):
            dial.sip(target)
        else:
            dial.number(target)
        response.append(dial)
    else:
        _record(runtime, response)
    return _twiml(response)


@router.post("/voice/dial")
async def dial_result(params: Signed, runtime: RuntimeDep) -> Response:
    """The operator's phone stopped ringing: answered (done) or not (take a message)."""
    sid = _call_sid(params)
    answered = params.get("DialCallStatus") in ("completed", "answered")
    await _update(runtime, sid, answered=answered or None)
    response = VoiceResponse()
    if answered:
        response.hangup()
    else:
        log.info("hotline call %s: no operator answered (%s)", sid, params.get("DialCallStatus"))
        _record(runtime, response)
    return _twiml(response)


@router.post("/voice/recorded")
async def recorded(params: Signed, runtime: RuntimeDep) -> Response:
    """The caller finished the message: thank them and hang up (the recording callback follows)."""
    sid = _call_sid(params)
    if params.get("RecordingUrl"):
        recording = {"recording_url": params.get("RecordingUrl"), "recording_sid": params.get("RecordingSid") or None}
        await _update(runtime, sid, **recording)
    response = VoiceResponse()
    _say(runtime, response, "thanks")
    response.hangup()
    return _twiml(response)


@router.post("/voice/status")
async def status_callback(params: Signed, runtime: RuntimeDep) -> Response:
    """Call progress; callbacks may come late or twice: the call's status only moves forward."""
    sid = _call_sid(params)
    status = params.get("CallStatus") or "ringing"
    duration = params.get("CallDuration")
    terminal = status in store.TERMINAL
    await _update(
        runtime,
        sid,
        from_number=phone_key(params.get("From")),
        to_number=params.get("To") or None,
        status=status,
        duration_seconds=int(duration) if duration.isdigit() else None,
        ended_at=utcnow() if terminal else None,
    )
    log.info("hotline call %s: %s", sid, status)
    return Response(status_code=204)


@router.post("/voice/recording")
async def recording_callback(params: Signed, runtime: RuntimeDep) -> Response:
    """The recording is ready: attach it to the call (a call no operator took becomes a missed call)."""
    sid = _call_sid(params)
    if params.get("RecordingStatus", "completed") != "completed":
        return Response(status_code=204)
    duration = params.get("RecordingDuration")
    await _update(
        runtime,
        sid,
        recording_sid=params.get("RecordingSid") or None,
        recording_url=params.get("RecordingUrl") or None,
        recording_seconds=int(duration) if duration.isdigit() else None,
    )
    log.info("hotline call %s: recording %s attached", sid, params.get("RecordingSid"))
    return Response(status_code=204)


@router.post("/sms")
async def sms(request: Request, params: Signed, intake: IntakeDep, runtime: RuntimeDep) -> Response:
    """An SMS is a submission (identity: MessageSid); the answer SMS follows the normalizer's verdict.

    Unless it follows up on one (``sms_replies``): a status request is answered in the TwiML at once; an
    answer to our question completes that phone's waiting submission, whose new verdict then answers it.
    """
    sid = params.get("MessageSid") or params.get("SmsSid")
    if not sid:
        raise HTTPException(400, "MessageSid missing")
    body = await request.body()
    answer = await run_in_threadpool(sms_replies.answer_now, runtime, sid, body)
    if answer is not None:
        response = MessagingResponse()
        if answer:
            response.message(answer)
        log.info("sms %s follows up on a submission%s", sid, " (status answered)" if answer else "")
        return _twiml(response)
    receipt = await intake.take(Channel.SMS, sid, body, SMS_CONTENT_TYPE)
    if isinstance(receipt, Refusal):
        log.error("sms %s could not be journaled (%s)", sid, receipt.detail)
        raise HTTPException(503, "try again") from None  # Twilio retries; nothing was acknowledged
    log.info("sms %s journaled as %s%s", sid, receipt.tracking_code, " (repeat)" if receipt.duplicate else "")
    return _twiml(MessagingResponse())
