"""The worker reads a journaled mail once: its attachments are stored and its fields read from one parse
(channels.reading.Readers.submission_in_worker → channels.email.worker.read_in_worker)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from channels.email import parse, worker
from channels.email.parse import COMPLETION_CONTENT_TYPE, CONTENT_TYPE, source_id
from channels.readers import READERS
from config.settings import Settings
from pakn.db import email_attachments, make_engine, utcnow
from pakn.journal import Journal
from pakn.migrate import upgrade
from pakn.records import Channel, RawSubmission, StoredAmendment, StoredSubmission
from tests.channels.email.conftest import fixture


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every mail parse_mail reads, wherever it is called from."""
    calls: list[bytes] = []
    real = parse.parse_mail

    def counting(raw: bytes) -> parse.Mail:
        calls.append(raw)
        return real(raw)

    monkeypatch.setattr(parse, "parse_mail", counting)
    monkeypatch.setattr(worker, "parse_mail", counting)
    return calls


def journaled(tmp_path: Path, raw: bytes) -> tuple[Journal, StoredSubmission]:
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    upgrade(url)
    journal = Journal(make_engine(url))
    (receipt,) = journal.intake.record([RawSubmission(Channel.EMAIL, source_id(raw), raw, CONTENT_TYPE, utcnow())])
    stored = journal.reading.get(receipt.submission_id)
    assert stored is not None
    return journal, stored


def test_a_mail_and_its_completion_are_each_parsed_once_for_attachments_and_fields(
    tmp_path: Path, parses: list[bytes]
) -> None:
    mail = fixture("multipart_photo.eml")
    journal, stored = journaled(tmp_path, mail)
    reply = fixture("plain_utf8.eml")
    completion = StoredAmendment("mid:reply-1@example.vn", COMPLETION_CONTENT_TYPE, reply, utcnow())
    settings = Settings(pakn_data_dir=tmp_path)

    submission = READERS.submission_in_worker(journal.engine, settings, stored, [completion])

    assert parses == [mail, reply], "one parse per journaled payload"
    parses.clear()
    assert submission == READERS.submission(stored, [completion]), "the same submission as from the bytes"
    assert submission.attachments, "the photo is the case's attachment"
    with journal.engine.connect() as conn:
        kept = conn.execute(
            select(email_attachments.c.sha256).where(
                email_attachments.c.submission_id == stored.id, email_attachments.c.sha256.is_not(None)
            )
        ).scalars()
        digests = set(kept)
    assert digests == {a.sha256 for a in submission.attachments}
    for digest in digests:
        assert any(path.name == digest for path in (tmp_path / "attachments").rglob("*")), "stored by its hash"


def test_an_unreadable_mail_is_parsed_once_and_still_raises(tmp_path: Path, parses: list[bytes]) -> None:
    nested = fixture("nested_1000.eml")
    journal, stored = journaled(tmp_path, nested)
    with pytest.raises(ValueError, match="nested MIME parts"):
        READERS.submission_in_worker(journal.engine, Settings(pakn_data_dir=tmp_path), stored, [])
    assert parses == [nested]
