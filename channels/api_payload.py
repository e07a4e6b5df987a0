"""What the JSON API journals, and how the worker reads it back (``channels.readers``).

Apart from the router (``channels.api``) so that reading a journaled submission needs no web code.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field, StrictBool, StrictStr

from channels.fields import FieldsModel
from pakn import edge
from pakn.records import SubmissionFields

CONTENT_TYPE = "application/json"

_LONG = 20_000
_SHORT = 500


class SubmissionIn(FieldsModel):
    """A submission as a citizen or an app sends it. Every field may be missing; types are strict."""

    model_config = ConfigDict(extra="ignore")

    content: StrictStr | None = Field(None, max_length=_LONG, description="What happened (nội dung).")
    incident_time: StrictStr | None = Field(
        None, max_length=_SHORT, description="When it happened, as the citizen wrote it or ISO 8601."
    )
    location: StrictStr | None = Field(None, max_length=_SHORT, description="Where it happened (địa điểm).")
    name: StrictStr | None = Field(None, max_length=_SHORT, description="The submitter's full name.")
    phone: StrictStr | None = Field(None, max_length=64)
    email: StrictStr | None = Field(None, max_length=320)
    address: StrictStr | None = Field(None, max_length=_SHORT, description="The submitter's address.")
    confidential: StrictBool = Field(False, description="Hide the submitter's identity (giữ bí mật).")
    idempotency_key: StrictStr | None = Field(
        None,
        min_length=1,
        max_length=edge.IDEMPOTENCY_KEY_MAX,
        pattern=edge.IDEMPOTENCY_KEY.pattern,
        description="The client's key for this submission (printable ASCII, no spaces): sending it again "
        "returns the first answer.",
    )


def fields_from_raw(payload: bytes, _content_type: str = CONTENT_TYPE) -> SubmissionFields:
    """The fields of a journaled API submission (already validated when it was received)."""
    return SubmissionIn.model_validate_json(payload).to_fields()
