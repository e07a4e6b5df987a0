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
from config.settings import Settings

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


# the extensions a kept file's name may end with, first the one given when it ends otherwise
EXTENSIONS = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/pdf": (".pdf",),
    "image/webp": (".webp",),
    "image/heic": (".heic", ".heif"),
}
_PNG_END = b"IEND\xaeB`\x82"


def well_formed(data: bytes, content_type: str) -> bool:
    """More than the first bytes: the file's structure fits its type (a PNG signature followed by a
    script is no PNG).  Cheap checks of each format's framing, not a full decoder."""
    if content_type == "image/png":
        return data[8:16] == b"\x00\x00\x00\rIHDR" and data.endswith(_PNG_END)
    if content_type == "image/jpeg":
        return len(data) > 3 and 0xC0 <= data[3] <= 0xFE  # a marker follows SOI
    if content_type == "application/pdf":
        return b"%%EOF" in data[-1024:]
    if content_type == "image/webp":
        return int.from_bytes(data[4:8], "little") + 8 in (len(data), len(data) - 1)
    if content_type == "image/heic":
        return 16 <= int.from_bytes(data[0:4], "big") <= len(data)
    return False


def name_for(name: str, content_type: str) -> str:
    """The name a file is kept under: its extension is its content's (``shell.php`` holding a PNG is
    kept as ``shell.png``), so nothing downstream takes it for what its name claimed."""
    allowed = EXTENSIONS[content_type]
    stem, dot, extension = name.rpartition(".")
    if dot and f".{extension.lower()}" in allowed:
        return name
    base = (stem if dot and stem else name)[: 120 - len(allowed[0])]
    return f"{base}{allowed[0]}"


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


def keep_token(stored: StoredFile, settings: Settings) -> str:
    """A kept upload as a signed hidden-field value (the form sent back for corrections carries it)."""
    raw = base64.urlsafe_b64encode(stored.model_dump_json().encode()).decode()
    return guard.sign(raw, settings)


def from_keep_token(token: str, settings: Settings) -> StoredFile | None:
    raw = guard.unsign(token, settings)
    if raw is None:
        return None
    try:
        return StoredFile.model_validate(json.loads(base64.urlsafe_b64decode(raw.encode())))
    except ValueError:
        return None
