"""An incoming SMS that is not a new submission: a status request, the answer to the case store's question
(``channels.loop``: any SMS from the number the question was texted to, while it waits: an SMS
submission's sender, or a hotline caller texted on their mobile), a rating, or the answer to our question
for missing information.

Read by ``channels.followup`` as every channel's later messages are; the sender is the SMS's ``From``
number, so only that phone's submissions waiting for information may be completed by it: the one whose
code it quotes, else the latest.
"""

from __future__ import annotations

from channels import followup
from channels.followup import Completes, Lookup
from channels.hotline.payloads import SMS_COMPLETION_CONTENT_TYPE, form_params, sms_fields
from channels.loop import rating_thanks, take_answer, take_rating, typed_rating
from channels.runtime import Runtime
from channels.status import status_text
from normalizer.fields.phones import normalize_phone
from pakn.db import utcnow
from pakn.records import Channel, OpenQuestion, RatingRequest, RawSubmission, Status, StoredSubmission

# Where an SMS answer's texts come from: the hotline's, then the chat's (lookup-found, lookup-reasons, ...).
SECTIONS = ("hotline", "telegram")


def _sender(raw: bytes) -> str:
    return dict(form_params(raw)).get("From") or ""


# The channels whose submissions' messages are texted: an SMS's sender, a hotline caller on a mobile.
TEXTED = (Channel.SMS, Channel.HOTLINE)


def _texted_here(runtime: Runtime, stored: StoredSubmission, phone: str) -> bool:
    """Whether ``phone`` is the number this submission's messages were texted to: an SMS submission's own
    sender, or a hotline caller (the contact matched already) when callers are texted (HOTLINE_SMS_TO_CALLERS)."""
    if stored.channel is Channel.SMS:
        return _sender(stored.raw) == phone
    return stored.channel is Channel.HOTLINE and runtime.settings.hotline.sms_to_callers


def waiting_of_phone(runtime: Runtime, phone: str, code: str | None) -> Completes | None:
    """The submission this phone may complete: the quoted one if it waits, else the phone's latest waiting."""
    reading = runtime.journal.reading
    if code is not None:
        stored = reading.get_by_code(code)
        mine = stored is not None and stored.channel is Channel.SMS and _sender(stored.raw) == phone
        if stored is not None and mine and stored.status is Status.NEEDS_INFORMATION:
            return Completes(stored.id, stored.tracking_code)
        return None
    number = normalize_phone(phone)
    if not number.valid or not number.e164:
        return None
    for waiting in reading.waiting_of_contact(Channel.SMS, number.e164):
        if _sender(waiting.raw) == phone:
            return Completes(waiting.submission_id, waiting.tracking_code)
    return None


def question_of_phone(runtime: Runtime, phone: str) -> OpenQuestion | None:
    """The open question of the case store texted to this number (an SMS submission of it): an SMS from it
    is the answer (channels.loop)."""
    number = normalize_phone(phone)
    if not number.valid or not number.e164:
        return None
    question = runtime.journal.loop.open_question_of_contact(TEXTED, number.e164)
    if question is None or question.relayed_at is None:
        return None
    stored = runtime.journal.reading.get(question.submission_id)
    return question if stored is not None and _texted_here(runtime, stored, phone) else None


def rating_request_of_phone(runtime: Runtime, phone: str) -> RatingRequest | None:
    """The open request to rate texted to this number: an SMS from it starting with 1-4 is the rating."""
    number = normalize_phone(phone)
    if not number.valid or not number.e164:
        return None
    request = runtime.journal.ratings.open_request_of_contact(TEXTED, number.e164)
    if request is None or request.relayed_at is None:
        return None
    stored = runtime.journal.reading.get(request.submission_id)
    return request if stored is not None and _texted_here(runtime, stored, phone) else None


def answer_now(runtime: Runtime, source: str, body: bytes) -> str | None:
    """Handle an SMS that follows up on a submission; what to answer at once (a status), "" when the
    normalizer's verdict answers it later, None when the SMS is a new submission."""
    reading = runtime.journal.reading
    if reading.get_by_source(Channel.SMS, source) is not None:
        return None  # Twilio delivered this submission again: the intake answers with its first receipt
    if reading.amended_by(source) is not None:
        return ""  # Twilio delivered this completion again: taken already
    params = dict(form_params(body))
    phone = params.get("From") or ""
    found = followup.followup_of([params.get("Body") or ""], lambda code: waiting_of_phone(runtime, phone, code))
    messages = runtime.catalog.messages
    if isinstance(found, Lookup):
        status = status_text(reading.get_by_code, messages, SECTIONS, found.code)
        return messages.text("hotline", "sms-prefix") + status
    if runtime.journal.loop.answered_by(source) is not None:
        return ""  # Twilio delivered this answer again: taken already
    question = question_of_phone(runtime, phone)
    if question is not None and take_answer(
        runtime, question, Channel.SMS, source, params.get("Body") or "", acknowledge=False
    ):
        thanks = messages.text("hotline", "sms-question-answered", tracking_code=question.tracking_code)
        return messages.text("hotline", "sms-prefix") + thanks
    if runtime.journal.ratings.rated_by(source) is not None:
        return ""  # Twilio delivered this rating again: taken already
    typed = typed_rating(params.get("Body") or "")
    request = rating_request_of_phone(runtime, phone) if typed is not None else None
    if typed is not None and request is not None:
        rating, comment = typed
        if take_rating(runtime, request, rating, comment, Channel.SMS, source, acknowledge=False):
            return messages.text("hotline", "sms-prefix") + rating_thanks(runtime, request.tracking_code, rating)
    if isinstance(found, Completes):
        raw = RawSubmission(Channel.SMS, source, body, SMS_COMPLETION_CONTENT_TYPE, utcnow())
        if followup.complete(runtime, found, raw, sms_fields(body, SMS_COMPLETION_CONTENT_TYPE)):
            return ""
    return None
