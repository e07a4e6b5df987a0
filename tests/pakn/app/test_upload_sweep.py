"""Uploads of an abandoned web form are removed by the sweeper; everything a submission (or a mail, or a
Telegram or Zalo conversation in progress) refers to is kept, and so is every young file.  Real files, a real
journal (SQLite and PostgreSQL), the real sweeper pass and the system Redis for its lease."""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from channels.web.payload import CONTENT_TYPE, StoredFile, WebPayload
from channels.zalo.tables import zalo_conversations
from config.settings import Settings, WebSettings
from pakn import attachments
from pakn.app.runtime import Runtime
from pakn.app.sweeper import sweep_once
from pakn.app.upload_sweep import sweep_uploads, swept_key
from pakn.db import email_attachments, telegram_conversations
from pakn.migrate import upgrade
from pakn.records import Channel, RawSubmission
from tests.conftest import SYSTEM_REDIS

DAY = 24 * 3600


def kept(runtime: Runtime, name: str, age_seconds: float) -> Path:
    """A file stored as the web form stores it, last written ``age_seconds`` ago."""
    data = f"{name} {uuid.uuid4()}".encode()
    stored = attachments.store(runtime.settings.pakn_data_dir, f"{name}.jpg", "image/jpeg", data)
    path = attachments.path_for(runtime.settings.pakn_data_dir, stored.sha256)
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def test_abandoned_uploads_go_referenced_and_young_ones_stay(journal_url: str, tmp_path: Path) -> None:
    upgrade(journal_url)
    settings = Settings(
        pakn_data_dir=tmp_path,
        database_url=journal_url,
        redis_url=SYSTEM_REDIS,
        queue_name=f"t{uuid.uuid4().hex[:8]}",
        web=WebSettings(abandoned_upload_hours=24, abandoned_upload_sweep_seconds=600),
    )
    runtime = Runtime(settings)
    sent = kept(runtime, "sent-with-the-form", 3 * DAY)
    mailed = kept(runtime, "mail-attachment", 3 * DAY)
    chatting = kept(runtime, "telegram-in-progress", 3 * DAY)
    zalo_chatting = kept(runtime, "zalo-in-progress", 3 * DAY)
    abandoned = kept(runtime, "abandoned", 25 * 3600)
    young = kept(runtime, "uploaded-an-hour-ago", 3600)
    reused = kept(runtime, "old-but-uploaded-again", 3 * DAY)
    # The same photo chosen again on a new form: store() finds it and makes it young again.
    attachments.store(tmp_path, "again.jpg", "image/jpeg", reused.read_bytes())
    stray = tmp_path / "attachments" / sent.parent.name / "tmp_partial_write"
    stray.write_bytes(b"not a digest name")
    os.utime(stray, (time.time() - 3 * DAY,) * 2)

    files = [StoredFile(filename="a.jpg", content_type="image/jpeg", size=sent.stat().st_size, sha256=sent.name)]
    payload = WebPayload(content="Đèn đường hỏng", attachments=files).to_bytes()
    now = datetime.now(UTC)
    (receipt,) = runtime.journal.intake.record([RawSubmission(Channel.WEB, "form-1", payload, CONTENT_TYPE, now)])
    with runtime.journal.engine.begin() as conn:
        conn.execute(
            insert(email_attachments).values(
                submission_id=receipt.submission_id, source_id="m1", part_index=1, filename="x.pdf",
                content_type="application/pdf", size=3, sha256=mailed.name, created_at=now,
            )
        )  # fmt: skip
        state = {"answers": {"content": "…"}, "attachments": [{"sha256": chatting.name, "size": 3}]}
        conn.execute(
            insert(telegram_conversations).values(
                chat_id=42,
                conversation_id="c1",
                step="ask_location",
                state=json.dumps(state),
                version=1,
                updated_at=now,
            )
        )
        zalo_state = {"answers": {}, "attachments": [{"sha256": zalo_chatting.name, "size": 3}]}
        conn.execute(
            insert(zalo_conversations).values(
                chat_id="8458", conversation_id="z1", step="ask_content", state=json.dumps(zalo_state), version=1,
                updated_at=now,
            )
        )  # fmt: skip

    sweep_once(runtime)  # the real pass: its upload step takes the lease and removes what nobody sent

    assert not abandoned.exists(), "old and referenced by nothing: removed"
    for path in (sent, mailed, chatting, zalo_chatting, young, reused, stray):
        assert path.exists(), path
    assert int(runtime.queues.connection.get(swept_key(runtime)) or 0) == 1, "counted for /metrics"

    # Another pass (or another sweeper) within ABANDONED_UPLOAD_SWEEP_SECONDS does not scan again.
    later = kept(runtime, "abandoned-later", 2 * DAY)
    assert sweep_uploads(runtime) is None
    assert later.exists()
    outcome = sweep_uploads(runtime, force=True)
    assert outcome is not None and outcome.removed == 1 and not later.exists()
    assert outcome.referenced == 4  # sent, mailed, chatting on Telegram and Zalo (reused is young again: no candidate)
    assert hashlib.sha256(sent.read_bytes()).hexdigest() == sent.name, "kept files are untouched"
