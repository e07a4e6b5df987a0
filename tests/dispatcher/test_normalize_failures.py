"""The normalize job on SQLite and PostgreSQL: a submission that raises fails alone, is retried with backoff up to
NORMALIZE_MAX_ATTEMPTS, then ends `failed` with its error, listed, its citizen told; a replay tries it again."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from channels.readers import READERS
from config.settings import CaseStoreSettings, Settings
from dispatcher.jobs import _record, dispatch, normalize, notify
from pakn import reports
from pakn.app.runtime import Runtime
from pakn.db import forwards
from pakn.migrate import create_case_store, upgrade
from pakn.records import Channel, NormalizationResult, NormalizedCase, RawSubmission, Status, Verdict, Verdicted
from tests.conftest import SYSTEM_REDIS
from tests.samples import submission

FIXTURES = Path(__file__).parents[1] / "fixtures" / "email"
POISON = "poisoned-marker-7f3a"


@pytest.fixture
def runtime(journal_url: str, tmp_path: Path) -> Iterator[Runtime]:
    """A worker's runtime on the test journal, passed to the jobs as pakn.app.worker_jobs does."""
    upgrade(journal_url)
    settings = Settings(
        pakn_data_dir=tmp_path,
        database_url=journal_url,
        redis_url=SYSTEM_REDIS,
        queue_name=f"t{uuid.uuid4().hex[:8]}",
        normalize_max_attempts=2,
        notify_max_attempts=2,
        case_store=CaseStoreSettings(
            forward_max_attempts=2, forward_backoff_base_seconds=0.2, forward_backoff_max_seconds=1.0
        ),
    )
    create_case_store(settings.case_store_sql_url)
    made = Runtime(settings)
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
    receipts = journal.intake.record([api(0), api(1), api(2, content=f"Đèn đường hỏng {POISON}"), api(3)])
    ids = [r.submission_id for r in receipts]
    poisoned = ids[2]

    counts = normalize(ids, runtime, READERS)
    assert counts == {"accepted": 3, "error": 1}
    for good in (ids[0], ids[1], ids[3]):
        stored = journal.reading.get(good)
        assert stored is not None and stored.status is Status.ACCEPTED, "the good ones of the batch get verdicts"
    first = journal.reading.get(poisoned)
    assert first is not None and first.status is Status.RECEIVED and first.attempts == 1
    assert journal.normalization.due_submissions(datetime.now(UTC) + timedelta(seconds=2)) == [poisoned], (
        "retried after backoff"
    )
    assert journal.operators.failed_submissions() == []

    # the second attempt is the last (NORMALIZE_MAX_ATTEMPTS=2)
    assert normalize([poisoned], runtime, READERS) == {"error": 1}
    failed = journal.reading.get(poisoned)
    assert failed is not None and failed.status is Status.FAILED
    (dead,) = journal.operators.failed_submissions()
    assert dead.tracking_code == receipts[2].tracking_code and dead.attempts == 2
    assert "failpoint PAKN_TEST_FAIL_NORMALIZE" in (dead.error or "")
    assert journal.normalization.due_submissions(datetime.now(UTC) + timedelta(days=1)) == [], (
        "the sweeper leaves it alone"
    )
    messages = journal.reading.notifications_of(poisoned)
    assert [m.kind for m in messages] == ["under_review"]
    assert receipts[2].tracking_code in messages[0].message
    assert normalize([poisoned], runtime, READERS) == {}, "a failed submission is not taken again by a stray job"
    report = reports.build(journal.engine, None, None)
    assert (report.eligible, report.being_checked) == (3, 1), "the provincial report does not count it as a case"

    monkeypatch.delenv("PAKN_TEST_FAIL_NORMALIZE")
    assert journal.operators.replay(failed=True, stuck=False) == (1, 0)
    assert journal.operators.failed_submissions() == []
    assert normalize([poisoned], runtime, READERS) == {"accepted": 1}
    assert [m.kind for m in journal.reading.notifications_of(poisoned)] == ["under_review", "accepted"]


def test_a_submission_whose_jobs_keep_dying_ends_failed(runtime: Runtime) -> None:
    """A row that kills its worker (or times its job out) records nothing; its claims still count."""
    journal = runtime.journal
    (receipt,) = journal.intake.record([api(5)])
    for _ in range(2):  # two jobs took it and died: their leases ran out
        assert journal.normalization.claim_submissions([receipt.submission_id], timedelta(seconds=-1))
    assert normalize([receipt.submission_id], runtime, READERS) == {"error": 1}
    (dead,) = journal.operators.failed_submissions()
    assert dead.tracking_code == receipt.tracking_code and "never finished" in dead.error
    assert journal.operators.replay(failed=False, stuck=False, tracking_code=receipt.tracking_code) == (1, 0)
    stored = journal.reading.get(receipt.submission_id)
    assert stored is not None and stored.status is Status.RECEIVED and stored.attempts == 0
    for _ in range(2):  # it kills its jobs again after the replay
        assert journal.normalization.claim_submissions([receipt.submission_id], timedelta(seconds=-1))
    assert normalize([receipt.submission_id], runtime, READERS) == {"error": 1}
    assert len(journal.operators.failed_submissions()) == 1
    assert [m.kind for m in journal.reading.notifications_of(receipt.submission_id)] == ["under_review"], "told once"


