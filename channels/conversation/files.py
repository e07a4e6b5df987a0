"""Attachments a chat sent, kept by content under PAKN_DATA_DIR/attachments (as every channel keeps them)."""

from __future__ import annotations

from pathlib import Path


def keep(folder: Path, digest: str, data: bytes) -> None:
    """Content-addressed: the same file sent twice is stored once; written whole, then renamed."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / digest
    if target.exists():
        return
    partial = folder / f".{digest}.part"
    partial.write_bytes(data)
    partial.replace(target)
