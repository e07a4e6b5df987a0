"""Photos and documents from the web form: limits and types enforced here, whatever the browser claims.

The type comes from the file's first bytes, never from its name or the browser's content type; a
kept file is written at once by SHA-256 (``pakn.attachments.store``) so that a form sent back for
corrections keeps it (signed in a hidden field) and the citizen need not choose it again.
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from dataclasses import dataclass

from channels.web import guard
from channels.web.payload import StoredFile

# first bytes → content type kept
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"%PDF-", "application/pdf"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"}
_UNSAFE = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def sniff(data: bytes) -> str | None:
    """The content type of an accepted kind of file, or None."""
    for offset, magic, content_type in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "image/heic"
    return None


def safe_filename(name: str) -> str:
    """The last path part, printable, at most 120 characters (it is shown back and sent on)."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    cleaned = _UNSAFE.sub("_", base).strip(" .") or "tep"
    return cleaned[-120:]


def human_size(size: int) -> str:
    return f"{size / 1_048_576:.0f} MB" if size >= 1_048_576 else f"{size // 1024} KB"


@dataclass(frozen=True, slots=True)
class Judged:
    kept: StoredFile | None
    problem: str | None  # message key of [web], None when kept
    name: str


def keep_token(stored: StoredFile) -> str:
    """A kept upload as a signed hidden-field value (the form sent back for corrections carries it)."""
    raw = base64.urlsafe_b64encode(stored.model_dump_json().encode()).decode()
    return guard.sign(raw)


def from_keep_token(token: str) -> StoredFile | None:
    raw = guard.unsign(token)
    if raw is None:
        return None
    try:
        return StoredFile.model_validate(json.loads(base64.urlsafe_b64decode(raw.encode())))
    except ValueError:
        return None
