"""The sweeper: finds journal rows whose job was lost and enqueues them again; sends reminders.

Redis may lose its queue (restarted without persistence) and a worker may be killed mid-job; the
journal still says what is unfinished.  Every row has a ``due_at``; once it passes and no worker holds
the row's lease and its job is not waiting in Redis, the sweeper enqueues the job again.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from pakn.db import utcnow
from pakn.runtime import Runtime

log = logging.getLogger(__name__)


def sweep_once(runtime: Runtime) -> tuple[int, int]:
    """One pass; returns how many submissions and forwards were enqueued again."""
    journal, queues = runtime.journal, runtime.queues
    now = utcnow()
    due_subs = queues.not_waiting("normalize", journal.due_submissions(now))
    due_fwds = queues.not_waiting("dispatch", journal.due_forwards(now))
    due_notes = queues.not_waiting("notify", journal.due_notifications(now))
    # A row a job already took comes back alone: if it is the one that kills its worker (or times its
    # job out), the others of its first batch are not taken down with it again, and its own attempts
    # reach NORMALIZE_MAX_ATTEMPTS (then it is marked failed: dispatcher.jobs.normalize).
    tried = journal.tried_before(due_subs)
    queues.enqueue_normalize([i for i in due_subs if i not in tried])
    for submission_id in sorted(tried):
        queues.enqueue_normalize([submission_id])
    queues.enqueue_dispatch(due_fwds)
    queues.enqueue_notify(due_notes)
    journal.postpone(due_subs, due_fwds, now + timedelta(seconds=runtime.settings.stale_after_seconds), due_notes)
    if due_subs or due_fwds or due_notes:
        log.info(
            "sweeper enqueued %d submissions, %d forwards, %d messages", len(due_subs), len(due_fwds), len(due_notes)
        )
    from pakn.deadlines import remind_and_close

    remind_and_close(runtime, now)
    return len(due_subs), len(due_fwds)


def run_forever(runtime: Runtime, stop: list[bool] | None = None) -> None:
    interval = runtime.settings.sweep_interval_seconds
    while not (stop and stop[0]):
        try:
            sweep_once(runtime)
        except Exception:
            log.warning("sweep failed; trying again", exc_info=True)
        time.sleep(interval)
