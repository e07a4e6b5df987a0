"""Only valid text leaves a channel: lone surrogates and undecodable bytes are repaired or replaced here.

Python reads 8-bit mail headers (and JSON ``\\ud800`` escapes) into ``str`` values that hold lone
surrogates; such a string cannot be encoded as UTF-8, so it would make the JSON of a case, the journal's
insert or a message to the citizen raise far from where it came in.  The raw bytes stay in the journal;
what the channels hand on is text any encoder takes.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from typing import Any

from normalizer.text import decode_bytes
from pakn.records import FIELD_NAMES, Attachment, SubmissionFields

# Surrogates Python's "surrogateescape" made of undecodable bytes 0x80-0xFF, and all other (lone) ones.
_ESCAPED = re.compile("[\udc80-\udcff]+")
_OTHER_SURROGATES = re.compile("[\ud800-\udc7f\udd00-\udfff]")
_REPLACEMENT = "\ufffd"


def valid_text(value: str) -> str:
    """``value`` if it encodes as UTF-8; else escaped bytes read by the normalizer's charset detection
    (an 8-bit VISCII or cp1258 display name becomes its Vietnamese text), other surrogates replaced."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    value = _OTHER_SURROGATES.sub(_REPLACEMENT, value)
    if all(ord(c) < 0x80 or 0xDC80 <= ord(c) <= 0xDCFF for c in value):
        # Raw 8-bit text with ASCII around it: decode it whole, so the charset is guessed from all of it.
        text = decode_bytes(value.encode("utf-8", "surrogateescape")).text
    else:
        text = _ESCAPED.sub(lambda m: decode_bytes(m.group(0).encode("utf-8", "surrogateescape")).text, value)
    # decode_bytes never yields surrogates; this only guards the promise.
    return text.encode("utf-8", "replace").decode("utf-8")


def valid_fields(submission_fields: SubmissionFields) -> SubmissionFields:
    """The fields with every ``str`` made valid (``bytes`` are left to the normalizer's decoding)."""
    changes: dict[str, Any] = {}
    for name in FIELD_NAMES:
        value = getattr(submission_fields, name)
        if isinstance(value, str):
            repaired = valid_text(value)
            if repaired is not value:
                changes[name] = repaired
    if isinstance(submission_fields.category, str):
        category = valid_text(submission_fields.category)
        if category is not submission_fields.category:
            changes["category"] = category
    attachments = tuple(_valid_attachment(a) for a in submission_fields.attachments)
    if any(new is not old for new, old in zip(attachments, submission_fields.attachments, strict=True)):
        changes["attachments"] = attachments
    return replace(submission_fields, **changes) if changes else submission_fields


def _valid_attachment(attachment: Attachment) -> Attachment:
    changes: dict[str, Any] = {
        f.name: valid_text(value)
        for f in fields(attachment)
        if isinstance(value := getattr(attachment, f.name), str) and valid_text(value) is not value
    }
    return replace(attachment, **changes) if changes else attachment
