"""Attachment bytes, stored once by SHA-256 under PAKN_DATA_DIR/attachments/<first two hex>/<sha256>."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from pakn.records import Attachment


def path_for(data_dir: Path, sha256: str) -> Path:
    return data_dir / "attachments" / sha256[:2] / sha256


def store(data_dir: Path, filename: str, content_type: str, data: bytes) -> Attachment:
    """Write the bytes durably (temp file, fsync, rename) unless already there; the same file is kept once."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(data_dir, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    return Attachment(filename=filename, content_type=content_type, size=len(data), sha256=digest)
