"""What the hotline channel journals, and how the normalizer reads it back (``channels.readers``).

Two raw formats, both kept byte for byte:

* a call logged by an operator (console or operator API): a small JSON document, content type
  ``CALL_CONTENT_TYPE``;
* an SMS as Twilio posted it to the webhook (``application/x-www-form-urlencoded``, UTF-8), content
  type ``SMS_CONTENT_TYPE`` so that it never collides with another channel's form posts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import parse_qsl

from pydantic import ConfigDict, Field, StrictBool, StrictStr

from channels.answers import answer_fields
from channels.fields import FieldsModel
from config.settings import get_settings
from pakn.records import SubmissionFields

CALL_CONTENT_TYPE = "application/vnd.pakn.hotline-call+json"
SMS_CONTENT_TYPE = "application/vnd.pakn.twilio-sms+x-www-form-urlencoded"
# An SMS answering our needs-information SMS, journaled as an amendment: read for what it adds.
SMS_COMPLETION_CONTENT_TYPE = SMS_CONTENT_TYPE + "; x-pakn=completion"

_LONG = 20_000
_SHORT = 500


class CallOutcome(StrEnum):
    """How a call ended for the operator; only ``case`` becomes a submission."""

    CASE = "case"
    INFORMATION = "information"
    TRANSFERRED = "transferred"
    PRANK = "prank"


class CallLog(FieldsModel):
    """One call as an operator logged it; the journaled JSON of a ``case`` call."""

    model_config = ConfigDict(extra="ignore")

    phone: StrictStr | None = Field(None, max_length=64, description="The caller's number.")
    name: StrictStr | None = Field(None, max_length=_SHORT)
    content: StrictStr | None = Field(None, max_length=_LONG)
    location: StrictStr | None = Field(None, max_length=_SHORT)
    incident_time: StrictStr | None = Field(None, max_length=_SHORT)
    address: StrictStr | None = Field(None, max_length=_SHORT)
    confidential: StrictBool = False
    category: StrictStr | None = Field(None, max_length=64, description="Field chosen by the operator.")
    outcome: CallOutcome = CallOutcome.CASE
    operator: StrictStr | None = Field(None, max_length=64)
    call_key: StrictStr | None = Field(None, max_length=255)
    logged_at: datetime | None = None


def call_fields(payload: bytes, _content_type: str) -> SubmissionFields:
    return CallLog.model_validate_json(payload).to_fields()


def form_params(body: bytes) -> list[tuple[str, str]]:
    """Twilio's form body as pairs; blank values are kept (the signature covers them too)."""
    return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)


def sms_fields(payload: bytes, content_type: str) -> SubmissionFields:
    params = dict(form_params(payload))
    phone = params.get("From") or None
    if "x-pakn=completion" in content_type.replace(" ", "").lower():
        # The answer's own time is not in Twilio's form: the time of reading stands in for "sáng nay".
        answer = answer_fields(params.get("Body") or "", datetime.now(UTC), get_settings().province_code)
        return replace(answer, phone=phone)
    return SubmissionFields(content=params.get("Body") or None, phone=phone)
