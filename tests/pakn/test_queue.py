"""The sweeper's question to Redis: is a row's job still waiting, or was it lost (pakn/queue.py)?"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from rq import Queue

from pakn.queue import Queues, connect
from tests.conftest import SYSTEM_REDIS


@pytest.fixture
def queues() -> Iterator[Queues]:
    connection = connect(SYSTEM_REDIS)
    prefix = f"t{uuid.uuid4().hex[:8]}"
    yield Queues(connection, prefix=prefix)
    keys = [*connection.scan_iter(f"*{prefix}*")]
    if keys:
        connection.delete(*keys)


def test_a_job_a_worker_took_and_died_with_before_starting_it_is_not_waiting(queues: Queues) -> None:
    """The poison-mix fault run: a worker SIGKILLed between taking a job off its queues (BLPOP) and
    marking it started left the job "queued" in no queue; its 5 forwards stayed `accepted` for ever."""
    queues.enqueue_dispatch([11, 12, 13])
    queues.enqueue_normalize([21])
    assert queues.not_waiting("dispatch", [11, 12, 13]) == [], "in its queue: waiting"
    taken = Queue.dequeue_any(queues.all, None, connection=queues.connection)  # what a worker does first
    assert taken is not None and taken[1].name == queues.dispatch.name
    assert taken[0].get_status() == "queued"  # ... and here it is SIGKILLed
    assert queues.not_waiting("dispatch", [11, 12, 13]) == [11, 12, 13]
    assert queues.not_waiting("normalize", [21]) == [], "the others still wait"
