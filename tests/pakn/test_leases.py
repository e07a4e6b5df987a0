"""One leased-work component for submissions, forwards and messages: the same life cycle on each table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import and_, select

from pakn.db import make_engine
from pakn.journal import Journal
from pakn.journal.leases import LeasedWork, RetryPolicy
from pakn.migrate import upgrade
from pakn.records import Channel, NormalizationResult, NormalizedCase, RawSubmission, Verdict, Verdicted


def test_the_retry_policy_caps_attempts_and_backs_off_within_its_bounds() -> None:
    policy = RetryPolicy(max_attempts=3, backoff_base_seconds=2, backoff_max_seconds=5)
    assert policy.never_finished(3) is None
    assert policy.never_finished(4) == "no outcome after 3 attempts: the job never finished"
    for attempt, bound in ((1, 2), (2, 4)):
        delays = [policy.retry_in(attempt) for _ in range(50)]
        assert all(d is not None and timedelta(0) <= d <= timedelta(seconds=bound) for d in delays)
    assert policy.retry_in(3) is None, "the last attempt failed: give up"
    capped = [RetryPolicy(10, 2, 5).retry_in(9) for _ in range(50)]
    assert all(d is not None and d <= timedelta(seconds=5) for d in capped), "never longer than the cap"


def _one_of_each(journal: Journal) -> dict[str, int]:
    """A submission still to normalize, a pending forward and an unsent message: one row of each kind."""
    first, second = journal.intake.record(
        [RawSubmission(Channel.API, key, b"{}", "application/json", datetime.now(UTC)) for key in ("a", "b")]
    )
    assert journal.normalization.claim_submissions([first.submission_id], timedelta(seconds=-1))
    result = NormalizationResult(Verdict.ACCEPTED, (), NormalizedCase(content="x"))
    recorded = journal.normalization.finish_normalizations(
        [Verdicted(first.submission_id, result, "{}", "key-a", ("accepted", "Đã nhận."))]
    )
    (forward_id,) = recorded.forward_ids
    (notification_id,) = recorded.notification_ids
    return {"normalizing": second.submission_id, "forwarding": forward_id, "sending": notification_id}


@pytest.mark.parametrize("kind", ["normalizing", "forwarding", "sending"])
def test_claim_retry_give_up_and_replay_are_the_same_for_every_kind_of_work(journal_url: str, kind: str) -> None:
    upgrade(journal_url)
    journal = Journal(make_engine(journal_url))
    row_id = _one_of_each(journal)[kind]
    work: LeasedWork = getattr(journal.storage, kind)
    table = work.table
    far = datetime.now(UTC) + timedelta(days=1)

    def attempts() -> int:
        with journal.engine.connect() as conn:
            return int(conn.execute(select(table.c.attempts).where(table.c.id == row_id)).scalar_one())

    def failed() -> bool:
        with journal.engine.connect() as conn:
            return conn.execute(select(table.c.id).where(and_(table.c.id == row_id, work.failed))).first() is not None

    assert row_id in work.due(far)
    with journal.storage.writer.begin() as conn:
        now = datetime.now(UTC)
        assert len(work.claim(conn, [row_id], timedelta(seconds=30), now, table.c.id)) == 1
        assert work.claim(conn, [row_id], timedelta(seconds=30), now, table.c.id) == [], "held: nobody else takes it"
    assert attempts() == 1 and row_id not in work.due(datetime.now(UTC)), "due again only when the lease ends"
    with journal.storage.writer.begin() as conn:
        now = datetime.now(UTC)
        work.retry_later(conn, table.c.id == row_id, "boom", now - timedelta(seconds=1), now, refund=True)
    assert row_id in work.due(datetime.now(UTC)) and attempts() == 0, "a refunded try is not counted"
    with journal.storage.writer.begin() as conn:
        assert work.give_up(conn, table.c.id == row_id, "x" * 3000, datetime.now(UTC)) == 1
    assert row_id not in work.due(far) and failed(), "given up: never due, in its failure state"
    with journal.engine.connect() as conn:
        error = conn.execute(select(table.c.last_error).where(table.c.id == row_id)).scalar_one()
    assert error == "x" * 2000, "the error is kept, cut to its limit"
    with journal.storage.writer.begin() as conn:
        assert work.replay(conn, and_(table.c.id == row_id, work.failed), datetime.now(UTC)) == 1
    assert not failed() and row_id in work.due(datetime.now(UTC) + timedelta(seconds=1)) and attempts() == 0
    with journal.storage.writer.begin() as conn:
        assert len(work.claim(conn, [row_id], timedelta(seconds=30), datetime.now(UTC), table.c.id)) == 1
