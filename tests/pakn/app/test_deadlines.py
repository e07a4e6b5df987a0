"""Reminders and closing of unanswered submissions happen once, however many sweepers run at the same time
(SQLite and PostgreSQL): each step claims its row with one atomic UPDATE and sends only if it changed it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from config.settings import Settings
from pakn.app.deadlines import remind_and_close
from pakn.app.runtime import Runtime
from pakn.db import notifications, submissions
from pakn.migrate import upgrade
from pakn.records import (
    Channel,
    Finding,
    NormalizationResult,
    NormalizedCase,
    RawSubmission,
    Severity,
    Verdict,
    Verdicted,
)

ROWS = 12
SWEEPERS = 6


def sweepers(journal_url: str, tmp_path: Path) -> list[Runtime]:
    upgrade(journal_url)
    return [Runtime(Settings(pakn_data_dir=tmp_path, database_url=journal_url)) for _ in range(SWEEPERS)]


def waiting_rows(runtime: Runtime) -> list[int]:
    journal = runtime.journal
    now = datetime.now(UTC)
    raws = [RawSubmission(Channel.API, f"k{i}", b'{"content": "x"}', "application/json", now) for i in range(ROWS)]
    ids = [r.submission_id for r in journal.intake.record(raws)]
    journal.normalization.claim_submissions(ids, timedelta(seconds=60))
    result = NormalizationResult(Verdict.NEEDS_INFORMATION, (), NormalizedCase())
    journal.normalization.finish_normalizations([Verdicted(i, result) for i in ids])
    return ids


def all_at_once(calls: list[Callable[[], Any]]) -> None:
    """Start every call at the same moment (a barrier), each in its own thread, and wait for all."""
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            call()
        except BaseException as error:  # re-raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors


def messages_by_kind(runtime: Runtime, kind: str) -> list[int]:
    with runtime.journal.engine.connect() as conn:
        return [
            count
            for (count,) in conn.execute(
                select(func.count())
                .select_from(notifications)
                .where(notifications.c.kind == kind)
                .group_by(notifications.c.submission_id)
            )
        ]


def test_two_sweepers_remind_and_close_each_submission_once(journal_url: str, tmp_path: Path) -> None:
    runtimes = sweepers(journal_url, tmp_path)
    ids = waiting_rows(runtimes[0])
    long_ago = datetime.now(UTC) - timedelta(days=60)
    with runtimes[0].journal.engine.begin() as conn:
        conn.execute(update(submissions).where(submissions.c.id.in_(ids)).values(waiting_since=long_ago))
    now = datetime.now(UTC)

    all_at_once([lambda r=r: remind_and_close(r, now) for r in runtimes])
    assert messages_by_kind(runtimes[0], "reminder") == [1] * ROWS

    with runtimes[0].journal.engine.begin() as conn:
        conn.execute(update(submissions).where(submissions.c.id.in_(ids)).values(reminded_at=long_ago))
    all_at_once([lambda r=r: remind_and_close(r, now) for r in runtimes])
    assert messages_by_kind(runtimes[0], "closed") == [1] * ROWS
    assert messages_by_kind(runtimes[0], "reminder") == [1] * ROWS
    for submission_id in ids:
        stored = runtimes[0].journal.reading.get(submission_id)
        assert stored is not None and stored.status.value == "rejected"
        assert [f.code for f in stored.findings] == ["unanswered"], "the reason is added once"
    for runtime in runtimes:
        runtime.journal.engine.dispose()


def test_closing_the_same_submission_from_many_threads_sends_one_message(journal_url: str, tmp_path: Path) -> None:
    """The step itself, raced directly: the read-then-update it was would close twice on PostgreSQL."""
    runtimes = sweepers(journal_url, tmp_path)
    ids = waiting_rows(runtimes[0])
    finding = Finding("unanswered", Severity.REJECT, "x", rule="deadline")
    closed: list[bool] = []
    for submission_id in ids:
        all_at_once(
            [
                lambda r=r, i=submission_id: closed.append(r.journal.waiting.close_unanswered(i, finding, "đóng"))
                for r in runtimes
            ]
        )
    assert closed.count(True) == ROWS
    assert messages_by_kind(runtimes[0], "closed") == [1] * ROWS
    for runtime in runtimes:
        runtime.journal.engine.dispose()
