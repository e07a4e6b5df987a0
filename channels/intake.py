"""One way into the journal for every channel: the receipt, or a typed refusal.

A channel parses its own format and answers in its own terms; in between it hands its raw bytes and
source identity to ``Intake.take``, which answers with the journal's ``Receipt`` (``duplicate`` when the
source identity was seen before: the first tracking code) or a typed ``Refusal`` (nothing stored,
nothing acknowledged: the sender should send again).  The app layer builds the ``Intake`` and hands
it over: HTTP views take it with ``Depends`` (``channels.depends.IntakeDep``), the SMTP listener as a
constructor argument; ``DirectIntake`` is the same path for the channels that work synchronously
(IMAP, the chat engine).  A completion (what a citizen adds to a submission waiting for information) goes
through ``complete``, whatever its channel.  A channel's model becomes ``SubmissionFields`` through
``channels.fields.FieldsModel``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy.engine import Connection

from pakn.db import utcnow
from pakn.journal import Journal
from pakn.queue import Queues
from pakn.records import Channel, RawSubmission, Receipt

log = logging.getLogger(__name__)


class Refused(StrEnum):
    """Why the journal did not take a submission."""

    UNAVAILABLE = "unavailable"  # the journal could not store it now (writer gone, database down)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Nothing was stored: the channel answers its sender with its own "try again" (503, 451, ...)."""

    reason: Refused
    detail: str  # for the log, never for the sender


class Intake:
    """The single intake path: ``take`` resolves once the submission is durably journaled, or refuses it."""

    def __init__(self, submit: Callable[[RawSubmission], Awaitable[Receipt]]) -> None:
        """``submit`` stores one raw submission durably (``pakn.intake.IntakeWriter.submit``) or raises."""
        self._submit = submit

    async def take(
        self,
        channel: Channel,
        source_id: str,
        payload: bytes,
        content_type: str,
        received_at: datetime | None = None,
    ) -> Receipt | Refusal:
        raw = RawSubmission(channel, source_id, payload, content_type, received_at or utcnow())
        try:
            return await self._submit(raw)
        except Exception as error:
            return _unavailable(raw, error)


def _unavailable(raw: RawSubmission, error: Exception) -> Refusal:
    log.warning("%s submission %r not journaled: %s", raw.channel.value, raw.source_id[:80], type(error).__name__)
    return Refusal(Refused.UNAVAILABLE, f"{type(error).__name__}: {error}")


class DirectIntake:
    """The same path for a channel that works synchronously in its own process (IMAP, a backfill): the
    journal's transaction in this process, then the new submission queued for the normalizer."""

    def __init__(
        self,
        record: Callable[[Sequence[RawSubmission]], list[Receipt]],
        enqueue_normalize: Callable[[Sequence[int]], object],
    ) -> None:
        """``record``: the journal's intake (``Journal.intake.record``); ``enqueue_normalize``: the queue's."""
        self._record = record
        self._enqueue_normalize = enqueue_normalize

    def take(self, raw: RawSubmission) -> Receipt | Refusal:
        """Committed when this returns (the reader may then flag its message as done), or refused."""
        try:
            (receipt,) = self._record([raw])
        except Exception as error:
            return _unavailable(raw, error)
        if not receipt.duplicate:
            # Stored already: if Redis is down, the sweeper enqueues it once it is due.
            with contextlib.suppress(Exception):
                self._enqueue_normalize([receipt.submission_id])
        return receipt


class CompletionRecorder(Protocol):
    """What a completion records beside its amendment, in the same transaction (``channels.identity.Recorder``:
    the contact changes it asks for), and the messages it asked to send, to queue once committed."""

    @property
    def asked(self) -> Sequence[int]: ...

    def hook(self) -> Callable[[Connection], None] | None: ...


class CompletionDeps(Protocol):
    """What a completion works with (``pakn.app.runtime.Runtime`` is one)."""

    @property
    def journal(self) -> Journal: ...

    @property
    def queues(self) -> Queues: ...


def complete(
    deps: CompletionDeps, submission_id: int, raw: RawSubmission, recorder: CompletionRecorder | None = None
) -> bool:
    """The one way a citizen's later answer joins a submission waiting for information, for every channel:
    stored with the journal's ``amend`` (only while it waits; False, nothing stored, when it no longer does),
    then the submission sent back to the normalizer and the messages the completion asked for queued (if
    Redis is down, the sweeper does both once they are due).  Committed when this returns True."""
    if not deps.journal.intake.amend(submission_id, raw, recorder.hook() if recorder is not None else None):
        return False
    with contextlib.suppress(Exception):
        deps.queues.enqueue_normalize([submission_id])
    if recorder is not None and recorder.asked:
        with contextlib.suppress(Exception):
            deps.queues.enqueue_notify(recorder.asked)
    return True
