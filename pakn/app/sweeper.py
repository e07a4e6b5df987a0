"""The sweeper: finds journal rows whose job was lost and enqueues them again; sends reminders.

Redis may lose its queue (restarted without persistence) and a worker may be killed mid-job; the
journal still says what is unfinished.  Every row has a ``due_at``; once it passes and no worker holds
the row's lease and its job is not waiting in Redis, the sweeper enqueues the job again.  It also sends
reminders and closes unanswered submissions (``pakn.app.deadlines``), removes uploads nobody sent
(``pakn.app.upload_sweep``) and sends the leaders the week's summary (``pakn.app.summary``).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Protocol

from pakn.app.deadlines import DeadlineDeps, remind_and_close
from pakn.app.summary import Senders, send_if_due
from pakn.app.upload_sweep import UploadSweepDeps, sweep_uploads
from pakn.db import utcnow
from pakn.queue import Queues

log = logging.getLogger(__name__)


class SweeperDeps(DeadlineDeps, UploadSweepDeps, Protocol):
    """What the sweeper works with: what reminding and closing need, the queues, and what the channels keep
    that names kept uploads (``pakn.app.runtime.Runtime`` is one)."""

    @property
    def queues(self) -> Queues: ...

    def summary_senders(self) -> Senders:
        """How the week's summary reaches leaders (the channels' senders, composed by the app)."""
        ...


def sweep_once(runtime: SweeperDeps) -> tuple[int, int]:
    """One pass; returns how many submissions and forwards were enqueued again."""
    journal, queues = runtime.journal, runtime.queues
    now = utcnow()
    due_subs = queues.not_waiting("normalize", journal.normalization.due_submissions(now))
    due_fwds = queues.not_waiting("dispatch", journal.forwards.due_forwards(now))
    due_notes = queues.not_waiting("notify", journal.outbox.due_notifications(now))
    due_replies = queues.not_waiting("relay", journal.loop.due_replies(now))
    due_ratings = queues.not_waiting("rate", journal.ratings.due_ratings(now))
    # A row a job already took comes back alone: if it is the one that kills its worker (or times its
    # job out), the others of its first batch are not taken down with it again, and its own attempts
    # reach NORMALIZE_MAX_ATTEMPTS (then it is marked failed: dispatcher.jobs.normalize).
    tried = journal.normalization.tried_before(due_subs)
    queues.enqueue_normalize([i for i in due_subs if i not in tried])
    for submission_id in sorted(tried):
        queues.enqueue_normalize([submission_id])
    queues.enqueue_dispatch(due_fwds)
    queues.enqueue_notify(due_notes)
    queues.enqueue_relay(due_replies)
    queues.enqueue_ratings(due_ratings)
    until = now + timedelta(seconds=runtime.settings.stale_after_seconds)
    journal.postpone(due_subs, due_fwds, until, due_notes, due_replies, due_ratings)
    if due_subs or due_fwds or due_notes or due_replies or due_ratings:
        log.info(
            "sweeper enqueued %d submissions, %d forwards, %d messages, %d answers, %d ratings",
            len(due_subs),
            len(due_fwds),
            len(due_notes),
            len(due_replies),
            len(due_ratings),
        )
    remind_and_close(runtime, now)
    try:
        sweep_uploads(runtime)  # at most once per ABANDONED_UPLOAD_SWEEP_SECONDS, by one sweeper (a lease)
    except Exception:  # the outbox and the deadlines above are done; the files wait for the next pass
        log.warning("sweeping abandoned uploads failed", exc_info=True)
    try:  # the week's summary for leaders, once its time has come (one sweeper: a lease in the journal)
        send_if_due(runtime, now, runtime.summary_senders)
    except Exception:
        log.warning("the week's summary failed; trying again", exc_info=True)
    return len(due_subs), len(due_fwds)


def run_forever(runtime: SweeperDeps, stop: list[bool] | None = None) -> None:
    interval = runtime.settings.sweep_interval_seconds
    while not (stop and stop[0]):
        try:
            sweep_once(runtime)
        except Exception:
            log.warning("sweep failed; trying again", exc_info=True)
        time.sleep(interval)