def test_a_verdict_the_journal_refuses_does_not_keep_the_others_from_theirs(runtime: Runtime) -> None:
    """The batch's one transaction fails on one value; each verdict is then recorded alone."""
    journal = runtime.journal
    receipts = journal.intake.record([api(6), api(7), api(8)])
    claimed = journal.normalization.claim_submissions([r.submission_id for r in receipts], timedelta(seconds=60))
    result = NormalizationResult(Verdict.REJECTED, (), NormalizedCase())
    verdicts = [Verdicted(s.id, result, notification=("rejected", "Không tiếp nhận")) for s in claimed]
    # A lone surrogate: no driver can encode it (what the unrepaired VISCII name did to the batch).
    verdicts[1] = Verdicted(claimed[1].id, result, notification=("rejected", "Nguy\udcadn"))
    recorded, failed = _record(journal, verdicts)
    assert list(failed) == [claimed[1].id]
    assert "Error" in failed[claimed[1].id]
    assert len(recorded.notification_ids) == 2
    statuses = [journal.reading.get(s.id).status for s in claimed]  # type: ignore[union-attr]
    assert statuses == [Status.REJECTED, Status.RECEIVED, Status.REJECTED]


def test_the_viscii_mail_that_stalled_its_batch_gets_a_verdict(runtime: Runtime) -> None:
    journal = runtime.journal
    raw = (FIXTURES / "viscii_sender.eml").read_bytes()
    mail = RawSubmission(Channel.EMAIL, "mid:viscii-1@example.vn", raw, "message/rfc822", datetime.now(UTC))
    receipts = journal.intake.record([mail, api(9)])
    assert normalize([r.submission_id for r in receipts], runtime, READERS) == {"accepted": 2}
    stored = journal.reading.get(receipts[0].submission_id)
    assert stored is not None and stored.status is Status.ACCEPTED and stored.normalized is not None
    assert stored.normalized["name"] == "Nguyễn Văn An"


def test_forwards_and_messages_whose_jobs_keep_dying_are_given_up(runtime: Runtime) -> None:
    """The same cap for the other jobs: FORWARD_MAX_ATTEMPTS and NOTIFY_MAX_ATTEMPTS count jobs that died."""
    journal = runtime.journal
    (receipt,) = journal.intake.record([api(10)])
    assert normalize([receipt.submission_id], runtime, READERS) == {"accepted": 1}
    far = datetime.now(UTC) + timedelta(days=1)
    (forward_id,) = journal.forwards.due_forwards(far)
    (notification_id,) = journal.outbox.due_notifications(far)
    for _ in range(2):  # two jobs took each and died
        assert journal.forwards.claim_forwards([forward_id], timedelta(seconds=-1))
        assert journal.outbox.claim_notifications([notification_id], timedelta(seconds=-1))
    assert dispatch([forward_id], runtime) == {"delivered": 0, "failed": 1}
    (dead,) = journal.operators.failed_forwards()
    assert dead.tracking_code == receipt.tracking_code and "never finished" in dead.error
    assert notify([notification_id], runtime) == {"failed": 1, "sent": 0}
    assert journal.forwards.due_forwards(far) == [] and journal.outbox.due_notifications(far) == [], (
        "the sweeper leaves them"
    )


def test_a_forward_whose_payload_cannot_be_read_fails_alone(runtime: Runtime) -> None:
    journal = runtime.journal
    receipts = journal.intake.record([api(11), api(12)])
    assert normalize([r.submission_id for r in receipts], runtime, READERS) == {"accepted": 2}
    far = datetime.now(UTC) + timedelta(days=1)
    forward_ids = journal.forwards.due_forwards(far)
    with journal.engine.begin() as conn:  # a payload damaged in the journal
        conn.execute(update(forwards).where(forwards.c.id == forward_ids[0]).values(payload="{not json"))
    assert dispatch(forward_ids, runtime) == {"delivered": 1, "failed": 1}
    (dead,) = journal.operators.failed_forwards()
    assert dead.tracking_code == receipts[0].tracking_code and "JSONDecodeError" in dead.error


def test_a_sink_that_raises_is_retried_with_backoff_up_to_the_cap(
    runtime: Runtime,
) -> None:
    """The case store's database is unreachable: each forward spends a try and waits, never a silent loop."""
    journal = runtime.journal
    (receipt,) = journal.intake.record([api(13)])
    assert normalize([receipt.submission_id], runtime, READERS) == {"accepted": 1}
    (forward_id,) = journal.forwards.due_forwards(datetime.now(UTC) + timedelta(days=1))
    unreachable = runtime.settings.case_store.model_copy(
        update={"database_url": "postgresql+psycopg://127.0.0.1:1/none"}
    )
    down = runtime.settings.model_copy(update={"case_store": unreachable})
    runtime = Runtime(down)
    assert dispatch([forward_id], runtime) == {"delivered": 0, "retry": 1}
    with journal.engine.connect() as conn:
        row = conn.execute(select(forwards.c.state, forwards.c.last_error).where(forwards.c.id == forward_id)).one()
    assert row.state == "pending" and "OperationalError" in row.last_error, "kept with its error, to retry"
    assert dispatch([forward_id], runtime) == {"delivered": 0, "failed": 1}, "FORWARD_MAX_ATTEMPTS=2"
    (dead,) = journal.operators.failed_forwards()
    assert "OperationalError" in dead.error
