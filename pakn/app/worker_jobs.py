"""The worker's RQ entry points: each hands this process's runtime to its job in ``dispatcher.jobs``.

The queues name these functions (``pakn.queue``); the jobs themselves take what they work with as an
argument, so the lookup of the process's runtime happens here, in the app layer, and nowhere below it.
"""

from __future__ import annotations

from collections.abc import Sequence

from channels.readers import READERS
from dispatcher import jobs
from pakn.app.runtime import get_runtime


def normalize(submission_ids: Sequence[int]) -> dict[str, int]:
    return jobs.normalize(submission_ids, get_runtime(), READERS)


def dispatch(forward_ids: Sequence[int]) -> dict[str, int]:
    return jobs.dispatch(forward_ids, get_runtime())


def notify(notification_ids: Sequence[int]) -> dict[str, int]:
    return jobs.notify(notification_ids, get_runtime())


def relay(reply_ids: Sequence[int]) -> dict[str, int]:
    return jobs.relay(reply_ids, get_runtime())


def rate(rating_ids: Sequence[int]) -> dict[str, int]:
    return jobs.deliver_ratings(rating_ids, get_runtime())
