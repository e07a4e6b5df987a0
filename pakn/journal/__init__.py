"""The journal: every raw submission, durably, before anyone is acknowledged; and the state of each.

The journal, not Redis, is the source of truth.  Its parts, one per concern, share one ``Storage`` (the
engine, its writer, and the three kinds of leased work, ``pakn.journal.leases``):

- ``intake``: raw submissions and amendments stored (``pakn.journal.intake``);
- ``reading``: submissions and what belongs to them read back (``pakn.journal.reading``);
- ``normalization``: received submissions taken, judged and their verdicts recorded;
- ``forwards``: accepted cases delivered to the case store; ``outbox``: messages to citizens;
- ``updates``: what the case store tells us; ``loop``: its questions to citizens and their answers;
  ``ratings``: the citizens' satisfaction with the answer, asked once;
  ``waiting``: reminders and closing for silent authors;
- ``operators``: replay, the dead list, counts;
- ``triage_inbox``: the triage inbox as staff read it: its lists, counts and the audit trail with its counts;
- ``review``: staff's actions on held submissions, each with its line of the audit trail;
- ``summaries``: the week's summary for leaders, claimed and marked per recipient.

A caller uses the part it needs: ``runtime.journal.forwards.claim_forwards(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from pakn import tracking
from pakn.journal.forwards import Forwarding
from pakn.journal.intake import Intake
from pakn.journal.loop import Loop
from pakn.journal.normalization import Normalization
from pakn.journal.operators import Operators
from pakn.journal.outbox import Outbox
from pakn.journal.ratings import Ratings
from pakn.journal.reading import Reading
from pakn.journal.review import Review
from pakn.journal.storage import FAILED_BEFORE_VERDICT, Storage
from pakn.journal.summaries import Summaries
from pakn.journal.triage_inbox import TriageInbox
from pakn.journal.updates import CaseUpdates
from pakn.journal.waiting import Waiting

__all__ = ["FAILED_BEFORE_VERDICT", "Journal", "Storage"]


class Journal:
    """The journal's parts over one database."""

    def __init__(
        self,
        engine: Engine,
        stale_after: timedelta = timedelta(seconds=30),
        new_code: Callable[[], str] = tracking.new_code,
    ) -> None:
        """``new_code`` draws tracking codes (random); a test passes a fixed sequence to force a collision."""
        self.engine = engine
        self.storage = storage = Storage(engine, stale_after)
        self.intake = Intake(storage, new_code)
        self.reading = Reading(storage)
        self.normalization = Normalization(storage)
        self.forwards = Forwarding(storage)
        self.outbox = Outbox(storage)
        self.updates = CaseUpdates(storage)
        self.loop = Loop(storage)
        self.ratings = Ratings(storage)
        self.waiting = Waiting(storage)
        self.operators = Operators(storage)
        self.triage_inbox = TriageInbox(storage)
        self.review = Review(storage)
        self.summaries = Summaries(storage)

    def postpone(
        self,
        submission_ids: Iterable[int],
        forward_ids: Iterable[int],
        until: datetime,
        notification_ids: Iterable[int] = (),
        reply_ids: Iterable[int] = (),
        rating_ids: Iterable[int] = (),
    ) -> None:
        """Note that jobs were (re-)enqueued for these rows: look again only after ``until``."""
        storage = self.storage
        work = [
            (storage.normalizing, list(submission_ids)),
            (storage.forwarding, list(forward_ids)),
            (storage.sending, list(notification_ids)),
            (storage.replying, list(reply_ids)),
            (storage.rating, list(rating_ids)),
        ]
        if not any(ids for _, ids in work):
            return
        with storage.writer.begin() as conn:
            for leased, ids in work:
                leased.postpone(conn, ids, until)
