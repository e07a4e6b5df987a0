"""Rule: turn every field into clean NFC text before anything else looks at it."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from types import MappingProxyType

from normalizer.pipeline import Context, Draft, Outcome
from pakn.records import FIELD_NAMES, PlaceMatch


def _clean(value: str | bytes | None) -> str | None:
    if value is None:
        return None
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
    text = unicodedata.normalize("NFC", text).strip()
    return text or None


class DecodeText:
    name = "decode-text"
    description = "Decodes bytes of any charset, repairs legacy encodings and mojibake, normalizes to NFC."

    def check(self, draft: Draft, context: Context) -> Outcome:
        fields = draft.submission.fields
        texts = {name: _clean(getattr(fields, name)) for name in FIELD_NAMES}
        location = texts["location"]
        case = replace(
            draft.case,
            content=texts["content"] or "",
            name=texts["name"],
            address=texts["address"],
            incident_time_text=texts["incident_time"],
            location=PlaceMatch(text=location) if location else None,
        )
        return Outcome(Draft(draft.submission, MappingProxyType(texts), case, draft.facts))
