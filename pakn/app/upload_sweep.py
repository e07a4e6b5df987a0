"""The sweeper's step for kept uploads nobody sent: files under PAKN_DATA_DIR/attachments that no
submission references, older than ABANDONED_UPLOAD_HOURS, are removed.

The web form writes a photo as soon as it arrives (``pakn.attachments.store``) so that a form sent back
for corrections keeps it; a citizen who then gives up leaves it behind.  A file is removed only when

- its name is a SHA-256 (``attachments/<2 hex>/<64 hex>``: what ``pakn.attachments.store`` writes),
- it was last written (or stored again: ``store`` touches a file it finds) before the cut-off, checked
  again just before it goes, so a file an upload has just reused is kept, and
- no journaled submission or completion (web, Open311, chat payloads) names its digest, nor anything a
  channel keeps in tables of its own (``UploadReferences``: a mail's attachment record, a chat's
  conversation in progress; the channels list theirs in ``channels.uploads``, and the app passes them in).

One sweeper does it per ABANDONED_UPLOAD_SWEEP_SECONDS: the step takes a lease in Redis first (like
each of the sweeper's steps claims its rows), so several sweepers never scan the journal together.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.engine import Engine

from pakn.attachments import UploadReferences, digests_named
from pakn.db import amendments, submissions
from pakn.deps import QueuedDeps

log = logging.getLogger(__name__)

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class UploadSweepDeps(QueuedDeps, Protocol):
    """What the sweep works with (``pakn.app.runtime.Runtime`` is one)."""

    @property
    def upload_references(self) -> Sequence[UploadReferences]:
        """What the channels keep that may name kept files (``channels.uploads``)."""
        ...


@dataclass(frozen=True, slots=True)
class UploadSweep:
    """What one pass found: old files looked at, removed, and kept because something references them."""

    candidates: int
    removed: int
    referenced: int


def swept_key(runtime: UploadSweepDeps) -> str:
    """Redis counter of files removed, for `/metrics` (``pakn_abandoned_uploads_removed``)."""
    return f"{runtime.settings.queue_name}:swept-uploads"


def _lease(runtime: UploadSweepDeps) -> bool:
    """True for the one sweeper that may do the step now (until the interval has passed)."""
    seconds = max(1, int(runtime.settings.web.abandoned_upload_sweep_seconds))
    key = f"{runtime.settings.queue_name}:lease:sweep-uploads"
    return bool(runtime.queues.connection.set(key, os.getpid(), nx=True, ex=seconds))


def old_files(root: Path, cutoff: float) -> dict[str, Path]:
    """Kept files (named by their SHA-256) last written before ``cutoff`` (epoch seconds)."""
    found: dict[str, Path] = {}
    if not root.is_dir():
        return found
    for folder in root.iterdir():
        if len(folder.name) != 2 or not folder.is_dir():
            continue
        for path in folder.iterdir():
            if not _DIGEST.match(path.name) or not path.name.startswith(folder.name):
                continue
            try:
                if path.stat().st_mtime < cutoff:
                    found[path.name] = path
            except FileNotFoundError:
                continue
    return found


def referenced(engine: Engine, digests: set[str], channels: Sequence[UploadReferences]) -> set[str]:
    """Those of ``digests`` something in the journal, or in a channel's own tables, still refers to."""
    found: set[str] = set()
    if not digests:
        return found
    with engine.connect() as conn:
        # Every channel's payload names it, but a mail's (its attachments are recorded by the channel).
        for table in (submissions, amendments):
            rows = conn.execution_options(stream_results=True, yield_per=500).execute(
                select(table.c.raw).where(~table.c.content_type.like("message/%"))
            )
            found |= digests_named(rows.scalars(), digests)
        for named_by_channel in channels:
            found |= named_by_channel(conn, digests)
    return found


def sweep_uploads(runtime: UploadSweepDeps, *, force: bool = False) -> UploadSweep | None:
    """One pass (None when another sweeper holds the step's lease, unless ``force``)."""
    settings = runtime.settings
    if not force and not _lease(runtime):
        return None
    cutoff = time.time() - settings.web.abandoned_upload_hours * 3600
    candidates = old_files(settings.pakn_data_dir / "attachments", cutoff)
    keep = referenced(runtime.journal.engine, set(candidates), runtime.upload_references) if candidates else set()
    removed = 0
    for digest, path in candidates.items():
        if digest in keep:
            continue
        try:
            if path.stat().st_mtime >= cutoff:  # stored again since we looked: an upload is using it
                continue
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
    if removed:
        try:
            runtime.queues.connection.incrby(swept_key(runtime), removed)
        except Exception:  # only a figure; the files are gone either way
            log.warning("could not count removed uploads in Redis", exc_info=True)
    if candidates:
        log.info(
            "uploads: removed %d abandoned file(s) older than %g h, kept %d still referenced",
            removed,
            settings.web.abandoned_upload_hours,
            len(keep),
        )
    return UploadSweep(len(candidates), removed, len(keep))
