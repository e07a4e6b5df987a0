"""What the web form and the Open311 server journal, and how the normalizer reads it back.

Both journal one small JSON document (content type ``CONTENT_TYPE``): the fields exactly as typed, the
optional map pin, and the metadata of attachments already stored by SHA-256 (``pakn.attachments``).
``via`` says which door it came through (``web`` form or an ``open311`` app), so the raw row alone
explains itself.  API keys and cookies are never journaled.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from channels.fields import FieldsModel
from pakn.records import Attachment, GeoPoint, SubmissionFields

CONTENT_TYPE = "application/vnd.pakn.web+json"

_LONG = 20_000
_SHORT = 500


class StoredFile(BaseModel):
    """An attachment already written under PAKN_DATA_DIR/attachments."""

    filename: str
    content_type: str
    size: int
    sha256: str

    def attachment(self) -> Attachment:
        return Attachment(self.filename, self.content_type, self.size, self.sha256)


class WebPayload(FieldsModel):
    """One submission from the web form or an Open311 app."""

    model_config = ConfigDict(extra="ignore")

    version: int = 1
    via: Literal["web", "open311"] = "web"
    content: StrictStr | None = Field(None, max_length=_LONG)
    incident_time: StrictStr | None = Field(None, max_length=_SHORT)
    location: StrictStr | None = Field(None, max_length=_SHORT)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    name: StrictStr | None = Field(None, max_length=_SHORT)
    phone: StrictStr | None = Field(None, max_length=64)
    email: StrictStr | None = Field(None, max_length=320)
    address: StrictStr | None = Field(None, max_length=_SHORT)
    confidential: StrictBool = False
    attachments: list[StoredFile] = Field(default_factory=list)
    # Open311 only: which app, and the GeoReport fields that have no SubmissionFields counterpart.
    app: str | None = None
    service_code: str | None = None
    media_url: str | None = None
    device_id: str | None = None
    account_id: str | None = None

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True, exclude_defaults=False).encode()

    def to_fields(self, **given: Any) -> SubmissionFields:
        return super().to_fields(attachments=tuple(f.attachment() for f in self.attachments), **given)


def fields_of_payload(payload: bytes, _content_type: str) -> SubmissionFields:
    """The fields of a journaled web or Open311 submission (``channels.readers`` entry)."""
    return WebPayload.model_validate_json(payload).to_fields()


def payload_of(raw: bytes) -> dict[str, Any]:
    return WebPayload.model_validate_json(raw).model_dump()


def pin_of_payload(payload: bytes) -> GeoPoint | None:
    """The map pin of a web form or Open311 submission (``lat``/``long``), if any (``channels.pins`` entry)."""
    document = WebPayload.model_validate_json(payload)
    return GeoPoint.checked(document.latitude, document.longitude)
