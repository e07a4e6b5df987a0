"""The normalize job on SQLite and PostgreSQL: a submission that raises fails alone, is retried with backoff up to
NORMALIZE_MAX_ATTEMPTS, then ends `failed` with its error, listed, its citizen told; a replay tries it again."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

import pakn.runtime
from config.settings import Settings
from dispatcher.jobs import _record, dispatch, normalize, notify
from pakn import reports
from pakn.db import forwards
from pakn.journal import RawSubmission, Verdicted
from pakn.migrate import create_case_store, upgrade
from pakn.records import Channel, NormalizationResult, NormalizedCase, Status, Verdict
from pakn.runtime import Runtime
from tests.conftest import SYSTEM_REDIS
from tests.samples import submission

FIXTURES = Path(__file__).parents[1] / "fixtures" / "email"
POISON = "poisoned-marker-7f3a"


@pytest.fixture
def runtime(journal_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """This process's runtime on the test journal (the jobs call get_runtime(), as in a worker)."""
    upgrade(journal_url)
    settings = Settings(
        pakn_data_dir=tmp_path,
        database_url=journal_url,
        redis_url=SYSTEM_REDIS,
        queue_name=f"t{uuid.uuid4().hex[:8]}",
        normalize_max_attempts=2,
        forward_max_attempts=2,
        notify_max_attempts=2,
        forward_backoff_base_seconds=0.2,
        forward_backoff_max_seconds=1.0,
    )
    create_case_store(settings.case_store_sql_url)
    made = Runtime(settings)
    monkeypatch.setattr(pakn.runtime, "_runtime", made)
    monkeypatch.setattr(pakn.runtime, "_pid", os.getpid())
    yield made
    made.journal.engine.dispose()


def api(index: int, **changes: object) -> RawSubmission:
    body = json.dumps(submission(index, **changes), ensure_ascii=False).encode()
    return RawSubmission(Channel.API, f"key-{index}", body, "application/json", datetime.now(UTC))


