"""What the hotline channel journals, and how the normalizer reads it back (``channels.PARSERS``).

Two raw formats, both kept byte for byte:

* a call logged by an operator (console or operator API): a small JSON document, content type
  ``CALL_CONTENT_TYPE``;
* an SMS as Twilio posted it to the webhook (``application/x-www-form-urlencoded``, UTF-8), content
  type ``SMS_CONTENT_TYPE`` so that it never collides with another channel's form posts.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from pakn.records import SubmissionFields

CALL_CONTENT_TYPE = "application/vnd.pakn.hotline-call+json"
SMS_CONTENT_TYPE = "application/vnd.pakn.twilio-sms+x-www-form-urlencoded"

_LONG = 20_000
_SHORT = 500


class Outcome(StrEnum):
    """How a call ended for the operator; only ``case`` becomes a submission."""

    CASE = "case"
    INFORMATION = "information"
    TRANSFERRED = "transferred"
    PRANK = "prank"


class CallLog(BaseModel):
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
    outcome: Outcome = Outcome.CASE
    operator: StrictStr | None = Field(None, max_length=64)
    call_key: StrictStr | None = Field(None, max_length=255)
    logged_at: datetime | None = None

    def fields(self) -> SubmissionFields:
        return SubmissionFields(
            content=self.content,
            incident_time=self.incident_time,
            location=self.location,
            name=self.name,
            phone=self.phone,
            address=self.address,
            confidential=self.confidential,
            category=self.category,
        )


def call_fields(payload: bytes, _content_type: str) -> SubmissionFields:
    return CallLog.model_validate_json(payload).fields()


def form_params(body: bytes) -> list[tuple[str, str]]:
    """Twilio's form body as pairs; blank values are kept (the signature covers them too)."""
    return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)


def sms_fields(payload: bytes, _content_type: str) -> SubmissionFields:
    params = dict(form_params(payload))
    return SubmissionFields(content=params.get("Body") or None, phone=params.get("From") or None)
