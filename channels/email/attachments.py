"""Which attachments of a mail are kept: size and count limits, forbidden types, archive bombs.

Judging is pure (the parser uses it to list a case's attachments); ``store_attachments`` then writes
the kept bytes by SHA-256 (``pakn.attachments``) and records every part, kept or refused with its
reason, in ``email_attachments``.  Nothing here raises on hostile input: a part it cannot read is
refused as ``malformed``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from config.settings import Settings, get_settings
from pakn import attachments as blobs
from pakn.db import email_attachments, utcnow, writer
from pakn.records import Attachment

if TYPE_CHECKING:  # annotations only: the parser uses this policy, so it is imported here for types alone
    from channels.email.parse import Part

_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xce", b"#!")
_EXECUTABLE_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/x-dosexec",
        "application/x-executable",
        "application/vnd.microsoft.portable-executable",
        "application/x-sh",
        "application/java-archive",
        "application/vnd.android.package-archive",
    }
)
_MAX_ARCHIVE_ENTRIES = 10_000
_MAX_RATIO = 200  # unpacked / packed; real documents stay far below


@dataclass(frozen=True, slots=True)
class Refused:
    part: Part
    reason: str  # too-large | too-many | total-too-large | forbidden-type | decompression-bomb | malformed
    size: int


@dataclass(frozen=True, slots=True)
class AttachmentPolicy:
    max_bytes: int
    max_total_bytes: int
    max_count: int
    max_unpacked_bytes: int
    forbidden_extensions: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> AttachmentPolicy:
        s = settings or get_settings()
        return cls(
            s.email.attachment_max_bytes,
            s.email.attachments_max_bytes,
            s.email.attachments_max_count,
            s.email.archive_max_unpacked_bytes,
            frozenset(e.lower().lstrip(".") for e in s.email.forbidden_extensions),
        )

    def judge(self, parts: Iterable[Part]) -> list[Attachment | Refused]:
        """Each part in order: kept (with its SHA-256) or refused with a reason."""
        out: list[Attachment | Refused] = []
        total = kept = 0
        for part in parts:
            data = part.data
            size = len(data) if data is not None else 0
            reason = self._reason(part, data)
            if reason is None and kept >= self.max_count:
                reason = "too-many"
            if reason is None and total + size > self.max_total_bytes:
                reason = "total-too-large"
            if reason is not None or data is None:
                out.append(Refused(part, reason or "malformed", size))
                continue
            kept += 1
            total += size
            out.append(Attachment(part.filename, part.content_type, size, hashlib.sha256(data).hexdigest()))
        return out

    def _reason(self, part: Part, data: bytes | None) -> str | None:
        if data is None:
            return "malformed"
        if len(data) > self.max_bytes:
            return "too-large"
        if self._forbidden_name(part.filename) or part.content_type in _EXECUTABLE_TYPES:
            return "forbidden-type"
        if data.startswith(_EXECUTABLE_MAGIC):
            return "forbidden-type"
        if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
            return self._zip_reason(data, plain_archive=_extension(part.filename) in ("zip", ""))
        if data.startswith(b"\x1f\x8b"):
            return self._gzip_reason(data)
        return None

    def _forbidden_name(self, filename: str) -> bool:
        return _extension(filename) in self.forbidden_extensions

    def _zip_reason(self, data: bytes, plain_archive: bool) -> str | None:
        """Declared sizes first (cheap), then the real unpacked size, read in bounded chunks."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                entries = archive.infolist()
                if len(entries) > _MAX_ARCHIVE_ENTRIES:
                    return "decompression-bomb"
                declared = sum(e.file_size for e in entries)
                if declared > min(self.max_unpacked_bytes, _MAX_RATIO * max(len(data), 1)):
                    return "decompression-bomb"
                if plain_archive and any(self._forbidden_name(e.filename) for e in entries):
                    return "forbidden-type"
                budget = min(self.max_unpacked_bytes, _MAX_RATIO * max(len(data), 1))
                for entry in entries:
                    with archive.open(entry) as member:
                        while chunk := member.read(65536):
                            budget -= len(chunk)
                            if budget < 0:
                                return "decompression-bomb"
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
            return "malformed"
        except RuntimeError:  # encrypted members
            return None
        return None

    def _gzip_reason(self, data: bytes) -> str | None:
        budget = min(self.max_unpacked_bytes, _MAX_RATIO * max(len(data), 1))
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
                while chunk := stream.read(65536):
                    budget -= len(chunk)
                    if budget < 0:
                        return "decompression-bomb"
        except (OSError, EOFError, ValueError):
            return "malformed"
        return None


def _extension(filename: str) -> str:
    suffix = PurePosixPath(filename.replace("\\", "/").strip().rstrip(".")).suffix
    return suffix.lower().lstrip(".")


def store_attachments(
    engine: Engine,
    data_dir: Path,
    submission_id: int,
    source_id: str,
    parts: Sequence[Part],
    policy: AttachmentPolicy,
) -> list[Attachment | Refused]:
    """Write the kept parts by SHA-256 and record every part once (safe to repeat)."""
    judged = policy.judge(parts)
    for part, item in zip(parts, judged, strict=True):
        if isinstance(item, Attachment) and part.data is not None:
            blobs.store(data_dir, item.filename, item.content_type, part.data)
    now = utcnow()
    with writer(engine).begin() as conn:
        seen = {
            row.part_index
            for row in conn.execute(
                select(email_attachments.c.part_index).where(
                    email_attachments.c.submission_id == submission_id, email_attachments.c.source_id == source_id
                )
            )
        }
        rows = []
        for part, item in zip(parts, judged, strict=True):
            if part.index in seen:
                continue
            rows.append(
                {
                    "submission_id": submission_id,
                    "source_id": source_id,
                    "part_index": part.index,
                    "filename": part.filename,
                    "content_type": part.content_type[:100],
                    "size": item.size,
                    "sha256": item.sha256 if isinstance(item, Attachment) else None,
                    "refused": item.reason if isinstance(item, Refused) else None,
                    "original_filename": part.original_filename[:255] or None,
                    "damaged": part.damaged,
                    "created_at": now,
                }
            )
        if rows:
            conn.execute(insert(email_attachments), rows)
    return judged


def refused_of(engine: Engine, submission_id: int) -> list[tuple[str, str]]:
    """(file name as the sender gave it, reason) of the attachments refused for a submission, to tell the citizen
    (a plain-text mail: nothing to escape; control characters were stripped by the parser)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(email_attachments.c.filename, email_attachments.c.original_filename, email_attachments.c.refused)
            .where(email_attachments.c.submission_id == submission_id, email_attachments.c.refused.is_not(None))
            .order_by(email_attachments.c.id)
        ).all()
    return [(r.original_filename or r.filename, r.refused) for r in rows]


def damaged_of(engine: Engine, submission_id: int) -> list[str]:
    """Names (as the sender gave them) of the attachments kept but known to be incomplete, to tell the citizen."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(email_attachments.c.filename, email_attachments.c.original_filename)
            .where(
                email_attachments.c.submission_id == submission_id,
                email_attachments.c.damaged.is_not(None),
                email_attachments.c.refused.is_(None),
            )
            .order_by(email_attachments.c.id)
        ).all()
    return [r.original_filename or r.filename for r in rows]