def test_one_poisoned_submission_fails_alone_then_failed_listed_told_and_replayed(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = runtime.journal
    monkeypatch.setenv("PAKN_TEST_FAIL_NORMALIZE", POISON)
    receipts = journal.record([api(0), api(1), api(2, content=f"Đèn đường hỏng {POISON}"), api(3)])
    ids = [r.submission_id for r in receipts]
    poisoned = ids[2]

    counts = normalize(ids)
    assert counts == {"accepted": 3, "error": 1}
    for good in (ids[0], ids[1], ids[3]):
        stored = journal.get(good)
        assert stored is not None and stored.status is Status.ACCEPTED, "the good ones of the batch get verdicts"
    first = journal.get(poisoned)
    assert first is not None and first.status is Status.RECEIVED and first.attempts == 1
    assert journal.due_submissions(datetime.now(UTC) + timedelta(seconds=2)) == [poisoned], "retried after backoff"
    assert journal.failed_submissions() == []

    assert normalize([poisoned]) == {"error": 1}  # the second attempt is the last (NORMALIZE_MAX_ATTEMPTS=2)
    failed = journal.get(poisoned)
    assert failed is not None and failed.status is Status.FAILED
    (dead,) = journal.failed_submissions()
    assert dead["tracking_code"] == receipts[2].tracking_code and dead["attempts"] == 2
    assert "failpoint PAKN_TEST_FAIL_NORMALIZE" in dead["error"]
    assert journal.due_submissions(datetime.now(UTC) + timedelta(days=1)) == [], "the sweeper leaves it alone"
    messages = journal.notifications_of(poisoned)
    assert [m["kind"] for m in messages] == ["under_review"]
    assert receipts[2].tracking_code in messages[0]["message"]
    assert normalize([poisoned]) == {}, "a failed submission is not taken again by a stray job"
    report = reports.build(journal.engine, None, None)
    assert (report.eligible, report.being_checked) == (3, 1), "the provincial report does not count it as a case"

    monkeypatch.delenv("PAKN_TEST_FAIL_NORMALIZE")
    assert journal.replay(failed=True, stuck=False) == (1, 0)
    assert journal.failed_submissions() == []
    assert normalize([poisoned]) == {"accepted": 1}
    assert [m["kind"] for m in journal.notifications_of(poisoned)] == ["under_review", "accepted"]


def test_a_submission_whose_jobs_keep_dying_ends_failed(runtime: Runtime) -> None:
    """A row that kills its worker (or times its job out) records nothing; its claims still count."""
    journal = runtime.journal
    (receipt,) = journal.record([api(5)])
    for _ in range(2):  # two jobs took it and died: their leases ran out
        assert journal.claim_submissions([receipt.submission_id], timedelta(seconds=-1))
    assert normalize([receipt.submission_id]) == {"error": 1}
    (dead,) = journal.failed_submissions()
    assert dead["tracking_code"] == receipt.tracking_code and "never finished" in dead["error"]
    assert journal.replay(failed=False, stuck=False, tracking_code=receipt.tracking_code) == (1, 0)
    stored = journal.get(receipt.submission_id)
    assert stored is not None and stored.status is Status.RECEIVED and stored.attempts == 0
    for _ in range(2):  # it kills its jobs again after the replay
        assert journal.claim_submissions([receipt.submission_id], timedelta(seconds=-1))
    assert normalize([receipt.submission_id]) == {"error": 1}
    assert len(journal.failed_submissions()) == 1
    assert [m["kind"] for m in journal.notifications_of(receipt.submission_id)] == ["under_review"], "told once"


def test_a_verdict_the_journal_refuses_does_not_keep_the_others_from_theirs(runtime: Runtime) -> None:
    """The batch's one transaction fails on one value; each verdict is then recorded alone."""
    journal = runtime.journal
    receipts = journal.record([api(6), api(7), api(8)])
    claimed = journal.claim_submissions([r.submission_id for r in receipts], timedelta(seconds=60))
    result = NormalizationResult(Verdict.REJECTED, (), NormalizedCase())
    verdicts = [Verdicted(s.id, result, notification=("rejected", "Không tiếp nhận")) for s in claimed]
    # A lone surrogate: no driver can encode it (what the unrepaired VISCII name did to the batch).
    verdicts[1] = Verdicted(claimed[1].id, result, notification=("rejected", "Nguy\udcadn"))
    recorded, failed = _record(journal, verdicts)
    assert list(failed) == [claimed[1].id]
    assert "Error" in failed[claimed[1].id]
    assert len(recorded.notification_ids) == 2
    statuses = [journal.get(s.id).status for s in claimed]  # type: ignore[union-attr]
    assert statuses == [Status.REJECTED, Status.RECEIVED, Status.REJECTED]


def test_the_viscii_mail_that_stalled_its_batch_gets_a_verdict(runtime: Runtime) -> None:
    journal = runtime.journal
    raw = (FIXTURES / "viscii_sender.eml").read_bytes()
    mail = RawSubmission(Channel.EMAIL, "mid:viscii-1@example.vn", raw, "message/rfc822", datetime.now(UTC))
    receipts = journal.record([mail, api(9)])
    assert normalize([r.submission_id for r in receipts]) == {"accepted": 2}
    stored = journal.get(receipts[0].submission_id)
    assert stored is not None and stored.status is Status.ACCEPTED and stored.normalized is not None
    assert stored.normalized["name"] == "Nguyễn Văn An"


def test_forwards_and_messages_whose_jobs_keep_dying_are_given_up(runtime: Runtime) -> None:
    """The same cap for the other jobs: FORWARD_MAX_ATTEMPTS and NOTIFY_MAX_ATTEMPTS count jobs that died."""
    journal = runtime.journal
    (receipt,) = journal.record([api(10)])
    assert normalize([receipt.submission_id]) == {"accepted": 1}
    far = datetime.now(UTC) + timedelta(days=1)
    (forward_id,) = journal.due_forwards(far)
    (notification_id,) = journal.due_notifications(far)
    for _ in range(2):  # two jobs took each and died
        assert journal.claim_forwards([forward_id], timedelta(seconds=-1))
        assert journal.claim_notifications([notification_id], timedelta(seconds=-1))
    assert dispatch([forward_id]) == {"delivered": 0, "failed": 1}
    (dead,) = journal.failed_forwards()
    assert dead["tracking_code"] == receipt.tracking_code and "never finished" in dead["error"]
    assert notify([notification_id]) == {"failed": 1, "sent": 0}
    assert journal.due_forwards(far) == [] and journal.due_notifications(far) == [], "the sweeper leaves them"


def test_a_forward_whose_payload_cannot_be_read_fails_alone(runtime: Runtime) -> None:
    journal = runtime.journal
    receipts = journal.record([api(11), api(12)])
    assert normalize([r.submission_id for r in receipts]) == {"accepted": 2}
    far = datetime.now(UTC) + timedelta(days=1)
    forward_ids = journal.due_forwards(far)
    with journal.engine.begin() as conn:  # a payload damaged in the journal
        conn.execute(update(forwards).where(forwards.c.id == forward_ids[0]).values(payload="{not json"))
    assert dispatch(forward_ids) == {"delivered": 1, "failed": 1}
    (dead,) = journal.failed_forwards()
    assert dead["tracking_code"] == receipts[0].tracking_code and "JSONDecodeError" in dead["error"]


def test_a_sink_that_raises_is_retried_with_backoff_up_to_the_cap(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case store's database is unreachable: each forward spends a try and waits, never a silent loop."""
    journal = runtime.journal
    (receipt,) = journal.record([api(13)])
    assert normalize([receipt.submission_id]) == {"accepted": 1}
    (forward_id,) = journal.due_forwards(datetime.now(UTC) + timedelta(days=1))
    down = runtime.settings.model_copy(update={"case_store_database_url": "postgresql+psycopg://127.0.0.1:1/none"})
    monkeypatch.setattr(pakn.runtime, "_runtime", Runtime(down))
    assert dispatch([forward_id]) == {"delivered": 0, "retry": 1}
    with journal.engine.connect() as conn:
        row = conn.execute(select(forwards.c.state, forwards.c.last_error).where(forwards.c.id == forward_id)).one()
    assert row.state == "pending" and "OperationalError" in row.last_error, "kept with its error, to retry"
    assert dispatch([forward_id]) == {"delivered": 0, "failed": 1}, "FORWARD_MAX_ATTEMPTS=2"
    (dead,) = journal.failed_forwards()
    assert "OperationalError" in dead["error"]
