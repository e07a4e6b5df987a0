"""What the parts of the gateway are given: the shapes (``Protocol``) the app's runtime fills.

Each part names its own needs on top of these (``channels.runtime.Runtime``, ``dispatcher.jobs.WorkerDeps``,
the sweeper's steps), so a signature still says what a function uses; these are the parts nearly all of
them share, written once.
"""

from __future__ import annotations

from typing import Protocol

from config.settings import Settings
from pakn.journal import Journal
from pakn.queue import Queues


class JournalDeps(Protocol):
    """The settings, and the journal built from them."""

    @property
    def settings(self) -> Settings: ...

    @property
    def journal(self) -> Journal: ...


class QueuedDeps(JournalDeps, Protocol):
    """The settings and the journal, and the queues that carry its rows to the workers."""

    @property
    def queues(self) -> Queues: ...
