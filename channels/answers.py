"""The fields of a citizen's free-text answer to our question (a reply mail, a reply SMS).

The citizen answers the needs-information message in free text ("Địa điểm: số 4 đường Yersin, ...; lúc 8h
sáng nay"), so the normalizer's own extractors pick the fields out of it; an answer in which none is found
is taken as the content the first message lacked.  Only what it adds, so the original content stays.
"""

from __future__ import annotations

import re
from datetime import datetime

from normalizer.fields.contacts import find_name
from normalizer.fields.phones import find_phones
from normalizer.fields.places import find_place
from normalizer.fields.times import find_incident_time
from pakn.records import SubmissionFields

_ADDRESS_LINE = re.compile(r"^\s*(?:địa chỉ|đ/c|đc)\s*[:：]\s*(.{5,200})$", re.IGNORECASE | re.MULTILINE)


def phone_in(text: str) -> str | None:
    phones = [p for p in find_phones(text) if p.valid]
    return phones[0].text if phones else None


def address_in(text: str) -> str | None:
    m = _ADDRESS_LINE.search(text)
    return m.group(1).strip() if m else None


def answer_fields(text: str, sent_at: datetime, province_code: str, signature: str | None = None) -> SubmissionFields:
    """What an answer adds (``signature``: a mail's signature, where a phone may be)."""
    found: dict[str, str] = {}
    if place := find_place(text, hint_province=province_code):
        found["location"] = place.text
    if when := find_incident_time(text, sent_at):
        found["incident_time"] = when.matched
    if name := find_name(text):
        found["name"] = name
    if phone := phone_in(text) or (phone_in(signature) if signature else None):
        found["phone"] = phone
    if address := address_in(text):
        found["address"] = address
    return SubmissionFields(
        content=None if found else (text or None),
        location=found.get("location"),
        incident_time=found.get("incident_time"),
        name=found.get("name"),
        phone=found.get("phone"),
        address=found.get("address"),
    )
