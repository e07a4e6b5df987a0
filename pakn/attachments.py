"""Attachment bytes, stored once by SHA-256 under PAKN_DATA_DIR/attachments/<first two hex>/<sha256>."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Connection

from pakn.records import Attachment


class UploadReferences(Protocol):
    """A channel's own tables that may name kept files: which of ``digests`` they still name.

    The channels list theirs in ``channels.uploads``; the app hands them to the sweep of abandoned uploads
    (``pakn.app.upload_sweep``).
    """

    def __call__(self, conn: Connection, digests: Collection[str]) -> set[str]: ...


def path_for(data_dir: Path, sha256: str) -> Path:
    return data_dir / "attachments" / sha256[:2] / sha256


def store(data_dir: Path, filename: str, content_type: str, data: bytes) -> Attachment:
    """Write the bytes durably (temp file, fsync, rename) unless already there; the same file is kept once."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(data_dir, digest)
    try:
        # Stored before: made young again, so the sweeper of abandoned uploads (pakn.app.upload_sweep) keeps it.
        os.utime(target)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    return Attachment(filename=filename, content_type=content_type, size=len(data), sha256=digest)


def touch(data_dir: Path, sha256: str) -> bool:
    """Mark a kept file as in use again (the abandoned-upload sweep spares young files); False if gone."""
    try:
        os.utime(path_for(data_dir, sha256))
        return True
    except (FileNotFoundError, ValueError):
        return False


_DIGESTS_IN = re.compile(rb"[0-9a-f]{64}")


def digests_named(values: Iterable[bytes | str | None], digests: Collection[str]) -> set[str]:
    """Those of ``digests`` named anywhere in ``values`` (payloads, conversation states: whatever keeps an
    attachment's SHA-256 in its text), for the sweep of abandoned uploads."""
    found: set[str] = set()
    for value in values:
        if value is None:
            continue
        data = value.encode() if isinstance(value, str) else bytes(value)
        found.update(d.decode() for d in _DIGESTS_IN.findall(data) if d.decode() in digests)
    return found
